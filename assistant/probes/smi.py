"""GPUs through ``nvidia-smi --query-gpu``, for hosts where NVML cannot be loaded from Python.

One query with every field; drivers too old to know a field refuse the whole
query, so a second one asks only for the fields every driver has. Each run is
killed after ``TIMEOUT_S``: a wedged GPU can make nvidia-smi hang for minutes.
"""
from __future__ import annotations

import csv
import shutil
import subprocess
from typing import Any, Callable

from assistant.errors import ProbeError
from assistant.probes._device import UNKNOWN, GpuReading, gib, new_device, throttle_names

__all__ = ["read", "run_smi", "QueryRefused", "TIMEOUT_S", "FULL_FIELDS", "BASIC_FIELDS"]

TIMEOUT_S = 3.0
FULL_FIELDS = ("index", "name", "compute_cap", "memory.total", "memory.free", "utilization.gpu",
               "temperature.gpu", "driver_version", "ecc.errors.uncorrected.volatile.total",
               "retired_pages.sbe", "retired_pages.dbe", "clocks_throttle_reasons.active")
BASIC_FIELDS = ("index", "name", "memory.total", "memory.free", "driver_version")

Runner = Callable[[list[str], float], str]


class QueryRefused(ProbeError):
    """nvidia-smi ran and exited non-zero (an old driver refusing a field, or no GPU)."""


def run_smi(argv: list[str], timeout: float) -> str:
    """stdout of nvidia-smi; ProbeError when it is missing, fails or overruns ``timeout``."""
    exe = shutil.which(argv[0])
    if exe is None:
        raise ProbeError("nvidia-smi: not found on PATH")
    try:
        done = subprocess.run([exe, *argv[1:]], capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ProbeError(f"nvidia-smi: killed after {timeout:g} s without an answer") from None
    except OSError as e:
        raise ProbeError(f"nvidia-smi: {e.strerror or e}") from None
    if done.returncode != 0:
        first = (done.stdout + done.stderr).strip().splitlines()
        raise QueryRefused(f"nvidia-smi: exit {done.returncode}" + (f" ({first[0][:120]})" if first else ""))
    return done.stdout


def read(runner: Runner = run_smi) -> GpuReading:
    """Every GPU nvidia-smi lists; ProbeError when it cannot be run."""
    try:
        out, fields = _query(runner, FULL_FIELDS), FULL_FIELDS
    except QueryRefused:
        out, fields = _query(runner, BASIC_FIELDS), BASIC_FIELDS
    reading = GpuReading("nvidia-smi")
    for row in csv.reader(line for line in out.splitlines() if line.strip()):
        values = dict(zip(fields, (_value(cell) for cell in row)))
        reading.devices.append(_device(values))
        if values.get("driver_version") not in (None, UNKNOWN):
            reading.driver = str(values["driver_version"])
    return reading


def _query(runner: Runner, fields: tuple[str, ...]) -> str:
    return runner(["nvidia-smi", f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"], TIMEOUT_S)


def _value(cell: str) -> Any:
    """A CSV cell: numbers as numbers, "[N/A]" / "[Not Supported]" as unknown."""
    text = cell.strip()
    if not text or text.strip("[]").lower() in ("n/a", "not supported", "unknown error", "gpu is lost"):
        return UNKNOWN
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _device(v: dict[str, Any]) -> dict[str, Any]:
    mib = 1024 ** 2
    total, free, mask = v.get("memory.total"), v.get("memory.free"), v.get("clocks_throttle_reasons.active")
    sbe, dbe = v.get("retired_pages.sbe"), v.get("retired_pages.dbe")
    return new_device(
        int(v["index"]) if isinstance(v.get("index"), int) else 0,
        name=v.get("name"),
        compute_capability=float(v["compute_cap"]) if isinstance(v.get("compute_cap"), (int, float)) else None,
        memory_total_gib=gib(total * mib) if isinstance(total, (int, float)) else None,
        memory_free_gib=gib(free * mib) if isinstance(free, (int, float)) else None,
        utilization=v.get("utilization.gpu"),
        temperature_c=v.get("temperature.gpu"),
        ecc_uncorrected=v.get("ecc.errors.uncorrected.volatile.total"),
        retired_pages=sbe + dbe if isinstance(sbe, int) and isinstance(dbe, int) else None,
        throttle_reasons=throttle_names(int(mask, 16)) if isinstance(mask, str) and mask.startswith("0x") else None,
    )
