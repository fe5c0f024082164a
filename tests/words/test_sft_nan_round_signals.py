"""SFT and NaN signals of a later round: a KL term that alone turns NaN in RL, a NaN loss built with ignore_index,
an evaluation-only NaN that is not precision, a forward pass the user checked, the learning rate raised among other
remedies, a near-zero loss after several epochs, and a tiny model's poor answers (rules' own ranking: precedent is
off in tests/words)."""
from __future__ import annotations

import pytest

from assistant.consult import consult
from .helpers import first, ids, phrases


# --- phrases -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, fact", [
    ("both losses use nn.CrossEntropyLoss(ignore_index=pad_id)", "user.ignore_index_named"),
    ("1000 steps, which is about 5.32 epochs", "user.several_epochs"),
    ("trained for five epochs on my data", "user.several_epochs"),
    ("I checked the inputs and the intermediate outputs - no NaN anywhere", "user.outputs_finite"),
    ("the logits are finite but the loss is nan", "user.outputs_finite"),
    ("the results are not good at all: the answers are wrong or make no sense", "user.answers_poor"),
    ("the forward pass is fine but the gradients come back NaN", "user.loss_finite"),
    ("I already raised gradient_accumulation_steps and the learning rate, but the loss still oscillates", "user.lr_raised"),
])
def test_new_phrases_read(text: str, fact: str) -> None:
    assert fact in phrases(text)


@pytest.mark.parametrize("text, fact", [
    ("trained for 3 epochs", "user.several_epochs"),
    ("10.5 epochs", "user.several_epochs"),
    ("I already raised gradient_accumulation_steps and the learning rate, but the training loss still oscillates",
     "user.ga_changes_loss"),
    ("the answers are good", "user.answers_poor"),
])
def test_new_phrases_stay_quiet(text: str, fact: str) -> None:
    assert fact not in phrases(text)


def test_the_loss_that_moves_with_gradient_accumulation_still_reads() -> None:
    assert "user.ga_changes_loss" in phrases("the loss gets larger as i increase gradient_accumulation_steps")


# --- rules -------------------------------------------------------------------------------------

def test_a_kl_term_that_alone_turns_nan_in_grpo_is_the_kl_estimators_exp() -> None:
    text = ("verl GRPO with use_kl_loss and kl_loss_type=low_var_kl: at some step the KL turns NaN and never recovers, "
            "while the loss itself stays normal. What produces the NaN?")
    assert first(text) == "logsoftmax_overflow"


def test_kl_and_grad_norm_nan_together_are_not_read_as_the_kl_estimator() -> None:
    text = "GRPO training: grad_norm and kl both become NaN and the completions turn into '!!!!'"
    assert first(text) != "logsoftmax_overflow"


def test_a_nan_cross_entropy_with_ignore_index_is_a_batch_without_targets() -> None:
    text = ("My NSP loss comes out as NaN. I checked the inputs and the intermediate outputs - no NaN anywhere. "
            "The loss is nn.CrossEntropyLoss(ignore_index=vocab['[PAD]']). Why is it NaN?")
    found = ids(text)
    assert found[0] == "label_masking_wrong"
    assert "mixed_precision_instability" not in found


def test_an_evaluation_only_nan_with_no_fp16_is_not_precision() -> None:
    text = ("Fine-tuning with the data truncated to a maximum length of 224 tokens: the evaluation loss comes out as "
            "nan, but the training loss never shows nan.")
    found = ids(text)
    assert found[0] == "empty_sequences"
    assert "mixed_precision_instability" not in found


def test_a_forward_pass_checked_fine_puts_the_nan_in_the_backward() -> None:
    text = ("In my training code the forward pass is fine but the gradients come back NaN and then every update is "
            "NaN. Why is the gradient NaN?")
    assert first(text) == "nan_forward_vs_backward"


def test_a_loss_that_oscillates_after_the_learning_rate_was_raised_is_the_rate() -> None:
    text = ("LoRA continued pretraining, fp16. I already raised gradient_accumulation_steps and the learning rate, "
            "but the training loss still oscillates a lot while it goes down. Why is it so unstable?")
    found = ids(text)
    assert found[0] == "lr_too_high"
    assert "ga_loss_scaling" not in found


def test_isolated_spikes_that_recover_point_at_the_data_over_the_rate() -> None:
    text = ("Full SFT of a small model (lr 6e-5, batch size 256). The loss is mostly smooth but there are a few huge "
            "spikes in the middle of training, after which it quickly recovers. Why?")
    assert first(text) == "bad_data_samples"


def test_a_near_zero_loss_after_several_epochs_is_memorisation() -> None:
    text = ("LoRA instruction tuning on about 3k examples: 1000 steps, which is about 5.32 epochs, lr 1e-4. "
            "The final training loss is only about 0.03.")
    assert first(text) == "overfitting"


def test_a_near_zero_loss_after_three_epochs_raises_no_alarm() -> None:
    text = ("Full SFT with lr 1e-5, cosine, 3 epochs, bf16. The loss gets down to about 0.02 and won't go lower. "
            "Why won't it converge further?")
    assert not [d for d in consult(text).diagnoses if d.id == "overfitting" and d.severity != "info"]


def test_a_tiny_models_poor_answers_are_its_size() -> None:
    text = ("I tried the ~100M-parameter model trained from scratch with the repo's pretrain + SFT pipeline on some "
            "logic questions, and the results are not good at all: the answers are wrong or make no sense. "
            "Is something wrong with the training?")
    assert first(text) == "model_too_weak"


def test_a_template_chosen_for_a_model_that_never_stops_points_at_the_template() -> None:
    from pathlib import Path
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "config.yaml"
        cfg.write_text("python src/web_demo.py --model_name_or_path some/model --template llama3 --finetuning_type lora\n")
        report = consult("At inference the model never stops and keeps generating garbage after the answer.", [cfg])
    assert report.diagnoses[0].id == "chat_template_boundary"
