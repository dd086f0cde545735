"""Drive real Pulumi programs with the real `pulumi` CLI and Python language host, offline.

Each `Stack` lives in its own temporary directory with a private PULUMI_HOME and a local file
backend, so tests are isolated from each other and from the user's Pulumi setup and can run in
parallel (pytest-xdist). On failure, the engine's whole output is in the assertion message.

Two engines (README "Pulumi version"): "newest", the Pulumi CLI named in PULUMI_VERSION, and
"oldest", the oldest supported one (PULUMI_VERSION_OLDEST). Every process a stack starts carries
the environment variable MARKER with a value of its own, so a test can find exactly the processes it
started (`marked_processes`) among everything else running on the machine.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import textwrap
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv"
PULUMI_VERSION = (REPO / "PULUMI_VERSION").read_text().strip()
PULUMI_VERSION_OLDEST = (REPO / "PULUMI_VERSION_OLDEST").read_text().strip()
ENGINES = {"newest": PULUMI_VERSION, "oldest": PULUMI_VERSION_OLDEST}
MARKER = "OCEAN_E2E_MARKER"


@functools.cache
def pulumi_bin_dir(engine: str = "newest") -> Path:
    """The engine's Pulumi CLI, built and cached by scripts/build-pulumi.sh (fast once cached)."""
    out = subprocess.run(
        [str(REPO / "scripts" / "build-pulumi.sh"), engine], check=True, capture_output=True, text=True
    ).stdout
    return Path(out.strip().splitlines()[-1])


@dataclass(frozen=True)
class Engine:
    name: str  # "newest" or "oldest"
    version: str
    bin_dir: Path


def engine(name: str) -> Engine:
    return Engine(name, ENGINES[name], pulumi_bin_dir(name))


def new_marker() -> str:
    return uuid.uuid4().hex


def marked_processes(marker: str) -> dict[int, str]:
    """{pid: command line} of the live processes whose environment has MARKER=marker."""
    needle = f"{MARKER}={marker}".encode()
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue  # exited, waiting for its parent to collect it
            found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def kill_marked(marker: str) -> dict[int, str]:
    """SIGKILL what is left of the processes carrying `marker` (only ever the test's own); returns them."""
    import signal

    left = marked_processes(marker)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


class PulumiError(AssertionError):
    pass


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def output(self) -> str:
        return f"$ pulumi {' '.join(self.args)}\n--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"


@dataclass
class Stack:
    """A project directory with one stack, driven through the pulumi CLI."""

    workdir: Path
    pulumi: Path
    env: dict[str, str]
    name: str = "test"
    history: list[Result] = field(default_factory=list)

    # ------------------------------------------------------------------------------------- plumbing

    def run(self, *args: str, check: bool = True, timeout: float = 300) -> Result:
        cmd = [str(self.pulumi), *args, "--non-interactive", "--color", "never"]
        proc = subprocess.run(
            cmd,
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        result = Result(list(args), proc.returncode, proc.stdout, proc.stderr)
        self.history.append(result)
        if check and proc.returncode != 0:
            raise PulumiError(f"pulumi {args[0]} failed (exit {proc.returncode})\n{result.output}")
        return result

    @property
    def marker(self) -> str:
        """The value of MARKER in the environment of every process this stack starts."""
        return self.env[MARKER]

    def start(self, *args: str) -> tuple[subprocess.Popen[str], Path]:
        """`pulumi <args>` started and left running, in a session of its own (a signal sent to it reaches
        the CLI only, as from a terminal that runs it in the foreground); output goes to the returned
        file."""
        log = self.workdir.parent / f"{args[0]}-{len(self.history)}.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                [str(self.pulumi), *args, "--non-interactive", "--color", "never"],
                cwd=self.workdir,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                start_new_session=True,
            )
        return proc, log

    def write_program(self, source: str) -> None:
        (self.workdir / "__main__.py").write_text(textwrap.dedent(source))

    def set_config(self, key: str, value: str, *, secret: bool = False) -> None:
        self.run("config", "set", *(["--secret"] if secret else []), key, value)

    # ----------------------------------------------------------------------------------- operations

    def preview(self, *extra: str, check: bool = True) -> dict[str, Any]:
        """`pulumi preview --json`: {"steps": [...], "changeSummary": {...}, "diagnostics": [...]}."""
        r = self.run("preview", "--json", *extra, check=check)
        return _parse_json(r)

    def up(self, *extra: str, check: bool = True) -> Result:
        return self.run("up", "--yes", "--skip-preview", *extra, check=check)

    def refresh(self, *extra: str, check: bool = True) -> Result:
        return self.run("refresh", "--yes", "--skip-preview", *extra, check=check)

    def destroy(self, *extra: str, check: bool = True) -> Result:
        return self.run("destroy", "--yes", "--skip-preview", *extra, check=check)

    def import_(
        self,
        type_token: str,
        name: str,
        resource_id: str,
        *extra: str,
        check: bool = True,
        generate_code: bool = True,
    ) -> Result:
        """`pulumi import`; the generated program is written to `import_program.py`.

        Code generation needs the oldest engine: the newest CLI asks the language host for it, and the
        v3.79.0 host it runs with answers `method GenerateProgram not implemented`.
        """
        out = str(self.workdir / "import_program.py")
        codegen = ["--out", out] if generate_code else ["--generate-code=false"]
        return self.run("import", type_token, name, resource_id, "--yes", *codegen, *extra, check=check)

    def outputs(self) -> dict[str, Any]:
        return self.run("stack", "output", "--json", "--show-secrets").json()  # type: ignore[no-any-return]

    def export(self) -> dict[str, Any]:
        """The stack's state (`pulumi stack export`), secrets encrypted as stored."""
        return self.run("stack", "export").json()  # type: ignore[no-any-return]

    def resources(self, type_token: str) -> list[dict[str, Any]]:
        deployment = self.export()["deployment"]
        return [r for r in deployment.get("resources") or [] if r["type"] == type_token]


