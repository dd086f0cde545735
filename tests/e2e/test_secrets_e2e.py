"""Secrets under the real engine: what a program marks secret never reaches the state or the display in
plain text.

The provider tells the engine it handles secrets itself (Configure's `acceptSecrets`), so this is where a
provider that forgets a secret marker would leak it: `pulumi stack export` would show it, and
`pulumi stack output` would print it without `--show-secrets`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.harness import Stack, emulator_droplet

NAME, TAG, NEW_TAG = "hush-e2e-name", "hush-e2e-tag", "hush-e2e-tag-two"
USER_DATA = "hush-e2e-user-data"
SECRETS = (NAME, TAG, NEW_TAG, USER_DATA)

PROGRAM = f"""
import pulumi
import pulumi_ocean as ocean

config = pulumi.Config()
web = ocean.Droplet(
    "web",
    name=pulumi.Output.secret("{NAME}"),
    region="nyc3",
    size="s-1vcpu-1gb",
    image="ubuntu-24-04-x64",
    tags=["web", config.require_secret("tag")],
    user_data="#cloud-config\\nruncmd: [echo {USER_DATA}]\\n",
)
pulumi.export("id", web.droplet_id)
pulumi.export("name", web.name)
pulumi.export("tags", web.tags)
pulumi.export("userData", web.user_data)
pulumi.export("status", web.status)
"""


@pytest.fixture
def emu(ocean_emulator_factory: Any) -> Any:
    return ocean_emulator_factory(time_scale=100.0, clock_mode="scaled")


def _assert_no_secret(text: str, where: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"{leaked} in plain text in {where}:\n{text[:4000]}"


def _check_state(stack: Stack, where: str) -> None:
    _assert_no_secret(json.dumps(stack.export()), f"`pulumi stack export` after {where}")
    plain = stack.run("stack", "output", "--json")
    _assert_no_secret(plain.stdout, f"`pulumi stack output` after {where}")
    outputs = plain.json()
    assert outputs["name"] == "[secret]" and outputs["tags"] == "[secret]", outputs
    assert outputs["userData"] == "[secret]", outputs
    assert outputs["status"] == "active", "outputs not derived from a secret stay readable"


def test_secret_name_tag_and_user_data_never_in_plain_text(new_stack: Any, emu: Any) -> None:
    stack: Stack = new_stack(
        PROGRAM, extra_env={"DIGITALOCEAN_API_URL": emu.base_url, "DIGITALOCEAN_TOKEN": "e2e-token"}
    )
    stack.set_config("tag", TAG, secret=True)

    preview = stack.run("preview", "--diff")
    _assert_no_secret(preview.stdout + preview.stderr, "the preview")
    name_lines = [line for line in preview.stdout.splitlines() if line.strip().startswith("name")]
    assert name_lines and all("[secret]" in line for line in name_lines), preview.output

    up = stack.up()
    _assert_no_secret(up.stdout + up.stderr, "the output of `pulumi up`")
    _check_state(stack, "up")
    # The secrets were used, not lost: DigitalOcean got them, and --show-secrets shows them.
    shown = stack.outputs()
    assert shown["name"] == NAME and shown["tags"] == ["web", TAG] and USER_DATA in shown["userData"]
    droplet = emulator_droplet(emu, shown["id"])
    assert droplet is not None and droplet["name"] == NAME and TAG in droplet["tags"]

    # Refresh reads the droplet back (Read) and an update changes a secret tag (Update): still secret.
    refresh = stack.refresh()
    _assert_no_secret(refresh.stdout + refresh.stderr, "the output of `pulumi refresh`")
    _check_state(stack, "refresh")
    stack.set_config("tag", NEW_TAG, secret=True)
    update_preview = stack.run("preview", "--diff")
    _assert_no_secret(update_preview.stdout, "the update preview")
    assert "[secret]" in update_preview.stdout, update_preview.output
    up = stack.up()
    _assert_no_secret(up.stdout + up.stderr, "the output of the update")
    _check_state(stack, "an update")
    assert stack.outputs()["tags"] == ["web", NEW_TAG]
    assert stack.outputs()["id"] == shown["id"], "a tag change updates in place"

    stack.destroy()
    assert emulator_droplet(emu, shown["id"]) is None
