"""The lab's sample tree: the kinds of entries a backup and a restore must get right.

Directories (one empty), small and larger files with seeded content, an empty file, a name
with blanks and non-ASCII characters, a file of mode 0600 (owned by ``nobody`` where we may
change owners), an executable, a symbolic link to a file and one to a directory, a hard
link, and on request ``big`` MiB of random data. The loopback lab calls :func:`make_tree`;
a deployed lab runs this very file on its clients (``python3 -c <source> ROOT SEED [BIG]``),
which is why it needs nothing but the standard library.
"""

import os
import random
import shutil
import sys


def make_tree(root: str, seed: str, big: int = 0) -> int:
    """(Re)create the tree in ``root``; the number of entries, ``root`` included."""
    shutil.rmtree(root, ignore_errors=True)
    rnd = random.Random(seed)
    os.makedirs(os.path.join(root, "empty-dir"))
    for d in range(3):
        sub = os.path.join(root, f"dir-{d}", "nested")
        os.makedirs(sub)
        for f in range(3):
            with open(os.path.join(root, f"dir-{d}", f"file-{f}.txt"), "w") as fh:
                fh.write(f"{seed} dir {d} file {f}\n" * rnd.randint(1, 200))
        with open(os.path.join(sub, "blob.bin"), "wb") as fh:
            fh.write(rnd.randbytes(64 * 1024 * (d + 1)))
    with open(os.path.join(root, "hello.txt"), "w") as fh:
        fh.write("Hello from the bareoslab sample data.\n")
    open(os.path.join(root, "empty"), "w").close()
    docs = os.path.join(root, "docs")
    os.makedirs(docs)
    with open(os.path.join(docs, "notes.md"), "w") as fh:
        fh.write("# Notes\n\n" + "A line of text for the backup.\n" * 40)
    with open(os.path.join(docs, "Grüße aus Köln — ½ €.txt"), "w", encoding="utf-8") as fh:
        fh.write("A name with spaces and non-ASCII characters.\n")
    secret = os.path.join(docs, "private.txt")
    with open(secret, "w") as fh:
        fh.write("mode 0600\n")
    os.chmod(secret, 0o600)
    if os.geteuid() == 0:
        os.chown(secret, 65534, 65534)
    os.makedirs(os.path.join(root, "bin"))
    script = os.path.join(root, "bin", "run.sh")
    with open(script, "w") as fh:
        fh.write("#!/bin/sh\necho bareoslab\n")
    os.chmod(script, 0o755)
    os.symlink("hello.txt", os.path.join(root, "link-to-hello"))
    os.symlink("docs", os.path.join(root, "link-to-docs"))
    os.link(os.path.join(root, "dir-1", "file-1.txt"), os.path.join(root, "hardlink.txt"))
    if big:
        with open(os.path.join(root, "big.bin"), "wb") as fh:
            for _ in range(big):
                fh.write(os.urandom(1024 * 1024))
    return 1 + sum(len(ds) + len(fs) for _, ds, fs in os.walk(root))


if __name__ == "__main__":
    print(make_tree(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0))
