"""A W&B run folder (``wandb/run-20260301_100211-abcd1234/`` or its offline twin).

One Reading for the run: the console capture ``files/output.log`` (scanned like
any console log), the axolotl config axolotl copies into ``files/``, W&B's own
``files/config.yaml`` for keys the axolotl copy lacks, and the metric names and
completion marker of ``files/wandb-summary.json``. The binary ``.wandb`` history
is not read; ``output.log`` holds the same per-step values.
"""
from __future__ import annotations

from pathlib import Path

from assistant.engine.facts import Fact
from assistant.errors import InputError
from assistant.evidence import Progress, Reader, register
from assistant.evidence._input import CONFIG_LIMIT, read_text
from assistant.evidence._logscan import scan_file
from assistant.evidence._records import NOT_METRICS
from assistant.evidence._structured import json_loads
from assistant.evidence.axolotl_config import AxolotlConfigReader
from assistant.evidence.series import Reading, canonical_metric

__all__ = ["WandbRunReader", "run_folder"]

_RUN_FILES = ("output.log", "wandb-summary.json", "config.yaml")


def run_folder(path: Path) -> Path | None:
    """The run folder meant by ``path``: the run itself, ``latest-run``, or the newest run in a wandb/ dir."""
    files = path / "files"
    if files.is_dir() and any((files / f).is_file() for f in _RUN_FILES):
        return path
    if (path / "latest-run").is_dir():
        return run_folder((path / "latest-run").resolve())
    runs = sorted(p for p in path.glob("*run-*") if p.is_dir() and (p / "files").is_dir())
    if runs:
        return run_folder(runs[-1])
    if (path / "wandb").is_dir() and path.name != "wandb":
        return run_folder(path / "wandb")
    return None


@register
class WandbRunReader(Reader):
    name = "wandb_run"
    kind = "wandb"
    reads_directories = True

    def sniff(self, head: bytes, path: Path) -> bool:
        return path.is_dir() and run_folder(path) is not None

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        run = run_folder(path)
        if run is None:
            raise InputError(str(path), "not a W&B run folder (no files/output.log, config.yaml or wandb-summary.json)")
        files = run / "files"
        reading = Reading(str(run), self.kind)
        log = files / "output.log"
        if log.is_file():
            scan_file(log, reading, "files/output.log", progress)
        configs = sorted(files.glob("axolotl_config*.y*ml")) + [files / "config.yaml"]
        for cfg in configs:
            if cfg.is_file():
                self._merge_config(reading, cfg)
        summary = files / "wandb-summary.json"
        if summary.is_file():
            self._merge_summary(reading, summary)
        if not log.is_file() and any(run.glob("*.wandb")):
            reading.warnings.append(f"{run.name}: no files/output.log; the binary .wandb history is not read "
                                    "(attach a CSV export of the charts instead)")
        return reading

    @staticmethod
    def _merge_config(reading: Reading, cfg: Path) -> None:
        """Config facts from ``cfg`` whose names an earlier config did not already give."""
        try:
            got = AxolotlConfigReader().read(cfg)
        except InputError as e:
            reading.warnings.append(f"files/{cfg.name}: {e.problem}")
            return
        have = {f.name for f in reading.facts}
        reading.facts.extend(f for f in got.facts if f.name not in have)
        reading.warnings.extend(got.warnings)

    @staticmethod
    def _merge_summary(reading: Reading, summary: Path) -> None:
        try:
            data = json_loads(read_text(summary, CONFIG_LIMIT))
        except (InputError, ValueError) as e:  # ValueError: invalid JSON, or past the nesting/digit bounds
            reading.warnings.append(f"files/{summary.name}: not read ({getattr(e, 'problem', e)})")
            return
        if not isinstance(data, dict):
            return
        src = "files/wandb-summary.json"
        logged = {f.value for f in reading.facts if f.name == "metric.logged"}
        for key, value in data.items():
            name = canonical_metric(key)
            if key.startswith("_") or name in NOT_METRICS or name in logged or name.startswith("train_"):
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                reading.facts.append(Fact("metric.logged", name, src))
                logged.add(name)
        if "train_runtime" in data and not any(f.name == "run.completed" and f.value for f in reading.facts):
            reading.facts = [f for f in reading.facts if f.name != "run.completed"]
            reading.facts.append(Fact("run.completed", True, src))
