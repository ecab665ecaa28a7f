"""The Options letters the Director sends for a FileSet (Bareos' dird/inc_conf.cc)."""

from __future__ import annotations

import pytest
from bareoslab.config import load_config_text
from bareoslab.director.fileset import option_letters

BASE = """\
Director { Name = bareos-dir; Password = "secret" }
Messages { Name = Standard; Console = all }
"""


def letters_of(options: str) -> str:
    cfg = load_config_text(BASE + f"FileSet {{ Name = fs; Include {{ Options {{ {options} }} File = /etc }} }}\n",
                           "dir", "test-dir.conf")
    fileset = cfg.get("FileSet", "fs")
    assert fileset is not None
    return option_letters(fileset.include[0].options[0])


@pytest.mark.parametrize("options, letters", [
    # unset options take Bareos' defaults since 23.0, appended last: HardLinks = no (H),
    # AclSupport = yes (A), XattrSupport = yes (X) -- a real Director sends "O MHAX" here
    ("Signature = MD5", "MHAX"),
    ("Signature = MD5; HardLinks = yes; AclSupport = no; XattrSupport = no", "M"),
    ("Signature = MD5; mtimeonly = yes", "MmHAX"),
    ("Signature = MD5; Accurate = mcs5", "MCmcs5:HAX"),
    ("Verify = pins5", "Vpins5:HAX"),
])
def test_option_letters(options: str, letters: str) -> None:
    assert letters_of(options) == letters
