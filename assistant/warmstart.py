"""Start-up work kept across processes: compiled regexes and dataclass methods, read from one file.

A one-shot `ask` compiles some 250 regular expressions (the readers', the words tables', PyYAML's,
the standard library's) and creates some 55 dataclasses, each of whose methods `dataclasses`
writes as source text and compiles: together ~90 ms of a run that should take well under a third
of a second. Neither result changes between runs of one interpreter:

- a compiled pattern is a list of ints that `_sre.compile` turns into a Pattern in microseconds
  (`re._compiler` spends the time in parsing and code generation, in pure Python);
- a dataclass method is compiled from source text that depends only on the class's fields.

So the entry points (`ask`, `assistant`) call `install()` first. It reads the marshal file of
their path from the cache directory, puts a Pattern for each cached pattern into `re`'s own cache (where
`re.compile` finds it: ours, PyYAML's and the standard library's calls alike), and gives
`dataclasses` an `exec` that takes the code object compiled from the same source text instead
of compiling it again. At exit, what this process compiled and the file lacks is added, when
there are `MIN_NEW` or more (a new path was taken) and up to `MAX_ENTRIES` of each kind, so
patterns built anew by every process (tokenize's, from a set whose order follows the hash seed)
neither rewrite the file every time nor grow it without end.

Both are specific to the interpreter: the file is keyed by `sys.version` and `_sre.MAGIC`, and
ignored (then rewritten) when they differ; `_sre.compile` validates the code it is given. Anything
unexpected (another Python's internals, an unreadable file, a read-only cache directory) leaves
`re` and `dataclasses` working exactly as they do without it: the cache only ever saves time.
"""
from __future__ import annotations

import atexit
import marshal
import os
import re
import sys
from typing import Any

__all__ = ["install", "save", "MAX_ENTRIES", "MIN_NEW"]

MAX_ENTRIES = 1000   # patterns per file (and 2x as many dataclass methods)
MIN_NEW = 8
_VERSION = "2"
_state: dict[str, Any] = {}


def _file() -> str:
    from assistant.paths import cache_dir

    profile = _state.get("profile", "cli")
    return os.path.join(str(cache_dir()), f"warmstart-{profile}-{sys.implementation.cache_tag}.marshal")


def _re_usable() -> bool:
    return (sys.implementation.name == "cpython" and isinstance(getattr(re, "_cache", None), dict)
            and hasattr(re, "_compiler"))


def _header() -> tuple:
    import _sre

    return (_VERSION, sys.version, _sre.MAGIC, _sre.CODESIZE)


def _load() -> tuple[list, dict]:
    """(pattern entries, {source text: code}) from the file; empty when it is missing or another
    interpreter's."""
    try:
        with open(_file(), "rb") as fh:
            header, patterns, codes = marshal.loads(fh.read())
        if header == _header() and isinstance(patterns, list) and isinstance(codes, dict):
            return patterns, codes
    except Exception:
        pass
    return [], {}


def install(profile: str = "cli") -> None:
    """Seed `re`'s cache and `dataclasses`' compiled methods from the file; write back at exit.
    Once per process. `profile` names the path taken (`ask`, `chat`, ...): each has its own file,
    so a one-shot `ask` does not load the chat's hundreds of Textual patterns."""
    if _state or sys.implementation.name != "cpython":
        return
    _state["profile"] = profile if profile.isidentifier() else "cli"
    patterns, codes = _load()
    _state["seeded"] = set()
    _state["codes"] = codes
    _state["new_codes"] = {}
    if _re_usable():
        try:
            import _sre

            seeded, cache = _state["seeded"], re._cache  # type: ignore[attr-defined]
            for kind, pattern, flags, final_flags, code, groups, groupindex, indexgroup in patterns:
                key = (str if kind == "s" else bytes, pattern, flags)
                if key not in cache:
                    cache[key] = _sre.compile(pattern, final_flags, code, groups, groupindex, indexgroup)
                seeded.add(key)
            _state["recorded"] = {}
            _state["compile"] = original = re._compiler.compile  # type: ignore[attr-defined]

            def compile_recording(p: Any, flags: int = 0) -> Any:
                return _compile_recording(original, p, flags)

            re._compiler.compile = compile_recording  # type: ignore[attr-defined]
        except Exception:   # another Python's `re`: compile as usual
            pass
    try:
        import dataclasses

        if "exec" not in vars(dataclasses):
            dataclasses.exec = _exec  # type: ignore[attr-defined]
    except Exception:
        pass
    atexit.register(save)


