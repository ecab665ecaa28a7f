import errno
import hashlib
import os
import struct
import threading
import zlib

import pytest
import xxhash
from bareoslab.codes import FileType, Stream
from bareoslab.filed import backup_stream
from bareoslab.filed.attribs import decode_attributes
from bareoslab.filed.backup_stream import COMPRESSION_HEADER, data_stream_for, file_streams
from bareoslab.filed.fileset import FileSetSpec, IncludeBlock, Options, walk

CHUNK = 64 * 1024


def entry_for(path, **options):
    spec = FileSetSpec(include=[IncludeBlock(options=[Options(**options)], files=[str(path)])])
    entries = list(walk(spec))
    return entries[0]


def collect(fs):
    """[(stream, [chunk bytes])] of a FileStreams, copying each chunk before advancing."""
    return [(int(stream), [bytes(c) for c in chunks]) for stream, chunks in fs]


@pytest.fixture
def data_file(tmp_path):
    p = tmp_path / "data.bin"
    # compressible but not trivial, 3.5 chunks
    p.write_bytes(
        b"".join(b"line %06d of the test file\n" % i for i in range(8000))[: int(CHUNK * 3.5)]
    )
    return p


def test_backup_plain_data(data_file):
    fs = file_streams(entry_for(data_file), 7, chunk_size=CHUNK)
    got = collect(fs)
    assert [s for s, _ in got] == [Stream.UNIX_ATTRIBUTES, Stream.FILE_DATA]
    (attrs_rec,) = got[0][1]
    attrs = decode_attributes(attrs_rec)
    assert (attrs.file_index, attrs.file_type, attrs.name) == (7, FileType.REG, str(data_file))
    assert attrs.lstat.st_size == data_file.stat().st_size and attrs.lstat.data_stream == 2
    chunks = got[1][1]
    assert [len(c) for c in chunks] == [CHUNK, CHUNK, CHUNK, CHUNK // 2]
    assert b"".join(chunks) == data_file.read_bytes()
    out = fs.outcome
    assert (out.read_bytes, out.sent_bytes, out.errors, out.warnings) == (int(CHUNK * 3.5),) * 2 + (
        [],
        [],
    )
    assert out.sent and out.ok and out.digest is None


def test_a_file_that_grew_after_the_walk_is_read_to_its_end(data_file):
    """A short read that ends at the walk's size ends the file without another read; a file
    longer by then is read on to its end, and the size change is reported."""
    entry = entry_for(data_file, signature="MD5")
    with data_file.open("ab") as f:
        f.write(b"written after the walk\n")
    fs = file_streams(entry, 1, chunk_size=CHUNK)
    got = dict(collect(fs))
    data = data_file.read_bytes()
    assert b"".join(got[Stream.FILE_DATA]) == data
    assert got[Stream.MD5_DIGEST] == [hashlib.md5(data).digest()]
    assert fs.outcome.read_bytes == len(data)
    assert fs.outcome.warnings == [
        f"{data_file}: size changed while reading: expected {entry.stat.st_size} bytes, read {len(data)}"]


@pytest.mark.parametrize(
    ("signature", "stream", "algo"),
    [
        ("MD5", Stream.MD5_DIGEST, "md5"),
        ("SHA1", Stream.SHA1_DIGEST, "sha1"),
        ("SHA256", Stream.SHA256_DIGEST, "sha256"),
        ("SHA512", Stream.SHA512_DIGEST, "sha512"),
    ],
)
def test_backup_digest_streams(data_file, signature, stream, algo):
    fs = file_streams(entry_for(data_file, signature=signature), 1, chunk_size=CHUNK)
    got = collect(fs)
    assert [s for s, _ in got] == [1, 2, stream]
    expected = hashlib.new(algo, data_file.read_bytes()).digest()
    assert got[2][1] == [expected]
    assert (fs.outcome.digest, fs.outcome.digest_stream) == (expected, stream)


def test_backup_xxh128_digest_is_the_canonical_xxh3_128(data_file):
    """Bareos' stock FileSets say Signature = XXH128: XXH3 128-bit, sent as its canonical
    (big-endian) 16 bytes on stream 40."""
    fs = file_streams(entry_for(data_file, signature="XXH128"), 1, chunk_size=CHUNK)
    got = collect(fs)
    assert [s for s, _ in got] == [1, 2, Stream.XXH128_DIGEST]
    digest = got[2][1][0]
    assert len(digest) == 16 and digest == xxhash.xxh3_128(data_file.read_bytes()).digest()
    assert int.from_bytes(digest, "big") == xxhash.xxh3_128_intdigest(data_file.read_bytes())
    assert fs.outcome.warnings == []


@pytest.mark.parametrize(("compression", "level"), [("GZIP", 6), ("GZIP1", 1), ("GZIP9", 9)])
def test_backup_compressed_chunks_are_independent_zlib_streams(data_file, compression, level):
    fs = file_streams(
        entry_for(data_file, compression=compression, signature="MD5"), 1, chunk_size=CHUNK
    )
    got = collect(fs)
    assert [s for s, _ in got] == [1, Stream.COMPRESSED_DATA, Stream.MD5_DIGEST]
    assert decode_attributes(got[0][1][0]).lstat.data_stream == Stream.COMPRESSED_DATA
    plain = []
    for rec in got[1][1]:
        magic, length, lvl, version = COMPRESSION_HEADER.unpack_from(rec)
        assert (magic, lvl, version, length) == (b"GZIP", level, 1, len(rec) - 12)
        plain.append(zlib.decompress(rec[12:]))
    assert [len(p) for p in plain] == [CHUNK, CHUNK, CHUNK, CHUNK // 2]
    assert b"".join(plain) == data_file.read_bytes()
    assert got[2][1] == [hashlib.md5(data_file.read_bytes()).digest()]
    assert fs.outcome.sent_bytes == sum(len(r) for r in got[1][1]) < fs.outcome.read_bytes


def test_backup_unsupported_compression_falls_back_to_plain(data_file):
    fs = file_streams(entry_for(data_file, compression="LZ4"), 1, chunk_size=CHUNK)
    assert [s for s, _ in collect(fs)] == [1, 2]
    assert "not supported" in fs.outcome.warnings[0]


def unsparse(records):
    out = bytearray()
    for rec in records:
        (offset,) = struct.unpack_from(">Q", rec)
        data = rec[8:]
        if rec[8:12] == b"GZIP":
            data = zlib.decompress(rec[20:])
        out[len(out) :] = bytes(max(0, offset - len(out)))
        out[offset : offset + len(data)] = data
    return bytes(out)


@pytest.mark.parametrize("compression", [None, "GZIP"])
def test_backup_sparse_skips_zero_chunks_but_not_the_last(tmp_path, compression):
    p = tmp_path / "sparse"
    rsize = CHUNK - 8
    with open(p, "wb") as f:
        f.truncate(rsize * 10)
        f.seek(rsize * 4 + 5)
        f.write(b"island")
    fs = file_streams(
        entry_for(p, sparse=True, compression=compression, signature="SHA1"), 1, chunk_size=CHUNK
    )
    got = collect(fs)
    stream = Stream.SPARSE_COMPRESSED_DATA if compression else Stream.SPARSE_DATA
    assert [s for s, _ in got] == [1, stream, Stream.SHA1_DIGEST]
    records = got[1][1]
    offsets = [struct.unpack_from(">Q", r)[0] for r in records]
    assert offsets == [rsize * 4, rsize * 9]  # the island and the (all-zero) last chunk
    assert all(len(r) <= CHUNK for r in records)
    assert unsparse(records) == p.read_bytes()
    assert got[2][1] == [hashlib.sha1(p.read_bytes()).digest()]
    assert fs.outcome.read_bytes == rsize * 10


def test_backup_sparse_short_file_sends_its_only_chunk(tmp_path):
    p = tmp_path / "zeros"
    p.write_bytes(bytes(100))
    got = collect(file_streams(entry_for(p, sparse=True), 1, chunk_size=CHUNK))
    assert got[1] == (Stream.SPARSE_DATA, [struct.pack(">Q", 0) + bytes(100)])


def test_backup_empty_file_has_no_data_but_a_digest(tmp_path):
    p = tmp_path / "empty"
    p.write_bytes(b"")
    fs = file_streams(entry_for(p, signature="MD5"), 3)
    got = collect(fs)
    assert decode_attributes(got[0][1][0]).file_type == FileType.REGE
    assert got[1:] == [(Stream.MD5_DIGEST, [hashlib.md5(b"").digest()])]


def test_backup_symlink_directory_and_fifo_send_attributes_only(tmp_path):
    os.symlink("/nowhere/target", tmp_path / "link")
    os.mkfifo(tmp_path / "fifo")
    for path, ftype, link in [
        (tmp_path / "link", FileType.LNK, "/nowhere/target"),
        (tmp_path / "fifo", FileType.SPEC, ""),
    ]:
        got = collect(file_streams(entry_for(path, signature="MD5"), 1))
        assert [s for s, _ in got] == [1]
        attrs = decode_attributes(got[0][1][0])
        assert (attrs.file_type, attrs.link) == (ftype, link)
    (tmp_path / "dir").mkdir()
    spec = FileSetSpec(include=[IncludeBlock(files=[str(tmp_path / "dir")])])
    (entry,) = walk(spec)
    got = collect(file_streams(entry, 1))
    assert decode_attributes(got[0][1][0]).name == str(tmp_path / "dir") + "/"


def test_backup_hard_links_use_linkfi_and_repeat_the_digest(tmp_path):
    (tmp_path / "a").write_bytes(b"shared")
    os.link(tmp_path / "a", tmp_path / "b")
    spec = FileSetSpec(
        include=[IncludeBlock(options=[Options(signature="MD5")], files=[str(tmp_path)])]
    )
    first, second, _dir = walk(spec)
    got1 = collect(file_streams(first, 11))
    got2 = collect(file_streams(second, 12))
    a1, a2 = decode_attributes(got1[0][1][0]), decode_attributes(got2[0][1][0])
    assert (a1.file_type, a1.lstat.link_fi) == (FileType.REG, 0)
    assert (a2.file_type, a2.lstat.link_fi, a2.link) == (FileType.LNKSAVED, 11, str(tmp_path / "a"))
    assert [s for s, _ in got2] == [1, Stream.MD5_DIGEST]
    assert got2[1][1] == [hashlib.md5(b"shared").digest()]


def test_backup_hard_link_whose_first_name_failed_carries_the_data(tmp_path, monkeypatch):
    (tmp_path / "a").write_bytes(b"shared")
    os.link(tmp_path / "a", tmp_path / "b")
    spec = FileSetSpec(include=[IncludeBlock(files=[str(tmp_path)])])
    first, second, _dir = walk(spec)
    real_open = backup_stream._os_open

    def fail_first(path, flags, *a, **kw):
        if path == first.path:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, *a, **kw)

    monkeypatch.setattr(backup_stream, "_os_open", fail_first)
    fs1 = file_streams(first, 5)
    assert collect(fs1) == [] and not fs1.outcome.sent and "Cannot open" in fs1.outcome.errors[0]
    got = collect(file_streams(second, 5))  # the caller reuses FileIndex 5
    attrs = decode_attributes(got[0][1][0])
    assert (attrs.file_type, attrs.link, attrs.lstat.link_fi) == (FileType.REG, "", 0)
    assert got[1] == (Stream.FILE_DATA, [b"shared"])


def test_backup_vanished_file_produces_no_stream(data_file):
    entry = entry_for(data_file)
    data_file.unlink()
    fs = file_streams(entry, 1)
    assert collect(fs) == []
    assert not fs.outcome.sent and "Cannot open" in fs.outcome.errors[0]


def test_backup_file_replaced_by_symlink_is_not_followed(data_file, tmp_path):
    entry = entry_for(data_file)
    data_file.unlink()
    os.symlink("/etc/hostname", data_file)
    fs = file_streams(entry, 1)
    assert collect(fs) == [] and fs.outcome.errors


def test_backup_shrunk_file_warns(data_file):
    entry = entry_for(data_file, signature="MD5")
    with open(data_file, "r+b") as f:
        f.truncate(1000)
    fs = file_streams(entry, 1, chunk_size=CHUNK)
    got = collect(fs)
    assert got[1] == (Stream.FILE_DATA, [data_file.read_bytes()])
    assert got[2][1] == [hashlib.md5(data_file.read_bytes()).digest()]
    assert fs.outcome.ok and "size changed" in fs.outcome.warnings[0]


def test_backup_read_error_is_an_error_outcome_without_digest(data_file, monkeypatch):
    class Failing:
        def __init__(self, fd, *a, **kw):
            self.f = open(fd, "rb", buffering=0)  # noqa: SIM115
            self.calls = 0

        def _fail_after_first(self):
            self.calls += 1
            if self.calls > 1:
                raise OSError(errno.EIO, "Input/output error")

        def readinto(self, buf):  # compressed and sparse data
            self._fail_after_first()
            return self.f.readinto(buf)

        def read(self, size):  # plain data
            self._fail_after_first()
            return self.f.read(size)

        def fileno(self):
            return self.f.fileno()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(backup_stream, "open", Failing, raising=False)
    fs = file_streams(entry_for(data_file, signature="MD5"), 1, chunk_size=CHUNK)
    got = collect(fs)
    assert [s for s, _ in got] == [1, 2]
    assert len(got[1][1]) == 1
    assert "Input/output error" in fs.outcome.errors[0] and fs.outcome.read_bytes == CHUNK


def test_backup_abandoned_chunks_are_drained(data_file):
    fs = file_streams(entry_for(data_file, signature="MD5"), 1, chunk_size=CHUNK)
    streams = []
    for stream, chunks in fs:
        streams.append(stream)
        next(chunks)  # take one chunk only
    assert streams == [1, 2, 3]
    assert fs.outcome.digest == hashlib.md5(data_file.read_bytes()).digest()


def test_backup_plain_chunks_are_bytes_no_later_read_changes(data_file):
    fs = file_streams(entry_for(data_file), 1, chunk_size=CHUNK)
    it = iter(fs)
    next(it)
    _, chunks = next(it)
    first, second = next(chunks), next(chunks)
    assert type(first) is bytes and bytes(first) is first  # the sender's bytes() copies nothing
    data = data_file.read_bytes()
    assert (first, second) == (data[:CHUNK], data[CHUNK : 2 * CHUNK])


def test_backup_data_stream_selection(data_file):
    assert data_stream_for(Options()) == Stream.FILE_DATA
    assert data_stream_for(Options(compression="GZIP")) == Stream.COMPRESSED_DATA
    assert data_stream_for(Options(sparse=True)) == Stream.SPARSE_DATA
    assert (
        data_stream_for(Options(sparse=True, compression="GZIP3")) == Stream.SPARSE_COMPRESSED_DATA
    )
    with pytest.raises(ValueError):
        file_streams(entry_for(data_file), 1, chunk_size=8)


def _digest_threads():
    return [t for t in threading.enumerate() if t.name == "backup-digest"]


@pytest.mark.parametrize("workers", [0, 2])
def test_backup_digest_is_the_same_in_a_digest_thread_and_in_the_reader(data_file, workers):
    """Maximum Workers Per Job > 0: a file of two chunks or more is hashed by a thread of its
    own while it is read; 0: by the reader. The records are the same either way."""
    fs = file_streams(entry_for(data_file, signature="MD5"), 1, chunk_size=CHUNK, workers=workers)
    it = iter(fs)
    next(it)
    _, chunks = next(it)
    data = [next(chunks)]
    assert len(_digest_threads()) == (1 if workers else 0)
    data += list(chunks)
    assert _digest_threads() == []  # finished with the data: the digest is whole
    assert b"".join(data) == data_file.read_bytes()
    assert next(it)[0] == Stream.MD5_DIGEST
    assert fs.outcome.digest == hashlib.md5(data_file.read_bytes()).digest()


def test_backup_a_file_of_one_chunk_is_hashed_by_its_reader(tmp_path):
    small = tmp_path / "small.bin"
    small.write_bytes(os.urandom(CHUNK + 1))  # under two chunks: no thread for it
    fs = file_streams(entry_for(small, signature="SHA256"), 1, chunk_size=CHUNK, workers=2)
    it = iter(fs)
    next(it)
    _, chunks = next(it)
    next(chunks)
    assert _digest_threads() == []
    got = dict(collect(fs))
    assert fs.outcome.digest == hashlib.sha256(small.read_bytes()).digest()
    assert got == {Stream.SHA256_DIGEST: [fs.outcome.digest]}


def test_backup_abandoned_reader_stops_its_digest_thread(data_file):
    fs = file_streams(entry_for(data_file, signature="MD5"), 1, chunk_size=CHUNK, workers=2)
    it = iter(fs)
    next(it)
    _, chunks = next(it)
    next(chunks)
    assert len(_digest_threads()) == 1
    chunks.close()  # the sender gave up (a canceled job)
    assert _digest_threads() == []


def test_digest_thread_failure_reaches_the_reader():
    class Broken:
        def update(self, chunk):
            raise MemoryError("no memory for the digest")

    digest = backup_stream.DigestThread(Broken())
    digest.update(b"x" * 10)
    with pytest.raises(MemoryError, match="no memory"):
        for _ in range(backup_stream.DIGEST_DEPTH + 1):  # never waits for room that does not come
            digest.update(b"x" * 10)
    digest.finish()
    assert _digest_threads() == []
