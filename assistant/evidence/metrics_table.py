"""Metric tables: a CSV export (W&B panel "Export CSV", pandas) or JSONL, one row per step.

W&B names columns ``<run> - train/loss`` with ``__MIN``/``__MAX`` companions for the
smoothing band; the run prefix is dropped and the band ignored. A table needs a
step column (``Step``, ``step``, ``_step``, ``global_step``, ``train/global_step``).
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from assistant.evidence import Progress, Reader, register
from assistant.evidence._input import check_file, open_input
from assistant.evidence._records import STEP_KEYS, RunTracker, add_record, as_number
from assistant.evidence.series import Reading, canonical_metric

__all__ = ["MetricsTableReader"]


def _column(header: str) -> str:
    """`my-run - train/loss` -> `loss`; `Step` -> `step`."""
    name = header.strip().rsplit(" - ", 1)[-1].strip()
    return canonical_metric(name) if name.lower() not in ("step", "_step") else name.lower()


def _first_line(head: bytes) -> str:
    lines = head.lstrip(b"\xef\xbb\xbf").lstrip().splitlines()
    return lines[0].decode("utf-8", "replace").strip() if lines else ""


def _jsonl_row(line: str) -> dict[str, Any] | None:
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        return None
    return row if isinstance(row, dict) else None


def _step_of(row: dict[str, Any]) -> int | None:
    for key, value in row.items():
        if canonical_metric(key) in STEP_KEYS:
            number = as_number(value)
            if number is not None and number == number:
                return int(number)
    return None


@register
class MetricsTableReader(Reader):
    name = "metrics_table"
    kind = "metrics_table"

    def sniff(self, head: bytes, path: Path) -> bool:
        first = _first_line(head)
        if first.startswith("{"):
            row = _jsonl_row(first)
            return row is not None and _step_of(row) is not None
        try:
            cells = next(csv.reader([first]), [])
        except csv.Error:
            return False
        return len(cells) >= 2 and any(_column(c) in STEP_KEYS for c in cells)

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        total = check_file(path)
        reading = Reading(str(path), self.kind)
        run = RunTracker(path.name)
        with open_input(path) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
            first = text.readline()
            text.seek(0)
            reader = self._jsonl if first.lstrip().startswith("{") else self._csv
            bad = reader(text, reading, run)
            if progress is not None:
                progress(total, total)
        reading.facts.extend(run.facts())
        if bad:
            reading.warnings.append(f"{path.name}: {bad} rows could not be parsed")
        return reading

    @staticmethod
    def _jsonl(text: io.TextIOWrapper, reading: Reading, run: RunTracker) -> int:
        bad = 0
        for n, line in enumerate(text, 1):
            if not line.strip():
                continue
            row = _jsonl_row(line)
            if row is None:
                bad += 1
                continue
            add_record(reading, run, row, n, _step_of(row))
        return bad

    @staticmethod
    def _csv(text: io.TextIOWrapper, reading: Reading, run: RunTracker) -> int:
        rows = csv.reader(text)
        header = next(rows, [])
        names = [_column(h) for h in header]
        step_col = next(i for i, n in enumerate(names) if n in STEP_KEYS)
        keep: dict[int, str] = {}
        for i, (h, n) in enumerate(zip(header, names)):
            # W&B's smoothing band, and a second run's copy of a metric, are not this run's values
            if i != step_col and not h.endswith(("__MIN", "__MAX")) and n not in keep.values():
                keep[i] = n
        bad = 0
        for cells in rows:
            step = as_number(cells[step_col]) if step_col < len(cells) else None
            if step is None or step != step:
                bad += bool(any(c.strip() for c in cells))
                continue
            fields = {keep[i]: cells[i] for i in keep if i < len(cells) and cells[i].strip()}
            add_record(reading, run, fields, rows.line_num, int(step))
        return bad
