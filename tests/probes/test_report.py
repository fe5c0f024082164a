"""The whole report: merged sources, the documented schema, never an exception, same facts in and out of a file."""
from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest

from assistant.engine.facts import Fact
from assistant.evidence import read_attachment
from assistant.probes import host, probe_facts, report_json, run_probes
from tests.probes.conftest import SCHEMA, canned_smi, no_smi
from tests.probes.fakes import SMI_FULL, fake_pynvml, two_gpus

VALIDATOR = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))


def valid(report: dict) -> dict:
    VALIDATOR.validate(json.loads(report_json(report)))
    return report


def test_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA.read_text()))


def test_nothing_installed(nothing_installed, tmp_path: Path) -> None:
    """No NVML, no nvidia-smi, no torch: a valid report that says no GPU and why."""
    got = valid(run_probes(environ={}, root=tmp_path, smi_runner=no_smi))
    assert got["gpu"]["count"] == 0 and got["gpu"]["source"] == "none"
    assert got["gpu"]["compute_capability"] == "unknown" and got["gpu"]["ecc_uncorrected"] == 0
    assert got["driver"]["version"] == "unknown" and got["torch"]["version"] == "missing"
    assert got["notes"][:3] == ["nvml: nvidia-ml-py is not installed", "nvidia-smi: not found on PATH",
                                "torch: not installed"]


def test_two_gpus_summarised(use_nvml, tmp_path: Path, monkeypatch) -> None:
    """Lowest capability and memory, summed errors, union of throttle reasons, hottest and busiest GPU."""
    monkeypatch.setattr("assistant.probes.torch_probe.installed", lambda: False)
    use_nvml(fake_pynvml(two_gpus()))
    gpu = valid(run_probes(environ={}, root=tmp_path, smi_runner=no_smi))["gpu"]
    assert {k: v for k, v in gpu.items() if k != "devices"} == {
        "count": 2, "source": "nvml", "names": ["NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3"],
        "compute_capability": 8.0, "memory_total_gib": 80.0, "memory_free_gib": 70.0, "ecc_uncorrected": 3,
        "retired_pages": 1, "throttle_reasons": ["gpu_idle", "sw_power_cap", "sw_thermal_slowdown"],
        "temperature_c": 83, "utilization": 97}


def test_nvidia_smi_when_nvml_cannot_load(nothing_installed, tmp_path: Path) -> None:
    got = valid(run_probes(environ={}, root=tmp_path, smi_runner=canned_smi(SMI_FULL)))
    assert got["gpu"]["source"] == "nvidia-smi" and got["gpu"]["count"] == 2
    assert got["gpu"]["ecc_uncorrected"] == 2 and got["driver"]["version"] == "535.104.05"
    assert got["torch"]["bf16_supported"] is True and got["torch"]["fp8_supported"] is False, "implied by cc 8.0"


def test_cuda_visible_devices_selects_gpus(use_nvml, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("assistant.probes.torch_probe.installed", lambda: False)
    use_nvml(fake_pynvml(two_gpus()))
    got = valid(run_probes(environ={"CUDA_VISIBLE_DEVICES": "1"}, root=tmp_path, smi_runner=no_smi))
    assert got["gpu"]["count"] == 1 and got["gpu"]["names"] == ["NVIDIA H100 80GB HBM3"]
    assert got["env"] == {"CUDA_VISIBLE_DEVICES": "1"}
    assert "gpu: CUDA_VISIBLE_DEVICES='1' shows 1 of 2 GPUs" in got["notes"]
    assert run_probes(environ={"CUDA_VISIBLE_DEVICES": ""}, root=tmp_path, smi_runner=no_smi)["gpu"]["count"] == 0


def test_a_probe_that_breaks_is_a_note_not_a_crash(nothing_installed, tmp_path: Path, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("statvfs exploded")

    monkeypatch.setattr(host, "host_section", broken)
    monkeypatch.setattr(host, "disk_section", broken)
    got = valid(run_probes(environ={}, root=tmp_path,
                           smi_runner=lambda argv, t: (_ for _ in ()).throw(ValueError("bad"))))
    assert "host: statvfs exploded" in got["notes"] and "disk: statvfs exploded" in got["notes"]
    assert "nvidia-smi: bad" in got["notes"]
    assert got["disk"] == {"free_gib": "unknown"} and got["host"]["shm_bytes"] == "unknown"


def test_saved_report_gives_the_same_facts(use_nvml, tmp_path: Path, monkeypatch) -> None:
    """probe_facts(report) in-process == the facts the reader makes of the saved file on another machine."""
    monkeypatch.setattr("assistant.probes.torch_probe.installed", lambda: False)
    use_nvml(fake_pynvml(two_gpus()))
    report = run_probes(environ={"NCCL_DEBUG": "INFO"}, root=tmp_path, smi_runner=no_smi)
    saved = tmp_path / "probe.json"
    saved.write_text(report_json(report))
    (reading,) = read_attachment(saved)
    assert reading.kind == "probe_report"
    in_process = probe_facts(report)
    assert in_process == reading.facts
    names = {f.name for f in in_process}
    assert {"probe.gpu.count", "probe.gpu.compute_capability", "probe.packages.flash_attn", "probe.host.shm_bytes",
            "probe.host.container", "probe.triton.cache_bytes", "probe.env.nccl_debug", "probe.gpu.devices"} <= names
    assert Fact("probe.gpu.ecc_uncorrected", 3, "probe") in in_process


def test_this_machine(tmp_path: Path) -> None:
    """The real probe here: valid, says no GPU, and is quick (measured: about 0.02 s)."""
    started = time.monotonic()
    got = valid(run_probes())
    elapsed = time.monotonic() - started
    assert got["gpu"]["count"] >= 0 and isinstance(got["host"]["ram_total_gib"], float)
    assert elapsed < 5.0, f"probe took {elapsed:.3f} s: probes must stay within a few seconds"


@pytest.mark.parametrize("mask", ["0,1", "1,-1,0", "GPU-8d2e", ""])
def test_visible_devices_never_raises(use_nvml, tmp_path: Path, monkeypatch, mask: str) -> None:
    monkeypatch.setattr("assistant.probes.torch_probe.installed", lambda: False)
    use_nvml(fake_pynvml(two_gpus()))
    valid(run_probes(environ={"CUDA_VISIBLE_DEVICES": mask}, root=tmp_path, smi_runner=no_smi))
