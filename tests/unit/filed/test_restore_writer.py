import hashlib
import os
import stat
import zlib

import pytest
from bareoslab.codes import FileType, MsgType, Stream
from bareoslab.filed import restore_writer
from bareoslab.filed.attribs import LStat, encode_attributes
from bareoslab.filed.backup_stream import COMPRESSION_HEADER
from bareoslab.filed.fileset import FileSetSpec, IncludeBlock, Options
from bareoslab.filed.restore_writer import RestoreWriter

from .helpers import NON_UTF8, run_backup, run_restore

MTIME = 1_600_000_000


def attr(fi, ftype, name, link="", mode=0o100644, size=0, mtime=MTIME):
    lst = LStat(
        1, 1, mode, 1, os.getuid(), os.getgid(), 0, size, 4096, 0, mtime, mtime, mtime, 0, 0, 2
    )
    return (fi, Stream.UNIX_ATTRIBUTES, encode_attributes(fi, ftype, name, lst, link))


def snapshot(root):
    """{relative path: (type, mode, size, mtime, content or link, inode)} of a tree."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames + ([] if dirpath != str(root) else ["."]):
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode):
                body = open(p, "rb").read()  # noqa: SIM115
            elif stat.S_ISLNK(st.st_mode):
                body = os.readlink(p)
            else:
                body = None
            out[os.path.relpath(p, root)] = (
                stat.S_IFMT(st.st_mode),
                stat.S_IMODE(st.st_mode) if not stat.S_ISLNK(st.st_mode) else None,
                st.st_size if not stat.S_ISDIR(st.st_mode) else None,
                int(st.st_mtime),
                body,
                st.st_uid,
            )
    return out


def age_tree(root):
    """Give every entry a distinct old mtime so the comparison means something."""
    for i, (dirpath, dirnames, filenames) in enumerate(sorted(os.walk(root, topdown=False))):
        for j, name in enumerate(filenames + dirnames):
            os.utime(
                os.path.join(dirpath, name), (MTIME + i, MTIME + 100 * i + j), follow_symlinks=False
            )
        os.utime(dirpath, (MTIME, MTIME + 7 * i))
    os.chmod(os.path.join(root, "d1"), 0o750)
    os.chmod(os.path.join(root, "a.txt"), 0o640)


OPTION_SETS = {
    "plain-md5": Options(signature="MD5"),
    "gzip-sha256": Options(signature="SHA256", compression="GZIP"),
    "sparse-sha1": Options(signature="SHA1", sparse=True),
    "sparse-gzip9-sha512": Options(signature="SHA512", compression="GZIP9", sparse=True),
}


@pytest.mark.parametrize("options", OPTION_SETS.values(), ids=OPTION_SETS.keys())
def test_restore_round_trip(tree, tmp_path, options):
    age_tree(tree)
    before = snapshot(tree)
    spec = FileSetSpec(include=[IncludeBlock(options=[options], files=[str(tree)])])
    backup = run_backup(spec, chunk_size=32 * 1024)
    assert backup.issues == [] and all(o.ok for o in backup.outcomes)
    where = tmp_path / "restore here"
    result = run_restore(backup.records, where)
    assert result.messages == []
    restored = where / str(tree).lstrip("/")
    assert snapshot(restored) == before
    st_a, st_hard = os.lstat(restored / "a.txt"), os.lstat(restored / "d1" / "hard")
    assert st_a.st_ino == st_hard.st_ino and st_a.st_nlink == 2
    assert os.readlink(restored / "abs-link") == "/etc/hostname"
    assert (restored / "d1" / "sub" / NON_UTF8).read_bytes() == b"latin-1 name"
    assert stat.S_ISFIFO(os.lstat(restored / "fifo").st_mode)
    if options.sparse:
        st = os.lstat(restored / "sparse.img")
        assert st.st_blocks * 512 < st.st_size  # the holes stayed holes
    data_bytes = sum(
        len(p.read_bytes()) for p in restored.rglob("*") if p.is_file() and not p.is_symlink()
    )
    written = data_bytes - len(b"hello world\n")  # the hard link's data is not sent twice
    if options.sparse:  # holes are not written, the island and the last chunk are
        assert written - 1_000_000 < result.stats.bytes < written - 1_000_000 + 3 * 32 * 1024
    else:
        assert result.stats.bytes == written
    assert result.stats.files == len(backup.entries)
    assert result.stats.errors == 0


def test_restore_in_place(tree, tmp_path):
    age_tree(tree)
    before = snapshot(tree)
    backup = run_backup(FileSetSpec(include=[IncludeBlock(files=[str(tree)])]))
    os.rename(tree, tmp_path / "moved")
    result = run_restore(backup.records, "")
    assert result.errors == []
    assert snapshot(tree) == before


def test_restore_refuses_dotdot_names(tmp_path):
    where, outside = tmp_path / "where", tmp_path / "outside"
    outside.mkdir()
    records = [
        attr(1, FileType.REG, "/../outside/evil1", size=4),
        (1, Stream.FILE_DATA, b"evil"),
        attr(2, FileType.REG, "/a/../../outside/evil2", size=4),
        (2, Stream.FILE_DATA, b"evil"),
        attr(3, FileType.REG, "../outside/evil3", size=4),
        (3, Stream.FILE_DATA, b"evil"),
        attr(4, FileType.DIREND, "/../outside/newdir/", mode=0o40755),
        attr(5, FileType.REG, "/ok/fine", size=2),
        (5, Stream.FILE_DATA, b"ok"),
        attr(6, FileType.LNKSAVED, "/ok/hl", link="/../outside/evil1"),
        attr(7, FileType.LNK, "/ok/../../outside/sym", link="/etc"),
    ]
    result = run_restore(records, where)
    assert list(outside.iterdir()) == []
    assert len(result.errors) == 6 and all('".."' in e for e in result.errors)
    assert (where / "ok" / "fine").read_bytes() == b"ok"
    assert sorted(p.name for p in where.rglob("*")) == ["fine", "ok"]


def test_restore_never_writes_through_symlinks(tmp_path):
    where, outside = tmp_path / "where", tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("original")
    (outside / "target").write_text("target")
    where.mkdir()
    os.symlink(outside / "victim", where / "pre-existing")
    before = snapshot(outside)
    records = [
        attr(1, FileType.LNK, "/data/escape", link=str(outside), mode=0o120777),
        attr(2, FileType.REG, "/data/escape/pwned", size=4),
        (2, Stream.FILE_DATA, b"evil"),
        attr(3, FileType.DIREND, "/data/escape/sub/", mode=0o40777),
        attr(4, FileType.LNK, "/data/rel", link="../../..", mode=0o120777),
        attr(5, FileType.REG, "/data/rel/tmp/pwned", size=4),
        (5, Stream.FILE_DATA, b"evil"),
        attr(6, FileType.LNKSAVED, "/data/hl", link="/data/escape/target"),
        attr(7, FileType.REG, "/pre-existing", size=4),
        (7, Stream.FILE_DATA, b"mine"),
        attr(8, FileType.REG, "/data/escape", size=4),  # replaces the symlink itself
        (8, Stream.FILE_DATA, b"file"),
    ]
    result = run_restore(records, where)
    assert snapshot(outside) == before
    assert os.lstat(outside / "target").st_nlink == 1
    assert len(result.errors) == 4
    assert all("symbolic link" in e for e in result.errors[:2] + result.errors[3:])
    assert not os.path.islink(where / "pre-existing")
    assert (where / "pre-existing").read_bytes() == b"mine"
    assert (where / "data" / "escape").read_bytes() == b"file"
    assert os.readlink(where / "data" / "rel") == "../../.."
    assert not (tmp_path / "tmp" / "pwned").exists()


def test_restore_never_replaces_a_symlink_when_replace_never(tmp_path):
    where, outside = tmp_path / "where", tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("original")
    where.mkdir()
    os.symlink(outside / "victim", where / "f")
    result = run_restore([attr(1, FileType.REG, "/f", size=4), (1, 2, b"evil")], where, replace="n")
    assert (outside / "victim").read_text() == "original" and os.path.islink(where / "f")
    assert result.stats.skipped == 1 and result.errors == []


@pytest.mark.parametrize(
    ("replace", "saved_mtime", "replaced"),
    [
        ("a", MTIME - 10, True),
        ("n", MTIME + 10, False),
        ("w", MTIME + 10, True),
        ("w", MTIME - 10, False),
        ("o", MTIME - 10, True),
        ("o", MTIME + 10, False),
    ],
)
def test_restore_replace_policies(tmp_path, replace, saved_mtime, replaced):
    where = tmp_path / "where"
    where.mkdir()
    (where / "f").write_bytes(b"existing")
    os.utime(where / "f", (MTIME, MTIME))
    records = [attr(1, FileType.REG, "/f", size=5, mtime=saved_mtime), (1, 2, b"saved")]
    result = run_restore(records, where, replace=replace)
    assert (where / "f").read_bytes() == (b"saved" if replaced else b"existing")
    assert result.stats.skipped == (0 if replaced else 1)


def test_restore_replace_must_be_known(tmp_path):
    with pytest.raises(ValueError):
        RestoreWriter(str(tmp_path), replace="x")


def test_restore_digest_mismatch_is_an_error(tmp_path):
    good, bad = b"good data", b"tampered"
    records = [
        attr(1, FileType.REG, "/one", size=len(bad)),
        (1, 2, bad),
        (1, Stream.MD5_DIGEST, hashlib.md5(good).digest()),  # verified by reading back
        attr(2, FileType.REG, "/two", size=len(good)),
        (2, 2, good),
        (2, Stream.MD5_DIGEST, hashlib.md5(good).digest()),  # verified on the fly
        attr(3, FileType.REG, "/three", size=len(bad)),
        (3, 2, bad),
        (3, Stream.MD5_DIGEST, hashlib.md5(good).digest()),
    ]
    result = run_restore(records, tmp_path / "w")
    assert [e.split(":")[0] for e in result.errors] == ['"/one"', '"/three"']
    assert all("MD5_DIGEST mismatch" in e for e in result.errors)
    # like Bareos' File Daemon, the default restore skips the digest streams
    assert run_restore(records, tmp_path / "w2", verify_digests=False).errors == []


def test_restore_bad_records_become_messages(tmp_path, monkeypatch):
    monkeypatch.setattr(restore_writer, "MAX_CHUNK_EXPANSION", 1000)
    bomb = zlib.compress(bytes(10_000))
    records = [
        (9, 2, b"data before any attributes"),
        (1, 1, b"garbage attributes"),
        (1, 2, b"skipped"),
        attr(2, FileType.REG, "/bad-header", size=10),
        (2, Stream.COMPRESSED_DATA, b"LZ4X" + bytes(8) + b"xx"),
        (2, Stream.COMPRESSED_DATA, b"never read"),
        attr(3, FileType.REG, "/bomb", size=10_000),
        (3, Stream.COMPRESSED_DATA, COMPRESSION_HEADER.pack(b"GZIP", len(bomb), 6, 1) + bomb),
        attr(4, FileType.REG, "/short-sparse", size=10),
        (4, Stream.SPARSE_DATA, b"\0\0"),
        attr(5, FileType.LNK, "/link", link="x", mode=0o120777),
        (5, 2, b"data for a symlink"),
        attr(6, FileType.REG, "/good", size=2),
        (6, 1998, b"xattr stream"),
        (6, 1998, b"xattr stream"),
        (6, 2, b"ok"),
    ]
    result = run_restore(records, tmp_path / "w")
    kinds = [k for k, _ in result.messages]
    assert kinds.count(MsgType.ERROR) == 6 and kinds.count(MsgType.WARNING) == 1
    assert "without attributes" in result.errors[0]
    assert "not supported" in result.errors[2] and "expands beyond" in result.errors[3]
    assert (tmp_path / "w" / "good").read_bytes() == b"ok"


def test_restore_directory_attributes_applied_after_contents(tmp_path):
    records = [
        attr(1, FileType.REG, "/d/f", size=1),
        (1, 2, b"x"),
        attr(2, FileType.DIREND, "/d/", mode=0o40500, mtime=MTIME - 5),
    ]
    result = run_restore(records, tmp_path / "w")
    st = os.lstat(tmp_path / "w" / "d")
    assert (stat.S_IMODE(st.st_mode), int(st.st_mtime)) == (0o500, MTIME - 5)
    assert result.stats.files == 2


def test_restore_sparse_file_extends_to_saved_size(tmp_path):
    records = [
        attr(1, FileType.REG, "/s", size=100_000),
        (1, Stream.SPARSE_DATA, (50_000).to_bytes(8, "big") + b"middle"),
        (1, Stream.SHA1_DIGEST, hashlib.sha1(bytes(50_000) + b"middle" + bytes(49_994)).digest()),
    ]
    result = run_restore(records, tmp_path / "w")
    assert result.messages == []
    assert (tmp_path / "w" / "s").read_bytes() == bytes(50_000) + b"middle" + bytes(49_994)
