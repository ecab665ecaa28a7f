import os
import socket

import pytest
from bareoslab.codes import FileType
from bareoslab.filed import fileset
from bareoslab.filed.fileset import (
    ExcludeBlock,
    FileSetSpec,
    IncludeBlock,
    Options,
    fileset_lines,
    parse_fileset_lines,
    parse_option_letters,
    walk,
)

from .helpers import NON_UTF8, listing, spec_for

# ---------------------------------------------------------------------------
# wire lines


def test_fileset_parse_what_the_director_sends():
    lines = [
        "I\n",
        "Z .nobackup\n",
        "O MZ6s\n",
        "N\n",
        "O e\n",
        "WF *.tmp\n",
        "RD ^/srv/cache$\n",
        "N\n",
        "F /srv/data",
        "F /srv/with space ",
        "N\n",
        "P python3:module=x",
        "N\n",
        "E\n",
        "F /srv/data/tmp",
        "N\n",
        "N\n",
    ]
    spec = parse_fileset_lines(lines)
    (inc,) = spec.include
    assert inc.exclude_dir_containing == [".nobackup"]
    assert inc.files == ["/srv/data", "/srv/with space "]
    assert inc.plugins == ["python3:module=x"]
    first, second = inc.options
    assert (first.signature, first.compression, first.sparse, first.gzip_level) == (
        "MD5",
        "GZIP",
        True,
        6,
    )
    assert second.exclude and second.wild_file == ["*.tmp"] and second.regex_dir == ["^/srv/cache$"]
    assert spec.exclude == [ExcludeBlock(files=["/srv/data/tmp"])]


@pytest.mark.parametrize(
    ("letters", "expected"),
    [
        ("0", Options()),
        ("M", Options(signature="MD5")),
        ("S", Options(signature="SHA1")),
        ("S2", Options(signature="SHA256")),
        ("S3", Options(signature="SHA512")),
        ("S4", Options(signature="XXH128")),
        ("Z6", Options(compression="GZIP")),
        ("Z9", Options(compression="GZIP9")),
        ("Zo", Options(compression="LZO")),
        ("Zff", Options(compression="LZFAST")),
        ("Zf4", Options(compression="LZ4")),
        ("Zfh", Options(compression="LZ4HC")),
        ("f", Options(onefs=False)),
        ("h", Options(recurse=False)),
        ("s", Options(sparse=True)),
        ("H", Options(hardlinks=False)),
        ("m", Options(mtimeonly=True)),
        ("k", Options(keepatime=True)),
        ("K", Options(noatime=True)),
        ("e", Options(exclude=True)),
        ("i", Options(ignorecase=True)),
        ("x", Options(autoexclude=False)),
        ("w", Options(replace="w")),
        ("d3", Options(shadowing=3)),
        ("Ea2Ef", Options(encryption="a2", force_encryption=True)),
        ("S2Z1fs", Options(signature="SHA256", compression="GZIP1", onefs=False, sparse=True)),
        ("MVpins5:", Options(signature="MD5", extra="Vpins5:")),
    ],
)
def test_fileset_option_letters(letters, expected):
    got = parse_option_letters(letters)
    assert got == expected
    assert parse_option_letters(got.letters()) == expected


@pytest.mark.parametrize("bad", ["Zq", "E?", "d9"])
def test_fileset_option_letters_reject_garbage(bad):
    with pytest.raises(ValueError):
        parse_option_letters(bad)


def test_fileset_options_validate_names():
    assert Options(signature="sha256").signature == "SHA256"
    with pytest.raises(ValueError):
        Options(signature="CRC32")
    with pytest.raises(ValueError):
        Options(compression="GZIP0")


def test_fileset_lines_round_trip():
    spec = FileSetSpec(
        include=[
            IncludeBlock(
                options=[
                    Options(wild_file=["*.o", "*.tmp"], exclude=True, ignorecase=True),
                    Options(regex_dir=["/cache$"], wild_dir=["*/.git"], exclude=True),
                    Options(signature="MD5", compression="GZIP", sparse=True, wild_base=["core"]),
                    Options(signature="SHA512", fstype=["ext4", "xfs"], onefs=False),
                ],
                files=["/srv/data", "/home/user/with space", "/srv/" + NON_UTF8],
                exclude_dir_containing=[".nobackup"],
            ),
            IncludeBlock(options=[Options(signature="SHA1")], files=["/etc"]),
        ],
        exclude=[ExcludeBlock(files=["/srv/data/tmp", "*.swp"])],
    )
    lines = fileset_lines(spec)
    assert lines[:2] == ["I\n", "Z .nobackup\n"]
    assert lines[2:5] == ["O ei\n", "WF *.o\n", "WF *.tmp\n"]
    assert "F /srv/data" in lines  # file items travel without "\n"
    assert parse_fileset_lines(lines) == spec


