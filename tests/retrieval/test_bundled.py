"""The guide shipped searchable: arrays in the package, searched in-process, no index build, no Chroma."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.retrieval import bundled
from assistant.retrieval.bundled import BUNDLE, BundledIndex, build_bundle, knowledge_digest
from assistant.retrieval.chunks import dense_text, lexical_text
from assistant.retrieval.embedder import model_dir
from assistant.retrieval.lexical import Bm25Index
from assistant.retrieval.search import search
from assistant.retrieval.shipped import load_arrays

QUERIES = ["what does frac_reward_zero_std mean?", "use_reentrant with zero3", "loss spikes after warmup",
           "reward reward std zero", "NCCL timeout on 8 GPUs", "nothing matches xyzzy"]


@pytest.fixture(scope="module")
def shipped() -> BundledIndex:
    return BundledIndex(load_arrays(BUNDLE, None))


def test_the_shipped_bundle_was_built_from_the_current_knowledge() -> None:
    """Editing knowledge/ without `python -m assistant.retrieval.bundled --build` fails here."""
    arrays = load_arrays(BUNDLE, None)
    assert arrays is not None, f"{BUNDLE} is missing"
    assert str(arrays["digest"]) == knowledge_digest()


def test_bm25_without_bm25s_scores_what_bm25s_scores(shipped: BundledIndex) -> None:
    reference = Bm25Index.build([lexical_text(c) for c in shipped.chunks])
    for q in QUERIES:
        assert np.array_equal(shipped.lexical_scores(q), reference.scores(q)), q


@pytest.mark.skipif(model_dir() is None, reason="all-MiniLM-L6-v2 weights not installed")
def test_shipped_vectors_are_the_model_s_vectors_of_the_chunks(shipped: BundledIndex, minilm) -> None:
    picks = [0, len(shipped.chunks) // 2, len(shipped.chunks) - 1]
    fresh = minilm.embed([dense_text(shipped.chunks[i]) for i in picks], cache=False)
    assert np.allclose(fresh, shipped.vectors[picks], atol=1e-5)


@pytest.mark.skipif(model_dir() is None, reason="all-MiniLM-L6-v2 weights not installed")
def test_hybrid_search_over_the_shipped_guide(shipped: BundledIndex) -> None:
    top = search(shipped, "what does frac_reward_zero_std mean?", k=3)
    assert top[0].anchor == "monitoring/reward-std-and-zero-std-fraction"
    assert search(shipped, "the loss became not-a-number", k=3, mode="dense")
    assert search(shipped, "anything", k=3, origin="user") == []     # the guide holds no user documents


def test_without_weights_the_shipped_guide_is_searched_lexically(shipped: BundledIndex, lexical_only) -> None:
    assert shipped.embedder is None and shipped.notices
    assert search(shipped, "anything at all", mode="dense") == []
    assert search(shipped, "frac_reward_zero_std", k=1)[0].source == "knowledge/monitoring.md"


def test_an_edited_guide_is_indexed_once_into_the_cache(user_dirs: Path, lexical_only,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    guide = user_dirs / "knowledge"
    guide.mkdir()
    (guide / "ours.md").write_text("# Our Guide\n\n## Preemption\n\nRequeue with scontrol requeue JOBID.\n")
    monkeypatch.setattr(bundled, "KNOWLEDGE_DIR", guide)
    bundled.bundled_index.cache_clear()
    try:
        index = bundled.bundled_index()
        assert [c.heading_path for c in index.chunks] == ["Our Guide › Preemption"]
        assert (user_dirs / "cache" / f"knowledge-{knowledge_digest()}.npz").is_file()
        assert search(index, "requeue a job", k=1)[0].anchor == "ours/preemption"
    finally:
        bundled.bundled_index.cache_clear()


def test_a_build_writes_what_it_was_built_from(tmp_path: Path, lexical_only) -> None:
    target = tmp_path / "k.npz"
    assert build_bundle(target, "abc")
    arrays = load_arrays(target, "abc")
    assert arrays is not None and load_arrays(target, "other") is None
    assert len(BundledIndex(arrays).chunks) > 50 and BundledIndex(arrays).vectors is None


def test_a_question_with_no_user_documents_never_starts_chroma(user_dirs: Path) -> None:
    code = ("import sys\n"
            "from assistant.consult import consult\n"
            "r = consult('what does frac_reward_zero_std mean?')\n"
            "assert 'knowledge/monitoring.md' in r.answer, r.answer\n"
            "print('LOADED', [m for m in ('chromadb', 'bm25s', 'assistant.retrieval.index') if m in sys.modules])\n")
    env = {**os.environ, "TSA_DATA_DIR": str(user_dirs / "data"), "TSA_CACHE_DIR": str(user_dirs / "cache")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert "LOADED []" in out.stdout, out.stdout + out.stderr[-2000:]
