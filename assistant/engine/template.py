"""Templates: evidence text rendered from the facts a rule matched.

``"reading {pump.pressure.value} at {pump.pressure.source}"`` and format specs
(``{tank.level:.1f}``) use Python's format syntax, but field lookup is replaced:
a field is a dotted fact name resolved like an expression name, never an
attribute or item of a Python object. A missing field renders as ``?``;
``{{`` and ``}}`` are literal braces.
"""
from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from typing import Any

from .expr import UNDEFINED, Lookup

__all__ = ["render", "render_meta", "template_fields", "MISSING_TEXT"]

MISSING_TEXT = "?"
_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]*")


def _parts(field: str) -> tuple[str, ...] | None:
    parts = tuple(field.split("."))
    return parts if all(_PART.fullmatch(p) for p in parts) else None


class _Formatter(string.Formatter):
    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        parts = _parts(field_name)
        return (UNDEFINED if parts is None else self._lookup(parts)), field_name

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        return value if value is UNDEFINED else super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> str:
        if value is UNDEFINED:
            return MISSING_TEXT
        try:
            return format(value, format_spec)
        except (TypeError, ValueError, OverflowError):  # OverflowError: an int past float range in `:.1f`
            try:
                return str(value)
            except ValueError:  # an int past Python's int -> str limit
                return "(a number too long to show)"


def render(template: str, lookup: Lookup) -> str:
    """The template with its fields filled in; a malformed template comes back as is."""
    try:
        return _Formatter(lookup).format(template)
    except (ValueError, IndexError, KeyError):
        return template


def render_meta(meta: Any, lookup: Lookup) -> Any:
    """Every string inside mappings and lists rendered; other values unchanged."""
    if isinstance(meta, str):
        return render(meta, lookup)
    if isinstance(meta, Mapping):
        return {k: render_meta(v, lookup) for k, v in meta.items()}
    if isinstance(meta, (list, tuple)):
        return [render_meta(v, lookup) for v in meta]
    return meta


def template_fields(template: str) -> list[tuple[str, ...]]:
    """The dotted names a template uses; ValueError when it is malformed."""
    out: list[tuple[str, ...]] = []
    for field in _fields(template, depth=0):
        parts = _parts(field)
        if parts is None:
            raise ValueError(f"template field {{{field}}} is not a fact name (escape a literal brace as {{{{ or }}}})")
        out.append(parts)
    return out


def _fields(template: str, depth: int) -> Iterator[str]:
    if depth > 1:
        raise ValueError("template format specs nested too deeply")
    for _, field, spec, conversion in string.Formatter().parse(template):
        if field is None:
            continue
        if conversion not in (None, "r", "s", "a"):
            raise ValueError(f"unknown conversion !{conversion}")
        yield field
        if spec:
            yield from _fields(spec, depth + 1)

