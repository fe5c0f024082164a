"""Alerts: the diagnoses of a live run that reached warning or critical, said once.

An alert is a diagnosis of the consultation's report, cut down to what a person
needs while the run goes on: what (title, id, severity), where (the step and the
``file:line`` of the evidence), why (the evidence sentence) and the first fix.
``AlertBook`` remembers what it already said: the same diagnosis is not said
again while it stays open, only when it gets worse (warning -> critical) or comes
back after it cleared. A critical finding is said at once; a warning only once it
holds in ``CONFIRM_WARNINGS`` judgements in a row, each over new data: the
detectors were written for whole logs, and a curve judged on its first few steps
can look flat or noisy until a few more arrive. A diagnosis clears after it has
been missing from ``CLEAR_AFTER`` judgements in a row, so one that flickers at the
threshold does not alert again at every judgement.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from assistant.redact import redact
from assistant.render.markdown import patch_yaml
from assistant.report import SEVERITY_ORDER, Diagnosis, Report

__all__ = ["Alert", "AlertBook", "ALERT_LEVELS", "alerts_in", "at_least"]

ALERT_LEVELS = ("warning", "critical")
CLEAR_AFTER = 3
CONFIRM_WARNINGS = 2


def at_least(severity: str, level: str) -> bool:
    """Whether ``severity`` is ``level`` or worse (critical < warning < info in SEVERITY_ORDER)."""
    return SEVERITY_ORDER.get(severity, 3) <= SEVERITY_ORDER.get(level, 3)


@dataclass(frozen=True)
class Alert:
    """One diagnosis worth interrupting someone for."""

    id: str
    title: str
    severity: str
    certainty: float
    step: int | None = None
    where: str = ""  # file:line (or file#step=N) of the evidence
    why: str = ""
    fix: str = ""
    config_patch: Mapping[str, Any] | None = None
    guide: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["config_patch"] = dict(self.config_patch) if self.config_patch else None
        d["guide"] = list(self.guide)
        return d

    def headline(self) -> str:
        at = f" at step {self.step}" if self.step is not None else ""
        where = f" ({self.where})" if self.where else ""
        return redact(f"[{self.severity}] {self.title} ({self.id}){at}{where}")

    def text(self) -> str:
        """Plain text: the headline, why, and the fix with its config patch."""
        lines = [self.headline()]
        if self.why:
            lines.append(f"  why: {self.why}")
        if self.fix:
            lines.append(f"  fix: {self.fix}")
        if self.config_patch:
            lines.extend("       " + line for line in patch_yaml(dict(self.config_patch)).splitlines())
        return redact("\n".join(lines))


def _fact_value(report: Report, name: str, source: str) -> Any:
    return next((f["value"] for f in report.facts if f["name"] == name and f["source"] == source), None)


def _alert(report: Report, d: Diagnosis) -> Alert:
    step, where, why = None, "", ""
    for e in d.evidence:  # the first evidence that locates the finding names the step
        value = _fact_value(report, e.fact, e.source)
        if isinstance(value, Mapping) and isinstance(value.get("step"), int):
            step, where, why = value["step"], e.source, e.text
            break
    if not why and d.evidence:
        where, why = d.evidence[0].source, d.evidence[0].text
    fix = d.fixes[0] if d.fixes else None
    return Alert(id=d.id, title=d.title, severity=d.severity, certainty=d.certainty, step=step, where=where,
                 why=why, fix=fix.text if fix else "", config_patch=fix.config_patch if fix else None,
                 guide=tuple(c.section for c in d.citations[:2]))


def alerts_in(report: Report) -> list[Alert]:
    """The report's diagnoses at warning or critical, as alerts, in the report's order."""
    return [_alert(report, d) for d in report.diagnoses if d.severity in ALERT_LEVELS]


class AlertBook:
    """What was already said, so that an unchanged finding is said once."""

    def __init__(self, confirm_warnings: int = CONFIRM_WARNINGS) -> None:
        self.open: dict[str, Alert] = {}
        self.confirm_warnings = confirm_warnings
        self._missing: dict[str, int] = {}
        self._held: dict[str, int] = {}  # warning id -> judgements in a row it was concluded, not said yet

    def update(self, report: Report) -> tuple[list[Alert], list[Alert]]:
        """(alerts to send now, alerts that cleared) after one judgement."""
        current = {a.id: a for a in alerts_in(report)}
        self._held = {aid: n for aid, n in self._held.items() if aid in current}
        new = []
        for aid, alert in current.items():
            self._missing.pop(aid, None)
            said = self.open.get(aid)
            if said is not None and not (alert.severity != said.severity and at_least(alert.severity, said.severity)):
                continue  # said already, and no worse now
            if alert.severity != "critical" and said is None:
                self._held[aid] = self._held.get(aid, 0) + 1
                if self._held[aid] < self.confirm_warnings:
                    continue
            self._held.pop(aid, None)
            new.append(alert)
            self.open[aid] = alert
        cleared = []
        for aid in [a for a in self.open if a not in current]:
            self._missing[aid] = self._missing.get(aid, 0) + 1
            if self._missing[aid] >= CLEAR_AFTER:
                cleared.append(self.open.pop(aid))
                del self._missing[aid]
        return new, cleared

    def worst(self) -> Alert | None:
        """The most severe open alert (the most certain among equals)."""
        if not self.open:
            return None
        return min(self.open.values(), key=lambda a: (SEVERITY_ORDER.get(a.severity, 3), -a.certainty))
