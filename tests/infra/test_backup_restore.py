"""A Full backup of every client, run from the console on the director host, checked in the
catalog on the PostgreSQL host and through the Director's JSON API; then restored on the
client and compared with the source, entry by entry.
"""

from __future__ import annotations

import bareos.bsock
import pytest
from bareoslab.lab.deployed import DeployedLab
from bareoslab.topology import Client

#: The default FileSet of the director role (bareoslab_director_fileset_files).
SOURCE = "/srv/bareoslab/data"

#: What the job log says about how each kind of client was reached (addresses are the
#: inventory's: host names, or ansible_host where it is set).
CONNECTED = {
    "director": "bareos-dir JobId {jobid}: Connected Client: {name} at ",
    "client": "bareos-dir JobId {jobid}: Using Client Initiated Connection ({name}).",
    "passive": "-sd JobId {jobid}: Connected File Daemon at ",
}


@pytest.fixture(scope="module")
def api(lab: DeployedLab):
    """python-bareos' JSON console on the Director, from the controller."""
    director = lab.topology.director
    address = lab.sh(director, "hostname -I").split()[0]
    password = lab.topology.hostvars[director]["bareoslab_director_password"]
    console = bareos.bsock.DirectorConsoleJson(address=address, port=9101,
                                               password=bareos.bsock.Password(password),
                                               tls_psk_require=True)
    cipher = console.get_cipher()
    assert cipher is not None and "PSK" in cipher[0], cipher
    yield console
    console.close()


def _report(lab: DeployedLab, jobid: int) -> str:
    return f"job log of JobId {jobid}:\n{lab.job_log(jobid)}"


def test_backup_and_restore(lab: DeployedLab, api, client: Client, assert_encrypted) -> None:
    entries = lab.make_sample_tree(client.host, SOURCE)

    jobid = lab.run_job(f"run job=backup-{client.name} level=Full yes")
    job = lab.wait_job(jobid)
    assert job.ok, _report(lab, jobid)
    assert (job.type, job.level, job.jobfiles) == ("B", "F", entries), _report(lab, jobid)
    assert job.jobbytes > 0

    listed = api.call(f"llist jobs jobid={jobid}")["jobs"]
    assert [(j["jobid"], j["type"], j["jobstatus"], int(j["jobfiles"])) for j in listed] == [
        (str(jobid), "B", "T", entries)
    ]
    log = lab.job_log(jobid)
    assert CONNECTED[client.connection].format(name=client.name, jobid=jobid) in log, log
    lines = assert_encrypted(log)
    assert any("Connected Storage daemon at " in line and "bareos-dir JobId" in line for line in lines), log
    if client.connection != "client":  # the Director (or the SD, passive) opened the client connection
        assert any(("Connected Client: " if client.connection == "director" else "Connected File Daemon")
                   in line for line in lines), log

    where = f"/var/tmp/bareoslab-restore-{jobid}"
    restore = lab.run_job(f"restore jobid={jobid} client={client.name} where={where} all done yes")
    done = lab.wait_job(restore)
    assert done.ok and done.type == "R", _report(lab, restore)
    assert done.jobfiles == entries, _report(lab, restore)
    assert_encrypted(lab.job_log(restore))
    assert lab.listing(client.host, where + SOURCE) == lab.listing(client.host, SOURCE)

    # an accurate Incremental after a deletion records it; the latest state restores without it
    lab.sh(client.host, f"rm {SOURCE}/dir-2/file-2.txt")
    incr = lab.run_job(f"run job=backup-{client.name} level=Incremental accurate=yes yes")
    job = lab.wait_job(incr)
    assert job.ok and job.level == "I", _report(lab, incr)
    assert "Sending Accurate information" in lab.job_log(incr), _report(lab, incr)
    where = f"/var/tmp/bareoslab-restore-{incr}"
    latest = lab.run_job(f"restore client={client.name} fileset=LabData where={where} select all done yes")
    assert lab.wait_job(latest).ok, _report(lab, latest)
    assert lab.listing(client.host, where + SOURCE) == lab.listing(client.host, SOURCE)
