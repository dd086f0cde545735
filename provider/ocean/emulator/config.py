"""Emulator settings: clock, lifecycle durations (in emulated seconds), rate limits, persistence, auth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ClockMode = Literal["scaled", "manual"]

#: How long each droplet action type stays ``in-progress``, in emulated seconds.
DEFAULT_ACTION_S: dict[str, float] = {
    "rename": 3.0,
    "power_off": 10.0,
    "shutdown": 15.0,
    "power_on": 10.0,
    "reboot": 20.0,
    "power_cycle": 20.0,
    "resize": 60.0,
    "snapshot": 60.0,
    "enable_backups": 5.0,
    "disable_backups": 5.0,
    "change_backup_policy": 5.0,
    "enable_ipv6": 10.0,
    "rebuild": 60.0,
    "restore": 60.0,
    "password_reset": 5.0,
    "change_kernel": 5.0,
}


@dataclass
class EmulatorConfig:
    """How the emulator behaves. Durations are emulated seconds: with ``time_scale=20`` a 30 s droplet
    creation takes 1.5 real seconds; with ``clock_mode="manual"`` nothing moves until the clock is
    advanced."""

    time_scale: float = 1.0
    clock_mode: ClockMode = "scaled"
    droplet_create_s: float = 30.0
    droplet_delete_s: float = 2.0
    action_s: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_ACTION_S))
    default_action_s: float = 10.0
    firewall_settle_s: float = 5.0
    vpc_peering_create_s: float = 10.0
    vpc_peering_delete_s: float = 5.0
    gc_stage_s: float = 5.0
    gc_cancel_s: float = 3.0
    rate_limit_per_minute: int = 250
    rate_limit_per_hour: int = 5000
    state_file: str | None = None
    #: The only bearer token ``/v2`` accepts (``None``: any non-empty token).
    token: str | None = None
    #: The bearer token the ``/_emulator`` control API wants (``None``: ``token``, or open without one).
    control_token: str | None = None
    request_log_size: int = 10_000

    def action_duration(self, action_type: str) -> float:
        """Emulated seconds a droplet action of ``action_type`` takes."""
        return self.action_s.get(action_type, self.default_action_s)
