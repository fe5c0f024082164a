"""The BM25 tokeniser keeps identifiers whole and split; the index saves and loads."""
from __future__ import annotations

from pathlib import Path

from assistant.retrieval.lexical import Bm25Index, tokenize


def test_identifiers_are_kept_whole_and_split_into_parts() -> None:
    tokens = tokenize("What does frac_reward_zero_std mean with use_reentrant=False?")
    for t in ("frac_reward_zero_std", "frac", "reward", "zero", "std", "use_reentrant", "reentrant"):
        assert t in tokens
    assert "what" not in tokens and "does" not in tokens


def test_camel_case_and_paths_split() -> None:
    tokens = tokenize("OutOfMemoryError in train/loss")
    assert {"outofmemoryerror", "memory", "error", "train/loss", "train", "loss"} <= set(tokens)


def test_inflections_meet() -> None:
    assert tokenize("exploding")[0] == tokenize("explodes")[0] == tokenize("exploded")[0]
    assert tokenize("gradients") == tokenize("gradient")


def test_exact_name_outranks_prose(tmp_path: Path) -> None:
    docs = ["set use_reentrant to true for ZeRO-3", "reentrant code is code that can be re-entered",
            "nothing related at all"]
    index = Bm25Index.build(docs)
    index.save(tmp_path / "bm25")
    scores = Bm25Index.load(tmp_path / "bm25").scores("use_reentrant")
    assert scores.argmax() == 0 and scores[2] == 0
    assert not Bm25Index.load(tmp_path / "bm25").scores("zzzz unknown").any()
