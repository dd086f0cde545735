"""Where is each bad input of tests/resources/bad_inputs.py stopped: at preview, at `up`, or not at all?

    .venv/bin/python scripts/measure_bad_inputs.py [--source DIR] [--json OUT]

Drives a provider over gRPC in the engine's order against a real emulator: Check, then Create with
preview=true (what `pulumi preview` does), then the real Create (what `pulumi up` does) and, for a
delete timeout, Delete. The provider runs from `--source` (a checkout's root; default: this one), so the
same table measures an older version: `git archive main provider | tar -x -C /tmp/before` and pass
`--source /tmp/before`. The emulator always comes from this checkout.

Prints one line per case and the counts: refused at preview / refused at up / accepted wrongly, and for
those refused at up, how many after a mutating request.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import httpx
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2_grpc, provider_pb2, provider_pb2_grpc

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ocean.emulator.config import EmulatorConfig  # noqa: E402
from ocean.emulator.server import EmulatorServer  # noqa: E402
from ocean.provider import marshal  # noqa: E402
from tests.resources.bad_inputs import CASES, GOOD, Bad  # noqa: E402

MUTATING = ("POST", "PUT", "PATCH", "DELETE")


class _EngineLog(engine_pb2_grpc.EngineServicer):  # type: ignore[misc]
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[str] = []

    def Log(self, request: Any, context: Any) -> Any:
        with self.lock:
            self.messages.append(request.message)
        return empty_pb2.Empty()


def _urn(case_id: str, token: str) -> str:
    # One RegistrySubscription per program: every subscription case uses the same URN.
    name = "sub" if token.endswith("RegistrySubscription") else case_id
    return f"urn:pulumi:dev::measure::{token}::{name}"


def _seed(api: httpx.Client) -> dict[str, Any]:
    droplet = api.post(
        "/v2/droplets",
        json={"name": "seed-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"},
    ).json()["droplet"]
    vpcs = [
        api.post("/v2/vpcs", json={"name": f"seed-net-{i}", "region": "nyc3"}).json()["vpc"]["id"]
        for i in (1, 2)
    ]
    api.post(
        "/v2/registries", json={"name": "seed-reg", "region": "fra1", "subscription_tier_slug": "basic"}
    ).raise_for_status()
    seeds = {"$droplet": droplet["id"], "$vpc1": vpcs[0], "$vpc2": vpcs[1], "$registry": "seed-reg"}
    out = {"protocol": "tcp", "ports": "all", "destinations": {"addresses": ["0.0.0.0/0"]}}
    made = api.post("/v2/firewalls", json={"name": "seed-fw", "outbound_rules": [out]})
    if made.status_code < 300:  # an emulator without firewalls (older versions) seeds none
        seeds["$firewall"] = made.json()["firewall"]["id"]
    return seeds


def _fill(value: Any, seeds: dict[str, Any]) -> Any:
    if isinstance(value, str) and value in seeds:
        return seeds[value]
    if isinstance(value, list):
        return [_fill(v, seeds) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, seeds) for k, v in value.items()}
    return value


def _mutations(api: httpx.Client) -> list[str]:
    log = api.get("/_emulator/requests").json()["requests"]
    return [f"{r['method']} {r['path']}" for r in log if r["method"] in MUTATING]


def _error(e: grpc.RpcError) -> str:
    return str(e.details() or e)  # type: ignore[attr-defined]


def run_case(stub: Any, api: httpx.Client, case: Bad, seeds: dict[str, Any]) -> dict[str, Any]:
    urn = _urn(case.id, case.token)
    news = marshal.encode(_fill(case.inputs, seeds), keep_unknowns=True)
    api.delete("/_emulator/requests")
    out: dict[str, Any] = {"id": case.id}

    def done(where: str, message: str = "", *, mutated: list[str] | None = None) -> dict[str, Any]:
        out.update(where=where, message=message[:300], mutated=mutated or [])
        return out

    try:
        checked = stub.Check(provider_pb2.CheckRequest(urn=urn, news=news, randomSeed=os.urandom(32)))
    except grpc.RpcError as e:
        return done("preview", _error(e))
    if checked.failures:
        return done("preview", "; ".join(f"{f.property}: {f.reason}" for f in checked.failures))
    create_timeout = case.timeouts.get("create", 0.0)
    try:
        stub.Create(
            provider_pb2.CreateRequest(
                urn=urn, properties=checked.inputs, preview=True, timeout=create_timeout
            )
        )
    except grpc.RpcError as e:
        return done("preview", _error(e))
    before_up = _mutations(api)
    try:
        created = stub.Create(
            provider_pb2.CreateRequest(urn=urn, properties=checked.inputs, timeout=create_timeout),
            timeout=120,
        )
    except grpc.RpcError as e:
        return done("up", _error(e), mutated=[m for m in _mutations(api) if m not in before_up])
    if "delete" in case.timeouts:
        api.delete("/_emulator/requests")
        try:
            stub.Delete(
                provider_pb2.DeleteRequest(
                    id=created.id, urn=urn, properties=created.properties, timeout=case.timeouts["delete"]
                ),
                timeout=120,
            )
        except grpc.RpcError as e:
            return done("up", _error(e), mutated=_mutations(api))
    return done("accepted", "accepted", mutated=_mutations(api))


def run_good(
    stub: Any, api: httpx.Client, case_id: str, token: str, inputs: dict[str, Any]
) -> dict[str, Any]:
    urn = _urn(case_id, token)
    checked = stub.Check(provider_pb2.CheckRequest(urn=urn, news=marshal.encode(inputs), randomSeed=b"s"))
    created = stub.Create(provider_pb2.CreateRequest(urn=urn, properties=checked.inputs, timeout=120))
    diff = stub.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=urn, olds=created.properties, news=checked.inputs)
    )
    outputs = marshal.decode(created.properties)
    return {
        "id": case_id,
        "kept": {k: outputs.get(k) for k in inputs if k in outputs and outputs.get(k) != inputs[k]},
        "diff_on_next_preview": list(diff.diffs),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(REPO), help="root of the checkout whose provider to run")
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args()
    source = Path(args.source).resolve()

    log = _EngineLog()
    engine = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    engine_pb2_grpc.add_EngineServicer_to_server(log, engine)
    engine_port = engine.add_insecure_port("127.0.0.1:0")
    engine.start()
    emulator = EmulatorServer(config=EmulatorConfig(time_scale=500.0, clock_mode="scaled")).start()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(source / "provider")}
    proc = subprocess.Popen(
        [sys.executable, str(source / "provider"), f"127.0.0.1:{engine_port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    results: list[dict[str, Any]] = []
    good: list[dict[str, Any]] = []
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().strip())
        stub = provider_pb2_grpc.ResourceProviderStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
        config = marshal.encode({"token": "measure-token", "apiEndpoint": emulator.base_url})
        stub.Configure(provider_pb2.ConfigureRequest(args=config, acceptSecrets=True))
        with httpx.Client(
            base_url=emulator.base_url, headers={"Authorization": "Bearer t"}, timeout=30
        ) as api:
            for case in CASES:
                api.post("/_emulator/reset")
                seeds = _seed(api)
                result = run_case(stub, api, case, seeds)
                results.append(result)
                flag = (
                    f" (after {', '.join(result['mutated'])})"
                    if result["where"] == "up" and result["mutated"]
                    else ""
                )
                print(f"{result['where']:9} {case.id}{flag}: {result['message'][:160]}", flush=True)
            for case_id, token, inputs in GOOD:
                api.post("/_emulator/reset")
                good.append(run_good(stub, api, case_id, token, inputs))
    finally:
        proc.kill()
        proc.wait()
        emulator.stop()
        engine.stop(0)
    counts = {w: sum(1 for r in results if r["where"] == w) for w in ("preview", "up", "accepted")}
    after_mutation = sum(1 for r in results if r["where"] == "up" and r["mutated"])
    print(
        f"\n{len(results)} bad inputs: refused at preview {counts['preview']}, refused at up {counts['up']} "
        f"({after_mutation} after a mutating request), accepted wrongly {counts['accepted']}"
    )
    for g in good:
        print(
            f"good input {g['id']}: changed by the provider {g['kept']}, "
            f"diff on the next preview {g['diff_on_next_preview']}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"counts": counts, "results": results, "good": good}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
