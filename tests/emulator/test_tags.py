from __future__ import annotations

import httpx

from .conftest import create_droplet


def test_tag_names_are_case_stable(api: httpx.Client) -> None:
    created = api.post("/v2/tags", json={"name": "web"})
    assert created.status_code == 201 and created.json()["tag"]["name"] == "web"
    again = api.post("/v2/tags", json={"name": "Web"})
    assert again.status_code == 201 and again.json()["tag"]["name"] == "web"
    droplet = create_droplet(api, tags=["WEB", "env:prod"])
    assert droplet["tags"] == ["web", "env:prod"]
    assert api.get("/v2/tags/WEB").json()["tag"]["name"] == "web"
    assert [t["name"] for t in api.get("/v2/tags").json()["tags"]] == ["web", "env:prod"]
    assert api.post("/v2/tags", json={"name": "bad tag"}).status_code == 422


def test_tag_and_untag_resources(api: httpx.Client) -> None:
    droplet = create_droplet(api)
    api.post("/v2/tags", json={"name": "blue"})
    resources = {"resources": [{"resource_id": str(droplet["id"]), "resource_type": "droplet"}]}
    assert api.post("/v2/tags/Blue/resources", json=resources).status_code == 204
    fresh = api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
    assert fresh["tags"] == ["blue"]
    tag = api.get("/v2/tags/blue").json()["tag"]
    assert tag["resources"]["count"] == 1 and tag["resources"]["droplets"]["count"] == 1
    assert tag["resources"]["last_tagged_uri"].endswith(f"/v2/droplets/{droplet['id']}")
    assert api.request("DELETE", "/v2/tags/blue/resources", json=resources).status_code == 204
    assert api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["tags"] == []
    missing = {"resources": [{"resource_id": "42", "resource_type": "droplet"}]}
    assert api.post("/v2/tags/blue/resources", json=missing).status_code == 404
    assert api.post("/v2/tags/nope/resources", json=resources).status_code == 404


def test_delete_tag_untags_droplets(api: httpx.Client) -> None:
    droplet = create_droplet(api, tags=["gone"])
    assert api.delete("/v2/tags/gone").status_code == 204
    assert api.get("/v2/tags/gone").status_code == 404
    assert api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["tags"] == []
