"""The request log: the last N ``/v2`` requests served, and counts per method and path template since the last
reset (what tests and benchmarks count API requests by)."""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Any

Json = dict[str, Any]


class RequestLog:
    """Thread-safe; entries are ``{method, path, template, status, time, request_id}``."""

    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._entries: deque[Json] = deque(maxlen=size)
        self._counts: Counter[str] = Counter()

    def record(self, method: str, path: str, template: str, status: int, at: float, request_id: str) -> None:
        with self._lock:
            self._entries.append(
                {
                    "method": method,
                    "path": path,
                    "template": template,
                    "status": status,
                    "time": at,
                    "request_id": request_id,
                }
            )
            self._counts[f"{method} {template}"] += 1

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._counts.clear()

    def snapshot(self) -> Json:
        with self._lock:
            entries = list(self._entries)
            return {"requests": entries, "counts": dict(self._counts), "total": self._counts.total()}
