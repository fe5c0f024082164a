"""Token-bucket rate limits per user and per workspace.

A consultation costs real CPU (reading a log, running the engine), so one user
(or one workspace) must not be able to starve the others. Each key gets a
bucket of ``burst`` tokens refilled at ``per_min / 60`` tokens a second; a
request spends one token from its user's bucket and one from its workspace's.
The buckets live in the state file when one is given (so every server process,
and the next one after a restart, sees the same windows), else in memory.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Protocol

__all__ = ["Buckets", "Limit", "MemoryBuckets", "RateLimiter"]

MAX_KEYS = 100_000  # buckets kept in memory; the least recently used is dropped past this

Levels = dict[str, tuple[float, float]]  # bucket key -> (tokens, at)


class Buckets(Protocol):
    """Where bucket levels live: ``update_buckets`` reads ``keys`` and writes what ``update`` returns,
    atomically (``StateDB`` is the shared one)."""

    def update_buckets(self, keys: list[str], update: Callable[[Levels], Levels]) -> None: ...


class MemoryBuckets:
    """Buckets of one process."""

    def __init__(self) -> None:
        self._levels: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def update_buckets(self, keys: list[str], update: Callable[[Levels], Levels]) -> None:
        with self._lock:
            for key, level in update({k: self._levels[k] for k in keys if k in self._levels}).items():
                self._levels[key] = level
                self._levels.move_to_end(key)
            while len(self._levels) > MAX_KEYS:
                self._levels.popitem(last=False)


@dataclass(frozen=True)
class Limit:
    """Sustained rate and burst of one bucket; ``per_min <= 0`` means unlimited."""

    per_min: float
    burst: int

    @property
    def unlimited(self) -> bool:
        return self.per_min <= 0


class RateLimiter:
    """Buckets for users and workspaces; ``allow`` spends from both or from neither.

    The clock is wall time: bucket times are compared across processes and restarts.
    """

    def __init__(self, user: Limit, workspace: Limit, clock: Callable[[], float] = time.time,
                 buckets: Buckets | None = None) -> None:
        self._limits = {"user": user, "workspace": workspace}
        self._clock = clock
        self._buckets = buckets or MemoryBuckets()

    def allow(self, user: str, workspace: str) -> float:
        """0.0 when the request may go on (one token spent from each bucket), else the seconds to wait."""
        keys = {f"user:{workspace}/{user}": "user", f"workspace:{workspace}": "workspace"}
        keys = {k: kind for k, kind in keys.items() if not self._limits[kind].unlimited}
        if not keys:
            return 0.0
        wait = 0.0

        def spend(have: Levels) -> Levels:
            nonlocal wait
            now = self._clock()
            levels = {k: self._level(self._limits[kind], have.get(k), now) for k, kind in keys.items()}
            wait = max(self._wait(self._limits[keys[k]], tokens) for k, tokens in levels.items())
            return {} if wait > 0 else {k: (tokens - 1, now) for k, tokens in levels.items()}

        self._buckets.update_buckets(list(keys), spend)
        return wait

    @staticmethod
    def _level(limit: Limit, stored: tuple[float, float] | None, now: float) -> float:
        tokens, at = stored if stored is not None else (float(limit.burst), now)
        return min(float(limit.burst), tokens + max(now - at, 0.0) * limit.per_min / 60.0)

    @staticmethod
    def _wait(limit: Limit, tokens: float) -> float:
        return 0.0 if tokens >= 1 else (1 - tokens) * 60.0 / limit.per_min
