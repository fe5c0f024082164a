"""torch source through a fake module: asked only when installed and a driver is present, never imported otherwise."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from assistant.probes import report, torch_probe
from tests.probes.conftest import no_smi
from tests.probes.fakes import FakeTorchGpu, FakeTorchSpec


def test_cuda_build_with_two_gpus(use_torch) -> None:
    use_torch(FakeTorchSpec(gpus=[FakeTorchGpu("NVIDIA A100-SXM4-40GB", (8, 0)), FakeTorchGpu("NVIDIA L40S", (8, 9))]))
    got = torch_probe.read()
    assert got.section == {"version": "2.5.1+cu124", "cuda_available": True, "bf16_supported": True,
                           "fp8_supported": False, "tf32": True}, "fp8 needs every GPU at 8.9+"
    assert (got.cuda_runtime, got.nccl) == ("12.4", "2.21.5")
    assert [d["compute_capability"] for d in got.gpus.devices] == [8.0, 8.9]


def test_cpu_build_sees_no_gpu(use_torch) -> None:
    use_torch(FakeTorchSpec(version="2.13.0+cpu", cuda=None))
    got = torch_probe.read()
    assert got.section == {"version": "2.13.0+cpu", "cuda_available": False, "bf16_supported": False,
                           "fp8_supported": False, "tf32": False}
    assert got.gpus is None


def test_installed_looks_without_importing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setattr(torch_probe.importlib.util, "find_spec", lambda name: None)
    assert torch_probe.installed() is False
    assert "torch" not in sys.modules


def test_torch_answers_when_nvml_and_smi_cannot(use_torch, monkeypatch, gpu_root: Path) -> None:
    """A driver without NVML (or ROCm): the GPUs come from torch."""
    monkeypatch.setitem(sys.modules, "pynvml", None)
    use_torch(FakeTorchSpec(gpus=[FakeTorchGpu("Tesla V100-SXM2-32GB", (7, 0), 32 * 1024 ** 3)]))
    got = report.run_probes(environ={}, root=gpu_root, smi_runner=no_smi)
    assert got["gpu"]["source"] == "torch" and got["gpu"]["count"] == 1
    assert got["gpu"]["compute_capability"] == 7.0 and got["gpu"]["memory_total_gib"] == 32.0
    assert got["torch"]["bf16_supported"] is False
    assert got["cuda"] == {"version": "unknown", "runtime": "12.4"} and got["nccl"]["version"] == "2.21.5"


def test_installed_torch_is_not_imported_without_a_gpu_driver(monkeypatch, tmp_path: Path) -> None:
    """On a GPU-less host importing torch (2 s) could not show a GPU, so it is skipped."""
    monkeypatch.setitem(sys.modules, "pynvml", None)
    monkeypatch.setattr(torch_probe, "installed", lambda: True)
    monkeypatch.setattr(torch_probe, "read", lambda: pytest.fail("torch imported on a host without a driver"))
    got = report.run_probes(environ={}, root=tmp_path, smi_runner=no_smi)
    assert got["torch"]["cuda_available"] is False
    assert any("not imported (no GPU driver" in n for n in got["notes"])


def test_a_torch_that_fails_to_import_is_a_note(monkeypatch, gpu_root: Path) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    monkeypatch.setattr(torch_probe, "installed", lambda: True)

    def broken() -> None:
        raise OSError("libcudnn.so.9: cannot open shared object file")

    monkeypatch.setattr(torch_probe, "read", broken)
    got = report.run_probes(environ={}, root=gpu_root, smi_runner=no_smi)
    assert "torch: libcudnn.so.9: cannot open shared object file" in got["notes"]
    assert got["torch"]["cuda_available"] is False  # no GPU seen by any source
