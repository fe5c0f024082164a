"""Test-wide isolation: user paths point at a temp dir, no real credentials leak in.

Every test session gets its own cache, data and config directories (the rulebase cache,
indexes, bot stores, the API token) and runs with Slack/OpenAI settings removed, so nothing a
developer has configured can reach a test, and no test can reach a real service.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"

_session_dir = Path(tempfile.mkdtemp(prefix="tsa-tests-"))
os.environ["TSA_CACHE_DIR"] = str(_session_dir / "cache")
os.environ["TSA_DATA_DIR"] = str(_session_dir / "data")
os.environ["TSA_CONFIG_DIR"] = str(_session_dir / "config")
for _name in list(os.environ):
    if _name.startswith(("SLACK_", "OPENAI_", "LANGSMITH_", "LANGCHAIN_", "WANDB_API")):
        del os.environ[_name]


@pytest.fixture
def shared() -> Path:
    """The ../shared folder beside the checkout (cases, real data, spec)."""
    if not SHARED.exists():
        pytest.skip("../shared is not beside this checkout")
    return SHARED
