"""When no rule explains the question, a looser reading by meaning offers leads - marked as leads."""
from __future__ import annotations

from assistant.consult import consult
from assistant.words.semantic import load_meanings

LOOSE = "It errors at the first training step inside the reward computation."


def _lead_warning(report) -> bool:
    return any("looser reading" in w for w in report.warnings)


def test_lead_threshold_is_looser_than_the_finding_threshold() -> None:
    m = load_meanings()
    assert m.lead_threshold < m.threshold and 0 < m.lead_cf < m.cf


def test_a_question_no_rule_explains_gets_leads_to_check() -> None:
    report = consult(LOOSE)
    assert _lead_warning(report)
    assert report.diagnoses, "the looser reading should reach a rule"
    assert {d.severity for d in report.diagnoses} == {"info"}
    lead = [f for f in report.facts if isinstance(f["value"], dict) and "similarity" in f["value"]]
    assert lead and all(load_meanings().lead_threshold <= f["value"]["similarity"] < load_meanings().threshold
                        for f in lead)


def test_a_firm_finding_needs_no_leads() -> None:
    report = consult("my loss went to nan at step 200 with fp16")
    assert report.diagnoses and not _lead_warning(report)
    assert any(d.severity != "info" for d in report.diagnoses)


def test_asking_whether_a_run_is_normal_gets_no_leads() -> None:
    report = consult("Is this normal? " + LOOSE)
    assert not _lead_warning(report)
