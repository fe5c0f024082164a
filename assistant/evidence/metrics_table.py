"""Metric tables: a CSV export (W&B panel "Export CSV", pandas) or JSONL, one row per step.

W&B names columns ``<run> - train/loss`` with ``__MIN``/``__MAX`` companions for the
smoothing band; the run prefix is dropped and the band ignored. A table needs a
step column (``Step``, ``step``, ``_step``, ``global_step``, ``train/global_step``).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from assistant.evidence import Progress, Reader, register
from assistant.evidence._input import check_file, open_input
from assistant.evidence._records import STEP_KEYS, RunTracker, add_record, as_number, as_step
from assistant.evidence._structured import json_loads
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
        row = json_loads(line)
    except ValueError:  # invalid JSON, or past the nesting or digit bounds: a bad row like any other
        return None
    return row if isinstance(row, dict) else None


def _step_of(row: dict[str, Any]) -> int | None:
    for key, value in row.items():
        if canonical_metric(key) in STEP_KEYS:
            step = as_step(as_number(value))
            if step is not None:
                return step
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
        except csv.Error:  # a field past the csv module's size limit, a NUL
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
            bad = reader(text, reading, run, path.name)
            if progress is not None:
                progress(total, total)
        reading.facts.extend(run.facts())
        if bad:
            reading.warnings.append(f"{path.name}: {bad} rows could not be parsed")
        return reading

    @staticmethod
    def _jsonl(text: io.TextIOWrapper, reading: Reading, run: RunTracker, name: str) -> int:
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
    def _csv(text: io.TextIOWrapper, reading: Reading, run: RunTracker, name: str) -> int:
        rows = csv.reader(text)
        try:
            header = next(rows, [])
        except csv.Error as e:
            reading.warnings.append(f"{name}: header row not read ({e}); nothing read")
            return 0
        names = [_column(h) for h in header]
        step_col = next((i for i, n in enumerate(names) if n in STEP_KEYS), None)
        if step_col is None:  # the sniffed first line was not the header the csv module read
            reading.warnings.append(f"{name}: no step column in the header row; nothing read")
            return 0
        keep: dict[int, str] = {}
        for i, (h, n) in enumerate(zip(header, names)):
            # W&B's smoothing band, and a second run's copy of a metric, are not this run's values
            if i != step_col and not h.endswith(("__MIN", "__MAX")) and n not in keep.values():
                keep[i] = n
        bad = 0
        while True:
            try:
                cells = next(rows, None)
            except csv.Error as e:  # a field over the csv module's limit (128 KB), a NUL byte
                reading.warnings.append(f"{name}: stopped at line {rows.line_num} ({e}); read the rows before it")
                return bad
            if cells is None:
                return bad
            step = as_step(as_number(cells[step_col])) if step_col < len(cells) else None
            if step is None:
                bad += bool(any(c.strip() for c in cells))
                continue
            fields = {keep[i]: cells[i] for i in keep if i < len(cells) and cells[i].strip()}
            add_record(reading, run, fields, rows.line_num, step)
