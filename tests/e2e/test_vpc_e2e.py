"""VPCs and VPC peerings under the real `pulumi` CLI, against the emulator over HTTP.

The first test runs examples/vpc-peering as it is: up (droplets in their VPCs in one run), rename,
the pair listed the other way round, drift, destroy with nothing left behind. The others cover a
peering still PROVISIONING at the create timeout, a VPC delete waiting for a member going away or
refused with its members listed, import, and the default VPC."""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from typing import Any

import pytest

from tests.e2e.harness import REPO, Stack, emulator_api, planned_op, wait_until

EXAMPLE = (REPO / "examples" / "vpc-peering" / "__main__.py").read_text()
PEERING = "ocean:index:VpcPeering"
VPC = "ocean:index:Vpc"


@pytest.fixture
def emu(ocean_emulator_factory: Any) -> Any:
    return ocean_emulator_factory(time_scale=100.0, clock_mode="scaled")


def _stack(new_stack: Any, emu: Any, program: str = EXAMPLE) -> Stack:
    return new_stack(  # type: ignore[no-any-return]
        program, extra_env={"DIGITALOCEAN_API_URL": emu.base_url, "DIGITALOCEAN_TOKEN": "vpc-e2e-token"}
    )


def _get(emu: Any, path: str) -> Any:
    with emulator_api(emu) as api:
        r = api.get(path, params={"per_page": 200})
        return None if r.status_code == 404 else r.json()


def _default_vpc_ids(emu: Any, region: str | None = None) -> set[str]:
    return {v["id"] for v in _get(emu, "/v2/vpcs")["vpcs"] if v["default"] and region in (None, v["region"])}


def test_vpc_peering_example_up_rename_reverse_drift_destroy(new_stack: Any, emu: Any) -> None:
    defaults = _default_vpc_ids(emu)
    stack = _stack(new_stack, emu)
    stack.up()
    out = stack.outputs()
    blue, green = out["blue_vpc_id"], out["green_vpc_id"]
    assert out["peering_status"] == "ACTIVE"
    assert out["web_vpc_id"] == blue and out["db_vpc_id"] == green, "each droplet is in its VPC, in one up"
    assert out["default_vpc_name"], "the region's default VPC was looked up"
    peering = _get(emu, f"/v2/vpc_peerings/{out['peering_id']}")["vpc_peering"]
    assert set(peering["vpc_ids"]) == {blue, green} and peering["status"] == "ACTIVE"
    blue_range = _get(emu, f"/v2/vpcs/{blue}")["vpc"]["ip_range"]
    assert ipaddress.ip_address(out["web_private_ip"]) in ipaddress.ip_network(blue_range)
    assert set(stack.preview()["changeSummary"]) == {"same"}

    # Rename the peering in place.
    stack.set_config("peeringName", "blue-to-green")
    assert planned_op(stack.preview(), "blue-green") == "update"
    stack.up()
    assert _get(emu, f"/v2/vpc_peerings/{out['peering_id']}")["vpc_peering"]["name"] == "blue-to-green"
    assert stack.outputs()["peering_id"] == out["peering_id"]

    # The same two VPCs, listed the other way round: no change.
    reversed_program = EXAMPLE.replace(
        "vpc_ids=[blue.vpc_id, green.vpc_id]", "vpc_ids=[green.vpc_id, blue.vpc_id]"
    )
    assert reversed_program != EXAMPLE
    stack.write_program(reversed_program)
    preview = stack.preview()
    assert set(preview["changeSummary"]) == {"same"}, preview
    stack.write_program(EXAMPLE)

    # Drift: a VPC renamed and described differently, and the peering deleted, outside Pulumi.
    blue_name = _get(emu, f"/v2/vpcs/{blue}")["vpc"]["name"]
    with emulator_api(emu) as api:
        assert (
            api.patch(f"/v2/vpcs/{blue}", json={"name": "by-hand", "description": "edited"}).status_code
            == 200
        )
        assert api.delete(f"/v2/vpc_peerings/{out['peering_id']}").status_code == 202
    wait_until(lambda: _get(emu, f"/v2/vpc_peerings/{out['peering_id']}") is None)
    stack.refresh()
    [blue_res] = [r for r in stack.resources(VPC) if r["id"] == blue]
    assert blue_res["outputs"]["name"] == "by-hand" and blue_res["outputs"]["description"] == "edited"
    assert stack.resources(PEERING) == [], "the deleted peering left the stack"
    preview = stack.preview()
    assert planned_op(preview, "blue") == "update" and planned_op(preview, "blue-green") == "create"
    stack.up()
    assert _get(emu, f"/v2/vpcs/{blue}")["vpc"]["name"] == blue_name
    assert _get(emu, f"/v2/vpcs/{blue}")["vpc"]["description"] == "the web tier"
    assert stack.outputs()["peering_status"] == "ACTIVE"

    # Destroy: peering, droplets, then VPCs, without a refused request; nothing left behind.
    before = emu.control.requests()["total"]
    stack.destroy()
    deletes = [r for r in emu.control.requests()["requests"][before:] if r["method"] == "DELETE"]
    assert deletes and all(r["status"] in (202, 204) for r in deletes), deletes
    assert {v["id"] for v in _get(emu, "/v2/vpcs")["vpcs"]} == defaults
    assert _get(emu, "/v2/droplets")["droplets"] == []
    assert _get(emu, "/v2/vpc_peerings")["vpc_peerings"] == []


