"""The consultation's retrieval hooks: user-doc citations, answers from the docs, and no index when not needed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.consult import consult
from assistant.paths import EXAMPLES_DIR
from assistant.retrieval.manifest import add_paths

LORA_NAN = [EXAMPLES_DIR / "lora-nan" / "train.log", EXAMPLES_DIR / "lora-nan" / "config.yaml"]
RUNBOOK = """---
title: Team Runbook
---

## Gradient explosion on the A100 pool

When grad_norm explodes and the loss turns NaN, clip gradients (max_grad_norm 1.0) and halve the learning rate.

## Booking GPUs

Book nodes through the scheduler web page.
"""


def test_a_question_no_rule_covers_is_answered_from_the_docs(user_dirs: Path, lexical_only) -> None:
    report = consult("what does frac_reward_zero_std mean?")
    assert not report.diagnoses
    assert "[1]" in report.answer and "knowledge/monitoring.md" in report.answer
    assert "Reward Std and Zero-Std Fraction" in report.answer          # the heading path is quoted


def test_user_docs_add_citations_to_diagnoses(user_dirs: Path, lexical_only) -> None:
    runbook = user_dirs / "runbook.qmd"
    runbook.write_text(RUNBOOK)
    add_paths([runbook])
    report = consult("my loss goes to nan around step 210", attachments=LORA_NAN)
    top = report.diagnosis("gradient_explosion")
    assert top is not None
    user = [c for c in top.citations if c.doc == str(runbook)]
    assert [c.section for c in user] == ["Team Runbook › Gradient explosion on the A100 pool"]
    assert any(c.doc.startswith("knowledge/") for c in top.citations)   # the rules' own citations stay first
    assert all(len([c for c in d.citations if c.doc == str(runbook)]) <= 2 for d in report.diagnoses)


def test_a_broken_index_is_a_warning_not_a_failure(user_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("assistant.retrieval.get_index", broken)
    report = consult("what does frac_reward_zero_std mean?")
    assert "[retrieval] RuntimeError: disk on fire" in report.warnings
    assert report.answer


def test_rules_only_reports_never_load_the_index(user_dirs: Path) -> None:
    """No user docs and the rules reached findings: neither the search index nor Chroma is touched (the
    question's MiniLM vector may be: the resolved threads' precedent reorders the findings)."""
    code = (
        "import sys\n"
        "from assistant.consult import consult\n"
        f"r = consult('my loss goes to nan around step 210', attachments={[str(p) for p in LORA_NAN]!r})\n"
        "assert r.diagnoses\n"
        "loaded = [m for m in ('assistant.retrieval.index', 'chromadb', 'bm25s') if m in sys.modules]\n"
        "print('LOADED', loaded)\n"
    )
    env = {**os.environ, "TSA_DATA_DIR": str(user_dirs / "data")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert "LOADED []" in out.stdout, out.stdout + out.stderr[-2000:]


def test_a_healthy_run_answers_with_the_rules_verdict_alone(user_dirs: Path, shared: Path) -> None:
    # The rules looked at the evidence and found nothing: that is the answer, and a one-shot
    # `ask` on a healthy log must not pay for opening (or first building) the index.
    report = consult("is my eval loss fine?", attachments=[shared / "cases/031-healthy-axolotl-mistral-run/log.txt"])
    assert not report.diagnoses
    assert "looks healthy" in report.answer and report.answer_source == "template"
    assert "Related reading:" not in report.answer


def test_passages_for_a_question_or_a_report(user_dirs: Path, lexical_only) -> None:
    from assistant.retrieval import passages_for

    by_question = passages_for("use_reentrant with zero3", k=2)
    assert [p.anchor for p in by_question][:1] == ["oom/reentrant-checkpointing-exceptions"]
    report = consult("", attachments=LORA_NAN)
    by_report = passages_for(report, k=3)        # no question: the top diagnoses' titles and evidence
    assert by_report and all(p.heading_path for p in by_report)
