"""The Triton JIT cache: where it is and how much it holds.

A patched Triton kernel (an fp8 quantisation fix, say) changes nothing while
the cache still serves the old build. The cache can hold tens of thousands of
files, so the walk stops at ``MAX_FILES`` or ``MAX_SECONDS`` and says so; the
size is then a lower bound.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Mapping

__all__ = ["cache_dir", "triton_section", "MAX_FILES", "MAX_SECONDS"]

MAX_FILES = 50_000
MAX_SECONDS = 0.5


def cache_dir(environ: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """TRITON_CACHE_DIR, else $TRITON_HOME/.triton/cache, else ~/.triton/cache (Triton's own order)."""
    env = os.environ if environ is None else environ
    if env.get("TRITON_CACHE_DIR"):
        return Path(env["TRITON_CACHE_DIR"])
    base = Path(env["TRITON_HOME"]) if env.get("TRITON_HOME") else (home or Path.home())
    return base / ".triton" / "cache"


def triton_section(path: Path, max_files: int = MAX_FILES, max_seconds: float = MAX_SECONDS) -> dict[str, Any]:
    """cache_dir, cache_entries (compiled kernels), cache_bytes, cache_complete (False when the walk was cut)."""
    section: dict[str, Any] = {"cache_dir": str(path), "cache_entries": 0, "cache_bytes": 0, "cache_complete": True}
    if not path.is_dir():
        return section
    deadline = time.monotonic() + max_seconds
    seen = 0
    for top, dirs, files in os.walk(path):
        if Path(top) == path:
            section["cache_entries"] = len(dirs) + len(files)
        for name in files:
            seen += 1
            if seen > max_files or time.monotonic() > deadline:
                section["cache_complete"] = False
                return section
            try:
                section["cache_bytes"] += os.lstat(os.path.join(top, name)).st_size
            except OSError:
                continue
    return section
