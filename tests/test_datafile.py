"""Our YAML tables: parsed once, then read back from the cache in a millisecond, always equal."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.datafile import load_yaml_file
from assistant.paths import RULES_DIR


def test_cached_tables_equal_the_parsed_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TSA_CACHE_DIR", str(tmp_path))
    for path in sorted(RULES_DIR.glob("*.yaml")):
        expected = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert load_yaml_file(path) == expected          # parsed, and cached
        assert load_yaml_file(path) == expected          # from the cache
    assert len(list((tmp_path / "tables").glob("*.marshal"))) == len(list(RULES_DIR.glob("*.yaml")))


def test_an_edit_or_a_damaged_cache_is_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TSA_CACHE_DIR", str(tmp_path / "cache"))
    table = tmp_path / "t.yaml"
    table.write_text("a: 1\n")
    assert load_yaml_file(table) == {"a": 1}
    table.write_text("a: 2\n")
    assert load_yaml_file(table) == {"a": 2}
    for cached in (tmp_path / "cache" / "tables").glob("*.marshal"):
        cached.write_bytes(b"\x00garbage")
    assert load_yaml_file(table) == {"a": 2}


def test_values_marshal_cannot_hold_are_parsed_each_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TSA_CACHE_DIR", str(tmp_path / "cache"))
    table = tmp_path / "d.yaml"
    table.write_text("when: 2026-01-02\n")
    assert str(load_yaml_file(table)["when"]) == "2026-01-02"
    assert not list((tmp_path / "cache").rglob("*.marshal"))
