"""Loading the project's own YAML data files (rules/*.yaml tables) quickly.

`ask` is one-shot and reads several tables at start (phrases, claims, signatures,
ranges, gpus, meanings, facts, diagnoses). PyYAML's pure-Python parser spends most of
a quarter second on them, libyaml ~40 ms; a table already parsed once is read back
from a marshal file in the cache directory, keyed by the hash of the file's bytes,
in about a millisecond. These are our files, not user attachments (those go through
the readers' guarded loaders).
"""
from __future__ import annotations

import hashlib
import marshal
import os
from pathlib import Path
from typing import Any

from assistant.paths import cache_dir

__all__ = ["load_yaml_file"]

_CACHE_VERSION = "1"   # in the cache file's name: bump it if the parsed form changes


def _parse(raw: bytes) -> Any:
    import yaml  # lazy: a process whose tables are all cached never imports PyYAML

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(raw.decode("utf-8"), Loader=loader)  # noqa: S506 - a safe loader


def load_yaml_file(path: Path) -> Any:
    """The parsed YAML of one of our data files (a fresh copy each call)."""
    raw = Path(path).read_bytes()
    key = hashlib.sha1(raw).hexdigest()[:20]
    cached = cache_dir() / "tables" / f"{Path(path).stem}-{key}-v{_CACHE_VERSION}.marshal"
    try:
        return marshal.loads(cached.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        pass
    data = _parse(raw)
    try:
        blob = marshal.dumps(data)
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f"{cached.name}.{os.urandom(4).hex()}.tmp")
        tmp.write_bytes(blob)
        os.replace(tmp, cached)
    except (OSError, ValueError):   # unmarshallable values (dates) or a read-only cache: parse each time
        pass
    return data
