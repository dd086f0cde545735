"""Droplets and droplet actions."""

from __future__ import annotations

import builtins
from typing import Any

from ..models.action import Action
from ..models.droplet import Droplet, DropletCreated
from ..models.droplet_backup_policy import DropletBackupPolicy
from ..models.snapshot import DropletSnapshot
from ..pagination import PER_PAGE, Paginator
from ._base import Service, seg


class Droplets(Service):
    """``/v2/droplets``."""

    async def create(self, body: dict[str, Any]) -> DropletCreated:
        """Create one droplet (``body`` as the spec's single-droplet create request).

        Never retried after an ambiguous failure: on ``AmbiguousRequestError`` look the droplet up by
        name or tag before trying again.
        """
        data = await self._t.request("POST", "/v2/droplets", json=body)
        links = (data.get("links") or {}).get("actions") or []
        return DropletCreated.model_validate(
            {
                "droplet": data["droplet"],
                "links": links,
                "action_ids": [int(link["id"]) for link in links if "id" in link],
            }
        )

    async def get(self, droplet_id: int) -> Droplet:
        return await self._get(f"/v2/droplets/{seg(droplet_id)}", "droplet", Droplet)

    def list(self, tag_name: str | None = None, name: str | None = None) -> Paginator[Droplet]:
        return Paginator(self._t, "/v2/droplets", "droplets", Droplet, {"tag_name": tag_name, "name": name})

    async def delete(self, droplet_id: int) -> None:
        await self._t.request("DELETE", f"/v2/droplets/{seg(droplet_id)}")

    async def delete_by_tag(self, tag_name: str) -> None:
        await self._t.request("DELETE", "/v2/droplets", params={"tag_name": tag_name})

    def snapshots(self, droplet_id: int) -> Paginator[DropletSnapshot]:
        return Paginator(self._t, f"/v2/droplets/{seg(droplet_id)}/snapshots", "snapshots", DropletSnapshot)

    def backups(self, droplet_id: int) -> Paginator[DropletSnapshot]:
        return Paginator(self._t, f"/v2/droplets/{seg(droplet_id)}/backups", "backups", DropletSnapshot)

    async def backup_policy(self, droplet_id: int) -> DropletBackupPolicy:
        """Whether backups are on, and when they are taken."""
        path = f"/v2/droplets/{seg(droplet_id)}/backups/policy"
        return await self._get(path, "policy", DropletBackupPolicy)

    async def backup_policies(self) -> builtins.list[DropletBackupPolicy]:
        """Every droplet's backup policy (``GET /v2/droplets/backups/policies``, every page)."""
        out: builtins.list[DropletBackupPolicy] = []
        url: str | None = "/v2/droplets/backups/policies"
        params: dict[str, Any] | None = {"per_page": PER_PAGE}
        seen: set[str] = set()
        while url and url not in seen:
            seen.add(url)
            data = await self._t.request("GET", url, params=params) or {}
            params = None  # the next link carries its own query
            # The spec's shape: `policies` is an object keyed by droplet id, not a list.
            out.extend(DropletBackupPolicy.model_validate(p) for p in (data.get("policies") or {}).values())
            url = ((data.get("links") or {}).get("pages") or {}).get("next")
        return out


class DropletActions(Service):
    """``/v2/droplets/{id}/actions``: power, resize, rename, snapshot, ..."""

    async def post(self, droplet_id: int, type: str, **params: Any) -> Action:  # noqa: A002 - spec name
        """Start a droplet action, e.g. ``post(id, "resize", size="s-2vcpu-2gb", disk=True)``.

        A 422 "pending event" is retried by the transport and, if it persists, raised as
        ``errors.PendingEvent``.
        """
        body: dict[str, Any] = {"type": type}
        body.update({k: v for k, v in params.items() if v is not None})
        return await self._send("POST", f"/v2/droplets/{seg(droplet_id)}/actions", "action", Action, body)

    async def get(self, droplet_id: int, action_id: int) -> Action:
        return await self._get(f"/v2/droplets/{seg(droplet_id)}/actions/{seg(action_id)}", "action", Action)

    def list(self, droplet_id: int) -> Paginator[Action]:
        return Paginator(self._t, f"/v2/droplets/{seg(droplet_id)}/actions", "actions", Action)

    async def post_by_tag(self, tag_name: str, type: str, **params: Any) -> builtins.list[Action]:  # noqa: A002
        body: dict[str, Any] = {"type": type, **{k: v for k, v in params.items() if v is not None}}
        data = await self._t.request("POST", "/v2/droplets/actions", params={"tag_name": tag_name}, json=body)
        return [Action.model_validate(a) for a in (data or {}).get("actions") or []]

    # Convenience wrappers, one per action type.
    async def reboot(self, droplet_id: int) -> Action:
        return await self.post(droplet_id, "reboot")

    async def power_cycle(self, droplet_id: int) -> Action:
        return await self.post(droplet_id, "power_cycle")

    async def shutdown(self, droplet_id: int) -> Action:
        return await self.post(droplet_id, "shutdown")

    async def power_off(self, droplet_id: int) -> Action:
        return await self.post(droplet_id, "power_off")

    async def power_on(self, droplet_id: int) -> Action:
        return await self.post(droplet_id, "power_on")

    async def password_reset(self, droplet_id: int) -> Action:
        return await self.post(droplet_id, "password_reset")

    async def enable_ipv6(self, droplet_id: int) -> Action:
        return await self.post(droplet_id, "enable_ipv6")

    async def enable_backups(self, droplet_id: int, backup_policy: dict[str, Any] | None = None) -> Action:
        return await self.post(droplet_id, "enable_backups", backup_policy=backup_policy)

    async def disable_backups(self, droplet_id: int) -> Action:
        return await self.post(droplet_id, "disable_backups")

    async def change_backup_policy(self, droplet_id: int, backup_policy: dict[str, Any]) -> Action:
        return await self.post(droplet_id, "change_backup_policy", backup_policy=backup_policy)

    async def restore(self, droplet_id: int, image: int) -> Action:
        return await self.post(droplet_id, "restore", image=image)

    async def resize(self, droplet_id: int, size: str, disk: bool | None = None) -> Action:
        return await self.post(droplet_id, "resize", size=size, disk=disk)

    async def rebuild(self, droplet_id: int, image: int | str) -> Action:
        return await self.post(droplet_id, "rebuild", image=image)

    async def rename(self, droplet_id: int, name: str) -> Action:
        return await self.post(droplet_id, "rename", name=name)

    async def change_kernel(self, droplet_id: int, kernel: int) -> Action:
        return await self.post(droplet_id, "change_kernel", kernel=kernel)

    async def snapshot(self, droplet_id: int, name: str | None = None) -> Action:
        return await self.post(droplet_id, "snapshot", name=name)


class Actions(Service):
    """``/v2/actions``."""

    async def get(self, action_id: int) -> Action:
        return await self._get(f"/v2/actions/{seg(action_id)}", "action", Action)

    def list(self) -> Paginator[Action]:
        return Paginator(self._t, "/v2/actions", "actions", Action)
