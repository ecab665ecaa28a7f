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


def test_test_config_warns_of_directives_without_effect_and_deprecated_ones(tmp_path: Path, capsys) -> None:
    conf = tmp_path / "bareos-sd.conf"
    conf.write_text('Storage {\n  Name = sd\n  TLS Cipher Suites = "TLS_AES_256_GCM_SHA384"\n'
                    '  Enable kTLS = yes\n  TLS Authenticate = no\n}\n')
    assert sd_main(["-t", "-c", str(conf)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert f"bareoslab-sd: warning: {conf}:3: directive TLS Cipher Suites is accepted but has no effect" in err
    assert f"bareoslab-sd: warning: {conf}:4: directive Enable kTLS is accepted but has no effect" in err
    assert f"bareoslab-sd: warning: {conf}:5: TLS Authenticate is deprecated in Storage" in err


def test_director_without_its_catalog_says_so_in_one_line(tmp_path: Path, capsys) -> None:
    """A PostgreSQL catalog that cannot be reached ends the start with Bareos' message, no traceback."""
    import shutil
    import socket

    config = tmp_path / "etc"
    shutil.copytree(EXAMPLE, config)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (config / "bareos-dir.d" / "catalog" / "MyCatalog.conf").write_text(
        "Catalog {\n  Name = MyCatalog\n  DB Driver = postgresql\n  DB Name = bareos\n"
        f'  DB User = bareos\n  DB Password = "x"\n  DB Address = 127.0.0.1\n  DB Port = {port}\n}}\n'
    )
    work = tmp_path / "work"
    work.mkdir()
    director = config / "bareos-dir.d" / "director" / "bareos-dir.conf"
    director.write_text(director.read_text().replace("/var/lib/bareos", str(work)))
    assert dir_main(["-c", str(config)]) == 1
    err = capsys.readouterr().err
    assert 'Could not open Catalog "MyCatalog", database "bareos"' in err
    assert "Traceback" not in err


@pytest.mark.parametrize("main", [dir_main, sd_main, fd_main])
def test_version_prints_the_version_and_exits(main, capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == "25.0.0"


def test_the_director_takes_a_clock_file(capsys) -> None:
    with pytest.raises(SystemExit):
        dir_main(["--help"])
    assert "--clock FILE" in capsys.readouterr().out


@pytest.mark.parametrize("columns", ["50", "120"])
def test_help_is_as_wide_as_columns_says(columns, monkeypatch, capsys) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    with pytest.raises(SystemExit):
        fd_main(["--help"])
    wrapped = [line for line in capsys.readouterr().out.splitlines() if not line.lstrip().startswith("-")]
    assert max(len(line) for line in wrapped) <= int(columns) - 2  # option names alone are not wrapped
    assert max(len(line) for line in wrapped) > int(columns) - 20  # the lines fill it


def test_help_without_a_terminal_is_80_columns_wide(monkeypatch, capsys) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    with pytest.raises(SystemExit):
        sd_main(["--help"])  # pytest's captured stdout is no terminal
    wrapped = [line for line in capsys.readouterr().out.splitlines() if not line.lstrip().startswith("-")]
    assert 70 < max(len(line) for line in wrapped) <= 78


def _loaded_after_check(daemon: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a daemon's ``-t`` leaves loaded, in a fresh interpreter."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        f"from bareoslab.{daemon}.daemon import main\n"
        f"assert main(['-t', '-c', {str(EXAMPLE)!r}]) == 0\n"
        f"print(' '.join(m for m in {modules!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.parametrize("daemon", ["director", "filed", "storage"])
def test_a_daemon_starts_without_the_archive_modules(daemon) -> None:
    """Every daemon's resident memory holds what it imports: shutil, bz2, lzma and
    importlib.resources (0.5-1 MiB) are not among them when it parses its command line and
    reads its configuration (``-t``)."""
    assert _loaded_after_check(daemon, ("shutil", "bz2", "lzma", "importlib.resources")) == []


def test_the_director_starts_without_volume_modules_decimal_or_random() -> None:
    """The Director needs only the bootstraps of the volume package (its ``__init__`` loads
    nothing), no ``decimal`` on SQLite and no ``random`` (1.2 MiB of its resident memory)."""
    modules = ("bareoslab.volume.device", "bareoslab.volume.block", "decimal", "random")
    assert _loaded_after_check("director", modules) == []
