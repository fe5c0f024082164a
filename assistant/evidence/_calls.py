"""Config calls in Python text: ``GRPOConfig(learning_rate=5e-06, ...)`` in a script, and the ways
transformers prints its arguments, read as data and never run.

Three shapes occur:

* a call in a script (``args = SFTConfig(output_dir="out", learning_rate=LR)``): ``ast`` parses the
  file; keyword values that are literals are taken, names bound to a literal at module level
  (``LR = 2e-5``) and plain arithmetic over those are resolved, anything else is skipped;
* the ``__str__`` transformers logs (``TrainingArguments(\\n_n_gpu=1,\\nadafactor=False,\\n...)``): one
  ``key=value,`` per line, strings unquoted, enums as ``IntervalStrategy.STEPS`` or ``steps``;
* a dataclass ``repr`` on one line (``UnslothSFTConfig(output_dir='.', eval_strategy=<IntervalStrategy.STEPS:
  'steps'>, ...)``).

Text that is not valid Python (a log, a truncated paste) is cut into calls by bracket matching and
each value read with ``ast.literal_eval``; nothing is ever evaluated, imported or executed.
"""
from __future__ import annotations

import ast
import operator
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from assistant.evidence._config_names import CALL_KINDS
from assistant.evidence._translate import Setting, coerce_text

# Text parsed here is an attachment: the compiler's SyntaxWarnings about it (`1if`, `"\d"`) are no one's
# business, and must not be printed under the user's report.
_FILENAME = "<attachment>"
warnings.filterwarnings("ignore", category=SyntaxWarning, module=re.escape(_FILENAME))

__all__ = ["CallDump", "find_calls", "call_kind", "parse_python", "has_call", "CALL_HINT"]

MAX_CALL_CHARS = 200_000  # a config call longer than this is not one
MAX_VALUE_CHARS = 20_000
MAX_ARITHMETIC_DEPTH = 32  # `2 * LR / 4`: a few levels; a deeper expression is not a setting
# Cheap pre-check on bytes: could this text hold a config call at all?
CALL_HINT = re.compile(rb"(?:Arguments|Config|FastLanguageModel\.\w+|FastModel\.\w+)\s*\(")
# Literals every match of CALL_HINT holds (with its `(`): `bytes.find` runs at memory speed, the
# pattern at a few MB/s.
_CALL_WORDS = (b"Arguments", b"Config", b"FastLanguageModel.", b"FastModel.")


def has_call(head: bytes) -> bool:
    """``CALL_HINT.search(head) is not None``, run only when its `(` and one of its literals are there."""
    return b"(" in head and any(word in head for word in _CALL_WORDS) and CALL_HINT.search(head) is not None
_CALL = re.compile(r"(?<![\w.])((?:[A-Za-z_]\w*\.)?(?:\w*(?:Arguments|Config)|Fast\w*Model\.\w+))\s*\(")
# transformers' `__str__`: the call name ends its line and `key=value,` lines follow.
_PRINTED = re.compile(r"[ \t]*\r?\n[A-Za-z_]\w*=")
_PRINTED_END = re.compile(r"\n[ \t]*\)")
_KEYWORD = re.compile(r"\s*([A-Za-z_]\w*)\s*=(?!=)\s*(.*)\Z", re.S)
_ENUM_REPR = re.compile(r"<[A-Za-z_][\w.]*:\s*('[^']*'|\"[^\"]*\"|[-\w.]+)>")
_ENUM_STR = re.compile(r"[A-Z][A-Za-z]*\.([A-Z][A-Z0-9_]*)")
# The value ends at a non-space: a lazy value beside `\s*` would try every split of a run of spaces.
_CONSTANT = re.compile(r"^([A-Za-z_]\w*)\s*=\s*([^=\n#\s](?:[^\n#]*[^\n#\s])?)\s*(?:#.*)?$", re.M)
_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
}


@dataclass
class CallDump:
    """One config call: its name as written, the line it starts on, the settings read, the keys skipped."""

    name: str
    line: int
    end_line: int
    settings: list[Setting] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def kind(self) -> tuple[str | None, str]:
        return call_kind(self.name) or (None, "hf")


def call_kind(name: str) -> tuple[str | None, str] | None:
    """(run kind, tool layer) of a config call name; None for calls that are not config."""
    *owner, last = name.split(".")
    base = last[len("Unsloth"):] if last.startswith("Unsloth") and len(last) > len("Unsloth") else last
    if owner and f"{owner[-1]}.{base}" in CALL_KINDS:  # FastLanguageModel.from_pretrained
        return CALL_KINDS[f"{owner[-1]}.{base}"]
    return CALL_KINDS.get(base)  # GRPOConfig, trl.GRPOConfig, transformers.TrainingArguments


