"""Consultations that live across turns (a Slack thread, an API id), and their attachments on disk.

Every front end of the bots goes through here, so the limits hold in one place:
consultations expire after a TTL and can be deleted; at most ``max_consultations``
live at once (least recently used goes first); uploads are capped per file and per
consultation, and all of them sit under one directory whose total size is bounded
(the oldest files are evicted first; a consultation keeps what it already read).

What a consultation was told lives in the state file (``assistant.bots.state``): each
change is written there before it counts, as words, an answer, an attachment's stored
copy or a probe's facts, and a process rebuilds a consultation by replaying that log.
So a restart loses nothing acknowledged, and two server processes on one state file
serve the same consultations: before each turn a process replays what the other added.
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
from assistant.bots.state import Item, Row, StateDB
from assistant.consult import Consultation, parse_answer
from assistant.engine import Fact
from assistant.engine.facts import thaw
from assistant.errors import InputError
from assistant.evidence import read_attachment
from assistant.evidence._input import size_text
from assistant.evidence.series import Reading
from assistant.report import InputSummary, Report
from assistant.rulebase import Askable, load_vocabulary

__all__ = ["ConsultationStore", "Gone", "Session", "TooLarge", "asked", "checked_answer", "safe_filename"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_ITEMS = 1000  # words, answers and attachments one consultation may hold
ROOM_RECOUNT_S = 10.0  # the stored files are counted at least this often while uploads come in
STALE_FOLDER_S = 3600  # an attachment folder no consultation owns, older than this, was left by a crash


class Gone(InputError):
    """The consultation expired, was forgotten (by this or another process) or is full."""


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

    ``lock`` serialises turns in this process (callers hold it around a change and the
    report that follows); the state file orders changes between processes. Every change
    goes to the state file first and is then applied here, after what other processes
    added meanwhile (``sync``), so this copy is always a replay of the stored log up to
    ``applied``. ``meta`` is front-end state (the API's owner, whether Slack probed).
    The report is cached until the consultation changes.
    """

    key: str
    folder: Path
    store: "ConsultationStore" = field(repr=False)
    consultation: Consultation = field(default_factory=Consultation)
    created: float = field(default_factory=time.time)
    touched: float = field(default_factory=time.time)
    lock: threading.RLock = field(default_factory=threading.RLock)
    meta: dict[str, Any] = field(default_factory=dict)
    applied: int = 0
    _report: Report | None = field(default=None, init=False, repr=False)

    def add_words(self, text: str) -> None:
        """Later messages add words: the phrase table reads the whole conversation."""
        text = text.strip()
        if text:
            self._commit("words", text, lambda: self._words(text))

    def add_facts(self, facts: list[Fact]) -> None:
        """Facts from elsewhere than attachments (an operator-enabled probe of the bot's host)."""
        data = [{"name": f.name, "value": thaw(f.value), "source": f.source, "cf": f.cf} for f in facts]
        self._commit("facts", data, lambda: self.consultation.extra_facts.extend(facts))

    def answer(self, fact: str, value: str) -> str:
        """Record an answer to a follow-up question; ValueError (one line) when it is not one we ask."""
        name, value = checked_answer(fact, value)
        self._commit("answer", {"fact": name, "value": value}, lambda: self.consultation.answer(name, value))
        return name

    def read(self, path: Path, name: str) -> list[InputSummary]:
        """Read a stored attachment; InputError names the file as the user called it."""
        try:
            readings = read_attachment(path)
        except InputError as e:
            raise InputError(name, e.problem) from None
        stored = str(path.relative_to(self.store.root))
        self._commit("attachment", {"name": name, "path": stored}, lambda: self._attached(path, readings))
        inputs = self.report().inputs
        return inputs[len(inputs) - len(readings):]

    def set_meta(self, name: str, value: Any) -> None:
        """Front-end state that must survive a restart (the API's owner, Slack's probed flag)."""
        self.store.db.set_meta(self.key, name, value)
        self.meta[name] = value

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

    def sync(self) -> None:
        """Apply what was stored after ``applied`` (by another process, or before a restart)."""
        for item in self.store.db.items(self.key, self.applied):
            self._apply(item)

    # --- the log ---------------------------------------------------------------------------

    def _commit(self, kind: str, data: Any, apply: Callable[[], Any]) -> None:
        """Store one change, then apply it here after what others stored before it."""
        seq = self.store.db.append(self.key, kind, data, MAX_ITEMS)
        if seq is None:
            raise Gone(self.key, f"this consultation expired, was forgotten or holds {MAX_ITEMS} turns; "
                                 "start a new one")
        for item in self.store.db.items(self.key, self.applied):
            if item.seq == seq:
                break
            self._apply(item)
        apply()
        self.applied = seq
        self._report = None

    def _apply(self, item: Item) -> None:
        data = item.data
        if item.kind == "words":
            self._words(data)
        elif item.kind == "answer":
            self.consultation.answer(data["fact"], data["value"])
        elif item.kind == "facts":
            self.consultation.extra_facts.extend(Fact(d["name"], d["value"], d["source"], d["cf"]) for d in data)
        elif item.kind == "attachment":
            path = self.store.root / data["path"]
            try:
                readings = read_attachment(path)
            except InputError as e:  # evicted to keep the storage bound, or removed by hand
                readings = [Reading(str(path), "unknown", warnings=[f"{data['name']}: no longer readable "
                                                                    f"({e.problem}); attach it again"])]
            self._attached(path, readings)
        self.applied = item.seq
        self._report = None

    def _words(self, text: str) -> None:
        c = self.consultation
        c.question = f"{c.question}\n{text}" if c.question else text

    def _attached(self, path: Path, readings: list[Reading]) -> None:
        self.consultation.attachments.append(path)
        self.consultation.readings.extend(readings)

    def _public(self, text: str) -> str:
        return re.sub(re.escape(str(self.folder)) + r"/\d+-[0-9a-f]+/", "", text)


