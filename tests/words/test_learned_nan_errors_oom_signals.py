"""NaN, error and OOM signals learned from the dev corpus: the fp16 loss scaler at its floor named in the question,
a NaN in a run whose attention the user names as SDPA, an out-of-memory although gradient checkpointing is said to be
set, a memory-light optimizer (GaLore, 8-bit Adam) that voids the 16-bytes-a-parameter full fine-tune sum, and an OOM
traceback that runs through the optimizer's update. Sentences are written as users write them; the rules they feed
run through `consult`."""
from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import ids, phrases


# --- the fp16 loss scaler at its floor, quoted in the question ------------------------------------

@pytest.mark.parametrize("text", [
    'DeepSpeed ZeRO-1 fp16 on 2 GPUs, training dies with "Exception: Current loss scale already at minimum - cannot decrease scale anymore". Should I lower the LR?',
    "the loss scale reached its minimum and the run exits",
])
def test_the_loss_scale_at_its_minimum_is_fp16_overflow_not_the_install(text: str) -> None:
    assert "user.loss_scale_minimum" in phrases(text)
    assert ids(text)[0] == "mixed_precision_instability"


def test_a_loss_scale_that_is_merely_mentioned_is_no_floor() -> None:
    assert "user.loss_scale_minimum" not in phrases("what initial loss scale should I use with deepspeed fp16?")


# --- NaN with SDPA named ---------------------------------------------------------------------------

def test_nan_grad_norm_with_sdpa_named_points_at_the_attention_kernel() -> None:
    text = ('DPO with attn_implementation="sdpa", bf16, batch size 4 and max_length 768. The loss looks normal for tens '
            "of steps, then grad_norm turns NaN and never recovers. What is going wrong?")
    assert "user.sdpa_named" in phrases(text)
    assert ids(text)[0] == "attention_kernel_fault"


def test_sdpa_named_without_a_nan_is_no_kernel_fault() -> None:
    text = "We train with sdpa attention in bf16 and the loss plateaus at 1.9 after one epoch."
    assert "attention_kernel_fault" not in ids(text)[:1]


def test_sdpa_replaced_is_not_sdpa_named() -> None:
    assert "user.sdpa_named" not in phrases("I use flash attention instead of sdpa and the loss goes nan")


# --- gradient checkpointing said to be set, yet OOM -----------------------------------------------

@pytest.mark.parametrize("text", [
    "The LoRA fine-tune hits CUDA out of memory even though gradient_checkpointing is set in the config. What is going on?",
    "CUDA OOM on the first batch although gradient checkpointing is enabled in my script.",
])
def test_oom_although_checkpointing_is_said_set_asks_whether_it_took_effect(text: str) -> None:
    assert "user.gradient_checkpointing_said_set" in phrases(text)
    assert ids(text)[0] == "gradient_checkpointing_off"


def test_checkpointing_listed_among_the_settings_is_not_said_set() -> None:
    text = "ZeRO stage 2, bf16, flash attention, gradient checkpointing and sample packing are on, and it OOMs."
    assert "user.gradient_checkpointing_said_set" not in phrases(text)


# --- a memory-light optimizer voids the full fine-tune state sum ------------------------------------

@pytest.mark.parametrize("text,named", [
    ("Full fine-tuning with the GaLore optimizer OOMs", True),
    ("we switched to paged_adamw_8bit for the full fine-tune", True),
    ("8-bit Adam keeps the optimizer small", True),
    ("AdamW with lr 2e-5 and weight decay 0.1", False),
])
def test_light_optimizers_are_named(text: str, named: bool) -> None:
    assert ("user.light_optimizer" in phrases(text)) is named


def test_full_fine_tune_with_galore_is_not_sent_to_offload_by_the_adam_sum() -> None:
    text = "Full fine-tuning a 7B model with the GaLore optimizer on a single 48GB GPU runs out of memory at 4096 tokens."
    with_galore = ids(text)
    plain = ids(text.replace("with the GaLore optimizer ", ""))
    assert plain[0] == "needs_offload"
    assert with_galore[0] != "needs_offload"


# --- an OOM traceback through the optimizer's update ------------------------------------------------

def test_oom_traceback_in_the_adam_update_is_optimizer_states(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_text(
        "Traceback (most recent call last):\n"
        '  File "/usr/local/lib/python3.10/dist-packages/torch/optim/adamw.py", line 599, in _multi_tensor_adamw\n'
        "    denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)\n"
        "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 3.14 GiB (GPU 5; 31.75 GiB total capacity; "
        "28.28 GiB already allocated; 1.95 GiB free; 28.28 GiB reserved in total by PyTorch)\n")
    got = ids("Full fine-tune with DeepSpeed ZeRO-2 on 32 GB GPUs, batch size 1, still OOM. See the log.", [log])
    assert got[0] == "needs_offload"
