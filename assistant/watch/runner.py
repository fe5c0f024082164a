"""The `assistant watch` loop: poll, judge when due, say what changed, stop when asked.

One thread does the watching; posting happens on the dispatcher's thread. Every
poll reads only what was added since the last one. The loop sleeps ``interval``
seconds between polls, so an alarming line (a NaN, an error) is judged within
about one interval of landing in the file.

Stopping: Ctrl-C or ``stop`` set (exit 0); ``exit_on`` reached (exit
``EXIT_ALERT``); ``until_done`` and the run logged its final summary (exit 0).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from assistant.evidence import read_attachment
from assistant.evidence.series import Reading
from assistant.watch.alerts import at_least
from assistant.watch.discover import Watched, discover
from assistant.watch.events import event
from assistant.watch.live import LiveReading
from assistant.watch.monitor import Judgement, RunMonitor
from assistant.watch.post import Dispatcher, Target
from assistant.watch.schedule import TimeBudget

__all__ = ["WatchOptions", "run_watch", "EXIT_ALERT"]

EXIT_ALERT = 3
DISCOVER_EVERY_S = 1.0

Emit = Callable[[dict], None]


@dataclass
class WatchOptions:
    """What the command line decides."""

    path: Path
    attach: list[Path] = field(default_factory=list)
    question: str = ""
    interval: float = 0.25
    status_every: float = 10.0
    exit_on: str | None = None  # warning | critical
    until_done: bool = False
    budget: float = 0.005  # share of one core the judging may take


class _Watch:
    """The state of one watch: the monitor once PATH exists, what was said last."""

    def __init__(self, opts: WatchOptions, emit: Emit, targets: list[Target]) -> None:
        self.opts = opts
        self._lock = threading.Lock()
        self._emit = emit
        self.configs: list[Reading] = [r for p in opts.attach for r in read_attachment(p)]  # InputError: exit 2
        self.reading = LiveReading(str(opts.path), "stdout_log")
        self.monitor = RunMonitor(self.reading, schedule=TimeBudget(share=opts.budget), question=opts.question,
                                  configs=self.configs)
        self.dispatcher = Dispatcher(targets, str(opts.path), on_error=lambda m: self.emit(event("warning", message=m)))
        self.watched: Watched | None = None
        self.restarts = 0
        self.last_status: tuple | None = None

    def emit(self, e: dict) -> None:
        with self._lock:
            self._emit(e)

    def attach_source(self) -> bool:
        """Find what PATH is; True once a source follows it."""
        watched = discover(self.opts.path, self.reading)
        if watched is None:
            return False
        self.watched = watched
        self.reading.kind = watched.kind
        self.monitor.sources.append(watched.source)
        for cfg in watched.configs:
            if cfg.is_file():
                try:
                    self.monitor.configs.extend(read_attachment(cfg))
                except Exception as e:  # noqa: BLE001 - a config beside the run is a bonus, not a requirement
                    self.emit(event("warning", message=f"{cfg.name}: {e}"))
        self.emit(event("source", message=f"following {self.opts.path} as {watched.kind}", kind=watched.kind))
        return True

    def step(self) -> Judgement | None:
        """One poll and, when due, one judgement; emits what changed."""
        new, notes = self.monitor.poll()
        for note in notes:
            self.emit(event("source", message=note))
        judged = self.monitor.maybe_judge()
        for w in self.monitor.new_warnings():  # unreadable lines, a corrupt record, a judgement that failed
            self.emit(event("warning", message=w))
        if len(self.reading.restarts) > self.restarts:
            for step in self.reading.restarts[self.restarts:]:
                self.emit(event("restart", step=step))
            self.restarts = len(self.reading.restarts)
        return judged

    def say(self, judged: Judgement) -> None:
        for alert in judged.alerts:
            self.emit(event("alert", alert=alert.to_dict(), text=alert.text()))
            self.dispatcher.send(alert)
        for alert in judged.cleared:
            self.emit(event("cleared", id=alert.id, title=alert.title))

    def status(self, force: bool = False) -> None:
        snap = self.monitor.snapshot()
        key = (snap.step, tuple(snap.metrics.items()), snap.worst.id if snap.worst else None)
        if force or key != self.last_status:
            self.last_status = key
            self.emit(event("status", line=snap.line(), **snap.to_dict()))


def run_watch(opts: WatchOptions, emit: Emit, targets: list[Target] = (), stop: threading.Event | None = None) -> int:
    """Watch ``opts.path`` until stopped; returns the exit code."""
    stop = stop or threading.Event()
    w = _Watch(opts, emit, list(targets))
    w.emit(event("start", path=str(opts.path), attachments=[str(p) for p in opts.attach]))
    code = 0
    try:
        # A first judgement before any data: it pays the consultation's one-off costs now, not when the
        # first alarming line lands, and the config alone may already say something (a learning rate far off).
        code = _judged(w, w.monitor.judge(charge=False))
        next_discover = next_status = 0.0
        waiting_said = False
        while not stop.is_set() and code == 0:
            now = time.monotonic()
            if w.watched is None and now >= next_discover:
                next_discover = now + DISCOVER_EVERY_S
                if not w.attach_source() and not waiting_said:
                    w.emit(event("waiting", path=str(opts.path)))
                    waiting_said = True
            if w.watched is not None:
                judged = w.step()
                if judged is not None:
                    code = _judged(w, judged)
                    if code:
                        break
                if opts.until_done and w.monitor.snapshot().completed:
                    code = _judged(w, w.monitor.judge())
                    w.status(force=True)
                    if not code:
                        w.emit(event("stop", reason="the run completed", code=0))
                    break
            if now >= next_status:
                next_status = now + opts.status_every
                if w.watched is not None:
                    w.status()
            stop.wait(max(0.0, opts.interval - (time.monotonic() - now)))
    except KeyboardInterrupt:
        w.emit(event("stop", reason="interrupted", code=0))
    finally:
        w.dispatcher.close()
        w.monitor.close()
    return code


def _judged(w: _Watch, judged: Judgement) -> int:
    """Say a judgement; the exit code when it reached ``--exit-on``."""
    w.say(judged)
    level = w.opts.exit_on
    hit = next((a for a in judged.alerts if level and at_least(a.severity, level)), None)
    if hit is None:
        return 0
    w.status(force=True)
    w.emit(event("stop", reason=f"{hit.severity} alert {hit.id} (--exit-on {level})", code=EXIT_ALERT))
    return EXIT_ALERT
