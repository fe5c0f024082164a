"""The probe report: every source asked in order, merged into one JSON-ready mapping.

GPU sources in order of preference: NVML, then ``nvidia-smi`` when NVML
cannot load, then torch when neither answered (ROCm, or a driver without
NVML). torch is also asked for what only it knows (does *it* see the GPUs,
its CUDA runtime and NCCL), but only when it is installed and a GPU driver is
present: importing it costs about 2 s. A source that fails leaves a one-line
note and "unknown" values; ``run_probes`` never raises. The schema is
``assistant/probes/schema.json`` (described in docs/probe-report.md).
"""
from __future__ import annotations

import datetime as _dt
import os
import time
from pathlib import Path
from typing import Any, Callable, Mapping, TypeVar

from assistant.probes import host, nvml, smi, torch_probe
from assistant.probes._capped import capped
from assistant.probes._device import UNKNOWN, GpuReading
from assistant.probes.env import env_section
from assistant.probes.packages import MISSING, installed_versions, nccl_from_wheels, package_section
from assistant.probes.triton_cache import cache_dir, triton_section

__all__ = ["PROBE_VERSION", "run_probes", "gpu_section"]

PROBE_VERSION = 1
NVML_CAP_S = 3.0
TORCH_CAP_S = 8.0
_DRIVER_NODES = ("dev/nvidiactl", "dev/dxg", "dev/kfd")  # NVIDIA, WSL2, ROCm

T = TypeVar("T")


def run_probes(output_dir: Path | None = None, *, environ: Mapping[str, str] | None = None,
               root: Path = Path("/"), smi_runner: smi.Runner = smi.run_smi) -> dict[str, Any]:
    """Probe this machine. ``output_dir`` is where the run will write (free disk is measured there)."""
    started = time.monotonic()
    env = os.environ if environ is None else environ
    notes: list[str] = []
    versions = _guard(installed_versions, notes, "packages", {})
    gpus = _gpus(notes, smi_runner)
    driver_present = bool(gpus and gpus.devices) or any((root / p).exists() for p in _DRIVER_NODES)
    torch_read = _torch(notes, driver_present)
    if (gpus is None or not gpus.devices) and torch_read and torch_read.gpus and torch_read.gpus.devices:
        gpus = torch_read.gpus
    devices = _visible(gpus.devices if gpus else [], env.get("CUDA_VISIBLE_DEVICES"), notes)
    gpu = gpu_section(devices, gpus.source if gpus else "none")
    if gpu["count"] == 0:
        notes.append("gpu: no GPU found on this machine")
    report: dict[str, Any] = {
        "probe_version": PROBE_VERSION,
        "taken_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "gpu": gpu,
        "driver": {"version": gpus.driver if gpus else UNKNOWN},
        "cuda": _cuda(gpus, torch_read),
        "nccl": {"version": torch_read.nccl if torch_read and torch_read.nccl != UNKNOWN
                 else nccl_from_wheels(versions) or UNKNOWN},
        "torch": _torch_section(torch_read, versions, gpu),
        "packages": package_section(versions),
        "env": _guard(lambda: env_section(env), notes, "env", {}),
        "host": _guard(lambda: host.host_section(root, env), notes, "host", dict.fromkeys(host.HOST_KEYS, UNKNOWN)),
        "disk": _guard(lambda: host.disk_section(output_dir), notes, "disk", {"free_gib": UNKNOWN}),
        "triton": _guard(lambda: triton_section(cache_dir(env)), notes, "triton", {"cache_dir": UNKNOWN}),
        "notes": notes,
    }
    report["elapsed_s"] = round(time.monotonic() - started, 3)
    return report


