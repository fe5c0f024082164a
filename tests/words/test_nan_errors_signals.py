"""NaN and error signals learned from the dev corpus (nan/errors areas): a pad token set to EOS is no
missing pad token, kernel errors that name the GPU's architecture, a NaN that follows the sequence
length, the same NaN in both half formats, a NaN that came after training a while, NaN "at some
steps", the DeepSpeed launcher's "return code = -7", and NaN log-probs of a preference run from the
first step. Sentences are written as users write them; the rules they feed run through `consult`."""
from __future__ import annotations

import pytest

from .helpers import first, ids, phrases


# --- pad token -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "The runner tokenizes with padding to max length and uses EOS as the pad token; the loss turns NaN.",
    "we use the eos token as pad and the loss is nan after a few steps",
])
def test_eos_as_the_pad_token_is_a_setup_not_a_missing_pad_token(text: str) -> None:
    assert "user.padding_error" not in phrases(text)
    assert "missing_pad_token" not in ids(text)


def test_the_missing_pad_token_error_still_counts_with_eos_named() -> None:
    text = "ValueError: Asking to pad but the tokenizer does not have a padding token. Should I use eos as the pad token?"
    assert "user.padding_error" in phrases(text)


# --- kernel errors naming the GPU architecture ----------------------------------------------------

@pytest.mark.parametrize("text", [
    'grad_norm is NaN by step 3 and stderr is flooded with "FATAL: kernel ... sm121" lines',
    "loss goes nan and the log says the flash kernel for sm_120 is not supported",
])
def test_kernel_errors_for_this_gpu_with_nan_point_at_the_kernel(text: str) -> None:
    assert "user.kernel_arch_error" in phrases(text)
    assert first(text) == "attention_kernel_fault"


def test_an_architecture_named_without_an_error_is_no_kernel_error() -> None:
    assert "user.kernel_arch_error" not in phrases("On a DGX Spark (sm_121) our Triton-compiled kernels produce garbled outputs")


# --- a NaN that follows the shape ------------------------------------------------------------------

def test_nan_for_some_sequence_lengths_is_a_kernel_not_the_data() -> None:
    text = ("Training in bf16 with scaled_dot_product_attention and a padding mask: the forward loss stays finite but "
            "gradients come back NaN, and only for some sequence lengths, while lengths that are multiples of 128 are clean. "
            "It reproduces in bf16 and fp16.")
    found = phrases(text)
    assert {"user.nan_shape_dependent", "user.tried_precisions"} <= found
    assert "user.nan_specific_sample" not in found
    assert first(text) == "attention_kernel_fault"


def test_nan_for_some_samples_is_still_the_data() -> None:
    assert "user.nan_specific_sample" in phrases("the loss is nan only for some samples")
    assert "user.nan_shape_dependent" not in phrases("the loss is nan only for some samples")


@pytest.mark.parametrize("text", ["the nan reproduces in bf16 and fp16", "the NaN happens with both fp16 and bf16"])
def test_the_same_nan_in_both_formats(text: str) -> None:
    assert "user.tried_precisions" in phrases(text)


# --- a NaN that came later -------------------------------------------------------------------------

def test_a_nan_after_training_a_while_is_not_from_the_start() -> None:
    text = ("SFT with DeepSpeed: after training a while grad_norm shows nan once and then every step is loss 0.0 "
            "with grad_norm nan.")
    assert "user.nan_late" in phrases(text)
    assert "attention_kernel_fault" not in ids(text)[:1]
    assert "label_masking_wrong" not in ids(text)[:1]


def test_nan_at_some_steps_is_intermittent() -> None:
    text = "the training log shows loss=nan at some steps"
    assert "user.nan_intermittent" in phrases(text)
    assert first(text) == "empty_sequences"


# --- exit code -7 from the DeepSpeed launcher ------------------------------------------------------

def test_the_launchers_return_code_minus_7_is_sigbus() -> None:
    text = "LoRA on 2x A10 with the DeepSpeed launcher: the processes exited with return code = -7 and no other error."
    assert "user.exitcode_7" in phrases(text)
    top = ids(text)[:3]
    assert top[0] == "deepspeed_version" and "shm_too_small" in top


# --- preference log-probs NaN from the first step --------------------------------------------------

def test_preference_logps_nan_from_the_start_is_an_empty_response() -> None:
    text = ("SimPO training (bf16) logs loss exactly 0.0 from the start while grad_norm is nan and logps and logits "
            "are all nan.")
    assert first(text) == "empty_sequences"


def test_an_optional_flash_attn_kernel_announced_for_efficiency_is_no_flash_attn_error() -> None:
    """xtuner/InternLM print "Warning: import flash_attn rms_norm fail, please install FlashAttention layer_norm
    to get higher efficiency": training runs on; a flash_attn import error is another thing."""
    warned = "Warning: import flash_attn rms_norm fail, please install FlashAttention layer_norm to get higher efficiency. Does it matter?"
    assert "user.flash_attn_error" not in phrases(warned)
    assert "user.flash_attn_error" in phrases("ImportError: flash_attn is not installed, the run stops at model load")
