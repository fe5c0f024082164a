"""Regexes of the data tables, compiled only when a text could match them.

The words tables (rules/phrases.yaml, claims.yaml) hold some 600 patterns; compiling
them all costs ~0.1 s of every one-shot `ask`, while a question matches a handful.
`LazyPattern` compiles on first use, and before that checks a prefilter: literals of
which the pattern needs at least one (`needs("loss (is|was) nan")` -> ("loss ",)). A
text holding none of them cannot match, so the pattern is neither compiled nor run.

Finding the literals means parsing the pattern, which is most of compiling it, so
they are computed once and kept in a small marshal file in the cache directory, keyed
by the pattern text (`literal_needs`).
"""
from __future__ import annotations

import marshal
import os
import re
from typing import Any, Iterable, Iterator

from assistant.paths import cache_dir

__all__ = ["LazyPattern", "needs", "literal_needs", "compile_errors"]

_CACHE_VERSION = "2"
_MIN_LITERAL = 2   # shorter literals filter too little to be worth a check
_known: dict[str, tuple[str, ...] | None] | None = None


def _parse(pattern: str) -> Any:
    try:
        from re import _parser as parser  # type: ignore[attr-defined]  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_parse as parser  # type: ignore[no-redef]
    return parser.parse(pattern)


def _required(seq: Any, c: Any) -> frozenset[str] | None:
    """A set of literals one of which every match of this sequence contains, or None."""
    best: frozenset[str] | None = None

    def consider(cand: frozenset[str] | None) -> None:
        nonlocal best
        if cand and all(len(s) >= _MIN_LITERAL for s in cand):
            if best is None or min(map(len, cand)) > min(map(len, best)) or \
                    (min(map(len, cand)) == min(map(len, best)) and len(cand) < len(best)):
                best = cand

    run: list[str] = []
    for op, av in seq:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        consider(frozenset(["".join(run)]) if run else None)
        run = []
        if op is c.SUBPATTERN:
            _group, add_flags, _del_flags, sub = av
            if not add_flags & c.SRE_FLAG_IGNORECASE:
                consider(_required(sub, c))
        elif op is c.BRANCH:
            alts = [_required(branch, c) for branch in av[1]]
            if all(alts):
                consider(frozenset().union(*alts))   # type: ignore[arg-type]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)) and av[0] >= 1:
            consider(_required(av[2], c))
        elif op is getattr(c, "ATOMIC_GROUP", None):
            consider(_required(av, c))
    consider(frozenset(["".join(run)]) if run else None)
    return best


def needs(pattern: str, flags: int = 0) -> tuple[str, ...] | None:
    """Literals of which every match of `pattern` contains one (sorted), or None when there is
    no such set worth checking (case-insensitive patterns, classes and wildcards only)."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_constants as c  # type: ignore[no-redef]
    if flags & re.IGNORECASE:
        return None
    try:
        parsed = _parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & c.SRE_FLAG_IGNORECASE:
        return None
    found = _required(parsed, c)
    return tuple(sorted(found)) if found else None


def _cache_path() -> Any:
    return cache_dir() / f"regex-literals-v{_CACHE_VERSION}.marshal"


def _cache() -> dict[Any, Any]:
    """pattern -> its literals, and (pattern, flags) -> True for patterns known to compile."""
    global _known
    if _known is None:
        try:
            loaded = marshal.loads(_cache_path().read_bytes())
            _known = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError, EOFError, TypeError):
            _known = {}
    return _known


def _save() -> None:
    path = _cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.urandom(4).hex()}.tmp")
        tmp.write_bytes(marshal.dumps(_cache()))
        os.replace(tmp, path)
    except (OSError, ValueError):   # a read-only cache: the work is redone next time
        pass


def literal_needs(patterns: Iterable[str]) -> dict[str, tuple[str, ...] | None]:
    """`needs` of each pattern, from the on-disk cache (patterns met for the first time are
    parsed now and added to it)."""
    known = _cache()
    out, added = {}, False
    for p in patterns:
        if p not in known:
            known[p] = needs(p)
            added = True
        out[p] = known[p]
    if added:
        _save()
    return out


def compile_errors(patterns: Iterable[tuple[str | bytes, int]]) -> dict[tuple[str | bytes, int], str]:
    """The compile error of each (pattern, flags) that does not compile. Patterns that compiled
    once are remembered (in the same cache), so a table can be checked without compiling it
    again in every process; its patterns then compile on first use (`LazyPattern`)."""
    known = _cache()
    errors, added = {}, False
    for pattern, flags in patterns:
        mark = ("ok", pattern, int(flags))   # plain types only: the cache is marshalled
        if known.get(mark) is True:
            continue
        try:
            re.compile(pattern, flags)
        except re.error as e:
            errors[(pattern, flags)] = str(e)
            continue
        known[mark] = True
        added = True
    if added:
        _save()
    return errors


class LazyPattern:
    """A `re.Pattern` stand-in: compiled on first use, skipped while the text lacks its literals."""

    __slots__ = ("pattern", "flags", "literals", "_compiled")

    def __init__(self, pattern: Any, literals: tuple[Any, ...] | None = None, flags: int = 0) -> None:
        self.pattern, self.flags, self.literals = pattern, flags, literals
        self._compiled: re.Pattern[Any] | None = None

    @property
    def compiled(self) -> re.Pattern[Any]:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
        return self._compiled

    def possible(self, text: Any) -> bool:
        """False when the text cannot match (it holds none of the literals)."""
        return self.literals is None or any(s in text for s in self.literals)

    def search(self, text: Any, *args: int) -> re.Match[Any] | None:
        return self.compiled.search(text, *args) if self.possible(text) else None

    def match(self, text: Any, *args: int) -> re.Match[Any] | None:
        return self.compiled.match(text, *args) if self.possible(text) else None

    def fullmatch(self, text: Any, *args: int) -> re.Match[Any] | None:
        return self.compiled.fullmatch(text, *args) if self.possible(text) else None

    def finditer(self, text: Any, *args: int) -> Iterator[re.Match[Any]]:
        return self.compiled.finditer(text, *args) if self.possible(text) else iter(())

    def findall(self, text: Any, *args: int) -> list[Any]:
        return self.compiled.findall(text, *args) if self.possible(text) else []

    def sub(self, repl: Any, text: Any, count: int = 0) -> Any:
        return self.compiled.sub(repl, text, count) if self.possible(text) else text

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r})"
