"""Nothing duplicated, nothing orphaned, bad input stopped at preview — under the real `pulumi` CLI and
Python language host, against the emulator over HTTP (issue 14):

- a droplet create whose answer is lost after DigitalOcean carried it out (a 5xx, a dropped connection):
  `up` succeeds with one droplet, in the state;
- the provider killed (SIGKILL) while droplets are being created: the next `up` converges with no
  duplicate and no orphan;
- a droplet whose create action errored: the next preview plans a replacement with the reason, refresh
  keeps it, `up` replaces it;
- bad inputs: a clear preview error and no /v2 request but catalogue GETs; a negative delete timeout
  refused before the delete request; `shutdownGracePeriod: 0` kept as 0;
- a preview of 50 droplets reads the catalogue once.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import REPO, Stack, emulator_api, planned_op, wait_until
from tests.resources.bad_inputs import CASES, Bad

CATALOGUE = ("/v2/regions", "/v2/sizes", "/v2/images", "/v2/account/keys", "/v2/registries/options")
DROPLET = "ocean:index:Droplet"


def _stack(new_stack: Any, emu: Any, program: str) -> Stack:
    return new_stack(  # type: ignore[no-any-return]
        program, extra_env={"DIGITALOCEAN_API_URL": emu.base_url, "DIGITALOCEAN_TOKEN": "safety-token"}
    )


def _droplets(emu: Any) -> list[dict[str, Any]]:
    with emulator_api(emu) as api:
        return list(api.get("/v2/droplets", params={"per_page": 200}).json()["droplets"])


def _log(emu: Any) -> list[dict[str, Any]]:
    with emulator_api(emu) as api:
        return list(api.get("/_emulator/requests").json()["requests"])


def _clear_log(emu: Any) -> None:
    with emulator_api(emu) as api:
        api.delete("/_emulator/requests")


def _count(log: list[dict[str, Any]], method: str, path: str) -> int:
    return sum(1 for r in log if r["method"] == method and r["path"] == path)


ONE = """
import pulumi
import pulumi_ocean as ocean

web = ocean.Droplet(
    "web", name="web-1", region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64", tags=["web"]
)
pulumi.export("id", web.droplet_id)
pulumi.export("tags", web.tags)
"""


@pytest.mark.parametrize("lose", ["5xx", "dropped connection"])
def test_a_create_whose_answer_is_lost_makes_one_droplet_in_the_state(
    new_stack: Any, ocean_emulator_factory: Any, lose: str
) -> None:
    lossy = ocean_emulator_factory(time_scale=100.0, clock_mode="scaled")
    # The emulator carries the create out (and commits it), then loses the answer.
    if lose == "5xx":
        lossy.control.fault(method="POST", path="/v2/droplets", status=500, when="after")
    else:
        lossy.control.fault(method="POST", path="/v2/droplets", drop_connection=True, when="after")
    stack = _stack(new_stack, lossy, ONE)
    up = stack.up()
    posts = [r["status"] for r in _log(lossy) if r["method"] == "POST" and r["path"] == "/v2/droplets"]
    assert posts == [500 if lose == "5xx" else 0], "one POST, its answer lost"
    assert "adopted droplet" in up.stdout, up.stdout
    [droplet] = _droplets(lossy)
    [res] = stack.resources(DROPLET)
    assert res["id"] == str(droplet["id"]) and stack.outputs()["id"] == droplet["id"]
    assert stack.outputs()["tags"] == ["web"], "the create mark is not one of the program's tags"
    assert _count(_log(lossy), "POST", "/v2/droplets") == 1, "the POST was never repeated"
    assert set(stack.preview()["changeSummary"]) == {"same"}
    stack.up()
    assert len(_droplets(lossy)) == 1, "a repeated `up` never creates a second copy"
    stack.destroy()
    wait_until(lambda: _droplets(lossy) == [], timeout=30)


# ------------------------------------------------------------------------------------------- crash

MANY = """
import pulumi
import pulumi_ocean as ocean

for i in range(4):
    ocean.Droplet(
        f"w{i}",
        # Two are named by the program, two auto-named by the provider.
        name=f"worker-{i}" if i % 2 else None,
        region="nyc3",
        size="s-1vcpu-1gb",
        image="ubuntu-24-04-x64",
        tags=["worker"],
    )
"""


def _descendants(pid: int) -> list[int]:
    """The processes started, directly or not, by `pid` (from /proc: only our own process tree)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


