"""Ranking: a generic prior (checkpointing off when nothing says so, the learning rate for any spike, a NaN
read as the training loss's) must not outrank a cause whose own signal the words give. Phrases as other users
write them: abbreviations ("grad ckpt"), a warmup called short, prompts that fill the maximum length."""
from __future__ import annotations

import pytest

from .helpers import ids, phrases


@pytest.mark.parametrize("text", [
    "zero2, bf16, flash attn, grad ckpt and packing are all enabled",
    "micro batch 1, grad checkpointing on, max_len 2048",
    "training with activation checkpointing enabled",
    "gradient_checkpointing=True in the TrainingArguments",
])
def test_checkpointing_on_in_other_words(text: str) -> None:
    assert "user.gradient_checkpointing_on" in phrases(text)


def test_checkpointing_off_abbreviated_is_not_on() -> None:
    assert "user.gradient_checkpointing_on" not in phrases("grad ckpt disabled, batch 1")


@pytest.mark.parametrize("text", [
    "Our warmup is only a handful of steps.",
    "trained with no warmup",
    "warmup_steps=0",
    "with a short warmup the loss spikes",
])
def test_no_or_short_warmup(text: str) -> None:
    assert "user.no_warmup" in phrases(text)


@pytest.mark.parametrize("text", ["warmup steps 100, lr 2e-5", "warmup_ratio 0.03", "warmup of 2000 steps"])
def test_a_warmup_with_a_value_is_not_called_short(text: str) -> None:
    assert "user.no_warmup" not in phrases(text)


def test_a_data_set_size_is_not_a_sequence_length() -> None:
    assert "user.long_sequences" not in phrases("finetuning with 16k samples, fp16")
    assert "user.long_sequences" in phrases("sequences of 16k tokens")


def test_oom_inside_the_optimizer_step() -> None:
    assert "user.oom_at_optimizer_step" in phrases("~61GB after backward, then OOM inside optimizer.step().")


def test_training_loss_normal_without_a_verb() -> None:
    assert "user.train_loss_finite" in phrases("training loss normal (~0.4 at start) but eval loss is NaN")


@pytest.mark.parametrize("text", [
    "my truncation max_length is short and some prompts are very long",
    "some prompts are longer than max_length",
    "the prompt length equals the max length",
])
def test_prompt_fills_the_maximum_length(text: str) -> None:
    assert "user.prompt_exceeds_max_length" in phrases(text)


def test_long_prompts_alone_do_not_fill_the_maximum_length() -> None:
    assert "user.prompt_exceeds_max_length" not in phrases("prompts are long but max_length 4096 is fine")


def test_openrlhf_dpo_is_not_an_rl_rollout_run() -> None:
    assert "user.grpo" not in phrases("OpenRLHF DPO on a 9b chat model, zero stage 3")
    assert "user.grpo" in phrases("OpenRLHF PPO with a 7b actor")


def test_spikes_early_with_a_short_warmup_rank_warmup_first() -> None:
    got = ids("Pretraining from scratch, we get loss spikes early in the run. Our warmup is only a handful of steps.")
    assert got[0] == "insufficient_warmup"


def test_batch_one_alone_does_not_make_checkpointing_outrank_full_ft_states() -> None:
    # 7B full fine-tune: ~104 GiB of weights, gradients and Adam states on one 80 GB card
    got = ids("Full finetuning 7 billion llama on a single A100 80G: OOM even at batch_size=1. what can I change?")
    assert got[0] == "needs_offload"


def test_eval_only_nan_with_a_normal_training_loss_is_not_masking() -> None:
    got = ids("LoRA for classification: training loss normal (~0.4 at start) but eval loss is NaN. why?")
    assert "label_masking_wrong" not in got[:1]


def test_nan_with_prompts_filling_max_length_is_empty_sequences() -> None:
    got = ids("sft trainer: the loss turns nan at the same step every time. my truncation max_length is short "
              "and some prompts are very long.")
    assert got[0] == "empty_sequences"


@pytest.mark.parametrize("text", [
    "now Llama3-8B at the same 8000 context runs out of GPU memory",
    "Now llama3 8B at the same 8000 cutoff goes CUDA OOM",
    "the same cutoff_len worked with the other model",
])
def test_same_length_fit_elsewhere(text: str) -> None:
    assert "user.same_length_fit_elsewhere" in phrases(text)


def test_same_model_same_gpu_is_not_a_length_that_fit() -> None:
    assert "user.same_length_fit_elsewhere" not in phrases("I use the same model on the same GPU")


def test_a_length_that_fit_with_another_model_points_at_attention_not_length() -> None:
    got = ids("In llama-factory I trained a 14B model with lora at cutoff_len 8000 and memory was fine. Now an 8B "
              "model at the same 8000 cutoff goes CUDA OOM. why?")
    assert got[0] == "attention_not_flash"


def test_training_the_reward_model_itself_is_not_an_rl_run() -> None:
    assert "user.grpo" not in phrases("DeepSpeed-Chat step2 reward model, bloom 560m. loss is nan")
    assert "user.grpo" not in phrases("training a reward model on preference pairs")
    assert "user.grpo" in phrases("PPO with a reward model")
