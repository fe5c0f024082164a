"""Structured configs (YAML, JSON): safe loading and flattening into fact names.

YAML is first walked as a stream of parser events (libyaml's parser keeps its own
stack, so it cannot overflow the C stack): nesting past ``MAX_YAML_DEPTH`` is
refused there, before the recursive composer sees it (100,000 nested flow
brackets would crash the process). It is then composed into nodes and inspected
before any value is built: an alias bomb (a few lines that expand to billions of
nodes), a ``!!python/...`` tag or an integer past Python's digit limit is refused
while it is still a small node graph. Values are then built by ``SafeConstructor``,
which knows only plain YAML types, so nothing in a file is ever constructed or
executed. JSON gets the same bounds: its nesting is measured before the decoder
recurses, and an integer longer than ``MAX_DIGITS`` is refused as it is met.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import re
from itertools import accumulate
from pathlib import Path
from typing import Any, Iterator

import yaml

from assistant.errors import InputError
from assistant.evidence._input import read_text

__all__ = ["BadValue", "MAX_DIGITS", "MAX_JSON_DEPTH", "TooDeep", "check_json_depth", "compose_yaml", "construct", "fact_key", "plain", "flatten_json",
           "json_loads", "json_decoder", "load_json_object"]

MAX_YAML_NODES = 200_000  # expanded size; real configs are a few hundred nodes
MAX_YAML_WRITTEN = 50_000  # nodes as written (a W&B config.yaml holds a few thousand); composing costs ~7 us each
MAX_YAML_DEPTH = 100
MAX_JSON_DEPTH = 100
MAX_DIGITS = 4300  # Python's int <-> str conversion limit (sys.get_int_max_str_digits)
# YAML 1.1 also writes ints in hex, octal, binary and base 60: fewer characters than decimal digits, so they
# are held shorter (4,000 hex digits would print as 4,800 decimal ones and fail in the JSON report)
MAX_OTHER_BASE = 1000
_DECIMAL = re.compile(r"[-+]?[0-9_]+")
_INT_TAG = "tag:yaml.org,2002:int"
_SAFE_TAGS = {f"tag:yaml.org,2002:{t}" for t in
              ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge", "value", "binary",
               "omap", "pairs", "set")}
_KEY_RE = re.compile(r"[^a-z0-9_]+")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose_yaml(text: str, path: str) -> yaml.Node | None:
    """The document's node graph, checked for deep nesting, unsafe tags, huge numbers and alias bombs."""
    _check_depth(text, path)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as e:
        raise InputError(path, _yaml_problem(e)) from None
    finally:
        loader.dispose()
    if node is not None:
        _check(node, path)
    return node


def _yaml_problem(e: yaml.YAMLError) -> str:
    mark = getattr(e, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark is not None else ""
    problem = getattr(e, "problem", None) or "syntax error"
    return f"not valid YAML ({problem}{where})"


# Event class -> its step in nesting depth; 0 ends the stream (PyYAML's event classes are not subclassed).
_YAML_DEPTH_STEP = {yaml.MappingStartEvent: 1, yaml.SequenceStartEvent: 1, yaml.MappingEndEvent: -1,
                    yaml.SequenceEndEvent: -1, yaml.StreamEndEvent: 0}


def _check_depth(text: str, path: str) -> None:
    """Refuse nesting past MAX_YAML_DEPTH, and more than MAX_YAML_WRITTEN nodes, from the parser's
    events, which need no recursion (and cost a tenth of composing)."""
    loader = _Loader(text)
    depth = nodes = 0
    get_event, step_of = loader.get_event, _YAML_DEPTH_STEP.get
    try:
        while (event := get_event()) is not None:
            nodes += 1
            if nodes > MAX_YAML_WRITTEN:
                raise InputError(path, f"YAML with more than {MAX_YAML_WRITTEN} values; not a config someone wrote")
            step = step_of(type(event))
            if step is None:  # a scalar, an alias, a document or stream start
                continue
            if step > 0:
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise InputError(path, f"YAML nested deeper than {MAX_YAML_DEPTH} levels "
                                           f"(line {event.start_mark.line + 1})")
            elif step < 0:
                depth -= 1
            else:
                break
    except yaml.YAMLError as e:
        raise InputError(path, _yaml_problem(e)) from None
    finally:
        loader.dispose()


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
            raise InputError(path, f"unsafe YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')[:100]}; "
                                   "refusing to construct it")
        if node.tag == _INT_TAG and len(node.value) > (MAX_DIGITS if _DECIMAL.fullmatch(node.value) else MAX_OTHER_BASE):
            raise InputError(path, f"a number of {len(node.value)} characters at line {node.start_mark.line + 1}; "
                                   "not a config someone wrote")
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


class BadValue(ValueError):
    """A node no plain value can be built from (`!!int abc`, `!!seq` on a scalar, a date of month 13); the
    readers turn it into their InputError."""


def construct(node: yaml.Node, constructor: yaml.constructor.SafeConstructor | None = None) -> Any:
    """Plain Python value of a checked node (lists become tuples later, in Fact); BadValue when it has none.
    One ``constructor`` for a whole document builds each node once (it keeps what it built)."""
    try:
        return plain((constructor or yaml.constructor.SafeConstructor()).construct_object(node, deep=True))
    except (yaml.YAMLError, ValueError, TypeError, KeyError, OverflowError) as e:
        problem = getattr(e, "problem", None) or str(e)
        raise BadValue(f"bad YAML value at line {node.start_mark.line + 1} ({problem[:120]})") from None


def plain(value: Any) -> Any:
    """Values a Fact can hold and JSON can print: dates become ISO strings, bytes are dropped, and
    infinities and NaN (`.inf`, `1e999`, JSON's bare NaN in a config) stay text: `inf`, `-inf`, `nan`."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
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


class TooDeep(ValueError):
    """JSON past a bound (nesting, digits); the readers turn it into their InputError."""


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise TooDeep(f"a number with more than {MAX_DIGITS} digits")
    return int(text)


class _Decoder(json.JSONDecoder):
    """The C decoder checks its recursion (RecursionError, never a crash); that becomes TooDeep too, for
    text the bracket count misjudged (a stray quote makes it count brackets as string content)."""

    def raw_decode(self, s: str, idx: int = 0) -> tuple[Any, int]:
        try:
            return super().raw_decode(s, idx)
        except RecursionError:
            raise TooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None


_DECODER = _Decoder(parse_int=_bounded_int)
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_decoder() -> json.JSONDecoder:
    """The bounded decoder (for ``raw_decode`` of a truncated file; call ``check_json_depth`` first)."""
    return _DECODER


def check_json_depth(text: str) -> None:
    """TooDeep when brackets outside strings nest past MAX_JSON_DEPTH; measured without recursion."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return
    brackets = _BRACKET.findall(_JSON_STRING.sub("", text))
    if brackets and max(accumulate(map(_DEPTH_STEP.__getitem__, brackets))) > MAX_JSON_DEPTH:
        raise TooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")


def json_loads(text: str) -> Any:
    """``json.loads`` with bounds: TooDeep past the nesting or digit limits, JSONDecodeError when invalid."""
    check_json_depth(text)
    return _DECODER.decode(text)


def load_json_object(text: str, path: str) -> dict[str, Any]:
    """A JSON object (bare NaN/Infinity allowed), or InputError."""
    try:
        data = json_loads(text)
    except json.JSONDecodeError as e:
        raise InputError(path, f"not valid JSON ({e.msg} at line {e.lineno})") from None
    except TooDeep as e:
        raise InputError(path, str(e)) from None
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
