"""rules/ranges.yaml (loader, lookup) and symptom.out_of_range."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from assistant.detectors._ranges import MetricRange, load_ranges, range_for

from .helpers import GRPO_LOSS, NAN, detect, named, noisy_decay, noisy_level, one, series_of, trainer_state


def out_of_range(run_kind: str, **columns: list[float]) -> list:
    return named(detect("ranges", series_of(**columns), run_kind=run_kind), "symptom.out_of_range")


def grpo(**columns: list[float]) -> list:
    return out_of_range("grpo", **columns)


# --- the data file -------------------------------------------------------------------------------

def test_every_entry_of_the_real_file_builds() -> None:
    for kind, metrics in load_ranges().items():
        for metric in metrics:
            rng = range_for(kind, metric.replace("*", "x"))
            assert isinstance(rng, MetricRange) and rng.note, (kind, metric)


@pytest.mark.parametrize("kind, metric, expected", [
    ("sft", "loss", MetricRange(low=0.5, high=2.0, red_high=15.0)),   # red_high from "any"
    ("sft", "grad_norm", MetricRange(low=0.1, high=10.0, red_high=100.0)),
])
def test_kind_entries_merge_over_any(kind: str, metric: str, expected: MetricRange) -> None:
    rng = range_for(kind, metric)
    assert rng is not None and replace(rng, note="") == expected


@pytest.mark.parametrize("kind, metric, field, value", [
    ("grpo", "rewards/accuracy_reward/mean", "low", 0.15),
    ("grpo", "rewards/accuracy_reward/mean", "after_step", 20),
    ("grpo", "grad_norm", "red_high", 10.0),
    ("grpo", "grad_norm", "ignore_zero", True),
    ("grpo", "loss", "red_high", 15.0),   # from "any"
    ("dpo", "loss", "high", None),        # the guide has no DPO table
    ("ebft", "ebft/diversity", "red_high", 1.0),
])
def test_lookup(kind: str, metric: str, field: str, value: object) -> None:
    assert getattr(range_for(kind, metric), field) == value


@pytest.mark.parametrize("kind, metric", [
    ("grpo", "rewards/accuracy_reward/std"), ("sft", "entropy"), ("unknown", "grad_norm"),
])
def test_no_range(kind: str, metric: str) -> None:
    assert range_for(kind, metric) is None


@pytest.mark.parametrize("text, error", [
    ("ranges:\n  sft:\n    loss: {healthy: [0.5, 2.0], red_hihg: 15}\n", "unknown keys"),
    ("ranges:\n  sft:\n    loss: {healthy: [0.5]}\n", r"healthy must be \[lo, hi\]"),
    ("ranges:\n  sft:\n    loss: {red_high: 1e-3}\n", "must be numbers"),  # YAML 1.1 reads 1e-3 as a string
    ("rules: []\n", "'ranges:' mapping missing"),
])
def test_bad_files_fail_loudly(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "ranges.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=error):
        load_ranges(path)


# --- the detector --------------------------------------------------------------------------------

def test_entropy_collapse_is_low_and_red() -> None:
    entropy = [0.4, 0.3, 0.2, 0.1, 0.04, 0.02, 0.008, 0.005, 0.004, 0.003]
    facts = grpo(entropy=entropy)
    low = one(facts, "symptom.out_of_range", red=False)
    red = one(facts, "symptom.out_of_range", red=True)
    assert low.value == {"metric": "entropy", "direction": "low", "threshold": 0.05, "red": False, "worst": 0.003,
                         "worst_step": 10, "first_step": 5, "fraction": 0.6, "persistent": True, "last": 0.003}
    assert (red.attr("threshold"), red.attr("first_step"), red.attr("fraction")) == (0.01, 7, 0.4)
    assert red.attr("persistent") is True  # the last three are all beyond
    assert red.source == "train.log#step=10"


def test_sft_loss_of_20_is_above_healthy_and_implausible() -> None:
    facts = out_of_range("sft", loss=[20.0, 18.0, 16.0, 14.0, 9.0])
    found = {(f.attr("threshold"), f.attr("red"), f.attr("fraction")) for f in facts}
    assert found == {(2.0, False, 1.0), (15.0, True, 0.6)}


def test_red_flags_are_reached_at_the_threshold() -> None:
    # "1.0 on every step" is red; 0.8 is the healthy bound itself, not beyond it.
    facts = grpo(frac_reward_zero_std=[0.8, 0.8, 1.0, 1.0])
    assert [(f.attr("red"), f.attr("fraction")) for f in facts] == [(False, 0.5), (True, 0.5)]
    assert not grpo(frac_reward_zero_std=[0.8, 0.6, 0.8, 0.4])


def test_rewards_mean_counts_only_after_step_20() -> None:
    warm = [0.0] * 20 + [0.3] * 30  # steps 1..20 at 0, then healthy
    assert not grpo(**{"rewards__acc__mean": warm})
    f = one(grpo(**{"rewards__acc__mean": [0.0] * 50}), "symptom.out_of_range")
    assert f.attr("first_step") == 21 and f.attr("fraction") == 1.0


def test_reward_std_zero_on_most_steps() -> None:
    assert one(grpo(reward_std=[0.0] * 6 + [0.3] * 4), "symptom.out_of_range").attr("fraction") == 0.6
    assert not grpo(reward_std=[0.0] * 3 + [0.3] * 7)  # MUST NOT fire: 30% (persist 0.5, "on most steps")


def test_grpo_grad_norm_zero_is_a_skip_not_a_low_value() -> None:
    assert not grpo(grad_norm=[0.3, 0.0, 0.2, 0.0, 0.25, 0.0])  # MUST NOT fire
    f = one(grpo(grad_norm=[0.3, 0.2, 14.0, 0.25]), "symptom.out_of_range", red=True)
    assert (f.attr("worst"), f.attr("worst_step"), f.attr("persistent")) == (14.0, 3, False)


@pytest.mark.parametrize("kind, columns", [
    pytest.param("sft", {"loss": noisy_decay(500, start=1.9, end=0.9), "grad_norm": noisy_level(500, 1.5, 0.3)},
                 id="healthy SFT"),
    pytest.param("grpo", {"loss": GRPO_LOSS, "kl": [0.0, 0.01, 0.05, 0.1], "entropy": [0.4, 0.35, 0.3, 0.3]},
                 id="healthy GRPO with negative loss"),
    pytest.param("sft", {"entropy": [0.0] * 5, "loss": [1.0]}, id="metric without an SFT range"),
    pytest.param("unknown", {"grad_norm": [500.0]}, id="no range for an unknown kind"),
    pytest.param("sft", {"loss": [NAN] * 5}, id="all NaN"),
    pytest.param("sft", {"loss": []}, id="empty"),
])
def test_must_not_fire(kind: str, columns: dict[str, list[float]]) -> None:
    assert out_of_range(kind, **columns) == []


def test_chaos_economy_clipped_ratio_red() -> None:
    _, _, facts = trainer_state("Rusheel86")
    f = one(facts, "symptom.out_of_range", metric="completions/clipped_ratio", red=True)
    assert (f.attr("direction"), f.attr("threshold"), f.attr("worst"), f.attr("last")) == ("high", 0.8, 1.0, 1.0)
    assert f.attr("worst_step") == 115 and f.attr("persistent") is True


def test_dheena_healthy_sft_has_no_red_flags() -> None:
    _, _, facts = trainer_state("Dheena731")
    assert not named(facts, "symptom.out_of_range", red=True)
