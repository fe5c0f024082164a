"""Shared set-up for the chat tests: private user paths and the real cases.

The cache and data directories are temporary for the whole TUI session (one
rulebase compile, not one per test); the tmux test hands them to the process
it starts.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from .helpers import CASES


@pytest.fixture(scope="session", autouse=True)
def user_dirs() -> Iterator[Path]:
    """TSA_CACHE_DIR / TSA_DATA_DIR in a temp dir for the session, restored afterwards."""
    saved = {k: os.environ.get(k) for k in ("TSA_CACHE_DIR", "TSA_DATA_DIR")}
    with tempfile.TemporaryDirectory(prefix="tsa-tui-") as tmp:
        os.environ["TSA_CACHE_DIR"] = f"{tmp}/cache"
        os.environ["TSA_DATA_DIR"] = f"{tmp}/data"
        yield Path(tmp)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def cases() -> Path:
    """../shared/cases beside the checkout (real logs; read in place, never copied)."""
    if not CASES.exists():
        pytest.skip("../shared/cases is not beside this checkout")
    return CASES
