"""Paraphrase round, RL / SFT: the same symptoms said in other words than the dev threads used - "receives
exactly the same reward", "the model learns nothing", "loss ~1 with grad_accum=1 but 8-10 with grad_accum=4",
"the output never ends", "batch 4, gradient accumulation 32", "clipping fraction", "ran RL on it", a share of
prompts skipped by a variance filter - and the readings that must not fire ("learns nothing" is no reward,
"exactly the same reward" is no truncation, "ZeRO-3" is no zero, a number inside a formula is no value)."""
from __future__ import annotations

import pytest

from assistant.words.claims import facts_from_claims

from .helpers import phrases, quantities


@pytest.mark.parametrize("text,fact", [
    ("for some prompts every completion in the group receives exactly the same reward", "user.same_reward_group"),
    ("62% of the training prompts got skipped by the variance filter", "user.same_reward_group"),
    ("default config except I made the number of update epochs per batch large", "user.many_inner_updates"),
    ("LoRA training with lr 1e-6 and the model learns nothing at all", "user.no_effect"),
    ("sfttrainer: loss is ~1 with grad_accum=1 but about 8-10 with grad_accum=4", "user.ga_changes_loss"),
    ("test score gets better for the first 2 epochs and then keeps dropping", "user.eval_rising"),
    ("it answers logic and math questions terribly", "user.answers_poor"),
    ("when I generate with vllm the output never ends", "user.no_stop"),
    ("it gives the right answer and then just keeps generating", "user.no_stop"),
    ("vllm_vs_local_logprob_diff_mean keeps growing", "user.is_ratio_odd"),
    ("train_rollout_logprob_abs_diff is around 0.2-0.4", "user.is_ratio_odd"),
    ("why is the difference between training and rollout logprobs so big?", "user.is_ratio_odd"),
    ("then I ran RL on it with the SAPO loss", "user.grpo"),
    ("with ZeRO-2 the loss collapses to 0.0. With ZeRO-3 the loss is normal.", "user.zero_stage_changes_result"),
    ("doing SFT directly from the base works fine", "user.base_model_works"),
])
def test_paraphrased_symptoms(text: str, fact: str) -> None:
    assert fact in phrases(text)


@pytest.mark.parametrize("text,fact", [
    ("LoRA training with lr 1e-6 and the model learns nothing at all", "user.reward_zero"),
    ("for some prompts every completion in the group receives exactly the same reward", "user.completions_truncated"),
    ("I do SFT first and RL later.", "user.grpo"),
    ("the loss goes down normally and the model answers correctly", "user.no_stop"),
])
def test_paraphrase_readings_that_must_not_fire(text: str, fact: str) -> None:
    assert fact not in phrases(text)


def test_all_completions_of_exactly_the_cap_still_read_as_truncated() -> None:
    assert "user.completions_truncated" in phrases("all completions are exactly 256 tokens long")
    assert "user.completions_truncated" in phrases("every completion has length 80")


def _batch(text: str) -> object:
    return quantities(text).get("user.batch_size")


@pytest.mark.parametrize("text,n", [
    ("custom dataset, batch 4, gradient accumulation 32", 4),
    ("lr 3e-6, batch 8, mini-batch 8, micro-batch 1", 1),   # a named micro batch wins over the bare one
    ("at batch 1200 the loss spikes", None),                 # a position, not a size
    ("batch 3 of 10 fails", None),                           # a count
    ("per-device batch size 16", 16),
])
def test_a_bare_batch_number_is_the_batch_size(text: str, n: object) -> None:
    assert _batch(text) == n


def _claims(text: str, kind: str = "grpo") -> list[tuple[str, dict]]:
    return [(f.name, f.value) for f in facts_from_claims(text, kind)]


def test_clipping_fraction_is_the_clip_ratio() -> None:
    got = _claims("clipping fraction and response length explode, after that the model stops learning")
    assert any(v.get("metric") == "clip_ratio/region_mean" and v.get("direction") == "rising" for _, v in got)


def test_numbers_in_a_formula_are_no_values_of_the_metric() -> None:
    got = _claims("in the docs the reward to get 20-character completions is abs(20 - len(completion))")
    assert not [v for n, v in got if v.get("metric") == "reward" and (v.get("first") == 20 or v.get("worst") == 20)]


def test_zero_stage_names_are_no_zero_claim() -> None:
    got = _claims("with ZeRO-3 the loss is normal", "sft")
    assert not [n for n, v in got if n == "symptom.stuck_zero"]


