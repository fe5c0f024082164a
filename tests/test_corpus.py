"""The real-case corpus (tests/cases): well formed, split by source hash, no thread twice.

The split is what keeps the validation figures honest: a case sits in validation exactly when
the hash of its source URL says so (bench/split_cases.py), so no case can be moved to the split
that flatters the rules.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bench.split_cases import AREAS, CASES, SHARED_CASES, catalog_ids, normalise_url, problems, split_of

SPLITS = ("dev", "validation")
ALL = sorted(p.parent for s in SPLITS for p in (CASES / s).glob("*/expected.json"))


def expected(case: Path) -> dict:
    return json.loads((case / "expected.json").read_text())


def test_the_corpus_is_there() -> None:
    assert len(ALL) >= 250, f"only {len(ALL)} cases"
    healthy = sum(1 for c in ALL if not expected(c)["expected"])
    assert healthy >= 30, f"only {healthy} healthy cases"


@pytest.mark.parametrize("case", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_case_is_well_formed(case: Path) -> None:
    assert problems(case, catalog_ids()) == []


@pytest.mark.parametrize("case", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_case_sits_in_the_split_its_source_hash_names(case: Path) -> None:
    assert case.parent.name == split_of(expected(case)["source"])


def test_no_thread_twice_and_none_from_the_shared_cases() -> None:
    sources = Counter(normalise_url(expected(c)["source"]) for c in ALL)
    twice = [s for s, n in sources.items() if n > 1]
    assert not twice, twice
    shared = {normalise_url(json.loads(p.read_text())["source"]) for p in SHARED_CASES.glob("*/expected.json")}
    assert not shared & set(sources)


def test_validation_is_about_thirty_percent() -> None:
    share = sum(1 for c in ALL if c.parent.name == "validation") / len(ALL)
    assert 0.2 <= share <= 0.4, share


def test_every_area_and_the_frameworks_users_come_from_are_there() -> None:
    areas = Counter(expected(c)["area"] for c in ALL)
    assert set(areas) == AREAS
    frameworks = Counter(expected(c).get("framework") for c in ALL)
    for fw in ("trl", "transformers", "axolotl", "llamafactory", "unsloth", "verl", "openrlhf", "ms-swift",
               "deepspeed", "peft"):
        assert frameworks[fw] >= 1, f"no {fw} case"
