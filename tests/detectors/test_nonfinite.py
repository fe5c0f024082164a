"""symptom.nonfinite, symptom.nan_first and symptom.grad_norm_blowup."""
from __future__ import annotations

import pytest

from assistant.evidence.series import MetricSeries

from .helpers import GRPO_LOSS, INF, NAN, detect, make_series, named, noisy_decay, noisy_level, one, trainer_state

N = 1000


def run_with(loss: list[float], grad: list[float] | None = None, **extra: list[float]) -> list:
    series = {"loss": make_series("loss", loss)}
    if grad is not None:
        series["grad_norm"] = make_series("grad_norm", grad)
    series.update({k: make_series(k, v) for k, v in extra.items()})
    return detect("nonfinite", series)


def nan_from(values: list[float], step: int, value: float = NAN) -> list[float]:
    """``values`` with every point from ``step`` (1-based) on replaced by ``value``."""
    return values[:step - 1] + [value] * (len(values) - step + 1)


def test_loss_turns_nan_at_812_forward_pass() -> None:
    grad = noisy_level(N, 1.2, 0.1)
    facts = run_with(nan_from(noisy_decay(N), 812), grad)
    f = one(facts, "symptom.nonfinite", metric="loss")
    assert f.value == {"metric": "loss", "step": 812, "value": "nan", "count": N - 811,
                       "fraction": (N - 811) / N, "intermittent": False, "from_start": False}
    assert f.source == "train.log#step=812"
    first = one(facts, "symptom.nan_first")
    assert first.attr("metric") == "loss" and first.attr("step") == 812
    assert first.attr("other_metric") == "grad_norm" and first.attr("other_step") is None
    assert first.attr("same_step") is False
    assert first.attr("prev_grad_norm") == grad[810]  # step 811, the last before the NaN
    assert first.attr("grad_norm_before") == max(grad[806:811])
    assert not named(facts, "symptom.grad_norm_blowup")  # grad_norm stayed ~1.2


def test_grad_norm_inf_then_loss_nan_is_a_blowup() -> None:
    grad = nan_from(noisy_level(N, 1.2, 0.1), 640, INF)
    loss = nan_from(noisy_decay(N), 641)
    facts = run_with(loss, grad)
    first = one(facts, "symptom.nan_first")
    assert (first.attr("metric"), first.attr("step"), first.attr("other_step")) == ("grad_norm", 640, 641)
    assert first.attr("prev_grad_norm") is None  # only reported when loss turned first
    assert one(facts, "symptom.nonfinite", metric="grad_norm").attr("value") == "inf"
    blow = one(facts, "symptom.grad_norm_blowup")
    assert blow.attr("step") == 640 and blow.attr("value") == "inf" and blow.attr("ratio") is None
    assert blow.attr("baseline") == pytest.approx(1.2, rel=0.1)


def test_finite_grad_norm_rising_1000x_before_loss_nan_is_a_blowup() -> None:
    grad = noisy_level(300, 0.8, 0.1)
    grad[297] = 900.0  # step 298
    loss = nan_from(noisy_decay(300), 300)
    blow = one(run_with(loss, grad), "symptom.grad_norm_blowup")
    assert blow.attr("step") == 298 and blow.attr("value") == 900.0
    assert blow.attr("ratio") > 100


def test_grad_norm_and_loss_nan_at_the_same_step() -> None:
    facts = run_with(nan_from(noisy_decay(N), 300), nan_from(noisy_level(N, 1.0, 0.1), 300))
    first = one(facts, "symptom.nan_first")
    assert first.attr("metric") == "grad_norm" and first.attr("same_step") is True
    assert first.attr("other_metric") == "loss" and first.attr("other_step") == 300
    # grad_norm went NaN, not inf: the FP8 pattern, not an explosion.
    assert not named(facts, "symptom.grad_norm_blowup")


def test_single_nan_is_intermittent() -> None:
    loss = noisy_decay(100)
    loss[49] = NAN
    f = one(run_with(loss), "symptom.nonfinite")
    assert (f.attr("step"), f.attr("count"), f.attr("intermittent")) == (50, 1, True)


@pytest.mark.parametrize("value, text", [(NAN, "nan"), (INF, "inf"), (-INF, "-inf")])
def test_value_text(value: float, text: str) -> None:
    assert one(run_with([1.0, value, 1.0]), "symptom.nonfinite").attr("value") == text


def test_nan_from_the_first_point() -> None:
    f = one(run_with([NAN] * 20), "symptom.nonfinite")
    assert f.attr("from_start") is True and f.attr("fraction") == 1.0 and f.attr("intermittent") is False


def test_line_numbers_make_file_line_sources() -> None:
    s = make_series("loss", [1.0, 0.9, NAN], lines=[4409, 4410, 4411])
    assert one(detect("nonfinite", {"loss": s}), "symptom.nonfinite").source == "train.log:4411"


def test_eval_loss_first() -> None:
    facts = run_with(nan_from(noisy_decay(100), 90), eval_loss=nan_from(noisy_decay(100), 60))
    first = one(facts, "symptom.nan_first")
    assert (first.attr("metric"), first.attr("step"), first.attr("other_metric"), first.attr("other_step")) == (
        "eval_loss", 60, "loss", 90)


def test_other_metrics_count_only_when_no_core_metric_turned() -> None:
    # A reward std over one completion can be NaN from the start; the loss turning later matters more.
    std = {"rewards/f/std": [NAN] * 100}
    assert one(run_with(noisy_decay(100), **std), "symptom.nan_first").attr("metric") == "rewards/f/std"
    assert one(run_with(nan_from(noisy_decay(100), 70), **std), "symptom.nan_first").attr("metric") == "loss"


def test_decimated_long_series_keeps_the_exact_nan_step() -> None:
    loss = noisy_decay(60_000)
    loss[41_233] = NAN  # step 41234
    s = make_series("loss", loss)
    assert s.decimated
    f = one(detect("nonfinite", {"loss": s}), "symptom.nonfinite")
    assert (f.attr("step"), f.attr("count"), f.attr("intermittent")) == (41_234, 1, True)


@pytest.mark.parametrize("series", [
    pytest.param({"loss": noisy_decay(500), "grad_norm": noisy_level(500, 1.0, 0.2)}, id="healthy SFT"),
    pytest.param({"loss": GRPO_LOSS}, id="GRPO negative loss"),
    pytest.param({"loss": [0.0] * 10, "grad_norm": [0.0] * 10}, id="zeros are finite"),
    pytest.param({"loss": [1.0]}, id="single point"),
    pytest.param({"loss": []}, id="empty"),
])
def test_must_not_fire(series: dict[str, list[float]]) -> None:
    assert detect("nonfinite", {k: make_series(k, v) for k, v in series.items()}) == []


def test_must_not_fire_on_empty_metric_series() -> None:
    assert detect("nonfinite", {"loss": MetricSeries("loss")}) == []


@pytest.mark.parametrize("stem", ["Dheena731", "DMalakhov1", "Jaong", "O5-7", "Rusheel86"])
def test_real_runs_have_no_nonfinite(stem: str) -> None:
    _, _, facts = trainer_state(stem)
    assert not named(facts, "symptom.nonfinite") and not named(facts, "symptom.nan_first")
