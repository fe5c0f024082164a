"""Pasted environment listings -> the probe's package facts.

``pip freeze`` (``torch==2.1.0``, ``name @ file:///...``), ``pip list`` / ``conda list`` tables,
``transformers env`` / ``trl env`` / ``llamafactory-cli env`` (``- TRL version: 0.15.0``) and
``python -m torch.utils.collect_env`` (``PyTorch version: 2.6.0+cu124``, ``[pip3] torch==2.6.0``).
Facts use the probe's names: ``probe.packages.<key>`` for the packages the probe reports
(deepspeed, transformers, trl, peft, accelerate, vllm, flash_attn, ...; ``missing`` when a full
listing lacks one), ``probe.torch.version``, ``probe.torch.cuda_available``, ``probe.cuda.runtime``,
``probe.driver.version``, ``probe.gpu.count`` / ``names`` / ``memory_total_gib`` when the listing says.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from assistant.engine.facts import Fact
from assistant.evidence import Progress, Reader, register
from assistant.evidence._input import CONFIG_LIMIT
from assistant.evidence._logscan import looks_like_log
from assistant.evidence._text import source
from assistant.evidence.series import Reading

__all__ = ["PackageListReader", "listing_facts"]

FULL_LISTING = 10  # a listing with this many packages lists them all: an absent one is missing
MAX_LINE = 1024  # no listing line is longer; the line patterns would backtrack over a long run of spaces
_ENV_MARKERS = ("- `transformers` version:", "- TRL version:", "- `llamafactory` version:",
                "Collecting environment information", "Is debug build:", "Copy-and-paste the text below")
_PREFIX = re.compile(r"^\[(?:pip\d?|conda)\]\s+")
_FREEZE = re.compile(r"^([A-Za-z0-9][\w.\-]*)\s*(?:\[[^\]]*\])?\s*(?:===?\s*([^\s;#]+)|@\s*(\S+))")
_ROW = re.compile(r"^([A-Za-z0-9][\w.\-]*)\s+(\d[\w.+!\-]*)(?:\s|$)")
_HEADER = re.compile(r"^(?:Package\s+Version.*|[-\s]+|#.*|-e\s.*|Name\s+Version.*)$")
_LABEL = re.compile(r"^-?\s*`?([A-Za-z][\w .()?/\-]*?)`?\s*(?:version(?: \(GPU\?\))?)?\s*:\s*(.*)$", re.I)
# A label's colon comes early: the label's spaces and the `\s*` after it can split a run of spaces many ways,
# so a line whose first colon is past this is not tried (a 1,000-space line took 40 ms; found by fuzzing).
MAX_LABEL = 200
_WHEEL_VERSION = re.compile(r"-(\d[\w.+]*?)-(?:cp|py)\d")
_GPU_LINE = re.compile(r"^GPU \d+:\s*(.+)$")
_GIB = re.compile(r"([\d.]+)\s*(GB|GiB)", re.I)
_NOT_INSTALLED = ("not installed", "none", "n/a", "not available")
# Labels of env printouts (lower case, "version" and backticks dropped) -> probe fact.
_LABELS = {
    "pytorch": "probe.torch.version", "pytorch (gpu?)": "probe.torch.version",
    "cuda used to build pytorch": "probe.cuda.runtime", "nvidia driver": "probe.driver.version",
    "is cuda available": "probe.torch.cuda_available", "gpu type": "probe.gpu.names",
    "cuda device(s)": "probe.gpu.names", "accelerator(s)": "probe.gpu.names", "gpu number": "probe.gpu.count",
    "gpu memory": "probe.gpu.memory_total_gib",
}


@register
class PackageListReader(Reader):
    name = "package_list"
    kind = "probe_report"
    max_bytes = CONFIG_LIMIT

    def sniff(self, head: bytes, path: Path) -> bool:
        if looks_like_log(head):
            return False
        text = head.decode("utf-8", "replace")
        if any(marker in text for marker in _ENV_MARKERS):
            return True
        lines = [_PREFIX.sub("", ln.strip()) for ln in text.splitlines() if ln.strip() and len(ln) <= MAX_LINE]
        rows = [ln for ln in lines if _FREEZE.match(ln) or _ROW.match(ln)]
        if len(rows) < 3 or len(rows) + sum(1 for ln in lines if _HEADER.match(ln)) < 0.8 * len(lines):
            return False
        return any(_package_key(_name(ln)) or _name(ln) in ("torch", "pytorch") for ln in rows)

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        text = self.whole_text(path, progress)
        reading = Reading(str(path), self.kind)
        reading.facts.extend(listing_facts(text, path.name))
        if not reading.facts:
            reading.warnings.append(f"{path.name}: no package versions found")
        return reading


def listing_facts(text: str, name: str) -> list[Fact]:
    """probe.* facts of a package listing or env printout; the first mention of a fact wins."""
    found: dict[str, tuple[Any, int]] = {}
    packages = 0
    gpu_names: list[str] = []
    gpu_line = 0
    lines = text.splitlines()
    for n, raw in enumerate(lines, 1):
        if len(raw) > MAX_LINE:
            continue
        line = _PREFIX.sub("", raw.strip())
        if line.lower().startswith("gpu models and configuration:"):  # collect_env; one GPU shares the line
            line = line.split(":", 1)[1].strip()
        if (g := _GPU_LINE.match(line)) is not None:  # collect_env: `GPU 0: NVIDIA H100 80GB HBM3`
            gpu_names.append(g[1].strip())
            gpu_line = gpu_line or n
            continue
        package = _package(line)
        if package is not None:
            packages += 1
            dist, version = package
            key = "probe.torch.version" if dist in ("torch", "pytorch") else _package_key(dist)
            if key:
                found.setdefault(key, (version, n))
            continue
        label = _LABEL.match(line) if 0 <= line.find(":") <= MAX_LABEL else None
        if label is not None:
            for key, value in _labelled(label[1], label[2]):
                found.setdefault(key, (value, n))
    if gpu_names and "probe.gpu.names" not in found:
        found["probe.gpu.names"] = (gpu_names, gpu_line)
    names = found.get("probe.gpu.names")
    if names is not None and "probe.gpu.count" not in found and isinstance(names[0], list):
        found["probe.gpu.count"] = (len(names[0]), names[1])
    if packages >= FULL_LISTING:
        from assistant.probes.packages import MISSING, PACKAGES

        for key in PACKAGES:
            found.setdefault(f"probe.packages.{key}", (MISSING, 0))
    return [Fact(key, value, source(name, line)) for key, (value, line) in found.items()]


def _name(line: str) -> str:
    m = _FREEZE.match(line) or _ROW.match(line)
    return _norm(m[1]) if m else ""


def _norm(dist: str) -> str:
    return re.sub(r"[-_.]+", "_", dist).lower()


def _package_key(dist: str) -> str | None:
    """`flash-attn` -> `probe.packages.flash_attn`, for the packages the probe reports."""
    from assistant.probes.packages import PACKAGES

    dist = _norm(dist)
    return next((f"probe.packages.{key}" for key, dists in PACKAGES.items() if dist in dists), None)


def _package(line: str) -> tuple[str, str] | None:
    """(normalised name, version) of a freeze line or a list/conda row."""
    m = _FREEZE.match(line)
    if m is not None and (m[2] or m[3]):
        version = m[2]
        if version is None:  # `torch @ file:///.../torch-2.1.0%2Bcu121-cp310-...whl`
            wheel = _WHEEL_VERSION.search(m[3].replace("%2B", "+"))
            version = wheel[1] if wheel else "unknown"
        return _norm(m[1]), version
    m = _ROW.match(line)
    return (_norm(m[1]), m[2]) if m is not None else None


def _labelled(label: str, value: str) -> list[tuple[str, Any]]:
    """Facts of one `- Label version: value` line of an env printout."""
    key = " ".join(label.lower().replace("`", "").split())
    value = value.strip()
    low = value.lower()
    if not value or low.startswith("not found") or value.startswith("<fill in>"):
        return []
    fact = _LABELS.get(key)
    if fact is None:
        package = _package_key(key)
        if package is None:
            return []
        return [(package, "missing" if low.startswith(_NOT_INSTALLED) else value.split()[0])]
    if fact == "probe.torch.version":
        out: list[tuple[str, Any]] = [(fact, value.split()[0])]
        if "(true)" in low or "(gpu)" in low:
            out.append(("probe.torch.cuda_available", True))
        elif "(false)" in low or "(cpu)" in low:
            out.append(("probe.torch.cuda_available", False))
        return out
    if fact == "probe.torch.cuda_available":
        return [(fact, low.startswith("true"))] if low.startswith(("true", "false")) else []
    if fact == "probe.gpu.names":
        if low.startswith(_NOT_INSTALLED):
            return []
        return [(fact, [n.strip() for n in value.split(",") if n.strip()])]
    if fact == "probe.gpu.count":
        return [(fact, int(value))] if value.isdigit() else []
    if fact == "probe.gpu.memory_total_gib":
        m = _GIB.search(value)
        return [(fact, float(m[1]))] if m else []
    return [(fact, value.split()[0])]