def checked_answer(fact: str, value: str) -> tuple[str, str]:
    """(answer.<fact>, value) when the fact is a question we ask and the value one of its choices;
    ValueError with one line saying what is wrong (and the question meant, when a name is close)."""
    name, value = parse_answer(f"{fact}={value}")
    ask = asked(name)
    if ask is None:
        hint = load_vocabulary().suggest(name)
        raise ValueError(f"{name}: not a question I ask" + (f" (did you mean {hint}?)" if hint else ""))
    if ask.choices and value not in ask.choices:
        raise ValueError(f"{name}={value}: expected one of {'|'.join(ask.choices)}")
    return name, value


def asked(fact: str) -> Askable | None:
    """The follow-up question behind ``fact`` (``answer.`` optional), or None when there is none."""
    return load_vocabulary().askable.get(fact if fact.startswith("answer.") else f"answer.{fact}")


class ConsultationStore:
    """Consultations by key, in the state file, with a bounded cache of rebuilt ones in memory, and
    their attachments under ``settings.storage_dir``."""

    def __init__(self, settings: BotSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.root = Path(settings.storage_dir)
        self.root.mkdir(parents=True, exist_ok=True)
        self.db = StateDB(settings.state_file(), clock)
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()  # rebuilt ones, least recently used first
        self._lock = threading.Lock()
        self._reads = threading.BoundedSemaphore(max(1, settings.max_concurrent_reads))
        self._stored = 0  # bytes under root at the last count plus what this process stored since
        self._counted = -ROOM_RECOUNT_S  # when that count was made (other processes store too)
        self._remove_stale_folders()

    # --- consultations ---------------------------------------------------------------------

    def create(self) -> Session:
        """A new consultation under a random id (the API's)."""
        return self.get_or_create(secrets.token_hex(16))

    def get_or_create(self, key: str) -> Session:
        """The consultation under ``key`` (a Slack thread), started if there is none; one step, so two
        messages arriving together in a new thread (in one process or two) share one consultation."""
        return self._open(key, create=True)  # type: ignore[return-value]

    def get(self, key: str) -> Session | None:
        """The live consultation under ``key`` (touched), or None when unknown, expired or deleted."""
        return self._open(key, create=False)

    def _open(self, key: str, create: bool) -> Session | None:
        folder = self.root / hashlib.sha256(key.encode()).hexdigest()[:32]
        row, gone = self.db.open(key, folder.name, self.settings.consultation_ttl_s,
                                 self.settings.max_consultations, create)
        self._forget(gone)
        if row is None:  # gone (another process deleted it): drop our copy; its files went with the row
            with self._lock:
                self._sessions.pop(key, None)
            return None
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = Session(key=key, folder=self.root / row.folder, store=self, created=row.created,
                                  touched=row.touched, meta=dict(row.meta))
                self._sessions[key] = session
                while len(self._sessions) > max(1, self.settings.sessions_in_memory):
                    self._sessions.popitem(last=False)  # only the copy in memory: it is rebuilt when asked for
            self._sessions.move_to_end(key)
            session.touched = row.touched
        with session.lock:
            session.meta.update(row.meta)
            session.sync()
        return session

    def delete(self, key: str) -> bool:
        """Forget a consultation and remove its attachments; False when there was none."""
        row = self.db.delete(key)
        if row is None:
            return False
        self._forget([row])
        return True

    def __len__(self) -> int:
        return self.db.count()

    def _forget(self, rows: list[Row]) -> None:
        """Drop consultations gone from the state file: the copy in memory and the attachments."""
        for row in rows:
            with self._lock:
                session = self._sessions.pop(row.key, None)
            if session is not None:
                with session.lock:
                    shutil.rmtree(session.folder, ignore_errors=True)
            shutil.rmtree(self.root / row.folder, ignore_errors=True)

    def _remove_stale_folders(self) -> None:
        """Attachment folders of consultations that expired while no process ran, or that a crash left
        without a consultation, are removed."""
        self._forget(self.db.expire(self.settings.consultation_ttl_s))
        live = self.db.folders()
        cutoff = self._clock() - min(self.settings.consultation_ttl_s, STALE_FOLDER_S)
        for folder in self.root.iterdir():
            if folder.is_dir() and folder.name not in live and folder.stat().st_mtime < cutoff:
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
            session.sync()
            count = len(session.consultation.attachments)
            if count >= self.settings.max_attachments:
                raise InputError(name, f"this consultation already has {count} attachments "
                                       f"(limit {self.settings.max_attachments}); start a new one")
            path = session.folder / f"{count:02d}-{secrets.token_hex(4)}" / name
            try:
                self._write(path, name, chunks)
            except FileNotFoundError:  # another process forgot it meanwhile (expired, or evicted at the cap)
                raise Gone(session.key, "this consultation was forgotten meanwhile; start a new one") from None
            try:
                with self._reads:
                    inputs = session.read(path, name)
            except InputError:
                shutil.rmtree(path.parent, ignore_errors=True)
                raise
        self._make_room(keep=path, added=path.stat().st_size)
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

    def _make_room(self, keep: Path, added: int) -> None:
        """Evict the oldest stored files until the total is within ``storage_max_bytes``.

        Counting walks every stored file, so it is done only when this process's running total
        says the bound may be reached, or when the last count is older than ``ROOM_RECOUNT_S``
        (other processes sharing the folder add files this one does not see).
        """
        with self._lock:
            self._stored += added
            now = time.monotonic()
            if self._stored <= self.settings.storage_max_bytes and now - self._counted < ROOM_RECOUNT_S:
                return
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
            self._stored, self._counted = total, now
