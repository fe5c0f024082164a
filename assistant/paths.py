"""Every path the assistant uses, in one place.

The rulebase and knowledge ship inside the source tree; caches, user data and
settings (the API token) go under the XDG directories (overridable with
TSA_CACHE_DIR / TSA_DATA_DIR / TSA_CONFIG_DIR so tests and CI never touch a real home).
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PROJECT_DIR", "RULES_DIR", "KNOWLEDGE_DIR", "EXAMPLES_DIR", "cache_dir", "config_dir", "data_dir"]

PROJECT_DIR = Path(__file__).resolve().parent.parent
RULES_DIR = PROJECT_DIR / "rules"
KNOWLEDGE_DIR = PROJECT_DIR / "knowledge"
EXAMPLES_DIR = PROJECT_DIR / "examples"


def cache_dir() -> Path:
    base = os.environ.get("TSA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "training-stability-assistant")
    return Path(base)


def data_dir() -> Path:
    base = os.environ.get("TSA_DATA_DIR") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "training-stability-assistant")
    return Path(base)


def config_dir() -> Path:
    """Settings the assistant writes for the user (the HTTP API's token): kept private, never cached data."""
    base = os.environ.get("TSA_CONFIG_DIR") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "training-stability-assistant")
    return Path(base)
