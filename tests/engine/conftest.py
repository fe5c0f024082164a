"""Helpers: toy rulebases written to tmp_path, engines loaded with facts."""
from __future__ import annotations

import itertools
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest

from assistant.engine import Engine, Fact, RuleBase, load_rulebase

BAD = Path(__file__).parent / "bad"


@pytest.fixture
def write_rules(tmp_path: Path) -> Callable[..., Path]:
    """Write dedented YAML to a fresh file and return its path."""
    counter = itertools.count(1)

    def write(text: str, name: str | None = None) -> Path:
        path = tmp_path / (name or f"rules{next(counter)}.yaml")
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def rulebase(write_rules: Callable[..., Path]) -> Callable[..., RuleBase]:
    def load(text: str, **kw: Any) -> RuleBase:
        return load_rulebase([write_rules(text)], **kw)

    return load


@pytest.fixture
def engine(rulebase: Callable[..., RuleBase]) -> Callable[..., Engine]:
    """An engine over a toy rulebase with facts asserted: (name, value[, source[, cf]]) or Fact."""

    def make(text: str, *facts: Fact | tuple, run: bool = True) -> Engine:
        eng = Engine(rulebase(text))
        for f in facts:
            eng.assert_fact(f if isinstance(f, Fact) else Fact(*f))
        if run:
            eng.run()
        return eng

    return make


def cfs(eng: Engine) -> dict[str, float]:
    return {c.id: c.cf for c in eng.conclusions()}
