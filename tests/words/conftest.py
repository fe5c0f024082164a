"""tests/words check how the user's words reach the rules and how the rules rank what they reach.
The resolved threads' precedent (assistant/precedents.py) reorders findings after the rules, by a
library that grows with the corpus; it is tested on its own in tests/consult/test_precedents.py,
so here it is left out and a ranking asserted is the rules' own."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _rules_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("assistant.consult.precedents", lambda question: {})
