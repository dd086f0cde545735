"""One table of DigitalOcean's durations (``ocean.api.models.durations``), used by the emulator, the
waiters and the resources (whose tests run against the emulator itself)."""

from __future__ import annotations

from ocean.api import waiters
from ocean.api.models import durations
from ocean.emulator.backend import Backend
from ocean.emulator.config import EmulatorConfig
from ocean.resources import droplet, droplet_snapshot


def test_everything_takes_its_durations_from_the_one_table() -> None:
    config = EmulatorConfig()
    assert config.action_s == durations.ACTION_S
    assert (config.droplet_create_s, config.droplet_delete_s) == (
        durations.DROPLET_CREATE_S,
        durations.DROPLET_DELETE_S,
    )
    assert config.gc_stage_s * 4 == durations.GARBAGE_COLLECTION_S
    assert waiters.EXPECTED_ACTION_S is durations.ACTION_S
    assert waiters.EXPECTED_GC_S == durations.GARBAGE_COLLECTION_S
    assert waiters.EXPECTED_PEERING_S == config.vpc_peering_create_s
    assert waiters.EXPECTED_FIREWALL_S == config.firewall_settle_s
    assert droplet.EXPECTED_CREATE_S == config.droplet_create_s
    assert droplet_snapshot.EXPECTED_SNAPSHOT_S == config.action_duration("snapshot")
    assert config.vpc_member_lag_s == durations.VPC_MEMBER_LAG_S


def test_the_emulator_takes_the_tables_time() -> None:
    backend = Backend(EmulatorConfig(clock_mode="manual"))
    body = {"name": "t", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
    (created,), _ = backend.droplets.create(body)
    backend.advance(durations.DROPLET_CREATE_S - 1)
    assert backend.droplets.get(created["id"])["status"] == "new"
    backend.advance(1)
    assert backend.droplets.get(created["id"])["status"] == "active"
    action = backend.actions.start(created["id"], {"type": "power_off"})
    backend.advance(durations.action_s("power_off"))
    assert backend.actions.get(action["id"])["status"] == "completed"
