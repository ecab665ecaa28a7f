"""A FileSet resource as the File Daemon receives it (``I``/``O``/``F``/``N``/``E`` lines).

File lists are expanded here, on the Director: ``</path`` reads one entry per
line from a file, ``|command`` runs a command; ``\\\\<`` and ``\\\\|`` entries are
left for the client.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import IncludeBlock, OptionsBlock, Resource
from ..net.bareos64 import bin_to_base64

if TYPE_CHECKING:
    from .daemon import Director

_FLAG_LETTERS = {  # (option, value that sets the letter): letter
    ("onefs", False): "f", ("recurse", False): "h", ("sparse", True): "s",
    ("hardlinks", False): "H", ("readfifo", True): "r", ("portable", True): "p",
    ("mtimeonly", True): "m", ("keepatime", True): "k", ("exclude", True): "e",
    ("aclsupport", True): "A", ("ignorecase", True): "i", ("hfsplussupport", True): "R",
    ("noatime", True): "K", ("checkfilechanges", True): "c", ("honornodumpflag", True): "N",
    ("xattrsupport", True): "X", ("autoexclude", False): "x",
}
_SIGNATURES = {"MD5": "M", "SHA1": "S", "SHA256": "S2", "SHA512": "S3", "XXH128": "S4"}
_REPLACE = {"always": "a", "ifnewer": "w", "never": "n", "ifolder": "o"}
_DEFAULT_LETTERS = (("hardlinks", "H"), ("aclsupport", "A"), ("xattrsupport", "X"))


@dataclass(frozen=True)
class FileSetDefinition:
    lines: list[str]
    text: str
    md5: str


def option_letters(opts: OptionsBlock) -> str:
    letters = []
    signature = opts.options.get("signature")
    if isinstance(signature, str):
        letters.append(_SIGNATURES.get(signature.upper(), ""))
    compression = opts.options.get("compression")
    if isinstance(compression, str):
        level = compression.upper().removeprefix("GZIP")
        if compression.upper().startswith("GZIP"):
            letters.append(f"Z{level or 6}")
    for (key, value), letter in _FLAG_LETTERS.items():
        if key in opts.options and opts.options[key] == value:
            letters.append(letter)
    replace = opts.options.get("replace")
    if isinstance(replace, str):
        letters.append(_REPLACE.get(replace.lower(), ""))
    for key, letter in (("verify", "V"), ("accurate", "C")):  # letters up to ':', as Bareos
        text = opts.options.get(key)
        if isinstance(text, str):
            letters.append(f"{letter}{text}:")
    # options a block leaves unset take Bareos' defaults (since 23.0: no hard links, ACLs and
    # extended attributes on), appended as Bareos appends them
    letters += [letter for key, letter in _DEFAULT_LETTERS if key not in opts.options]
    return "".join(letters) or "0"


def _options_lines(opts: OptionsBlock) -> list[str]:
    lines = [f"O {option_letters(opts)}\n"]
    for prefix, values in (("W", opts.wild), ("WD", opts.wild_dir), ("WF", opts.wild_file),
                           ("R", opts.regex), ("RD", opts.regex_dir), ("RF", opts.regex_file),
                           ("X", opts.fstype), ("XD", opts.drivetype)):
        lines += [f"{prefix} {v}\n" for v in values]
    lines.append("N\n")
    return lines


def expand_file_entry(entry: str) -> list[str]:
    """``</path`` and ``|command`` are read on the Director; everything else goes as is."""
    if entry.startswith("<"):
        with open(entry[1:], encoding="utf-8") as fh:
            return [line.strip() for line in fh if line.strip()]
    if entry.startswith("|"):
        out = subprocess.run(entry[1:], shell=True, capture_output=True, text=True, timeout=300, check=False)
        return [line.strip() for line in out.stdout.splitlines() if line.strip()]
    if entry.startswith("\\<") or entry.startswith("\\|"):
        return [entry[1:]]
    return [entry]


def _block_lines(head: str, block: IncludeBlock) -> list[str]:
    lines = [f"{head}\n"]
    lines += [f"Z {d}\n" for d in block.exclude_dir_containing]
    for opts in block.options:
        lines += _options_lines(opts)
    for entry in block.files:
        lines += [f"F {path}" for path in expand_file_entry(entry)]
    lines.append("N\n")
    for plugin in block.plugins:
        lines.append(f"P {plugin}")
    lines.append("N\n")
    return lines


def fileset_definition(director: Director, fileset: Resource) -> FileSetDefinition:
    lines: list[str] = []
    for block in fileset.include:
        lines += _block_lines("I", block)
    for block in fileset.exclude:
        lines += _block_lines("E", block)
    text = fileset.fileset_text()
    digest = hashlib.md5(text.encode("utf-8")).digest()
    return FileSetDefinition(lines, text, bin_to_base64(digest))
