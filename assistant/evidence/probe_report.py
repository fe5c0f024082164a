"""A probe report: JSON written by the local probe (``{"probe_version": ..., ...}``).

The probe's schema belongs to the probe; this reader only turns every leaf into
``probe.<dotted key>`` so rules can test what the probe found.
"""
from __future__ import annotations

import re
from pathlib import Path

from assistant.engine.facts import Fact
from assistant.evidence import Progress, Reader, register
from assistant.evidence._input import CONFIG_LIMIT, read_text
from assistant.evidence._structured import flatten_json, load_json_object
from assistant.evidence.series import Reading

__all__ = ["ProbeReportReader"]

_SNIFF = re.compile(rb'"probe_version"\s*:')


@register
class ProbeReportReader(Reader):
    name = "probe_report"
    kind = "probe_report"
    max_bytes = CONFIG_LIMIT

    def sniff(self, head: bytes, path: Path) -> bool:
        return head.lstrip()[:1] == b"{" and bool(_SNIFF.search(head))

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        text = read_text(path, self.max_bytes)
        data = load_json_object(text, str(path))
        reading = Reading(str(path), self.kind)
        reading.facts.extend(Fact(key, value, "probe") for key, value, _ in flatten_json(data, text, "probe"))
        return reading
