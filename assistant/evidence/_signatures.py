"""Error and marker signatures (rules/signatures.yaml): loading and matching.

Signatures are data so that a new error string is a YAML edit, not a code change.
Each one is matched on its own (not as one big alternation): CPython's regex
engine runs a 40-way case-insensitive alternation at a few MB/s, while a
literal ``contains`` pre-check followed by one pattern costs next to nothing on
text that cannot match. The log scanner only hands over the text around metric
lines and progress bars, so this runs on a small fraction of a big log.

With a hundred and more signatures the literal pre-checks themselves are the cost on
text-heavy logs (a verl or NCCL_DEBUG=INFO log is nearly all text, and each literal
is a full pass at a few GB/s). So ``scan`` first folds the text (lower case, every
digit to ``0``: one C-level translate) and keeps each distinct folded line once: the
thousands of metric and INFO lines of such a log differ only in their numbers and
collapse to a few kilobytes, in which every literal (folded the same way, so a
literal in the text is always found there) is looked up once. Only the literals
found are then located in the real text, and a pattern runs from the line of the
first one, not from the start. An optional ``gate`` (a literal every ``contains``
literal of the signature holds, shared by a family: ``nccl``, ``flash``, ``memory``)
skips the family when absent.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

from assistant.datafile import load_yaml_file

from assistant.engine.facts import FACT_NAME_RE, Fact
from assistant.errors import RuleError
from assistant.evidence._text import source
from assistant.lazyre import LazyPattern, compile_errors
from assistant.paths import RULES_DIR

__all__ = ["Signature", "SignatureScan", "load_signatures", "SIGNATURES_FILE"]

SIGNATURES_FILE = RULES_DIR / "signatures.yaml"
_KEYS = {"fact", "pattern", "contains", "gate", "count", "case_sensitive"}
_SIZE_RE = re.compile(r"^([\d.]+)\s*([KMGT])i?B$", re.I)
# lower case and every digit as "0": folded literals are looked up in folded, de-duplicated lines
_FOLD = bytes(c + 32 if 65 <= c <= 90 else 48 if 48 <= c <= 57 else c for c in range(256))
_GIB = {"K": 1 / 1024**2, "M": 1 / 1024, "G": 1.0, "T": 1024.0}
MAX_MATCH_LINE = 4096  # bytes of a line a signature is matched on, where a chunk holds longer lines


@dataclass(frozen=True)
class Signature:
    """One compiled signature; ``contains`` holds lower-case literals (any of them must occur)."""

    fact: str
    regex: LazyPattern   # a bytes pattern, compiled the first time its literals are met
    contains: tuple[bytes, ...]
    count: bool
    gate: bytes | None = None  # a literal every one of ``contains`` holds: absent -> none of them is
    folded: tuple[bytes, ...] = field(init=False, repr=False, compare=False)  # ``contains`` through _FOLD
    folded_gate: bytes | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "folded", tuple(x.translate(_FOLD) for x in self.contains))
        object.__setattr__(self, "folded_gate", self.gate.translate(_FOLD) if self.gate else None)


@lru_cache(maxsize=4)
def load_signatures(path: Path = SIGNATURES_FILE) -> tuple[Signature, ...]:
    """Compile the signature file; every problem is reported at once as a RuleError."""
    try:
        entries = load_yaml_file(path)
    except (OSError, yaml.YAMLError) as e:
        raise RuleError([f"{path}: {e}"]) from e
    if not isinstance(entries, list):
        raise RuleError([f"{path}: expected a list of signatures"])
    problems: list[str] = []
    out: list[Signature] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, 1):
        where = f"{path}: signature {i}"
        if not isinstance(entry, dict) or not {"fact", "pattern"} <= entry.keys():
            problems.append(f"{where}: needs `fact` and `pattern`")
            continue
        unknown = set(entry) - _KEYS
        fact = str(entry["fact"])
        if unknown:
            problems.append(f"{where} ({fact}): unknown keys {sorted(unknown)}")
        if not fact.startswith(("error.", "log.")) or not FACT_NAME_RE.match(fact):
            problems.append(f"{where}: fact {fact!r} must be error.<name> or log.<name>")
        pattern = entry["pattern"]
        text = "|".join(pattern) if isinstance(pattern, list) else str(pattern)
        flags = re.M if entry.get("case_sensitive") else re.M | re.I
        # `.*` makes each match run to the end of its line: one match per line, so the
        # count is a count of lines. Compiled on first use: most never meet their literals.
        source_re = f"(?:{text}).*".encode()
        error = compile_errors([(source_re, flags)]).get((source_re, flags))
        if error is not None:
            problems.append(f"{where} ({fact}): bad pattern: {error}")
            continue
        regex = LazyPattern(source_re, None, flags)
        contains = entry.get("contains") or []
        contains = [contains] if isinstance(contains, str) else list(contains) if isinstance(contains, list) else [contains]
        if not all(isinstance(x, str) for x in contains):
            problems.append(f"{where} ({fact}): `contains` holds something not a string (quote a literal with ': ')")
            continue
        literals = [x.lower() for x in contains]
        if not literals or not all(literals):
            problems.append(f"{where} ({fact}): needs `contains` (the literal pre-check that keeps big logs fast)")
            continue
        gate = entry.get("gate")
        if gate is not None:
            gate = str(gate).lower()
            missing = [x for x in literals if gate not in x]
            if not gate or missing:
                problems.append(f"{where} ({fact}): gate {gate!r} is not in every `contains` literal: {missing}")
                continue
        if fact in seen:
            problems.append(f"{where}: fact {fact!r} already has a signature (one signature per fact)")
            continue
        seen.add(fact)
        out.append(Signature(fact, regex, tuple(x.encode() for x in literals), bool(entry.get("count")),
                             gate.encode() if gate else None))
    if problems:
        raise RuleError(problems)
    return tuple(out)


@dataclass
class _Hit:
    line: int
    text: str
    captures: dict[str, Any]
    count: int = 0


@dataclass
class SignatureScan:
    """Signature state for one file: the first hit of each signature and its count."""

    signatures: tuple[Signature, ...]
    hits: dict[str, _Hit] = field(default_factory=dict)

    def scan(self, text: bytes, locate: Callable[[int], tuple[int, str]]) -> None:
        """Match every signature in ``text``; ``locate(offset)`` gives (line number, line text)."""
        folded = text.translate(_FOLD)
        lines = set(folded.split(b"\n"))
        distinct = b"\n".join(lines)  # where the literals are looked up
        long_lines = max(map(len, lines)) > MAX_MATCH_LINE
        seen: dict[bytes, bool] = {}  # folded literal -> in ``distinct``
        where: dict[bytes, int] = {}  # literal -> first offset in ``text`` (-1: absent)
        lower = b""

        def found(lit: bytes) -> bool:
            hit = seen.get(lit)
            if hit is None:
                hit = seen[lit] = lit in distinct
            return hit

        for sig in self.signatures:
            if sig.folded_gate is not None and not found(sig.folded_gate):
                continue
            start = -1
            for lit, key in zip(sig.contains, sig.folded):
                if not found(key):
                    continue
                at = where.get(lit)
                if at is None:
                    lower = lower or text.lower()
                    at = where[lit] = lower.find(lit)
                if at >= 0 and (start < 0 or at < start):
                    start = at
            if start < 0:
                continue
            hit = self.hits.get(sig.fact)
            # every matching line holds a literal: nothing can match before the first one's line
            origin = text.rfind(b"\n", 0, start) + 1
            if long_lines:
                lower = lower or text.lower()
                matches = _bounded_matches(sig, text, lower, origin)
            else:
                matches = sig.regex.finditer(text, origin)
            for m in matches:
                if hit is None:
                    line, shown = locate(m.start())
                    hit = self.hits[sig.fact] = _Hit(line, shown, _captures(m))
                hit.count += 1

    def facts(self, name: str) -> list[Fact]:
        out = []
        for sig in self.signatures:
            hit = self.hits.get(sig.fact)
            if hit is None:
                continue
            value: dict[str, Any] = {"line": hit.text, "count": hit.count, **hit.captures}
            if sig.count:
                value["first_line"] = hit.line
            out.append(Fact(sig.fact, value, source(name, hit.line)))
        return out


def _bounded_matches(sig: Signature, text: bytes, lower: bytes, origin: int) -> Iterator[re.Match[bytes]]:
    """The signature's match on each line that holds one of its literals, looked for in a window of
    MAX_MATCH_LINE bytes around the literal: a pattern like `\\w*reward\\w*\\(` tries every start in
    a run of word characters, which on a 100 KB line is minutes of backtracking (found by fuzzing)."""
    first: dict[int, int] = {}  # line start -> where the first literal on it is
    for lit in sig.contains:
        at = lower.find(lit, origin)
        while at >= 0:
            line = text.rfind(b"\n", 0, at) + 1
            first[line] = min(at, first.get(line, at))
            end = text.find(b"\n", at)
            at = lower.find(lit, end) if end >= 0 else -1
    half = MAX_MATCH_LINE // 2
    for line, at in sorted(first.items()):
        end = text.find(b"\n", at)
        m = sig.regex.search(text, max(line, at - half), min(len(text) if end < 0 else end, at + half))
        if m is not None:
            yield m


def _captures(m: re.Match[bytes]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in m.groupdict().items():
        if raw is None:
            continue
        text = raw.decode("utf-8", "replace").strip()
        size = _SIZE_RE.match(text)
        if size and size.group(1).count(".") <= 1 and size.group(1) != ".":  # not `250.009.75 MiB` (fuzzing)
            out[f"{key}_gib"] = round(float(size.group(1)) * _GIB[size.group(2).upper()], 4)
            continue
        try:
            out[key] = float(text)
        except ValueError:
            out[key] = text
    return out
