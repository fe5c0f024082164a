"""Report -> the JSON object `ask --json` prints (shared/spec/report.schema.json)."""
from __future__ import annotations

import json

from assistant.redact import redact
from assistant.report import Report

__all__ = ["render_json"]


def render_json(report: Report) -> str:
    return redact(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str, allow_nan=False))
