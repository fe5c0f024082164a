"""A run under watch: sources feed one live reading; when due, the consultation judges it.

The judgement is the consultation every front end runs (``Consultation.run``):
the detectors over the live (bounded) series, the rule engine over their facts,
the facts the parsing found (errors, run markers) and the config facts, then the
ranked report. Nothing is re-read: the series and facts are what the sources
kept. ``AlertBook`` turns successive reports into alerts said once.

Both ``assistant watch`` and the Trainer callback drive a ``RunMonitor``; it
owns no thread and no clock of its own beyond its schedule.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from assistant.consult import Consultation
from assistant.engine.facts import Fact
from assistant.evidence.series import Reading
from assistant.report import Report
from assistant.rulebase import load_project_rulebase
from assistant.watch.alerts import Alert, AlertBook
from assistant.watch.live import LiveReading
from assistant.watch.schedule import Schedule, TimeBudget, Urgency
from assistant.watch.sources import Source

__all__ = ["RunMonitor", "Judgement", "Snapshot"]

# What the status line shows, in order, when logged.
STATUS_METRICS = ("loss", "grad_norm", "reward", "learning_rate", "eval_loss")


@dataclass
class Judgement:
    """One evaluation: the report, the alerts to send now, those that cleared, what it cost."""

    report: Report
    alerts: list[Alert] = field(default_factory=list)
    cleared: list[Alert] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Snapshot:
    """The live status: the latest step, the latest value of the main metrics, the worst open alert."""

    step: int | None
    metrics: dict[str, float]
    worst: Alert | None
    completed: bool

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, **{k: _json_number(v) for k, v in self.metrics.items()},
                "worst": {"id": self.worst.id, "severity": self.worst.severity} if self.worst else None,
                "completed": self.completed}

    def line(self) -> str:
        parts = [f"step {self.step}" if self.step is not None else "waiting for the first step"]
        parts += [f"{k} {v:.4g}" for k, v in self.metrics.items()]
        parts.append(f"worst: {self.worst.severity} {self.worst.id}" if self.worst else "no open finding")
        return " | ".join(parts)


def _json_number(v: float) -> float | str:
    return v if v == v and v not in (float("inf"), float("-inf")) else str(v)


class RunMonitor:
    """Sources in, judgements out."""

    def __init__(self, reading: LiveReading, sources: Iterable[Source] = (), *, schedule: Schedule | None = None,
                 question: str = "", configs: Iterable[Reading] = (), extra_facts: Iterable[Fact] = ()) -> None:
        self.reading = reading
        self.sources: list[Source] = list(sources)
        self.schedule = schedule or TimeBudget()
        self.question = question
        self.configs = list(configs)
        self.extra_facts = list(extra_facts)
        self.book = AlertBook()
        self.report: Report | None = None
        self.urgency = Urgency()
        self._rulebase = load_project_rulebase()
        self._pending = False  # new data since the last judgement
        self._urgent = False
        self._warned: set[str] = set()
        self.errors: list[str] = []  # failed judgements, for the front end to report once each

    # --- data in -------------------------------------------------------------------------------

    def poll(self) -> tuple[int, list[str]]:
        """Poll every source: (new bytes or records, file events). A failing source becomes a note."""
        new, notes = 0, []
        for source in self.sources:
            try:
                got = source.poll()
            except Exception as e:  # noqa: BLE001 - one broken poll must not end the watch
                notes.append(f"{source.name}: could not be read this time ({type(e).__name__}: {e})")
                continue
            new += got.new
            notes.extend(got.notes)
        if new:
            self.noted_new_data()
        return new, notes

    def noted_new_data(self) -> None:
        """Something was added to the live reading (by a source, or pushed by a callback)."""
        self._pending = True
        self._urgent = self._urgent or self.urgency.check(self.reading.series, self.facts())

    def facts(self) -> list[Fact]:
        return [f for s in self.sources for f in s.facts()]

    def new_warnings(self) -> list[str]:
        """Warnings of the sources, and failed judgements, not reported before (unreadable lines, a corrupt
        record)."""
        out, self.errors = list(self.errors), []
        for s in self.sources:
            for w in s.warnings():
                if w not in self._warned:
                    self._warned.add(w)
                    out.append(w)
        return out

    # --- judging -------------------------------------------------------------------------------

    def due(self) -> bool:
        return self._pending and self.schedule.due(self._urgent)

    def judge(self, charge: bool = True) -> Judgement:
        """Run the consultation over what is known now and turn it into alerts. ``charge`` False: its cost
        does not count against the schedule (a warm-up judgement pays one-off imports and caches)."""
        start = time.perf_counter()
        self.reading.facts = self.facts()
        c = Consultation(question=self.question, readings=[self.reading, *self.configs],
                         extra_facts=list(self.extra_facts), rulebase=self._rulebase)
        report = c.run()
        alerts, cleared = self.book.update(report)
        self.report = report
        self._pending = self._urgent = False
        seconds = time.perf_counter() - start
        if charge:
            self.schedule.spent(seconds)
        return Judgement(report, alerts, cleared, seconds)

    def maybe_judge(self) -> Judgement | None:
        """Judge when due. A judgement that fails is noted in ``errors`` and skipped: a watch (or the
        training run a callback sits in) must outlive one bad consultation."""
        if not self.due():
            return None
        try:
            return self.judge()
        except Exception as e:  # noqa: BLE001
            self._pending = self._urgent = False
            self.schedule.spent(0.0)
            self.errors.append(f"judging the run failed ({type(e).__name__}: {e}); watching goes on")
            return None

    # --- status --------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        series = self.reading.series
        metrics = {m: series[m].last.value for m in STATUS_METRICS if m in series and series[m].last is not None}
        completed = any(f.name == "run.completed" and f.value is True for f in self.facts())
        return Snapshot(self.reading.last_step, metrics, self.book.worst(), completed)

    def close(self) -> None:
        for s in self.sources:
            s.close()
