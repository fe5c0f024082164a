"""Follow one growing file by path, as `tail -F` does, without ever re-reading a byte.

A trainer's log grows by appends; a job script may rotate it (rename + a new file),
truncate it in place (``copytruncate``, or a restart writing with ``>``), delete it and
write it again. The follower keeps the open descriptor and the offset read so far:

* appends are read from the kept offset;
* a file now at the path with another inode is a new file: the rest of the old one
  is read through the kept descriptor first, then the new one from its start;
* the same inode grown shorter than the offset was truncated: read again from 0;
* a vanished path keeps the old descriptor (a deleted log can still be written)
  until a file appears at the path again.

Each chunk says whether it starts a new file, so the parser behind it can drop its
partial line and its line count.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

__all__ = ["Chunk", "Follower", "Poll", "MAX_READ"]

MAX_READ = 8 * 1024 * 1024  # bytes read per poll at most: memory stays bounded on a huge backlog


@dataclass
class Chunk:
    """Bytes read in one poll; ``fresh`` when they are the start of a new file at the path."""

    data: bytes
    fresh: bool = False


@dataclass
class Poll:
    """What one poll found: the chunks in file order and one word per change (appeared, rotated...)."""

    chunks: list[Chunk] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(c.data) for c in self.chunks)


class Follower:
    """One path followed across appends, rotation, truncation and disappearance."""

    def __init__(self, path: Path, max_read: int = MAX_READ) -> None:
        self.path = Path(path)
        self.max_read = max_read
        self.offset = 0
        self._file: BinaryIO | None = None
        self._identity: tuple[int, int] | None = None  # (device, inode) of the open file
        self._present = False  # the path existed at the last poll
        self._seen = False  # a file was ever opened at the path
        self._fresh = False  # the next bytes read start a new file

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def poll(self) -> Poll:
        """Read what was added since the last poll (at most ``max_read`` bytes)."""
        out = Poll()
        budget = self.max_read
        if self._file is None and not self._open(out):
            return out
        budget -= self._drain(out, budget)
        try:
            st = os.stat(self.path)
        except OSError:  # gone (or unreadable): keep the old descriptor, wait for it to come back
            if self._present:
                out.notes.append("vanished")
            self._present = False
            return out
        if (st.st_dev, st.st_ino) != self._identity:
            if budget > 0 and self._drained():  # the old file is read to its end: switch
                self.close()
                if self._open(out, "rotated" if self._present else "returned"):
                    self._drain(out, budget)
            return out
        if not self._present:
            out.notes.append("returned")
        self._present = True
        if st.st_size < self.offset:  # truncated in place
            assert self._file is not None
            self._file.seek(0)
            self.offset, self._fresh = 0, True
            out.notes.append("truncated")
            self._drain(out, budget)
        return out

    def _open(self, out: Poll, note: str = "") -> bool:
        try:
            f = open(self.path, "rb")  # noqa: SIM115 - kept open across polls on purpose
        except OSError:
            return False
        st = os.fstat(f.fileno())
        self._file, self._identity, self.offset = f, (st.st_dev, st.st_ino), 0
        self._present = True
        out.notes.append(note or ("returned" if self._seen else "appeared"))
        self._seen = self._fresh = True
        return True

    def _drain(self, out: Poll, budget: int) -> int:
        """Read up to ``budget`` bytes from the kept offset; returns how many were read."""
        assert self._file is not None
        data = self._file.read(budget) if budget > 0 else b""
        if data or self._fresh:  # an empty new file still resets the parser behind us
            out.chunks.append(Chunk(data, self._fresh))
            self.offset += len(data)
            self._fresh = False
        return len(data)

    def _drained(self) -> bool:
        assert self._file is not None
        return os.fstat(self._file.fileno()).st_size <= self.offset
