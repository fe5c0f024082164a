"""Roots: what a client may make the server read; links and `..` cannot leave them."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.mcp_server.roots import OutsideRoots, Roots


def test_inside_outside_relative_and_links(tmp_path: Path) -> None:
    allowed, other = tmp_path / "runs", tmp_path / "secrets"
    allowed.mkdir()
    other.mkdir()
    (allowed / "train.log").write_text("x")
    (other / "key.txt").write_text("x")
    (allowed / "link.txt").symlink_to(other / "key.txt")
    roots = Roots.of([allowed])
    assert roots.resolve(str(allowed / "train.log")) == (allowed / "train.log").resolve()
    assert roots.resolve("train.log") == (allowed / "train.log").resolve()  # relative: from the first root
    assert roots.resolve(str(allowed)) == allowed.resolve()  # a run folder is fine
    for bad in (str(other / "key.txt"), "../secrets/key.txt", str(allowed / "link.txt"), "/etc/passwd"):
        with pytest.raises(OutsideRoots, match="outside the folders"):
            roots.resolve(bad)


def test_a_root_must_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(AssistantError, match="not a folder"):
        Roots.of([tmp_path / "missing"])
