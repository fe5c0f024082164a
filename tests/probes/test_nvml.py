"""NVML source: every field read through a fake pynvml, every failure turned into 'unknown' or a ProbeError."""
from __future__ import annotations

import sys
import threading

import pytest

from assistant.errors import ProbeError
from assistant.probes import nvml, report
from tests.probes.conftest import no_smi
from tests.probes.fakes import FakeGpu, NVMLError_LibraryNotFound, fake_pynvml, two_gpus


def test_two_gpus_every_field(use_nvml) -> None:
    """Names, capability, memory, load, heat, ECC, retired pages and throttle reasons per GPU; driver and CUDA."""
    module = fake_pynvml(two_gpus())
    use_nvml(module)
    got = nvml.read()
    assert (got.source, got.driver, got.cuda) == ("nvml", "550.54.15", "12.4")
    a100, h100 = got.devices
    assert a100 == {"index": 0, "name": "NVIDIA A100-SXM4-80GB", "compute_capability": 8.0, "memory_total_gib": 80.0,
                    "memory_free_gib": 79.0, "utilization": 12, "temperature_c": 41, "ecc_uncorrected": 0,
                    "retired_pages": 0, "throttle_reasons": ["gpu_idle"]}
    assert h100["compute_capability"] == 9.0 and h100["ecc_uncorrected"] == 3 and h100["retired_pages"] == 1
    assert h100["throttle_reasons"] == ["sw_power_cap", "sw_thermal_slowdown"]
    assert module.state == {"init": 1, "shutdown": 1}, "NVML is shut down again"


def test_consumer_gpu_without_ecc_keeps_the_device(use_nvml) -> None:
    """NotSupported for ECC and page retirement leaves those fields unknown; rows remapped stand in on Ampere+."""
    use_nvml(fake_pynvml([FakeGpu(name="NVIDIA GeForce RTX 4090", cc=(8, 9), ecc=None, retired=None),
                          FakeGpu(ecc=None, retired=None, remapped_unc=2)]))
    rtx, a100 = nvml.read().devices
    assert rtx["ecc_uncorrected"] == "unknown" and rtx["retired_pages"] == "unknown"
    assert rtx["compute_capability"] == 8.9
    assert a100["retired_pages"] == 2


def test_library_missing_is_a_probe_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    with pytest.raises(ProbeError, match="nvidia-ml-py is not installed"):
        nvml.read()


def test_driver_library_missing_is_a_probe_error(use_nvml) -> None:
    """What this GPU-less box does: nvmlInit raises NVMLError_LibraryNotFound."""
    use_nvml(fake_pynvml([], init_error=NVMLError_LibraryNotFound("NVML Shared Library Not Found")))
    with pytest.raises(ProbeError, match="nvml: NVML Shared Library Not Found"):
        nvml.read()


def test_a_hanging_nvml_is_abandoned_and_nvidia_smi_asked(use_nvml, monkeypatch, nothing_installed) -> None:
    """nvmlInit that never returns costs the cap, not the consultation; the next source answers."""
    release = threading.Event()
    use_nvml(fake_pynvml(two_gpus(), hang=release))
    monkeypatch.setattr(report, "NVML_CAP_S", 0.2)
    try:
        got = report.run_probes(environ={}, smi_runner=no_smi)
    finally:
        release.set()
    assert any("nvml: no answer within 0.2 s" in n for n in got["notes"])
    assert got["gpu"]["count"] == 0 and got["elapsed_s"] < 2
