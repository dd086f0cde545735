"""Persistence of the backend state: nothing (in memory) or one SQLite file, committed on every mutation."""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any, Protocol


class Store(Protocol):
    def load(self) -> dict[str, Any] | None: ...
    def save(self, state: dict[str, Any]) -> None: ...
    def close(self) -> None: ...


class MemoryStore:
    def load(self) -> dict[str, Any] | None:
        return None

    def save(self, state: dict[str, Any]) -> None:
        return None

    def close(self) -> None:
        return None


class SqliteStore:
    """The whole state as one JSON document in one row; each save is one committed transaction, so a
    kill at any point leaves either the previous or the new state on disk."""

    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1), doc TEXT)")

    def load(self) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT doc FROM state WHERE id = 1").fetchone()
        if row is None:
            return None
        doc: dict[str, Any] = json.loads(row[0])
        return doc

    def save(self, state: dict[str, Any]) -> None:
        doc = json.dumps(state, separators=(",", ":"))
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO state (id, doc) VALUES (1, ?)", (doc,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
