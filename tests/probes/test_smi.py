"""nvidia-smi source: canned outputs parsed, old drivers retried with basic fields, a hang killed."""
from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from assistant.errors import ProbeError
from assistant.probes import smi
from tests.probes.conftest import canned_smi
from tests.probes.fakes import SMI_BASIC, SMI_CONSUMER, SMI_FULL


def test_full_query_two_gpus() -> None:
    runner = canned_smi(SMI_FULL)
    got = smi.read(runner)
    assert runner.calls[0][1] == "--query-gpu=" + ",".join(smi.FULL_FIELDS)
    assert got.driver == "535.104.05" and got.source == "nvidia-smi"
    ok, bad = got.devices
    assert ok["memory_total_gib"] == 80.0 and ok["throttle_reasons"] == ["gpu_idle"]
    assert bad == {"index": 1, "name": "NVIDIA A100-SXM4-80GB", "compute_capability": 8.0, "memory_total_gib": 80.0,
                   "memory_free_gib": 11.72, "utilization": 100, "temperature_c": 88, "ecc_uncorrected": 2,
                   "retired_pages": 4, "throttle_reasons": ["sw_thermal_slowdown", "hw_thermal_slowdown"]}


def test_not_available_fields_read_as_unknown() -> None:
    (card,) = smi.read(canned_smi(SMI_CONSUMER)).devices
    assert card["ecc_uncorrected"] == "unknown" and card["retired_pages"] == "unknown"
    assert card["compute_capability"] == 8.9 and card["throttle_reasons"] == []


def test_old_driver_refusing_a_field_gets_the_basic_query() -> None:
    refused = smi.QueryRefused('nvidia-smi: exit 2 (Field "compute_cap" is not a valid field to query.)')
    runner = canned_smi(refused, SMI_BASIC)
    (v100,) = smi.read(runner).devices
    assert runner.calls[1][1] == "--query-gpu=" + ",".join(smi.BASIC_FIELDS)
    assert v100["name"] == "Tesla V100-SXM2-32GB" and v100["memory_total_gib"] == 32.0
    assert v100["compute_capability"] == "unknown"


def _fake_exe(folder: Path, body: str) -> None:
    exe = folder / "nvidia-smi"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)


def test_a_hanging_nvidia_smi_is_killed_by_the_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_exe(tmp_path, "sleep 30")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    started = time.monotonic()
    with pytest.raises(ProbeError, match="killed after 0.5 s"):
        smi.run_smi(["nvidia-smi", "-L"], 0.5)
    assert time.monotonic() - started < 5


def test_the_real_runner_reads_stdout_and_reports_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ProbeError, match="not found on PATH"):
        smi.run_smi(["nvidia-smi"], 1)
    _fake_exe(tmp_path, f"printf '{SMI_CONSUMER.strip()}\\n'")
    assert smi.read().devices[0]["name"] == "NVIDIA GeForce RTX 4090"
    _fake_exe(tmp_path, "echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.'; exit 9")
    with pytest.raises(smi.QueryRefused, match="exit 9 .NVIDIA-SMI has failed"):
        smi.run_smi(["nvidia-smi"], 1)
