"""HTTP handlers for the catalogue: account, regions and sizes."""

from __future__ import annotations

from ocean.emulator.pipeline import Call, Handler, Reply, paginate


def get_account(call: Call) -> Reply:
    return 200, {"account": call.backend.catalogue.account()}


def list_regions(call: Call) -> Reply:
    return 200, paginate(call, "regions", call.backend.catalogue.regions())


def list_sizes(call: Call) -> Reply:
    return 200, paginate(call, "sizes", call.backend.catalogue.sizes())


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v2/account", get_account),
    ("GET", "/v2/regions", list_regions),
    ("GET", "/v2/sizes", list_sizes),
]
