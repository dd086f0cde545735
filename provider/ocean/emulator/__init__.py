"""A local DigitalOcean API emulator.

Routes (``app``) → handlers (HTTP, validation, JSON, error envelopes) → ``backend`` (state and behaviour, no
HTTP). Lifecycles are computed on read from an injected :class:`~ocean.emulator.clock.Clock`; nothing runs in
the background. ``/_emulator`` is the control API (reset, clock, faults, request log, state dump, and
``/_emulator/registry/{name}/push`` to seed container registries; see :mod:`ocean.emulator.app`).
"""

from ocean.emulator.clock import Clock
from ocean.emulator.config import EmulatorConfig

__all__ = ["Clock", "EmulatorConfig"]
