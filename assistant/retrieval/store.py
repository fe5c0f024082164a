"""The dense half of the index in Chroma: an embedded PersistentClient, or a server.

Vectors are always passed in (`embeddings=`, `query_embeddings=`): Chroma's
default embedding function downloads a model on first use, which must never
happen. Collections are named `tsa-<content hash>-<nonce>`; the pointer that
says which one is current lives in `assistant.retrieval.index`.
"""
from __future__ import annotations

from typing import Any, Sequence

from assistant.errors import AssistantError
from assistant.retrieval.chunks import Chunk
from assistant.retrieval.settings import IndexSettings

__all__ = ["DenseStore", "COLLECTION_PREFIX"]

COLLECTION_PREFIX = "tsa-"
_ADD_BATCH = 1000   # well under Chroma's max batch size


class DenseStore:
    def __init__(self, settings: IndexSettings) -> None:
        self.settings = settings
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import chromadb  # lazy: ~0.8 s, only when the dense index is used
            from chromadb.config import Settings

            quiet = Settings(anonymized_telemetry=False)
            s = self.settings
            try:
                if s.chroma_host:
                    self._client = chromadb.HttpClient(host=s.chroma_host, port=s.chroma_port, settings=quiet)
                else:
                    self._client = chromadb.PersistentClient(path=str(s.index_dir / "chroma"), settings=quiet)
            except Exception as e:  # chromadb raises assorted types for an unreachable or broken store
                raise AssistantError(f"Chroma at {self.where}: {type(e).__name__}: {e}") from None
        return self._client

    @property
    def where(self) -> str:
        s = self.settings
        return f"{s.chroma_host}:{s.chroma_port}" if s.chroma_host else str(s.index_dir / "chroma")

    def names(self) -> list[str]:
        return [c.name for c in self.client.list_collections()]

    def create(self, name: str, chunks: Sequence[Chunk], vectors: Any) -> None:
        col = self.client.create_collection(name, configuration={"hnsw": {"space": "cosine"}},
                                            embedding_function=None)
        for start in range(0, len(chunks), _ADD_BATCH):
            part = chunks[start:start + _ADD_BATCH]
            col.add(ids=[c.id for c in part], embeddings=vectors[start:start + len(part)],
                    documents=[c.text for c in part],
                    metadatas=[{"source": c.source, "anchor": c.anchor, "heading_path": c.heading_path,
                                "origin": c.origin} for c in part])

    def embeddings(self, name: str, ids: Sequence[str]) -> dict[str, Any]:
        """Stored vectors of the given chunk ids that exist in collection `name` (for reuse)."""
        try:
            col = self.client.get_collection(name, embedding_function=None)
        except Exception:  # the collection is gone: nothing to reuse
            return {}
        got = col.get(ids=list(ids), include=["embeddings"])
        return dict(zip(got["ids"], got["embeddings"]))

    def query(self, name: str, vector: Any, n: int, origin: str | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first."""
        col = self.client.get_collection(name, embedding_function=None)
        n = min(n, col.count())
        if n <= 0:
            return []
        res = col.query(query_embeddings=[vector], n_results=n, where={"origin": origin} if origin else None,
                        include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0])]

    def delete(self, name: str) -> None:
        try:
            self.client.delete_collection(name)
        except Exception:  # already gone (another process cleaned up): nothing to do
            pass
