"""Firewalls under the real `pulumi` CLI against the emulator: examples/firewall itself, every kind of
change sent granularly (asserted from the emulator's request log), DigitalOcean's normalisation and
drift, rules owned elsewhere, a replaced droplet, import, timeouts and Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from typing import Any

import pytest

from tests.e2e.harness import REPO, Stack, emulator_api, planned_op, wait_until

EXAMPLE = (REPO / "examples" / "firewall" / "__main__.py").read_text()
FIREWALL = "ocean:index:Firewall"

# A program steered by spec.json in its directory, so each step can change anything.
SPEC_PROGRAM = """
import json
import pulumi
import pulumi_ocean as ocean

spec = json.load(open("spec.json"))
rules = lambda key, cls: [cls(**r) for r in spec[key]] if key in spec else None
fw = ocean.Firewall(
    "fw",
    name=spec.get("name"),
    inbound_rules=rules("inbound", ocean.FirewallInboundRuleArgs),
    outbound_rules=rules("outbound", ocean.FirewallOutboundRuleArgs),
    droplet_ids=spec.get("droplets"),
    tags=spec.get("tags"),
    opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=spec.get("timeout"))),
)
for i, r in enumerate(spec.get("extra_rules", [])):
    rule = ocean.FirewallInboundRuleArgs(**r)
    ocean.FirewallRule(f"extra-{i}", firewall_id=fw.firewall_id, inbound_rule=rule)
