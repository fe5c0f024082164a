"""Readers: one module per attachment format, recognised by content.

Each reader module defines one ``Reader`` subclass and registers it with
``@register``. ``READERS`` is the registry; its order is the sniff order (the
first reader whose ``sniff`` accepts a file reads it), so specific formats come
before general ones and the console-log reader, which accepts any text, is last.
``read_attachment`` is the one entry point the consultation calls.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, ClassVar

from assistant.evidence.series import MetricSeries, Point, Reading, canonical_metric

__all__ = [
    "READERS", "Progress", "Reader", "Reading", "MetricSeries", "Point",
    "canonical_metric", "read_attachment", "reader_for", "register",
]

Progress = Callable[[int, int], None]  # (bytes done, bytes total)

KINDS = frozenset({
    "stdout_log", "trainer_state", "tensorboard", "wandb", "metrics_table", "axolotl_config",
    "deepspeed_config", "traceback", "probe_report", "other", "unknown",
})


class Reader:
    """One attachment format.

    name:              registry name (``assistant readers list`` prints it)
    kind:              the Reading kind it produces (one of ``KINDS``)
    max_bytes:         larger files are refused before reading (config formats; None = any size)
    binary:            sniffed before the text check, because its files are not text
    reads_directories: sniffed with the directory path (and an empty head) instead of files
    """

    name: ClassVar[str]
    kind: ClassVar[str]
    max_bytes: ClassVar[int | None] = None
    binary: ClassVar[bool] = False
    reads_directories: ClassVar[bool] = False

    def sniff(self, head: bytes, path: Path) -> bool:
        """True when ``head`` (the first 64 KiB) is this format."""
        raise NotImplementedError

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        """Read the whole attachment; raise InputError when nothing can be read."""
        raise NotImplementedError


READERS: list[type[Reader]] = []


def register(cls: type[Reader]) -> type[Reader]:
    """Class decorator: append a reader to the registry (registration order = sniff order)."""
    if cls.kind not in KINDS:
        raise ValueError(f"reader {cls.__name__}: unknown kind {cls.kind!r}")
    if any(r.name == cls.name for r in READERS):
        raise ValueError(f"reader name {cls.name!r} registered twice")
    READERS.append(cls)
    return cls


# Registration order is sniff order: binary and specific formats first, any-text last.
from assistant.evidence import (  # noqa: E402,F401  (imported for their @register)
    tensorboard_events,
    probe_report,
    trainer_state,
    deepspeed_config,
    metrics_table,
    nvidia_smi,
    package_list,
    tool_config,
    axolotl_config,
    hf_args,
    command_line,
    traceback_paste,
    stdout_log,
    wandb_run,
)
from assistant.evidence._dispatch import read_attachment, reader_for  # noqa: E402
