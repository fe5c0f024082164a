"""The bots' state in one SQLite file: consultations, requests already seen, rate-limit buckets.

A restart must lose nothing acknowledged, and two server processes on one machine must
agree, so nothing lives only in a process's memory. One file under the data dir, in WAL
mode (readers never wait for the writer; every process opens its own connections),
schema versioned with ``PRAGMA user_version`` and migrated forward at open. A
consultation is stored as what was said to it, in order (words, answers, attachments
by their stored copy, facts from a probe), as JSON: replaying that log rebuilds it in
any process, and nothing is ever unpickled. Everything is bounded: consultations by TTL
and count, a consultation's log by length, seen ids by their expiry and a row cap.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from assistant.errors import AssistantError

__all__ = ["SCHEMA_VERSION", "Item", "Row", "StateDB"]

BUSY_TIMEOUT_MS = 30_000
MAX_SEEN = 200_000  # ids kept per kind beyond their expiry's own bound
MAX_BUCKETS = 100_000

MIGRATIONS: list[str] = []
migration = MIGRATIONS.append

migration("""
CREATE TABLE consultations (
    key     TEXT PRIMARY KEY,
    folder  TEXT NOT NULL,
    meta    TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL,
    touched REAL NOT NULL
);
CREATE INDEX consultations_touched ON consultations (touched);
CREATE TABLE items (
    key  TEXT NOT NULL REFERENCES consultations (key) ON DELETE CASCADE,
    seq  INTEGER NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (key, seq)
);
CREATE TABLE seen (
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX seen_expires ON seen (expires);
CREATE TABLE buckets (
    key    TEXT PRIMARY KEY,
    tokens REAL NOT NULL,
    at     REAL NOT NULL
);
CREATE INDEX buckets_at ON buckets (at);
""")

SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class Row:
    """A consultation's header."""

    key: str
    folder: str
    meta: dict[str, Any]
    created: float
    touched: float


@dataclass(frozen=True)
class Item:
    """One thing said to a consultation: ``kind`` words | answer | attachment | facts, ``data`` its JSON."""

    seq: int
    kind: str
    data: Any


class StateDB:
    """The state file; safe to share between threads (a connection each) and processes (WAL, busy timeout)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._local = threading.local()
        self._migrate()

    # --- connections and transactions --------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                       check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
                conn.execute("PRAGMA foreign_keys=ON")
                conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            except sqlite3.Error as e:
                raise AssistantError(f"{self.path}: the bots' state file cannot be opened ({e})") from None
            self._local.conn = conn
        return conn

    def _write(self) -> "_Transaction":
        """``with self._write() as c:`` one write transaction, taken at once (BEGIN IMMEDIATE)."""
        return _Transaction(self._conn())

    def _migrate(self) -> None:
        with self._write() as c:
            version = c.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise AssistantError(f"{self.path}: written by a newer version of the assistant (schema {version}, "
                                     f"this one knows {SCHEMA_VERSION}); upgrade, or point TSA_DATA_DIR elsewhere")
            for sql in MIGRATIONS[version:]:
                for statement in filter(str.strip, sql.split(";")):
                    c.execute(statement)
            c.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- consultations -----------------------------------------------------------------------

    def open(self, key: str, folder: str, ttl_s: float, max_rows: int, create: bool
             ) -> tuple[Row | None, list[Row]]:
        """(the live consultation under ``key``, touched now; None when unknown and not ``create``d,
        consultations removed to make room or because they expired). One transaction."""
        now = self._clock()
        with self._write() as c:
            gone = self._expire(c, now - ttl_s)
            row = c.execute("SELECT * FROM consultations WHERE key = ?", (key,)).fetchone()
            if row is not None:
                c.execute("UPDATE consultations SET touched = ? WHERE key = ?", (now, key))
            elif create:
                c.execute("INSERT INTO consultations (key, folder, created, touched) VALUES (?, ?, ?, ?)",
                          (key, folder, now, now))
                count = c.execute("SELECT COUNT(*) FROM consultations").fetchone()[0]
                if count > max_rows:
                    gone += self._remove(c, "key IN (SELECT key FROM consultations WHERE key != ? "
                                            "ORDER BY touched LIMIT ?)", (key, count - max_rows))
            else:
                return None, gone
            row = c.execute("SELECT * FROM consultations WHERE key = ?", (key,)).fetchone()
        return _row(row), gone

    def delete(self, key: str) -> Row | None:
        """Remove a consultation; its header, or None when there was none."""
        with self._write() as c:
            gone = self._remove(c, "key = ?", (key,))
        return gone[0] if gone else None

    def expire(self, ttl_s: float) -> list[Row]:
        with self._write() as c:
            return self._expire(c, self._clock() - ttl_s)

    def folders(self) -> set[str]:
        """The attachment folders of the live consultations."""
        return {r[0] for r in self._conn().execute("SELECT folder FROM consultations")}

    def set_meta(self, key: str, name: str, value: Any) -> None:
        with self._write() as c:
            c.execute("UPDATE consultations SET meta = json_set(meta, ?, json(?)) WHERE key = ?",
                      (f"$.{name}", json.dumps(value), key))

    def append(self, key: str, kind: str, data: Any, max_items: int) -> int | None:
        """Add one item to a consultation's log; its seq, or None when the consultation is gone or full."""
        with self._write() as c:
            if c.execute("SELECT 1 FROM consultations WHERE key = ?", (key,)).fetchone() is None:
                return None
            seq = c.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM items WHERE key = ?", (key,)).fetchone()[0]
            if seq > max_items:
                return None
            c.execute("INSERT INTO items (key, seq, kind, data) VALUES (?, ?, ?, ?)",
                      (key, seq, kind, json.dumps(data)))  # ASCII: a lone surrogate is escaped, not an error
        return seq

    def items(self, key: str, after: int = 0) -> list[Item]:
        rows = self._conn().execute("SELECT seq, kind, data FROM items WHERE key = ? AND seq > ? ORDER BY seq",
                                    (key, after))
        return [Item(seq, kind, json.loads(data)) for seq, kind, data in rows]

    def count(self) -> int:
        return self._conn().execute("SELECT COUNT(*) FROM consultations").fetchone()[0]

    def _expire(self, c: sqlite3.Connection, before: float) -> list[Row]:
        return self._remove(c, "touched < ?", (before,))

    @staticmethod
    def _remove(c: sqlite3.Connection, where: str, args: tuple[Any, ...]) -> list[Row]:
        gone = [_row(r) for r in c.execute(f"SELECT * FROM consultations WHERE {where}", args)]
        if gone:
            c.executemany("DELETE FROM consultations WHERE key = ?", [(r.key,) for r in gone])
        return gone

    # --- ids seen (replayed requests, Slack events already handled) --------------------------

    def first_sighting(self, kind: str, ident: str, keep_s: float) -> bool:
        """Record ``ident``; True when no process had recorded it (and it had not expired)."""
        now = self._clock()
        with self._write() as c:
            c.execute("DELETE FROM seen WHERE kind = ? AND id = ? AND expires < ?", (kind, ident, now))
            fresh = c.execute("INSERT OR IGNORE INTO seen (kind, id, expires) VALUES (?, ?, ?)",
                              (kind, ident, now + keep_s)).rowcount == 1
            if fresh and hash(ident) % 256 == 0:  # now and then: drop the expired, cap the rest
                c.execute("DELETE FROM seen WHERE expires < ?", (now,))
                c.execute("DELETE FROM seen WHERE kind = ? AND rowid IN (SELECT rowid FROM seen WHERE kind = ? "
                          "ORDER BY expires DESC LIMIT -1 OFFSET ?)", (kind, kind, MAX_SEEN))
        return fresh

    # --- rate-limit buckets ------------------------------------------------------------------

    def update_buckets(self, keys: list[str], update: Callable[[dict[str, tuple[float, float]]],
                                                               dict[str, tuple[float, float]]]) -> None:
        """Read the buckets of ``keys`` and write what ``update`` returns, in one transaction."""
        with self._write() as c:
            marks = ",".join("?" * len(keys))
            have = {k: (t, a) for k, t, a in c.execute(
                f"SELECT key, tokens, at FROM buckets WHERE key IN ({marks})", keys)}
            new = update(have)
            c.executemany("INSERT INTO buckets (key, tokens, at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
                          "SET tokens = excluded.tokens, at = excluded.at",
                          [(k, t, a) for k, (t, a) in new.items()])
            if new and hash(next(iter(new))) % 256 == 0:
                c.execute("DELETE FROM buckets WHERE key IN (SELECT key FROM buckets ORDER BY at DESC "
                          "LIMIT -1 OFFSET ?)", (MAX_BUCKETS,))


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on an exception), on a connection in autocommit mode."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self.conn.execute("COMMIT" if kind is None else "ROLLBACK")


def _row(r: tuple[Any, ...]) -> Row:
    key, folder, meta, created, touched = r
    return Row(key, folder, json.loads(meta), created, touched)
