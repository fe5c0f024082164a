"""Each kind of growing evidence, followed: TensorBoard events, checkpoints, a W&B run folder, a run folder."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from assistant.watch.discover import discover
from assistant.watch.live import LiveReading
from assistant.watch.sources.tensorboard import TensorBoardSource
from assistant.watch.sources.trainer_state import TrainerStateSource
from tests.evidence.test_tensorboard import event, field, record, scalar

from .trainer_log import lines


def later(path: Path, seconds: int) -> None:
    """Give a file a newer mtime than the ones written just before it (coarse clocks)."""
    t = time.time() + seconds
    os.utime(path, (t, t))


def values(reading: LiveReading, name: str) -> list[tuple[int, float]]:
    return [(p.step, p.value) for p in reading.series[name]]


def test_tensorboard_records_cut_by_a_poll_wait_for_their_end(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "Mar01_10-02-11_host"
    run.mkdir(parents=True)
    events = run / "events.out.tfevents.1772359331.host.1.0"
    data = b"".join(record(r) for r in [field(3, 2, b"brain.Event:2"),
                                        event(1, scalar("train/loss", 2.0), scalar("train/grad_norm", 1.0)),
                                        event(2, scalar("train/loss", 1.5))])
    events.write_bytes(data[:-7])  # the last record is cut
    reading = LiveReading(str(tmp_path), "tensorboard")
    watched = discover(tmp_path / "runs", reading)
    assert watched is not None and watched.kind == "tensorboard"
    src = watched.source
    src.poll()
    assert values(reading, "loss") == [(1, 2.0)]
    with open(events, "ab") as f:
        f.write(data[-7:] + record(event(3, scalar("train/loss", float("nan")))))
        f.write(record(event(3, scalar("train/train_runtime", 80.0), scalar("train/train_loss", 1.6))))
    src.poll()
    assert values(reading, "loss")[:2] == [(1, 2.0), (2, 1.5)]
    assert reading.series["loss"].first_nonfinite.step == 3
    facts = {f.name: f.value for f in src.facts()}
    assert facts["run.completed"] is True and facts["run.last_step"] == 3
    assert "train_loss" not in reading.series


def test_a_newer_event_file_from_a_restart_rewinds(tmp_path: Path) -> None:
    first = tmp_path / "events.out.tfevents.1.host.1.0"
    first.write_bytes(b"".join(record(event(s, scalar("train/loss", 2.0 - s / 64))) for s in range(1, 21)))
    reading = LiveReading(str(tmp_path), "tensorboard")
    src = TensorBoardSource(tmp_path, reading, rescan_s=0)
    src.poll()
    second = tmp_path / "events.out.tfevents.2.host.2.0"
    second.write_bytes(b"".join(record(event(s, scalar("train/loss", 5.0))) for s in range(11, 14)))
    later(second, 5)
    got = src.poll()
    assert any("following events.out.tfevents.2" in n for n in got.notes)
    assert reading.restarts == [11]
    assert values(reading, "loss")[-4:] == [(10, 2.0 - 10 / 64), (11, 5.0), (12, 5.0), (13, 5.0)]


def test_a_corrupt_record_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    events = tmp_path / "events.out.tfevents.1.host.1.0"
    events.write_bytes(record(event(1, scalar("train/loss", 2.0))) + b"\xff" * 40)
    reading = LiveReading(str(tmp_path), "tensorboard")
    src = TensorBoardSource(events, reading)
    src.poll()
    src.poll()
    assert values(reading, "loss") == [(1, 2.0)]
    assert any("corrupt event record" in w for w in src.warnings())


def state(steps: range, loss: float = 1.0) -> str:
    history = [{"epoch": s / 100, "grad_norm": 0.5, "learning_rate": 2e-5, "loss": loss, "step": s} for s in steps]
    return json.dumps({"global_step": steps[-1], "max_steps": 100, "log_history": history}, indent=2, sort_keys=True)


def checkpoint(run: Path, steps: range, loss: float = 1.0, newer_by: int = 0) -> None:
    folder = run / f"checkpoint-{steps[-1]}"
    folder.mkdir(parents=True)
    (folder / "trainer_state.json").write_text(state(steps, loss))
    later(folder / "trainer_state.json", newer_by)


def test_checkpoints_add_only_new_steps_and_a_resume_rewinds(tmp_path: Path) -> None:
    reading = LiveReading(str(tmp_path), "trainer_state")
    src = TrainerStateSource(tmp_path, reading, rescan_s=0)
    assert src.poll().new == 0  # no checkpoint yet
    checkpoint(tmp_path, range(1, 11))
    assert src.poll().new == 40  # loss, grad_norm, learning_rate, epoch x 10 steps
    checkpoint(tmp_path, range(1, 21), newer_by=2)
    src.poll()
    assert [p.step for p in reading.series["loss"]] == list(range(1, 21))
    checkpoint(tmp_path, range(1, 16), loss=3.0, newer_by=4)  # resumed from checkpoint-10, saved at 15
    src.poll()
    assert reading.restarts == [1]
    assert values(reading, "loss")[-1] == (15, 3.0) and len(values(reading, "loss")) == 15
    assert {f.name: f.value for f in src.facts()}["run.max_steps"] == 100


def test_a_wandb_run_folder_follows_output_log_with_its_config(tmp_path: Path) -> None:
    run = tmp_path / "wandb" / "offline-run-20260301_100211-abcd1234"
    (run / "files").mkdir(parents=True)
    (run / "files" / "config.yaml").write_text("learning_rate:\n  value: 2.0e-05\nmicro_batch_size:\n  value: 2\n")
    (run / "files" / "output.log").write_text("".join(list(lines(total=20))[:10]))
    reading = LiveReading(str(tmp_path), "wandb")
    watched = discover(tmp_path, reading)
    assert watched is not None and watched.kind == "wandb"
    assert watched.configs == [run / "files" / "config.yaml"]
    watched.source.poll()
    assert reading.series["loss"].last.step == 9


def test_a_run_folder_prefers_its_console_log_and_waits_when_empty(tmp_path: Path) -> None:
    reading = LiveReading(str(tmp_path), "stdout_log")
    assert discover(tmp_path, reading) is None
    assert discover(tmp_path / "not-yet.log", reading) is None
    checkpoint(tmp_path, range(1, 11))
    assert discover(tmp_path, reading).kind == "trainer_state"
    (tmp_path / "debug.log").write_text("".join(lines(total=20)))
    assert discover(tmp_path, reading).kind == "stdout_log"
