"""The OOM ladder ids are reached before any run, from a config and a probe report, through the real consultation.

The route is the one `ask` takes: ``extra_facts`` reads the attached config and
probe report, estimates, and hands ``estimate.*`` facts to ``consult``.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.consult import consult
from assistant.estimate.ladder import RUNGS
from assistant.probes import report_json, run_probes
from assistant.probes.extra_facts import extra_facts
from tests.estimate.test_ladder import LADDER
from tests.probes.conftest import no_smi
from tests.probes.fakes import FakeGpu, fake_pynvml

GIB = 1024 ** 3
DIAGNOSIS = {r.name: r.diagnosis for r in RUNGS}


def host_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, free_gib: float, count: int = 1) -> Path:
    """A saved probe report of a host whose GPUs have ``free_gib`` free."""
    gpu = FakeGpu(name="NVIDIA L4", cc=(8, 9), total=int((free_gib + 0.5) * GIB), free=int(free_gib * GIB))
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml([gpu] * count))
    monkeypatch.setattr("assistant.probes.torch_probe.installed", lambda: False)
    path = tmp_path / "host.json"
    path.write_text(report_json(run_probes(environ={}, root=tmp_path, smi_runner=no_smi)))
    return path


def write_config(tmp_path: Path, config: dict[str, Any]) -> Path:
    nested: dict[str, Any] = {}
    for key, value in config.items():
        if key == "precision":
            nested[value] = True  # "bf16" -> bf16: true, as a user writes it
            continue
        head, _, rest = key.partition(".")
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            nested[key] = list(value) if isinstance(value, tuple) else value
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(nested, sort_keys=False))
    return path


def diagnoses(question: str, attachments: list[Path], **kwargs: Any) -> list[str]:
    extra = extra_facts(attachments, **kwargs)
    return [d.id for d in consult(question, attachments=attachments, extra_facts=extra).diagnoses]


@pytest.mark.parametrize("rung", sorted(LADDER))
def test_ladder_diagnosis_from_probe_report_and_config(rung: str, tmp_path: Path, monkeypatch) -> None:
    config, memory, gpus, _ = LADDER[rung]
    attachments = [write_config(tmp_path, config), host_report(tmp_path, monkeypatch, memory, gpus)]
    got = diagnoses("", attachments, probe=False)
    assert DIAGNOSIS[rung] in got, f"{DIAGNOSIS[rung]} not reached; got {got}"


def test_grpo_logits_too_large_from_the_estimate(tmp_path: Path, monkeypatch) -> None:
    config = {"base_model": "Qwen/Qwen2.5-1.5B-Instruct", "rl": "grpo", "precision": "bf16", "micro_batch_size": 8,
              "sequence_len": 2048, "trl.num_generations": 16}
    attachments = [write_config(tmp_path, config), host_report(tmp_path, monkeypatch, 79.0)]
    got = diagnoses("", attachments, probe=False)
    assert "grpo_logits_too_large" in got, got


def test_nothing_fits_is_needs_offload(tmp_path: Path, monkeypatch) -> None:
    config = {"base_model": "meta-llama/Meta-Llama-3-70B", "adapter": "qlora", "load_in_4bit": True,
              "precision": "bf16", "gradient_checkpointing": True}
    attachments = [write_config(tmp_path, config)]
    assert "needs_offload" in diagnoses("", attachments, probe=False, gpu_memory_gib=2)


def test_a_config_that_fits_raises_no_oom(tmp_path: Path) -> None:
    config = {"base_model": "meta-llama/Llama-2-7b-hf", "adapter": "qlora", "load_in_4bit": True, "precision": "bf16"}
    got = diagnoses("", [write_config(tmp_path, config)], probe=False, gpu_memory_gib=24)
    assert not {"oom_batch_too_large", "gradient_checkpointing_off", "model_not_quantized", "needs_offload"} & set(got)


def test_logged_training_steps_silence_the_prediction(tmp_path: Path) -> None:
    """The run already trained with this config, so the estimate was pessimistic: no predicted OOM."""
    config, memory, _, _ = LADDER["gradient_checkpointing"]
    log = tmp_path / "train.log"
    log.write_text("".join(f"{{'loss': {1.5 - s / 100:.3f}, 'grad_norm': 0.5, 'learning_rate': 0.0002, "
                           f"'epoch': {s / 50:.2f}}}\n" for s in range(1, 51)))
    got = diagnoses("", [write_config(tmp_path, config), log], probe=False, gpu_memory_gib=memory)
    assert "gradient_checkpointing_off" not in got


def test_no_memory_no_estimate_facts(tmp_path: Path) -> None:
    """This machine has no GPU and no memory was given: nothing to judge against."""
    config, _, _, _ = LADDER["quantization"]
    assert extra_facts([write_config(tmp_path, config)], probe=True) == []


def test_ask_cli_with_gpu_memory(tmp_path: Path) -> None:
    config, memory, _, _ = LADDER["quantization"]
    path = write_config(tmp_path, config)
    done = subprocess.run([str(Path(sys.executable).parent / "ask"), "--json", "-a", str(path), "--gpu-memory",
                           str(memory), "will it fit?"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert "model_not_quantized" in [d["id"] for d in out["diagnoses"]]
    facts = {f["name"]: f["value"] for f in out["facts"]}
    assert facts["estimate.fits"] is False and facts["estimate.next_rung"] == "quantization"
    assert facts["estimate.memory_gib"] == memory and facts["model.vocab_size"] == 32000
