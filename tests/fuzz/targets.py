"""What is fuzzed: one target per reader in ``READERS``, the user's words, and the whole consultation.

Seeds are the real files in the repo (examples/, tests/cases, tests/data, tests/fuzz/seeds) and
../shared (cases, axolotl examples, trainer states); each file is a seed of the reader that
claims it today. A reader target feeds mutated seeds through ``read_attachment``, the one entry
point, so the dispatcher and whichever reader claims the mutant are exercised as users reach
them. A reader's only allowed failure is ``InputError`` with a one-line message; the words
and the consultation may not fail at all.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from random import Random
from typing import Callable

from tests.fuzz.mutate import mutate

__all__ = ["ROOT", "SHARED", "Target", "budget_s", "check_error", "load_seed_bytes", "seed_bytes", "targets"]

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SEED_ROOTS = (ROOT / "examples", ROOT / "tests/cases", ROOT / "tests/data", ROOT / "tests/fuzz/seeds",
              SHARED / "cases", SHARED / "data/axolotl-examples", SHARED / "data/trainer-states")
MAX_SEED = 1024 * 1024  # a bigger real file is cut: mutants of it would cost the others their time
QUESTION_NAMES = ("question.txt",)
WORDS_MAX = 64 * 1024  # a question this long is already a pasted log

# Time budget per input, in CPU seconds: a fixed part plus a part proportional to size. 1 s per MiB
# is far below every reader's normal rate, so only a pathological input goes over. The words pay
# for the semantic matcher, which embeds every clause (~7 KB/s): 1 s per 4 KiB for them.
BUDGET_BASE_S = {"consult": 3.0}
BUDGET_DEFAULT_BASE_S = 1.0
BUDGET_S_PER_MIB = {"words": 256.0, "consult": 256.0}
BUDGET_DEFAULT_S_PER_MIB = 1.0


def budget_s(target: str, size: int) -> float:
    """CPU seconds one input of ``size`` bytes may take."""
    per_mib = BUDGET_S_PER_MIB.get(target, BUDGET_DEFAULT_S_PER_MIB)
    return BUDGET_BASE_S.get(target, BUDGET_DEFAULT_BASE_S) + size / (1024 * 1024) * per_mib


@dataclass
class Target:
    """One fuzz target: its seeds and how to run one input (a file, a run folder, or text)."""

    name: str
    kind: str  # "file" | "dir" | "text" | "consult" (a question and an attachment, in a folder)
    seeds: list[Path] = field(default_factory=list)
    run: Callable[[Path], object] = lambda path: None
    warm: Callable[[], object] = lambda: None  # one-off costs (the embedder's weights), paid before the first input

    def make_input(self, rnd: Random, work: Path, partners: list[Path]) -> tuple[Path, int, bool]:
        """Write one mutant under ``work``; returns its path, its size in bytes and whether it is a big
        one (made from a whole seed, see mutate.BIG_SHARE)."""
        seed = rnd.choice(self.seeds)
        other = seed_bytes(rnd.choice(partners)) if partners and rnd.random() < 0.05 else b""
        if self.kind == "dir":
            return _mutant_run_folder(seed, rnd, work, other)
        data = mutate(seed_bytes(seed), rnd, other)
        if self.kind == "file":
            path = work / _plain_name(seed)
            _write(path, data)
            return path, len(data), data.big
        if self.kind == "text":
            _write(work / "question.txt", data[:WORDS_MAX])
            return work / "question.txt", min(len(data), WORDS_MAX), data.big
        folder = work / "consult"  # the question, and a mutant of any reader's seed beside it
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        _write(folder / "question.txt", data[:WORDS_MAX])
        attachment = rnd.choice(partners)
        attached = mutate(seed_bytes(attachment), rnd)
        _write(folder / ("attachment-" + _plain_name(attachment)), attached)
        return folder, min(len(data), WORDS_MAX) + len(attached), data.big or attached.big


_SEED_BYTES: dict[Path, bytes] = {}


def seed_bytes(path: Path) -> bytes:
    """A seed file's first MAX_SEED bytes, read once per process (all of them: under a megabyte)."""
    data = _SEED_BYTES.get(path)
    if data is None:
        with open(path, "rb") as f:
            data = _SEED_BYTES[path] = f.read(MAX_SEED)
    return data


def load_seed_bytes() -> None:
    """Every seed read now (before the workers fork: they share the pages)."""
    for path in _seed_files():
        seed_bytes(path)


def _write(path: Path, data: bytes) -> None:
    """One open, one write, one close (the input file is truncated in place)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _plain_name(seed: Path) -> str:
    """The seed's name (readers go by content, but a directory scan and messages use the name)."""
    return seed.name if seed.name.isascii() and len(seed.name) < 100 else "input.txt"


_FOLDERS: dict[Path, tuple[Path, dict[Path, bytes], list[Path]]] = {}  # work/"run" -> (seed, files, changed)