@pytest.mark.parametrize("text,fact", [
    ("Upgraded deepspeed to 0.12.2 and now the loss is always 0", "user.library_upgrade"),
    ("Upgraded deepspeed to 0.12.2 and now the loss is always 0", "user.old_deepspeed"),
    ("the same code was fine on the older version", "user.version_regression"),
    ("a warning that the template could not be found and the instance is ignored in the loss", "user.template_not_found"),
    ("the model mostly doesn't stop, only ~30% of answers end properly", "user.no_stop"),
    ("user turn tokens keep their label ids while tokens after the assistant marker are -100", "user.prompt_trained"),
    ("the masking looks wrong", "user.prompt_trained"),
])
def test_paraphrased_setup_and_masking_words(text: str, fact: str) -> None:
    assert fact in phrases(text)


@pytest.mark.parametrize("text,fact", [
    ("the training job does not stop", "user.no_stop"),
    ("is masking broken?", "user.prompt_trained"),              # a question, not an observation
    ("my response template starts with the pad token (pad = eos)", "user.padding_error"),  # the setup, not a missing pad token
])
def test_paraphrased_words_that_must_not_fire(text: str, fact: str) -> None:
    assert fact not in phrases(text)


@pytest.mark.parametrize("text,fact", [
    ("sample_packing: true -> loss 0, ppl 1. sample_packing: false -> normal training.", "user.packing_off_works"),
    ("With sample_packing on the loss goes to 0. Setting both to false, training works as expected.", "user.packing_off_works"),
    ("lora 13b: the model do not know when stop, keeps writing new instructions", "user.no_stop"),
    ("the adapter stays near base model", "user.no_effect"),
    ("the model output is only !!!!!!!!! for all prompts", "user.repetition"),
    ("grpo with lora breaks; the full parameter version is normal", "user.only_with_lora"),
    ("SFT on the original model is ok", "user.base_model_works"),
])
def test_paraphrased_terse_words(text: str, fact: str) -> None:
    assert fact in phrases(text)


def test_packing_named_without_a_contrast_is_no_packing_off_claim() -> None:
    assert "user.packing_off_works" not in phrases("I use sample packing and the loss is fine")


@pytest.mark.parametrize("text,fact", [
    ("训练时只打印 train loss，没有 eval loss，怎么加验证集？", "user.no_eval_loss"),
    ("奖励函数报错 TypeError", "user.grpo"),
    ("每条 completion 长度都正好是 256", "user.completions_truncated"),
    ("开启 sample_packing 后 loss 变成 0，关掉就正常训练。", "user.packing_off_works"),
    ("测试集效果前 2 个 epoch 变好，之后持续变差", "user.eval_rising"),
])
def test_paraphrased_chinese_words(text: str, fact: str) -> None:
    assert fact in phrases(text)


def test_a_test_score_that_rises_later_is_no_eval_rising() -> None:
    assert "user.eval_rising" not in phrases("测试集准确率之后持续上升")


@pytest.mark.parametrize("text,fact", [
    ("the model writes a think paragraph and then <answer></answer> with nothing inside", "user.completions_empty"),
    ("the output is one line and then <|fim_middle|> repeated again and again", "user.repetition"),
    ("the gap between vLLM logprobs and trainer logprobs keeps widening", "user.is_ratio_odd"),
    ("loss goes to 0.0 in the finetune stage with ZeRO-2, ZeRO-3 fine", "user.zero_stage_changes_result"),
    ("bs=1/GA=4 vs bs=2/GA=1 gives a different loss", "user.ga_changes_loss"),
    ("we reuse each batch 8 times", "user.many_inner_updates"),
])
def test_paraphrased_words_round_four(text: str, fact: str) -> None:
    assert fact in phrases(text)


def test_the_format_template_quoted_is_no_empty_answer() -> None:
    text = "The prompt asks for the reasoning in <think></think> and the species name in <answer></answer>."
    assert "user.completions_empty" not in phrases(text)


@pytest.mark.parametrize("text,n", [
    ("thinking model in GRPO, generation budget ~3000-4000 new tokens", 4000),
    ("a limit of 2k new tokens", 2000),
    ("I generated 500 new tokens per sample", None),   # a count said, no cap
])
def test_a_new_token_budget_is_the_completion_cap(text: str, n: object) -> None:
    assert quantities(text).get("user.max_completion_length") == n


def test_a_loss_that_rebounds_is_rising() -> None:
    got = _claims("the loss rebounds very early and then keeps increasing", "sft")
    assert any(v.get("metric") == "loss" and v.get("direction") == "rising" for _, v in got)
