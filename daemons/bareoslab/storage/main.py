"""``bareoslab-sd``: the Storage Daemon's entry point."""

from .daemon import main

if __name__ == "__main__":
    raise SystemExit(main())