def status_lines(events_json: str, name: str) -> list[str]:
    """The status lines (ephemeral messages) the provider showed for resource `name`, from the
    engine's event stream (`pulumi up --json`), in order."""
    lines = []
    for raw in events_json.splitlines():
        event = json.loads(raw).get("diagnosticEvent") if raw.startswith("{") else None
        if event and event.get("ephemeral") and event.get("urn", "").endswith(f"::{name}"):
            lines.append(event["message"].strip())
    return lines


def _parse_json(r: Result) -> dict[str, Any]:
    try:
        return json.loads(r.stdout)  # type: ignore[no-any-return]
    except json.JSONDecodeError as e:
        raise PulumiError(f"pulumi {r.args[0]} printed no JSON ({e})\n{r.output}") from None


def make_stack(
    tmp: Path,
    program: str,
    *,
    pulumi_dir: Path,
    provider_from_source: bool = True,
    extra_env: dict[str, str] | None = None,
    project: str = "e2e",
    virtualenv: Path = VENV,
    marker: str | None = None,
) -> Stack:
    """A fresh project in `tmp` with a local backend, a private PULUMI_HOME and `program` as __main__.py."""
    workdir = tmp / "project"
    workdir.mkdir(parents=True)
    plugins = ""
    if provider_from_source:
        plugins = f"plugins:\n  providers:\n    - name: ocean\n      path: {REPO / 'provider'}\n"
    (workdir / "Pulumi.yaml").write_text(
        f"name: {project}\nruntime:\n  name: python\n  options:\n    virtualenv: {virtualenv}\n{plugins}"
    )
    (workdir / "__main__.py").write_text(textwrap.dedent(program))
    home, state = tmp / "pulumi-home", tmp / "state"
    home.mkdir()
    state.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PULUMI_", "DIGITALOCEAN_")) and k not in ("VIRTUAL_ENV",)
    }
    env.update(
        PATH=f"{pulumi_dir}{os.pathsep}{env.get('PATH', '')}",
        **{MARKER: marker or new_marker()},
        PULUMI_HOME=str(home),
        PULUMI_BACKEND_URL=f"file://{state}",
        PULUMI_CONFIG_PASSPHRASE="e2e-passphrase",
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        PULUMI_SKIP_CONFIRMATIONS="true",
    )
    env.update(extra_env or {})
    stack = Stack(workdir=workdir, pulumi=pulumi_dir / "pulumi", env=env)
    stack.run("stack", "init", stack.name)
    return stack


def planned_op(preview: dict[str, Any], name: str) -> str:
    """The planned operation for resource `name` (`pulumi preview --json` leaves out unchanged ones)."""
    ops = {s["urn"].rsplit("::", 1)[-1]: s["op"] for s in preview.get("steps", [])}
    return ops.get(name, "same")


def wait_until(predicate: Any, timeout: float = 20.0) -> None:
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def emulator_api(emu: Any) -> Any:
    """An httpx client on an emulator, with a token it accepts."""
    import httpx

    return httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer e2e"}, timeout=10)


def emulator_droplet(emu: Any, droplet_id: int) -> dict[str, Any] | None:
    """The droplet as the emulator has it, or None when it does not exist."""
    with emulator_api(emu) as api:
        r = api.get(f"/v2/droplets/{droplet_id}")
        return None if r.status_code == 404 else r.json()["droplet"]  # type: ignore[no-any-return]


def constraint_pins() -> dict[str, str]:
    """{package: version} from constraints.txt: the exact versions `make venv` installs."""
    lines = (REPO / "constraints.txt").read_text().splitlines()
    return dict(line.split("==", 1) for line in lines if "==" in line and not line.startswith("#"))


def system_path() -> list[str]:
    """PATH without anything from this checkout (its .venv/bin above all)."""
    return [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not p.startswith(str(REPO))]


def which_pulumi(pulumi_dir: Path) -> str:
    found = shutil.which("pulumi", path=str(pulumi_dir))
    assert found, f"no pulumi in {pulumi_dir}"
    return found