def find_calls(text: str) -> list[CallDump]:
    """Every config call in ``text``, in order; a script is parsed whole, anything else call by call.

    The last text's calls are kept: a file under the sniffing head is read whole by the sniff and
    again by the reader, and the dumps are only ever read (the list is a copy)."""
    global _last_calls
    if _last_calls is not None and _last_calls[0] == text:
        return list(_last_calls[1])
    tree = parse_python(text)
    if tree is not None:
        dumps = _from_tree(tree)
    else:
        constants = _constants_by_line(text)
        dumps = [dump for dump in _from_text(text, constants) if dump.settings or dump.skipped]
    _last_calls = (text, tuple(dumps))
    return list(dumps)


_last_calls: tuple[str, tuple[CallDump, ...]] | None = None


# -- valid Python --------------------------------------------------------------------------------

def parse_python(text: str) -> ast.Module | None:
    """The module ``text`` is, or None when it is not valid Python (only parsed, never compiled or run).
    The last text's tree is kept (the sniff asks twice, the reader once more; trees are only read)."""
    global _last_tree
    if _last_tree is not None and _last_tree[0] == text:
        return _last_tree[1]
    tree = None
    if "\x00" not in text:
        try:
            tree = ast.parse(text, filename=_FILENAME)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            pass
    _last_tree = (text, tree)
    return tree


_last_tree: tuple[str, ast.Module | None] | None = None


def _from_tree(tree: ast.Module) -> list[CallDump]:
    constants = _module_constants(tree)
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (name := _dotted(node.func)) and call_kind(name):
            dump = CallDump(name, node.lineno, node.end_lineno or node.lineno)
            for kw in node.keywords:
                if kw.arg is None:
                    continue
                ok, value = _value(kw.value, constants)
                if ok:
                    dump.settings.append(Setting(kw.arg, value, kw.value.lineno))
                else:
                    dump.skipped.append(kw.arg)
            calls.append(dump)
    return sorted(calls, key=lambda d: d.line)


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        owner = _dotted(node.value)
        return f"{owner}.{node.attr}" if owner else node.attr
    return None


def _module_constants(tree: ast.Module) -> dict[str, Any]:
    """Top-level ``NAME = <literal or arithmetic over earlier ones>``; a name bound twice keeps the last."""
    out: dict[str, Any] = {}
    for stmt in tree.body:
        target = value = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        if isinstance(target, ast.Name) and value is not None:
            ok, v = _value(value, out)
            if ok:
                out[target.id] = v
            else:
                out.pop(target.id, None)
    return out


def _value(node: ast.expr, constants: dict[str, Any], depth: int = 0) -> tuple[bool, Any]:
    """(True, value) for a literal, a known constant or arithmetic over them; (False, None) otherwise,
    and for arithmetic nested past MAX_ARITHMETIC_DEPTH (``0-- -- -- ...``: no one writes that)."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        pass
    else:
        return (True, value) if _printable(value) else (False, None)
    if isinstance(node, ast.Name) and node.id in constants:
        return True, constants[node.id]
    if depth >= MAX_ARITHMETIC_DEPTH:
        return False, None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        ok, v = _value(node.operand, constants, depth + 1)
        if ok and _is_number(v):
            return True, -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        (ok_a, a), (ok_b, b) = _value(node.left, constants, depth + 1), _value(node.right, constants, depth + 1)
        if ok_a and ok_b and _is_number(a) and _is_number(b):
            try:
                value = _OPS[type(node.op)](a, b)
            except (ZeroDivisionError, OverflowError):
                pass
            else:
                return (True, value) if _printable(value) else (False, None)
    return False, None


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# -- anything else: logs, pastes, printed reprs --------------------------------------------------

def _constants_by_line(text: str) -> dict[str, Any]:
    """``NAME = literal`` lines of a snippet that does not parse as a whole."""
    out: dict[str, Any] = {}
    for m in _CONSTANT.finditer(text):
        ok, value = _literal(m[2])
        if ok:
            out[m[1]] = value
    return out


def _from_text(text: str, constants: dict[str, Any]) -> Iterator[CallDump]:
    pos = 0
    while (m := _CALL.search(text, pos)) is not None:
        pos = m.end()
        if call_kind(m[1]) is None:
            continue
        printed = _PRINTED.match(text, m.end()) is not None
        end = _printed_end(text, m.end()) if printed else _closing(text, m.end())
        if end is None:
            end = min(len(text), m.end() + MAX_CALL_CHARS)  # a truncated paste: read what is there
        first = text.count("\n", 0, m.start()) + 1
        dump = CallDump(m[1], first, first + text.count("\n", m.start(), end + 1))
        body = _ENUM_REPR.sub(r"\1", text[m.end():end])  # `<IntervalStrategy.STEPS: 'steps'>` -> 'steps'
        parts = _lines(body) if printed else _top_level(body)
        for offset, part in parts:
            km = _KEYWORD.match(part)
            if km is None:
                continue
            line = dump.line + body.count("\n", 0, offset)
            ok, value = _literal(km[2], bare_strings=printed)
            if not ok and km[2].strip() in constants:
                ok, value = True, constants[km[2].strip()]
            if ok:
                dump.settings.append(Setting(km[1], value, line))
            else:
                dump.skipped.append(km[1])
        pos = max(pos, end)
        yield dump


def _printed_end(text: str, start: int) -> int | None:
    """End of transformers' printed ``__str__``: the line holding only `)`."""
    m = _PRINTED_END.search(text, start, min(len(text), start + MAX_CALL_CHARS))
    return m.start() + 1 if m is not None else None


