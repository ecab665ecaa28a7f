"""FileSet Include/Exclude/Options blocks and the FileSet as text (bareoslab.config.fileset)."""

from __future__ import annotations

import hashlib

import pytest
from bareoslab.config import ConfigError, IncludeBlock, OptionsBlock
from bareoslab.config.fileset import OPTION_DEFAULTS

from .helpers import dir_config

FILESET = r"""
FileSet {
  Name = "Lab Data"
  Description = "two includes"
  Include {
    Options {
      Signature = md5
      Compression = gzip9
      OneFS = no
      Wild = "*.o"
      Wild = "*.tmp"
      WildDir = "cache"
      Regex File = "^core\\.[0-9]+$"
      FsType = ext4
      Strip Path = 2
      Accurate = mcs
    }
    Options {
      Exclude = yes
      Wild File = "*.bak"
    }
    File = /srv/data
    File = <@tmpdir@/file-list
    File = "\\</etc/client-list"
    File = "|find /srv -maxdepth 1"
    Exclude Dir Containing = .nobackup
  }
  Include {
    Plugin = "python3:module_name=bareos-fd-local-fileset:filename=/etc/x"
  }
  Exclude {
    File = /srv/data/tmp
    File = "/srv/data/with blank"
  }
}
"""


def test_fileset_structure() -> None:
    fs = dir_config(FILESET).get("FileSet", "Lab Data")
    assert len(fs.include) == 2 and len(fs.exclude) == 1
    first = fs.include[0]
    assert isinstance(first, IncludeBlock)
    assert first.files == [
        "/srv/data",
        "<@tmpdir@/file-list",
        "\\</etc/client-list",
        "|find /srv -maxdepth 1",
    ]
    assert first.exclude_dir_containing == [".nobackup"]
    opts = first.options[0]
    assert isinstance(opts, OptionsBlock)
    assert opts.options == {
        "signature": "MD5",
        "compression": "GZIP9",
        "onefs": False,
        "strippath": 2,
        "accurate": "mcs",
    }
    assert opts.wild == ["*.o", "*.tmp"] and opts.wild_dir == ["cache"]
    assert opts.regex_file == ["^core\\.[0-9]+$"] and opts.fstype == ["ext4"]
    assert first.options[1].options == {"exclude": True} and first.options[1].wild_file == ["*.bak"]
    assert (
        opts.get("onefs") is False
        and opts.get("Hard Links") is False
        and opts.get("aclsupport") is True
    )
    assert fs.include[1].plugins == ["python3:module_name=bareos-fd-local-fileset:filename=/etc/x"]
    assert fs.exclude[0].files == ["/srv/data/tmp", "/srv/data/with blank"]
    assert fs.description == "two includes" and fs.enable_vss is True


def test_fileset_text_is_deterministic() -> None:
    fs = dir_config(FILESET).get("FileSet", "Lab Data")
    text = fs.fileset_text()
    assert text.startswith('FileSet {\n  Name = "Lab Data"\n  Include {\n    Options {\n')
    assert "      Compression = GZIP9\n      OneFS = no\n      Signature = MD5\n" in text
    assert '    File = "\\\\</etc/client-list"\n' in text
    # the text parses back to the same structure and prints the same
    again = dir_config(text.replace('"Lab Data"', '"Copy"')).get("FileSet", "Copy")
    assert again.include == fs.include and again.exclude == fs.exclude
    assert again.fileset_text() == text.replace('"Lab Data"', '"Copy"')
    # option order inside a block does not matter, file order does
    swapped = FILESET.replace(
        "Signature = md5\n      Compression = gzip9", "Compression = gzip9\n      Signature = md5"
    )
    assert dir_config(swapped).get("FileSet", "Lab Data").fileset_text() == text
    moved = FILESET.replace("File = /srv/data\n", "").replace(
        "Exclude Dir", "File = /srv/data\n    Exclude Dir"
    )
    assert dir_config(moved).get("FileSet", "Lab Data").fileset_text() != text


def test_fileset_md5_follows_the_text() -> None:
    one = dir_config(FILESET).get("FileSet", "Lab Data")
    two = dir_config(FILESET.replace("/srv/data/tmp", "/srv/data/cache")).get("FileSet", "Lab Data")
    md5 = [hashlib.md5(fs.fileset_text().encode()).hexdigest() for fs in (one, two)]
    assert md5[0] != md5[1]


def test_fileset_include_without_options_uses_defaults() -> None:
    fs = dir_config("").get("FileSet", "fs")
    assert fs.include == [IncludeBlock(files=["/etc"])]
    assert OptionsBlock().get("hardlinks") is OPTION_DEFAULTS["hardlinks"] is False
    assert OptionsBlock().get("signature") is None


@pytest.mark.parametrize(
    ("option", "key", "value"),
    [
        ("Compression = lz4", "compression", "LZ4"),
        ("Signature = sha256", "signature", "SHA256"),
        ("Replace = ifnewer", "replace", "IfNewer"),
        ("Shadowing = localwarn", "shadowing", "LocalWarn"),
        ("Size = <10M", "size", "<10M"),
        ("Verify = pins5", "verify", "pins5"),
        ("Plugin = bpipe", "plugin", "bpipe"),
        ("XAttr Support = no", "xattrsupport", False),
        ("ACL Support = yes", "aclsupport", True),
        ("Honor No Dump Flag = yes", "honornodumpflag", True),
    ],
)
def test_fileset_option_values(option: str, key: str, value: object) -> None:
    text = f"FileSet {{ Name = o; Include {{\n Options {{\n {option}\n }}\n File = /x }} }}"
    fs = dir_config(text).get("FileSet", "o")
    assert fs.include[0].options[0].options == {key: value}


def test_fileset_unknown_option() -> None:
    with pytest.raises(ConfigError, match='unknown directive "Checksum" in Options block'):
        dir_config("FileSet { Name = o; Include {\n Options {\n Checksum = yes\n }\n } }")
