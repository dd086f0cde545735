"""A local DigitalOcean API emulator.

How it is put together, from the socket inwards:

- ``server`` serves ``app`` with uvicorn (``ocean emulator serve``); ``app`` is the ASGI application: the
  ``/v2`` route table and the ``/_emulator`` control API. ``create_app(config)`` also runs in process (e.g.
  behind ``httpx.ASGITransport``), no socket needed.
- ``pipeline`` is what every ``/v2`` request goes through: faults, bearer token, rate limit, JSON body,
  handler, DigitalOcean's error envelope, the request log.
- ``handlers/`` turn HTTP into service calls, one module per DigitalOcean service, with the request-body
  shapes of ``validation``. No behaviour.
- ``services/`` hold the behaviour, one module per DigitalOcean service, each with its own slice of the
  state, validation, lifecycle transitions and output shapes, and no HTTP:

  ================================  =================================================================
  ``services/droplets.py``          droplets: create, read, destroy, networks, backups, kernels
  ``services/actions.py``           droplet actions (the same service, split for size)
  ``services/images.py``            distribution images, the account's images and snapshots
  ``services/tags.py``              tags and tagging
  ``services/ssh_keys.py``          the account's SSH keys
  ``services/catalogue.py``         regions, sizes, the account (data in ``catalogue.py``)
  ``services/vpcs.py``              VPCs, default VPCs, private addresses, members
  ``services/vpc_peerings.py``      VPC peerings
  ``services/firewalls.py``         cloud firewalls and their pending changes
  ``services/registries.py``        container registries and the account's subscription
  ``services/repositories.py``      a registry's repositories, manifests, tags and blobs
  ``services/garbage_collections``  registry garbage collections
  ================================  =================================================================

  A service reaches another only through that service's *link* (a few named methods, e.g.
  ``droplets.members_of_vpc``, ``tags.ensure``, ``vpcs.allocate_private_ip``; see ``services/base.py``)
  or by a named event (``droplet_gone``, ``tag_deleted``) that the interested services subscribe to.
- ``core`` is what they share: the state document and its persistence (``store``: in memory, or one
  SQLite file), the clock (``clock``) and scheduled transitions, id allocation, the request log
  (``requestlog``), faults (``faults``) and rate limits (``ratelimit``). ``backend.Backend`` wires the
  core and the services together and offers the control operations.

Lifecycles are computed on read from the injected clock; nothing runs in the background.
"""

from ocean.emulator.clock import Clock
from ocean.emulator.config import EmulatorConfig

__all__ = ["Clock", "EmulatorConfig"]