# What the scan below stops at outside quotes: a quote opening, a bracket, a comma (the rest is skipped
# at regex speed). Inside a quote: its end, or the end of the line.
_MARK = re.compile(r"""['"()\[\]{},]""")
_QUOTE_END = {"'": re.compile(r"(?<!\\)'|\n"), '"': re.compile(r'(?<!\\)"|\n')}


def _unquoted(text: str, start: int, end: int, depth: int) -> Iterator[tuple[int, str, int]]:
    """(index, char, bracket depth after it) for every bracket and comma outside quotes in text[start:end].
    A quote never runs past its line (an apostrophe in an unquoted printed value must not swallow the rest)."""
    i = start
    while (m := _MARK.search(text, i, end)) is not None:
        i = m.start()
        c = text[i]
        if c == "'" or c == '"':
            close = _QUOTE_END[c].search(text, i + 1, end)
            if close is None:
                return
            i = close.end()
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        yield i, c, depth
        i += 1


def _closing(text: str, start: int) -> int | None:
    """Index of the `)` closing the call whose arguments start at ``start``; None when it never closes."""
    for i, c, depth in _unquoted(text, start, min(len(text), start + MAX_CALL_CHARS), 1):
        if depth == 0 and c in ")]}":
            return i
    return None


def _lines(body: str) -> Iterator[tuple[int, str]]:
    """The printed ``key=value,`` lines of transformers' ``__str__``."""
    offset = 0
    for raw in body.splitlines(keepends=True):
        yield offset, raw.strip().removesuffix(",")
        offset += len(raw)


def _top_level(body: str) -> Iterator[tuple[int, str]]:
    """``body`` cut at commas outside brackets and quotes (a one-line repr, or a call in a snippet)."""
    start = 0
    for i, c, depth in _unquoted(body, 0, len(body), 0):
        if c == "," and depth == 0:
            yield start, body[start:i].strip()
            start = i + 1
    yield start, body[start:].strip()


# The values most arguments have, which ``ast`` would parse to the same constant: a short decimal int (no
# leading zero, no `_`), a short float, a name constant, a quoted string without escapes or its quote.
_SIMPLE_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,15})", re.ASCII)
_SIMPLE_FLOAT = re.compile(r"-?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]{1,3})?", re.ASCII)
_SIMPLE_STRING = re.compile(r"'[^'\\\n\r\x00]*'|\"[^\"\\\n\r\x00]*\"")
_NAME_CONSTANTS = {"True": (True,), "False": (False,), "None": (None,)}


def _simple_literal(t: str) -> tuple[Any] | None:
    """``(value,)`` when ``t`` is a literal ``ast.literal_eval`` would give at once; None for anything else."""
    if len(t) > 40:
        return _SIMPLE_STRING.fullmatch(t) and (t[1:-1],)
    if _SIMPLE_INT.fullmatch(t):
        return (int(t),)
    if _SIMPLE_FLOAT.fullmatch(t):
        return (float(t),)
    if _SIMPLE_STRING.fullmatch(t):
        return (t[1:-1],)
    return _NAME_CONSTANTS.get(t)


_MAX_INT_BITS = 14_000  # about 4,200 decimal digits: within Python's int -> str limit, so the report can print it


def _printable(value: Any) -> bool:
    """No int in ``value`` too big to print in decimal (`0xfff...` is short in hex and ~1.2x longer in decimal)."""
    if isinstance(value, int):
        return value.bit_length() <= _MAX_INT_BITS
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(map(_printable, value))
    if isinstance(value, dict):
        return all(_printable(k) and _printable(v) for k, v in value.items())
    return True


def _literal(text: str, bare_strings: bool = False) -> tuple[bool, Any]:
    """(True, value) for a Python literal, an enum written `IntervalStrategy.STEPS` (-> "steps") or, in
    transformers' printed form whose strings carry no quotes, the bare text read as YAML would;
    (False, None) for anything else (a call, a name, an expression). Never evaluated."""
    t = text.strip()
    if not t or len(t) > MAX_VALUE_CHARS:
        return False, None
    simple = _simple_literal(t)
    if simple is not None:
        return True, simple[0]
    try:
        value = ast.literal_eval(ast.parse(t, filename=_FILENAME, mode="eval"))
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        pass
    else:
        return (True, value) if _printable(value) else (False, None)
    enum = _ENUM_STR.fullmatch(t)
    if enum is not None:
        return True, enum[1].lower()
    if bare_strings:
        return True, coerce_text(t)
    return False, None
