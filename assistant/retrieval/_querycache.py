"""Vectors of short texts already embedded, kept on disk: a repeated question costs no model.

People ask the same things again (a re-run of `ask`, the chat repeating a question,
the words layer's clauses), and a query vector is 1.5 KB while computing it needs the
tokenizer and the weights. One file per text, named by a hash of the text, under a
folder named by the model's key, so other weights never see these vectors. Files
are written atomically; past MAX_ENTRIES the oldest are dropped.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from assistant.paths import cache_dir

__all__ = ["QueryCache", "MAX_ENTRIES"]

MAX_ENTRIES = 20_000   # 30 MB of 384-d vectors


class QueryCache:
    """text -> float32 vector, for one model (named by its key)."""

    def __init__(self, model_key: str, dim: int, folder: Path | None = None) -> None:
        self.folder = folder or cache_dir() / "embedder" / f"queries-{model_key}"
        self.dim = dim

    def _path(self, text: str) -> Path:
        return self.folder / (hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".f32")

    def get(self, text: str) -> Any | None:
        """The stored vector, or None (absent, or a file of the wrong size)."""
        import numpy as np

        try:
            raw = self._path(text).read_bytes()
        except OSError:
            return None
        return np.frombuffer(raw, dtype=np.float32) if len(raw) == 4 * self.dim else None

    def put(self, text: str, vector: Any) -> None:
        """Store a vector; a cache that cannot be written is simply not used."""
        import numpy as np

        path = self._path(text)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.urandom(4).hex()}.tmp")
            tmp.write_bytes(np.ascontiguousarray(vector, dtype=np.float32).tobytes())
            os.replace(tmp, path)
            self._trim()
        except OSError:
            pass

    def _trim(self) -> None:
        names = os.listdir(self.folder)
        if len(names) <= MAX_ENTRIES:
            return
        paths = sorted((self.folder / n for n in names), key=lambda p: p.stat().st_mtime)
        for p in paths[: len(paths) - MAX_ENTRIES * 9 // 10]:
            p.unlink(missing_ok=True)
