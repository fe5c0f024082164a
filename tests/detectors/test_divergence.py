"""symptom.eval_divergence, symptom.loss_collapse and symptom.epochs."""
from __future__ import annotations

import pytest

from assistant.evidence.series import MetricSeries

from .helpers import GRPO_LOSS, NAN, detect, make_series, named, noisy_decay, one, trainer_state

TRAIN_STEPS = list(range(10, 1010, 10))        # train loss every 10 steps
EVAL_STEPS = list(range(100, 1100, 100))       # eval every 100 steps
FALLING_TRAIN = noisy_decay(100, start=2.0, end=0.5, noise=0.01)
OVERFIT_EVAL = [1.5, 1.3, 1.15, 1.05, 1.0, 1.02, 1.06, 1.1, 1.15, 1.2]  # bottoms at step 500


def divergence(
    train: list[float] | None, evals: list[float] | None, run_kind: str = "sft", **extra: MetricSeries,
) -> list:
    series = dict(extra)
    if train is not None:
        series["loss"] = make_series("loss", train, steps=TRAIN_STEPS[:len(train)])
    if evals is not None:
        series["eval_loss"] = make_series("eval_loss", evals, steps=EVAL_STEPS[:len(evals)])
    return detect("divergence", series, run_kind=run_kind)


def test_eval_rises_while_train_falls() -> None:
    f = one(divergence(FALLING_TRAIN, OVERFIT_EVAL), "symptom.eval_divergence")
    assert f.value == {
        "train_metric": "loss", "eval_metric": "eval_loss", "eval_min_step": 500, "eval_min": 1.0,
        "eval_last": 1.2, "eval_last_step": 1000, "rise": pytest.approx(0.2), "train_change": f.attr("train_change"),
        "gap": pytest.approx(1.2 - FALLING_TRAIN[-1]),
    }
    assert f.attr("train_change") == pytest.approx(FALLING_TRAIN[-1] / FALLING_TRAIN[49] - 1)
    assert f.source == "train.log#step=1000"


def test_jaong_real_overfitting() -> None:
    # eval_loss bottoms at 0.4853 (step 3294, epoch 6) and creeps to 0.4917 while train falls 0.36 -> 0.26:
    # a +1.3% rise, kept by EVAL_RISE_MIN = 1% because it rises at each of the four evaluations after.
    _, _, facts = trainer_state("Jaong")
    f = one(facts, "symptom.eval_divergence")
    assert (f.attr("eval_min_step"), f.attr("eval_last_step")) == (3294, 5490)
    assert f.attr("eval_min") == pytest.approx(0.4853, abs=1e-4)
    assert f.attr("rise") == pytest.approx(0.0131, abs=5e-4)
    assert f.attr("train_change") < -0.2
    assert one(facts, "symptom.epochs").attr("max_epoch") == 10.0


@pytest.mark.parametrize("evals", [
    pytest.param([1.32, 1.2, 1.18, 1.1795, 1.19, 1.1937, 1.197], id="+1.5% held over three evals"),
    pytest.param([1.32, 1.2, 1.18, 1.15, 1.19, 1.2], id="+4.3% over two evals"),
])
def test_small_rise_needs_three_evals_large_rise_two(evals: list[float]) -> None:
    assert one(divergence(FALLING_TRAIN, evals), "symptom.eval_divergence").attr("eval_last") == evals[-1]


@pytest.mark.parametrize("train, evals", [
    pytest.param(FALLING_TRAIN, [1.5, 1.3, 1.2, 1.1, 1.05, 1.0, 0.98, 0.97, 0.965, 0.96], id="both falling"),
    pytest.param(FALLING_TRAIN, [1.5, 1.3, 1.2, 1.1, 1.05, 1.0, 0.98, 0.97, 0.965, 0.975], id="one eval up: noise"),
    pytest.param(FALLING_TRAIN, [1.5, 1.3, 1.0, 1.002, 1.004, 1.003, 1.005], id="0.5% rise"),
    pytest.param(FALLING_TRAIN, [1.5, 1.3, 1.0, 1.3, 1.25, 1.2, 1.15, 1.1], id="bump, then coming back down"),
    pytest.param(list(reversed(FALLING_TRAIN)), OVERFIT_EVAL, id="train rising too: not overfitting"),
    pytest.param(None, OVERFIT_EVAL, id="no train loss"),
    pytest.param(FALLING_TRAIN, [1.0, 1.2], id="two evals"),
    # flat late eval (third epoch): its lowest point is the luckiest, two evals after it +1.2% = wobble
    pytest.param(FALLING_TRAIN, [1.32, 1.197, 1.19, 1.1795, 1.1905, 1.1937], id="flat late: +1.2% over two evals"),
    pytest.param(FALLING_TRAIN, [NAN] * 10, id="all-NaN eval"),
    pytest.param(FALLING_TRAIN, None, id="no eval"),
])
def test_eval_divergence_must_not_fire(train: list[float] | None, evals: list[float] | None) -> None:
    assert not named(divergence(train, evals), "symptom.eval_divergence")


def test_loss_collapse_over_many_epochs() -> None:
    train = noisy_decay(100, start=2.0, end=0.02, noise=0.01)
    epoch = make_series("epoch", [e / 10 for e in range(1, 101)], steps=TRAIN_STEPS)
    facts = divergence(train, None, epoch=epoch)
    f = one(facts, "symptom.loss_collapse")
    assert f.attr("metric") == "loss" and f.attr("step") == 1000
    assert f.attr("value") < 0.1 * f.attr("from_value")
    assert one(facts, "symptom.epochs").value == {"max_epoch": 10.0}


@pytest.mark.parametrize("kind, train", [
    pytest.param("sft", FALLING_TRAIN, id="2.0 -> 0.5 is a 75% fall"),
    pytest.param("grpo", GRPO_LOSS, id="GRPO signed loss"),
    pytest.param("sft", [2.0], id="single point"),
    pytest.param("sft", [0.0] * 10, id="zero loss"),
])
def test_loss_collapse_must_not_fire(kind: str, train: list[float]) -> None:
    assert not named(divergence(train, None, run_kind=kind), "symptom.loss_collapse")


@pytest.mark.parametrize("stem", ["Dheena731", "DMalakhov1", "O5-7", "Rusheel86"])
def test_real_runs_without_divergence(stem: str) -> None:
    _, _, facts = trainer_state(stem)
    assert not named(facts, "symptom.eval_divergence") and not named(facts, "symptom.loss_collapse")
