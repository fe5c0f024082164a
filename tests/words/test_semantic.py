"""Meaning beyond keywords: clauses scored against symptom descriptions with the bundled MiniLM.

Skipped when the embedding weights are not installed (retrieval and this layer then fall back to
keywords alone); CI installs them.
"""
from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieval.embedder import model_dir
from assistant.words import facts_from_words
from assistant.words.semantic import VECTORS, load_meanings, semantic_facts

pytestmark = pytest.mark.skipif(model_dir() is None, reason="all-MiniLM-L6-v2 weights not installed")


def test_the_shipped_vectors_were_built_from_the_current_meanings_file() -> None:
    """Editing rules/meanings.yaml without `python -m assistant.words.semantic --build` fails here."""
    meanings = load_meanings()
    with np.load(VECTORS) as data:
        assert str(data["digest"]) == meanings.digest
        assert data["vectors"].shape == (len(meanings.texts), 384)


def test_a_paraphrase_with_none_of_the_keywords_lands_on_the_symptom() -> None:
    names = {f.name for f in semantic_facts("after an hour nvidia-smi no longer shows one of my cards")}
    assert "user.ecc_error" in names


def test_a_negated_clause_does_not_match_its_symptom() -> None:
    assert "user.hang" not in {f.name for f in semantic_facts("the job is not stuck, it finishes every epoch")}


def test_ordinary_sentences_match_nothing() -> None:
    for text in ("what does frac_reward_zero_std mean?", "everything looks healthy to me",
                 "I am fine-tuning Qwen on my own chat data with LoRA"):
        assert semantic_facts(text) == [], text


@pytest.mark.parametrize("text", [
    "here is my training log", "Please review my training log, I want to know if it is converging.",
    "I attached the full training log below", "this is the log of my training run",
])
def test_attaching_a_training_log_is_no_missing_eval_loss(text: str) -> None:
    # "my training log" read as "only the training loss gets logged" warned every user who attached one
    assert "user.no_eval_loss" not in [f.name for f in semantic_facts(text)]


def test_it_is_a_fallback_with_a_lower_certainty() -> None:
    """Keywords or a claim win; the meaning layer only speaks when they found no symptom, and less surely."""
    facts = facts_from_words("after an hour nvidia-smi no longer shows one of my cards")
    matched = [f for f in facts if f.name == "user.ecc_error"]
    assert matched and matched[0].cf < 0.9
    assert all("similarity" not in f.value for f in facts_from_words("loss is nan at step 200") if hasattr(f.value, "get"))


def test_one_long_clause_does_not_pad_the_short_ones() -> None:
    """A pasted run of '- - -' (a 256-token clause) beside sixteen short clauses: each batch is padded only
    to its own longest (1.5 s CPU when all seventeen were padded to 256; found by fuzzing), and a text's
    vector does not depend on the batch it shares."""
    import numpy as np

    from assistant.retrieval.embedder import load_embedder

    embedder = load_embedder()
    if embedder is None:
        return
    long = "the reward " + "- " * 420
    short = [f"then the run number {i} printed lines here" for i in range(16)]
    texts = [long, *short]
    batches = list(embedder._batches(texts, list(range(len(texts)))))
    assert sorted(i for rows, _, _ in batches for i in rows) == list(range(len(texts)))
    for rows, ids, mask in batches:
        if 0 not in rows:
            assert ids.shape[1] < 32, "short clauses padded to the long one"
    alone = embedder.embed(short[:1], cache=False)
    together = embedder.embed(texts, cache=False)
    assert np.allclose(alone[0], together[1], atol=1e-5)


@pytest.mark.parametrize("text, fact", [
    ("the vram keeps creeping up a little with every batch", "user.memory_growing"),
    ("the loss is also being computed over the instruction tokens", "user.prompt_trained"),
    ("the output gets stuck looping on the same sentence", "user.repetition"),
    ("the gradient norm shoots up into the thousands", "user.grad_norm_spikes"),
    ("every gradient comes back as exactly zero", "user.grad_norm_zero"),
    ("my custom reward module cannot be imported", "user.reward_import"),
    ("the total batch is not a multiple of the number of generations per prompt", "user.batch_divisible"),
    ("it only trains when i turn on cpu offloading", "user.offload_fixes"),
    ("the model just keeps writing after the answer is done", "user.no_stop"),
    ("the trainer throws away the dataset field my reward needs", "user.reward_missing_column"),
    ("my old card has no bf16 support", "user.bf16_error"),
])
def test_symptoms_described_in_other_words_reach_their_fact(text: str, fact: str) -> None:
    """Issue 10: the symptom facts beyond the first 27 have meanings too (rules/meanings.yaml)."""
    assert fact in {f.name for f in semantic_facts(text)}, text
