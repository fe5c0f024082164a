"""The follower reads each byte once across appends, rotation, truncation and a vanished file."""
from __future__ import annotations

import os
from pathlib import Path

from assistant.watch.follow import Follower


def data(poll) -> bytes:
    return b"".join(c.data for c in poll.chunks)


def followed(tmp_path: Path, content: bytes) -> tuple[Path, Follower]:
    """A log with ``content``, already read once by a follower."""
    log = tmp_path / "train.log"
    log.write_bytes(content)
    f = Follower(log)
    f.poll()
    return log, f


def test_appends_are_read_from_the_kept_offset(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"one\n")
    f = Follower(log)
    first = f.poll()
    assert data(first) == b"one\n" and first.notes == ["appeared"]
    assert data(f.poll()) == b""  # nothing new: nothing read again
    with open(log, "ab") as fh:
        fh.write(b"two\nthr")
    assert data(f.poll()) == b"two\nthr"
    with open(log, "ab") as fh:
        fh.write(b"ee\n")
    got = f.poll()
    assert data(got) == b"ee\n" and not any(c.fresh for c in got.chunks)
    assert f.offset == len(b"one\ntwo\nthree\n")


def test_a_missing_file_is_waited_for(tmp_path: Path) -> None:
    f = Follower(tmp_path / "later.log")
    assert data(f.poll()) == b"" and f.poll().notes == []
    (tmp_path / "later.log").write_bytes(b"x\n")
    got = f.poll()
    assert data(got) == b"x\n" and got.notes == ["appeared"]


def test_rotation_reads_the_old_tail_then_the_new_file(tmp_path: Path) -> None:
    log, f = followed(tmp_path, b"a\n")
    with open(log, "ab") as fh:
        fh.write(b"b\n")  # written just before the rotation: still to be read from the old file
    os.rename(log, tmp_path / "train.log.1")
    log.write_bytes(b"c\n")
    got = f.poll()
    assert [(c.data, c.fresh) for c in got.chunks] == [(b"b\n", False), (b"c\n", True)]
    assert got.notes == ["rotated"]


def test_truncation_starts_again_from_zero(tmp_path: Path) -> None:
    log, f = followed(tmp_path, b"a long first line\n")
    with open(log, "r+b") as fh:
        fh.truncate(0)
        fh.write(b"new\n")
    got = f.poll()
    assert got.notes == ["truncated"] and [(c.data, c.fresh) for c in got.chunks] == [(b"new\n", True)]


def test_vanish_and_return(tmp_path: Path) -> None:
    log, f = followed(tmp_path, b"a\n")
    log.unlink()
    assert f.poll().notes == ["vanished"]
    assert f.poll().notes == []  # said once
    log.write_bytes(b"b\n")
    got = f.poll()
    assert got.notes == ["returned"] and [(c.data, c.fresh) for c in got.chunks] == [(b"b\n", True)]


def test_a_backlog_is_read_in_bounded_pieces(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    log.write_bytes(b"x" * 1000)
    f = Follower(log, max_read=300)
    sizes = [f.poll().size for _ in range(5)]
    assert sizes == [300, 300, 300, 100, 0]
