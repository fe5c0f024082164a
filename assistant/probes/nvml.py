"""GPUs through NVML (nvidia-ml-py), the preferred source: no subprocess, no CUDA context.

``pynvml`` is imported inside ``read`` so machines without it pay nothing, and
every per-device query is tried on its own: consumer GPUs answer "not
supported" for ECC and page retirement, which leaves those fields unknown
rather than losing the device.
"""
from __future__ import annotations

from typing import Any, Callable

from assistant.errors import ProbeError
from assistant.probes._device import UNKNOWN, GpuReading, gib, new_device, throttle_names

__all__ = ["read"]

_VOLATILE_ECC = 0        # NVML_VOLATILE_ECC: since the last driver load, i.e. a current fault
_UNCORRECTED = 1         # NVML_MEMORY_ERROR_TYPE_UNCORRECTED
_RETIREMENT_CAUSES = (0, 1)  # multiple single-bit, double-bit
_TEMPERATURE_GPU = 0     # NVML_TEMPERATURE_GPU


def read() -> GpuReading:
    """Every GPU NVML sees; ProbeError when NVML is missing or will not start."""
    try:
        import pynvml  # lazy: only the probe needs it
    except ImportError:
        raise ProbeError("nvml: nvidia-ml-py is not installed") from None
    try:
        pynvml.nvmlInit()
    except Exception as e:
        raise ProbeError(f"nvml: {_text(e) or type(e).__name__}") from None
    try:
        reading = GpuReading("nvml", driver=_text(_try(pynvml.nvmlSystemGetDriverVersion)),
                             cuda=_cuda_version(_try(pynvml.nvmlSystemGetCudaDriverVersion)))
        count = _try(pynvml.nvmlDeviceGetCount)
        if count == UNKNOWN:
            raise ProbeError("nvml: could not count the GPUs")
        for index in range(int(count)):
            handle = _try(pynvml.nvmlDeviceGetHandleByIndex, index)
            reading.devices.append(new_device(index) if handle == UNKNOWN else _device(pynvml, index, handle))
        return reading
    finally:
        _try(pynvml.nvmlShutdown)


def _device(nv: Any, index: int, handle: Any) -> dict[str, Any]:
    memory = _try(nv.nvmlDeviceGetMemoryInfo, handle)
    cc = _try(nv.nvmlDeviceGetCudaComputeCapability, handle)
    util = _try(nv.nvmlDeviceGetUtilizationRates, handle)
    reasons = getattr(nv, "nvmlDeviceGetCurrentClocksEventReasons", None) or nv.nvmlDeviceGetCurrentClocksThrottleReasons
    mask = _try(reasons, handle)
    return new_device(
        index,
        name=_text(_try(nv.nvmlDeviceGetName, handle)),
        compute_capability=float(f"{cc[0]}.{cc[1]}") if cc != UNKNOWN else None,
        memory_total_gib=gib(memory.total) if memory != UNKNOWN else None,
        memory_free_gib=gib(memory.free) if memory != UNKNOWN else None,
        utilization=util.gpu if util != UNKNOWN else None,
        temperature_c=_try(nv.nvmlDeviceGetTemperature, handle, _TEMPERATURE_GPU),
        ecc_uncorrected=_try(nv.nvmlDeviceGetTotalEccErrors, handle, _UNCORRECTED, _VOLATILE_ECC),
        retired_pages=_retired(nv, handle),
        throttle_reasons=throttle_names(int(mask)) if mask != UNKNOWN else None,
    )


def _retired(nv: Any, handle: Any) -> int | str:
    """Pages retired for ECC errors (pre-Ampere), else rows remapped for uncorrectable ones (Ampere+)."""
    pages = [_try(nv.nvmlDeviceGetRetiredPages, handle, cause) for cause in _RETIREMENT_CAUSES]
    if all(p != UNKNOWN for p in pages):
        return sum(len(p) for p in pages)
    rows = _try(nv.nvmlDeviceGetRemappedRows, handle)  # (corrected, uncorrected, pending, failed)
    return int(rows[1]) if rows != UNKNOWN else UNKNOWN


def _try(fn: Callable[..., Any], *args: Any) -> Any:
    """One NVML query; any failure (not supported, no permission, GPU lost) reads as unknown."""
    try:
        return fn(*args)
    except Exception:
        return UNKNOWN


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _cuda_version(value: Any) -> str:
    """NVML's 12040 -> "12.4" (the newest CUDA the driver supports)."""
    if isinstance(value, int) and value > 0:
        return f"{value // 1000}.{value % 1000 // 10}"
    return UNKNOWN
