"""symptom.spikes and symptom.early_spike."""
from __future__ import annotations

import pytest

from .helpers import (
    GRPO_LOSS, HEALTHY_NOISY_GRAD, HEALTHY_NOISY_LOSS, NAN, SEVEN_POINT_LOSS, detect, make_series, named,
    noisy_decay, noisy_level, one, series_of, trainer_state,
)


def spikes(run_kind: str = "sft", **columns: list[float]) -> list:
    return detect("spikes", series_of(**columns), run_kind=run_kind)


def with_spike(values: list[float], step: int, factor: float) -> list[float]:
    out = list(values)
    out[step - 1] *= factor
    return out


def test_6x_loss_spike_at_step_812_in_a_long_noisy_run() -> None:
    loss = with_spike(noisy_decay(1000), 812, 6.0)
    f = one(spikes(loss=loss), "symptom.spikes", metric="loss")
    assert (f.attr("worst_step"), f.attr("first_step"), f.attr("count")) == (812, 812, 1)
    assert f.attr("worst_value") == loss[811]
    assert f.attr("worst_ratio") == pytest.approx(6.0, rel=0.15)
    assert f.attr("recovered") is True
    assert f.source == "train.log#step=812"


def test_seven_point_run_with_two_spikes() -> None:
    # Worst is the last point, 8.5x the median of the six before; nothing follows it, so not recovered.
    f = one(spikes(loss=SEVEN_POINT_LOSS), "symptom.spikes")
    assert (f.attr("count"), f.attr("first_step"), f.attr("worst_step")) == (2, 3, 7)
    assert 8.0 <= f.attr("worst_ratio") <= 9.0
    assert f.attr("recovered") is False
    assert f.attr("fraction") == pytest.approx(2 / 7)


def test_spike_that_does_not_come_down_is_not_recovered() -> None:
    loss = noisy_decay(200)
    loss[150:] = [v * 5 for v in loss[150:]]
    f = one(spikes(loss=loss), "symptom.spikes")
    assert f.attr("first_step") == 151 and f.attr("recovered") is False


@pytest.mark.parametrize("kind, base, jump, fires", [
    ("sft", 1.5, 150.0, True),     # 100x and past the SFT red flag (100)
    ("sft", 20.0, 120.0, True),    # only 6x, but past the red flag
    ("sft", 2.0, 12.0, False),     # MUST NOT fire: 6x and under the SFT red flag (100)
    ("grpo", 0.3, 15.0, True),     # past the GRPO red flag (10)
    ("grpo", 0.3, 2.0, False),     # MUST NOT fire: 6.7x and under 10
    ("unknown", 2.0, 25.0, True),  # no range known: the 10x ratio alone
])
def test_grad_norm_needs_10x_or_the_red_flag(kind: str, base: float, jump: float, fires: bool) -> None:
    grad = noisy_level(100, base, 0.05)
    grad[60] = jump
    found = named(spikes(kind, grad_norm=grad), "symptom.spikes", metric="grad_norm")
    assert bool(found) == fires
    if fires:
        assert found[0].attr("worst_step") == 61


def test_eval_loss_spike() -> None:
    f = one(spikes(eval_loss=with_spike(noisy_decay(40, noise=0.01), 30, 3.0)), "symptom.spikes")
    assert f.attr("metric") == "eval_loss" and f.attr("worst_step") == 30


def test_single_early_spike_at_step_1_is_info_only() -> None:
    loss = [8.0] + noisy_decay(100, start=2.0)[1:]
    facts = spikes(loss=loss)
    assert not named(facts, "symptom.spikes")
    early = one(facts, "symptom.early_spike")
    assert early.attr("step") == 1 and early.attr("value") == 8.0 and early.attr("ratio") > 3


def test_first_step_grad_norm_33_then_settling_is_early() -> None:
    # NukumizuKazuhiko/ab-verifier (shared/data/trainer-states/SOURCE.md): first grad_norm 33.4, then normal.
    facts = spikes(grad_norm=[33.4] + noisy_level(60, 1.5, 0.1))
    assert not named(facts, "symptom.spikes") and one(facts, "symptom.early_spike").attr("step") == 1


