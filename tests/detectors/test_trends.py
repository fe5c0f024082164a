"""symptom.trend."""
from __future__ import annotations

import pytest

from assistant.detectors.trends import _climbed_back

from .helpers import NAN, detect, named, noisy_level, one, series_of, trainer_state


def trend(**columns: list[float]) -> list:
    return detect("trends", series_of(**columns), run_kind="grpo")


def test_kl_growing_steadily() -> None:
    f = one(trend(kl=[0.001 * 1.1 ** i for i in range(40)]), "symptom.trend")
    assert (f.attr("metric"), f.attr("direction"), f.attr("monotonic")) == ("kl", "rising", True)
    assert f.attr("last") > 10 * f.attr("first") and f.attr("change") > 9


def test_noisy_entropy_falling() -> None:
    entropy = [0.6 - 0.5 * i / 100 + n for i, n in enumerate(noisy_level(100, 1.0, 0.02))]
    f = one(trend(entropy=[e - 1.0 for e in entropy]), "symptom.trend")
    assert f.attr("direction") == "falling" and f.attr("monotonic") is False


def test_four_points_are_enough() -> None:
    assert one(trend(loss=[2.0, 1.8, 1.6, 1.4]), "symptom.trend").attr("direction") == "falling"


def test_noisy_reward_without_a_trend_is_flat() -> None:
    f = one(trend(reward=noisy_level(100, 0.4, 0.5)), "symptom.trend")
    assert f.attr("direction") == "flat" and f.attr("monotonic") is False


def test_change_is_none_from_zero() -> None:
    f = one(trend(rewards__acc__mean=[0.0] * 10 + [0.5] * 10), "symptom.trend")
    assert f.attr("direction") == "rising" and f.attr("change") is None


@pytest.mark.parametrize("columns", [
    pytest.param({"reward": [0.1, 0.2, 0.3]}, id="three points"),
    pytest.param({"grad_norm": list(range(1, 20))}, id="metric without a trend rule"),
    pytest.param({"kl": [NAN] * 10}, id="all NaN"),
    pytest.param({"kl": [0.1]}, id="single point"),
    pytest.param({"kl": []}, id="empty"),
])
def test_must_not_fire(columns: dict[str, list[float]]) -> None:
    assert trend(**columns) == []


def test_chaos_economy_kl_rises_and_reward_is_flat() -> None:
    _, _, facts = trainer_state("Rusheel86")
    assert one(facts, "symptom.trend", metric="kl").attr("direction") == "rising"
    assert one(facts, "symptom.trend", metric="reward").attr("direction") == "flat"
    assert one(facts, "symptom.trend", metric="loss").attr("direction") == "flat"  # GRPO loss wanders near 0
    assert not named(facts, "symptom.trend", metric="grad_norm")


def test_a_loss_that_fell_and_climbed_back_is_rising() -> None:
    # 15.5 -> 1.43 -> 10: the endpoints' medians say "falling" or noise, the run says the loss is going up again
    f = one(trend(loss=[15.5, 13.0, 3.8, 2.39, 1.43, 5.82, 7.05, 10.03]), "symptom.trend")
    assert f.attr("direction") == "rising"


def test_an_epoch_drop_or_a_small_bounce_is_no_climb_back() -> None:
    assert one(trend(loss=[2.0, 1.6, 1.3, 1.2, 0.9, 0.8, 0.85, 0.8]), "symptom.trend").attr("direction") == "falling"
    # an RL loss around 0 has no ratio: its ups and downs are no climb
    assert not _climbed_back("loss", [0.04, 0.02, -0.01, 0.0, 0.05, 0.03, 0.04, 0.06], 0.05)
    # nor a reward, whose climb after a dip is what training is for
    assert not _climbed_back("reward", [0.5, 0.2, 0.1, 0.3, 0.6], 0.6)


def test_one_late_spike_after_the_lowest_loss_is_no_climb_back() -> None:
    # spikes that recover, the last logged point a spike: the loss did not climb back, it spiked
    assert not _climbed_back("loss", [0.66, 0.80, 4.27, 0.77, 0.556, 0.82, 6.66], 3.74)
    assert _climbed_back("loss", [15.5, 13.0, 3.8, 2.39, 1.43, 5.82, 7.05, 10.03], 8.54)


def test_a_blow_up_before_a_nan_is_no_climb_back() -> None:
    # the last points explode on the way to NaN, the run's last quarter stays near its low
    assert not _climbed_back("loss", [2.4, 1.9, 1.5, 1.2, 1.0, 1.1, 0.9, 1.0, 1.2, 1.3, 4.8, 9.5], 1.3)