PEERING_ONLY = """
import pulumi
import pulumi_ocean as ocean

a = ocean.Vpc("a", region="nyc3")
b = ocean.Vpc("b", region="nyc3")
link = ocean.VpcPeering(
    "link",
    vpc_ids=[a.vpc_id, b.vpc_id],
    opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="3s")),
)
pulumi.export("status", link.status)
"""


def test_peering_still_provisioning_at_the_create_timeout_is_kept_and_the_next_up_resumes(
    new_stack: Any, ocean_emulator_factory: Any
) -> None:
    emu = ocean_emulator_factory(clock_mode="manual")  # the peering stays PROVISIONING until time moves
    stack = _stack(new_stack, emu, PEERING_ONLY)
    started = time.monotonic()
    result = stack.up(check=False)
    elapsed = time.monotonic() - started
    text = result.stdout + result.stderr
    assert result.returncode != 0
    assert "still PROVISIONING" in text and "resumes waiting" in text and "customTimeouts" in text
    assert elapsed < 40, f"up took {elapsed:.0f}s with a 3 s create timeout"
    [res] = stack.resources(PEERING)
    assert res["id"] and res["outputs"]["status"] == "PROVISIONING", "the peering is kept in the stack"
    assert planned_op(stack.preview(), "link") == "update"

    emu.control.advance(30)
    stack.up()
    assert stack.outputs()["status"] == "ACTIVE"
    [again] = stack.resources(PEERING)
    assert again["id"] == res["id"] and not again.get("initErrors")
    posts = [
        r
        for r in emu.control.requests()["requests"]
        if r["method"] == "POST" and r["path"] == "/v2/vpc_peerings"
    ]
    assert len(posts) == 1, "never created twice"
    assert set(stack.preview()["changeSummary"]) == {"same"}

    # Destroy with the clock still stopped: the peering is DELETING, and destroy waits for it.
    box: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: box.update(result=stack.destroy(check=False)))
    before = emu.control.requests()["total"]
    thread.start()
    peering_path = f"/v2/vpc_peerings/{res['id']}"

    def deleting_seen() -> bool:
        log = emu.control.requests()["requests"][before:]
        asked = [i for i, r in enumerate(log) if r["method"] == "DELETE" and r["path"] == peering_path]
        return bool(asked) and any(r["method"] == "GET" and r["status"] == 200 for r in log[asked[0] :])

    wait_until(deleting_seen, timeout=60)
    time.sleep(1.0)
    assert thread.is_alive(), "destroy waits while the peering is DELETING"
    emu.control.advance(10)
    thread.join(120)
    assert box["result"].returncode == 0, box["result"].output
    assert _get(emu, "/v2/vpc_peerings")["vpc_peerings"] == []
    assert stack.resources(PEERING) == [] and stack.resources(VPC) == []


