"""Every operation the emulator serves answers with what DigitalOcean's OpenAPI spec allows."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ocean.emulator.pytest_plugin import RunningEmulator

from .conftest import seed_spec_ssh_keys
from .spec_check import SpecChecker

pytestmark = pytest.mark.timeout(120)


def _example(spec: dict[str, Any], name: str) -> dict[str, Any]:
    value: dict[str, Any] = spec["components"]["examples"][name]["value"]
    return value


def test_droplet_create_examples_are_accepted(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker, spec: dict[str, Any]
) -> None:
    seed_spec_ssh_keys(ocean_emulator.backend)
    for name, key in [("droplet_create_request", "droplet"), ("droplet_multi_create_request", "droplets")]:
        example = _example(spec, name)
        assert checker.request_body("post", "/v2/droplets", example) == []
        response = api.post("/v2/droplets", json=example)
        assert response.status_code == 202, response.text
        assert key in response.json()
        checker.response(response, "/v2/droplets")


def test_requests_the_spec_forbids_get_error_envelopes(api: httpx.Client, checker: SpecChecker) -> None:
    forbidden = [
        ("POST", "/v2/droplets", {"name": "no-size-or-image"}),
        ("POST", "/v2/droplets", {"name": "bad name", "size": "s-1vcpu-1gb", "image": "debian-12-x64"}),
        ("POST", "/v2/droplets", {"names": "not-a-list", "size": "s-1vcpu-1gb", "image": "debian-12-x64"}),
        ("POST", "/v2/tags", {"name": "white space"}),
        ("POST", "/v2/vpcs", {"name": "no-region"}),
        ("POST", "/v2/firewalls", {"name": "no-rules"}),
        ("POST", "/v2/vpc_peerings", {"name": "one", "vpc_ids": ["only-one"]}),
    ]
    for method, path, body in forbidden:
        assert checker.request_body(method, path, body) != [], (path, body)
        response = api.request(method, path, json=body)
        assert response.status_code in (400, 422), (path, body, response.status_code)
        error = response.json()
        assert set(error) == {"id", "message", "request_id"}
        assert error["id"] in ("bad_request", "unprocessable_entity")


def test_every_served_operation_matches_the_spec(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    check = checker.response

    def ok(response: httpx.Response, template: str, **params: Any) -> Any:
        assert response.status_code < 300, (template, response.status_code, response.text)
        check(response, template, **params)
        return response.json() if response.content else None

    ok(api.get("/v2/account"), "/v2/account")
    ok(api.get("/v2/regions", params={"per_page": 3, "page": 2}), "/v2/regions")
    ok(api.get("/v2/sizes"), "/v2/sizes")
    images = ok(api.get("/v2/images", params={"type": "distribution"}), "/v2/images")["images"]
    ok(api.get(f"/v2/images/{images[0]['id']}"), "/v2/images/{image_id}", image_id=images[0]["id"])
    ok(api.get("/v2/images/debian-12-x64"), "/v2/images/{image_id}", image_id="debian-12-x64")

    body = {
        "name": "tour",
        "region": "nyc3",
        "size": "s-1vcpu-1gb",
        "image": "ubuntu-24-04-x64",
        "tags": ["tour"],
        "ipv6": True,
        "backups": True,
        "monitoring": True,
    }
    created = ok(api.post("/v2/droplets", json=body), "/v2/droplets")
    droplet_id = created["droplet"]["id"]
    action_id = created["links"]["actions"][0]["id"]
    d = {"droplet_id": droplet_id}
    ok(api.get(f"/v2/droplets/{droplet_id}"), "/v2/droplets/{droplet_id}", **d)
    ocean_emulator.control.advance(30)
    ok(api.get(f"/v2/droplets/{droplet_id}"), "/v2/droplets/{droplet_id}", **d)
    ok(api.get("/v2/droplets", params={"per_page": 1}), "/v2/droplets")
    ok(api.get("/v2/droplets", params={"tag_name": "tour"}), "/v2/droplets")
    ok(api.get("/v2/actions"), "/v2/actions")
    ok(api.get(f"/v2/actions/{action_id}"), "/v2/actions/{action_id}", action_id=action_id)
    ok(api.get(f"/v2/droplets/{droplet_id}/actions"), "/v2/droplets/{droplet_id}/actions", **d)
    ok(
        api.get(f"/v2/droplets/{droplet_id}/actions/{action_id}"),
        "/v2/droplets/{droplet_id}/actions/{action_id}",
        action_id=action_id,
        **d,
    )
    for action in [
        {"type": "snapshot", "name": "tour-snap"},
        {"type": "power_off"},
        {"type": "resize", "size": "s-2vcpu-4gb", "disk": True},
        {"type": "rename", "name": "tour2"},
    ]:
        started = ok(
            api.post(f"/v2/droplets/{droplet_id}/actions", json=action),
            "/v2/droplets/{droplet_id}/actions",
            **d,
        )
        assert started["action"]["status"] == "in-progress"
        ocean_emulator.control.advance(60)
    ok(api.get(f"/v2/droplets/{droplet_id}/snapshots"), "/v2/droplets/{droplet_id}/snapshots", **d)
    snapshots = ok(api.get("/v2/snapshots"), "/v2/snapshots")["snapshots"]
    snapshot_id = snapshots[0]["id"]
    ok(api.get(f"/v2/snapshots/{snapshot_id}"), "/v2/snapshots/{snapshot_id}", snapshot_id=snapshot_id)

    ok(api.post("/v2/tags", json={"name": "extra"}), "/v2/tags")
    ok(api.get("/v2/tags"), "/v2/tags")
    ok(api.get("/v2/tags/extra"), "/v2/tags/{tag_id}", tag_id="extra")
    resources = {"resources": [{"resource_id": str(droplet_id), "resource_type": "droplet"}]}
    ok(api.post("/v2/tags/extra/resources", json=resources), "/v2/tags/{tag_id}/resources", tag_id="extra")
    ok(
        api.request("DELETE", "/v2/tags/extra/resources", json=resources),
        "/v2/tags/{tag_id}/resources",
        tag_id="extra",
    )

    vpc = ok(api.post("/v2/vpcs", json={"name": "tour-vpc", "region": "nyc3"}), "/v2/vpcs")["vpc"]
    other = ok(
        api.post("/v2/vpcs", json={"name": "tour-vpc2", "region": "nyc3", "ip_range": "10.50.0.0/20"}),
        "/v2/vpcs",
    )["vpc"]
    v = {"vpc_id": vpc["id"]}
    ok(api.get("/v2/vpcs"), "/v2/vpcs")
    ok(api.get(f"/v2/vpcs/{vpc['id']}"), "/v2/vpcs/{vpc_id}", **v)
    ok(api.put(f"/v2/vpcs/{vpc['id']}", json={"name": "tour-vpc-renamed"}), "/v2/vpcs/{vpc_id}", **v)
    ok(api.patch(f"/v2/vpcs/{vpc['id']}", json={"description": "patched"}), "/v2/vpcs/{vpc_id}", **v)
    default = created["droplet"]["vpc_uuid"]
    ok(api.get(f"/v2/vpcs/{default}/members"), "/v2/vpcs/{vpc_id}/members", vpc_id=default)
    peering = ok(
        api.post("/v2/vpc_peerings", json={"name": "tour-peer", "vpc_ids": [vpc["id"], other["id"]]}),
        "/v2/vpc_peerings",
    )["vpc_peering"]
    p = {"vpc_peering_id": peering["id"]}
    ok(api.get("/v2/vpc_peerings"), "/v2/vpc_peerings")
    ok(api.get(f"/v2/vpcs/{vpc['id']}/peerings"), "/v2/vpcs/{vpc_id}/peerings", **v)
    ocean_emulator.control.advance(10)
    ok(api.get(f"/v2/vpc_peerings/{peering['id']}"), "/v2/vpc_peerings/{vpc_peering_id}", **p)
    ok(
        api.patch(f"/v2/vpc_peerings/{peering['id']}", json={"name": "renamed"}),
        "/v2/vpc_peerings/{vpc_peering_id}",
        **p,
    )
    ok(api.delete(f"/v2/vpc_peerings/{peering['id']}"), "/v2/vpc_peerings/{vpc_peering_id}", **p)

    rule = {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0"]}}
    out = {"protocol": "tcp", "ports": "all", "destinations": {"addresses": ["0.0.0.0/0", "::/0"]}}
    fw = ok(
        api.post(
            "/v2/firewalls",
            json={
                "name": "tour-fw",
                "inbound_rules": [rule],
                "outbound_rules": [out],
                "droplet_ids": [droplet_id],
            },
        ),
        "/v2/firewalls",
    )["firewall"]
    f = {"firewall_id": fw["id"]}
    ok(api.get("/v2/firewalls"), "/v2/firewalls")
    ok(api.get(f"/v2/firewalls/{fw['id']}"), "/v2/firewalls/{firewall_id}", **f)
    ok(api.get(f"/v2/droplets/{droplet_id}/firewalls"), "/v2/droplets/{droplet_id}/firewalls", **d)
    ok(
        api.put(f"/v2/firewalls/{fw['id']}", json={"name": "tour-fw", "inbound_rules": [rule]}),
        "/v2/firewalls/{firewall_id}",
        **f,
    )
    for sub, payload in [
        ("droplets", {"droplet_ids": [droplet_id]}),
        ("tags", {"tags": ["tour"]}),
        ("rules", {"inbound_rules": [{**rule, "ports": "80"}]}),
    ]:
        template = "/v2/firewalls/{firewall_id}/" + sub
        ok(api.post(f"/v2/firewalls/{fw['id']}/{sub}", json=payload), template, **f)
        ok(api.request("DELETE", f"/v2/firewalls/{fw['id']}/{sub}", json=payload), template, **f)
    ok(api.delete(f"/v2/firewalls/{fw['id']}"), "/v2/firewalls/{firewall_id}", **f)

    ok(api.delete(f"/v2/snapshots/{snapshot_id}"), "/v2/snapshots/{snapshot_id}", snapshot_id=snapshot_id)
    ok(api.delete("/v2/tags/extra"), "/v2/tags/{tag_id}", tag_id="extra")
    ok(api.delete(f"/v2/droplets/{droplet_id}"), "/v2/droplets/{droplet_id}", **d)
    ok(api.delete("/v2/droplets", params={"tag_name": "tour"}), "/v2/droplets")
    ocean_emulator.control.advance(10)
    ok(api.delete(f"/v2/vpcs/{vpc['id']}"), "/v2/vpcs/{vpc_id}", **v)

    # Error responses use the documented envelope too, with the status each error has.
    missing = api.get("/v2/droplets/999")
    assert (missing.status_code, missing.json()["id"]) == (404, "not_found")
    check(missing, "/v2/droplets/{droplet_id}", droplet_id=999)
    unauthorized = httpx.get(f"{ocean_emulator.base_url}/v2/droplets")
    assert (unauthorized.status_code, unauthorized.json()["id"]) == (401, "unauthorized")
    check(unauthorized, "/v2/droplets")
    ocean_emulator.control.fault(path="/v2/droplets", status=500)
    failed = api.get("/v2/droplets")
    assert (failed.status_code, failed.json()["id"]) == (500, "server_error")
    check(failed, "/v2/droplets")


def test_rate_limited_answers_match_the_spec(ocean_emulator_factory: Any, checker: SpecChecker) -> None:
    emu = ocean_emulator_factory(rate_limit_per_minute=1)
    emu.backend.rate_limiter.wall = lambda: 1_700_000_000.0  # one real minute, however long the test takes
    with emu.client() as api:
        assert api.get("/v2/droplets").status_code == 200
        limited = api.get("/v2/droplets/5")
    assert (limited.status_code, limited.json()["id"]) == (429, "too_many_requests")
    assert limited.headers["retry-after"] == "40" and limited.headers["ratelimit-remaining"] == "4999"
    checker.response(limited, "/v2/droplets/{droplet_id}", droplet_id=5)
