"""What each API route does to a consultation, here or in the worker process that owns it.

The routes of ``assistant.bots.http`` only authenticate, bound and parse requests; the
work on a consultation (reading an upload, running the engine, rendering the report) is
a ``Desk`` method. ``LocalDesk`` runs them in this process's thread pool (tests, Slack in
the same process). ``DeskPool`` runs them in worker processes sized to the cores, each with
its own store on the shared state file, and sends every call on a consultation to the
same worker (by its key), so a worker keeps the consultation it built in memory and
nothing is replayed across processes: a consultation costs what ``consult()`` costs, and
the event loop keeps answering while the engine runs.
"""
from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Iterable

from assistant.bots.settings import BotSettings
from assistant.bots.store import ConsultationStore, Gone, Session, TooLarge
from assistant.errors import InputError
from assistant.render.json import render_json

__all__ = ["ApiError", "Desk", "DeskPool", "LocalDesk", "UPLOAD_CHUNK", "default_workers", "incoming_dir", "spool"]

UPLOAD_CHUNK = 1024 * 1024


class ApiError(Exception):
    """An answer other than success: its HTTP status and one-line detail (picklable, so a worker can raise it)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail


class Desk:
    """The consultation work behind the routes, on one store."""

    def __init__(self, settings: BotSettings, store: ConsultationStore | None = None) -> None:
        self.settings = settings
        self.store = store or ConsultationStore(settings)

    def create(self, key: str, who: str, question: str) -> dict[str, Any]:
        session = self.store.get_or_create(key)
        session.set_meta("owner", who)
        session.add_words(question)
        return {"id": session.key, "expires_in_s": self.settings.consultation_ttl_s}

    def attach(self, key: str, who: str, name: str, upload: Path) -> list[dict[str, Any]]:
        """Read the spooled upload into the consultation (the route removes the spool)."""
        session = self._owned(key, who)
        try:
            with upload.open("rb") as f:
                inputs = self.store.attach(session, name, iter(lambda: f.read(UPLOAD_CHUNK), b""))
        except TooLarge as e:
            raise ApiError(413, str(e)) from None
        except Gone as e:
            raise ApiError(404, str(e)) from None
        except InputError as e:
            raise ApiError(422, str(e)) from None
        return [{"path": i.path, "kind": i.kind, "facts": i.facts, "warnings": i.warnings} for i in inputs]

    def answer(self, key: str, who: str, fact: str, value: str) -> str:
        session = self._owned(key, who)
        with session.lock:
            try:
                return session.answer(fact, value)
            except Gone as e:
                raise ApiError(404, str(e)) from None
            except ValueError as e:
                raise ApiError(422, str(e)) from None

    def report(self, key: str, who: str) -> str:
        session = self._owned(key, who)
        with session.lock:
            return render_json(session.report())

    def ask(self, key: str, who: str, text: str) -> str:
        session = self._owned(key, who)
        with session.lock:
            try:
                session.add_words(text)
            except Gone as e:
                raise ApiError(404, str(e)) from None
            return session.report().answer or ""

    def delete(self, key: str, who: str) -> None:
        self.store.delete(self._owned(key, who).key)

    def _owned(self, key: str, who: str) -> Session:
        """The caller's consultation; someone else's is as unknown as an expired one."""
        session = self.store.get(key)
        if session is None or session.meta.get("owner") != who:
            raise ApiError(404, f"consultation {key[:100]}: not found (expired, deleted or never created)")
        return session


class LocalDesk:
    """A desk in this process: calls run in the event loop's thread pool."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.incoming = incoming_dir(desk.settings)

    async def call(self, method: str, key: str, *args: Any) -> Any:
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(getattr(self.desk, method), key, *args)

    def close(self) -> None:
        """Nothing to stop: the desk lives as long as the app."""


_desk: Desk | None = None  # a worker process's own desk


def _start(settings: BotSettings) -> None:
    global _desk
    _desk = Desk(settings)


def _run(method: str, key: str, *args: Any) -> Any:
    assert _desk is not None, "worker started without a desk"
    return getattr(_desk, method)(key, *args)


class DeskPool:
    """Desks in ``workers`` processes; every call on one consultation goes to the same one."""

    def __init__(self, settings: BotSettings, workers: int) -> None:
        self.settings = settings
        self.incoming = incoming_dir(settings)
        # spawn: the server has threads (uvicorn, SQLite); a forked copy of them is not safe
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[Executor] = [self._worker() for _ in range(max(1, workers))]

    def _worker(self) -> Executor:
        return ProcessPoolExecutor(1, mp_context=self._context, initializer=_start, initargs=(self.settings,))

    async def call(self, method: str, key: str, *args: Any) -> Any:
        slot = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % len(self._workers)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._workers[slot], _run, method, key, *args)
        except BrokenProcessPool:  # the worker died (killed, out of memory): a fresh one takes its place
            self._workers[slot] = self._worker()
            raise ApiError(503, "the worker serving this consultation stopped; retry the request") from None

    def close(self) -> None:
        for worker in self._workers:
            worker.shutdown(wait=True, cancel_futures=True)


def spool(chunks: Iterable[bytes], incoming: Path) -> Path:
    """Write an upload to a private file under ``incoming`` for the desk that reads it."""
    import secrets

    incoming.mkdir(parents=True, exist_ok=True)
    path = incoming / secrets.token_hex(8)
    with path.open("xb") as f:
        for chunk in chunks:
            f.write(chunk)
    return path


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def incoming_dir(settings: BotSettings) -> Path:
    """Where uploads wait for their desk: beside the attachments, not among them (nothing
    there counts towards their size bound or looks like a consultation's folder)."""
    storage = Path(settings.storage_dir)
    return storage.with_name(storage.name + ".incoming")
