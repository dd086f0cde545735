"""The emulator's clock: emulated epoch seconds, either scaled from real time or moved by hand.

Emulated time stays within ``[0, MAX_EPOCH]`` (the year 3000) and runs at most ``MAX_SCALE`` times faster
than real time, so every timestamp the API shows stays a valid date.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from ocean.emulator.config import ClockMode

#: 3000-01-01T00:00:00Z: the latest emulated time.
MAX_EPOCH = 32_503_680_000.0
#: The fastest emulated time may run, in emulated seconds per real second.
MAX_SCALE = 100_000.0


def check_scale(scale: float) -> float:
    if not math.isfinite(scale) or not 0 < scale <= MAX_SCALE:
        raise ValueError(f"scale must be a number above 0 and at most {MAX_SCALE:g}")
    return scale


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
        check_scale(scale)
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
        return min(MAX_EPOCH, self._base + (self._monotonic() - self._real_base) * self._scale)

    def _rebase(self) -> None:
        self._base = self.now()
        self._real_base = self._monotonic()

    def advance(self, seconds: float) -> float:
        """Move emulated time forward by ``seconds``; returns the new emulated time."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the clock only moves forward, by a finite number of seconds")
        with self._lock:
            self._rebase()
            if self._base + seconds > MAX_EPOCH:
                raise ValueError(
                    f"the clock can not move past {MAX_EPOCH:.0f} (the year 3000): at most "
                    f"{MAX_EPOCH - self._base:.0f} seconds more"
                )
            self._base += seconds
            return self._base

    def set(self, epoch: float) -> None:
        """Jump to ``epoch`` (used when state is restored from a file); never moves backwards."""
        with self._lock:
            self._rebase()
            if math.isfinite(epoch):
                self._base = min(MAX_EPOCH, max(self._base, epoch))

    def set_mode(self, mode: ClockMode, scale: float | None = None) -> None:
        """Switch between ``manual`` and ``scaled`` without a jump in emulated time."""
        if mode not in ("manual", "scaled"):
            raise ValueError(f"unknown clock mode {mode!r}")
        if scale is not None:
            check_scale(scale)
        with self._lock:
            self._rebase()
            self._mode = mode
            if scale is not None:
                self._scale = scale