def test_a_new_address_range_replaces_the_vpc_and_what_is_in_it_in_one_up(new_stack: Any, emu: Any) -> None:
    program = """
import pulumi
import pulumi_ocean as ocean

config = pulumi.Config()
net = ocean.Vpc("net", region="nyc3", ip_range=config.get("range") or "10.200.0.0/24")
other = ocean.Vpc("other", region="nyc3", ip_range="10.201.0.0/24")
web = ocean.Droplet("web", region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64", vpc_uuid=net.vpc_id)
link = ocean.VpcPeering("link", vpc_ids=[net.vpc_id, other.vpc_id])
pulumi.export("vpc_id", net.vpc_id)
pulumi.export("web_vpc_id", web.vpc_uuid)
"""
    stack = _stack(new_stack, emu, program)
    stack.up()
    old_vpc = stack.outputs()["vpc_id"]
    stack.set_config("range", "10.202.0.0/24")
    preview = stack.preview()
    for name in ("net", "web", "link"):
        assert planned_op(preview, name) == "replace", (name, preview)
    stack.up()
    out = stack.outputs()
    assert out["vpc_id"] != old_vpc and out["web_vpc_id"] == out["vpc_id"]
    assert _get(emu, f"/v2/vpcs/{old_vpc}") is None
    assert _get(emu, f"/v2/vpcs/{out['vpc_id']}")["vpc"]["ip_range"] == "10.202.0.0/24"
    stack.destroy()


def test_peering_that_goes_to_an_error_state_fails_naming_it_and_is_replaced_next(
    new_stack: Any, emu: Any
) -> None:
    emu.control.fault(vpc_peering_status="FAILED", times=1)
    stack = _stack(new_stack, emu, PEERING_ONLY.replace('create="3s"', 'create="5m"'))
    result = stack.up(check=False)
    text = result.stdout + result.stderr
    assert result.returncode != 0 and "went to status FAILED" in text
    [res] = stack.resources(PEERING)
    assert res["id"] and res["outputs"]["status"] == "FAILED"
    assert planned_op(stack.preview(), "link") in ("replace", "delete-replaced", "create-replacement")
    stack.up()
    assert stack.outputs()["status"] == "ACTIVE"


VPC_ONLY = """
import pulumi
import pulumi_ocean as ocean

config = pulumi.Config()
net = ocean.Vpc("net", region="nyc3", default=config.get_bool("default"))
pulumi.export("vpc_id", net.vpc_id)
pulumi.export("default", net.default)
"""


def _droplet_in(emu: Any, vpc_id: str, name: str) -> int:
    with emulator_api(emu) as api:
        r = api.post(
            "/v2/droplets",
            json={
                "name": name,
                "region": "nyc3",
                "size": "s-1vcpu-1gb",
                "image": "ubuntu-24-04-x64",
                "vpc_uuid": vpc_id,
            },
        )
        assert r.status_code == 202, r.text
        return int(r.json()["droplet"]["id"])


def _vpc_deletes(emu: Any, vpc_id: str, since: int = 0) -> list[int]:
    return [
        r["status"]
        for r in emu.control.requests()["requests"][since:]
        if r["method"] == "DELETE" and r["path"] == f"/v2/vpcs/{vpc_id}"
    ]


def test_vpc_destroy_waits_for_a_member_being_deleted(new_stack: Any, ocean_emulator_factory: Any) -> None:
    # A deleted droplet stays in the VPC for 4 real seconds.
    emu = ocean_emulator_factory(time_scale=10.0, clock_mode="scaled", droplet_delete_s=40.0)
    stack = _stack(new_stack, emu, VPC_ONLY)
    stack.up()
    vpc_id = stack.outputs()["vpc_id"]
    droplet_id = _droplet_in(emu, vpc_id, "leaving")
    with emulator_api(emu) as api:
        assert api.delete(f"/v2/droplets/{droplet_id}").status_code == 204
    stack.destroy()
    statuses = _vpc_deletes(emu, vpc_id)
    assert statuses[0] == 403 and statuses[-1] == 204, statuses
    assert _get(emu, f"/v2/vpcs/{vpc_id}") is None


def test_destroy_of_a_droplet_and_its_vpc_rides_out_digitaloceans_member_lag(
    new_stack: Any, ocean_emulator_factory: Any
) -> None:
    # DigitalOcean lists a deleted droplet among its VPC's members for a while after it answers 404; here
    # for 3 real seconds, longer than the engine takes from the droplet's delete to the VPC's.
    emu = ocean_emulator_factory(time_scale=100.0, clock_mode="scaled", vpc_member_lag_s=300.0)
    program = VPC_ONLY + (
        'd = ocean.Droplet("web", region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64", '
        "vpc_uuid=net.vpc_id)\n"
    )
    stack = _stack(new_stack, emu, program)
    stack.up()
    vpc_id = stack.outputs()["vpc_id"]
    stack.destroy()
    statuses = _vpc_deletes(emu, vpc_id)
    assert 403 in statuses, "DigitalOcean still counted the droplet as a member"
    assert statuses[-1] == 204


