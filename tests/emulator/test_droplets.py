from __future__ import annotations

import httpx

from ocean.emulator.pytest_plugin import RunningEmulator

from .conftest import DROPLET, active_droplet, create_droplet


def test_create_is_new_then_active_after_create_duration(
    api: httpx.Client, ocean_emulator: RunningEmulator
) -> None:
    response = api.post("/v2/droplets", json={**DROPLET, "ipv6": True, "tags": ["web"], "user_data": "#!"})
    assert response.status_code == 202
    body = response.json()
    droplet = body["droplet"]
    assert droplet["status"] == "new" and droplet["locked"] is False
    assert droplet["networks"] == {"v4": [], "v6": []}
    assert "user_data" not in droplet
    assert droplet["memory"] == 1024 and droplet["vcpus"] == 1 and droplet["disk"] == 25
    assert droplet["size"]["price_monthly"] == 6.0 and droplet["size_slug"] == "s-1vcpu-1gb"
    assert droplet["image"]["slug"] == "ubuntu-24-04-x64" and droplet["region"]["slug"] == "nyc3"
    assert droplet["tags"] == ["web"] and "ipv6" in droplet["features"]
    (link,) = body["links"]["actions"]
    assert link["rel"] == "create" and link["href"] == f"{ocean_emulator.base_url}/v2/actions/{link['id']}"
    action = api.get(f"/v2/actions/{link['id']}").json()["action"]
    assert action["status"] == "in-progress" and action["type"] == "create"
    assert action["resource_id"] == droplet["id"] and action["resource_type"] == "droplet"

    ocean_emulator.control.advance(29)
    assert api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["status"] == "new"
    ocean_emulator.control.advance(1)
    active = api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
    assert active["status"] == "active"
    kinds = {n["type"] for n in active["networks"]["v4"]}
    assert kinds == {"public", "private"}
    private = next(n for n in active["networks"]["v4"] if n["type"] == "private")
    assert private["ip_address"].startswith("10.108.")  # nyc3's default VPC range
    assert active["networks"]["v6"][0]["type"] == "public"
    vpcs = api.get("/v2/vpcs", params={"per_page": 200}).json()["vpcs"]
    default_nyc3 = next(v for v in vpcs if v["region"] == "nyc3" and v["default"])
    assert active["vpc_uuid"] == default_nyc3["id"]
    done = api.get(f"/v2/actions/{link['id']}").json()["action"]
    assert done["status"] == "completed" and done["completed_at"] is not None


def test_multi_create(api: httpx.Client) -> None:
    body = {**DROPLET, "names": ["a-1", "a-2", "a-3"]}
    del body["name"]
    response = api.post("/v2/droplets", json=body)
    assert response.status_code == 202
    assert [d["name"] for d in response.json()["droplets"]] == ["a-1", "a-2", "a-3"]
    assert len(response.json()["links"]["actions"]) == 3
    body["names"] = [f"n-{i}" for i in range(11)]
    assert api.post("/v2/droplets", json=body).status_code == 422


def test_create_validation(api: httpx.Client) -> None:
    for override, fragment in [
        ({"region": "mars1"}, "invalid region"),
        ({"size": "s-99vcpu"}, "invalid size"),
        ({"image": "windows-95"}, "invalid image"),
        ({"image": 1}, "invalid image"),
        ({"name": "bad name!"}, "hostname"),
        ({"size": "s-1vcpu-512mb-10gb", "region": "syd1"}, "not available"),
    ]:
        response = api.post("/v2/droplets", json={**DROPLET, **override})
        assert response.status_code == 422, override
        error = response.json()
        assert error["id"] == "unprocessable_entity" and fragment in error["message"]
        assert error["request_id"] == response.headers["x-request-id"]
    no_size = {k: v for k, v in DROPLET.items() if k != "size"}
    assert api.post("/v2/droplets", json=no_size).status_code == 422
    bad_json = api.post("/v2/droplets", content=b"{nope", headers={"content-type": "application/json"})
    assert bad_json.status_code == 400 and bad_json.json()["id"] == "bad_request"


def test_image_by_numeric_id_and_region_prefix(api: httpx.Client) -> None:
    image = api.get("/v2/images/debian-12-x64").json()["image"]
    droplet = create_droplet(api, image=image["id"], region="fra")
    assert droplet["image"]["slug"] == "debian-12-x64" and droplet["region"]["slug"] == "fra1"


