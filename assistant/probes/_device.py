"""What every GPU source (NVML, nvidia-smi, torch) hands back, in one shape.

Each source fills the per-GPU fields it can read and leaves the rest
``"unknown"``; the report then summarises the devices the same way whichever
source answered.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["UNKNOWN", "GIB", "GpuReading", "new_device", "gib", "throttle_names"]

UNKNOWN = "unknown"
GIB = 1024 ** 3

# NVML clock-event ("throttle") reason bits; nvidia-smi prints the same mask in hex.
_THROTTLE_BITS = {
    0x001: "gpu_idle",
    0x002: "applications_clocks_setting",
    0x004: "sw_power_cap",
    0x008: "hw_slowdown",
    0x010: "sync_boost",
    0x020: "sw_thermal_slowdown",
    0x040: "hw_thermal_slowdown",
    0x080: "hw_power_brake_slowdown",
    0x100: "display_clock_setting",
}

_FIELDS = ("name", "compute_capability", "memory_total_gib", "memory_free_gib", "utilization",
           "temperature_c", "ecc_uncorrected", "retired_pages", "throttle_reasons")


@dataclass
class GpuReading:
    """One source's view of the GPUs: per-device records plus driver-wide versions."""

    source: str
    devices: list[dict[str, Any]] = field(default_factory=list)
    driver: str = UNKNOWN
    cuda: str = UNKNOWN


def new_device(index: int, **known: Any) -> dict[str, Any]:
    """A device record with every field present; unknown ones say so."""
    record: dict[str, Any] = {"index": index}
    record.update({name: UNKNOWN for name in _FIELDS})
    record["throttle_reasons"] = []
    record.update({k: v for k, v in known.items() if v is not None})
    return record


def gib(n_bytes: float) -> float:
    return round(n_bytes / GIB, 2)


def throttle_names(mask: int) -> list[str]:
    """Reason names for a clock-event bit mask (unknown bits by their hex value)."""
    names = [name for bit, name in _THROTTLE_BITS.items() if mask & bit]
    rest = mask & ~sum(_THROTTLE_BITS)
    if rest:
        names.append(f"other_{rest:#x}")
    return names
