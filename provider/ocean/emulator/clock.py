"""The emulator's clock: emulated epoch seconds, either scaled from real time or moved by hand."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ocean.emulator.config import ClockMode


class Clock:
    """Emulated time in epoch seconds.

    ``scaled``: emulated time = start + (real monotonic time elapsed) × scale.
    ``manual``: time moves only on :meth:`advance`. Both modes accept :meth:`advance`.
    """

    def __init__(
        self,
        mode: ClockMode = "scaled",
        scale: float = 1.0,
        start: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self._mode: ClockMode = mode
        self._scale = scale
        self._base = time.time() if start is None else start
        self._real_base = monotonic()

    @property
    def mode(self) -> ClockMode:
        return self._mode

    @property
    def scale(self) -> float:
        return self._scale

    def now(self) -> float:
        """Current emulated epoch seconds."""
        if self._mode == "manual":
            return self._base
        return self._base + (self._monotonic() - self._real_base) * self._scale

    def _rebase(self) -> None:
        self._base = self.now()
        self._real_base = self._monotonic()

    def advance(self, seconds: float) -> float:
        """Move emulated time forward by ``seconds``; returns the new emulated time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._rebase()
            self._base += seconds
            return self._base

    def set(self, epoch: float) -> None:
        """Jump to ``epoch`` (used when state is restored from a file); never moves backwards."""
        with self._lock:
            self._rebase()
            self._base = max(self._base, epoch)

    def set_mode(self, mode: ClockMode, scale: float | None = None) -> None:
        """Switch between ``manual`` and ``scaled`` without a jump in emulated time."""
        if mode not in ("manual", "scaled"):
            raise ValueError(f"unknown clock mode {mode!r}")
        if scale is not None and scale <= 0:
            raise ValueError("scale must be positive")
        with self._lock:
            self._rebase()
            self._mode = mode
            if scale is not None:
                self._scale = scale
