"""Quantitative claims in the user's words become the symptom facts a detector asserts from a log.

Each test states what a person would say about a curve and checks the fact a detector would
have produced from that curve: the same name, the attributes the rules test, source "question".
"""
from __future__ import annotations

import pytest

from assistant.engine.facts import Fact
from assistant.words.claims import facts_from_claims, read_claims


def facts(text: str, kind: str = "sft") -> dict[str, list[Fact]]:
    out: dict[str, list[Fact]] = {}
    for f in facts_from_claims(text, kind):
        assert f.source == "question"
        out.setdefault(f.name, []).append(f)
    return out


def one(text: str, name: str, kind: str = "sft", **where: object) -> Fact:
    found = [f for f in facts(text, kind).get(name, []) if all(f.value.get(k) == v for k, v in where.items())]
    assert found, f"{name} {where} not asserted for {text!r}: {facts(text, kind)}"
    return found[0]


def test_a_fall_then_a_climb_is_a_trend_up_and_a_spike_that_did_not_recover() -> None:
    text = "the loss drops to 0.8, then climbs to about 6.2 and oscillates"
    trend = one(text, "symptom.trend", metric="loss")
    assert trend.value["direction"] == "rising" and trend.value["first"] == 0.8 and trend.value["last"] == 6.2
    spike = one(text, "symptom.spikes", metric="loss")
    assert spike.value["worst_ratio"] == pytest.approx(6.2 / 0.8) and spike.value["recovered"] is False
    assert one(text, "symptom.out_of_range", metric="loss", direction="high").value["worst"] == 6.2


def test_every_value_zero_from_the_start_is_stuck_zero() -> None:
    f = one("every logged loss is 0 from the start", "symptom.stuck_zero", metric="loss")
    assert f.value["all"] is True and f.value["from_step"] == 0


def test_a_named_reward_function_at_zero() -> None:
    one("the format reward is 0.0 for every completion", "symptom.stuck_zero", "grpo", metric="rewards/format/mean")


def test_percentages_before_and_after() -> None:
    f = one("accuracy went from 57% to 2.4% after one round of GRPO", "symptom.trend", "grpo", metric="accuracy")
    assert f.value["direction"] == "falling"
    assert f.value["first"] == pytest.approx(0.57) and f.value["last"] == pytest.approx(0.024)


def test_nan_from_the_first_step() -> None:
    f = one("nan from the first step, both loss and grad_norm", "symptom.nonfinite", metric="grad_norm")
    assert f.value["from_start"] is True


def test_steps_of_each_metric_tell_which_turned_first() -> None:
    f = one("grad_norm is inf at step 212, loss nan from 213", "symptom.nan_first")
    assert f.value["metric"] == "grad_norm" and f.value["step"] == 212 and f.value["other_step"] == 213


def test_a_level_the_loss_sits_at_is_a_plateau_with_that_level() -> None:
    f = one("my loss is not nan but stuck around 2.3", "symptom.plateau", metric="loss")
    assert f.value["level"] == 2.3
    assert "symptom.nonfinite" not in facts("my loss is not nan but stuck around 2.3")


def test_flat_over_a_number_of_steps() -> None:
    f = one("completely flat reward curves over 100 steps", "symptom.trend", "grpo", metric="reward")
    assert f.value["direction"] == "flat" and f.value["n"] == 100


def test_values_past_the_guide_ranges_are_out_of_range() -> None:
    one("frac_reward_zero_std is 1.0 on every step", "symptom.out_of_range", "grpo", metric="frac_reward_zero_std", red=True)
    one("entropy is 0.001 after a few steps", "symptom.out_of_range", "grpo", metric="entropy", direction="low", red=True)
    one("kl is around 15", "symptom.out_of_range", "grpo", metric="kl", direction="high", red=True)


