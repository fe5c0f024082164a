"""symptom.lr_schedule and symptom.lr_peak."""
from __future__ import annotations

import math

import pytest

from .helpers import NAN, detect, make_series, named, one, trainer_state

PEAK = 2e-4


def warmup_then(decay: str, warmup: int, total: int, every: int = 10) -> tuple[list[int], list[float]]:
    """HF-style schedules sampled every ``every`` steps: linear warmup, then linear/cosine/constant."""
    steps = list(range(every, total + 1, every))
    values = []
    for s in steps:
        if s < warmup:
            values.append(PEAK * s / warmup)
            continue
        x = (s - warmup) / (total - warmup)
        values.append(PEAK * {"linear": 1 - x, "cosine": 0.5 * (1 + math.cos(math.pi * x)), "constant": 1.0}[decay])
    return steps, values


def schedule(steps: list[int], values: list[float], **ctx: object) -> list:
    return detect("lr_schedule", {"learning_rate": make_series("learning_rate", values, steps=steps)}, **ctx)


@pytest.mark.parametrize("decay, warmup, shape, constant", [
    ("cosine", 100, "cosine", False),
    ("linear", 100, "linear", False),
    ("cosine", 0, "cosine", False),
    ("linear", 0, "linear", False),
    ("constant", 100, "constant", True),
    ("constant", 0, "constant", True),
])
def test_schedules(decay: str, warmup: int, shape: str, constant: bool) -> None:
    steps, values = warmup_then(decay, warmup, total=1000)
    facts = schedule(steps, values, max_steps=1000)
    f = one(facts, "symptom.lr_schedule")
    assert f.attr("warmup") is (warmup > 0)
    assert f.attr("warmup_steps") == warmup
    assert f.attr("warmup_fraction") == warmup / 1000
    assert (f.attr("shape"), f.attr("constant"), f.attr("decay")) == (shape, constant, not constant)
    assert f.attr("peak") == pytest.approx(PEAK, rel=0.02) and f.attr("peak_step") == max(warmup, 10)
    assert one(facts, "symptom.lr_peak").attr("value") == f.attr("peak")


def test_total_steps_from_the_series_when_max_steps_unknown() -> None:
    steps, values = warmup_then("linear", 100, total=1000)
    assert one(schedule(steps, values), "symptom.lr_schedule").attr("warmup_fraction") == 0.1


def test_three_points_are_enough() -> None:
    f = one(schedule([1, 2, 3], [1e-5, 2e-5, 2e-5]), "symptom.lr_schedule")
    assert f.attr("warmup") is True and f.attr("warmup_steps") == 2 and f.attr("shape") == "constant"


def test_restart_after_decay_is_not_a_warmup() -> None:
    f = one(schedule([1, 2, 3, 4, 5, 6], [2e-4, 1e-4, 5e-5, 2.1e-4, 1e-4, 5e-5]), "symptom.lr_schedule")
    assert f.attr("warmup") is False and f.attr("shape") == "other"


@pytest.mark.parametrize("values", [
    pytest.param([1e-4, 1e-4], id="two points"),
    pytest.param([1e-4], id="single point"),
    pytest.param([], id="empty"),
    pytest.param([NAN] * 5, id="all NaN"),
])
def test_must_not_fire(values: list[float]) -> None:
    assert schedule(list(range(1, len(values) + 1)), values) == []


@pytest.mark.parametrize("stem, warmup, shape", [
    ("DMalakhov1", False, "linear"),  # 2e-4 linear decay, already 1.9e-4 at the first log (step 10)
    ("O5-7", False, "linear"),        # 0.02 linear decay for prefix tuning, no warmup
    ("Jaong", False, "linear"),
    ("Dheena731", True, "cosine"),    # warmup to 1e-5 by step 60, then cosine
    ("Rusheel86", True, "linear"),    # warmup to 4.9e-5 by step 25, then linear
])
def test_real_schedules(stem: str, warmup: bool, shape: str) -> None:
    _, _, facts = trainer_state(stem)
    f = one(facts, "symptom.lr_schedule")
    assert (f.attr("warmup"), f.attr("shape")) == (warmup, shape)


def test_o5_7_peak_is_the_prefix_tuning_lr() -> None:
    _, _, facts = trainer_state("O5-7")
    assert one(facts, "symptom.lr_peak").attr("value") == pytest.approx(0.02, rel=0.01)
    assert not named(facts, "symptom.spikes")


def test_a_tail_that_starts_late_in_the_epochs_does_not_show_the_peak() -> None:
    """HF dict lines carry no step: the reader numbers a pasted tail from 1, but its epoch column says
    it starts 2.7 epochs in, so the first (decayed) rate is not the configured peak."""
    steps = list(range(1, 51))
    lrs = [PEAK * 0.5 * (1 + math.cos(math.pi * (900 + s) / 1000)) for s in steps]
    series = {"learning_rate": make_series("learning_rate", lrs, steps=steps),
              "epoch": make_series("epoch", [2.7 + s * 0.003 for s in steps], steps=steps)}
    facts = detect("lr_schedule", series)
    assert one(facts, "symptom.lr_peak").attr("peak_seen") is False
    early = {"learning_rate": series["learning_rate"], "epoch": make_series("epoch", [s * 0.003 for s in steps], steps=steps)}
    assert one(detect("lr_schedule", early), "symptom.lr_peak").attr("peak_seen") is True
