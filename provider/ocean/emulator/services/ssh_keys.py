"""SSH keys of the account, addressed by id or fingerprint (the MD5 fingerprint DigitalOcean shows).

State slice: ``ssh_keys`` (by id).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from ocean.emulator.core import Json, JsonList, as_id
from ocean.emulator.errors import not_found, unprocessable
from ocean.emulator.services.base import Service

#: Key ids start here (the spec's example key id is 512189).
KEY_ID_BASE = 512189


class SshKeys(Service):
    def seed(self, doc: Json, now: float) -> None:
        doc["ssh_keys"] = {}

    @property
    def _keys(self) -> Json:
        return self.slice("ssh_keys")

    # ------------------------------------------------------------------ link

    def resolve(self, ref: Any) -> Json | None:
        key_id = as_id(ref)
        if key_id is not None and str(key_id) in self._keys:
            return dict(self._keys[str(key_id)])
        if isinstance(ref, str):
            return next((dict(k) for k in self._keys.values() if k["fingerprint"] == ref), None)
        return None

    # ------------------------------------------------------------------ the API

    def _key(self, ref: str) -> Json:
        key = self._keys.get(str(ref))
        if key is None:
            key = next((k for k in self._keys.values() if k["fingerprint"] == ref), None)
        if key is None:
            raise not_found()
        return key  # type: ignore[no-any-return]

    @staticmethod
    def _name(name: Any) -> str:
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise unprocessable("name is required: a human-readable display name")
        return name

    def create(self, body: Json) -> Json:
        with self.core.tx():
            name = self._name(body.get("name"))
            public_key = body.get("public_key")
            parts = public_key.split() if isinstance(public_key, str) else []
            try:
                blob = base64.b64decode(parts[1], validate=True) if len(parts) >= 2 else b""
            except ValueError:
                blob = b""
            if not blob or not parts[0].startswith(("ssh-", "ecdsa-", "sk-")):
                raise unprocessable("Key invalid, key should be of the form `type key [comment]`")
            digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
            fingerprint = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
            if any(k["fingerprint"] == fingerprint for k in self._keys.values()):
                raise unprocessable("SSH Key is already in use on your account")
            key_id = self.core.next_id("ssh_key") + KEY_ID_BASE
            key = {"id": key_id, "fingerprint": fingerprint, "public_key": public_key, "name": name}
            self._keys[str(key_id)] = key
            self.core.touch()
            return dict(key)

    def list(self) -> JsonList:
        with self.core.tx():
            return [dict(k) for k in self._keys.values()]

    def get(self, ref: str) -> Json:
        with self.core.tx():
            return dict(self._key(ref))

    def update(self, ref: str, body: Json) -> Json:
        with self.core.tx():
            key = self._key(ref)
            key["name"] = self._name(body.get("name"))
            self.core.touch()
            return dict(key)

    def delete(self, ref: str) -> None:
        with self.core.tx():
            key = self._key(ref)
            del self._keys[str(key["id"])]
            self.core.touch()
