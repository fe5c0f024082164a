"""Training console output (axolotl, HF Trainer, TRL, ms-swift, LLaMA-Factory, Unsloth, verl, OpenRLHF, nanoGPT).

Any text that no more specific reader claimed is read as a console log: the scan
finds metric dict lines, other trainers' metric lines, progress bars, training
banners, error signatures and exception lines wherever they are, and says so when
it found none. The log's head is also read for the arguments and the launch command
it printed (``_headconfig``); those beat the banner's figures for the same key.
"""
from __future__ import annotations

from pathlib import Path

from assistant.evidence import Progress, Reader, register
from assistant.evidence._headconfig import head_config_facts
from assistant.evidence._logscan import CHUNK_SIZE, scan_file
from assistant.evidence.series import Reading

__all__ = ["StdoutLogReader"]


@register
class StdoutLogReader(Reader):
    name = "stdout_log"
    kind = "stdout_log"

    def __init__(self, chunk_size: int = CHUNK_SIZE) -> None:
        self.chunk_size = chunk_size

    def sniff(self, head: bytes, path: Path) -> bool:
        # A pretty-printed JSON document (`{` alone on the first line) is not a console log.
        first = head.lstrip()[:2]
        return not (first[:1] in (b"{", b"[") and first[1:2] in (b"\n", b"\r", b"", b" "))

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        reading = Reading(str(path), self.kind)
        scan_file(path, reading, path.name, progress, self.chunk_size)
        config = head_config_facts(path, reading.warnings)
        if config:
            names = {f.name for f in config}
            reading.facts = [f for f in reading.facts if f.name not in names] + config
        if not reading.facts and not reading.series:
            reading.warnings.append(f"{path.name}: no training metrics, errors or known messages found")
        return reading
