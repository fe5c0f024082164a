"""The probe report as text: problems flagged where they show, unknowns said plainly."""
from __future__ import annotations

from pathlib import Path

from assistant.probes import host, run_probes
from assistant.probes.text import render_probe_text
from tests.probes.conftest import no_smi
from tests.probes.fakes import fake_pynvml, two_gpus


def test_faulty_host_is_flagged(use_nvml, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("assistant.probes.torch_probe.installed", lambda: False)
    monkeypatch.setattr(host, "_fs_size", lambda path: 64 * 1024 ** 2)
    use_nvml(fake_pynvml(two_gpus()))
    text = render_probe_text(run_probes(environ={"NCCL_DEBUG": "INFO"}, root=tmp_path, smi_runner=no_smi))
    assert text.startswith("GPUs: 2 GPUs (NVIDIA A100-SXM4-80GB, NVIDIA H100 80GB HBM3) (compute capability 8.0, "
                           "driver 550.54.15, CUDA 12.4, via nvml)  HARDWARE ERRORS: 3 uncorrected ECC, 1 retired pages")
    assert "  GPU 1: NVIDIA H100 80GB HBM3, cc 9.0, 70.0 GiB free of 80.0 GiB, util 97%, 83 C" in text
    assert "throttle reasons: sw_power_cap, sw_thermal_slowdown" in text
    assert "/dev/shm 64 MiB (TOO SMALL" in text and "env: NCCL_DEBUG=INFO" in text


def test_unknowns_render(nothing_installed, tmp_path: Path, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise OSError("gone")

    monkeypatch.setattr(host, "host_section", broken)
    text = render_probe_text(run_probes(environ={}, root=tmp_path, smi_runner=no_smi))
    assert "GPUs: no GPU found on this machine" in text and "torch: not installed" in text
    assert "host: RAM unknown (unknown available), unknown CPUs, /dev/shm unknown, container unknown" in text
    assert "  - host: gone" in text
