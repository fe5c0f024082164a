"""Token-bucket rate limits per user and per workspace.

A consultation costs real CPU (reading a log, running the engine), so one user
(or one workspace) must not be able to starve the others. Each key gets a
bucket of ``burst`` tokens refilled at ``per_min / 60`` tokens a second; a
request spends one token from its user's bucket and one from its workspace's.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

__all__ = ["Limit", "RateLimiter"]

MAX_KEYS = 100_000  # buckets kept; the least recently used is dropped past this


@dataclass(frozen=True)
class Limit:
    """Sustained rate and burst of one bucket; ``per_min <= 0`` means unlimited."""

    per_min: float
    burst: int

    @property
    def unlimited(self) -> bool:
        return self.per_min <= 0


class RateLimiter:
    """Buckets for users and workspaces; ``allow`` spends from both or from neither."""

    def __init__(self, user: Limit, workspace: Limit, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = {"user": user, "workspace": workspace}
        self._clock = clock
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    def allow(self, user: str, workspace: str) -> float:
        """0.0 when the request may go on (one token spent from each bucket), else the seconds to wait."""
        keys = [("user", f"{workspace}/{user}"), ("workspace", workspace)]
        with self._lock:
            now = self._clock()
            levels = [(key, self._level(key, now)) for key in keys]
            waits = [self._wait(self._limits[key[0]], tokens) for key, tokens in levels]
            if max(waits) > 0:
                return max(waits)
            for key, tokens in levels:
                self._store(key, tokens - 1, now)
            return 0.0

    def _level(self, key: tuple[str, str], now: float) -> float:
        limit = self._limits[key[0]]
        if limit.unlimited:
            return float("inf")
        tokens, at = self._buckets.get(key, (float(limit.burst), now))
        return min(float(limit.burst), tokens + (now - at) * limit.per_min / 60.0)

    @staticmethod
    def _wait(limit: Limit, tokens: float) -> float:
        return 0.0 if tokens >= 1 else (1 - tokens) * 60.0 / limit.per_min

    def _store(self, key: tuple[str, str], tokens: float, now: float) -> None:
        if tokens == float("inf"):
            return
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > MAX_KEYS:
            self._buckets.popitem(last=False)
