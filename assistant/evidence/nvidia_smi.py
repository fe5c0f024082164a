"""Pasted ``nvidia-smi`` output (the table, or ``--query-gpu ... --format=csv``) -> the probe's facts.

Someone asking from a laptop pastes what ``nvidia-smi`` printed on the training host; the facts
are the ones the probe would have produced there (``probe.gpu.count``, ``probe.gpu.names``,
``probe.gpu.memory_total_gib`` / ``memory_free_gib`` (smallest GPU), ``probe.gpu.devices`` with
per-GPU ``memory_total_gib`` / ``memory_used_gib`` / ``memory_free_gib``, ``temperature_c``,
``utilization``, ``probe.driver.version``, ``probe.cuda.version``), built by the probe's own
summary function so rules read one set of names. The reading's kind is ``probe_report``, so
``ask`` takes it for the training host's and leaves the local probe out.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from assistant.engine.facts import Fact
from assistant.evidence import Progress, Reader, register
from assistant.evidence._input import CONFIG_LIMIT
from assistant.evidence._structured import flatten_json
from assistant.evidence._text import source
from assistant.evidence.series import Reading

__all__ = ["NvidiaSmiReader", "smi_report"]

_HEADER = re.compile(r"NVIDIA-SMI\s+([\w.\-]+)\s+Driver Version:\s*([\w.\-]+)\s+CUDA Version:\s*([\w.\-/]+)")
# `|   0  NVIDIA A100-SXM4-80GB          On  |   00000000:07:00.0 Off |                    0 |`
_GPU_ROW = re.compile(r"^\|\s+(\d+)\s+(.+?)\s+(On|Off|WDDM|TCC)\s*\|\s*([0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.\d)")
# `| N/A   32C    P0              61W / 400W |      4MiB / 81920MiB |      0%      Default |`
_USE_ROW = re.compile(r"^\|\s*(?:N/A|\d+%)\s+(N/A|\d+)C\s.*?\|\s*(\d+)MiB\s*/\s*(\d+)MiB\s*\|\s*(N/A|\d+)%")
_CSV_FIELDS = {"index", "name", "memory.total", "memory.used", "memory.free", "driver_version", "compute_cap",
               "temperature.gpu", "utilization.gpu"}
_UNIT = re.compile(r"\[[^\]]*\]$")
_MIB = 1024
MAX_ROW = 1024  # longer lines are no nvidia-smi row; the row patterns would backtrack over them


@register
class NvidiaSmiReader(Reader):
    name = "nvidia_smi"
    kind = "probe_report"
    max_bytes = CONFIG_LIMIT

    def sniff(self, head: bytes, path: Path) -> bool:
        text = head.decode("utf-8", "replace")
        if _HEADER.search(text) is not None:
            return "Traceback (most recent call" not in text and bool(_table(text)[0])
        first = next((line for line in text.splitlines() if line.strip()), "")
        return _csv_header(first) is not None

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        text = self.whole_text(path, progress)
        reading = Reading(str(path), self.kind)
        report, line = smi_report(text)
        if report is None:
            reading.warnings.append(f"{path.name}: no GPU rows found in the nvidia-smi output")
            return reading
        src = source(path.name, line)
        reading.facts.extend(Fact(key, value, src) for key, value, _ in flatten_json(report, "", "probe"))
        return reading


def smi_report(text: str) -> tuple[dict[str, Any] | None, int]:
    """The probe-report sections nvidia-smi output fills (gpu, driver, cuda), and the line it starts on."""
    from assistant.probes.report import gpu_section  # the probe's own summary; imported only when needed

    header = _HEADER.search(text)
    if header is not None:
        devices, line = _table(text)
        driver, cuda = header[2], header[3]
        line = text.count("\n", 0, header.start()) + 1
    else:
        devices, driver, line = _csv(text)
        cuda = None
    if not devices:
        return None, 0
    report: dict[str, Any] = {"gpu": gpu_section(devices, "nvidia-smi")}
    if driver:
        report["driver"] = {"version": driver}
    if cuda and cuda.upper() != "N/A":
        report["cuda"] = {"version": cuda}
    return report, line


def _device(index: int, name: str | None, total_mib: float | None, used_mib: float | None,
            free_mib: float | None = None, **rest: Any) -> dict[str, Any]:
    """A device record in the probe's shape; free memory is total minus used when not given."""
    from assistant.probes._device import gib, new_device

    if free_mib is None and total_mib is not None and used_mib is not None:
        free_mib = total_mib - used_mib
    known: dict[str, Any] = {"name": name, **{k: v for k, v in rest.items() if v is not None}}
    for key, mib in (("memory_total_gib", total_mib), ("memory_used_gib", used_mib), ("memory_free_gib", free_mib)):
        if mib is not None:
            known[key] = gib(mib * _MIB * _MIB)
    return new_device(index, **known)


def _table(text: str) -> tuple[list[dict[str, Any]], int]:
    """GPU rows of the table: a name row, then the row with temperature, memory and utilisation."""
    devices: list[dict[str, Any]] = []
    lines = text.splitlines()
    for n, line in enumerate(lines):
        m = _GPU_ROW.match(line) if len(line) <= MAX_ROW else None
        if m is None:
            continue
        use = _USE_ROW.match(lines[n + 1]) if n + 1 < len(lines) and len(lines[n + 1]) <= MAX_ROW else None
        temp = int(use[1]) if use and use[1] != "N/A" else None
        util = int(use[4]) if use and use[4] != "N/A" else None
        devices.append(_device(int(m[1]), m[2].strip(), float(use[3]) if use else None,
                               float(use[2]) if use else None, temperature_c=temp, utilization=util))
    return devices, 0


def _csv_header(line: str) -> list[str] | None:
    """Field names of a `--query-gpu --format=csv` header (`name, memory.total [MiB]`), else None."""
    if len(line) > MAX_ROW:
        return None
    fields = [_UNIT.sub("", f.strip()).strip() for f in line.split(",")]
    return fields if len(fields) >= 2 and set(fields) <= _CSV_FIELDS and "name" in fields else None


def _csv(text: str) -> tuple[list[dict[str, Any]], str | None, int]:
    lines = [line for line in text.splitlines() if line.strip()]
    fields = _csv_header(lines[0]) if lines else None
    if fields is None:
        return [], None, 0
    devices, driver = [], None
    for i, row in enumerate(csv.reader(line for line in lines[1:] if len(line) <= MAX_ROW and "\0" not in line)):
        values = dict(zip(fields, (_cell(c) for c in row)))
        if not values.get("name"):
            continue
        index, cc = values.get("index"), values.get("compute_cap")
        devices.append(_device(_int(index) if _int(index) is not None else i, str(values["name"]),
                               _num(values.get("memory.total")), _num(values.get("memory.used")),
                               _num(values.get("memory.free")),
                               compute_capability=cc if isinstance(cc, float) else None,
                               temperature_c=_int(values.get("temperature.gpu")),
                               utilization=_int(values.get("utilization.gpu"))))
        if values.get("driver_version"):
            driver = str(values["driver_version"])
    return devices, driver, 1


def _cell(cell: str) -> Any:
    text = re.sub(r"(?:MiB|%|W)$", "", cell.strip()).rstrip()
    try:
        return float(text)
    except ValueError:
        return text or None


def _num(value: Any) -> float | None:
    return value if isinstance(value, float) else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, float) and abs(value) < 2 ** 53 else None
