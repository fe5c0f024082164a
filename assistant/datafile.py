"""Loading the project's own YAML data files (rules/*.yaml tables) quickly.

`ask` is one-shot and reads several tables at start; PyYAML's pure-Python parser
spends most of a quarter second on them, libyaml a fraction of that. These are
our files, not user attachments (those go through the readers' guarded loaders).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["load_yaml_file"]

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml_file(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 - a safe loader
