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
    "canonical_metric", "read_attachment", "reader_for", "readers", "register",
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

    def whole_text(self, path: Path, progress: Progress | None = None) -> str:
        """A config-sized file's text (at most ``max_bytes``), read in one go and reported as such."""
        from assistant.evidence._input import read_text

        text = read_text(path, self.max_bytes)
        if progress is not None:
            progress(len(text), len(text))
        return text


_REGISTRY: list[type[Reader]] = []
_complete = False
_READER_MODULES = (  # registration order is sniff order: binary and specific formats first, any-text last
    "tensorboard_events", "probe_report", "trainer_state", "deepspeed_config", "metrics_table", "nvidia_smi",
    "package_list", "tool_config", "axolotl_config", "hf_args", "command_line", "assignments", "traceback_paste",
    "stdout_log", "wandb_run",
)


def register(cls: type[Reader]) -> type[Reader]:
    """Class decorator: append a reader to the registry (registration order = sniff order)."""
    if cls.kind not in KINDS:
        raise ValueError(f"reader {cls.__name__}: unknown kind {cls.kind!r}")
    if any(r.name == cls.name for r in _REGISTRY):
        raise ValueError(f"reader name {cls.name!r} registered twice")
    _REGISTRY.append(cls)
    return cls


def readers() -> list[type[Reader]]:
    """The registry, its reader modules imported on first use: a consultation without
    attachments (a bare question) then never pays for the fourteen readers' imports."""
    global _complete
    if not _complete:
        import importlib

        for name in _READER_MODULES:
            importlib.import_module(f"assistant.evidence.{name}")   # each registers itself
        # A reader module imported on its own earlier (a bench, a test) registered out of turn.
        rank = {name: i for i, name in enumerate(_READER_MODULES)}
        _REGISTRY.sort(key=lambda cls: rank.get(cls.__module__.rsplit(".", 1)[-1], len(rank)))
        _complete = True
    return _REGISTRY


def __getattr__(name: str) -> object:
    if name == "READERS":   # the registry, complete
        return readers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


from assistant.evidence._dispatch import read_attachment, reader_for  # noqa: E402
