"""Consultations that live across turns (a Slack thread, an API id), and their attachments on disk.

Every front end of the bots goes through here, so the limits hold in one place:
consultations expire after a TTL and can be deleted; at most ``max_consultations``
live at once (least recently used goes first); uploads are capped per file and per
consultation, and all of them sit under one directory whose total size is bounded
(the oldest files are evicted first; a consultation keeps what it already read).
"""
from __future__ import annotations

import hashlib
import re
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable

from assistant.bots.settings import BotSettings
from assistant.consult import Consultation, parse_answer
from assistant.engine import Fact
from assistant.errors import InputError
from assistant.evidence._input import size_text
from assistant.report import InputSummary, Report
from assistant.rulebase import Askable, load_vocabulary

__all__ = ["ConsultationStore", "Session", "TooLarge", "asked", "safe_filename"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class TooLarge(InputError):
    """An upload over the attachment limit (HTTP answers 413 rather than 422); ``size`` when known."""

    def __init__(self, name: str, limit: int, size: int | None = None) -> None:
        got = f"{size_text(size)}; " if size is not None else ""
        super().__init__(name, f"too large ({got}the limit is {size_text(limit)}); "
                               "attach the part of the log around the failure")


def safe_filename(name: str) -> str:
    """A user's file name reduced to something that cannot escape a folder or confuse a shell."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).lstrip(".")[-100:]
    return base or "attachment"


@dataclass
class Session:
    """One consultation and what the front end remembers about it between turns.

    ``lock`` serialises turns (callers hold it around a change and the report that
    follows): two messages in one thread must not run the consultation at the same
    time. ``meta`` is front-end state (the API's owner token, whether Slack probed).
    The report is cached until the consultation changes.
    """

    key: str
    folder: Path
    consultation: Consultation = field(default_factory=Consultation)
    created: float = field(default_factory=time.time)
    touched: float = field(default_factory=time.time)
    lock: threading.RLock = field(default_factory=threading.RLock)
    meta: dict[str, Any] = field(default_factory=dict)
    _report: Report | None = field(default=None, init=False, repr=False)

    def add_words(self, text: str) -> None:
        """Later messages add words: the phrase table reads the whole conversation."""
        text = text.strip()
        if text:
            c = self.consultation
            c.question = f"{c.question}\n{text}" if c.question else text
            self._report = None

    def add_facts(self, facts: list[Fact]) -> None:
        """Facts from elsewhere than attachments (an operator-enabled probe of the bot's host)."""
        self.consultation.extra_facts.extend(facts)
        self._report = None

    def answer(self, fact: str, value: str) -> str:
        """Record an answer to a follow-up question; ValueError (one line) when it is not one we ask."""
        name, value = parse_answer(f"{fact}={value}")
        ask = asked(name)
        if ask is None:
            hint = load_vocabulary().suggest(name)
            raise ValueError(f"{name}: not a question I ask" + (f" (did you mean {hint}?)" if hint else ""))
        if ask.choices and value not in ask.choices:
            raise ValueError(f"{name}={value}: expected one of {'|'.join(ask.choices)}")
        self.consultation.answer(name, value)
        self._report = None
        return name

    def read(self, path: Path, name: str) -> list[InputSummary]:
        """Read a stored attachment; InputError names the file as the user called it."""
        try:
            readings = self.consultation.attach(path)
        except InputError as e:
            raise InputError(name, e.problem) from None
        self._report = None
        inputs = self.report().inputs
        return inputs[len(inputs) - len(readings):]

    def report(self) -> Report:
        """The current report, with stored paths shown as the names the user gave."""
        if self._report is None:
            report = self.consultation.run()
            self.consultation.engine = None  # kept for HOW/WHY, which bots do not offer: ~1.3 MB a consultation
            report.inputs = [replace(i, path=self._public(i.path)) for i in report.inputs]
            report.warnings = [self._public(w) for w in report.warnings]
            self._report = report
        return self._report

    def runs(self) -> int:
        """How many attachments brought metric series (a run to chart)."""
        return sum(1 for r in self.consultation.readings if r.series)

    def _public(self, text: str) -> str:
        return re.sub(re.escape(str(self.folder)) + r"/\d+/", "", text)


def asked(fact: str) -> Askable | None:
    """The follow-up question behind ``fact`` (``answer.`` optional), or None when there is none."""
    return load_vocabulary().askable.get(fact if fact.startswith("answer.") else f"answer.{fact}")


class ConsultationStore:
    """Live consultations by key, and their attachments under ``settings.storage_dir``."""

    def __init__(self, settings: BotSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.root = Path(settings.storage_dir)
        self.root.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()  # least recently touched first
        self._lock = threading.Lock()
        self._remove_stale_folders()

    # --- consultations ---------------------------------------------------------------------

    def create(self) -> Session:
        """A new consultation under a random id (the API's)."""
        return self.get_or_create(secrets.token_hex(16))

    def get_or_create(self, key: str) -> Session:
        """The consultation under ``key`` (a Slack thread), started if there is none; one step, so two
        messages arriving together in a new thread share one consultation."""
        return self._open(key, create=True)  # type: ignore[return-value]

    def get(self, key: str) -> Session | None:
        """The live consultation under ``key`` (touched), or None when unknown, expired or deleted."""
        return self._open(key, create=False)

    def _open(self, key: str, create: bool) -> Session | None:
        now = self._clock()
        with self._lock:
            dropped = self._expire(now)
            session = self._sessions.get(key)
            if session is not None:
                session.touched = now
                self._sessions.move_to_end(key)
            elif create:
                session = Session(key=key, folder=self.root / hashlib.sha256(key.encode()).hexdigest()[:32],
                                  created=now, touched=now)
                self._sessions[key] = session
                while len(self._sessions) > self.settings.max_consultations:
                    dropped.append(self._sessions.popitem(last=False)[1])
        for s in dropped:
            self._discard(s)
        return session

    def delete(self, key: str) -> bool:
        """Forget a consultation and remove its attachments; False when there was none."""
        with self._lock:
            session = self._sessions.pop(key, None)
        if session is None:
            return False
        self._discard(session)
        return True

    def __len__(self) -> int:
        return len(self._sessions)

    def _expire(self, now: float) -> list[Session]:
        """Pop sessions untouched for longer than the TTL (the dict is ordered by touch time)."""
        gone = []
        ttl = self.settings.consultation_ttl_s
        while self._sessions:
            key, oldest = next(iter(self._sessions.items()))
            if now - oldest.touched <= ttl:
                break
            gone.append(self._sessions.pop(key))
        return gone

    def _discard(self, session: Session) -> None:
        with session.lock:
            shutil.rmtree(session.folder, ignore_errors=True)

    def _remove_stale_folders(self) -> None:
        """Folders left by an earlier process are removed once they are older than the TTL."""
        cutoff = self._clock() - self.settings.consultation_ttl_s
        for folder in self.root.iterdir():
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)

    # --- attachments -----------------------------------------------------------------------

    def attach(self, session: Session, name: str, chunks: Iterable[bytes]) -> list[InputSummary]:
        """Store an upload and read it into the consultation.

        Returns the input summaries of what was read. Raises InputError with the
        CLI's one-line ``name: problem`` (too large, binary, empty, hostile YAML...);
        an upload that cannot be read is not kept.
        """
        name = safe_filename(name)
        with session.lock:
            count = len(session.consultation.attachments)
            if count >= self.settings.max_attachments:
                raise InputError(name, f"this consultation already has {count} attachments "
                                       f"(limit {self.settings.max_attachments}); start a new one")
            path = session.folder / f"{count:02d}" / name
            self._write(path, name, chunks)
            try:
                inputs = session.read(path, name)
            except InputError:
                shutil.rmtree(path.parent, ignore_errors=True)
                raise
        self._make_room(keep=path)
        return inputs

    def _write(self, path: Path, name: str, chunks: Iterable[bytes]) -> None:
        limit = self.settings.attachment_max_bytes
        path.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        try:
            with open(path, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        break
                    out.write(chunk)
        except BaseException:  # a download that broke off leaves nothing behind
            shutil.rmtree(path.parent, ignore_errors=True)
            raise
        if size > limit:
            shutil.rmtree(path.parent, ignore_errors=True)
            raise TooLarge(name, limit)

    def _make_room(self, keep: Path) -> None:
        """Evict the oldest stored files until the total is within ``storage_max_bytes``."""
        with self._lock:
            files = []
            for p in self.root.rglob("*"):
                try:
                    st = p.stat()
                except OSError:  # removed meanwhile by a delete or another process sharing the folder
                    continue
                if p.is_file():
                    files.append((st.st_mtime, st.st_size, p))
            total = sum(size for _, size, _ in files)
            for _, size, path in sorted(files, key=lambda f: f[0]):
                if total <= self.settings.storage_max_bytes:
                    break
                if path != keep:
                    path.unlink(missing_ok=True)
                    total -= size
