"""What a logged record means, and the run-level facts gathered from records.

A "record" is one logged dict: a console dict line, a trainer_state
``log_history`` entry, a JSONL line, a CSV row. All readers classify records the
same way (train step, eval, final summary) and pick the same metric fields, so
the facts and series they produce agree whatever the format.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from assistant.engine.facts import Fact
from assistant.evidence._text import source
from assistant.evidence.series import Reading, canonical_metric

__all__ = [
    "TRAIN", "EVAL", "SUMMARY", "NONE", "STEP_KEYS", "SWIFT_STEP_KEY", "RunTracker",
    "record_kind", "is_metric", "add_record", "as_number", "as_step", "preferred_fields",
]
MAX_STEP = 2 ** 62  # steps are stored as int64; a step past this is damage, not a run

TRAIN, EVAL, SUMMARY, NONE = "train", "eval", "summary", "none"
# Canonical names that mark a training-step record; a dict without any is not one.
TRAIN_MARKERS = frozenset({"loss", "grad_norm", "learning_rate", "reward"})
# Keys that say which step a record belongs to (canonical names).
STEP_KEYS = frozenset({"step", "global_step", "_step"})
SWIFT_STEP_KEY = "global_step/max_steps"  # ms-swift: "9/547"
# Bookkeeping keys that are not metrics.
NOT_METRICS = STEP_KEYS | {
    SWIFT_STEP_KEY, "percentage", "elapsed_time", "remaining_time", "_runtime", "_timestamp",
    "total_flos", "_wandb",
}


def record_kind(names: Iterable[str], tabular: bool = False) -> str:
    """train | eval | summary | none, from a record's canonical field names.

    ``tabular`` sources (JSONL, CSV, TensorBoard) hold only metrics, so any record
    there is a train record unless it is eval or summary.
    """
    names = set(names)
    if "train_runtime" in names:
        return SUMMARY
    if names & TRAIN_MARKERS:
        return TRAIN
    if any(n.startswith("eval_") for n in names):
        return EVAL
    if tabular and any(is_metric(TRAIN, n) for n in names):
        return TRAIN
    return NONE


def is_metric(kind: str, name: str) -> bool:
    """Whether field ``name`` of a ``kind`` record becomes a metric series.

    Eval records also carry epoch and memory fields; only their ``eval_*`` fields
    are eval metrics. Summary records become no series (``train_loss`` is a run mean).
    """
    if name in NOT_METRICS or name.startswith("predict_"):
        return False
    if kind == EVAL:
        return name.startswith("eval_")
    return kind == TRAIN


def as_number(value: Any) -> float | None:
    """A logged value as a float: numbers, and strings holding one ('1.2e-05', 'nan'); an integer
    too large for a float is an infinity of its sign, as the float it was logged as would be."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        return value
    if isinstance(value, (str, bytes)):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def as_step(value: Any) -> int | None:
    """A step number: a finite integer well within int64 (what a series stores), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    step = int(value)
    return step if -MAX_STEP < step < MAX_STEP else None


@dataclass
class RunTracker:
    """Run-level facts (run.*, metric.logged) accumulated as records stream by."""

    name: str
    steps_logged: int = 0
    last_step: int | None = None
    last_line: int = 0
    max_steps: int | None = None
    max_steps_line: int = 0
    completed: bool = False
    completed_line: int = 0
    eval_line: int = 0  # first eval record, 0 = none
    metrics: dict[str, int] = field(default_factory=dict)  # name -> line of first appearance

    def train(self, step: int, line: int) -> None:
        self.steps_logged += 1
        self.last_step, self.last_line = step, line

    def eval(self, line: int) -> None:
        if not self.eval_line:
            self.eval_line = line or 1

    def summary(self, line: int) -> None:
        self.completed, self.completed_line = True, line

    def metric(self, name: str, line: int) -> None:
        if name not in self.metrics:
            self.metrics[name] = line

    def note_max_steps(self, value: int, line: int) -> None:
        """Keep the max_steps stated first in the file (readers may learn them out of order)."""
        if value > 0 and (self.max_steps is None or 0 < line < self.max_steps_line):
            self.max_steps, self.max_steps_line = value, line

    @property
    def seen(self) -> bool:
        return bool(self.steps_logged or self.eval_line or self.completed or self.last_step is not None)

    def facts(self) -> list[Fact]:
        src = self.name
        if not self.seen:  # a run that stopped before its first log line still said how long it would be
            return [Fact("run.max_steps", self.max_steps, source(src, self.max_steps_line))] if self.max_steps else []
        out = [Fact("metric.logged", m, source(src, ln)) for m, ln in self.metrics.items()]
        out.append(Fact("run.steps_logged", self.steps_logged, source(src, self.last_line)))
        if self.last_step is not None:
            out.append(Fact("run.last_step", self.last_step, source(src, self.last_line)))
        if self.max_steps is not None:
            out.append(Fact("run.max_steps", self.max_steps, source(src, self.max_steps_line)))
        out.append(Fact("run.completed", self.completed, source(src, self.completed_line)))
        out.append(Fact("run.has_eval", bool(self.eval_line), source(src, self.eval_line)))
        return out


def preferred_fields(raw: list[str], canonical: list[str]) -> dict[str, int]:
    """Canonical name -> the field that supplies it when a record holds two names of one metric
    (unsloth logs ``completion_length`` beside ``completions/mean_length``): the field already
    spelled canonically, else the first."""
    out: dict[str, int] = {}
    for i, (r, name) in enumerate(zip(raw, canonical)):
        if name not in out or (r.strip() == name and raw[out[name]].strip() != name):
            out[name] = i
    return out


def add_record(reading: Reading, run: RunTracker, fields: Mapping[str, Any], line: int,
               step: int | None = None, tabular: bool = True) -> str:
    """Store one record's metrics in ``reading`` and note it in ``run``; returns its kind.

    ``step`` None means the record carries none: a train record then takes the next
    step in order of appearance, an eval record the last train step.
    """
    raw = list(fields)
    canonical = [canonical_metric(k) for k in raw]
    preferred = preferred_fields(raw, canonical)
    names = {name: fields[k] for i, (k, name) in enumerate(zip(raw, canonical)) if preferred[name] == i}
    kind = record_kind(names, tabular)
    if kind == SUMMARY:
        run.summary(line)
        return kind
    if kind == NONE:
        return kind
    if step is None:
        step = (run.last_step or 0) + 1 if kind == TRAIN else (run.last_step or 0)
    has_eval = kind == EVAL
    for name, raw in names.items():
        value = as_number(raw)
        if value is not None and is_metric(kind, name):
            reading.series_for(name).add(step, value, line)
            run.metric(name, line)
            has_eval = has_eval or name.startswith("eval_")  # a table row can hold both
    if kind == TRAIN:
        run.train(step, line)
    if has_eval:
        run.eval(line)
    return kind
