"""The window of a droplet's next scheduled backup (null when backups are off)."""

from __future__ import annotations

from pydantic import AwareDatetime

from ._base import OceanModel


class DropletNextBackupWindow(OceanModel):
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
