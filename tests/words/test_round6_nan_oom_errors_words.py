"""Round 6 NaN / OOM / error signals, said the way users say them: ZeRO-2 named (it keeps the weights on every GPU),
the optimizer already offloaded under ZeRO-2, an OOM on the very first step, a training loss said to be normal while
the eval loss is NaN, a script started with plain `python` under DeepSpeed, a log taken of a separate softmax, the
fp16 scaler's overflow-and-skip said in words, and a data-preparation job that dies with no error of its own.
tests/words leaves precedent out, so the rankings asserted are the rules' own."""
from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import ids, phrases


# --- ZeRO-2 --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "I use DeepSpeed ZeRO-2, sequence length 512, batch size 1",
    "switched to ds_config_zero2.json but still get CUDA out of memory",
    "zero stage 2 with bf16",
    "my ds config has zero_stage: 2",
])
def test_zero_stage_two_named(text: str) -> None:
    assert "user.zero2" in phrases(text)


@pytest.mark.parametrize("text", ["the loss went to zero 2 steps later", "loss is zero-2.3 at the end", "zero-20 samples"])
def test_zero_followed_by_a_number_is_no_zero2(text: str) -> None:
    assert "user.zero2" not in phrases(text)


@pytest.mark.parametrize("text", [
    "I already tried switching offload_optimizer in the ZeRO-2 config to cpu and it still OOMs",
    "with adam offload enabled",
    "offloading the optimizer states to cpu did not help",
])
def test_optimizer_offload_in_words(text: str) -> None:
    assert "user.optimizer_offload_cpu" in phrases(text)


def test_full_finetune_under_zero2_oom_is_offload() -> None:
    text = ("Full-parameter fine-tuning on four RTX 3090s with DeepSpeed ZeRO-2 and gradient checkpointing enabled, "
            "sequence length 512, batch size 1, and it still runs out of GPU memory.")
    assert ids(text)[0] == "needs_offload"


def test_zero2_with_optimizer_offload_still_oom_names_offload() -> None:
    text = ("LoRA fine-tuning on V100s with the ds_config_zero2 DeepSpeed config gives CUDA out of memory. "
            "I already set offload_optimizer in the ZeRO-2 config to cpu and it still OOMs.")
    assert "needs_offload" in ids(text)[:2]


def test_lora_on_a_small_base_under_zero2_is_not_offload_first(tmp_path: Path) -> None:
    text = "LoRA on a 7B model with DeepSpeed ZeRO-2 on 4x 48GB cards, it fails with CUDA out of memory"
    assert ids(text)[:1] != ["needs_offload"]


# --- OOM on the first step ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "it goes OOM on the first iteration",
    "CUDA out of memory at step 0",
    "As soon as training starts I get CUDA out of memory",
])
def test_oom_on_the_first_step_in_words(text: str) -> None:
    assert "user.oom_first_step" in phrases(text)


def test_oom_after_many_steps_is_not_first_step() -> None:
    assert "user.oom_first_step" not in phrases("OOM after 300 steps")


def test_oom_right_away_on_large_cards_is_the_batch() -> None:
    assert ids("tried the speedrun on 8 L40S cards (45GB each) and it fails with an OOM error right away")[0] == "oom_batch_too_large"


# --- eval-only NaN ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "The training loss looks normal (it starts around 0.4), but the validation loss is nan",
    "the training loss decreases normally",
])
def test_train_loss_said_normal(text: str) -> None:
    assert "user.train_loss_finite" in phrases(text)


def test_train_loss_nan_is_not_normal() -> None:
    assert "user.train_loss_finite" not in phrases("training loss is nan")


def test_eval_loss_nan_with_normal_train_loss_is_the_eval_data() -> None:
    text = ("LoRA fine-tune for a classification task: the training loss looks normal (it starts around 0.4), "
            "but the validation loss is nan. What is causing the nan eval loss?")
    assert ids(text)[0] == "empty_sequences"


# --- DeepSpeed started with plain python ------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "I just start it with `python3 script.py`.",
    "I run it using python train.py instead of deepspeed",
])
def test_plain_python_launch(text: str) -> None:
    assert "user.plain_python_launch" in phrases(text)


def test_a_launcher_is_no_plain_python_launch() -> None:
    assert "user.plain_python_launch" not in phrases("I launch with deepspeed train.py")


def test_zero3_weight_2d_with_plain_python_is_the_launch(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text("RuntimeError: 'weight' must be 2-D\n")
    text = ("Training with the HF Trainer and a DeepSpeed ZeRO-3 config on a single machine crashes with "
            "RuntimeError: 'weight' must be 2-D. I just start it with `python3 script.py`.")
    assert ids(text, [log])[0] == "deepspeed_single_gpu"


def test_weight_2d_under_fsdp_stays_fsdp(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text("RuntimeError: 'weight' must be 2-D\n")
    assert ids("FSDP run calling generate() crashes", [log])[0] == "fsdp1_flat_params"


# --- log of a separate softmax, fp16 overflow in words ------------------------------------------------------

@pytest.mark.parametrize("text", [
    "we compute the cross-entropy by hand as softmax -> log -> nll_loss",
    "loss = torch.log(F.softmax(logits, -1))",
])
def test_log_of_softmax(text: str) -> None:
    assert "user.log_of_softmax" in phrases(text)


def test_log_softmax_itself_is_fine() -> None:
    assert "user.log_of_softmax" not in phrases("I take log_softmax of the logits")


@pytest.mark.parametrize("text", [
    "after several batches we get gradient overflows and then every following step is skipped",
    "Gradient overflow. Skipping step, reducing loss scale",
])
def test_fp16_overflow_in_words(text: str) -> None:
    assert "user.fp16_overflow" in phrases(text)


def test_log_of_softmax_with_overflow_is_logsoftmax() -> None:
    text = ("We compute the cross-entropy by hand as softmax -> log -> nll_loss. With apex FP16_Optimizer we get "
            "gradient overflows and then every following step is skipped.")
    assert ids(text)[0] == "logsoftmax_overflow"


# --- plain attention works, kernel errors for this GPU -------------------------------------------------------

def test_nan_that_plain_attention_avoids_is_the_kernel_under_fp16() -> None:
    text = ("FlashMHA on an RTX 2070 under autocast fp16: after the first update the loss is nan. "
            "Plain torch.nn.MultiheadAttention works.")
    assert ids(text)[0] == "attention_kernel_fault"


# --- a data job that dies ---------------------------------------------------------------------------------

def test_tokenization_job_that_dies_is_host_ram() -> None:
    text = "When I run the tokenization of the pretraining corpus the script dies with an error partway through."
    assert ids(text)[0] == "host_ram_exhausted"


def test_tokenizer_crash_with_nccl_error_is_not_host_ram() -> None:
    text = "Multi-node training after the tokenizer step fails with NCCLInternalError"
    assert "host_ram_exhausted" not in ids(text)[:1]

