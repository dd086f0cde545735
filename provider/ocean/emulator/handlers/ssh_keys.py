"""HTTP handlers for the account's SSH keys."""

from __future__ import annotations

from ocean.emulator.pipeline import Call, Handler, Reply, paginate
from ocean.emulator.validation import Body

SSH_KEY_CREATE = Body({"name": "string", "public_key": "string"}, required=("name", "public_key"))
SSH_KEY_UPDATE = Body({"name": "string"})


def _ref(call: Call) -> str:
    return str(call.params["ssh_key_identifier"])


def list_ssh_keys(call: Call) -> Reply:
    return 200, paginate(call, "ssh_keys", call.backend.ssh_keys.list())


def create_ssh_key(call: Call) -> Reply:
    return 201, {"ssh_key": call.backend.ssh_keys.create(SSH_KEY_CREATE.parse(call))}


def get_ssh_key(call: Call) -> Reply:
    return 200, {"ssh_key": call.backend.ssh_keys.get(_ref(call))}


def update_ssh_key(call: Call) -> Reply:
    return 200, {"ssh_key": call.backend.ssh_keys.update(_ref(call), SSH_KEY_UPDATE.parse(call))}


def delete_ssh_key(call: Call) -> Reply:
    call.backend.ssh_keys.delete(_ref(call))
    return 204, None


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v2/account/keys", list_ssh_keys),
    ("POST", "/v2/account/keys", create_ssh_key),
    ("GET", "/v2/account/keys/{ssh_key_identifier}", get_ssh_key),
    ("PUT", "/v2/account/keys/{ssh_key_identifier}", update_ssh_key),
    ("DELETE", "/v2/account/keys/{ssh_key_identifier}", delete_ssh_key),
]
