"""The dispatcher: an attachment path -> the readings of what it holds.

A file goes to the first registered reader whose ``sniff`` accepts its head; a
directory goes to a directory reader (W&B run) or is searched for the things a
run leaves behind (trainer_state.json, event files, logs, configs).
"""
from __future__ import annotations

import re
from pathlib import Path

from assistant.errors import InputError
from assistant.evidence import Progress, Reader, readers
from assistant.evidence._input import HEAD_BYTES, check_file, read_head, size_text, text_status
from assistant.evidence.series import Reading

__all__ = ["read_attachment", "reader_for"]

# Files a directory scan looks at (content still decides how each is read).
_SCAN_SUFFIXES = {".log", ".txt", ".out", ".err", ".yaml", ".yml", ".json", ".jsonl", ".csv"}
_CHECKPOINT = re.compile(r"checkpoint-(\d+)$")
MAX_EVENT_FILES = 20


def reader_for(head: bytes, path: Path) -> Reader | None:
    """The first registered file reader that recognises ``head``; None when none does."""
    return _first(head, path, binary=True) or _first(head, path, binary=False)


def _first(head: bytes, path: Path, binary: bool) -> Reader | None:
    for cls in readers():
        if cls.binary == binary and not cls.reads_directories:
            reader = cls()
            if reader.sniff(head, path):
                return reader
    return None


def read_attachment(path: Path, progress: Progress | None = None) -> list[Reading]:
    """Read one attachment (file or directory); InputError when nothing in it can be read."""
    path = Path(path)
    if path.is_dir():
        return _read_directory(path, progress)
    return _read_file(path, progress)


def _read_file(path: Path, progress: Progress | None) -> list[Reading]:
    size = check_file(path)
    if size == 0:
        raise InputError(str(path), "empty file")
    head = read_head(path, HEAD_BYTES)
    reader = _first(head, path, binary=True)  # binary formats before the text check refuses them
    warning = None
    if reader is None:
        problem, warning = text_status(head)
        if problem:
            raise InputError(str(path), problem)
        if not head.strip():
            raise InputError(str(path), "empty file (only whitespace)")
        reader = _first(head, path, binary=False)
    if reader is None:
        return [Reading(str(path), "unknown",
                        warnings=[f"{path.name}: not a recognised log, config or metrics file; nothing read"])]
    if reader.max_bytes is not None and size > reader.max_bytes:
        raise InputError(str(path), f"too large for a config file ({size_text(size)}, "
                                    f"limit {size_text(reader.max_bytes)})")
    reading = reader.read(path, progress)
    if warning:
        reading.warnings.insert(0, f"{path.name}: {warning}")
    return [reading]


def _read_directory(path: Path, progress: Progress | None) -> list[Reading]:
    for cls in readers():
        if cls.reads_directories and cls().sniff(b"", path):
            return [cls().read(path, progress)]
    readings: list[Reading] = []
    problems: list[str] = []
    try:
        members = _members(path)
    except OSError as e:
        raise InputError(str(path), f"directory cannot be listed ({e.strerror or e})") from None
    for member in members:
        try:
            found = _read_file(member, progress)
        except InputError as e:
            problems.append(str(e))
            continue
        # a scan picks up files that are not run artifacts (tokenizer files, READMEs): drop empty readings
        readings.extend(r for r in found if r.facts or r.series)
    if not readings:
        detail = f" ({len(problems)} files could not be read)" if problems else ""
        raise InputError(str(path), "directory holds nothing readable (no log, trainer_state.json, "
                                    f"config or event file){detail}")
    readings[0].warnings.extend(problems)
    return readings


def _members(path: Path) -> list[Path]:
    """What a run directory holds worth reading, newest checkpoint state first."""
    out: list[Path] = []
    state = path / "trainer_state.json"
    if state.is_file():
        out.append(state)
    else:
        checkpoints = [(int(m.group(1)), p) for p in path.glob("checkpoint-*")
                       if (m := _CHECKPOINT.search(p.name)) and (p / "trainer_state.json").is_file()]
        if checkpoints:
            out.append(max(checkpoints)[1] / "trainer_state.json")
    events = sorted(p for depth in ("", "*/", "*/*/") for p in path.glob(f"{depth}events.out.tfevents.*")
                    if p.is_file())
    out.extend(events[:MAX_EVENT_FILES])
    out.extend(sorted(p for p in path.iterdir()
                      if p.is_file() and p.suffix.lower() in _SCAN_SUFFIXES and p.name != "trainer_state.json"))
    return out
