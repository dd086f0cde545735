"""HTTP handlers for container registries: the multi-registry ``/v2/registries`` paths and the legacy
single-registry ``/v2/registry`` paths, the account's subscription, repositories, tags, manifests and
garbage collections.

The legacy paths that do not name a registry (``GET``/``DELETE /v2/registry``, ``/v2/registry/docker-
credentials``) answer ``412 precondition_failed`` once the account has more than one registry, as
DigitalOcean does; the legacy paths that name one work either way.
"""

from __future__ import annotations

from urllib.parse import unquote

from ocean.emulator.errors import unprocessable
from ocean.emulator.pipeline import Call, Handler, Reply, paginate
from ocean.emulator.validation import Body

# Request bodies, as DigitalOcean's spec shapes them.
_REGISTRY_FIELDS = {"name": "string", "subscription_tier_slug": "string", "region": "string"}
REGISTRY_CREATE = Body(_REGISTRY_FIELDS, required=("name",))
LEGACY_REGISTRY_CREATE = Body(_REGISTRY_FIELDS, required=("name", "subscription_tier_slug"))
VALIDATE_NAME = Body({"name": "string"}, required=("name",))
SUBSCRIPTION_UPDATE = Body({"tier_slug": "string"})
GC_START = Body({"type": "string"})
GC_UPDATE = Body({"cancel": "boolean"})


def _name(call: Call) -> str:
    return str(call.params["registry_name"])


def _repository(call: Call) -> str:
    # "my%2Frepo" arrives decoded by the server already; unquote covers a double-encoded slash.
    return unquote(str(call.params["repository_name"]))


# ---------------------------------------------------------------------- registries


def create_registry(call: Call) -> Reply:
    return 201, {"registry": call.backend.registries.create(REGISTRY_CREATE.parse(call))}


def create_legacy_registry(call: Call) -> Reply:
    body = LEGACY_REGISTRY_CREATE.parse(call)
    return 201, {"registry": call.backend.registries.create(body, legacy=True)}


def list_registries(call: Call) -> Reply:
    return 200, {"registries": call.backend.registries.list()}


def get_registry(call: Call) -> Reply:
    return 200, {"registry": call.backend.registries.get(_name(call))}


def get_legacy_registry(call: Call) -> Reply:
    return 200, {"registry": call.backend.registries.get(None)}


def delete_registry(call: Call) -> Reply:
    call.backend.registries.delete(_name(call))
    return 204, None


def delete_legacy_registry(call: Call) -> Reply:
    call.backend.registries.delete(None)
    return 204, None


def validate_name(call: Call) -> Reply:
    call.backend.registries.validate_name(VALIDATE_NAME.parse(call)["name"])
    return 204, None


def _credentials(call: Call, name: str | None) -> Reply:
    read_write = call.query.get("read_write", "").lower() in ("true", "1")
    try:
        expiry = int(call.query.get("expiry_seconds", 0)) or None
    except ValueError as exc:
        raise unprocessable("expiry_seconds must be an integer") from exc
    return 200, call.backend.registries.docker_credentials(name, read_write, expiry)


def docker_credentials(call: Call) -> Reply:
    return _credentials(call, _name(call))


def legacy_docker_credentials(call: Call) -> Reply:
    return _credentials(call, None)


# ---------------------------------------------------------------------- subscription and options


def get_subscription(call: Call) -> Reply:
    return 200, {"subscription": call.backend.registries.get_subscription()}


def update_subscription(call: Call) -> Reply:
    return 200, {"subscription": call.backend.registries.update_subscription(SUBSCRIPTION_UPDATE.parse(call))}


def get_options(call: Call) -> Reply:
    return 200, {"options": call.backend.registries.options()}


# ---------------------------------------------------------------------- repositories


def list_repositories(call: Call) -> Reply:
    return 200, paginate(call, "repositories", call.backend.repositories.list(_name(call), v2=False))


def list_repositories_v2(call: Call) -> Reply:
    return 200, paginate(call, "repositories", call.backend.repositories.list(_name(call)))


def delete_repository(call: Call) -> Reply:
    call.backend.repositories.delete(_name(call), _repository(call))
    return 204, None