@pytest.mark.parametrize("lines", [["F /x"], ["I\n", "Q what\n"], ["I\n", "W *.c\n"]])
def test_fileset_parse_rejects_garbage(lines):
    with pytest.raises(ValueError):
        parse_fileset_lines(lines)


# ---------------------------------------------------------------------------
# walk


def test_walk_order_and_types(tree):
    issues = []
    got = listing(spec_for(tree), tree, on_error=issues.append)
    assert got == [
        ("REG", "a.txt"),  # bytewise: "." < "b"
        ("LNK", "abs-link"),
        ("REG", "d1/big.bin"),
        ("LNKSAVED", "d1/hard"),
        ("LNK", "d1/rel-link"),
        ("REG", "d1/sub/" + NON_UTF8),
        ("DIREND", "d1/sub/"),
        ("DIREND", "d1/"),
        ("REGE", "empty"),
        ("SPEC", "fifo"),
        ("REG", "sparse.img"),
        ("REG", "with space é.txt"),
        ("DIREND", "./"),
    ]
    assert issues == []


def test_walk_entries_carry_stat_link_and_options(tree):
    opts = Options(signature="SHA256", compression="GZIP9", sparse=True)
    entries = {os.path.relpath(e.path, tree): e for e in walk(spec_for(tree, options=[opts]))}
    assert entries["abs-link"].link == "/etc/hostname"
    assert entries["d1/rel-link"].link == "../a.txt"
    assert entries["."].name == str(tree) + "/" and entries["."].top_level
    big = entries["d1/big.bin"]
    assert big.stat.st_size == 300_000 and big.options is opts and big.options.gzip_level == 9


def test_walk_hard_links_point_to_the_first_name(tree):
    entries = {os.path.relpath(e.path, tree): e for e in walk(spec_for(tree))}
    first, second = entries["a.txt"], entries["d1/hard"]
    assert first.file_type == FileType.REG and second.file_type == FileType.LNKSAVED
    assert second.link == first.path
    assert second.hardlink_to is first and first.hardlink is second.hardlink
    assert first.hardlink_to is None


def test_walk_hardlinks_no_saves_every_name(tree):
    entries = {
        os.path.relpath(e.path, tree): e
        for e in walk(spec_for(tree, options=[Options(hardlinks=False)]))
    }
    assert entries["d1/hard"].file_type == FileType.REG and entries["d1/hard"].hardlink is None


def test_walk_does_not_follow_symlinks(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "inside").write_text("x")
    (tmp_path / "top").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "top" / "link-to-dir")
    got = listing(spec_for(tmp_path / "top"), tmp_path / "top")
    assert got == [("LNK", "link-to-dir"), ("DIREND", "./")]


def test_walk_top_level_file_and_trailing_slash(tree):
    got = [
        (e.file_type, e.name)
        for e in walk(spec_for(tree / "a.txt", str(tree / "d1" / "sub") + "/"))
    ]
    assert got == [
        (FileType.REG, str(tree / "a.txt")),
        (FileType.REG, str(tree / "d1" / "sub" / NON_UTF8)),
        (FileType.DIREND, str(tree / "d1" / "sub") + "/"),
    ]


def test_walk_exclude_block_files_and_wildcards(tree):
    exclude = [ExcludeBlock(files=[str(tree / "d1"), "*.txt"])]
    got = listing(spec_for(tree, exclude=exclude), tree)
    names = [n for _, n in got]
    assert "d1/" not in names and "d1/big.bin" not in names
    assert not any(n.endswith(".txt") for n in names)
    assert "empty" in names


def test_walk_options_exclude_with_wildcards(tree):
    opts = [
        Options(wild_file=["*.bin", "*.IMG"], exclude=True, ignorecase=True),
        Options(signature="MD5"),
    ]
    entries = {os.path.relpath(e.path, tree): e for e in walk(spec_for(tree, options=opts))}
    assert "d1/big.bin" not in entries and "sparse.img" not in entries
    assert entries["a.txt"].options.signature == "MD5"  # unmatched: the last block


def test_walk_options_regex_and_wilddir_prune_directories(tree):
    opts = [
        Options(wild_dir=["*/sub"], exclude=True),
        Options(regex=[r"\.txt$"], exclude=True),
        Options(),
    ]
    names = [n for _, n in listing(spec_for(tree, options=opts), tree)]
    assert not any(n.startswith("d1/sub") for n in names)
    assert "a.txt" not in names and "d1/big.bin" in names


