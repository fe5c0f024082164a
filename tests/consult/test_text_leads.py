"""A problem the rules explain only in part is filled up to three findings from text: the guide's
sections and the resolved threads closest to the question. Below the rules' findings, as info, with
the section or thread it came from - and never for a question about the docs."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from assistant.consult import LEADS_UP_TO, consult
from assistant.render.json import render_json
from assistant.retrieval.cases import (CORPUS, LIBRARY, CaseLibrary, case_library, corpus_digest, holding_out)
from assistant.retrieval.embedder import model_dir
from assistant.retrieval.leads import ids_by_anchor, leads
from assistant.retrieval.shipped import load_arrays, text_array

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT.parent / "shared" / "spec" / "report.schema.json"
VAGUE = "why does my model output garbage after fine-tuning?"


def _leads(report) -> list:
    return [d for d in report.diagnoses if any(e.fact.startswith("lead") for e in d.evidence)]


def test_a_vague_problem_gets_leads_marked_as_such() -> None:
    report = consult(VAGUE)
    found = _leads(report)
    assert found and len(report.diagnoses) == LEADS_UP_TO
    assert {d.severity for d in found} == {"info"}
    for d in found:
        facts = {e.fact for e in d.evidence}
        assert facts & {"lead.guide", "lead.thread"}
        if "lead.guide" in facts:
            assert d.citations[0].anchor in ids_by_anchor()
        if "lead.thread" in facts:
            assert any(c.doc.startswith("https://") for c in d.citations)
        assert d.trace[-1] == "a lead, not a rule's conclusion"
    assert any("leads from the guide's text and resolved threads" in w for w in report.warnings)


def test_leads_rank_under_every_rule_finding() -> None:
    report = consult("my GRPO reward stays at zero and the completions look fine")
    rules = [d for d in report.diagnoses if d not in _leads(report)]
    assert rules, "the rules reach something here"
    if _leads(report):
        assert max(d.certainty for d in _leads(report)) < min(d.certainty for d in rules)
        assert report.diagnoses[:len(rules)] == rules


@pytest.mark.parametrize("question", ["what does frac_reward_zero_std mean?",
                                      "How do I enable gradient checkpointing with DeepSpeed ZeRO-3?",
                                      "What is the difference between warmup_ratio and warmup_steps?"])
def test_a_question_about_the_docs_gets_the_docs_not_leads(question: str) -> None:
    assert not _leads(consult(question))


def test_a_docs_wording_with_a_symptom_is_a_problem() -> None:
    report = consult("What does this mean? My loss becomes nan after 200 steps")
    assert report.diagnoses and report.symptoms


def test_an_id_a_rule_argued_against_is_no_lead() -> None:
    """Batch 1 said: the batch rung is taken, so the guide's "reduce the batch" section is no lead."""
    ids = [d.id for d in consult("I get CUDA OOM with gradient checkpointing disabled, batch size 1, "
                                 "7B LoRA on a 16GB T4.").diagnoses]
    assert ids[0] == "gradient_checkpointing_off" and "oom_batch_too_large" not in ids


def test_leads_skip_what_is_excluded_and_stop_at_n() -> None:
    first = leads(VAGUE, set(), 3)
    assert len(first) == 3 and len({lead.id for lead in first}) == 3
    again = leads(VAGUE, {first[0].id}, 2)
    assert first[0].id not in {lead.id for lead in again} and len(again) == 2
    assert leads("", set(), 3) == [] and leads(VAGUE, set(), 0) == []


# -- the resolved threads -------------------------------------------------------------------------

def _a_dev_case() -> tuple[str, dict]:
    case = next(p.parent for p in sorted(CORPUS.glob("*/expected.json"))
                if json.loads(p.read_text())["expected"])
    return (case / "question.txt").read_text(), json.loads((case / "expected.json").read_text())


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the case corpus is not in this checkout")
def test_the_shipped_library_was_built_from_the_current_corpus() -> None:
    """Changing tests/cases/dev without `python -m assistant.retrieval.cases --build` fails here."""
    arrays = load_arrays(LIBRARY, None)
    assert arrays is not None, f"{LIBRARY} is missing"
    assert str(arrays["digest"]) == corpus_digest()


@pytest.mark.skipif(model_dir() is None, reason="the MiniLM weights are not installed")
def test_a_thread_s_own_words_find_it_and_held_out_they_do_not() -> None:
    question, expected = _a_dev_case()
    cause = expected["expected"][0]
    hit = {lead.id: lead for lead in leads(question, set(), 10)}.get(cause)
    assert hit is not None and hit.thread is not None
    assert hit.thread.case.source == expected["source"] and hit.thread.similarity > 0.99
    with holding_out([expected["source"]]):
        assert all(lead.thread is None or lead.thread.case.source != expected["source"]
                   for lead in leads(question, set(), 10))


def test_threads_vote_by_similarity_a_second_cause_half() -> None:
    meta = [{"name": "a", "causes": ["x"], "source": "https://a", "resolution": ""},
            {"name": "b", "causes": ["y", "x"], "source": "https://b", "resolution": ""},
            {"name": "c", "causes": ["z"], "source": "https://c", "resolution": ""}]
    vectors = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 0, 1]], dtype=np.float16)
    library = CaseLibrary({"vectors": vectors, "model": np.array("m"),
                           "cases": text_array(json.dumps(meta))})
    votes = library.votes(np.array([1.0, 0.0, 0.0]))
    assert [(cause, round(score, 2), case.name) for cause, score, case, _ in votes] == [
        ("x", 1.4, "a"), ("y", 0.8, "b")]   # c (similarity 0) is below MIN_SIMILARITY and does not vote


