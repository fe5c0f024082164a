"""The probe report for a person: one line per topic, problems flagged where they show."""
from __future__ import annotations

from typing import Any

from assistant.probes._device import UNKNOWN

__all__ = ["render_probe_text"]

_SMALL_SHM = 1024 ** 3  # the rules call /dev/shm under 1 GiB too small (beyond.shm_error)


def render_probe_text(report: dict[str, Any]) -> str:
    lines = [_gpu_line(report["gpu"], report["driver"], report["cuda"])]
    lines += [f"  GPU {d['index']}: {_device(d)}" for d in report["gpu"]["devices"]]
    lines += [_torch_line(report["torch"], report["nccl"]), _packages_line(report["packages"]),
              _env_line(report["env"]), _host_line(report["host"]), _disk_line(report["disk"]),
              _triton_line(report["triton"])]
    if report.get("notes"):
        lines.append("notes:")
        lines += [f"  - {n}" for n in report["notes"]]
    if "elapsed_s" in report:
        lines.append(f"probed in {report['elapsed_s']:.3f} s")
    return "\n".join(lines) + "\n"


def _gpu_line(gpu: dict[str, Any], driver: dict[str, Any], cuda: dict[str, Any]) -> str:
    if gpu["count"] == 0:
        return "GPUs: no GPU found on this machine"
    names = sorted(set(gpu["names"]))
    what = f"{gpu['count']} x {names[0]}" if len(names) == 1 else f"{gpu['count']} GPUs ({', '.join(names)})"
    extra = [f"compute capability {gpu['compute_capability']}", f"driver {driver['version']}",
             f"CUDA {cuda['version']}", f"via {gpu['source']}"]
    flags = []
    if _positive(gpu["ecc_uncorrected"]) or _positive(gpu["retired_pages"]):
        flags.append(f"HARDWARE ERRORS: {gpu['ecc_uncorrected']} uncorrected ECC, {gpu['retired_pages']} retired pages")
    return f"GPUs: {what} ({', '.join(extra)})" + (f"  {'; '.join(flags)}" if flags else "")


def _device(d: dict[str, Any]) -> str:
    parts = [str(d["name"]), f"cc {d['compute_capability']}",
             f"{_gib(d['memory_free_gib'])} free of {_gib(d['memory_total_gib'])}",
             f"util {_unit(d['utilization'], '%')}", f"{_unit(d['temperature_c'], ' C')}",
             f"ECC uncorrected {d['ecc_uncorrected']}", f"retired pages {d['retired_pages']}"]
    if d["throttle_reasons"]:
        parts.append("throttle reasons: " + ", ".join(d["throttle_reasons"]))
    return ", ".join(parts)


def _torch_line(torch: dict[str, Any], nccl: dict[str, Any]) -> str:
    if torch["version"] == "missing":
        return "torch: not installed"
    caps = ", ".join(f"{k} {_yes(torch[k])}" for k in ("bf16_supported", "fp8_supported", "tf32"))
    return f"torch {torch['version']}: sees a GPU {_yes(torch['cuda_available'])}; {caps}; NCCL {nccl['version']}"


def _packages_line(packages: dict[str, str]) -> str:
    have = [f"{k} {v}" for k, v in packages.items() if v != "missing"]
    missing = [k for k, v in packages.items() if v == "missing"]
    return "packages: " + "; ".join(filter(None, [", ".join(have), "missing: " + ", ".join(missing) if missing else ""]))


def _env_line(env: dict[str, str]) -> str:
    if not env:
        return "env: no GPU-related variables set (CUDA_VISIBLE_DEVICES, NCCL_*, ...)"
    return "env: " + " ".join(f"{k}={v}" for k, v in env.items())


def _host_line(host: dict[str, Any]) -> str:
    shm = host.get("shm_bytes", UNKNOWN)
    shm_text = _gib(shm / 1024 ** 3) if isinstance(shm, int) else UNKNOWN
    if isinstance(shm, int) and shm < _SMALL_SHM:
        shm_text = f"{shm / 1024 ** 2:.0f} MiB (TOO SMALL: data-loader workers and NCCL can die with a bus error)"
    parts = [f"RAM {_gib(host.get('ram_total_gib', UNKNOWN))} ({_gib(host.get('ram_available_gib', UNKNOWN))} available)",
             f"{host.get('cpu_count', UNKNOWN)} CPUs", f"/dev/shm {shm_text}",
             {True: "in a container", False: "not in a container"}.get(host.get("container"), "container unknown")]
    if "memory_limit_gib" in host:
        parts.insert(1, f"container memory limit {_gib(host['memory_limit_gib'])}")
    return "host: " + ", ".join(parts)


def _disk_line(disk: dict[str, Any]) -> str:
    return f"disk: {_gib(disk.get('free_gib', UNKNOWN))} free at {disk.get('path', '.')}"


def _triton_line(triton: dict[str, Any]) -> str:
    if not triton.get("cache_entries"):
        return f"triton cache: empty ({triton.get('cache_dir', UNKNOWN)})"
    size = f"{triton['cache_bytes'] / 1024 ** 2:.1f} MiB" + ("" if triton.get("cache_complete", True) else "+")
    return f"triton cache: {triton['cache_entries']} entries, {size} in {triton['cache_dir']}"


def _gib(value: Any) -> str:
    return f"{value:.1f} GiB" if isinstance(value, (int, float)) else str(value)


def _unit(value: Any, unit: str) -> str:
    return f"{value}{unit}" if isinstance(value, (int, float)) else str(value)


def _yes(value: Any) -> str:
    return {True: "yes", False: "no"}.get(value, str(value)) if isinstance(value, bool) else str(value)


def _positive(value: Any) -> bool:
    return isinstance(value, int) and value > 0