# The create mark follows how the engine checks a replacement: the same in both engines.
@pytest.mark.engines("newest", "oldest")
def test_provider_killed_mid_create_then_up_converges_without_duplicates_or_orphans(
    new_stack: Any, ocean_emulator_factory: Any
) -> None:
    # A manual clock: created droplets stay `new`, so the provider is waiting for their create actions.
    emu = ocean_emulator_factory(clock_mode="manual")
    stack = _stack(new_stack, emu, MANY)
    proc = subprocess.Popen(
        [str(stack.pulumi), "up", "--yes", "--skip-preview", "--parallel", "2", "--non-interactive"],
        cwd=stack.workdir,
        env=stack.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Two creates in flight (two more not started): the provider has posted both and is waiting.
        wait_until(lambda: _count(_log(emu), "POST", "/v2/droplets") >= 2, timeout=120)
        # ... and polls their create actions (one shared list of actions, or each action's own GET).
        wait_until(lambda: any(r["path"].startswith("/v2/actions") for r in _log(emu)), timeout=60)
        provider = str(REPO / "provider")
        ours = [
            p for p in _descendants(proc.pid) if provider in _cmdline(p) and "language" not in _cmdline(p)
        ]
        assert ours, "the provider process"
        for pid in ours:
            os.kill(pid, signal.SIGKILL)
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0, output
    made = _droplets(emu)
    assert len(made) == 2, made
    assert stack.resources(DROPLET) == [], "nothing was recorded: the provider died mid-create"

    # DigitalOcean finishes those creates; the next `up` (another random seed, no state) converges.
    with emulator_api(emu) as api:
        api.post("/_emulator/clock", json={"mode": "scaled", "scale": 100})
    _clear_log(emu)
    up = stack.up()
    droplets = _droplets(emu)
    recorded = stack.resources(DROPLET)
    assert len(droplets) == 4 and len(recorded) == 4, (droplets, recorded)
    assert sorted(r["id"] for r in recorded) == sorted(str(d["id"]) for d in droplets), "no orphan"
    assert {str(d["id"]) for d in made} <= {r["id"] for r in recorded}, "the two made before the crash"
    assert len({d["name"] for d in droplets}) == 4, "no name taken twice"
    assert _count(_log(emu), "POST", "/v2/droplets") == 2, "only the two that were never created"
    adopted = set(re.findall(r"adopted droplet (\d+)", up.stdout))
    assert adopted == {str(d["id"]) for d in made}, up.stdout
    assert set(stack.preview()["changeSummary"]) == {"same"}
    stack.destroy()


# ------------------------------------------------------------------------------------ failed create


# The create mark follows how the engine checks a replacement: the same in both engines.
@pytest.mark.engines("newest", "oldest")
def test_an_errored_create_action_is_replaced_with_its_reason(
    new_stack: Any, ocean_emulator_factory: Any
) -> None:
    emu = ocean_emulator_factory(time_scale=100.0, clock_mode="scaled")
    with emulator_api(emu) as api:
        api.post("/_emulator/faults", json={"action_type": "create", "outcome": "errored"})
    stack = _stack(new_stack, emu, ONE)
    failed = stack.up(check=False)
    assert failed.returncode != 0
    match = re.search(r"its create action (\d+) errored", failed.stdout + failed.stderr)
    assert match, failed.output
    reason = match.group(0)
    [broken] = stack.resources(DROPLET)
    [droplet] = _droplets(emu)
    assert broken["id"] == str(droplet["id"]) and droplet["status"] == "new", "recorded, not orphaned"

    preview = stack.preview()
    assert planned_op(preview, "web") == "replace", preview
    said = json.dumps(preview.get("diagnostics", []))
    assert reason in said, said
    stack.refresh()
    assert planned_op(stack.preview(), "web") == "replace", "refresh keeps it while it is still broken"

    stack.up()
    [fresh] = stack.resources(DROPLET)
    assert fresh["id"] != broken["id"] and fresh["outputs"]["status"] == "active"
    wait_until(lambda: [d["id"] for d in _droplets(emu)] == [int(fresh["id"])], timeout=30)
    assert set(stack.preview()["changeSummary"]) == {"same"}


# -------------------------------------------------------------------------------------- bad inputs

# The bad inputs the issue lists, each previewed under the engine.
PREVIEWED = [
    "droplet-unknown-region",
    "droplet-unknown-size",
    "droplet-unknown-image-slug",
    "droplet-size-not-in-region",
    "droplet-tag-bang",
    "droplet-tag-empty",
    "droplet-tag-too-long",
    "droplet-user-data-too-big",
    "droplet-vpc-not-uuid",
    "droplet-monitoring-yes",
    "droplet-running-no",
    "droplet-grace-text",
    "droplet-ssh-key-garbage",
    "droplet-ssh-key-unknown-id",
    "droplet-backup-policy-unknown-key",
    "droplet-create-timeout-negative",
    "snapshot-droplet-negative",
    "snapshot-droplet-bool",
    "snapshot-name-control-chars",
]
_CLASSES = {"ocean:index:Droplet": "Droplet", "ocean:index:DropletSnapshot": "DropletSnapshot"}


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def _program(case: Bad, droplet_id: int) -> str:
    args = {
        _snake(k): (droplet_id if v == "$droplet" else v)
        for k, v in case.inputs.items()
        if not (k == "backupPolicy" and isinstance(v, dict))
    }
    policy = case.inputs.get("backupPolicy")
    opts = ""
    if case.timeouts.get("create"):
        create = f"{case.timeouts['create']:g}s"
        opts = f", opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create={create!r}))"
    lines = [
        "import pulumi",
        "import pulumi_ocean as ocean",
        f"args = {args!r}",
    ]
    if isinstance(policy, dict):
        # Through the SDK's input type, as a program writes it (its unknown key included).
        lines.append(f"args['backup_policy'] = {policy!r}")
    lines.append(f"ocean.{_CLASSES[case.token]}({case.id!r}, **args{opts})")
    return "\n".join(lines) + "\n"


def test_bad_inputs_fail_at_preview_with_no_request_but_catalogue_reads(
    new_stack: Any, ocean_emulator_factory: Any
) -> None:
    emu = ocean_emulator_factory(time_scale=100.0, clock_mode="scaled")
    with emulator_api(emu) as api:
        droplet_id = api.post(
            "/v2/droplets",
            json={"name": "seed", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"},
        ).json()["droplet"]["id"]
    by_id = {c.id: c for c in CASES}
    stack = _stack(new_stack, emu, "import pulumi\n")
    problems = []
    for case_id in PREVIEWED:
        case = by_id[case_id]
        stack.write_program(_program(case, droplet_id))
        _clear_log(emu)
        result = stack.run("preview", check=False)
        sent = [f"{r['method']} {r['path']}" for r in _log(emu)]
        text = result.stdout + result.stderr
        if result.returncode == 0:
            problems.append(f"{case_id}: preview passed\n{text}")
        elif case.id not in text or case.field.split(".")[-1] not in text:
            problems.append(f"{case_id}: the error names neither the resource nor the field\n{text}")
        other = [s for s in sent if not (s.startswith("GET ") and s[4:].startswith(CATALOGUE))]
        if other:
            problems.append(f"{case_id}: requests besides catalogue reads: {other}")
        if case.where == "check" and sent:
            problems.append(f"{case_id}: a static check made requests: {sent}")
    assert problems == [], "\n\n".join(problems)


TIMEOUTS = """
import pulumi
import pulumi_ocean as ocean

config = pulumi.Config()
ocean.Droplet(
    "web",
    name="web-1",
    region="nyc3",
    size="s-1vcpu-1gb",
    image="ubuntu-24-04-x64",
    shutdown_grace_period=0,
    opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(delete=config.get("delete") or "-1s")),
)
"""


def test_grace_zero_is_kept_and_a_negative_delete_timeout_deletes_nothing(
    new_stack: Any, ocean_emulator_factory: Any
) -> None:
    emu = ocean_emulator_factory(time_scale=100.0, clock_mode="scaled")
    stack = _stack(new_stack, emu, TIMEOUTS)
    stack.up()
    [res] = stack.resources(DROPLET)
    assert res["outputs"]["shutdownGracePeriod"] == 0
    assert set(stack.preview()["changeSummary"]) == {"same"}, "0 stays 0: no diff on the next preview"
    # The engine hands the delete timeout to the provider only when deleting (not at preview): refused
    # there, before the delete request, and the droplet stays in the stack.
    _clear_log(emu)
    refused = stack.destroy(check=False)
    assert refused.returncode != 0
    assert "customTimeouts `delete` value is negative" in refused.stdout + refused.stderr, refused.output
    assert [r for r in _log(emu) if r["method"] == "DELETE"] == []
    assert len(stack.resources(DROPLET)) == 1 and len(_droplets(emu)) == 1
    stack.set_config("delete", "5m")
    stack.up()  # records the corrected option
    stack.destroy()
    wait_until(lambda: _droplets(emu) == [], timeout=30)


FIFTY = """
import pulumi_ocean as ocean

for i in range(50):
    ocean.Droplet(f"d{i}", region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64")
"""


def test_a_preview_of_50_droplets_reads_the_catalogue_once(
    new_stack: Any, ocean_emulator_factory: Any
) -> None:
    emu = ocean_emulator_factory(time_scale=100.0, clock_mode="scaled")
    stack = _stack(new_stack, emu, FIFTY)
    _clear_log(emu)
    started = time.monotonic()
    preview = stack.preview()
    assert preview["changeSummary"] == {"create": 51}  # the stack and 50 droplets
    sent = [f"{r['method']} {r['path']}" for r in _log(emu)]
    print(
        f"\n50-droplet preview: {len(sent)} requests {sorted(set(sent))} in {time.monotonic() - started:.1f}s"
    )
    assert sorted(sent) == ["GET /v2/images", "GET /v2/regions", "GET /v2/sizes"], sent