def test_decimated_long_series_keeps_the_exact_spike_step() -> None:
    loss = with_spike(noisy_decay(60_000, noise=0.02), 41_000, 6.0)
    loss[50_000] = NAN
    s = make_series("loss", loss)
    assert s.decimated
    f = one(detect("spikes", {"loss": s}, run_kind="sft"), "symptom.spikes")
    assert f.attr("worst_step") == 41_000 and f.attr("count") == 1


def with_blips(n: int, at: list[int], factor: float) -> list[float]:
    loss = noisy_decay(n, start=1.7, end=0.95, noise=0.02)
    for step in at:
        loss = with_spike(loss, step, factor)
    return loss


@pytest.mark.parametrize("n, at, factor", [
    (1200, [400, 753, 847], 2.6),   # three single-batch bumps in 1200 per-step points
    (600, [300], 2.2),
])
def test_rare_single_point_bumps_under_3x_are_blips(n: int, at: list[int], factor: float) -> None:
    facts = spikes(loss=with_blips(n, at, factor))
    assert not named(facts, "symptom.spikes")
    blips = one(facts, "symptom.blips")
    assert blips.attr("count") == len(at) and blips.attr("n") == n and blips.attr("worst_ratio") < 3


@pytest.mark.parametrize("loss", [
    pytest.param(with_blips(1200, [400, 753], 4.0), id="4x: the guide's spike"),
    pytest.param(with_blips(200, [100, 150, 170], 2.5), id="three in 200 points: more than 1%"),
    pytest.param(with_blips(80, [50], 2.5), id="under 100 points"),
    pytest.param(with_blips(1200, [400, 401, 402], 2.5), id="three points wide"),
    pytest.param(with_blips(1200, [1200], 2.5), id="the last point: recovery unseen"),
])
def test_wider_larger_frequent_or_unrecovered_jumps_stay_spikes(loss: list[float]) -> None:
    facts = spikes(loss=loss)
    assert named(facts, "symptom.spikes", metric="loss") and not named(facts, "symptom.blips")


def test_grad_norm_never_blips() -> None:
    grad = noisy_level(1200, 1.0, 0.05)
    grad[600] = 12.0
    assert named(spikes(grad_norm=grad), "symptom.spikes", metric="grad_norm")


@pytest.mark.parametrize("kind, columns", [
    pytest.param("sft", {"loss": HEALTHY_NOISY_LOSS, "grad_norm": HEALTHY_NOISY_GRAD}, id="healthy noisy SFT excerpt"),
    pytest.param("sft", {"loss": noisy_decay(2000), "grad_norm": noisy_level(2000, 1.5, 0.2)}, id="healthy SFT"),
    pytest.param("grpo", {"loss": GRPO_LOSS}, id="GRPO negative loss"),
    pytest.param("sft", {"loss": [0.01, -0.2, 0.02, 0.5, 0.01]}, id="signed loss of unknown origin"),
    pytest.param("grpo", {"grad_norm": [0.3, 0.0, 0.31, 0.0, 0.29, 0.3, 0.0, 0.32, 0.28, 0.3]},
                 id="GRPO zero-adv skips"),
    pytest.param("sft", {"loss": [1.0, 1.0001, 1.0, 0.9999, 1.0, 1.0002, 1.0]}, id="flat"),
    pytest.param("sft", {"loss": [1.0]}, id="single point"),
    pytest.param("sft", {"loss": []}, id="empty"),
    pytest.param("sft", {"loss": [NAN] * 10}, id="all NaN"),
])
def test_must_not_fire(kind: str, columns: dict[str, list[float]]) -> None:
    facts = spikes(kind, **columns)
    assert not named(facts, "symptom.spikes")


@pytest.mark.parametrize("stem", ["Dheena731", "O5-7", "DMalakhov1", "Jaong", "Rusheel86"])
def test_real_runs_have_no_spikes(stem: str) -> None:
    _, _, facts = trainer_state(stem)
    assert not named(facts, "symptom.spikes")
