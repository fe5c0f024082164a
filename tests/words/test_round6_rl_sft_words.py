"""Round 6, RL / SFT dev signals: every label -100 (the trainer's message), identical completions within a group,
epochs raised in an RL run (inner updates), a reward said to pay for length, an empty answer block while the reward
rises (a reward loophole), "reward_func: loss ... 0" not read as a zero reward, and the vetoes that keep a model's
empty answer from reading as a missing dataset column."""
from __future__ import annotations

import pytest

from assistant.consult import consult

from .helpers import first, ids, names, phrases


@pytest.mark.parametrize("text,fact", [
    ('it fails with "Unsloth: All labels in your dataset are -100. Training losses will be all 0."', "user.labels_all_masked"),
    ("why are all my labels masked?", "user.labels_all_masked"),
    ("every label in the batch is -100", "user.labels_all_masked"),
    ("labels 全是 -100", "user.labels_all_masked"),
])
def test_labels_all_masked(text: str, fact: str) -> None:
    assert fact in phrases(text)


@pytest.mark.parametrize("text", [
    "all labels are masked except the assistant turn",
    "all the labels are -100 but the answer tokens, as intended",
])
def test_labels_all_masked_not_when_the_answer_keeps_its_labels(text: str) -> None:
    assert "user.labels_all_masked" not in phrases(text)


@pytest.mark.parametrize("text,fact", [
    ("the completions within a group are almost identical instead of diverse", "user.same_reward_group"),
    ("we set the number of epochs to a large value and the clip ratio blows up", "user.many_inner_updates"),
    ("part of the reward, which the model is never told about, quietly pays for longer responses", "user.length_growing"),
    ('the model writes its reasoning and then an empty answer block: "<answer></answer>" with nothing inside', "user.completions_empty"),
    ("why did GRPO teach the model to leave the answer empty?", "user.completions_empty"),
])
def test_round6_phrases(text: str, fact: str) -> None:
    assert fact in phrases(text)


@pytest.mark.parametrize("text,fact", [
    # the model's own empty answer is an output, not a dataset column the reward lost
    ("why did GRPO teach the model to leave the answer empty?", "user.reward_missing_column"),
    ("every output ends with an empty answer block", "user.reward_missing_column"),
    # the zero belongs to the loss and the grad norm named after the reward function
    ("swift GRPO with my own custom reward_func: loss and grad_norm are 0 on every step", "user.reward_zero"),
    # a prompt format that names the answer tags is not an empty completion
    ("the prompt asks for the species name in <answer></answer>", "user.completions_empty"),
])
def test_round6_phrases_not(text: str, fact: str) -> None:
    assert fact not in phrases(text)


def test_reward_missing_column_still_reads_the_dataset_field() -> None:
    assert "user.reward_missing_column" in phrases("inside the reward function the answer comes through as None")


def test_reward_zero_still_read_when_said_of_the_reward() -> None:
    assert "user.reward_zero" in phrases("my reward is always 0 with the custom reward_func")


def test_all_labels_minus_100_is_label_masking() -> None:
    text = ('Fine-tuning with Unsloth SFTTrainer and train_on_responses_only, it fails with ZeroDivisionError: '
            '"Unsloth: All labels in your dataset are -100. Training losses will be all 0." Why?')
    assert first(text) == "label_masking_wrong"


def test_reward_rises_while_answers_go_empty_is_a_reward_loophole() -> None:
    text = ("GRPO from the base model on a classification task. The accuracy reward goes up, but after training every "
            'output ends with an empty answer block: "<answer></answer>" with nothing inside. Why did GRPO teach the '
            "model to leave the answer empty?")
    found = ids(text)
    assert found[0] == "reward_function_broken"
    assert "reward_columns_missing" not in found[:1]


def test_identical_group_completions_is_no_learning_signal() -> None:
    text = ("Running GRPO with 16 completions per prompt at a high temperature, but the completions within a group are "
            "almost identical instead of diverse. Why?")
    assert first(text) == "no_learning_signal"


def test_rl_epochs_raised_with_clip_ratio_blowup_is_clipping() -> None:
    text = ("Running GRPO on GSM8K with the default config, except that we set the number of epochs to a large value. "
            "The clip ratio and the response length blow up, and after that nothing is learned any more.")
    assert first(text) == "clipping_too_aggressive"


def test_reward_paying_for_length_with_growing_responses_warns() -> None:
    text = ("RL run where part of the training reward (which the model is never told about) quietly pays for longer "
            "responses. As training goes on the responses keep getting longer.")
    assert first(text) == "reward_hacking_length"


def test_same_sft_works_from_base_weights_is_not_masking() -> None:
    text = ("I first did continued pretraining on my own data and saved the model, then ran full SFT on it: during "
            "training grad_norm is 0 and the loss does not converge. Running the same full SFT directly on the base "
            "model works. What setting is wrong?")
    found = ids(text)
    assert found[0] == "mixed_precision_instability"
    assert "label_masking_wrong" not in found


def test_rl_rate_above_band_not_blamed_when_the_adapter_barely_moves() -> None:
    text = ("Doing LoRA RL training with unsloth, weight_decay 0.01 and lr around 5e-5 for a few thousand steps. "
            "The adapter seems to stay too close to the base model.")
    assert "lr_too_high" not in ids(text)[:1]
    assert names(text) >= {"user.no_effect"}


@pytest.mark.parametrize("text", [
    "P-tuning ChatGLM2-6B on 5 GPUs with torchrun",
    "prefix tuning a 7B model with peft",
    "I set pre_seq_len 128 for the run",
])
def test_prompt_tuning_named(text: str) -> None:
    assert "user.prompt_tuning" in phrases(text)


def test_prompt_tuning_rate_not_judged_by_full_finetune_band() -> None:
    text = "P-tuning v2 of ChatGLM2-6B with learning_rate 2e-2 and pre_seq_len 128: is my config fine?"
    # a guide-search lead may still name the topic; no rule concludes it
    found = [d for d in consult(text).diagnoses if d.id == "lr_too_high"]
    assert all(d.certainty < 0.3 and d.severity == "info" for d in found)


@pytest.mark.parametrize("text,fact", [
    # an eval LOSS going down is the held-out set improving
    ("the evaluation loss goes down for a while and then rises", "user.heldout_drop"),
    ("eval_loss goes down then up", "user.heldout_drop"),
    # "that crashes the training" is the job failing, not a curve collapsing
    ("the KL curve spikes far above the rest, and sometimes that crashes the training", "user.rl_collapse"),
])
def test_round6_collapse_and_heldout_not(text: str, fact: str) -> None:
    assert fact not in phrases(text)


@pytest.mark.parametrize("text,fact", [
    ("the reward crashes after 300 steps", "user.rl_collapse"),
    ("eval loss goes down but gsm8k accuracy drops", "user.heldout_drop"),
    ("held-out accuracy drops after step 200", "user.heldout_drop"),
])
def test_round6_collapse_and_heldout_still(text: str, fact: str) -> None:
    assert fact in phrases(text)
