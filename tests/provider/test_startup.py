"""Start-up stays small (issue 15, item 4): what the provider loads before its first resource call.

No timings here (they live in `make bench`, bench/startup_bench.py); these check what is imported, in a
fresh interpreter, so a heavy import creeping back into start-up fails a test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ocean.provider import registry

REPO = Path(__file__).resolve().parents[2]
HEAVY = (
    "pulumi",
    "pydantic",
    "httpx",
    "structlog",
    "tenacity",
    "yaml",
    "rich",
    "ocean.api",
    "ocean.resources.base",
)


def _modules_after(code: str) -> set[str]:
    path = str(REPO / "provider")
    script = f"import sys, json\nsys.path.insert(0, {path!r})\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(m.startswith(name + ".") for m in modules)


def test_the_server_module_loads_nothing_heavy() -> None:
    modules = _modules_after("import ocean.provider.server")
    assert [m for m in HEAVY if _loaded(modules, m)] == []
    assert "ocean.provider._pulumi_proto.provider_pb2" in modules, "the protocol, without the Pulumi SDK"


def test_a_lookup_loads_only_its_resource_module() -> None:
    modules = _modules_after("from ocean.provider.registry import lookup\nlookup('ocean:index:Droplet')")
    resources = sorted(m for m in modules if m.startswith("ocean.resources.") and m.count(".") == 2)
    assert "ocean.resources.droplet" in resources
    others = set(registry.MODULES.values()) - {("ocean.resources.droplet", "Droplet")}
    assert [m for m, _ in others if m in modules] == []


def test_the_registry_table_names_every_resource_by_its_token() -> None:
    table = registry.resources()
    assert set(table) == set(registry.MODULES)
    for token, cls in table.items():
        assert cls.token == token and registry.lookup(token) is cls


def test_the_private_protocol_modules_are_pulumis_own_messages() -> None:
    """Loaded first without the SDK, then through it (as tests and the SDK do): one class per message."""
    modules = _modules_after(
        "from ocean.provider import proto\n"
        "mine = proto.load('provider_pb2')\n"
        "assert 'pulumi' not in sys.modules\n"
        "from pulumi.runtime.proto import provider_pb2\n"
        "assert mine.ReadRequest is provider_pb2.ReadRequest, 'two classes for one message'\n"
        "assert isinstance(provider_pb2.ReadRequest(id='1'), mine.ReadRequest)"
    )
    assert "ocean.provider._pulumi_proto.provider_pb2" in modules and "pulumi" in modules
