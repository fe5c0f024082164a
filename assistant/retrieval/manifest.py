"""The user's documents: paths recorded in a manifest, never copied.

`kb add` records files and folders (folders are walked for .md/.qmd at every
index check, so a new runbook in a registered folder is picked up). Reading the
manifest is cheap on purpose: the consultation asks `has_user_docs()` to decide
whether retrieval is needed at all.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from assistant.errors import AssistantError
from assistant.paths import data_dir

__all__ = ["manifest_path", "registered", "has_user_docs", "add_paths", "remove_path", "expand"]


def manifest_path() -> Path:
    return data_dir() / "kb" / "manifest.json"


def registered() -> list[Path]:
    """The registered files and folders, in the order they were added."""
    path = manifest_path()
    if not path.is_file():
        return []
    try:
        return [Path(p) for p in json.loads(path.read_text(encoding="utf-8")).get("paths", [])]
    except (OSError, ValueError, AttributeError) as e:
        raise AssistantError(f"{path}: unreadable knowledge-base manifest ({e}); remove it and `assistant kb add` again") from None


def has_user_docs() -> bool:
    return bool(registered())


def _save(paths: list[Path]) -> None:
    path = manifest_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"paths": [str(p) for p in paths]}, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def expand(path: Path) -> list[Path]:
    """A registered path -> the documents under it (sorted); a vanished path gives none."""
    from assistant.retrieval.chunks import SUFFIXES

    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
    return []


def add_paths(paths: list[Path]) -> list[Path]:
    """Register files/folders (absolute); returns the ones that were new. Unusable paths raise."""
    from assistant.retrieval.chunks import SUFFIXES

    current = registered()
    added = []
    for p in paths:
        p = p.expanduser().resolve()
        if not p.exists():
            raise AssistantError(f"{p}: no such file or folder")
        if p.is_file() and p.suffix.lower() not in SUFFIXES:
            raise AssistantError(f"{p}: not a Markdown or Quarto file ({', '.join(SUFFIXES)})")
        if p.is_dir() and not expand(p):
            raise AssistantError(f"{p}: no .md or .qmd files in this folder")
        if p not in current:
            current.append(p)
            added.append(p)
    _save(current)
    return added


def remove_path(path: Path) -> Path:
    current = registered()
    target = path.expanduser().resolve()
    if target not in current:
        raise AssistantError(f"{path}: not in the knowledge base (`assistant kb list` shows what is)")
    _save([p for p in current if p != target])
    return target
