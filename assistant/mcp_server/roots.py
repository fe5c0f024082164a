"""The folders an MCP client may make the server read (``--root DIR``, repeatable).

A client (an agent, a chat app) names files in tool arguments; the server reads
only those inside a root the person who started it allowed. Paths are resolved
(symlinks followed, ``..`` collapsed) before the check, so a link inside a root
that points outside it is refused too. Relative paths are taken from the first
root. Refusals say which roots there are and how to add one.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from assistant.errors import AssistantError

__all__ = ["Roots", "OutsideRoots"]


class OutsideRoots(AssistantError):
    """A path the client asked for is not under any allowed root."""


@dataclass(frozen=True)
class Roots:
    folders: tuple[Path, ...]

    @classmethod
    def of(cls, folders: Iterable[Path]) -> "Roots":
        resolved = []
        for f in folders:
            p = Path(f).expanduser().resolve()
            if not p.is_dir():
                raise AssistantError(f"--root {f}: not a folder")
            resolved.append(p)
        return cls(tuple(resolved))

    def resolve(self, name: str) -> Path:
        """The real path of ``name`` if it lies under a root; else OutsideRoots saying why."""
        if not self.folders:
            raise OutsideRoots(f"{name}: this server was started without --root, so it reads no files; "
                               "restart it with `assistant mcp --root DIR`")
        p = Path(name).expanduser()
        real = (p if p.is_absolute() else self.folders[0] / p).resolve()
        if any(real == root or real.is_relative_to(root) for root in self.folders):
            return real
        allowed = ", ".join(str(r) for r in self.folders)
        raise OutsideRoots(f"{name}: outside the folders this server may read ({allowed}); "
                           "add one with another --root DIR")

    def resolve_all(self, names: Iterable[str]) -> list[Path]:
        return [self.resolve(n) for n in names]
