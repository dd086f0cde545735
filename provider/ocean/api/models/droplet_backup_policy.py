"""A droplet's backup policy (``GET /v2/droplets/{droplet_id}/backups/policy``)."""

from __future__ import annotations

from ._base import OceanModel
from .droplet_next_backup_window import DropletNextBackupWindow


class DropletBackupPolicySettings(OceanModel):
    plan: str | None = None  # "daily" | "weekly"
    weekday: str | None = None  # "SUN" … "SAT"
    hour: int | None = None  # 0, 4, 8, 12, 16 or 20 (UTC)
    window_length_hours: int | None = None
    retention_period_days: int | None = None


class DropletBackupPolicy(OceanModel):
    droplet_id: int
    backup_enabled: bool = False
    backup_policy: DropletBackupPolicySettings | None = None
    next_backup_window: DropletNextBackupWindow | None = None
