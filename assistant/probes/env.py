"""The environment variables that change how a run uses its GPUs, only those that are set.

Nothing else from the environment is copied: a saved report travels to other
machines and people, and tokens live in the environment too.
"""
from __future__ import annotations

import os
from typing import Mapping

__all__ = ["NAMES", "env_section"]

NAMES = ("CUDA_VISIBLE_DEVICES", "HF_HUB_DISABLE_XET", "PYTORCH_CUDA_ALLOC_CONF", "WORLD_SIZE", "LOCAL_RANK")
_PREFIXES = ("NCCL_",)


def env_section(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Name -> value for the variables above and every NCCL_* one, sorted by name."""
    env = os.environ if environ is None else environ
    return {k: env[k] for k in sorted(env) if k in NAMES or k.startswith(_PREFIXES)}