def list_tags(call: Call) -> Reply:
    return 200, paginate(call, "tags", call.backend.repositories.tags(_name(call), _repository(call)))


def delete_tag(call: Call) -> Reply:
    tag = str(call.params["repository_tag"])
    call.backend.repositories.delete_tag(_name(call), _repository(call), tag)
    return 204, None


def list_manifests(call: Call) -> Reply:
    manifests = call.backend.repositories.manifests(_name(call), _repository(call))
    return 200, paginate(call, "manifests", manifests)


def delete_manifest(call: Call) -> Reply:
    digest = str(call.params["manifest_digest"])
    call.backend.repositories.delete_manifest(_name(call), _repository(call), digest)
    return 204, None


# ---------------------------------------------------------------------- garbage collection


def start_gc(call: Call) -> Reply:
    gc = call.backend.garbage_collections.start(_name(call), GC_START.parse(call).get("type"))
    return 201, {"garbage_collection": gc}


def get_active_gc(call: Call) -> Reply:
    return 200, {"garbage_collection": call.backend.garbage_collections.get_active(_name(call))}


def list_gcs(call: Call) -> Reply:
    return 200, paginate(call, "garbage_collections", call.backend.garbage_collections.list(_name(call)))


def update_gc(call: Call) -> Reply:
    gc_id = str(call.params["garbage_collection_uuid"])
    return 200, {
        "garbage_collection": call.backend.garbage_collections.update(
            _name(call), gc_id, GC_UPDATE.parse(call)
        )
    }


# Paths under a registry, served under both prefixes (the spec has each under /v2/registries and
# /v2/registry, except the v1 repository listing, legacy only, and repository delete, multi only).
_REPO = "{registry_name}/repositories/{repository_name:path}"
_SHARED: list[tuple[str, str, Handler]] = [
    ("GET", "{registry_name}/repositoriesV2", list_repositories_v2),
    ("GET", f"{_REPO}/tags", list_tags),
    ("DELETE", f"{_REPO}/tags/{{repository_tag}}", delete_tag),
    ("GET", f"{_REPO}/digests", list_manifests),
    ("DELETE", f"{_REPO}/digests/{{manifest_digest}}", delete_manifest),
    ("POST", "{registry_name}/garbage-collection", start_gc),
    ("GET", "{registry_name}/garbage-collection", get_active_gc),
    ("GET", "{registry_name}/garbage-collections", list_gcs),
    ("PUT", "{registry_name}/garbage-collection/{garbage_collection_uuid}", update_gc),
]

# Literal paths come before /{registry_name} ones: the router takes the first match.
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v2/registries/subscription", get_subscription),
    ("POST", "/v2/registries/subscription", update_subscription),
    ("GET", "/v2/registries/options", get_options),
    ("POST", "/v2/registries/validate-name", validate_name),
    ("GET", "/v2/registries", list_registries),
    ("POST", "/v2/registries", create_registry),
    ("GET", "/v2/registries/{registry_name}", get_registry),
    ("DELETE", "/v2/registries/{registry_name}", delete_registry),
    ("GET", "/v2/registries/{registry_name}/docker-credentials", docker_credentials),
    *[(m, f"/v2/registries/{p}", h) for m, p, h in _SHARED],
    # After the tag and digest deletes, which its {repository_name:path} would otherwise swallow.
    ("DELETE", f"/v2/registries/{_REPO}", delete_repository),
    ("GET", "/v2/registry/subscription", get_subscription),
    ("POST", "/v2/registry/subscription", update_subscription),
    ("GET", "/v2/registry/options", get_options),
    ("POST", "/v2/registry/validate-name", validate_name),
    ("GET", "/v2/registry/docker-credentials", legacy_docker_credentials),
    ("GET", "/v2/registry", get_legacy_registry),
    ("POST", "/v2/registry", create_legacy_registry),
    ("DELETE", "/v2/registry", delete_legacy_registry),
    ("GET", "/v2/registry/{registry_name}/repositories", list_repositories),
    *[(m, f"/v2/registry/{p}", h) for m, p, h in _SHARED],
]