def test_list_filters_and_pagination(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    for i in range(5):
        create_droplet(api, name=f"d-{i}", tags=["even"] if i % 2 == 0 else [])
    page = api.get("/v2/droplets", params={"per_page": 2, "page": 2}).json()
    assert [d["name"] for d in page["droplets"]] == ["d-2", "d-3"]
    assert page["meta"]["total"] == 5
    pages = page["links"]["pages"]
    base = f"{ocean_emulator.base_url}/v2/droplets"
    assert pages == {
        "first": f"{base}?per_page=2&page=1",
        "prev": f"{base}?per_page=2&page=1",
        "next": f"{base}?per_page=2&page=3",
        "last": f"{base}?per_page=2&page=3",
    }
    last = httpx.get(pages["last"], headers=ocean_emulator.headers).json()
    assert [d["name"] for d in last["droplets"]] == ["d-4"] and "next" not in last["links"]["pages"]
    first = api.get("/v2/droplets", params={"per_page": 2}).json()
    assert set(first["links"]["pages"]) == {"next", "last"}
    assert api.get("/v2/droplets").json()["links"] == {}
    tagged = api.get("/v2/droplets", params={"tag_name": "EVEN"}).json()
    assert [d["name"] for d in tagged["droplets"]] == ["d-0", "d-2", "d-4"]
    named = api.get("/v2/droplets", params={"name": "d-3"}).json()
    assert [d["name"] for d in named["droplets"]] == ["d-3"]


def test_delete_vanishes_after_delete_duration(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    droplet = active_droplet(api, ocean_emulator)
    assert api.delete(f"/v2/droplets/{droplet['id']}").status_code == 204
    assert api.get(f"/v2/droplets/{droplet['id']}").status_code == 200
    ocean_emulator.control.advance(ocean_emulator.config.droplet_delete_s)
    gone = api.get(f"/v2/droplets/{droplet['id']}")
    assert gone.status_code == 404
    assert gone.json()["id"] == "not_found"
    assert api.delete(f"/v2/droplets/{droplet['id']}").status_code == 404


def test_delete_immediately_when_duration_zero(ocean_emulator_factory) -> None:  # type: ignore[no-untyped-def]
    emu = ocean_emulator_factory(droplet_delete_s=0)
    with emu.client() as api:
        droplet = create_droplet(api)
        assert api.delete(f"/v2/droplets/{droplet['id']}").status_code == 204
        assert api.get(f"/v2/droplets/{droplet['id']}").status_code == 404


def test_delete_by_tag(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    keep = create_droplet(api, name="keep")
    for i in range(2):
        create_droplet(api, name=f"tmp-{i}", tags=["tmp"])
    assert api.delete("/v2/droplets", params={"tag_name": "tmp"}).status_code == 204
    ocean_emulator.control.advance(ocean_emulator.config.droplet_delete_s)
    assert [d["id"] for d in api.get("/v2/droplets").json()["droplets"]] == [keep["id"]]


def test_auth_and_unknown_route(ocean_emulator: RunningEmulator) -> None:
    anonymous = httpx.get(f"{ocean_emulator.base_url}/v2/account")
    assert anonymous.status_code == 401
    assert anonymous.json()["id"] == "unauthorized"
    assert anonymous.json()["message"] == "Unable to authenticate you"
    empty = httpx.get(f"{ocean_emulator.base_url}/v2/account", headers={"Authorization": "Basic abc"})
    assert empty.status_code == 401
    unknown = httpx.get(f"{ocean_emulator.base_url}/v2/nowhere", headers=ocean_emulator.headers)
    assert unknown.status_code == 404
    assert unknown.json()["message"] == "The resource you were accessing could not be found."


def test_fixed_token(ocean_emulator_factory) -> None:  # type: ignore[no-untyped-def]
    emu = ocean_emulator_factory(token="s3cret")
    assert (
        httpx.get(f"{emu.base_url}/v2/account", headers={"Authorization": "Bearer other"}).status_code == 401
    )
    assert (
        httpx.get(f"{emu.base_url}/v2/account", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    )


def test_catalogue(api: httpx.Client) -> None:
    regions = api.get("/v2/regions").json()["regions"]
    assert {"nyc1", "nyc3", "sfo3", "ams3", "fra1", "lon1", "sgp1", "tor1", "blr1", "syd1"} <= {
        r["slug"] for r in regions
    }
    sizes = {s["slug"]: s for s in api.get("/v2/sizes").json()["sizes"]}
    assert sizes["s-2vcpu-4gb"]["price_monthly"] == 24.0 and sizes["s-2vcpu-4gb"]["disk"] == 80
    assert all(s["available"] and s["regions"] for s in sizes.values())
    images = api.get("/v2/images", params={"type": "distribution", "per_page": 200}).json()["images"]
    assert {"ubuntu-24-04-x64", "ubuntu-22-04-x64", "debian-12-x64", "fedora-40-x64"} <= {
        i["slug"] for i in images
    }
    by_id = api.get(f"/v2/images/{images[0]['id']}").json()["image"]
    assert by_id == images[0]
    assert api.get("/v2/images/nope-x64").status_code == 404
    assert api.get("/v2/account").json()["account"]["status"] == "active"
