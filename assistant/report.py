"""The report a consultation returns: what every front end renders.

Its JSON form is the contract of ``ask --json`` (shared/spec/report.schema.json).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Evidence", "Fix", "Citation", "Diagnosis", "Question", "InputSummary", "Report"]

SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


@dataclass
class Evidence:
    fact: str
    text: str
    source: str = ""


@dataclass
class Fix:
    text: str
    config_patch: dict[str, Any] | None = None
    command: str | None = None


@dataclass
class Citation:
    doc: str
    section: str
    snippet: str = ""
    anchor: str = ""


@dataclass
class Diagnosis:
    id: str
    title: str
    certainty: float
    severity: str
    evidence: list[Evidence] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)
    explains_symptom: bool = True  # false: advice resting only on how the run is set up


@dataclass
class Question:
    fact: str
    text: str
    choices: list[str] | None = None
    why: str = ""
    value: float = 0.0  # expected change of the ranking if answered


@dataclass
class InputSummary:
    path: str
    kind: str
    facts: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class Report:
    question: str
    inputs: list[InputSummary] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    answer: str | None = None
    answer_source: str = "template"  # template | docs | llm: who wrote `answer`
    ruled_out: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    symptoms: list[str] = field(default_factory=list)  # the facts that show something going wrong

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for q in d["questions"]:
            q.pop("value", None)
        return {"version": 1, **d}

    def diagnosis(self, diag_id: str) -> Diagnosis | None:
        return next((d for d in self.diagnoses if d.id == diag_id), None)
