"""The MiniLM weights laid out as the forward pass wants them, memory-mapped from one file.

model.safetensors stores dense weights as (out, in), query/key/value apart and
tensors at arbitrary offsets, so the old loader transposed and copied 45 MB of
tensors in every process that embedded a query (~60-200 ms on a busy 2-core
machine). Here that work is done once: every tensor the forward pass multiplies
with is written, float32, C-contiguous, 64-byte aligned, dense weights
pre-transposed to (in, out) and Q/K/V fused, into one `.npy` under the cache
directory, with its layout in a JSON file beside it. A process then maps the file
(`np.load(mmap_mode="r")`) and takes views: no copy, no parse, and the pages are
shared through the page cache by every process on the machine. The word-embedding
table (half the weights) is only indexed, so it is mapped from the safetensors file.

The cache is keyed by the weights file (path, size, mtime) and LAYOUT_VERSION, and
written atomically (temporary names, then `os.replace`), so concurrent first runs
are safe; where the cache directory is not writable the prepared arrays are used
from memory.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path
from typing import Any

from assistant.paths import cache_dir

__all__ = ["LAYOUT_VERSION", "weights_key", "prepared_weights"]

LAYOUT_VERSION = "1"
_ALIGN = 16   # floats: 64 bytes, a cache line, what BLAS kernels like
_TABLE = "embeddings.word_embeddings.weight"


def weights_key(folder: Path) -> str:
    """Names the weights without reading them: the file's path, size and mtime, and the layout."""
    st = (folder / "model.safetensors").stat()
    raw = f"{folder.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\0{LAYOUT_VERSION}"
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def _read_safetensors(path: Path) -> dict[str, Any]:
    """name -> numpy view over a memory map of the file (8-byte header length, JSON header, raw tensors)."""
    import numpy as np

    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    with path.open("rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size).view(np.ndarray)
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        out[name] = data[start:end].view(dtypes[meta["dtype"]]).reshape(meta["shape"])
    return out


def _prepare(raw: dict[str, Any], layers: int) -> dict[str, Any]:
    """The forward pass's arrays: dense weights as (in, out), Q/K/V fused per layer, float32.
    The word-embedding table (half the file) is only indexed, never multiplied: it stays a
    view over the safetensors file and is not copied."""
    import numpy as np

    out: dict[str, Any] = {}
    for name, array in raw.items():
        if ".attention.self." in name or name == _TABLE:
            continue   # fused below / mapped from the original
        if name.endswith("dense.weight"):
            out[name] = array.T.astype(np.float32)
        elif name.endswith(("weight", "bias")):
            out[name] = array.astype(np.float32)
    for i in range(layers):
        p = f"encoder.layer.{i}.attention.self"
        out[f"encoder.layer.{i}.qkv.weight"] = np.concatenate(
            [raw[f"{p}.{n}.weight"] for n in ("query", "key", "value")]).T.astype(np.float32)
        out[f"encoder.layer.{i}.qkv.bias"] = np.concatenate(
            [raw[f"{p}.{n}.bias"] for n in ("query", "key", "value")]).astype(np.float32)
    return out


def _write(arrays: dict[str, Any], target: Path) -> None:
    """One aligned float32 .npy holding every array, and its layout as JSON beside it."""
    import numpy as np

    layout, offset = {}, 0
    for name, a in arrays.items():
        layout[name] = [offset, list(a.shape)]
        offset += -(-a.size // _ALIGN) * _ALIGN
    target.parent.mkdir(parents=True, exist_ok=True)
    nonce = os.urandom(4).hex()
    tmp_npy, tmp_json = target.with_name(f"{target.name}.{nonce}.tmp"), target.with_name(f"{target.name}.{nonce}.json.tmp")
    with open(tmp_npy, "wb") as fh:
        # The .npy header is padded to 64 bytes, so the data starts aligned; arrays are
        # written one after another (no 45 MB staging copy), each padded to _ALIGN floats.
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f4", "fortran_order": False, "shape": (offset,)})
        for a in arrays.values():
            fh.write(np.ascontiguousarray(a, dtype="<f4").data)
            pad = -a.size % _ALIGN
            if pad:
                fh.write(bytes(4 * pad))
    tmp_json.write_text(json.dumps({"size": offset, "arrays": layout}), encoding="utf-8")
    os.replace(tmp_npy, target)
    os.replace(tmp_json, target.with_suffix(".json"))


def _load(target: Path, table: Any) -> dict[str, Any] | None:
    """Views into the mapped cache file (plus the word table), or None when it is missing, partial or unreadable."""
    import numpy as np

    try:
        meta = json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))
        flat = np.load(target, mmap_mode="r")
    except (OSError, ValueError):
        return None
    if flat.dtype != np.float32 or flat.ndim != 1 or flat.size != meta.get("size"):
        return None
    flat = flat.view(np.ndarray)   # a plain array over the map: no memmap subclass on every result
    out = {_TABLE: table}
    for name, (start, shape) in meta["arrays"].items():
        n = 1
        for d in shape:
            n *= d
        out[name] = flat[start:start + n].reshape(shape)
    return out


def prepared_weights(folder: Path, layers: int) -> dict[str, Any]:
    """The forward pass's arrays: mapped from the cache, or prepared now (and cached for next time)."""
    target = cache_dir() / "embedder" / f"minilm-{weights_key(folder)}.npy"
    raw = _read_safetensors(folder / "model.safetensors")   # views only: reads the header
    arrays = _load(target, raw[_TABLE])
    if arrays is not None:
        return arrays
    arrays = _prepare(raw, layers)
    try:
        _write(arrays, target)
    except OSError:   # a read-only cache: this process uses what it prepared
        pass
    return {**arrays, _TABLE: raw[_TABLE]}
