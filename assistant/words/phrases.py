"""Named symptoms in the user's words, from the phrase table in rules/phrases.yaml.

People write "loss went to nan", "Loss becomes NaN at step 200", "los goes nan",
"train/loss is inf". Patterns catch phrasings; keyword groups catch the rest,
matching words fuzzily so typos still land, with metric names split into words.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from assistant.datafile import load_yaml_file

from assistant.engine.facts import Fact
from assistant.lazyre import LazyPattern, literal_needs
from assistant.paths import RULES_DIR

__all__ = ["Phrase", "context_facts", "load_phrases", "phrase_facts", "normalise"]

_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class Phrase:
    fact: str
    patterns: tuple[LazyPattern, ...] = ()
    keywords: tuple[tuple[str, ...], ...] = ()
    unless: tuple[LazyPattern, ...] = ()
    requires: tuple[str, ...] = ()
    window: int = 8
    context: bool = False  # words about the setup, not a symptom


@dataclass
class _Text:
    norm: str
    tokens: list[str] = field(default_factory=list)


# CJK next to ASCII letters/digits ("训练时loss变成nan", "V100显卡fp16"): a space between them, so word
# boundaries in the patterns see the English words Chinese questions carry.
_CJK_ASCII = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff])(?=[a-z0-9])|(?<=[a-z0-9])(?=[\u3400-\u9fff\uf900-\ufaff])")


def normalise(text: str) -> str:
    return _CJK_ASCII.sub(" ", _WS.sub(" ", text.lower())).strip()


def _tokens(norm: str) -> list[str]:
    # "train/loss" and "eval_loss" become separate words; "grad_norm" also as "gradnorm".
    out: list[str] = []
    for raw in re.split(r"[\s]+", norm):
        parts = _TOKEN.findall(raw.replace("_", " ").replace("/", " ").replace("-", " "))
        out.extend(parts)
        joined = "".join(parts)
        if len(parts) > 1 and joined:
            out.append(joined)
    return out


@lru_cache(maxsize=4096)
def _close(word: str, keyword: str) -> bool:
    if word == keyword:
        return True
    if len(keyword) < 4 or not word or word[0] != keyword[0]:
        return False
    # Short words need a closer match: "steps" must not pass for "stops".
    need = 0.85 if len(keyword) <= 5 else 0.8
    return difflib.SequenceMatcher(None, word, keyword).ratio() >= need


def _keywords_hit(groups: tuple[tuple[str, ...], ...], text: _Text, window: int) -> bool:
    positions: list[list[int]] = []
    for group in groups:
        hits = [i for i, tok in enumerate(text.tokens) for kw in group if " " not in kw and _close(tok, kw)]
        hits += [len(text.tokens)] if any(" " in kw and kw in text.norm for kw in group) else []
        if not hits:
            return False
        positions.append(hits)
    if len(positions) == 1:
        return True
    return any(all(any(abs(p - anchor) <= window for p in other) for other in positions[1:]) for anchor in positions[0])


@lru_cache(maxsize=2)
def load_phrases(path: Path = RULES_DIR / "phrases.yaml") -> tuple[Phrase, ...]:
    """The phrase table. Its ~500 regexes are compiled only when a question holds a literal
    they need (`LazyPattern`): compiling them all cost a tenth of a second per `ask`."""
    data = load_yaml_file(path) or {}
    entries = data.get("phrases", [])
    literals = literal_needs(p for e in entries for p in [*e.get("patterns", []), *e.get("unless", [])])
    out = []
    for entry in entries:
        out.append(Phrase(
            fact=entry["fact"],
            patterns=tuple(LazyPattern(p, literals[p]) for p in entry.get("patterns", [])),
            keywords=tuple(tuple(k.lower() for k in group) for group in entry.get("keywords", [])),
            unless=tuple(LazyPattern(p, literals[p]) for p in entry.get("unless", [])),
            requires=tuple(entry.get("requires", [])),
            window=int(entry.get("window", 8)),
            context=bool(entry.get("context", False)),
        ))
    return tuple(out)


def context_facts() -> frozenset[str]:
    """Names of the phrase facts that describe the setup rather than a symptom."""
    return frozenset(ph.fact for ph in load_phrases() if ph.context)


def phrase_facts(question: str, phrases: tuple[Phrase, ...] | None = None) -> list[Fact]:
    """Symptom facts named in the question, each with the words that matched."""
    if phrases is None:   # the words layer reads one question several times (kind, context, symptoms)
        return list(_table_facts(question))
    return _phrase_facts(question, phrases)


@lru_cache(maxsize=64)
def _table_facts(question: str) -> tuple[Fact, ...]:
    return tuple(_phrase_facts(question, load_phrases()))


def _phrase_facts(question: str, phrases: tuple[Phrase, ...]) -> list[Fact]:
    if not question.strip():
        return []
    text = _Text(normalise(question))
    text.tokens = _tokens(text.norm)
    found: dict[str, str] = {}
    for ph in phrases:
        if any(u.search(text.norm) for u in ph.unless):
            continue
        m = next((p.search(text.norm) for p in ph.patterns if p.search(text.norm)), None)
        if m is not None:
            found.setdefault(ph.fact, m.group(0))
        elif ph.keywords and _keywords_hit(ph.keywords, text, ph.window):
            found.setdefault(ph.fact, " / ".join(g[0] for g in ph.keywords))
    by_fact = {ph.fact: ph for ph in phrases}
    kept = {f: w for f, w in found.items() if all(r in found for r in by_fact[f].requires)}
    return [Fact(name, {"words": words}, source="question") for name, words in kept.items()]
