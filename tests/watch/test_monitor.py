"""The monitor: judged at once on a new NaN, on a budget otherwise; a bad line or a failed judgement is a note."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.watch.live import LiveReading
from assistant.watch.monitor import RunMonitor
from assistant.watch.schedule import TimeBudget
from assistant.watch.sources.log import LogSource

from .trainer_log import lines, write


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def monitor(log: Path, clock: Clock) -> RunMonitor:
    reading = LiveReading(str(log), "stdout_log")
    return RunMonitor(reading, [LogSource(log, reading)], schedule=TimeBudget(share=0.01, min_interval=2.0, clock=clock))


def test_ordinary_points_wait_for_the_budget_a_nan_does_not(tmp_path: Path) -> None:
    log, clock = tmp_path / "train.log", Clock()
    run = list(lines(total=120, nan_at=60))
    m = monitor(log, clock)
    write(log, "".join(run[:30]))
    m.poll()
    assert m.maybe_judge() is not None  # the first judgement is due at once
    write(log, "".join(run[30:50]))
    m.poll()
    assert m.maybe_judge() is None  # healthy points: not before the budget allows
    write(log, "".join(run[50:61]))
    m.poll()
    judged = m.maybe_judge()  # the NaN: at once
    assert judged is not None and [a.id for a in judged.alerts] == ["gradient_explosion"]
    snap = m.snapshot()
    assert snap.step == 60 and snap.worst.id == "gradient_explosion" and "step 60" in snap.line()


def test_unreadable_metric_lines_are_said_once(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    m = monitor(log, Clock())
    write(log, "".join(list(lines(total=120))[:20]) + "{'loss': 'x!', 'grad_norm': '??', 'learning_rate': 'a'}\n")
    m.poll()
    assert any("could not be parsed" in w for w in m.new_warnings())
    m.poll()
    assert m.new_warnings() == []


def test_a_failed_judgement_is_a_note_and_the_watch_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "train.log"
    m = monitor(log, Clock())
    write(log, "".join(list(lines(total=120))[:20]))
    m.poll()

    def broken(self: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("assistant.watch.monitor.Consultation.run", broken)
    assert m.maybe_judge() is None
    assert m.new_warnings() == ["judging the run failed (RuntimeError: boom); watching goes on"]
