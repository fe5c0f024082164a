"""The user's words land on the same symptom facts whatever the wording, case, typos or
metric-name spelling; negations do not."""
from __future__ import annotations

import pytest

from assistant.words import facts_from_words
from .helpers import names


@pytest.mark.parametrize("text", [
    "loss went to nan", "Loss becomes NaN at step 200", "my LOSS IS NAN", "los goes nan after a while",
    "train/loss is inf at step 30", "the train_loss turned into NaN", "eval/loss = nan", "eval_loss is nan",
])
def test_loss_nan_variants(text: str) -> None:
    assert "user.loss_nan" in names(text)


@pytest.mark.parametrize("text", ["grad_norm is nan", "gradient norm became inf", "grad nrom is nan", "train/grad_norm: nan"])
def test_grad_norm_nan_variants(text: str) -> None:
    assert "user.grad_norm_nan" in names(text)


@pytest.mark.parametrize("text,fact", [
    ("model keeps saying the same thing", "user.same_output"),
    ("killed with -9", "user.killed"),
    ("my micro batch size per gpu is bigger than the mini batch", "user.micro_exceeds_mini"),
    ("tokenizing the 40 GB jsonl dataset dies with out of memory", "user.host_ram"),
    ("the process prints Killed and exits", "user.killed"),
    ("CUDA OOM at step 1", "user.cuda_oom"),
    ("torch.OutOfMemoryError on the first batch", "user.cuda_oom"),
    ("reward stuck at zero", "user.reward_zero"),
    ("hangs with 8 GPUs", "user.hang"),
    ("hangs with 8 GPUs", "user.multi_gpu"),
    ("my DDP script never gets going", "user.multi_gpu"),
    ("a box with RTX A6000s", "user.multi_gpu"),
    ("the loss keeps spiking", "user.loss_spikes"),
    ("eval loss is increasing while train loss drops", "user.eval_rising"),
    ("The curve barely comes down. Is there a problem with my training?", "user.healthy_check"),
    ("the loss hovers around 4 - is this a bug, or do I just need many more iterations?", "user.healthy_check"),
    ("Is this expected behaviour? Should I keep training?", "user.healthy_check"),
    ("I set max_grad_norm 1.0 but grad_norm still goes above 1. Is clipping broken?", "user.healthy_check"),
    ("The log prints this warning every step. Is this something I need to fix?", "user.healthy_check"),
    ("loss prints 0.0 at every step - is it actually training?", "user.healthy_check"),
    ("the model keeps repeating itself at the end of its reply and never terminates", "user.no_stop"),
    ("it OOMs during the optimizer step, after backward went through", "user.oom_at_optimizer_step"),
    ("ZeRO-2, bf16, flash attention, gradient checkpointing and sample packing are on", "user.gradient_checkpointing_on"),
    ("it dies during the offload initialisation with a CPU out-of-memory error", "user.host_ram"),
    ("with 8 GPUs host memory climbs and the run exits with -9", "user.killed"),
    ("killed during 'Running tokenizer on dataset' with a socket timeout after 30 minutes", "user.collective_timeout"),
    ("what does frac_reward_zero_std mean?", "user.info_question"),
    ("How do I enable gradient checkpointing with ZeRO-3?", "user.info_question"),
    ("Full fine-tune of a 70B on one A100 40GB: will it fit?", "user.info_question"),
])
def test_phrases(text: str, fact: str) -> None:
    assert fact in names(text)


@pytest.mark.parametrize("text,fact", [
    ("SFT with verl's fsdp_sft_trainer: the model never stops", "user.grpo"),   # verl's SFT trainer: no RL run
    ("OpenRLHF SFT of Llama-3-8B goes out of memory", "user.grpo"),
    ("the process never terminates after training", "user.no_stop"),            # a hang, not a generation
    ("training does not finish", "user.no_stop"),
])
def test_phrases_not(text: str, fact: str) -> None:
    assert fact not in names(text)


def test_an_rl_framework_with_rl_words_is_rl() -> None:
    assert "user.grpo" in names("GRPO with verl: the reward stays flat")
    assert "user.grpo" in names("PPO in OpenRLHF collapses after 200 steps")


@pytest.mark.parametrize("text", ["no nan so far, loss looks fine", "there is not a single NaN"])
def test_negated_nan_is_not_a_symptom(text: str) -> None:
    assert "user.loss_nan" not in names(text) and "user.nan_general" not in names(text)


def test_each_fact_carries_the_words_that_matched() -> None:
    fact = next(f for f in facts_from_words("my loss went to NaN") if f.name == "user.loss_nan")
    assert fact.source == "question" and fact.value["words"]


def test_empty_question_gives_nothing() -> None:
    assert facts_from_words("   ") == []


@pytest.mark.parametrize("text,fact", [
    ("zero-3 training began to crash once deepspeed went to 0.10.1", "user.deepspeed_version_named"),
    ("we pin deepspeed==0.14.4 in requirements", "user.deepspeed_version_named"),
    ("with DeepSpeed (0.6.0) the trainer errors out", "user.deepspeed_version_named"),
    ("the same script trained normally with the previous version", "user.version_regression"),
    ("it fails on 2.1 but works fine with torch 2.0.1", "user.version_regression"),
    ("our nightly job started failing after the bump", "user.version_regression"),
    ("it began crashing last week; with 1.4.2 it trains normally", "user.version_regression"),
    ("the trainer throws an exception at the first step", "user.crash"),
    ("it crashes right away on 4 GPUs", "user.crash"),
])
def test_release_and_regression_words(text: str, fact: str) -> None:
    assert fact in names(text)


@pytest.mark.parametrize("text", ["deepspeed zero stage 3 with offload", "loss is 0.8 with deepspeed", "ds 3 runs fine"])
def test_deepspeed_without_a_release_is_not_a_release(text: str) -> None:
    assert "user.deepspeed_version_named" not in names(text)


def test_a_named_release_that_broke_suspects_deepspeed() -> None:
    from assistant.consult import consult

    report = consult("After moving to DeepSpeed 0.13.2 our ZeRO-3 job crashes at the first step; 0.13.1 works fine")
    assert "deepspeed_version" in [d.id for d in report.diagnoses[:3]]


@pytest.mark.parametrize("text,said", [
    ("the learning rate decays to 0 at the end", True), ("my lr went to zero", True), ("lr is 0 for the first steps", True),
    ("lr 2e-6, reward_std is 0", False), ("learning rate 1e-5; the loss is 0", False),
])
def test_lr_at_zero_stays_with_the_rate(text: str, said: bool) -> None:
    """A zero said of the learning rate is the schedule's; a zero of the next metric in a list is not."""
    assert ("user.lr_at_zero" in names(text)) is said
