"""Arrays generated at development time and shipped in the package, with the digest of their source.

Vectors of the guide (assistant/retrieval/knowledge.npz) and of the symptom
paraphrases (assistant/words/meanings.npz) are computed once by a command and
committed, so a user's first question loads them instead of running a model over
hundreds of texts. Each file holds the digest of what it was built from; a file
whose digest does not match the current source (an edited checkout) is not used,
and the same arrays are built once into the user's cache instead. Tests compare
the shipped digest with the source, so a forgotten rebuild fails CI.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

__all__ = ["save_arrays", "load_arrays", "find_or_build", "text_array", "array_text"]


def save_arrays(target: Path, digest: str, **arrays: Any) -> None:
    """Write an .npz holding `arrays` and `digest`, atomically (a temporary name, then replace)."""
    import numpy as np

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.stem}.{os.urandom(4).hex()}.tmp.npz")
    np.savez(tmp, digest=np.array(digest), **arrays)
    os.replace(tmp, target)


def load_arrays(path: Path, digest: str | None) -> dict[str, Any] | None:
    """The arrays of `path` when it exists and was built from `digest` (None: any digest), else None."""
    import numpy as np

    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            if digest is not None and str(data["digest"]) != digest:
                return None
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, KeyError):   # a truncated or foreign file is rebuilt, never fatal
        return None


def find_or_build(shipped: Path, cached: Path, digest: str,
                  build: Callable[[Path], bool]) -> dict[str, Any] | None:
    """The shipped arrays when current, else the cache's, else `build(cached)` then those; None
    when nothing current exists and `build` could not make it (e.g. no embedding weights)."""
    for path in (shipped, cached):
        arrays = load_arrays(path, digest)
        if arrays is not None:
            return arrays
    return load_arrays(cached, digest) if build(cached) else None


def text_array(text: str) -> Any:
    """A string as UTF-8 bytes in a uint8 array (numpy's str arrays take 4 bytes a character)."""
    import numpy as np

    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def array_text(array: Any) -> str:
    return array.tobytes().decode("utf-8")
