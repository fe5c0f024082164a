"""The host around the GPUs: RAM, CPUs, /dev/shm, container, free disk.

These decide failures the GPUs do not: data-loader workers dying on a 64 MB
/dev/shm (Docker's default), the kernel's OOM killer, a checkpoint that cannot
be written. Every read is a file or a syscall; nothing is run.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from assistant.probes._device import UNKNOWN, gib

__all__ = ["HOST_KEYS", "host_section", "disk_section", "in_container"]

HOST_KEYS = ("ram_total_gib", "ram_available_gib", "cpu_count", "shm_bytes", "container")

_CGROUP_HINTS = ("docker", "kubepods", "containerd", "libpod", "lxc", "garden")
_NO_LIMIT = 1 << 60  # cgroup v1 writes a huge number for "no limit"


def host_section(root: Path = Path("/"), environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """RAM total/available (GiB), usable CPUs, /dev/shm size (bytes), container flag.

    ``root`` is the filesystem root to read /proc and /dev from, so tests can
    hand in a fake tree.
    """
    env = os.environ if environ is None else environ
    mem = _meminfo(root / "proc" / "meminfo")
    section: dict[str, Any] = {
        "ram_total_gib": gib(mem["MemTotal"]) if "MemTotal" in mem else _sysconf_ram(),
        "ram_available_gib": gib(mem["MemAvailable"]) if "MemAvailable" in mem else UNKNOWN,
        "cpu_count": _cpu_count(),
        "shm_bytes": _fs_size(root / "dev" / "shm"),
        "container": in_container(root, env),
    }
    limit = _cgroup_limit(root)
    if limit is not None and (not mem.get("MemTotal") or limit < mem["MemTotal"]):
        section["memory_limit_gib"] = gib(limit)
    return section


def disk_section(path: Path | None = None) -> dict[str, Any]:
    """Free space where the run writes: ``path`` (or its nearest existing parent), else the cwd."""
    target = Path(path) if path is not None else Path.cwd()
    while not target.exists() and target != target.parent:
        target = target.parent
    try:
        st = os.statvfs(target)
    except (OSError, AttributeError):
        return {"path": str(target), "free_gib": UNKNOWN}
    return {"path": str(target), "free_gib": gib(st.f_bavail * st.f_frsize)}


def in_container(root: Path = Path("/"), environ: Mapping[str, str] | None = None) -> bool:
    """Docker/Podman marker files, Kubernetes' variable, or a container cgroup."""
    env = os.environ if environ is None else environ
    if (root / ".dockerenv").exists() or (root / "run" / ".containerenv").exists():
        return True
    if "KUBERNETES_SERVICE_HOST" in env or env.get("container"):
        return True
    cgroup = _read(root / "proc" / "1" / "cgroup")
    return any(hint in cgroup for hint in _CGROUP_HINTS)


def _meminfo(path: Path) -> dict[str, int]:
    out = {}
    for line in _read(path).splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            out[key] = int(parts[0]) * (1024 if parts[1:2] == ["kB"] else 1)
    return out


def _sysconf_ram() -> float | str:
    try:
        return gib(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return UNKNOWN


def _cpu_count() -> int | str:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or UNKNOWN


def _fs_size(path: Path) -> int | str:
    try:
        st = os.statvfs(path)
    except (OSError, AttributeError):
        return UNKNOWN
    return st.f_blocks * st.f_frsize


def _cgroup_limit(root: Path) -> int | None:
    """The memory limit of this container's cgroup (v2, then v1), None when unlimited."""
    for path in (root / "sys/fs/cgroup/memory.max", root / "sys/fs/cgroup/memory/memory.limit_in_bytes"):
        text = _read(path).strip()
        if text.isdigit() and 0 < int(text) < _NO_LIMIT:
            return int(text)
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
