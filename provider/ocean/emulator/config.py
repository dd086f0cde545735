"""Emulator settings: clock, lifecycle durations (in emulated seconds), rate limits, persistence, auth.

The default durations are DigitalOcean's typical ones, from the project's one table,
:mod:`ocean.api.models.durations`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ocean.api.models import durations

ClockMode = Literal["scaled", "manual"]


@dataclass
class EmulatorConfig:
    """How the emulator behaves. Durations are emulated seconds: with ``time_scale=20`` a 30 s droplet
    creation takes 1.5 real seconds; with ``clock_mode="manual"`` nothing moves until the clock is
    advanced."""

    time_scale: float = 1.0
    clock_mode: ClockMode = "scaled"
    droplet_create_s: float = durations.DROPLET_CREATE_S
    droplet_delete_s: float = durations.DROPLET_DELETE_S
    action_s: dict[str, float] = field(default_factory=lambda: dict(durations.ACTION_S))
    default_action_s: float = durations.OTHER_ACTION_S
    firewall_settle_s: float = durations.FIREWALL_SETTLE_S
    vpc_peering_create_s: float = durations.VPC_PEERING_CREATE_S
    vpc_peering_delete_s: float = durations.VPC_PEERING_DELETE_S
    #: A destroyed droplet is still listed among its VPC's members (and still keeps the VPC from being
    #: deleted) this long after it answers 404, as DigitalOcean's VPC service lags behind (terraform-provider-
    #: digitalocean retries a refused VPC delete for that reason, PR #455).
    vpc_member_lag_s: float = durations.VPC_MEMBER_LAG_S
    #: The status ``DELETE /v2/vpcs/{id}`` answers for a VPC with members or peerings: 403, as the spec
    #: documents, or 409 ("Can not delete VPC with members"), as the live API has been seen to answer
    #: (pulumi-digitalocean#753, terraform-provider-digitalocean#1368).
    vpc_delete_refusal_status: int = 403
    #: Emulated seconds a droplet's operating system takes to power off after a ``shutdown`` action starts
    #: (``None``: it is off when the action completes). Longer than the action: the action completes while
    #: the droplet is still ``active``, and it goes ``off`` later, as DigitalOcean's shutdown is a signal
    #: to the OS (the spec: it "guarantees that the command is issued, not that it succeeds").
    guest_shutdown_s: float | None = None
    gc_stage_s: float = durations.GARBAGE_COLLECTION_STAGE_S
    gc_cancel_s: float = durations.GARBAGE_COLLECTION_CANCEL_S
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
