"""The knowledge index: knowledge/ plus the user's documents, lexical and dense.

Layout under the index folder (data_dir()/index unless configured):

    current-<store>.json   the pointer: content hash, collection name, build folder
    v-<hash>-<nonce>/      one build: chunks.json and bm25/ (bm25s files)
    chroma/                the embedded Chroma store (absent with a Chroma server)

The content hash covers every source file's bytes, INDEX_VERSION (how files
become indexed text) and the embedding model, so an edit to knowledge/ or to a
registered document triggers a rebuild on the next use. A build writes a new collection and a new folder and
only then replaces the pointer (os.replace is atomic): a crash mid-build leaves
the previous index in use. Embeddings of unchanged chunks are copied from the
previous collection, so adding a runbook embeds only the runbook.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from assistant.paths import KNOWLEDGE_DIR
from assistant.retrieval import manifest
from assistant.retrieval.chunks import INDEX_VERSION, Chunk, chunk_file, dense_text, lexical_text
from assistant.retrieval.embedder import LEXICAL_ONLY_NOTICE
from assistant.retrieval.settings import IndexSettings
from assistant.retrieval.store import COLLECTION_PREFIX, DenseStore

__all__ = ["Source", "default_sources", "BuildInfo", "KnowledgeIndex", "Progress", "LEXICAL_ONLY_NOTICE"]

Progress = Callable[[int, int], None]   # (chunks embedded, chunks to embed)
_EMBED_BATCH = 32   # chunks per embed call, and per progress update


@dataclass(frozen=True)
class Source:
    path: Path
    display: str   # what a citation shows: knowledge/oom.md, or the user's file path
    origin: str    # "knowledge" | "user"


def default_sources() -> list[Source]:
    """knowledge/*.md, then every document under the paths `kb add` registered."""
    out = [Source(p, f"knowledge/{p.name}", "knowledge") for p in sorted(KNOWLEDGE_DIR.glob("*.md"))]
    seen = {s.path for s in out}
    for root in manifest.registered():
        for p in manifest.expand(root):
            if p not in seen:
                seen.add(p)
                out.append(Source(p, str(p), "user"))
    return out


@dataclass(frozen=True)
class BuildInfo:
    """The pointer's content: which build is current."""

    hash: str
    collection: str | None   # None: built without embeddings (lexical only)
    folder: str
    model: str | None
    chunks: int
    built_at: float


class KnowledgeIndex:
    """Build, check and open one index; `search` lives in assistant.retrieval.search."""

    def __init__(self, settings: IndexSettings | None = None, sources: Sequence[Source] | None = None,
                 embedder: Any = "auto") -> None:
        self.settings = settings or IndexSettings.load()
        self._sources = list(sources) if sources is not None else None
        self._embedder = embedder
        self.store = DenseStore(self.settings)
        self.notices: list[str] = []
        self.info: BuildInfo | None = None
        self.chunks: list[Chunk] = []
        self.bm25: Any = None

    # --- parts --------------------------------------------------------------------------------

    @property
    def sources(self) -> list[Source]:
        return self._sources if self._sources is not None else default_sources()

    @property
    def embedder(self) -> Any:
        """The embedding model or None (lexical only); loaded once."""
        if self._embedder == "auto":
            from assistant.retrieval.embedder import load_embedder

            self._embedder = load_embedder()
        return self._embedder

    @property
    def folder(self) -> Path:
        return self.settings.index_dir

    @property
    def pointer(self) -> Path:
        return self.folder / f"current-{self.settings.backend}.json"

    @property
    def model_id(self) -> str | None:
        """The embedding model's name, known without loading the weights."""
        if self._embedder == "auto":
            from assistant.retrieval.embedder import MODEL_ID, model_dir

            return MODEL_ID if model_dir() is not None else None
        return getattr(self._embedder, "model_id", None)

    def content_hash(self, sources: Sequence[Source] | None = None) -> str:
        h = hashlib.sha256(f"index {INDEX_VERSION}\0model {self.model_id}\0".encode())
        for s in sources if sources is not None else self.sources:
            h.update(f"{s.origin}\0{s.display}\0".encode())
            try:
                h.update(hashlib.sha256(s.path.read_bytes()).digest())
            except OSError:
                h.update(b"unreadable")
        return h.hexdigest()

    @property
    def has_dense(self) -> bool:
        """Whether the current build has a dense collection to query."""
        return self.info is not None and bool(self.info.collection)

    def lexical_scores(self, query: str) -> Any:
        return self.bm25.scores(query)

    def dense_hits(self, vector: Any, n: int, origin: str | None = None) -> list[tuple[int, float]]:
        """(chunk position, cosine similarity), best first, from the Chroma collection."""
        if not self.has_dense:
            return []
        position = {c.id: i for i, c in enumerate(self.chunks)}
        hits = self.store.query(self.info.collection, vector, n, origin)
        return [(position[cid], sim) for cid, sim in hits if cid in position]

    def read_pointer(self) -> BuildInfo | None:
        try:
            return BuildInfo(**json.loads(self.pointer.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    # --- open / build -------------------------------------------------------------------------

    def ensure(self, progress: Progress | None = None, force: bool = False) -> bool:
        """Make the current build match the sources; True when it (re)built.

        `force` rebuilds even an up-to-date index, embeddings included; an ordinary
        rebuild copies the embeddings of unchanged chunks from the previous build."""
        if self.model_id is None and LEXICAL_ONLY_NOTICE not in self.notices:
            self.notices.append(LEXICAL_ONLY_NOTICE)
        sources = self.sources
        digest = self.content_hash(sources)
        info = self.read_pointer()
        if not force and info is not None and info.hash == digest:
            try:
                self._load(info)
                return False
            except (OSError, ValueError):   # its files were removed by hand: build afresh
                force = True
        with self._lock():
            info = self.read_pointer()   # another process may have built it meanwhile
            if force or info is None or info.hash != digest:
                info = self._build(sources, digest, info, progress, reuse=not force)
        self._load(info)
        return True

    def _load(self, info: BuildInfo) -> None:
        """Read a build's chunks and BM25 files now, so a later sweep cannot pull them away."""
        if self.info == info:
            return
        from assistant.retrieval.lexical import Bm25Index

        raw = json.loads((self.folder / info.folder / "chunks.json").read_text(encoding="utf-8"))
        self.chunks = [Chunk(**c) for c in raw]
        self.bm25 = Bm25Index.load(self.folder / info.folder / "bm25")
        self.info = info

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """One builder per index folder at a time (advisory lock; no-op where fcntl is missing)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as fh:
            try:
                import fcntl

                fcntl.flock(fh, fcntl.LOCK_EX)
            except ImportError:  # pragma: no cover - Windows
                pass
            yield

    def _read_chunks(self, sources: Sequence[Source]) -> list[Chunk]:
        chunks: list[Chunk] = []
        seen: set[str] = set()
        for s in sources:
            try:
                new = chunk_file(s.path, s.display, s.origin)
            except OSError as e:
                self.notices.append(f"{s.display}: not indexed ({e.strerror or e})")
                continue
            for c in new:
                if c.id not in seen:   # identical windows in one section count once
                    seen.add(c.id)
                    chunks.append(c)
        return chunks

    def _vectors(self, chunks: list[Chunk], reuse_from: str | None, progress: Progress | None) -> Any:
        import numpy as np  # lazy: only a build with embeddings needs it

        embedder = self.embedder
        reuse = self._shipped(embedder)
        if reuse_from:
            reuse.update(self.store.embeddings(reuse_from, [c.id for c in chunks]))
        vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
        todo = []
        for i, c in enumerate(chunks):
            if c.id in reuse:
                vectors[i] = reuse[c.id]
            else:
                todo.append(i)
        texts = {i: dense_text(chunks[i]) for i in todo}
        todo.sort(key=lambda i: len(texts[i]))   # similar lengths per call: little padding
        for start in range(0, len(todo), _EMBED_BATCH):
            if progress:
                progress(start, len(todo))
            part = todo[start:start + _EMBED_BATCH]
            vectors[part] = embedder.embed([texts[i] for i in part])
        if progress and todo:
            progress(len(todo), len(todo))
        return vectors

    @staticmethod
    def _shipped(embedder: Any) -> dict[str, Any]:
        """The guide's vectors shipped in the package, when they came from this embedder's model."""
        from assistant.retrieval.bundled import shipped_vectors
        from assistant.retrieval.embedder import Embedder

        if not isinstance(embedder, Embedder):   # a stand-in model (tests): its own vectors only
            return {}
        try:
            return shipped_vectors(embedder.model_id)
        except (OSError, ValueError):   # no usable bundle: embed the guide like any document
            return {}

    def _build(self, sources: Sequence[Source], digest: str, previous: BuildInfo | None,
               progress: Progress | None, reuse: bool = True) -> BuildInfo:
        from assistant.retrieval.lexical import Bm25Index

        chunks = self._read_chunks(sources)
        nonce = os.urandom(4).hex()
        name = f"{COLLECTION_PREFIX}{digest[:16]}-{nonce}"
        folder = self.folder / f"v-{digest[:16]}-{nonce}"
        folder.mkdir(parents=True)
        (folder / "chunks.json").write_text(json.dumps([c.__dict__ for c in chunks]), encoding="utf-8")
        Bm25Index.build([lexical_text(c) for c in chunks] or [""]).save(folder / "bm25")
        collection = None
        if self.embedder is not None and chunks:
            reuse_from = previous.collection if reuse and previous is not None else None
            self.store.create(name, chunks, self._vectors(chunks, reuse_from, progress))
            collection = name
        info = BuildInfo(digest, collection, folder.name, self.model_id if collection else None,
                         len(chunks), time.time())
        tmp = self.pointer.with_suffix(f".{nonce}.tmp")
        tmp.write_text(json.dumps(info.__dict__), encoding="utf-8")
        os.replace(tmp, self.pointer)   # the switch: atomic
        self._sweep(info, previous)
        return info

    def _sweep(self, current: BuildInfo, previous: BuildInfo | None) -> None:
        """Drop the previous build and, in the embedded store, leftovers of crashed builds."""
        if previous is not None and previous.collection and previous.collection != current.collection:
            self.store.delete(previous.collection)
        live = {json.loads(p.read_text(encoding="utf-8")).get("folder") for p in self.folder.glob("current-*.json")}
        for old in self.folder.glob("v-*"):
            if old.name not in live:
                shutil.rmtree(old, ignore_errors=True)
        if not self.settings.chroma_host:   # a shared server may hold other users' collections
            for name in self.store.names():
                if name.startswith(COLLECTION_PREFIX) and name != current.collection:
                    self.store.delete(name)
