"""``-t`` checks a configuration: exit 0 when good, else ``file:line: reason`` and a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest
from bareoslab.director.daemon import main as dir_main
from bareoslab.filed.daemon import main as fd_main
from bareoslab.storage.daemon import main as sd_main

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "configs" / "example"


@pytest.mark.parametrize("main", [dir_main, sd_main, fd_main])
def test_test_config_accepts_the_reference_example(main, capsys) -> None:
    assert main(["-t", "-c", str(EXAMPLE)]) == 0


def test_test_config_reports_file_and_line(tmp_path: Path, capsys) -> None:
    conf = tmp_path / "bareos-sd.conf"
    conf.write_text('Storage {\n  Name = sd\n  Maximum Concurrent Jobs = many\n}\n')
    assert sd_main(["-t", "-c", str(conf)]) == 1
    err = capsys.readouterr().err
    assert f"{conf}:3:" in err
