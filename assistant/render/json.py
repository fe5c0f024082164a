"""Report -> the JSON object `ask --json` prints (shared/spec/report.schema.json)."""
from __future__ import annotations

import json
import math
from typing import Any

from assistant.redact import redact
from assistant.report import Report

__all__ = ["render_json"]


def render_json(report: Report) -> str:
    return redact(json.dumps(_finite(report.to_dict()), indent=2, ensure_ascii=False, default=str, allow_nan=False))


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity; a value that is one (a user who wrote `loss 1e999`) is printed as text."""
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
