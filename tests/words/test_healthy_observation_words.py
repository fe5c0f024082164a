"""Words that make a worried user's harmless observation look like a failure: a run said to be training
(slow, an ETA, a warning printed step after step), an OOM already worked around ("the default 8 gave me
OOM"), reruns of one setup that differ (nondeterminism, not loss normalisation), "is this X or normal?",
and clauses that say the run is fine, which the meaning matcher must not read as a failure."""
from __future__ import annotations

import pytest

from assistant.retrieval.embedder import model_dir
from assistant.words import facts_from_words
from assistant.words.semantic import semantic_facts
from .helpers import names


@pytest.mark.parametrize("text,fact", [
    ("When I load in 4-bit training is extremely slow on my GPU", "user.run_trains"),
    ("The training script keeps printing \"UserWarning: inputs will be cast\"", "user.run_trains"),
    ("The progress bar says it will take 80 hours to finish", "user.run_trains"),
    ("The run is going fine, the loss goes down", "user.run_trains"),
    ("batch 1 still gives CUDA out of memory, and batch 4 gave me OOM too", "user.cuda_oom"),
    ("I use batch 2 to avoid OOM, but it still OOMs after 100 steps", "user.cuda_oom"),
    ("The larger batch gives CUDA out of memory on an A100", "user.cuda_oom"),
    ("same data loss much higher than llamafactory every time I train", "user.loss_differs_same_setup"),
    ("Is this reward hacking or normal?", "user.healthy_check"),
])
def test_phrases(text: str, fact: str) -> None:
    assert fact in names(text)


@pytest.mark.parametrize("text,fact", [
    ("num_generations 4 (the default 8 gave me OOM), gradient_checkpointing false", "user.cuda_oom"),
    ("I enabled gradient checkpointing to avoid OOM and the loss is flat", "user.cuda_oom"),
    ("Same parameters, same dataset, but every time I train, the loss is different", "user.loss_differs_same_setup"),
    ("the training loss is slow to go down", "user.run_trains"),
    ("The GRPO reward goes up and completion length goes down. Is this reward hacking or normal?", "user.length_growing"),
    ("My grad_norm is 0 on the very first step with DeepSpeed ZeRO-3 and then normal. Is that expected?", "user.grad_norm_zero"),
])
def test_phrases_not(text: str, fact: str) -> None:
    assert fact not in names(text)


@pytest.mark.skipif(model_dir() is None, reason="all-MiniLM-L6-v2 weights not installed")
def test_a_clause_saying_the_run_is_fine_names_no_symptom() -> None:
    for text in ("Training runs fine. Is this normal?", "The loss looks fine. Is this expected?"):
        assert semantic_facts(text) == [], text


def _zeros(text: str) -> list[str]:
    return [f.value["metric"] for f in facts_from_words(text) if f.name == "symptom.stuck_zero"]


def test_a_zero_on_part_of_the_run_is_no_metric_stuck_at_zero() -> None:
    assert _zeros("In GRPO reward_std is 0 for some batches, while average reward is rising. Is that normal?") == []
    assert _zeros("My grad_norm is 0 on the very first step and then normal.") == []
    # said of the whole run, or said to stay, it is one
    assert _zeros("In GRPO reward_std is 0 on every step and the reward is flat") == ["reward_std"]
    assert _zeros("reward_std is 0 for some batches and then it stays at 0") == ["reward_std"]
    assert "loss" in _zeros("after some steps the training loss comes to 0 and stays there")


@pytest.mark.parametrize("text,fact", [
    ('I get this warning: "Detected kernel version 4.15.0, which is below the recommended minimum of 5.5.0; this can '
     'cause the process to hang." Training continues. Can it be ignored?', "user.hang"),
    ('The log shows "huggingface/tokenizers: The current process just got forked, after parallelism has already been '
     'used. Disabling parallelism to avoid deadlocks..." Is this a problem?', "user.hang"),
])
def test_a_pasted_warnings_own_caveat_is_no_symptom(text: str, fact: str) -> None:
    assert fact not in names(text)


def test_a_precaution_clause_goes_but_the_symptom_after_it_stays() -> None:
    assert "user.hang" in names("I set NCCL_P2P_DISABLE=1 to avoid hangs, but the job still hangs at the first step")


def test_a_quoted_bf16_fallback_is_no_bf16_run() -> None:
    fallback = 'Unsloth on a T4 says "bfloat16 is not supported on your GPU, using float16". Loss is dropping.'
    assert not {"user.uses_bf16", "user.bf16_error"} & names(fallback)
    # a bf16 the user set, beside the same message, still counts
    assert "user.uses_bf16" in names("I set bf16=True on my T4 and get bfloat16 is not supported, using float16")
