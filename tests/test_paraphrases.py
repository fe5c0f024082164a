"""Rewordings of dev cases (tests/paraphrases): the same run told the way other users tell it.

The rules were written from the dev questions' own words; on threads nobody here has read they are
right far less often, mostly because the next user words the same symptom differently. Each set here
rewords dev cases (terse, non-native, numbers in other forms, a worry asked another way) and keeps
the original's files and expected ids (`of` names it); one set (framework-formats) keeps the question
and writes the original log's values in another framework's format (verl, ms-swift, LLaMA-Factory,
nanoGPT, OpenRLHF, transformers 5.x, trainer_state.json). One set (rl-catalog-signals) is not reworded
from a case: it says each signal the catalog lists for an RL cause the way a user would, with a small
log or config where the signal is an artifact. The floors sit just under what the sets scored when
they were written: a phrase, meaning or rule change that reads users' words more narrowly fails here
before it fails on their runs.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.eval_cases import CASES, case_dirs, run_case
from assistant.rulebase import load_catalog

PARAPHRASES = Path(__file__).resolve().parent / "paraphrases"
ALL = case_dirs([PARAPHRASES])
REWORDED = [c for c in ALL if "of" in json.loads((c / "expected.json").read_text())]
PROBES = [c for c in ALL if c not in REWORDED]
TOP1, TOP3, HEALTHY_WARNED = 0.90, 0.97, 0.03   # floors (a ceiling for the share of healthy runs warned)


def test_the_sets_are_there() -> None:
    assert len(REWORDED) >= 600 and len(PROBES) >= 100


@pytest.mark.parametrize("case", REWORDED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_rewording_keeps_its_originals_answer(case: Path) -> None:
    exp = json.loads((case / "expected.json").read_text())
    original = json.loads((CASES / exp["of"] / "expected.json").read_text())
    assert exp["expected"] == original["expected"] and exp["source"] == original["source"]
    reworded = (case / "question.txt").read_text().strip() != (CASES / exp["of"] / "question.txt").read_text().strip()
    rewritten = any((case / f).exists() for f in ("log.txt", "config.yaml"))   # the same values in another tool's format
    assert reworded or rewritten


@pytest.mark.parametrize("case", PROBES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_signal_probe_names_catalog_ids_and_no_real_thread(case: Path) -> None:
    exp = json.loads((case / "expected.json").read_text())
    assert exp["expected"] and set(exp["expected"]) <= set(load_catalog().entries)   # the shipped catalog: no ../shared needed
    assert exp["source"].startswith("https://example.invalid/")   # never mistaken for a corpus thread


def test_rewordings_are_read_as_the_originals_are() -> None:
    results = [run_case(c) for c in ALL]
    problems = [r for r in results if not r.healthy]
    healthy = [r for r in results if r.healthy]
    top1 = sum(r.top1 for r in problems) / len(problems)
    top3 = sum(r.top3 for r in problems) / len(problems)
    warned = [f"{r.name}: {r.alarms}" for r in healthy if r.alarms]
    missed = [f"{r.name}: want {r.expected} got {r.got[:3]}" for r in problems if not r.top1]
    assert top1 >= TOP1, (top1, missed)
    assert top3 >= TOP3, (top3, missed)
    assert len(warned) <= HEALTHY_WARNED * len(healthy), warned
