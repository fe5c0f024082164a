"""Installed versions of the training stack, read from package metadata, never by importing.

Importing flash_attn or deepspeed to see whether they work costs seconds and
can itself crash; their metadata says whether they are installed. One
directory listing per ``sys.path`` entry finds every ``*.dist-info`` at once
(about 1 ms), where ``importlib.metadata.version`` would rescan the path for
each name (about 5 ms each).
"""
from __future__ import annotations

import importlib.metadata
import os
import re
import sys
from typing import Iterable

__all__ = ["PACKAGES", "MISSING", "installed_versions", "package_section", "nccl_from_wheels"]

MISSING = "missing"
# Report key -> distribution names to look for, first found wins.
PACKAGES: dict[str, tuple[str, ...]] = {
    "flash_attn": ("flash_attn",),
    "xformers": ("xformers",),
    "deepspeed": ("deepspeed",),
    "bitsandbytes": ("bitsandbytes",),
    "vllm": ("vllm",),
    "triton": ("triton", "pytorch_triton", "pytorch_triton_rocm"),
    "transformers": ("transformers",),
    "trl": ("trl",),
    "peft": ("peft",),
    "accelerate": ("accelerate",),
    "axolotl": ("axolotl",),
    "torchao": ("torchao",),
}
_NCCL_WHEELS = ("nvidia_nccl_cu13", "nvidia_nccl_cu12", "nvidia_nccl_cu11")
_INFO = re.compile(r"^(?P<name>[^-]+)(?:-(?P<version>[^-]+?))?(?:-py[\d.]+)?\.(?:dist|egg)-info$", re.I)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def installed_versions(paths: Iterable[str] | None = None) -> dict[str, str]:
    """Normalised distribution name -> version, first occurrence on the path winning (as imports do)."""
    found: dict[str, str] = {}
    for entry in sys.path if paths is None else paths:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            m = _INFO.match(name)
            if m is None or _norm(m["name"]) in found:
                continue
            version = m["version"] or _metadata_version(m["name"])
            if version:
                found[_norm(m["name"])] = version
    return found


def _metadata_version(name: str) -> str | None:
    """An egg-info without a version in its name (a develop install): ask its metadata."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def package_section(versions: dict[str, str]) -> dict[str, str]:
    """The report's ``packages`` section: every package named, version or "missing"."""
    return {key: next((versions[d] for d in dists if d in versions), MISSING) for key, dists in PACKAGES.items()}


def nccl_from_wheels(versions: dict[str, str]) -> str | None:
    """The NCCL version pip installed alongside torch, when torch itself is not asked."""
    return next((versions[w] for w in _NCCL_WHEELS if w in versions), None)
