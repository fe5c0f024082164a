"""The LLM is off unless configured; environment beats the config file."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.llm.settings import DEFAULT_MODEL, LLMSettings


@pytest.fixture(autouse=True)
def clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TSA_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config.toml"
    monkeypatch.setenv("TSA_CONFIG", str(config))
    return config


def test_off_by_default() -> None:
    assert LLMSettings.load() is None


def test_the_environment_configures_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-abc")
    s = LLMSettings.load()
    assert s == LLMSettings(model=DEFAULT_MODEL, api_key="sk-abc")


def test_the_config_file_configures_it_and_env_wins(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean.write_text('[llm]\nmodel = "qwen2.5:7b"\nbase_url = "http://localhost:11434/v1"\ntimeout = 12\n')
    assert LLMSettings.load() == LLMSettings(model="qwen2.5:7b", base_url="http://localhost:11434/v1", timeout=12.0)
    monkeypatch.setenv("TSA_LLM_MODEL", "other")
    assert LLMSettings.load().model == "other"


def test_a_broken_config_is_one_line(clean: Path) -> None:
    clean.write_text("[llm\nmodel = 1\n")
    with pytest.raises(AssistantError, match="config.toml"):
        LLMSettings.load()
