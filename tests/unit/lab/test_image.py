"""The image recipe names the image; the host's own apt sources feed mmdebstrap."""

from __future__ import annotations

from pathlib import Path

import pytest
from bareoslab.lab.containers import image


def test_image_tag_changes_with_the_recipe_only(monkeypatch: pytest.MonkeyPatch) -> None:
    tag = image.image_tag("bookworm")
    assert tag.startswith("bareoslab/debian:bookworm-") and tag == image.image_tag("bookworm")
    monkeypatch.setattr(image, "PACKAGES", (*image.PACKAGES, "strace"))
    assert image.image_tag("bookworm") != tag
    assert image.image_tag("trixie") != tag


def test_apt_sources_are_the_enabled_files_naming_the_suite(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text("# deb http://old bookworm main\n")
    deb822 = tmp_path / "sources.list.d" / "debian.sources"
    deb822.write_text("Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n")
    one_line = tmp_path / "sources.list.d" / "extra.list"
    one_line.write_text("deb http://mirror.example/debian bookworm contrib\n")
    (tmp_path / "sources.list.d" / "other.list").write_text("deb http://elsewhere nodistro main\n")
    (tmp_path / "sources.list.d" / "off.list.disabled").write_text("deb http://x bookworm main\n")
    assert image.apt_sources("bookworm", tmp_path) == [one_line, deb822]


def test_apt_sources_without_the_suite_say_where_they_looked(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    with pytest.raises(image.ImageError, match="names the suite 'bookworm'"):
        image.apt_sources("bookworm", tmp_path)