def gpu_section(devices: list[dict[str, Any]], source: str) -> dict[str, Any]:
    """The per-machine summary rules read: minimum capability and memory, summed errors, worst heat."""
    def known(key: str) -> list[Any]:
        return [d[key] for d in devices if isinstance(d.get(key), (int, float)) and not isinstance(d[key], bool)]

    def agg(key: str, fn: Callable[[list[Any]], Any], empty: Any = UNKNOWN) -> Any:
        """Over the GPUs that report ``key``; ``empty`` with no GPUs, unknown when none reports it."""
        values = known(key)
        return fn(values) if values else (empty if not devices else UNKNOWN)

    return {
        "count": len(devices),
        "source": source,
        "names": [str(d.get("name", UNKNOWN)) for d in devices],
        "compute_capability": agg("compute_capability", min),
        "memory_total_gib": agg("memory_total_gib", min),
        "memory_free_gib": agg("memory_free_gib", min),
        "ecc_uncorrected": agg("ecc_uncorrected", sum, 0),
        "retired_pages": agg("retired_pages", sum, 0),
        "throttle_reasons": sorted({r for d in devices for r in d.get("throttle_reasons") or []}),
        "temperature_c": agg("temperature_c", max),
        "utilization": agg("utilization", max),
        "devices": devices,
    }


def _gpus(notes: list[str], smi_runner: smi.Runner) -> GpuReading | None:
    """NVML, else nvidia-smi; None (with notes) when neither can be asked."""
    for label, read in (("nvml", lambda: capped(nvml.read, NVML_CAP_S, "nvml")),
                        ("nvidia-smi", lambda: smi.read(smi_runner))):
        try:
            return read()
        except Exception as e:
            notes.append(_line(label, e))
    return None


def _torch(notes: list[str], driver_present: bool) -> torch_probe.TorchReading | None:
    if not torch_probe.installed():
        notes.append("torch: not installed")
        return None
    if not driver_present:
        notes.append("torch: installed but not imported (no GPU driver here, so it cannot see a GPU)")
        return None
    try:
        return capped(torch_probe.read, TORCH_CAP_S, "torch")
    except Exception as e:
        notes.append(_line("torch", e))
        return None


def _visible(devices: list[dict[str, Any]], mask: str | None, notes: list[str]) -> list[dict[str, Any]]:
    """The GPUs a run launched from here would see: CUDA_VISIBLE_DEVICES by index (UUIDs are not mapped)."""
    if mask is None or not devices:
        return devices
    wanted: list[int] = []
    for part in (p.strip() for p in mask.split(",") if mask.strip()):  # "" hides every GPU
        if not part.lstrip("-").isdigit():
            notes.append(f"gpu: CUDA_VISIBLE_DEVICES={mask!r} not read (only indices are); all GPUs listed")
            return devices
        if int(part) < 0:
            break  # CUDA stops at the first invalid index
        wanted.append(int(part))
    by_index = {d["index"]: d for d in devices}
    visible = [by_index[i] for i in wanted if i in by_index]
    notes.append(f"gpu: CUDA_VISIBLE_DEVICES={mask!r} shows {len(visible)} of {len(devices)} GPUs")
    return visible


def _cuda(gpus: GpuReading | None, torch_read: torch_probe.TorchReading | None) -> dict[str, str]:
    section = {"version": gpus.cuda if gpus and gpus.source != "torch" else UNKNOWN}
    if torch_read is not None and torch_read.cuda_runtime != UNKNOWN:
        section["runtime"] = torch_read.cuda_runtime
    return section


def _torch_section(read: torch_probe.TorchReading | None, versions: dict[str, str],
                   gpu: dict[str, Any]) -> dict[str, Any]:
    """torch's own answers when it was asked; otherwise what the hardware implies."""
    if read is not None:
        return read.section
    cc = gpu["compute_capability"]
    if gpu["count"] == 0:
        implied: dict[str, Any] = {"bf16_supported": False, "fp8_supported": False, "tf32": False}
    elif isinstance(cc, float):
        implied = {"bf16_supported": cc >= 8.0, "fp8_supported": cc >= 8.9, "tf32": cc >= 8.0}
    else:
        implied = {"bf16_supported": UNKNOWN, "fp8_supported": UNKNOWN, "tf32": UNKNOWN}
    version = versions.get("torch", MISSING)
    return {"version": version, "cuda_available": False if version == MISSING or gpu["count"] == 0 else UNKNOWN,
            **implied}


def _guard(fn: Callable[[], T], notes: list[str], label: str, default: T) -> T:
    try:
        return fn()
    except Exception as e:  # a probe reports; it never stops the others
        notes.append(_line(label, e))
        return default


def _line(label: str, e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text if text.startswith(f"{label}:") else f"{label}: {text}"
