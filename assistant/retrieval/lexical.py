"""BM25 over chunks (bm25s), with a tokeniser that respects config and metric names.

`frac_reward_zero_std`, `use_reentrant`, `train/loss`, `bf16` are what people
paste, so an identifier is kept whole *and* split into its parts (`frac`,
`reward`, `zero`, `std`): the whole name matches exactly, the parts match prose
("fraction of reward with zero std"). Words are lowercased, English stop words
dropped and a few inflections folded ("exploding" ~ "explodes" ~ "explode"),
because users describe a symptom in other forms than the guide does.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Sequence

__all__ = ["tokenize", "Bm25Index", "Bm25Matrix"]

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[_./\-][A-Za-z0-9]+)*")
_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
# English function words (after NLTK's list): they carry no topic, and in a short question
# they would otherwise let any long passage match.
_STOP = frozenset("""a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each else etc every few for from further
get got had has have having he her here hers him his how i if in into is it its itself just me more most my
myself no nor not now of off on once only or other our ours out over own so some still such than that
the their them then there these they this those through to too under until up upon very was we were what
when where which while who whom why will with would you your yours""".split())
_SUFFIXES = ("ations", "ation", "ences", "ence", "ings", "ing", "ies", "ied", "ed", "es", "s", "ly", "e")


def _stem(word: str) -> str:
    """A light suffix stripper: enough to meet "exploding"/"explodes", never below 4 letters."""
    if not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            return word + "y" if suffix in ("ies", "ied") else word
    return word


def tokenize(text: str) -> list[str]:
    """Words for BM25: each identifier whole, plus its parts (split at _ . / - and camelCase)."""
    out: list[str] = []
    for m in _TOKEN.finditer(text):
        whole = m.group(0)
        parts = [p.lower() for p in _PARTS.findall(whole)]
        low = whole.lower()
        if len(parts) > 1 or low not in _STOP:
            out.append(_stem(low))
        if len(parts) > 1:
            out.extend(_stem(p) for p in parts if p not in _STOP)
    return out


class Bm25Index:
    """A bm25s index saved as files next to the dense collection."""

    def __init__(self, retriever: Any) -> None:
        self._retriever = retriever
        self._vocab = retriever.vocab_dict

    @classmethod
    def build(cls, texts: Sequence[str]) -> "Bm25Index":
        import bm25s  # lazy: 0.3 s, only when an index is built or searched

        retriever = bm25s.BM25(k1=1.2, b=0.75)   # the textbook parameters
        retriever.index([tokenize(t) for t in texts], show_progress=False)
        return cls(retriever)

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> "Bm25Index":
        import bm25s

        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0))

    def scores(self, query: str) -> Any:
        """One BM25 score per indexed text (numpy array); words the corpus lacks are ignored."""
        import numpy as np

        tokens = [t for t in tokenize(query) if t in self._vocab]
        if not tokens:
            return np.zeros(self._retriever.scores["num_docs"], dtype=np.float32)
        return self._retriever.get_scores(tokens)

    def matrix(self) -> "Bm25Matrix":
        """The same scores as arrays that numpy alone can query (to ship, or to skip bm25s's import)."""
        s = self._retriever.scores
        words = [""] * len(self._vocab)
        for word, i in self._vocab.items():
            words[i] = word
        return Bm25Matrix(s["data"], s["indices"], s["indptr"], words, int(s["num_docs"]))


class Bm25Matrix:
    """BM25 as bm25s precomputes it: one score per (word, passage) in a CSC matrix, queried
    with numpy alone. A query's scores are the sums of its words' columns (a repeated word
    counts again), exactly what bm25s's `get_scores` computes, without importing bm25s
    (0.04-0.3 s with its tqdm and BEIR helpers) in a one-shot process."""

    def __init__(self, data: Any, indices: Any, indptr: Any, words: Sequence[str], num_docs: int) -> None:
        self.data, self.indices, self.indptr = data, indices, indptr
        self.words = list(words)
        self.num_docs = num_docs
        self._ids = {w: i for i, w in enumerate(self.words)}

    def scores(self, query: str) -> Any:
        """One BM25 score per passage (float32); words the corpus lacks are ignored."""
        import numpy as np

        out = np.zeros(self.num_docs, dtype=np.float32)
        for t in tokenize(query):
            i = self._ids.get(t)
            if i is not None:
                start, end = int(self.indptr[i]), int(self.indptr[i + 1])
                np.add.at(out, self.indices[start:end], self.data[start:end])
        return out
