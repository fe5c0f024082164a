"""Metric tables: W&B CSV exports and JSONL."""
from __future__ import annotations

import json
from pathlib import Path

from assistant.evidence import read_attachment
from tests.evidence.conftest import fact, facts, points

WANDB_CSV = '''"Step","my-run - train/loss","my-run - train/loss__MIN","my-run - train/loss__MAX","my-run - train/grad_norm","my-run - eval/loss"
"10","2.1","2.0","2.2","0.9",""
"20","1.8","1.7","1.9","nan","1.95"
"30","1.6","1.5","1.7","0.7",""
'''


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_wandb_csv_export(tmp_path: Path) -> None:
    r, = read_attachment(write(tmp_path, "export.csv", WANDB_CSV))
    assert r.kind == "metrics_table"
    assert points(r, "loss") == [(10, 2.1), (20, 1.8), (30, 1.6)]
    assert points(r, "eval_loss") == [(20, 1.95)]
    assert r.series["grad_norm"].nonfinite_count == 1
    assert set(facts(r, "metric.logged")) == {"loss", "grad_norm", "eval_loss"}  # no __MIN / __MAX
    assert fact(r, "run.last_step") == 30 and fact(r, "run.has_eval") is True
    assert [p.line for p in r.series["loss"]] == [2, 3, 4]


def test_plain_csv_and_bad_rows(tmp_path: Path) -> None:
    r, = read_attachment(write(tmp_path, "m.csv", "step,loss,learning_rate\n1,2.0,1e-5\nx,1,1\n2,1.9,1e-5\n"))
    assert points(r, "loss") == [(1, 2.0), (2, 1.9)]
    assert r.warnings == ["m.csv: 1 rows could not be parsed"]


def test_jsonl(tmp_path: Path) -> None:
    rows = [{"train/global_step": 5, "train/loss": 2.0, "train/reward": "0.5"},
            {"train/global_step": 5, "eval/loss": 1.8},
            {"train/global_step": 10, "train/loss": 1.5, "train/reward": 0.7}]
    text = "\n".join(json.dumps(r) for r in rows) + "\n{broken\n"
    r, = read_attachment(write(tmp_path, "history.jsonl", text))
    assert r.kind == "metrics_table"
    assert points(r, "loss") == [(5, 2.0), (10, 1.5)] and points(r, "reward") == [(5, 0.5), (10, 0.7)]
    assert points(r, "eval_loss") == [(5, 1.8)]
    assert "global_step" not in r.series
    assert r.warnings == ["history.jsonl: 1 rows could not be parsed"]


def test_jsonl_without_step_is_a_log(tmp_path: Path) -> None:
    r, = read_attachment(write(tmp_path, "x.jsonl", '{"loss": 1.0, "grad_norm": 0.1}\n{"loss": 0.9}\n'))
    assert r.kind == "stdout_log" and points(r, "loss") == [(1, 1.0), (2, 0.9)]
