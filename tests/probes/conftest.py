"""Probe tests run against fakes only: no real NVML, nvidia-smi or torch is ever asked."""
from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Callable

import pytest

from assistant.errors import ProbeError
from assistant.probes import report, torch_probe
from tests.probes.fakes import FakeTorchSpec, fake_torch

SCHEMA = Path(__file__).resolve().parents[2] / "assistant" / "probes" / "schema.json"


def no_smi(argv: list[str], timeout: float) -> str:
    raise ProbeError("nvidia-smi: not found on PATH")


def canned_smi(*outputs: str | Exception) -> Callable[[list[str], float], str]:
    """A runner answering successive queries with ``outputs`` (an exception is raised), recording the calls."""
    queue = list(outputs)

    def run(argv: list[str], timeout: float) -> str:
        run.calls.append(argv)  # type: ignore[attr-defined]
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    run.calls = []  # type: ignore[attr-defined]
    return run


@pytest.fixture
def nothing_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """No pynvml (import fails), no torch (neither importable nor among the installed distributions)."""
    monkeypatch.setitem(sys.modules, "pynvml", None)
    monkeypatch.setattr(torch_probe, "installed", lambda: False)
    real = report.installed_versions
    monkeypatch.setattr(report, "installed_versions",
                        lambda *a, **k: {n: v for n, v in real(*a, **k).items() if n != "torch"})


@pytest.fixture
def use_nvml(monkeypatch: pytest.MonkeyPatch) -> Callable[[types.ModuleType], None]:
    def install(module: types.ModuleType) -> None:
        monkeypatch.setitem(sys.modules, "pynvml", module)
    return install


@pytest.fixture
def use_torch(monkeypatch: pytest.MonkeyPatch) -> Callable[[FakeTorchSpec], types.ModuleType]:
    def install(spec: FakeTorchSpec) -> types.ModuleType:
        module = fake_torch(spec)
        monkeypatch.setitem(sys.modules, "torch", module)
        return module
    return install


@pytest.fixture
def gpu_root(tmp_path: Path) -> Path:
    """A filesystem root with an NVIDIA driver's device node and a small /proc."""
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "nvidiactl").touch()
    (tmp_path / "dev" / "shm").mkdir()
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "meminfo").write_text("MemTotal:       65536000 kB\nMemAvailable:   32768000 kB\n")
    return tmp_path
