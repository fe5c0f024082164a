"""Resolved threads that read like the question lend weight to the rule findings they name: the
finding the closest threads were resolved by moves up, cites the thread, and keeps its severity;
nothing is added that no rule reached."""
from __future__ import annotations

import json

import numpy as np
import pytest

import assistant.precedents as precedents_module
from assistant.consult import consult
from assistant.precedents import PRECEDENT_WEIGHT, _squash, precedents, weigh_by_precedent
from assistant.report import Diagnosis
from assistant.retrieval.cases import CaseLibrary, holding_out
from assistant.retrieval.embedder import load_embedder, model_dir
from assistant.retrieval.shipped import text_array

needs_model = pytest.mark.skipif(model_dir() is None, reason="the MiniLM weights are not installed")

OOM = "CUDA out of memory during the first training step of a 7B LoRA run on a 24 GB GPU"


def _library(threads: list[tuple[str, list[str]]]) -> CaseLibrary:
    """A library of threads (question, causes), embedded with the real MiniLM."""
    embedder = load_embedder()
    meta = [{"name": f"t{i}", "causes": causes, "source": f"https://example.org/t{i}", "resolution": f"fixed {i}"}
            for i, (_, causes) in enumerate(threads)]
    return CaseLibrary({"vectors": embedder.embed([q for q, _ in threads]), "model": np.array(embedder.model_id),
                        "cases": text_array(json.dumps(meta))})


def test_a_named_finding_gains_its_share_and_cites_the_thread() -> None:
    found = [Diagnosis(id="lr_too_high", title="", certainty=0.6, severity="warning"),
             Diagnosis(id="gradient_explosion", title="", certainty=0.5, severity="critical")]
    share = precedents_module.Precedent(share=0.4, source="https://example.org/t", resolution="lowered lr",
                                        similarity=0.7)
    weigh_by_precedent(found, {"gradient_explosion": share})
    assert found[0].certainty == 0.6 and not found[0].citations          # no vote: untouched
    assert found[1].certainty == round(0.5 + PRECEDENT_WEIGHT * 0.4, 3)
    assert found[1].severity == "critical"
    assert found[1].citations[-1].doc == "https://example.org/t"
    assert "40% of their vote" in found[1].evidence[-1].text and found[1].trace[-1].startswith("precedent:")


def test_the_sum_stays_a_certainty_and_keeps_its_order() -> None:
    xs = [0.2, 0.5, 0.9, 0.95, 1.2, 1.6, 2.0]
    ys = [_squash(x) for x in xs]
    assert ys[:3] == xs[:3] and all(0 <= y < 1 for y in ys) and ys == sorted(set(ys))


@needs_model
def test_the_closest_threads_vote_by_share(monkeypatch: pytest.MonkeyPatch) -> None:
    library = _library([("CUDA out of memory on the first step with a long sequence length", ["sequence_too_long"]),
                        ("OOM at step one, sequences of 8k tokens", ["sequence_too_long"]),
                        ("the reward of my GRPO run is always zero", ["reward_function_broken"])])
    monkeypatch.setattr("assistant.retrieval.cases.case_library", lambda: library)
    found = precedents(OOM)
    assert max(found, key=lambda i: found[i].share) == "sequence_too_long"
    assert sum(p.share for p in found.values()) == pytest.approx(1.0)
    assert precedents("") == {} and precedents("   ") == {}


@needs_model
def test_precedent_reorders_rule_findings_but_adds_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same question, two libraries: the rules' findings are the same set, their order follows the
    threads, and an id only the threads name is not a finding of the rules."""
    before = consult(OOM)
    rules = [d.id for d in before.diagnoses if not any(e.fact.startswith("lead") for e in d.evidence)]
    assert len(rules) >= 2, "the rules reach several causes of this OOM"
    second = rules[1]
    library = _library([(OOM, [second]), (OOM + " (again)", [second]), (OOM + ", help", ["bf16_unsupported"])])
    monkeypatch.setattr("assistant.retrieval.cases.case_library", lambda: library)
    after = consult(OOM)
    ids = [d.id for d in after.diagnoses]
    assert ids[0] == second
    assert set(rules) <= set(ids)
    assert "bf16_unsupported" not in rules or "bf16_unsupported" in ids
    moved = after.diagnoses[0]
    assert moved.severity == next(d.severity for d in before.diagnoses if d.id == second)
    assert any(c.doc.startswith("https://example.org/") for c in moved.citations)


@needs_model
def test_a_thread_held_out_lends_nothing() -> None:
    """bench/eval_cases.py scores a dev case against the library it is part of: held out, its own thread
    must not vote for it."""
    from assistant.retrieval.cases import CORPUS

    case = next(p for p in sorted(CORPUS.iterdir()) if p.name.startswith("o-"))
    question = (case / "question.txt").read_text()
    source = json.loads((case / "expected.json").read_text())["source"]
    with holding_out([source]):
        assert all(p.source != source for p in precedents(question).values())