def _mutant_run_folder(seed: Path, rnd: Random, work: Path, other: bytes) -> tuple[Path, int, bool]:
    """A copy of a W&B run folder with one of its files mutated (or removed). The copy is made once
    per seed; the file the last input changed is put back before the next is changed."""
    dest = work / "run"
    copied = _FOLDERS.get(dest)
    if copied is None or copied[0] != seed or not dest.is_dir():
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(seed, dest)
        files = {p: p.read_bytes() for p in sorted(dest.rglob("*")) if p.is_file()}
        copied = _FOLDERS[dest] = (seed, files, [])
    _, files, changed = copied
    for path in changed:
        _write(path, files[path])
    victim = rnd.choice(sorted(files))
    changed[:] = [victim]
    if rnd.random() < 0.05:
        victim.unlink()
        return dest, sum(map(len, files.values())) - len(files[victim]), False
    data = mutate(files[victim][:MAX_SEED], rnd, other)
    _write(victim, data)
    return dest, sum(map(len, files.values())) - len(files[victim]) + len(data), data.big


def check_error(error: BaseException) -> str | None:
    """What is wrong with an error a reader raised; None when it is the one allowed kind."""
    from assistant.errors import InputError

    if not isinstance(error, InputError):
        return f"{type(error).__name__}: {str(error)[:300]}"
    text = str(error)
    if "\n" in text or len(text) > 1000:
        return f"InputError not one short line ({len(text)} chars): {text[:300]!r}"
    return None


def _read(path: Path) -> str | None:
    """The attachment as ``ask -a`` reads it; warnings must be one line each."""
    from assistant.evidence import read_attachment

    readings = read_attachment(path)
    for r in readings:
        for w in r.warnings:
            if not isinstance(w, str) or "\n" in w:
                raise AssertionError(f"warning not one line: {w!r}"[:300])
    return readings[0].kind if readings else None


def _words(path: Path) -> None:
    from assistant.words import facts_from_words

    text = _question(path)
    facts_from_words(text, "grpo" if len(text) % 3 == 0 else "unknown")


# A question only the embedder reads (no keyword, no claim): loads its weights and tokenizer.
_SEMANTIC_QUESTION = "the curves never budge no matter what I try"


def _warm_embedder() -> None:
    """The words' tables (phrases, claims, quantities) and the embedder, loaded before the first input."""
    from assistant.words import facts_from_words
    from assistant.words.semantic import semantic_facts

    facts_from_words(_SEMANTIC_QUESTION + ". the loss is 2.5 at step 100 on 8 A100 GPUs with a 7B model", "grpo")
    semantic_facts(_SEMANTIC_QUESTION)


def _consult(folder: Path) -> None:
    """The whole consultation on a question and one attachment; a bad attachment may be refused
    (InputError), and the question alone must then still be answered."""
    from assistant.consult import consult
    from assistant.errors import InputError
    from assistant.render.json import render_json

    question = _question(folder / "question.txt")
    attachments = [p for p in folder.iterdir() if p.name.startswith("attachment-")]
    try:
        report = consult(question, attachments)
    except InputError:
        report = consult(question)
    render_json(report)


def _question(path: Path) -> str:
    """The mutant as a question: UTF-8 with replacement, or (like argv) with lone surrogates kept."""
    data = path.read_bytes()
    return data.decode("utf-8", "surrogateescape" if len(data) % 2 else "replace")


@lru_cache(maxsize=1)
def _seed_files() -> tuple[Path, ...]:
    """Every real file under the seed roots; cases still being filed (tests/cases/_incoming) move away."""
    out = []
    for root in SEED_ROOTS:
        if root.is_dir():
            out.extend(sorted(p for p in root.rglob("*") if p.is_file() and p.stat().st_size > 0
                              and ".wandb" not in p.suffix and "_incoming" not in p.parts))
    return tuple(out)


def _run_folders() -> list[Path]:
    return sorted({p.parent.parent for p in _seed_files() if p.name == "output.log" and p.parent.name == "files"})


@lru_cache(maxsize=1)
def targets() -> dict[str, Target]:
    """Every target with its seeds; a reader with no seed today gets none (and is reported as such)."""
    from assistant.evidence import READERS, reader_for
    from assistant.evidence._input import read_head

    out = {cls.name: Target(cls.name, "dir" if cls.reads_directories else "file", run=_read) for cls in READERS}
    questions: list[Path] = []
    folders = _run_folders()
    for path in _seed_files():
        if path.name in QUESTION_NAMES:
            questions.append(path)
            continue
        if any(f in path.parents for f in folders):
            continue
        reader = reader_for(read_head(path), path)
        if reader is not None:
            out[reader.name].seeds.append(path)
    for cls in READERS:
        if cls.reads_directories:
            out[cls.name].seeds = folders
    out["words"] = Target("words", "text", questions, _words, _warm_embedder)
    out["consult"] = Target("consult", "consult", questions, _consult, _warm_embedder)
    return out


def all_seed_files() -> list[Path]:
    """Every seed file (splice partners)."""
    return list(_seed_files())