pulumi.export("id", fw.firewall_id)
pulumi.export("status", fw.status)
"""
SSH = {"protocol": "tcp", "port_range": "22", "source_addresses": ["10.0.0.0/8"]}
HTTP = {"protocol": "tcp", "port_range": "80", "source_addresses": ["0.0.0.0/0", "::/0"]}
OUT = {"protocol": "tcp", "port_range": "all", "destination_addresses": ["0.0.0.0/0", "::/0"]}


@pytest.fixture
def emu(ocean_emulator_factory: Any) -> Any:
    return ocean_emulator_factory(time_scale=100.0, clock_mode="scaled")


def _stack(new_stack: Any, emu: Any, program: str = SPEC_PROGRAM) -> Stack:
    return new_stack(  # type: ignore[no-any-return]
        program, extra_env={"DIGITALOCEAN_API_URL": emu.base_url, "DIGITALOCEAN_TOKEN": "fw-token"}
    )


def _spec(stack: Stack, **spec: Any) -> None:
    (stack.workdir / "spec.json").write_text(json.dumps(spec))


def _mark(emu: Any) -> int:
    return len(emu.control.requests()["requests"])


def _sent(emu: Any, since: int) -> list[tuple[str, str]]:
    """Every request other than a GET since `since`, as (method, DigitalOcean path template)."""
    return [
        (r["method"], r["template"])
        for r in emu.control.requests()["requests"][since:]
        if r["method"] != "GET"
    ]


def _droplets(emu: Any, n: int, tags: list[str] | None = None) -> list[int]:
    body = {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64", "tags": tags or []}
    with emulator_api(emu) as api:
        return [
            int(api.post("/v2/droplets", json={**body, "name": f"d{i}"}).json()["droplet"]["id"])
            for i in range(n)
        ]


def _live(emu: Any, firewall_id: str) -> dict[str, Any]:
    with emulator_api(emu) as api:
        return api.get(f"/v2/firewalls/{firewall_id}").json()["firewall"]  # type: ignore[no-any-return]


def _diff_keys(preview: dict[str, Any], name: str) -> dict[str, str]:
    for step in preview.get("steps", []):
        if step["urn"].endswith(f"::{name}"):
            return {k: v["kind"] for k, v in (step.get("detailedDiff") or {}).items()}
    return {}


def _assert_no_changes(stack: Stack) -> None:
    preview = stack.preview()
    assert set(preview["changeSummary"]) == {"same"}, json.dumps(preview, indent=1)[:3000]


# --------------------------------------------------------------------------------------------------


def test_the_example_program(new_stack: Any, emu: Any) -> None:
    stack = _stack(new_stack, emu, EXAMPLE)
    preview = stack.preview()
    assert planned_op(preview, "web") == "create"
    stack.up()
    out = stack.outputs()
    fw = _live(emu, out["firewall_id"])
    assert (
        out["firewall_status"] == "succeeded" and fw["status"] == "succeeded" and fw["pending_changes"] == []
    )
    # Besides the program's tag, the firewall carries its create mark (ocean.resources.adoption).
    assert [t for t in fw["tags"] if not t.startswith("pulumi-ocean:")] == ["web"]
    assert fw["droplet_ids"] == [out["admin_id"]]
    ssh = next(r for r in fw["inbound_rules"] if r["ports"] == "22")
    assert ssh["sources"]["droplet_ids"] == [out["admin_id"]], "the admin droplet's id, unknown at preview"
    _assert_no_changes(stack)

    # One more rule: one POST of that rule, shown in the preview as that rule.
    stack.set_config("metrics", "true")
    assert _diff_keys(stack.preview(), "web") == {"inboundRules[4]": "add"}
    since = _mark(emu)
    stack.up()
    assert _sent(emu, since) == [("POST", "/v2/firewalls/{firewall_id}/rules")]
    assert any(r["ports"] == "9100" for r in _live(emu, out["firewall_id"])["inbound_rules"])

    # A third web droplet: the tag covers it, the firewall does not change.
    stack.set_config("webCount", "3")
    preview = stack.preview()
    assert planned_op(preview, "web-2") == "create" and planned_op(preview, "web") == "same"
    stack.up()
    _assert_no_changes(stack)
    stack.destroy()
    with emulator_api(emu) as api:
        assert api.get(f"/v2/firewalls/{out['firewall_id']}").status_code == 404


def test_every_change_is_granular_and_only_a_rename_puts(new_stack: Any, emu: Any) -> None:
    d1, d2, d3 = _droplets(emu, 3)
    stack = _stack(new_stack, emu)
    spec: dict[str, Any] = {
        "name": "fw",
        "inbound": [SSH],
        "outbound": [OUT],
        "droplets": [d1, d2],
        "tags": ["web"],
    }
    _spec(stack, **spec)
    since = _mark(emu)
    stack.up()
    # The program's tag and the create mark's tag (ocean.resources.adoption) exist first.
    assert _sent(emu, since) == [("POST", "/v2/tags"), ("POST", "/v2/tags"), ("POST", "/v2/firewalls")]
    firewall_id = stack.outputs()["id"]

    steps: list[tuple[dict[str, Any], dict[str, str], list[tuple[str, str]]]] = [
        ({"name": "fw-renamed"}, {"name": "update"}, [("PUT", "/v2/firewalls/{firewall_id}")]),
        (
            {"inbound": [SSH, HTTP]},
            {"inboundRules[1]": "add"},
            [("POST", "/v2/firewalls/{firewall_id}/rules")],
        ),
        (
            {"inbound": [HTTP]},
            {"inboundRules[0]": "delete"},
            [("DELETE", "/v2/firewalls/{firewall_id}/rules")],
        ),
        (
            {"droplets": [d1, d2, d3]},
            {"dropletIds": "update"},
            [("POST", "/v2/firewalls/{firewall_id}/droplets")],
        ),
        ({"droplets": [d3]}, {"dropletIds": "update"}, [("DELETE", "/v2/firewalls/{firewall_id}/droplets")]),
        (
            {"tags": ["web", "db"]},
            {"tags": "update"},
            [("POST", "/v2/tags"), ("POST", "/v2/firewalls/{firewall_id}/tags")],
        ),
        ({"tags": ["db"]}, {"tags": "update"}, [("DELETE", "/v2/firewalls/{firewall_id}/tags")]),
    ]
    for change, diff, requests in steps:
        spec.update(change)
        _spec(stack, **spec)
        assert _diff_keys(stack.preview(), "fw") == diff, change
        since = _mark(emu)
        stack.up()
        assert _sent(emu, since) == requests, change
        _assert_no_changes(stack)
    fw = _live(emu, firewall_id)
    assert fw["name"] == "fw-renamed" and fw["droplet_ids"] == [d3]
    assert [t for t in fw["tags"] if not t.startswith("pulumi-ocean:")] == ["db"], "and the create mark"
    assert [r["ports"] for r in fw["inbound_rules"]] == ["80"]
    puts = [r for r in emu.control.requests()["requests"] if r["method"] == "PUT"]
    assert len(puts) == 1, "the rename was the only PUT"


def test_digitalocean_normalisation_round_trips_then_drift_is_restored(new_stack: Any, emu: Any) -> None:
    (d1, d2) = _droplets(emu, 2)
    stack = _stack(new_stack, emu)
    inbound = [
        {"protocol": "tcp", "port_range": "all", "source_addresses": ["10.0.0.1/32", "10.0.0.1"]},
        {"protocol": "udp", "port_range": "1-65535", "source_addresses": ["2001:0db8:0000::/48"]},
        {"protocol": "tcp", "port_range": "22", "source_tags": ["Admin"]},
        {"protocol": "tcp", "port_range": "443", "source_addresses": ["::/0", "0.0.0.0/0"]},
    ]
    _spec(stack, name="norm", inbound=inbound, outbound=[OUT], droplets=[d1], tags=["Web"])
    stack.up()
    firewall_id = stack.outputs()["id"]
    _assert_no_changes(stack)

    # What DigitalOcean answers: "0" for all ports, a host without /32, compressed IPv6, lower-case tags,
    # its own order. Written behind Pulumi's back, read by refresh: still no changes.
    fw = _live(emu, firewall_id)
    normalised = []
    for rule in reversed(fw["inbound_rules"]):
        src = dict(rule["sources"])
        if "addresses" in src:
            src["addresses"] = [
                a.replace("/32", "").replace("2001:0db8:0000::/48", "2001:db8::/48")
                for a in reversed(src["addresses"])
            ]
        if "tags" in src:
            src["tags"] = [t.lower() for t in src["tags"]]
        normalised.append(
            {
                "protocol": rule["protocol"],
                "ports": "0" if rule["ports"] in ("all", "1-65535") else rule["ports"],
                "sources": src,
            }
        )
    with emulator_api(emu) as api:
        body = {
            **{k: fw[k] for k in ("name", "droplet_ids", "outbound_rules")},
            "inbound_rules": normalised,
            "tags": ["web"],
        }
        assert api.put(f"/v2/firewalls/{firewall_id}", json=body).status_code == 200
    assert any(
        r["sources"].get("addresses") == ["10.0.0.1"] for r in _live(emu, firewall_id)["inbound_rules"]
    )
    stack.refresh()
    _assert_no_changes(stack)

    # Drift: a rule, a droplet and a tag added outside Pulumi, and one of the program's rules removed.
    with emulator_api(emu) as api:
        extra = {"protocol": "tcp", "ports": "8080", "sources": {"addresses": ["0.0.0.0/0"]}}
        assert (
            api.post(f"/v2/firewalls/{firewall_id}/rules", json={"inbound_rules": [extra]}).status_code == 204
        )
        first = next(
            r for r in _live(emu, firewall_id)["inbound_rules"] if (r["protocol"], r["ports"]) == ("tcp", "0")
        )
        assert (
            api.request(
                "DELETE", f"/v2/firewalls/{firewall_id}/rules", json={"inbound_rules": [first]}
            ).status_code
            == 204
        )
        assert (
            api.post(f"/v2/firewalls/{firewall_id}/droplets", json={"droplet_ids": [d2]}).status_code == 204
        )
        assert api.post(f"/v2/firewalls/{firewall_id}/tags", json={"tags": ["stray"]}).status_code == 204
    stack.refresh()
    [res] = stack.resources(FIREWALL)
    assert any(r.get("portRange") == "8080" for r in res["outputs"]["inboundRules"]), (
        "refresh shows the drift"
    )
    keys = _diff_keys(stack.preview(), "fw")
    assert keys["dropletIds"] == "update" and keys["tags"] == "update"
    # The program's first rule, removed outside, is added back; the stray rule (recorded last) removed.
    assert {k: v for k, v in keys.items() if k.startswith("inboundRules[")} == {
        "inboundRules[0]": "add",
        "inboundRules[3]": "delete",
    }, keys
    since = _mark(emu)
    stack.up()
    sent = _sent(emu, since)
    assert sorted(sent) == sorted(
        [
            ("DELETE", "/v2/firewalls/{firewall_id}/rules"),
            ("POST", "/v2/firewalls/{firewall_id}/rules"),
            ("DELETE", "/v2/firewalls/{firewall_id}/droplets"),
            ("DELETE", "/v2/firewalls/{firewall_id}/tags"),
        ]
    ), sent
    fw = _live(emu, firewall_id)
    assert fw["droplet_ids"] == [d1] and [t.lower() for t in fw["tags"]] == ["web"]
    assert sorted(r["ports"] for r in fw["inbound_rules"]) == ["0", "0", "22", "443"]
    stack.refresh()
    _assert_no_changes(stack)


def test_the_emulator_itself_normalises_like_digitalocean(new_stack: Any, emu: Any) -> None:
    stack = _stack(new_stack, emu)
    inbound = [
        {"protocol": "tcp", "port_range": "1-65535", "source_addresses": ["10.0.0.1/32", "2001:0db8::/32"]},
        {"protocol": "tcp", "port_range": "22", "source_tags": ["Admin"]},
    ]
    _spec(stack, name="norm", inbound=inbound, outbound=[OUT])
    stack.up()
    fw = _live(emu, stack.outputs()["id"])
    addresses = [a for r in fw["inbound_rules"] for a in r["sources"].get("addresses", [])]
    assert "10.0.0.1" in addresses and "2001:db8::/32" in addresses
    assert {r["ports"] for r in fw["inbound_rules"]} == {"0", "22"}
    assert [t for r in fw["inbound_rules"] for t in r["sources"].get("tags", [])] == ["admin"]
    _assert_no_changes(stack)


def test_rules_owned_elsewhere_survive_an_unrelated_up(new_stack: Any, emu: Any) -> None:
    (d1,) = _droplets(emu, 1)
    stack = _stack(new_stack, emu)
    # The Firewall owns outbound rules only; inbound rules come from a FirewallRule and from a person.
    spec: dict[str, Any] = {"name": "shared", "outbound": [OUT], "extra_rules": [SSH]}
    _spec(stack, **spec)
    stack.up()
    firewall_id = stack.outputs()["id"]
    with emulator_api(emu) as api:
        by_hand = {"protocol": "tcp", "ports": "8443", "sources": {"addresses": ["192.0.2.0/24"]}}
        assert (
            api.post(f"/v2/firewalls/{firewall_id}/rules", json={"inbound_rules": [by_hand]}).status_code
            == 204
        )
    stack.refresh()
    _assert_no_changes(stack)

    spec["droplets"] = [d1]
    _spec(stack, **spec)
    since = _mark(emu)
    stack.up()
    assert _sent(emu, since) == [("POST", "/v2/firewalls/{firewall_id}/droplets")], "no rule touched, no PUT"
    ports = sorted(r["ports"] for r in _live(emu, firewall_id)["inbound_rules"])
    assert ports == ["22", "8443"], "the FirewallRule's rule and the hand-made rule both survived"
    _assert_no_changes(stack)

    # Removing the FirewallRule removes its rule only.
    spec["extra_rules"] = []
    _spec(stack, **spec)
    stack.up()
    assert [r["ports"] for r in _live(emu, firewall_id)["inbound_rules"]] == ["8443"]


def test_a_replaced_droplet_moves_to_its_new_id_without_replacing_the_firewall(
    new_stack: Any, emu: Any
) -> None:
    program = """
