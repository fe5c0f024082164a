"""A problem the rules explain only in part is filled up to three findings from the guide's text:
below the rules' findings, as info, with the section it came from - and never where it misleads."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from assistant.consult import GUIDE_LEADS_UP_TO, consult
from assistant.render.json import render_json
from assistant.retrieval.leads import guide_leads, ids_by_anchor

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT.parent / "shared" / "spec" / "report.schema.json"
VAGUE = "why does my model output garbage after fine-tuning?"


def _leads(report) -> list:
    return [d for d in report.diagnoses if any(e.fact == "lead.guide" for e in d.evidence)]


def test_a_vague_problem_gets_leads_from_the_guide_marked_as_such() -> None:
    report = consult(VAGUE)
    leads = _leads(report)
    assert leads and len(report.diagnoses) == GUIDE_LEADS_UP_TO
    assert {d.severity for d in leads} == {"info"}
    assert all(d.citations and d.citations[0].anchor in ids_by_anchor() for d in leads)
    assert all("not a rule's conclusion" in d.trace[0] for d in leads)
    assert any("leads from the guide's text" in w for w in report.warnings)


def test_leads_rank_under_every_rule_finding() -> None:
    report = consult("my GRPO reward stays at zero and the completions look fine")
    rules = [d for d in report.diagnoses if d not in _leads(report)]
    assert rules, "the rules reach something here"
    if _leads(report):
        assert max(d.certainty for d in _leads(report)) < min(d.certainty for d in rules)
        assert report.diagnoses[:len(rules)] == rules


def test_a_question_about_the_docs_gets_the_docs_not_leads() -> None:
    report = consult("what does frac_reward_zero_std mean?")
    assert not report.diagnoses
    assert report.answer.startswith("No rule covers this question")


def test_an_id_a_rule_argued_against_is_no_lead() -> None:
    """Batch 1 said: the batch rung is taken, so the guide's "reduce the batch" section is no lead."""
    ids = [d.id for d in consult("I get CUDA OOM with gradient checkpointing disabled, batch size 1, "
                                 "7B LoRA on a 16GB T4.").diagnoses]
    assert ids[0] == "gradient_checkpointing_off" and "oom_batch_too_large" not in ids


def test_guide_leads_skip_what_is_excluded_and_stop_at_n() -> None:
    first = guide_leads(VAGUE, set(), 3)
    assert len(first) == 3 and len({lead.id for lead in first}) == 3
    again = guide_leads(VAGUE, {first[0].id}, 2)
    assert first[0].id not in {lead.id for lead in again} and len(again) == 2
    assert guide_leads("", set(), 3) == [] and guide_leads(VAGUE, set(), 0) == []


@pytest.mark.skipif(not SCHEMA.exists(), reason="../shared is not beside this checkout")
def test_a_report_with_leads_is_valid_json_for_the_spec() -> None:
    jsonschema.validate(json.loads(render_json(consult(VAGUE))), json.loads(SCHEMA.read_text()))
