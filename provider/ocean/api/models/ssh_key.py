"""An SSH key of the account, which droplets are created with (by id or MD5 fingerprint)."""

from __future__ import annotations

from ._base import OceanModel


class SshKey(OceanModel):
    """A public key added to the account: its id, MD5 fingerprint (``3b:16:…``) and name."""

    id: int | None = None
    fingerprint: str | None = None
    public_key: str = ""
    name: str = ""