def _exec(source: Any, globals: Any = None, locals: Any = None) -> None:
    """`exec` for `dataclasses`: the code object compiled from this source text before, if any.
    `dont_inherit`: compiled as `exec` compiles the text inside `dataclasses` (no future flags)."""
    if isinstance(source, str):
        code = _state["codes"].get(source)
        if code is None:
            code = compile(source, "<string>", "exec", dont_inherit=True)
            _state["new_codes"][source] = code
        source = code
    exec(source, globals, locals)


def _compile_recording(original: Any, p: Any, flags: int) -> Any:
    """`re._compiler.compile`, keeping what it hands `_sre.compile` for the file (one compile, not
    two at exit). A parsed pattern (re.Scanner), a debug compile or anything unexpected goes to
    the original, which raises the same errors."""
    if not isinstance(p, (str, bytes)) or not isinstance(flags, int) or flags & re.DEBUG:
        return original(p, flags)
    try:
        import _sre

        entry = _pattern_entry((type(p), p, flags))
    except Exception:
        return original(p, flags)
    _state["recorded"][(type(p), p, flags)] = entry
    return _sre.compile(*entry[1:2], *entry[3:])


def _pattern_entry(key: tuple) -> tuple | None:
    """What `re._compiler.compile` hands `_sre.compile` for this cache key (recomputed: a Pattern
    does not expose its code)."""
    kind, pattern, flags = key
    if kind not in (str, bytes) or not isinstance(flags, int) or flags & re.DEBUG:
        return None
    compiler = re._compiler  # type: ignore[attr-defined]
    parsed = compiler._parser.parse(pattern, flags)
    code = compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup = [None] * parsed.state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    return ("s" if kind is str else "b", pattern, flags, int(flags | parsed.state.flags), list(map(int, code)),
            int(parsed.state.groups) - 1, groupindex, tuple(indexgroup))


def save() -> None:
    """Add what this process compiled to the file (registered to run at exit; a long-lived
    process, the chat, also calls it once started, as a terminal closing ends it without exit
    handlers)."""
    if "seeded" not in _state:
        return
    seeded: set = _state["seeded"]
    new_patterns = [k for k in list(getattr(re, "_cache", {})) if k not in seeded] if _re_usable() else []
    if len(seeded) >= MAX_ENTRIES:
        new_patterns = []
    new_codes: dict = _state["new_codes"]
    if len(new_patterns) < MIN_NEW and len(new_codes) < MIN_NEW:
        return
    path = _file()
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        patterns, codes = _load()   # another process may have added to it meanwhile
        have = {(e[0], e[1], e[2]) for e in patterns}
        for key in new_patterns:
            if len(patterns) >= MAX_ENTRIES:
                break
            if ("s" if key[0] is str else "b", key[1], key[2]) in have:
                continue
            entry = _state.get("recorded", {}).get(key)
            if entry is None:   # compiled before install()
                try:
                    entry = _pattern_entry(key)
                except Exception:
                    entry = None
            if entry is not None:
                patterns.append(entry)
        for source, code in new_codes.items():
            if len(codes) >= 2 * MAX_ENTRIES:
                break
            codes.setdefault(source, code)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as fh:
            marshal.dump((_header(), patterns, codes), fh)
        os.replace(tmp, path)
        seeded.update(new_patterns)   # written: a later save (at exit) does not write them again
        _state["codes"].update(new_codes)
        new_codes.clear()
    except Exception:   # read-only cache directory, full disk: the next run compiles again
        pass
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