def test_vpc_destroy_with_members_not_going_away_fails_listing_them(new_stack: Any, emu: Any) -> None:
    stack = _stack(new_stack, emu, VPC_ONLY)
    stack.up()
    vpc_id = stack.outputs()["vpc_id"]
    droplet_id = _droplet_in(emu, vpc_id, "stays-here")
    result = stack.destroy(check=False)
    text = result.stdout + result.stderr
    assert result.returncode != 0
    assert (
        f"droplet 'stays-here' (do:droplet:{droplet_id})" in text and "none of these is being deleted" in text
    )
    assert "Delete them or move them" in text
    assert len(stack.resources(VPC)) == 1 and _get(emu, f"/v2/vpcs/{vpc_id}") is not None
    with emulator_api(emu) as api:
        assert api.delete(f"/v2/droplets/{droplet_id}").status_code == 204
    stack.destroy()
    assert _get(emu, f"/v2/vpcs/{vpc_id}") is None


def test_default_is_turned_on_in_place_refused_off_at_preview_and_never_deleted(
    new_stack: Any, emu: Any
) -> None:
    stack = _stack(new_stack, emu, VPC_ONLY)
    stack.up()
    vpc_id = stack.outputs()["vpc_id"]
    old_default = _default_vpc_ids(emu, "nyc3")
    stack.set_config("default", "true")
    assert planned_op(stack.preview(), "net") == "update"
    stack.up()
    assert stack.outputs()["default"] is True
    assert _default_vpc_ids(emu, "nyc3") == {vpc_id} != old_default, "the previous default stopped being it"

    stack.set_config("default", "false")
    before = emu.control.requests()["total"]
    refused = stack.run("preview", check=False)
    assert refused.returncode != 0 and "`default` cannot be turned off" in refused.stdout + refused.stderr
    assert all(r["method"] == "GET" for r in emu.control.requests()["requests"][before:])

    stack.run("config", "rm", "default")
    result = stack.destroy()
    assert "never deletes a region's default VPC" in result.stdout + result.stderr
    assert stack.resources(VPC) == [] and _get(emu, f"/v2/vpcs/{vpc_id}") is not None


@pytest.mark.engines("oldest")  # `pulumi import --out` (code generation): see Stack.import_
def test_import_of_vpcs_a_peering_and_a_default_vpc_round_trips(new_stack: Any, emu: Any) -> None:
    with emulator_api(emu) as api:
        a = api.post("/v2/vpcs", json={"name": "old-a", "region": "ams3", "description": "legacy"}).json()[
            "vpc"
        ]
        b = api.post(
            "/v2/vpcs", json={"name": "old-b", "region": "ams3", "ip_range": "192.168.8.0/24"}
        ).json()["vpc"]
        link = api.post("/v2/vpc_peerings", json={"name": "old-link", "vpc_ids": [a["id"], b["id"]]}).json()
    peering_id = link["vpc_peering"]["id"]
    wait_until(lambda: _get(emu, f"/v2/vpc_peerings/{peering_id}")["vpc_peering"]["status"] == "ACTIVE")
    default = next(v for v in _get(emu, "/v2/vpcs")["vpcs"] if v["default"] and v["region"] == "fra1")

    stack = _stack(new_stack, emu, "import pulumi\n")
    spec = {
        "resources": [
            {"type": VPC, "name": "a", "id": a["id"]},
            {"type": VPC, "name": "b", "id": b["id"]},
            {"type": PEERING, "name": "link", "id": peering_id},
            {"type": VPC, "name": "fra1-default", "id": default["id"]},
        ]
    }
    (stack.workdir / "import.json").write_text(json.dumps(spec))
    stack.run(
        "import", "--file", str(stack.workdir / "import.json"), "--yes", "--protect=false",
        "--out", str(stack.workdir / "import_program.py"),
    )  # fmt: skip
    generated = (stack.workdir / "import_program.py").read_text()
    assert "old-link" in generated and "192.168.8.0/24" in generated and "default=True" in generated
    stack.write_program(generated)
    preview = stack.preview()
    assert set(preview["changeSummary"]) == {"same"}, preview

    result = stack.destroy()
    assert "never deletes a region's default VPC" in result.stdout + result.stderr
    assert _get(emu, f"/v2/vpc_peerings/{peering_id}") is None
    assert _get(emu, f"/v2/vpcs/{a['id']}") is None and _get(emu, f"/v2/vpcs/{b['id']}") is None
    assert _get(emu, f"/v2/vpcs/{default['id']}") is not None