def test_the_library_holds_no_validation_thread() -> None:
    """The validation split measures the leads: none of its threads may vote."""
    library = case_library()
    assert library is not None
    validation = {json.loads(p.read_text()).get("source") for p in (ROOT / "tests" / "cases" / "validation").glob(
        "*/expected.json")}
    assert validation and not validation & {c.source for c in library.cases}


@pytest.mark.skipif(not SCHEMA.exists(), reason="../shared is not beside this checkout")
def test_a_report_with_leads_is_valid_json_for_the_spec() -> None:
    jsonschema.validate(json.loads(render_json(consult(VAGUE))), json.loads(SCHEMA.read_text()))


def test_healthy_threads_lend_no_cause_but_tell_how_alike_the_worry_is() -> None:
    meta = [{"name": "h1", "causes": [], "source": "https://h1", "resolution": "expected"},
            {"name": "p", "causes": ["x"], "source": "https://p", "resolution": ""},
            {"name": "h2", "causes": [], "source": "https://h2", "resolution": "expected"}]
    vectors = np.array([[1, 0, 0], [0.6, 0.8, 0], [0.8, 0.6, 0]], dtype=np.float16)
    library = CaseLibrary({"vectors": vectors, "model": np.array("m"), "cases": text_array(json.dumps(meta))})
    query = np.array([1.0, 0.0, 0.0])
    assert [cause for cause, *_ in library.votes(query)] == ["x"]
    share, closest = library.healthy_share(query)
    assert share == pytest.approx((1.0 + 0.8) / (1.0 + 0.8 + 0.6), abs=1e-3) and closest.name == "h1"
    with holding_out(["https://h1", "https://h2"]):
        assert library.healthy_share(query) == (0.0, None)


def _dev_question(name: str) -> tuple[str, str]:
    case = CORPUS / name
    return (case / "question.txt").read_text(), json.loads((case / "expected.json").read_text())["source"]


@pytest.mark.skipif(model_dir() is None, reason="the MiniLM weights are not installed")
def test_a_worry_worded_like_threads_answered_as_expected_raises_no_alarm() -> None:
    """A flat loss after the first drop, asked about as maintainers have answered "expected" in other
    threads: the findings stay, as checks. The same reading does not quiet a NaN shown by a log."""
    from assistant.consult import _alarms_like_healthy_threads
    from assistant.report import Diagnosis

    question, source = _dev_question("h-d2f-dream-distill-loss-flat-after-initial-drop")
    found = [Diagnosis(id="lr_too_low", title="", certainty=0.6, severity="warning"),
             Diagnosis(id="label_masking_wrong", title="", certainty=0.5, severity="critical")]
    warnings: list[str] = []
    with holding_out([source]):
        _alarms_like_healthy_threads(question, found, warnings)
    assert [(d.id, d.severity) for d in found] == [("lr_too_low", "info"), ("label_masking_wrong", "info")]
    assert any("answered as expected behaviour (closest: https://" in w for w in warnings)
    # a finding the user's own config backs beside their words is more than a resemblance: it stays an alarm
    from assistant.report import Evidence

    backed = [Diagnosis(id="lr_too_low", title="", certainty=0.6, severity="warning",
                        evidence=[Evidence("symptom.plateau", "flat loss", "question"),
                                  Evidence("config.learning_rate", "learning_rate 5e-6", "config.yaml:4")]),
              Diagnosis(id="label_masking_wrong", title="", certainty=0.5, severity="critical",
                        evidence=[Evidence("symptom.plateau", "flat loss", "question")])]
    with holding_out([source]):
        _alarms_like_healthy_threads(question, backed, warnings := [])
    assert [(d.id, d.severity) for d in backed] == [("lr_too_low", "warning"), ("label_masking_wrong", "info")]
    assert any("your words alone" in w for w in warnings)
    problem, _ = _dev_question(next(p.name for p in sorted(CORPUS.iterdir()) if p.name.startswith("n-")))
    found = [Diagnosis(id="mixed_precision_instability", title="", certainty=0.6, severity="critical")]
    _alarms_like_healthy_threads(problem, found, warnings := [])
    assert found[0].severity == "critical" and not warnings


@pytest.mark.skipif(model_dir() is None, reason="the MiniLM weights are not installed")
def test_trouble_shown_by_evidence_keeps_its_alarm(tmp_path: Path) -> None:
    question, source = _dev_question("h-d2f-dream-distill-loss-flat-after-initial-drop")
    log = tmp_path / "train.log"
    log.write_text("\n".join(str({"loss": 2.0 - s / 100 if s < 60 else float("nan"), "grad_norm": 1.0,
                                  "learning_rate": 1e-5, "epoch": s / 100}) for s in range(1, 80)) + "\n")
    with holding_out([source]):
        report = consult(question, attachments=[log])
    assert any(d.severity in ("warning", "critical") for d in report.diagnoses)
    assert not any("answered as expected behaviour" in w for w in report.warnings)
