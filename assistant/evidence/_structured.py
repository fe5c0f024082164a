"""Structured configs (YAML, JSON): safe loading and flattening into fact names.

YAML is composed into nodes with the safe loader and inspected before any value
is built: an alias bomb (a few lines that expand to billions of nodes) or a
``!!python/...`` tag is refused while it is still a small node graph. Values are
then built by ``SafeConstructor``, which knows only plain YAML types, so nothing
in a file is ever constructed or executed.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from pathlib import Path
from typing import Any, Iterator

import yaml

from assistant.errors import InputError
from assistant.evidence._input import read_text

__all__ = ["compose_yaml", "construct", "fact_key", "plain", "flatten_json", "load_json_object"]

MAX_YAML_NODES = 200_000  # expanded size; real configs are a few hundred nodes
MAX_YAML_DEPTH = 100
_SAFE_TAGS = {f"tag:yaml.org,2002:{t}" for t in
              ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge", "value", "binary",
               "omap", "pairs", "set")}
_KEY_RE = re.compile(r"[^a-z0-9_]+")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose_yaml(text: str, path: str) -> yaml.Node | None:
    """The document's node graph, checked for unsafe tags and alias bombs."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or "syntax error"
        raise InputError(path, f"not valid YAML ({problem}{where})") from None
    finally:
        loader.dispose()
    if node is not None:
        _check(node, path)
    return node


def _check(root: yaml.Node, path: str) -> None:
    """Refuse unknown tags, recursive aliases, deep nesting and huge alias expansion."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise InputError(path, "recursive YAML alias; refusing to expand it")
        if depth > MAX_YAML_DEPTH:
            raise InputError(path, f"YAML nested deeper than {MAX_YAML_DEPTH} levels")
        if node.tag not in _SAFE_TAGS:
            raise InputError(path, f"unsafe YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')}; "
                                   "refusing to construct it")
        active.add(key)
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(v, depth + 1) for v in node.value)
        else:
            total = 1
        active.discard(key)
        if total > MAX_YAML_NODES:
            raise InputError(path, f"YAML aliases expand to more than {MAX_YAML_NODES} nodes (an alias bomb?); "
                                   "refusing to expand it")
        sizes[key] = total
        return total

    size(root, 0)


def construct(node: yaml.Node) -> Any:
    """Plain Python value of a checked node (lists become tuples later, in Fact)."""
    return plain(yaml.constructor.SafeConstructor().construct_object(node, deep=True))


def plain(value: Any) -> Any:
    """Values a Fact can hold and JSON can print: dates become ISO strings, bytes are dropped."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items() if not isinstance(v, bytes)}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value if not isinstance(v, bytes)]
    return value


def fact_key(key: Any) -> str:
    """A config key as a fact-name segment: lower case, runs of other characters -> `_`."""
    return _KEY_RE.sub("_", str(key).strip().lower()).strip("_")


def load_json_object(text: str, path: str) -> dict[str, Any]:
    """A JSON object (bare NaN/Infinity allowed), or InputError."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(path, f"not valid JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(data, dict):
        raise InputError(path, "expected a JSON object")
    return data


def flatten_json(data: dict[str, Any], text: str, prefix: str = "") -> Iterator[tuple[str, Any, int]]:
    """(dotted key, leaf value, line) for every leaf; lines found by a cursor through ``text``.

    json.loads keeps document order, so searching each key's `"name":` from where
    the previous one was found gives its line without a position-aware parser.
    """
    cursor = [0]

    def walk(obj: dict[str, Any], pre: str) -> Iterator[tuple[str, Any, int]]:
        for k, v in obj.items():
            name = fact_key(k)
            if not name:
                continue
            at = text.find(json.dumps(str(k)), cursor[0])
            line = text.count("\n", 0, at) + 1 if at != -1 else 0
            if at != -1:
                cursor[0] = at + 1
            dotted = f"{pre}.{name}" if pre else name
            if isinstance(v, dict):
                yield from walk(v, dotted)
            else:
                yield dotted, plain(v), line

    yield from walk(data, prefix)


class JsonObjectReader:
    """Mixin for readers of one JSON object recognised by a key near its top.

    Subclasses set ``sniff_key`` (a compiled bytes regex) and ``fact_prefix``, and turn
    the flattened leaves into facts in ``facts_from``; sniffing, the size cap and
    parsing stay in one place.
    """

    sniff_key: re.Pattern[bytes]
    fact_prefix: str
    max_bytes: int

    def sniff(self, head: bytes, path: Path) -> bool:
        return head.lstrip()[:1] == b"{" and bool(self.sniff_key.search(head))

    def load(self, path: Path) -> tuple[str, dict[str, Any], Iterator[tuple[str, Any, int]]]:
        """The text, the object, and its leaves as (fact name, value, line)."""
        text = read_text(path, self.max_bytes)
        data = load_json_object(text, str(path))
        return text, data, flatten_json(data, text, self.fact_prefix)
