"""What torch itself says: whether it sees the GPUs, and what they support.

Importing torch costs about 2 s, so the caller only asks when torch is
installed and a GPU driver is present; ``installed()`` looks without
importing. Device properties are read without creating a CUDA context (no
``mem_get_info``), so the probe allocates nothing on the GPUs.
"""
from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from typing import Any

from assistant.probes._device import UNKNOWN, GpuReading, gib, new_device

__all__ = ["TorchReading", "installed", "read"]


@dataclass
class TorchReading:
    """torch's view: the ``torch`` report section plus the GPUs and versions it reports."""

    section: dict[str, Any] = field(default_factory=dict)
    gpus: GpuReading | None = None
    cuda_runtime: str = UNKNOWN
    nccl: str = UNKNOWN


def installed() -> bool:
    """True when ``import torch`` would find a package (or one is already imported)."""
    if "torch" in sys.modules:
        return True
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def read() -> TorchReading:
    """Import torch and ask it; any failure propagates for the caller to note."""
    import torch  # lazy: about 2 s, paid only on hosts with a GPU driver and torch

    cuda = torch.cuda
    out = TorchReading(section={"version": str(torch.__version__), "cuda_available": bool(cuda.is_available())})
    if not out.section["cuda_available"]:
        out.section.update(bf16_supported=False, fp8_supported=False, tf32=False)
        return out
    caps = [tuple(cuda.get_device_capability(i)) for i in range(cuda.device_count())]
    lowest = min(caps) if caps else (0, 0)
    out.section.update(bf16_supported=bool(cuda.is_bf16_supported()), fp8_supported=lowest >= (8, 9),
                       tf32=lowest >= (8, 0))
    out.cuda_runtime = str(getattr(torch.version, "cuda", None) or getattr(torch.version, "hip", None) or UNKNOWN)
    try:
        out.nccl = ".".join(str(p) for p in cuda.nccl.version())
    except Exception:  # builds without NCCL (ROCm uses RCCL, CPU-only has none)
        out.nccl = UNKNOWN
    out.gpus = GpuReading("torch", cuda=out.cuda_runtime)
    for i, (major, minor) in enumerate(caps):
        props = cuda.get_device_properties(i)
        out.gpus.devices.append(new_device(i, name=str(props.name), compute_capability=float(f"{major}.{minor}"),
                                           memory_total_gib=gib(props.total_memory)))
    return out
