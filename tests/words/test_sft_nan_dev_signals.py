"""SFT and NaN signals learned from the dev corpus: setup numbers ahead of a metric's name are not its
values, the phrases that name a precision, batch-arithmetic, LOMO or weight-decay cause, and the rules
they feed (run through `consult` on sentences as users write them)."""
from __future__ import annotations

import pytest

from assistant.consult import consult
from assistant.words.claims import facts_from_claims
from .helpers import first, phrases


def claim_names(text: str) -> set[str]:
    return {f.name for f in facts_from_claims(text, "sft")}


# --- claims: a GPU count and model ahead of the metric are no values of it ------------------------

@pytest.mark.parametrize("text", [
    "Full SFT of qwen2-7b on 8 RTX 4090 with swift, the loss curve looks abnormal.",
    "对 qwen2-7b 在 8 张 4090 上用 swift 做全参 SFT，loss 曲线异常。",
])
def test_setup_numbers_before_the_metric_are_not_its_values(text: str) -> None:
    found = claim_names(text)
    assert not found & {"symptom.trend", "symptom.spikes", "symptom.out_of_range"}, found


def test_words_ahead_of_the_metrics_still_speak_for_them() -> None:
    """"nan from the first step, both loss and grad_norm": the leading words carry the shape."""
    assert "symptom.nonfinite" in claim_names("nan from the first step, both loss and grad_norm")


# --- phrases ----------------------------------------------------------------------------------

def test_working_out_a_target_effective_batch_is_step_counting() -> None:
    text = ("For 8 GPUs I should set NUM_PROCESSES=8, PER_DEVICE_BATCH_SIZE=1, GRADIENT_ACCUMULATIONS=16 "
            "to get the effective batch size of 128. Which is right?")
    assert "user.step_counting" in phrases(text)
    assert first(text) == "effective_batch_mismatch"


def test_an_adapter_close_to_the_base_model_is_no_effect() -> None:
    assert "user.no_effect" in phrases("The LoRA adapter seems to stay too close to the base model.")


def test_lora_weight_decay_with_an_adapter_that_stays_at_the_base() -> None:
    text = ("LoRA fine-tuning with weight_decay 0.01 and lr 2e-4 for a few thousand steps. "
            "The adapter seems to stay too close to the base model.")
    assert any(d.id == "weight_decay_too_high" for d in consult(text).diagnoses)


def test_base_weights_work_own_checkpoint_gives_zero_grad_norm() -> None:
    text = ("I did continued pretraining and saved the model, then ran full SFT on it: grad_norm is 0 and "
            "the loss does not converge. Running the same full SFT directly on the base model works.")
    assert "user.base_model_works" in phrases(text)
    assert first(text) == "mixed_precision_instability"


def test_lomo_at_an_adam_rate_is_too_low() -> None:
    assert "user.lomo" in phrases("training with LOMO")
    assert "user.lomo" not in phrases("training with AdaLomo")
    assert first("Training with LOMO on 10k samples, learning rate 5e-5, the loss barely goes down.") == "lr_too_low"


@pytest.mark.parametrize("text", [
    "The loss is mostly smooth but there are a few huge spikes in the middle of training, after which it quickly recovers.",
    "occasional loss spikes that come right back down",
])
def test_isolated_spikes_that_recover(text: str) -> None:
    assert "user.spikes_isolated" in phrases(text)


def test_isolated_recovering_spikes_point_at_the_batches() -> None:
    text = "Full SFT: the loss is mostly smooth but there are a few huge spikes, after which it quickly recovers. Why?"
    assert first(text) == "bad_data_samples"


def test_spikes_on_a_pre_ampere_gpu_point_at_fp16() -> None:
    text = "LoRA fine-tuning a 7B LLaMA on V100 GPUs: the loss jumps high and low and never really comes down."
    assert first(text) == "mixed_precision_instability"


def test_spikes_in_bf16_keep_the_rate_first() -> None:
    text = "LoRA fine-tuning a 7B LLaMA on A100 GPUs in bf16: the loss jumps high and low."
    assert first(text) != "mixed_precision_instability"


