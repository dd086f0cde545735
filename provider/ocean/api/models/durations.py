"""How long DigitalOcean typically takes, in seconds: the one table of durations in the project.

Everything that needs a duration takes it from here:

- the waiters (:mod:`ocean.api.waiters`) and the resources poll densely around these times, where
  completion is likely;
- the emulator's :class:`~ocean.emulator.config.EmulatorConfig` takes its default lifecycle durations from
  it, so the emulator behaves on the timescale the client expects;
- the resources' tests run against the emulator in process, so they take them from here too.

It lives in ``api.models`` because it is a fact about DigitalOcean, like the models beside it, and because
of the import direction: ``api`` must not import the emulator, while the emulator may import
``api.models``. The figures are typical, not guaranteed: a snapshot of a large disk takes longer, a power
off of a busy droplet too. Changing one changes how densely the provider polls and how long the emulator
takes, and nothing else.
"""

from __future__ import annotations

#: A droplet from ``POST /v2/droplets`` to ``active`` (its ``create`` action).
DROPLET_CREATE_S = 30.0
#: A destroyed droplet, from ``DELETE`` until it answers 404.
DROPLET_DELETE_S = 2.0

#: Each droplet action type, from ``in-progress`` to ``completed``.
ACTION_S: dict[str, float] = {
    "create": DROPLET_CREATE_S,
    "rename": 3.0,
    "power_off": 10.0,
    "shutdown": 15.0,
    "power_on": 10.0,
    "reboot": 20.0,
    "power_cycle": 20.0,
    "resize": 60.0,
    "snapshot": 60.0,
    "enable_backups": 5.0,
    "disable_backups": 5.0,
    "change_backup_policy": 5.0,
    "enable_ipv6": 10.0,
    "rebuild": 60.0,
    "restore": 60.0,
    "password_reset": 5.0,
    "change_kernel": 5.0,
}
#: An action type not in :data:`ACTION_S`.
OTHER_ACTION_S = 10.0

#: A firewall change, until its ``pending_changes`` are applied (status ``succeeded``).
FIREWALL_SETTLE_S = 5.0
#: A destroyed droplet, from answering 404 until its VPC stops listing it as a member (a few seconds).
VPC_MEMBER_LAG_S = 5.0
#: A VPC peering, from ``PROVISIONING`` to ``ACTIVE``.
VPC_PEERING_CREATE_S = 10.0
#: A deleted VPC peering, from ``DELETING`` until it is gone.
VPC_PEERING_DELETE_S = 5.0
#: Each of a registry garbage collection's four running stages.
GARBAGE_COLLECTION_STAGE_S = 5.0
#: A garbage collection, from ``requested`` to its end (its four stages).
GARBAGE_COLLECTION_S = 4 * GARBAGE_COLLECTION_STAGE_S
#: A cancelled garbage collection, from ``cancelling`` to ``cancelled``.
GARBAGE_COLLECTION_CANCEL_S = 3.0


def action_s(action_type: str) -> float:
    """How long an action of ``action_type`` typically takes."""
    return ACTION_S.get(action_type, OTHER_ACTION_S)
