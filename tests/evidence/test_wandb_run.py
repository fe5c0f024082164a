"""A W&B run folder: console log, configs and summary in one reading."""
from __future__ import annotations

import shutil
from pathlib import Path

from assistant.evidence import read_attachment
from tests.evidence.conftest import DATA, fact, facts, names

RUN = DATA / "wandb" / "offline-run-20260301_100211-abcd1234"


def test_run_folder() -> None:
    r, = read_attachment(RUN)
    assert r.kind == "wandb" and r.path == str(RUN)
    assert [p.step for p in r.series["loss"]][:3] == [5, 10, 15]
    assert fact(r, "run.max_steps") == 50 and fact(r, "run.completed") is True
    assert fact(r, "log.framework") == "axolotl"
    # the axolotl copy of the config wins over W&B's own config.yaml
    assert fact(r, "config.learning_rate") == 2e-4 and fact(r, "config.precision") == "bf16_auto"
    assert fact(r, "config.max_grad_norm") == 1.0  # only in W&B's config.yaml
    assert "config.hidden_size" not in names(r)
    assert "memory/max_active (GiB)" in facts(r, "metric.logged")
    assert any(f.source.startswith("files/output.log:") for f in r.facts)


def test_wandb_dir_picks_latest_run(tmp_path: Path) -> None:
    wandb = tmp_path / "wandb"
    shutil.copytree(RUN, wandb / RUN.name)
    r, = read_attachment(tmp_path)
    assert r.kind == "wandb" and Path(r.path).name == RUN.name


def test_summary_only_run(tmp_path: Path) -> None:
    run = tmp_path / "run-x"
    (run / "files").mkdir(parents=True)
    shutil.copy(RUN / "files" / "wandb-summary.json", run / "files")
    (run / "run-x.wandb").write_bytes(b":W&B\xe1\xbe\x00")
    r, = read_attachment(run)
    assert set(facts(r, "metric.logged")) >= {"loss", "grad_norm", "learning_rate"}
    assert fact(r, "run.completed") is True
    assert any(".wandb history is not read" in w for w in r.warnings)
