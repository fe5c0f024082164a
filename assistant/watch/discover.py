"""What PATH is, and which source follows it.

A file is recognised by content, as attachments are: TensorBoard events,
trainer_state.json, else console text (an empty file is a log about to be
written). A folder is, in this order: a W&B run folder (its ``files/output.log``,
with the axolotl config W&B keeps beside it), a run folder with a console log in
it (axolotl's ``debug.log``, ``*.log``, ``*.out``), a TensorBoard log folder, a
run folder with checkpoints. One source per run: two of them would log the same
steps twice. Nothing there yet (the run has not started) is ``None``; the watcher
asks again later.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import AssistantError
from assistant.evidence._input import read_head
from assistant.evidence.tensorboard_events import TensorBoardReader
from assistant.evidence.trainer_state import TrainerStateReader
from assistant.evidence.wandb_run import run_folder
from assistant.watch.live import LiveReading
from assistant.watch.sources import Source
from assistant.watch.sources.log import LogSource
from assistant.watch.sources.tensorboard import TensorBoardSource, event_files
from assistant.watch.sources.trainer_state import TrainerStateSource, state_files

__all__ = ["Watched", "discover", "LOG_PATTERNS"]

LOG_PATTERNS = ("debug.log", "*.log", "*.out")


@dataclass
class Watched:
    """The source that follows a run, its kind (a Reading kind), and config files that come with it."""

    source: Source
    kind: str
    configs: list[Path] = field(default_factory=list)


def discover(path: Path, reading: LiveReading) -> Watched | None:
    """The source for ``path``, or None while there is nothing to follow yet."""
    path = Path(path)
    if path.is_dir():
        return _folder(path, reading)
    if not path.exists():
        return None
    try:
        head = read_head(path)
    except (OSError, AssistantError):  # unreadable now (permissions, a race): ask again later
        return None
    if head and TensorBoardReader().sniff(head, path):
        return Watched(TensorBoardSource(path, reading), "tensorboard")
    if head and TrainerStateReader().sniff(head, path):
        return Watched(TrainerStateSource(path, reading), "trainer_state")
    return Watched(LogSource(path, reading), "stdout_log")


def _folder(path: Path, reading: LiveReading) -> Watched | None:
    run = run_folder(path)
    if run is not None:
        files = run / "files"
        configs = sorted(files.glob("axolotl_config*.y*ml")) or [files / "config.yaml"]
        return Watched(LogSource(files / "output.log", reading, "files/output.log"), "wandb", configs)
    logs = _newest([p for pattern in LOG_PATTERNS for p in path.glob(pattern) if p.is_file()])
    if logs is not None:
        return Watched(LogSource(logs, reading), "stdout_log")
    if event_files(path):
        return Watched(TensorBoardSource(path, reading), "tensorboard")
    if state_files(path):
        return Watched(TrainerStateSource(path, reading), "trainer_state")
    return None


def _newest(paths: list[Path]) -> Path | None:
    def mtime(p: Path) -> float:
        try:
            return p.stat().st_mtime
        except OSError:
            return 0.0

    return max(paths, key=mtime) if paths else None