def test_an_implausibly_low_loss_with_accumulation_points_at_ga_scaling() -> None:
    text = ("LoRA SFT, per-device batch 1 with gradient_accumulation_steps 32, bf16. "
            "The training loss looks abnormally low, not like a normal loss for this data. Is that right?")
    assert "user.loss_suspiciously_low" in phrases(text)
    assert first(text) == "ga_loss_scaling"


def test_a_low_loss_without_those_words_is_not_suspicious() -> None:
    assert "user.loss_suspiciously_low" not in phrases("the loss is low and the model answers well")


def test_a_levelless_hover_asked_about_raises_no_alarm() -> None:
    """"after halving the lr the loss hovers around 2.x, is this normal?": no level above the range is given."""
    report = consult("LoRA 微调，lr 2e-5，loss 在 1.9 左右徘徊。把 lr 减半后 loss 在 2.x 徘徊。这正常吗？")
    assert not [d.id for d in report.diagnoses if d.severity in ("warning", "critical")]


def test_sft_lr_bands_do_not_judge_a_preference_run() -> None:
    report = consult("DPO with a LoRA adapter at lr 1e-5: the trainer job dies mid-step. What is killing it?")
    assert "lr_too_low" not in [d.id for d in report.diagnoses]


def test_a_fully_masked_pad_row_is_no_missing_pad_token() -> None:
    text = ("My transformer gives NaN outputs when I pass a padding mask to scaled_dot_product_attention and a pad "
            "token's row is entirely masked (all -inf). Shouldn't SDPA handle pad tokens?")
    assert "user.padding_error" not in phrases(text)
    assert first(text) == "attention_kernel_fault"
    assert "user.padding_error" in phrases("ValueError: Asking to pad but the tokenizer does not have a padding token.")


def test_a_grad_norm_spike_then_nan_is_an_explosion_not_instability() -> None:
    report = consult("Pretraining on 8 GPUs: step 1 is fine, step 2 grad_norm spikes, and from step 3 grad_norm is NaN for good.")
    ids = [d.id for d in report.diagnoses]
    assert ids[0] == "gradient_explosion"
    assert "grad_norm_unstable" not in ids[:1]


@pytest.mark.parametrize("text, named", [
    ("in the second half of training the loss jumps", False),
    ("on roughly half of the steps the grad norm is non-finite", False),
    ("training in half precision", True),
    ("I cast the model to half", True),
])
def test_half_names_fp16_only_as_a_precision(text: str, named: bool) -> None:
    assert ("user.uses_fp16" in phrases(text)) is named


def test_a_backward_nan_under_a_finite_loss_is_a_backward_fault_not_an_explosion() -> None:
    text = ("GRPO on a 4B model in bf16. The loss is always finite, but on roughly half of the steps the grad norm "
            "is non-finite and the step is skipped. Where can a NaN gradient come from?")
    assert "user.loss_finite" in phrases(text)
    assert first(text) == "nan_forward_vs_backward"


# --- where a NaN or an OOM shows up says which part is at fault --------------------------------

def test_a_nan_only_in_evaluation_points_at_samples_without_targets() -> None:
    assert first("With max length 256 the evaluation loss comes out as nan; the training loss never shows nan") \
        == "empty_sequences"
    assert first("the loss is nan from step 300 and the eval loss too") != "empty_sequences"


def test_an_oom_at_the_optimizer_step_points_at_the_optimizer_states() -> None:
    assert first("Full fine-tune of an 8B model on one 80GB GPU: forward and backward go through, then it runs "
                 "out of memory during the optimizer step") == "needs_offload"


def test_sft_in_an_rl_framework_is_read_as_sft() -> None:
    report = consult("SFT with OpenRLHF on Llama-3-8B goes out of memory with batch size 1")
    assert {f["name"]: f["value"] for f in report.facts}.get("run.kind") != "grpo"
    assert "grpo_logits_too_large" not in {d.id for d in report.diagnoses}


def test_a_timeout_while_tokenising_is_the_distributed_wait_not_the_oom_killer() -> None:
    assert first("4 GPUs with torch.distributed: the process gets killed during 'Running tokenizer on dataset' "
                 "about 32 minutes in with a socket timeout") == "nccl_failure"
    assert first("tokenizing the dataset, the process gets killed") == "host_ram_exhausted"
