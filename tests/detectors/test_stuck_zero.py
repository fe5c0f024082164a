"""symptom.stuck_zero and symptom.stuck_value."""
from __future__ import annotations

import pytest

from .helpers import NAN, detect, named, noisy_level, one, series_of, trainer_state


def stuck(**columns: list[float]) -> list:
    return detect("stuck_zero", series_of(**columns), run_kind="grpo")


def test_reward_function_always_zero() -> None:
    f = one(stuck(rewards__acc__mean=[0.0] * 30), "symptom.stuck_zero")
    assert f.value == {"metric": "rewards/acc/mean", "zeros": 30, "n": 30, "fraction": 1.0, "from_step": 1, "all": True}
    assert f.source == "train.log#step=1"


def test_mostly_zero_with_negative_zero() -> None:
    values = [0.3, 0.2] + [0.0, -0.0] * 5 + [0.0] * 8  # 18 zeros of 20
    f = one(stuck(reward_std=values), "symptom.stuck_zero")
    assert (f.attr("zeros"), f.attr("fraction"), f.attr("from_step"), f.attr("all")) == (18, 0.9, 3, False)


def test_one_point_is_enough() -> None:
    # A single logged loss of 0.0 (SFT: every label masked). For GRPO it is normal; rules judge the run kind.
    assert one(stuck(loss=[0.0]), "symptom.stuck_zero").attr("n") == 1


def test_frac_reward_zero_std_pinned_at_one() -> None:
    f = one(stuck(frac_reward_zero_std=[0.8] + [1.0] * 9), "symptom.stuck_value")
    assert f.value == {"metric": "frac_reward_zero_std", "value": 1.0, "n": 10, "fraction": 0.9, "from_step": 2,
                       "all": False}


@pytest.mark.parametrize("columns", [
    pytest.param({"reward_std": [0.0] * 7 + [0.2] * 3}, id="70% zeros"),
    pytest.param({"grad_norm": [0.3, 0.0, 0.25, 0.28, 0.0, 0.3, 0.31, 0.29]}, id="GRPO occasional zero-adv skip"),
    pytest.param({"clip_ratio__region_mean": [0.0] * 20}, id="no clipping is healthy"),
    pytest.param({"frac_reward_zero_std": [0.0] * 20}, id="zero frac_reward_zero_std is healthy"),
    pytest.param({"frac_reward_zero_std": [1.0] * 7 + [0.4] * 3}, id="70% at 1.0"),
    pytest.param({"kl": [NAN] * 10}, id="all NaN"),
    pytest.param({"kl": []}, id="empty"),
])
def test_must_not_fire(columns: dict[str, list[float]]) -> None:
    assert stuck(**columns) == []


def test_healthy_grpo_metrics_must_not_fire() -> None:
    healthy = {"reward": (0.4, 0.3), "reward_std": (0.3, 0.2), "kl": (0.02, 0.3)}
    assert stuck(**{k: noisy_level(50, level, noise) for k, (level, noise) in healthy.items()}) == []


def test_chaos_economy_risk_reward_stays_zero() -> None:
    _, _, facts = trainer_state("Rusheel86")
    f = one(facts, "symptom.stuck_zero", metric="rewards/risk_reward_fn/mean")
    assert (f.attr("n"), f.attr("zeros"), f.attr("all")) == (40, 33, False)
    assert not named(facts, "symptom.stuck_zero", metric="rewards/format_reward_fn/mean")
