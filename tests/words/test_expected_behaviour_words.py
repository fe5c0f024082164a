"""A behaviour the guide and maintainers call expected, described and asked about with "why?" or "how do I fix
it?" rather than "is this normal?" (paraphrase round on healthy runs): the loss stepping down as each epoch starts,
the eval loss under the train loss, a logged grad_norm above max_grad_norm, an RL loss of 0 at the start, fp16
overflow or lr 0 on the first steps, a loss up for a few logged steps, read as user.expected_pattern; harm said
beside it (NaN, eval loss rising, answers bad after training) vetoes it. The numbers that count the data and the
words about GPU utilization are no values or movements of the loss."""
from __future__ import annotations

import pytest

from assistant.words.claims import facts_from_claims
from .helpers import phrases


@pytest.mark.parametrize("text", [
    "Why does my training loss fall off a cliff right when each new epoch begins?",
    "loss suddenly drops at start of epoch 2 and epoch 3. how do i get a smooth curve?",
    "within an epoch the loss is flat, then it jumps down as the next epoch starts",
    "the SFT loss looks like a staircase, one stair per epoch",
    "at the end of epoch 1 loss=15.19, first log of epoch 2 loss=13.72. where does the jump come from?",
    "Why is my validation loss lower than the training loss the whole time?",
    "max_grad_norm is 1.0 but wandb shows grad_norm 2.3 and 4.1. why?",
    "why is grad_norm higher than max_grad_norm in the logs?",
    "my GRPO loss is exactly 0 at step 1, what's wrong?",
    "fp16 overflow skipped steps at the start, how do i fix it?",
    "why is learning_rate logged as 0 for the first few steps?",
    "train loss went up 5 logs in a row, why is it increasing?",
])
def test_an_expected_behaviour_is_read(text: str) -> None:
    assert "user.expected_pattern" in phrases(text)


@pytest.mark.parametrize("text", [
    "the loss goes nan after the overflow at the start",
    "train loss drops at each epoch but eval loss rises",
    "the loss drops in steps at each epoch and after training the answers are messy",
    "fp16 overflow at the start and the loss scale goes to the minimum scale",
    "why is the validation loss so high?",
    "my grad norm is 300, why?",
    "the loss goes up for 200 steps and then diverges",
])
def test_harm_or_a_plain_symptom_is_no_expected_behaviour(text: str) -> None:
    assert "user.expected_pattern" not in phrases(text)


def test_a_dataset_size_is_no_loss_value() -> None:
    facts = facts_from_claims("Why does my loss only get to ~1.0 on a 110k instruction dataset when on a 10k "
                              "classification set it reached 0.17 in 500 steps?")
    values = [f.value for f in facts if f.name in ("symptom.trend", "symptom.spikes", "symptom.out_of_range")]
    assert not any(110000.0 in v.values() for v in values if isinstance(v, dict))
    assert not any(f.name == "symptom.spikes" for f in facts)


def test_gpu_utilization_words_are_no_loss_movement() -> None:
    facts = facts_from_claims("Why is GPU utilization so spiky in Megatron GPT pretraining when throughput and loss "
                              "are steady?")
    assert not any(f.name in ("symptom.spikes", "symptom.trend") for f in facts)
    # the loss said spiky itself still is
    assert any(f.name == "symptom.spikes" for f in facts_from_claims("the loss is very spiky after step 300"))
