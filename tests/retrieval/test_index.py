"""The on-disk index over real axolotl Quarto pages: retrieval by heading path, rebuilds, atomicity."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.retrieval.index import LEXICAL_ONLY_NOTICE, KnowledgeIndex, Source
from assistant.retrieval.search import search
from assistant.retrieval.settings import IndexSettings

# (question in a user's words, heading path that answers it)
CASES = [
    ("how do I turn on gradient checkpointing in the yaml?",
     "Gradient Checkpointing, Activation Offloading, and Layer Offloading › Enabling Gradient Checkpointing"),
    ("my activations don't fit, can they go to CPU RAM?",
     "Gradient Checkpointing, Activation Offloading, and Layer Offloading › Enabling Activation Offloading"),
    ("what does fp16 need to avoid underflow?", "Mixed Precision Training › FP16 Mixed Precision › FP16 Considerations"),
    ("is a bigger micro batch the same as accumulating gradients?", "Batch size vs Gradient accumulation"),
]


@pytest.mark.parametrize(("question", "heading_path"), CASES)
def test_hybrid_search_finds_the_section_by_heading_path(minilm_index: KnowledgeIndex, question: str,
                                                        heading_path: str) -> None:
    top = [p.heading_path for p in search(minilm_index, question, k=3)]
    assert heading_path in top, top


def test_results_carry_source_anchor_and_snippet(minilm_index: KnowledgeIndex) -> None:
    p = search(minilm_index, "bf16 on GPUs that support it", k=1)[0]
    assert p.source == "mixed_precision.qmd" and p.anchor.startswith("mixed_precision/")
    c = p.citation()
    assert c.doc == p.source and c.section == p.heading_path and c.snippet


def test_the_dense_part_lives_in_chroma_on_disk(minilm_index: KnowledgeIndex) -> None:
    info = minilm_index.info
    assert info.collection in minilm_index.store.names()
    assert (minilm_index.folder / "chroma" / "chroma.sqlite3").is_file()
    assert search(minilm_index, "tokens packed into one sequence", k=3, mode="dense")


def test_reopening_uses_the_existing_build(minilm_index: KnowledgeIndex, qmd_sources: list[Source]) -> None:
    again = KnowledgeIndex(minilm_index.settings, qmd_sources)
    assert again.ensure() is False and again.info == minilm_index.info


def _copy_index(tmp_path: Path, qmd_dir: Path, embedder: object, names: list[str]) -> KnowledgeIndex:
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in names:
        (docs / n).write_text((qmd_dir / n).read_text())
    sources = [Source(p, p.name, "user") for p in sorted(docs.glob("*.qmd"))]
    return KnowledgeIndex(IndexSettings(tmp_path / "index"), sources, embedder=embedder)


class CountingEmbedder:
    def __init__(self, inner: object) -> None:
        self.inner, self.texts = inner, 0
        self.model_id, self.dim = inner.model_id, inner.dim

    def embed(self, texts: list[str]):
        self.texts += len(texts)
        return self.inner.embed(texts)


# Rebuild mechanics do not depend on the model: these use the instant HashEmbedder.

def test_an_edit_rebuilds_and_reuses_unchanged_embeddings(tmp_path: Path, qmd_dir: Path, fake_embedder) -> None:
    embedder = CountingEmbedder(fake_embedder)
    index = _copy_index(tmp_path, qmd_dir, embedder, ["nccl.qmd", "batch_vs_grad.qmd"])
    assert index.ensure() is True
    first, embedded = index.info, embedder.texts
    doc = tmp_path / "docs" / "nccl.qmd"
    doc.write_text(doc.read_text() + "\n\n## Our cluster\n\nSet NCCL_P2P_DISABLE=1 on the old nodes.\n")
    fresh = KnowledgeIndex(index.settings, index.sources, embedder=embedder)
    assert fresh.ensure() is True and fresh.info.hash != first.hash
    assert embedder.texts - embedded <= 3          # only the new and changed windows were embedded
    assert search(fresh, "NCCL_P2P_DISABLE", k=1)[0].heading_path == "NCCL › Our cluster"
    assert first.collection not in fresh.store.names()          # the old build is swept
    assert not (fresh.folder / first.folder).exists()


def test_a_crash_mid_build_leaves_the_previous_index_usable(tmp_path: Path, qmd_dir: Path, fake_embedder,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = fake_embedder
    index = _copy_index(tmp_path, qmd_dir, embedder, ["nccl.qmd", "batch_vs_grad.qmd"])
    index.ensure()
    before = index.info
    (tmp_path / "docs" / "nccl.qmd").write_text("# NCCL\n\nrewritten\n")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    broken = KnowledgeIndex(index.settings, index.sources, embedder=embedder)
    monkeypatch.setattr(broken.store, "create", crash)
    with pytest.raises(KeyboardInterrupt):
        broken.ensure()
    assert broken.read_pointer() == before
    survivor = KnowledgeIndex(index.settings, index.sources, embedder=embedder)
    survivor._load(survivor.read_pointer())          # what a reader opens while no rebuild succeeded
    assert search(survivor, "gradient accumulation", k=1)
    monkeypatch.undo()
    assert KnowledgeIndex(index.settings, index.sources, embedder=embedder).ensure() is True  # next use rebuilds


def test_without_weights_retrieval_is_lexical_with_a_notice(tmp_path: Path, qmd_dir: Path) -> None:
    index = _copy_index(tmp_path, qmd_dir, None, ["gradient_checkpointing.qmd"])
    index.ensure()
    assert index.info.collection is None and LEXICAL_ONLY_NOTICE in index.notices
    hits = search(index, "use_reentrant", k=2)
    assert hits and all("Gradient Checkpointing" in p.heading_path for p in hits)
    assert search(index, "anything", mode="dense") == []


def test_a_build_whose_files_vanished_is_rebuilt(tmp_path: Path, qmd_dir: Path, fake_embedder) -> None:
    index = _copy_index(tmp_path, qmd_dir, fake_embedder, ["nccl.qmd"])
    index.ensure()
    shutil.rmtree(index.folder / index.info.folder)
    again = KnowledgeIndex(index.settings, index.sources, embedder=fake_embedder)
    assert again.ensure() is True and search(again, "NCCL", k=1)