import pulumi
import pulumi_ocean as ocean

image = pulumi.Config().get("image") or "ubuntu-24-04-x64"
app = ocean.Droplet("app", region="nyc3", size="s-1vcpu-1gb", image=image)
fw = ocean.Firewall(
    "fw",
    droplet_ids=[app.droplet_id],
    inbound_rules=[
        ocean.FirewallInboundRuleArgs(protocol="tcp", port_range="5432", source_droplet_ids=[app.droplet_id])
    ],
)
pulumi.export("app", app.droplet_id)
pulumi.export("fw", fw.firewall_id)
"""
    stack = _stack(new_stack, emu, program)
    stack.up()
    before = stack.outputs()
    stack.set_config("image", "debian-12-x64")
    preview = stack.preview()
    assert planned_op(preview, "app") == "replace" and planned_op(preview, "fw") == "update"
    since = _mark(emu)
    stack.up()
    after = stack.outputs()
    assert after["fw"] == before["fw"] and after["app"] != before["app"]
    fw = _live(emu, after["fw"])
    assert fw["droplet_ids"] == [after["app"]]
    assert fw["inbound_rules"][0]["sources"]["droplet_ids"] == [after["app"]]
    assert ("PUT", "/v2/firewalls/{firewall_id}") not in _sent(emu, since)
    _assert_no_changes(stack)


@pytest.mark.engines("oldest")  # `pulumi import --out` (code generation): see Stack.import_
def test_import_generates_a_program_with_no_changes(new_stack: Any, emu: Any) -> None:
    (d1,) = _droplets(emu, 1, tags=["web"])
    with emulator_api(emu) as api:
        made = api.post(
            "/v2/firewalls",
            json={
                "name": "made-elsewhere",
                "inbound_rules": [
                    {
                        "protocol": "tcp",
                        "ports": "22",
                        "sources": {"addresses": ["10.0.0.0/8"], "tags": ["web"]},
                    },
                    {"protocol": "icmp", "sources": {"addresses": ["0.0.0.0/0"]}},
                ],
                "outbound_rules": [
                    {"protocol": "udp", "ports": "all", "destinations": {"addresses": ["0.0.0.0/0"]}}
                ],
                "droplet_ids": [d1],
                "tags": ["web"],
            },
        ).json()["firewall"]
    stack = _stack(new_stack, emu, "import pulumi\n")
    stack.import_(FIREWALL, "imported", made["id"], "--protect=false")
    generated = (stack.workdir / "import_program.py").read_text()
    assert "made-elsewhere" in generated and "port_range" in generated
    stack.write_program(generated)
    preview = stack.preview()
    assert planned_op(preview, "imported") == "same", preview
    stack.refresh()
    _assert_no_changes(stack)
    stack.destroy()


def test_custom_timeout_keeps_the_firewall_and_the_next_up_converges(
    new_stack: Any, ocean_emulator_factory: Any
) -> None:
    stuck = ocean_emulator_factory(clock_mode="manual")  # nothing settles until the test moves the clock
    stack = _stack(new_stack, stuck)
    _spec(stack, name="slow", inbound=[SSH], timeout="2s")
    started = time.monotonic()
    result = stack.up(check=False)
    assert result.returncode != 0 and time.monotonic() - started < 60
    text = result.stdout + result.stderr
    assert "timed out" in text and "customTimeouts" in text
    [res] = stack.resources(FIREWALL)
    assert res["id"] and res["outputs"]["status"] == "waiting", "the firewall is recorded, not orphaned"
    stuck.control.advance(30)
    stack.up()
    assert stack.outputs()["status"] == "succeeded" and stack.outputs()["id"] == res["id"]
    with emulator_api(stuck) as api:
        assert len(api.get("/v2/firewalls").json()["firewalls"]) == 1, "no second firewall"


def _interrupted_up(stack: Stack, emu: Any) -> tuple[int, str, float]:
    """`pulumi up`, interrupted with one Ctrl-C (SIGINT) while the firewall create waits.
    Returns (exit code, output, seconds from Ctrl-C to exit)."""
    proc = subprocess.Popen(
        [str(stack.pulumi), "up", "--yes", "--skip-preview", "--non-interactive", "--color", "never"],
        cwd=stack.workdir,
        env=stack.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the cleanup below kills only what it started
    )
    try:
        wait_until(
            lambda: any(
                r["method"] == "GET" and r["template"] == "/v2/firewalls/{firewall_id}"
                for r in emu.control.requests()["requests"]
            ),
            timeout=120,
        )
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
        return proc.returncode, output, time.monotonic() - started
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_ctrl_c_stops_the_wait_promptly(new_stack: Any, ocean_emulator_factory: Any) -> None:
    stuck = ocean_emulator_factory(clock_mode="manual")  # the firewall would never settle
    stack = _stack(new_stack, stuck)
    _spec(stack, name="cancelled", inbound=[SSH])
    code, output, seconds = _interrupted_up(stack, stuck)
    # The firewall never settles on a stopped clock: only the Ctrl-C ended this `up`.
    assert code != 0 and seconds < 30, output
    assert "ocean:index:Firewall fw" in output and "creating failed" in output, output


def test_after_ctrl_c_the_next_up_does_not_make_a_second_firewall(
    new_stack: Any, ocean_emulator_factory: Any
) -> None:
    """The newest engine sends Cancel before it stops the provider, so the firewall created before the
    Ctrl-C is recorded (Pulumi v3.79 kills the provider first: see README "Pulumi version"); and were the
    provider killed before it could answer, the next `up` would find the firewall by its create mark
    (ocean.resources.adoption) and adopt it."""
    stuck = ocean_emulator_factory(clock_mode="manual")
    stack = _stack(new_stack, stuck)
    _spec(stack, name="cancelled", inbound=[SSH])
    _interrupted_up(stack, stuck)
    stuck.control.set_clock("scaled", 100.0)
    stack.up()
    with emulator_api(stuck) as api:
        [fw] = api.get("/v2/firewalls").json()["firewalls"]
    [res] = stack.resources(FIREWALL)
    assert res["id"] == fw["id"] and res["outputs"]["tags"] == [], "the mark is not one of its tags"


def test_a_failed_firewall_names_the_droplets_and_stays_in_the_stack(new_stack: Any, emu: Any) -> None:
    (d1,) = _droplets(emu, 1)
    emu.control.fault(firewall="failed", times=1)
    stack = _stack(new_stack, emu)
    _spec(stack, name="doomed", inbound=[SSH], droplets=[d1])
    result = stack.up(check=False)
    text = result.stdout + result.stderr
    assert result.returncode != 0 and "failed" in text and str(d1) in text
    [res] = stack.resources(FIREWALL)
    assert res["id"] and res["outputs"]["status"] == "failed"
    # Still failed at DigitalOcean: the next up says so again rather than calling it converged.
    again = stack.up(check=False)
    assert again.returncode != 0 and str(d1) in again.stdout + again.stderr
    # A change makes DigitalOcean apply the firewall anew (the fault fired once): converged, one firewall.
    _spec(stack, name="doomed", inbound=[SSH], droplets=[])
    stack.up()
    assert stack.outputs()["status"] == "succeeded" and stack.outputs()["id"] == res["id"]
    with emulator_api(emu) as api:
        assert len(api.get("/v2/firewalls").json()["firewalls"]) == 1
