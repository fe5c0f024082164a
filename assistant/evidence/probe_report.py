"""A probe report: JSON written by the local probe (``{"probe_version": ..., ...}``).

The probe's schema belongs to the probe; this reader only turns every leaf into
``probe.<dotted key>`` so rules can test what the probe found.
"""
from __future__ import annotations

import re
from pathlib import Path

from assistant.engine.facts import Fact
from assistant.evidence import Progress, Reader, register
from assistant.evidence._input import CONFIG_LIMIT
from assistant.evidence._structured import JsonObjectReader
from assistant.evidence.series import Reading

__all__ = ["ProbeReportReader"]


@register
class ProbeReportReader(JsonObjectReader, Reader):
    name = "probe_report"
    kind = "probe_report"
    max_bytes = CONFIG_LIMIT
    sniff_key = re.compile(rb'"probe_version"\s*:')
    fact_prefix = "probe"

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        _, _, leaves = self.load(path)
        reading = Reading(str(path), self.kind)
        reading.facts.extend(Fact(key, value, "probe") for key, value, _ in leaves)
        return reading
