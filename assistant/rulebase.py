"""The project's rulebase: rules/*.yaml checked against the fact vocabulary,
the diagnosis catalog and the knowledge anchors, compiled once and cached.

Compiling YAML with line marks costs far more than a one-shot `ask` can spend,
so the compiled RuleBase is pickled under the cache directory, keyed by a hash
of every rules file; any edit rebuilds it.
"""
from __future__ import annotations

import difflib
import fnmatch
import gc
import hashlib
import pickle
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.datafile import load_yaml_file

from assistant import __version__
from assistant.engine import RuleBase
from assistant.errors import RuleError
from assistant.knowledge import sections_by_anchor
from assistant.paths import RULES_DIR, cache_dir

__all__ = ["Catalog", "Askable", "Vocabulary", "DATA_FILES", "rule_files", "load_catalog", "load_vocabulary",
           "load_project_rulebase", "check_anchors"]

# Files in rules/ that hold data for other parts, not rules.
DATA_FILES = {"diagnoses.yaml", "facts.yaml", "phrases.yaml", "signatures.yaml", "ranges.yaml", "claims.yaml", "gpus.yaml",
              "meanings.yaml"}


@dataclass(frozen=True)
class Askable:
    fact: str
    text: str
    choices: tuple[str, ...] | None
    known_from: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    families: tuple[str, ...]
    names: frozenset[str]
    askable: dict[str, Askable]
    setup: tuple[str, ...] = ()
    failure: tuple[str, ...] = ()

    def describes_setup(self, name: str) -> bool:
        """A fact about how the run is set up or what it logged, not about something going wrong."""
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.setup)

    def shows_failure(self, name: str) -> bool:
        """A fact that shows the run failing outright (exception, NaN, OOM, killed)."""
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.failure)

    def knows(self, name: str) -> bool:
        return name in self.names or name in self.askable or any(fnmatch.fnmatchcase(name, f) for f in self.families)

    def suggest(self, name: str) -> str | None:
        hits = difflib.get_close_matches(name, list(self.names) + list(self.askable), n=1)
        return hits[0] if hits else None


@dataclass(frozen=True)
class Catalog:
    entries: dict[str, dict[str, Any]]

    def title(self, diag_id: str) -> str:
        return self.entries.get(diag_id, {}).get("title", diag_id.replace("_", " "))

    def severity(self, diag_id: str) -> str:
        return self.entries.get(diag_id, {}).get("severity", "warning")


def rule_files(root: Path = RULES_DIR) -> list[Path]:
    return sorted(p for p in root.glob("*.yaml") if p.name not in DATA_FILES)


@lru_cache(maxsize=2)
def load_catalog(root: Path = RULES_DIR) -> Catalog:
    data = load_yaml_file(root / "diagnoses.yaml")
    return Catalog(dict(data["diagnoses"]))


@lru_cache(maxsize=2)
def load_vocabulary(root: Path = RULES_DIR) -> Vocabulary:
    data = load_yaml_file(root / "facts.yaml")
    askable = {
        name: Askable(name, spec["text"], tuple(spec["choices"]) if spec.get("choices") else None,
                      tuple(spec.get("known_from") or ()))
        for name, spec in (data.get("askable") or {}).items()
    }
    return Vocabulary(tuple((data.get("families") or {}).keys()), frozenset((data.get("facts") or {}).keys()), askable,
                      tuple(data.get("setup") or ()), tuple(data.get("failure") or ()))


def _digest(root: Path, files: list[Path]) -> str:
    """Hash of the engine version and every file the compiled rulebase depends on."""
    h = hashlib.sha256(__version__.encode())
    for f in files + [root / "facts.yaml", root / "diagnoses.yaml"]:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:24]


_LOADED: dict[tuple[Path, str], RuleBase] = {}   # digest -> rulebase, for processes that consult many times


def load_project_rulebase(root: Path = RULES_DIR, use_cache: bool = True) -> RuleBase:
    """Load and validate every rules file; the compiled result is cached on disk, and kept in
    memory for the next consultation of this process (a server, the chat) while the files
    are unchanged."""
    files = rule_files(root)
    digest = _digest(root, files)
    if use_cache and (root, digest) in _LOADED:
        return _LOADED[(root, digest)]
    cache = cache_dir() / f"rulebase-{digest}.pickle"
    if use_cache and cache.exists():
        try:
            with cache.open("rb") as fh:
                rb = _unpickle(fh.read())
            _LOADED[(root, digest)] = rb
            return rb
        except Exception:  # a stale or corrupt cache is rebuilt, never fatal
            pass
    from assistant.engine import load_rulebase  # the YAML loader: only when compiling

    vocab = load_vocabulary(root)
    catalog = load_catalog(root)
    rb = load_rulebase(files, known_fact=vocab.knows, known_conclusions=set(catalog.entries),
                       fact_names=vocab.names | set(vocab.askable), require_examples=True)
    problems = check_anchors(rb)
    if problems:
        raise RuleError(problems)
    if use_cache:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                pickle.dump(rb, fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(cache)
            _drop_stale(cache)
        except Exception:  # read-only home: run without the cache
            pass
        _LOADED[(root, digest)] = rb
    return rb


def _unpickle(data: bytes) -> RuleBase:
    """The cached rulebase: some hundred thousand objects that all live on. With the collector on, their
    creation would set off collections that walk them again and again (a third of the load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)
    finally:
        if enabled:
            gc.enable()


KEEP_CACHED = 3   # compiled rulebases kept on disk: the newest few (rules being edited leave one per edit)


def _drop_stale(current: Path) -> None:
    """Remove all but the KEEP_CACHED newest compiled rulebases beside ``current``."""
    cached = sorted(current.parent.glob("rulebase-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in cached[KEEP_CACHED:]:
        if old != current:
            old.unlink(missing_ok=True)


def check_anchors(rb: RuleBase) -> list[str]:
    """Every `guide:` anchor a rule cites must be a section of knowledge/."""
    known = sections_by_anchor()
    problems = []
    for rule in rb.rules:
        for anchor in (rule.meta or {}).get("guide", []) or []:
            if anchor not in known:
                hint = difflib.get_close_matches(anchor, list(known), n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                problems.append(f"{rule.location}: rule {rule.id} cites unknown guide section '{anchor}'{extra}")
    return problems