def test_walk_first_matching_options_block_decides(tree):
    keep = Options(wild_file=["*.bin"], signature="SHA1")
    drop = Options(wild_file=["*.bin", "*.img"], exclude=True)
    entries = {
        os.path.relpath(e.path, tree): e
        for e in walk(spec_for(tree, options=[keep, drop, Options()]))
    }
    assert entries["d1/big.bin"].options is keep
    assert "sparse.img" not in entries


def test_walk_exclude_options_without_patterns_reject_everything(tree):
    got = listing(spec_for(tree, options=[Options(exclude=True)]), tree)
    assert got == [("DIREND", "./")]  # only the top-level item itself


def test_walk_exclude_dir_containing(tree):
    (tree / "d1" / ".nobackup").write_text("")
    names = [n for _, n in listing(spec_for(tree, ignore=[".nobackup"]), tree)]
    assert not any(n.startswith("d1") for n in names)
    assert "a.txt" in names


def test_walk_since_sends_nothing_unchanged_but_still_descends(tree):
    future = os.lstat(tree).st_ctime + 3600
    assert listing(spec_for(tree), tree, since=future) == []
    os.utime(tree / "d1" / "sub", (future, future))  # changed, below an unchanged directory
    assert listing(spec_for(tree), tree, since=future) == [("DIREND", "d1/sub/")]


def test_walk_since_uses_mtime_or_ctime(tree):
    now = os.lstat(tree / "a.txt").st_ctime
    os.utime(tree / "empty", (1000, 1000))  # old mtime, but ctime is now
    since = now - 60
    names = [n for _, n in listing(spec_for(tree), tree, since=since)]
    assert "empty" in names  # ctime counts
    mtime_only = [
        n for _, n in listing(spec_for(tree, options=[Options(mtimeonly=True)]), tree, since=since)
    ]
    assert "empty" not in mtime_only and "a.txt" in mtime_only


def test_walk_recurse_no(tree):
    got = listing(spec_for(tree, options=[Options(recurse=False)]), tree)
    names = [n for _, n in got]
    assert "d1/" in names and "a.txt" in names
    assert not any(n.startswith("d1/") and n != "d1/" for n in names)


def fake_device(monkeypatch, path, dev):
    real = fileset._lstat

    def lstat(p):
        st = real(p)
        if str(p) == str(path):
            values = list(st)
            values[2] = dev  # st_dev
            return os.stat_result(values)
        return st

    monkeypatch.setattr(fileset, "_lstat", lstat)


def test_walk_onefs_does_not_cross_filesystems(tree, monkeypatch):
    fake_device(monkeypatch, tree / "d1", os.lstat(tree).st_dev + 1)
    issues = []
    names = [n for _, n in listing(spec_for(tree), tree, on_error=issues.append)]
    assert "d1/" in names and "d1/big.bin" not in names
    assert [(i.file_type, i.is_error) for i in issues] == [(FileType.NOFSCHG, False)]
    crossing = [n for _, n in listing(spec_for(tree, options=[Options(onefs=False)]), tree)]
    assert "d1/big.bin" in crossing


def test_walk_reports_vanished_and_unreadable_entries(tree, monkeypatch):
    real_lstat, real_scandir = fileset._lstat, fileset._scandir

    def lstat(p):
        if str(p).endswith("big.bin"):
            raise FileNotFoundError(2, "No such file or directory", str(p))
        return real_lstat(p)

    def scandir(p):
        if str(p).endswith("sub"):
            raise PermissionError(13, "Permission denied", str(p))
        return real_scandir(p)

    monkeypatch.setattr(fileset, "_lstat", lstat)
    monkeypatch.setattr(fileset, "_scandir", scandir)
    issues = []
    spec = spec_for(tree, tree / "does-not-exist")
    names = [n for _, n in listing(spec, tree, on_error=issues.append)]
    assert "d1/big.bin" not in names and "d1/sub/" not in names and "a.txt" in names
    kinds = {(os.path.basename(i.path), i.file_type) for i in issues}
    assert kinds == {
        ("big.bin", FileType.NOSTAT),
        ("sub", FileType.NOOPEN),
        ("does-not-exist", FileType.NOSTAT),
    }
    assert all(i.is_error and i.error is not None and i.path in i.message for i in issues)


def test_walk_skips_sockets(tmp_path):
    top = tmp_path / "s"
    top.mkdir()
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(top / "sock"))
        issues = []
        assert listing(spec_for(top), top, on_error=issues.append) == [("DIREND", "./")]
        assert [(i.file_type, i.is_error) for i in issues] == [(FileType.SPEC, False)]
    finally:
        sock.close()


def test_walk_default_on_error_logs(caplog):
    list(walk(spec_for("/nonexistent/bareoslab")))
    assert "Could not stat" in caplog.text
