"""No secret in a trace or a log: passwords, the per-job keys the Director hands to the FD
and SD (``Authorization=``) and CRAM-MD5 responses are masked at every debug level; trace files are the owner's
only (0600), log files the owner's and the group's (0640)."""

from __future__ import annotations

import re
import stat

import pytest
from bareoslab.lab.local import processes

from .conftest import Lab

pytestmark = pytest.mark.integration

CRAM_RESPONSE = re.compile(r"^[A-Za-z0-9+/]{21,22}(==)?$")


@pytest.mark.parametrize("debug", [1, 200])
def test_traces_and_logs_keep_no_secret(lab_factory, tmp_path, debug: int) -> None:
    lab: Lab = lab_factory(debug=debug)
    lab.run("label volume=TestVolume001 storage=File pool=Full")
    jobid = lab.run_job("run job=backup level=Full yes")
    restore = lab.run(f"restore jobid={jobid} where={tmp_path / 'r'} all done yes")
    assert "Job queued" in restore
    lab.run("wait")
    # a password typed into a console (configure) is not traced either
    lab.run("configure add client name=traced address=127.0.0.9 password=typed-secret")
    t = lab.t
    secrets = [t.console_password, t.sd_password, t.fd_password, "typed-secret"]
    daemons = processes.daemon_processes(t)
    for kind in ("dir", "sd", "fd"):
        trace = daemons[kind].trace_file.read_text()
        log = daemons[kind].log_file.read_text()
        for secret in secrets:
            assert secret not in trace and secret not in log, f"{kind}: a password in the trace or log"
        keys = re.findall(r"Authorization=([^\s\"]+)", trace + log)
        assert set(keys) <= {"****"}, f"{kind}: a job key traced: {keys}"
        msgs = [r["msg"] for r in lab.trace(kind) if "msg" in r]
        assert not [m for m in msgs if CRAM_RESPONSE.match(m)], f"{kind}: a CRAM-MD5 response traced"
        assert "<cram-md5 response>" in msgs
        assert stat.S_IMODE(daemons[kind].trace_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(daemons[kind].log_file.stat().st_mode) == 0o640