@pytest.mark.parametrize("text", [
    "the loss is not nan", "grad norm isn't zero", "no nan anywhere in the loss", "reward is never 0",
])
def test_negations_take_the_claim_back(text: str) -> None:
    names = set(facts(text, "grpo"))
    assert not names & {"symptom.nonfinite", "symptom.stuck_zero"}, names


def test_a_grpo_loss_says_nothing_by_its_size_or_sign() -> None:
    """GRPO's loss is a signed objective: -0.02 or 0.0 is no plateau, no collapse (as for the detectors)."""
    assert facts("my loss is negative, about -0.02", "grpo") == {}
    assert facts("the loss is around -0.02 the whole time", "sft") == {}


def test_counts_and_sizes_are_not_values_of_the_metric() -> None:
    claim = read_claims("loss spikes to 12 on 8 gpus with a 7b model after 300 steps")[0]
    assert claim.values == [12.0] and claim.steps == [300]


def test_a_spike_that_comes_back() -> None:
    f = one("every so often the loss spikes to 6.6 and comes back down", "symptom.spikes", metric="loss")
    assert f.value["worst_value"] == 6.6 and f.value["count"] >= 1


def test_a_chinese_step_count_is_no_value_and_gradient_accumulation_no_grad_norm() -> None:
    """"4000 步只降到 1.0" (only down to 1.0 by step 4000): 4000 is a step, whatever character follows
    步; "梯度累积 8" is gradient accumulation, not a gradient norm of 8."""
    text = "loss 下降很慢，4000 步只降到 1.0 左右。参数是 lr 5e-5、batch 8、梯度累积 8、max_steps 4000"
    trend = one(text, "symptom.trend", metric="loss")
    assert trend.value["first"] is None and trend.value["last"] == 1.0
    assert not [f for fs in facts(text).values() for f in fs if isinstance(f.value, dict) and f.value.get("metric") == "grad_norm"]
    assert one("梯度范数在 200 步后涨到 50", "symptom.trend", metric="grad_norm").value["last"] == 50.0


def test_config_names_and_hyphenated_versions_are_no_metric_values() -> None:
    """"loss_type online_contrastive, DeepSpeed ZeRO-3": a config key is not the loss curve, and the 3 of
    ZeRO-3 (GPT-4, stage-2) names a thing; neither is a value of any metric."""
    assert facts("swift sft with loss_type online_contrastive and DeepSpeed ZeRO-3 on 8 GPUs") == {}
    assert read_claims("the loss sits at 2.1 under ZeRO-3")[0].values == [2.1]


def test_advantages_that_average_to_zero_are_the_normalisation_not_a_stuck_metric() -> None:
    """Group-normalised advantages sum to 0 in every group by construction; advantages that are 0 on
    every step are a group with no reward spread."""
    assert "symptom.stuck_zero" not in facts("the group-normalised advantages of each group sum to 0", "grpo")
    one("the advantages are 0 on every step", "symptom.stuck_zero", "grpo", metric="advantages")


def test_a_jump_down_is_a_fall_not_a_rise() -> None:
    # "jumps down" at an epoch boundary is the drop a new epoch brings; "jumps up" and "jumped to" still rise
    (down,) = read_claims("the loss is 1.2 and then it jumps down to 0.8 as the next epoch starts")
    assert down.last_move == "down" and "up" not in down.shapes
    (up,) = read_claims("the loss jumps up to 5 at step 300")
    assert up.last_move == "up"


def test_a_nan_before_another_clause_is_not_the_next_metrics() -> None:
    # "grad_norm: nan, although the loss ...": the nan belongs to grad_norm's clause
    found = facts("the log shows grad_norm: nan, although the loss values are finite (loss 1.91)")
    assert [f.attr("metric") for f in found["symptom.nonfinite"]] == ["grad_norm"]
    # with no clause between them, words ahead of a metric still speak for it
    assert [f.attr("metric") for f in facts("after step 300 I get nan loss")["symptom.nonfinite"]] == ["loss"]
