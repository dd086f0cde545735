"""HTTP handlers, one module per DigitalOcean service (as :mod:`ocean.emulator.services`): each turns a
:class:`~ocean.emulator.pipeline.Call` into service calls and a ``(status, json)`` reply, checking the
request body's shape (:mod:`ocean.emulator.validation`); behaviour lives in the services. Each module's
``ROUTES`` lists ``(method, DigitalOcean path template, handler)``.
"""

from __future__ import annotations

from ocean.emulator.errors import not_found
from ocean.emulator.handlers import (
    actions,
    catalogue,
    droplets,
    firewalls,
    images,
    registries,
    ssh_keys,
    tags,
    vpc_peerings,
    vpcs,
)
from ocean.emulator.pipeline import Call, Handler, Reply


def unknown_route(call: Call) -> Reply:
    raise not_found()


# Literal paths come before templated ones where both could match: the router takes the first match.
ROUTES: list[tuple[str, str, Handler]] = [
    *catalogue.ROUTES,
    *ssh_keys.ROUTES,
    *images.ROUTES,
    *droplets.ROUTES,
    *actions.ROUTES,
    *tags.ROUTES,
    *vpcs.ROUTES,
    *vpc_peerings.ROUTES,
    *firewalls.ROUTES,
    *registries.ROUTES,
]
