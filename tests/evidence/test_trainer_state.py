"""trainer_state.json: real files, NaN, predict_* entries, checkpoints, truncation."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from assistant.evidence import read_attachment
from assistant.evidence.trainer_state import TrainerStateReader
from tests.evidence.conftest import TRAINER_STATES, fact, facts, names, needs_shared


def state(log_history: list[dict], **header) -> dict:
    return {"best_metric": None, "epoch": 1.0, "eval_steps": 500, "global_step": 30, "log_history": log_history,
            "logging_steps": 10, "max_steps": 30, "num_train_epochs": 1, "train_batch_size": 8, **header}


def write(tmp_path: Path, data: dict | str, name: str = "trainer_state.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2, sort_keys=True))
    return path


HISTORY = [
    {"epoch": 0.3, "grad_norm": 1.0, "learning_rate": 2e-05, "loss": 2.0, "step": 10},
    {"epoch": 0.6, "grad_norm": float("nan"), "learning_rate": 1e-05, "loss": float("inf"), "step": 20},
    {"epoch": 0.6, "eval_loss": 1.5, "eval_runtime": 3.0, "step": 20},
    {"epoch": 1.0, "grad_norm": 0.5, "learning_rate": 0.0, "loss": 1.0, "step": 30},
    {"epoch": 1.0, "step": 30, "total_flos": 1e15, "train_loss": 1.3, "train_runtime": 80.0},
]


def test_series_facts_and_lines(tmp_path: Path) -> None:
    path = write(tmp_path, state(HISTORY))
    r = TrainerStateReader().read(path)
    assert [(p.step, p.value) for p in r.series["loss"]][0] == (10, 2.0)
    assert math.isnan(r.series["grad_norm"].first_nonfinite.value)
    assert [(p.step, p.value) for p in r.series["eval_loss"]] == [(20, 1.5)]
    lines = path.read_text().splitlines()
    for p in r.series["loss"]:  # each point's line holds its entry's "step"
        assert f'"step": {p.step}' in lines[p.line - 1]
    assert fact(r, "run.max_steps") == 30 and fact(r, "run.last_step") == 30
    assert fact(r, "run.completed") is True and fact(r, "run.has_eval") is True
    assert fact(r, "run.steps_logged") == 3
    assert fact(r, "state.logging_steps") == 10 and fact(r, "state.train_batch_size") == 8
    assert "state.best_metric" not in names(r)  # null
    assert "train_loss" not in r.series and "total_flos" not in r.series


def test_bare_nan_and_infinity_in_file(tmp_path: Path) -> None:
    text = json.dumps(state(HISTORY), indent=2)  # json writes NaN / Infinity bare, as HF does
    assert "NaN" in text and "Infinity" in text
    r = TrainerStateReader().read(write(tmp_path, text))
    assert r.series["loss"].nonfinite_count == 1


def test_checkpoint_is_not_completed(tmp_path: Path) -> None:
    r = TrainerStateReader().read(write(tmp_path, state(HISTORY[:2], global_step=20, max_steps=300)))
    assert fact(r, "run.completed") is False and fact(r, "run.last_step") == 20


def test_entries_without_step_are_skipped(tmp_path: Path) -> None:
    history = HISTORY[:1] + [{"epoch": 1.0, "predict_loss": 0.6, "predict_runtime": 10.0}]
    r = TrainerStateReader().read(write(tmp_path, state(history)))
    assert not any(k.startswith("predict") for k in r.series)
    assert len(r.series["loss"]) == 1


def test_truncated_json_keeps_complete_entries(tmp_path: Path) -> None:
    text = json.dumps(state(HISTORY), indent=2, sort_keys=True)
    cut = text.index('"step": 30')  # inside the fourth entry
    r = TrainerStateReader().read(write(tmp_path, text[:cut]))
    assert [p.step for p in r.series["loss"]] == [10, 20]
    assert r.warnings == ["trainer_state.json: truncated JSON, read the first 3 entries"]
    assert fact(r, "run.last_step") == 30  # global_step comes before log_history in the file


def test_sniff_by_content_not_name(tmp_path: Path) -> None:
    path = write(tmp_path, state(HISTORY), name="whatever.txt")
    reading, = read_attachment(path)
    assert reading.kind == "trainer_state"


@needs_shared
class TestRealFiles:
    @pytest.mark.parametrize("path", sorted(TRAINER_STATES.glob("*.json")), ids=lambda p: p.name.split("__")[0])
    def test_every_file_reads(self, path: Path) -> None:
        reading, = read_attachment(path)
        assert reading.kind == "trainer_state" and not reading.warnings
        assert reading.series["loss"].count > 0
        assert "run.max_steps" in names(reading)

    def test_chaos_economy_grpo_clipping_reaches_one(self) -> None:
        r, = read_attachment(TRAINER_STATES / "Rusheel86__Chaos-Economy__trainer_state.json")
        assert r.series["completions/clipped_ratio"].last.value == 1.0
        assert r.series["completions/clipped_ratio"].max.value == 1.0
        assert {"reward", "kl", "rewards/format_reward_fn/mean"} <= set(facts(r, "metric.logged"))
        assert fact(r, "run.completed") is True

    def test_o5_7_has_no_grad_norm(self) -> None:
        r, = read_attachment(TRAINER_STATES / "O5-7__chat_glm2_in4_LIL_prefix__trainer_state.json")
        assert "grad_norm" not in r.series and "grad_norm" not in facts(r, "metric.logged")
        assert "state.logging_steps" not in names(r)  # 2023 format

    def test_jaong_predict_entries(self) -> None:
        r, = read_attachment(TRAINER_STATES / "Jaong__Checkpoint-of-CPT__trainer_state.json")
        assert "eval_rouge-1" in r.series and not any(k.startswith("predict") for k in r.series)
        assert fact(r, "run.completed") is True and fact(r, "run.has_eval") is True

    def test_dheena_checkpoint_not_completed(self) -> None:
        r, = read_attachment(TRAINER_STATES / "Dheena731__tinyLlama-finetune__trainer_state.json")
        assert fact(r, "run.completed") is False
        assert fact(r, "run.last_step") == 2800 and fact(r, "run.max_steps") == 2808
        assert fact(r, "state.best_metric") == pytest.approx(1.1219, abs=1e-4)
