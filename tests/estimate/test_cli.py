"""`assistant estimate CONFIG`: the breakdown, the verdict, the patch; one-line errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ASSISTANT = Path(sys.executable).parent / "assistant"
CASES = Path("/work/shared/cases")
GRPO = "base_model: Qwen/Qwen2.5-1.5B-Instruct\nrl: grpo\nbf16: true\nmicro_batch_size: 8\nsequence_len: 2048\n" \
       "trl:\n  num_generations: 16\n"


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ASSISTANT), *argv], capture_output=True, text=True, timeout=120)


def test_text_breakdown_verdict_and_patch(tmp_path: Path) -> None:
    config = tmp_path / "grpo.yaml"
    config.write_text(GRPO)
    done = run("estimate", str(config), "--gpu-memory", "80")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for label in ("weights", "gradients", "optimizer states", "activations", "GRPO logits", "total"):
        assert f"  {label}" in out
    assert "74.19 GiB   8 x 16 x 2048 x 151936 x 2 B" in out
    assert "verdict: DOES NOT FIT in 80.0 GiB per GPU (--gpu-memory)" in out
    patch = yaml.safe_load(out.split("config patch:\n", 1)[1])
    assert patch["micro_batch_size"] == 2 and patch["gradient_checkpointing"] is True


def test_json(tmp_path: Path) -> None:
    config = tmp_path / "grpo.yaml"
    config.write_text(GRPO)
    done = run("estimate", str(config), "--gpu-memory", "80", "--json")
    out = json.loads(done.stdout)
    logits = next(x for x in out["breakdown"] if x["name"] == "grpo logits")
    assert logits["bytes"] == 79_658_221_568
    assert out["fits"] is False and out["ladder"]["rung"] == "gradient_checkpointing"
    assert out["ladder"]["diagnosis"] == "gradient_checkpointing_off"


def test_no_gpu_here_and_no_memory_given_means_no_verdict(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("base_model: mistralai/Mistral-7B-v0.1\nadapter: qlora\nload_in_4bit: true\nbf16: true\n")
    done = run("estimate", str(config))
    assert done.returncode == 0, done.stderr
    assert "verdict: unknown - no GPU seen here; give the memory per GPU with --gpu-memory" in done.stdout


def test_unknown_model_asks_for_params(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("base_model: acme/mystery-model\nbf16: true\n")
    done = run("estimate", str(config), "--gpu-memory", "24")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().endswith("give its parameter count, e.g. --params 7e9")
    assert run("estimate", str(config), "--gpu-memory", "24", "--params", "7e9").returncode == 0


def test_not_a_config_is_one_line(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text("{'loss': 1.0, 'learning_rate': 2e-05, 'epoch': 0.1}\n")
    done = run("estimate", str(log))
    assert done.returncode == 2
    assert done.stderr.strip() == f"{log}: not an axolotl config (read as stdout_log)"


@pytest.mark.skipif(not CASES.is_dir(), reason="the shared cases are not in this checkout")
def test_shared_case_021() -> None:
    """Full SFT of Qwen2-7B on 4x RTX 4090 (24 GB) with ZeRO-3: predicted not to fit."""
    done = run("estimate", str(CASES / "021-qwen2-7b-full-sft-4090-oom" / "config.yaml"), "--gpu-memory", "24",
               "--gpus", "4", "--json")
    out = json.loads(done.stdout)
    assert out["fits"] is False and out["gpus"] == 4
