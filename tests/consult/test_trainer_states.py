"""The five real trainer_state.json files: no false critical, and the real problems named."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.consult import consult

STATES = Path(__file__).resolve().parents[3] / "shared" / "data" / "trainer-states"
pytestmark = pytest.mark.skipif(not STATES.exists(), reason="../shared is not beside this checkout")


def _report(name: str):
    return consult("", attachments=[STATES / f"{name}__trainer_state.json"])


def _ids(report, severities=("warning", "critical", "info")) -> set[str]:
    return {d.id for d in report.diagnoses if d.severity in severities}


@pytest.mark.parametrize("name", ["Dheena731__tinyLlama-finetune", "Jaong__Checkpoint-of-CPT", "O5-7__chat_glm2_in4_LIL_prefix",
                                  "DMalakhov1__PROJECT_LORA", "Rusheel86__Chaos-Economy"])
def test_no_false_critical(name: str) -> None:
    report = _report(name)
    real_critical = {"completions_truncated"}  # Chaos-Economy's completions really all hit the cap
    assert _ids(report, ("critical",)) <= real_critical


def test_healthy_sft_run_gets_no_warning() -> None:
    assert _ids(_report("Dheena731__tinyLlama-finetune"), ("warning", "critical")) == set()


def test_grpo_run_with_truncated_completions_and_a_dead_reward() -> None:
    report = _report("Rusheel86__Chaos-Economy")
    ids = _ids(report)
    assert "completions_truncated" in ids
    assert "reward_function_broken" in ids  # rewards/risk_reward_fn/mean stays exactly 0
    trunc = report.diagnosis("completions_truncated")
    assert any("clipped_ratio" in e.text for e in trunc.evidence)


def test_lora_run_without_warmup_or_eval() -> None:
    ids = _ids(_report("DMalakhov1__PROJECT_LORA"))
    assert {"insufficient_warmup", "no_eval_set"} <= ids


def test_prefix_tuning_lr_is_not_called_too_high() -> None:
    # LR 0.02 is normal for P-Tuning v2; without an adapter type in evidence the rules must not guess.
    assert "lr_too_high" not in _ids(_report("O5-7__chat_glm2_in4_LIL_prefix"))


def test_mild_overfitting_is_seen() -> None:
    assert "overfitting" in _ids(_report("Jaong__Checkpoint-of-CPT"))
