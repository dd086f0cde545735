"""An action: a record of an event on a resource (power on, resize, snapshot, ...)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime

from ._base import OceanModel, open_enum
from .region import Region

ACTION_STATUSES = ("in-progress", "completed", "errored")
#: Every droplet action type the spec knows, with the body parameters each takes besides ``type``.
DROPLET_ACTION_TYPES: dict[str, tuple[str, ...]] = {
    "enable_backups": ("backup_policy",),
    "disable_backups": (),
    "change_backup_policy": ("backup_policy",),
    "reboot": (),
    "power_cycle": (),
    "shutdown": (),
    "power_off": (),
    "power_on": (),
    "restore": ("image",),
    "password_reset": (),
    "resize": ("size", "disk"),
    "rebuild": ("image",),
    "rename": ("name",),
    "change_kernel": ("kernel",),
    "enable_ipv6": (),
    "snapshot": ("name",),
}
ActionStatus = Annotated[str, open_enum("Action.status", ACTION_STATUSES)]


class Action(OceanModel):
    """An action DigitalOcean performs on a resource; ``status`` ends as ``completed`` or ``errored``."""

    id: int
    status: ActionStatus = "in-progress"
    type: str = ""
    started_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None
    resource_id: int | None = None
    resource_type: str = ""
    region: Region | None = None
    region_slug: str | None = None

    @property
    def done(self) -> bool:
        return self.status in ("completed", "errored")


class ActionLink(OceanModel):
    """A link to an action, as in a create response's ``links.actions``."""

    id: int
    rel: str = ""
    href: str = ""
