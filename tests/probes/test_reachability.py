"""Every probe-driven diagnosis is reached from a probe report (+ config) through the real consultation.

Each report comes from ``run_probes`` over fakes of the host described, then
reaches the rules both ways a user can hand it over: attached as a saved file,
and in-process as ``ask`` passes this machine's facts.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from assistant.consult import consult
from assistant.probes import host, probe_facts, report_json, run_probes
from tests.probes.conftest import no_smi
from tests.probes.fakes import FakeGpu, fake_pynvml, two_gpus

V100 = FakeGpu(name="Tesla V100-SXM2-32GB", cc=(7, 0), total=32 * 1024 ** 3, free=31 * 1024 ** 3)
A100 = FakeGpu()
H100 = FakeGpu(name="NVIDIA H100 80GB HBM3", cc=(9, 0))


def _small_shm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host, "_fs_size", lambda path: 64 * 1024 ** 2)  # Docker's default /dev/shm


def _triton_cache(env: dict[str, str], tmp_path: Path) -> None:
    kernel = tmp_path / "triton" / "c0ffee"
    kernel.mkdir(parents=True)
    (kernel / "fp8_quant_kernel.cubin").write_bytes(b"\0" * 4096)
    env["TRITON_CACHE_DIR"] = str(tmp_path / "triton")


# id -> (GPUs on the host, config, question, extra set-up of the host)
CASES: dict[str, tuple[list[FakeGpu], str, str, Callable[..., None] | None]] = {
    "bf16_unsupported": ([V100], "base_model: m\nbf16: true\n", "", None),
    "fp8_unsupported": ([A100], "base_model: m\nbf16: true\nfp8: true\n", "", None),
    "flash_attn_missing": ([A100], "base_model: m\nflash_attention: true\n", "", None),
    "shm_too_small": ([A100], "base_model: m\n", "", lambda mp, env, tmp: _small_shm(mp)),
    "gpu_hardware_fault": (two_gpus(), "base_model: m\n", "", None),
    "deepspeed_single_gpu": ([A100], "base_model: m\ndeepspeed: deepspeed_configs/zero2.json\n", "", None),
    "triton_cache_stale": ([H100], "base_model: m\nbf16: true\nfp8: true\n", "my loss is nan",
                           lambda mp, env, tmp: _triton_cache(env, tmp)),
}


def _report(gpus: list[FakeGpu], setup: Callable[..., None] | None, monkeypatch: pytest.MonkeyPatch,
            tmp_path: Path) -> dict[str, Any]:
    monkeypatch.setitem(__import__("sys").modules, "pynvml", fake_pynvml(gpus))
    monkeypatch.setattr("assistant.probes.torch_probe.installed", lambda: False)
    env: dict[str, str] = {}
    if setup is not None:
        setup(monkeypatch, env, tmp_path)
    return run_probes(environ=env, root=tmp_path, smi_runner=no_smi)


@pytest.mark.parametrize("route", ["attached", "in_process"])
@pytest.mark.parametrize("diag_id", sorted(CASES))
def test_probe_driven_diagnosis_is_reachable(diag_id: str, route: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    gpus, config, question, setup = CASES[diag_id]
    report = _report(gpus, setup, monkeypatch, tmp_path)
    (tmp_path / "config.yaml").write_text(config)
    attachments = [tmp_path / "config.yaml"]
    extra = []
    if route == "attached":
        (tmp_path / "probe.json").write_text(report_json(report))
        attachments.append(tmp_path / "probe.json")
    else:
        extra = probe_facts(report)
    got = [d.id for d in consult(question, attachments=attachments, extra_facts=extra).diagnoses]
    assert diag_id in got, f"{diag_id} not reached; got {got}"


def test_a_healthy_host_raises_none_of_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """8 healthy H100s, large /dev/shm, no Triton cache: nothing probe-driven fires for a bf16 DeepSpeed config."""
    report = _report([H100] * 8, None, monkeypatch, tmp_path)
    (tmp_path / "config.yaml").write_text("base_model: m\nbf16: true\ndeepspeed: deepspeed_configs/zero2.json\n")
    got = {d.id for d in consult("", attachments=[tmp_path / "config.yaml"], extra_facts=probe_facts(report)).diagnoses}
    assert not got & set(CASES), got
