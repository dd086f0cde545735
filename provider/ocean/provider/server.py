"""The Pulumi ResourceProvider gRPC service: decode → call the resource module → encode.

No resource logic lives here (STYLE habit 3). Start-up is kept lean — the engine waits for the port
on stdout before anything else happens — so resource modules, pydantic and httpx load on first use.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import sys
import threading
from typing import Any

import grpc
from google.protobuf import empty_pb2

from ocean import __version__
from ocean.provider import marshal, proto
from ocean.provider.lifetime import stop_with_engine

# Pulumi's protocol without the Pulumi SDK around it (see proto.py: most of the start-up time).
engine_pb2 = proto.load("engine_pb2")
engine_pb2_grpc = proto.load("engine_pb2_grpc")
plugin_pb2 = proto.load("plugin_pb2")
provider_pb2 = proto.load("provider_pb2")
provider_pb2_grpc = proto.load("provider_pb2_grpc")


DEFAULT_ENDPOINT = "https://api.digitalocean.com"
TOKEN_MISSING = (
    "no DigitalOcean API token: set it with `pulumi config set --secret ocean:token <token>`, or set the "
    "environment variable DIGITALOCEAN_TOKEN (or DIGITALOCEAN_ACCESS_TOKEN)"
)
_DIFF_KIND = {
    "add": provider_pb2.PropertyDiff.ADD,
    "add-replace": provider_pb2.PropertyDiff.ADD_REPLACE,
    "delete": provider_pb2.PropertyDiff.DELETE,
    "delete-replace": provider_pb2.PropertyDiff.DELETE_REPLACE,
    "update": provider_pb2.PropertyDiff.UPDATE,
    "update-replace": provider_pb2.PropertyDiff.UPDATE_REPLACE,
}


def resolve_config(values: dict[str, Any], env: dict[str, str] | None = None) -> tuple[str | None, str]:
    """(token, endpoint) from provider config, then the environment, then the default endpoint."""
    env = dict(os.environ) if env is None else env
    token = values.get("token") or env.get("DIGITALOCEAN_TOKEN") or env.get("DIGITALOCEAN_ACCESS_TOKEN")
    endpoint = values.get("apiEndpoint") or env.get("DIGITALOCEAN_API_URL") or DEFAULT_ENDPOINT
    return (str(token) if token else None), str(endpoint).rstrip("/")


def _config_values(request: Any) -> dict[str, Any]:
    """Configure's args (newer engines) or its `ocean:config:key` variables (older ones)."""
    values = marshal.decode(request.args) if request.HasField("args") else {}
    for key, value in request.variables.items():
        short = key.split(":")[-1]
        values.setdefault(short, value)
    return values


# The secrets of the request being served, for the log filter below (set per RPC task).
_request_secrets_var: contextvars.ContextVar[marshal.Secrets | None] = contextvars.ContextVar(
    "ocean_request_secrets", default=None
)


class _RedactSecrets(logging.Filter):
    """Takes the values the program marked secret out of log lines (a secret tag is part of the path
    of a tagging request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _request_secrets_var.get()
        if secrets and isinstance(record.msg, dict):
            record.msg = {k: secrets.redact(v) if isinstance(v, str) else v for k, v in record.msg.items()}
        return True


def _resource_rpc(op: Any) -> Any:
    """Make `op(self, request, resource_module)` the gRPC method: look the resource type up from the
    URN, run it, turn failures into the errors the engine understands (`_guard`), and for operations
    that wait, clear the status line they left in the display."""

    async def rpc(self: Any, request: Any, context: Any) -> Any:
        import structlog

        from ocean.provider.registry import lookup

        # Every request logged during this operation names the resource it was made for.
        structlog.contextvars.bind_contextvars(urn=request.urn, operation=op.__name__)
        secrets = _request_secrets(request)
        _request_secrets_var.set(secrets)
        result = await _guard(
            context, lambda req, res: op(self, req, res), request, lookup(_type_of(request.urn)), secrets
        )
        if op.__name__ in ("Create", "Update", "Delete") and not getattr(request, "preview", False):
            await self._log(request.urn, "", ephemeral=True)
        return result

    rpc.__name__ = op.__name__
    return rpc


class OceanProvider(provider_pb2_grpc.ResourceProviderServicer):  # type: ignore[misc,name-defined,unused-ignore]
    """One instance per provider process; the engine starts one process per provider resource."""

    def __init__(self, engine_address: str | None = None) -> None:
        self._engine_address = engine_address
        self._engine: Any = None
        self._api: Any = None
        self._token: str | None = None
        self._endpoint = DEFAULT_ENDPOINT
        self._cancel = asyncio.Event()
        # What resources remember across operations of this process (see resources.base.Context.shared).
        self._shared: dict[str, Any] = {}

    # ------------------------------------------------------------------------------ plugin and schema

    async def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=__version__)

    async def GetSchema(self, request: Any, context: Any) -> Any:
        from ocean.provider.schema import schema_json

        return provider_pb2.GetSchemaResponse(schema=schema_json())

    async def GetMapping(self, request: Any, context: Any) -> Any:
        return provider_pb2.GetMappingResponse(provider="", data=b"")

    async def Attach(self, request: Any, context: Any) -> Any:
        self._engine_address = request.address
        return empty_pb2.Empty()

    async def Cancel(self, request: Any, context: Any) -> Any:
        # Every wait in flight watches this event and stops promptly.
        self._cancel.set()
        return empty_pb2.Empty()

    # ---------------------------------------------------------------------------------- configuration

    async def CheckConfig(self, request: Any, context: Any) -> Any:
        news, secrets = marshal.decode_with_secrets(request.news)
        failures = []
        token, endpoint = resolve_config(news)
        if token is None and not marshal.contains_unknown(news.get("token")):
            failures.append(provider_pb2.CheckFailure(property="token", reason=TOKEN_MISSING))
        if not endpoint.startswith(("http://", "https://")):
            failures.append(
                provider_pb2.CheckFailure(
                    property="apiEndpoint",
                    reason=f"apiEndpoint {endpoint!r} is not an http(s) URL, e.g. https://api.digitalocean.com",
                )
            )
        return provider_pb2.CheckResponse(
            inputs=marshal.encode(news, secret_fields=["token"], secrets=secrets, keep_unknowns=True),
            failures=failures,
        )

    async def DiffConfig(self, request: Any, context: Any) -> Any:
        olds, news = marshal.decode(request.olds), marshal.decode(request.news)
        changed = sorted(k for k in set(olds) | set(news) if k != "version" and olds.get(k) != news.get(k))
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME if changed else provider_pb2.DiffResponse.DIFF_NONE,
            diffs=changed,
        )

    async def Configure(self, request: Any, context: Any) -> Any:
        values = _config_values(request)
        self._token, self._endpoint = resolve_config(values)
        if self._api is not None:
            await self._api.aclose()
            self._api = None
        return provider_pb2.ConfigureResponse(
            acceptSecrets=True, supportsPreview=True, acceptResources=False, acceptOutputs=False
        )

    def _client(self) -> Any:
        if self._api is None:
            if not self._token:
                raise _Abort(grpc.StatusCode.FAILED_PRECONDITION, TOKEN_MISSING)
            from ocean.api import DigitalOceanClient

            self._api = DigitalOceanClient(token=self._token, base_url=self._endpoint)
        return self._api

    # -------------------------------------------------------------------------------------- resources

    def _context(
        self, urn: str, timeout: float = 0.0, secrets: marshal.Secrets | None = None, *, api: Any = ...
    ) -> Any:
        from ocean.resources.base import Context

        hide = secrets or marshal.Secrets()

        async def report(message: str) -> None:
            # Status lines are built from inputs (a snapshot's name): secret ones are not shown.
            await self._log(urn, hide.redact(message), ephemeral=True)

        async def notify(message: str) -> None:
            await self._log(urn, hide.redact(message), ephemeral=False)

        async def warn(message: str) -> None:
            await self._log(urn, hide.redact(message), ephemeral=False, severity=engine_pb2.WARNING)

        return Context(
            api=self._client() if api is ... else api,
            urn=urn,
            timeout=timeout or None,
            cancel=self._cancel,
            report=report,
            notify=notify,
            shared=self._shared,
            warn=warn,
        )

    # Each operation decodes with the engine's secret markers and hands them to `marshal.encode`, so
    # whatever the program marked secret comes back secret (see marshal's docstring).

    @_resource_rpc
    async def Check(self, request: Any, res: Any) -> Any:
        olds = marshal.decode(request.olds)
        news, secrets = marshal.decode_with_secrets(request.news)
        inputs, failures = res.checked(
            request.urn, olds, news, bytes(request.randomSeed), memory=self._shared
        )
        if not failures:
            # Reads only (see Resource.check_live); without a token they are left for `up`.
            api = self._client() if self._token else None
            ctx = self._context(request.urn, secrets=secrets, api=api)
            failures = await res.check_live(ctx, olds, inputs)
        return provider_pb2.CheckResponse(
            inputs=marshal.encode(
                inputs, secret_fields=res.Args.secret_wire_names(), secrets=secrets, keep_unknowns=True
            ),
            failures=[
                provider_pb2.CheckFailure(property=f.property, reason=secrets.redact(f.reason))
                for f in failures
            ],
        )

    @_resource_rpc
    async def Diff(self, request: Any, res: Any) -> Any:
        olds, news = marshal.decode(request.olds), marshal.decode(request.news)
        old_inputs = marshal.decode(request.old_inputs) if request.HasField("old_inputs") else None
        d = res.diff(olds, news, old_inputs=old_inputs, ignore_changes=frozenset(request.ignoreChanges))
        validate_change = getattr(res, "validate_change", None)
        if d.changes and not d.replaces and validate_change is not None:
            problems = await validate_change(self._context(request.urn), olds, news)
            if problems:
                from ocean.resources.base import ResourceError

                raise ResourceError("; ".join(problems))
        if d.replaces:
            await self._log(request.urn, f"will be replaced because {d.replace_reason()}", ephemeral=False)
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME if d.changes else provider_pb2.DiffResponse.DIFF_NONE,
            replaces=d.replaces,
            # Top-level properties only: detailed keys may be paths (`inboundRules[2]`).
            diffs=sorted({k.split("[", 1)[0].split(".", 1)[0] for k in d.detailed}),
            detailedDiff={k: provider_pb2.PropertyDiff(kind=_DIFF_KIND[v]) for k, v in d.detailed.items()},
            hasDetailedDiff=True,
            deleteBeforeReplace=d.delete_before_replace,
        )

    @_resource_rpc
    async def Create(self, request: Any, res: Any) -> Any:
        inputs, secrets = marshal.decode_with_secrets(request.properties)
        res.check_timeout(request.urn, "create", request.timeout)
        if request.preview:
            outputs = res.preview_create(inputs)
            properties = _outputs(res, outputs, secrets, preview=True)
            return provider_pb2.CreateResponse(id="", properties=properties)
        ctx = self._context(request.urn, request.timeout, secrets)
        resource_id, outputs = await res.create(ctx, inputs)
        return provider_pb2.CreateResponse(id=resource_id, properties=_outputs(res, outputs, secrets))

    @_resource_rpc
    async def Read(self, request: Any, res: Any) -> Any:
        state, state_secrets = marshal.decode_with_secrets(request.properties)
        inputs, input_secrets = marshal.decode_with_secrets(request.inputs)
        secrets = state_secrets | input_secrets
        found = await res.refresh(self._context(request.urn, secrets=secrets), request.id, state, inputs)
        if found is None:
            return provider_pb2.ReadResponse(id="")  # gone: the engine drops it from the state
        outputs, new_inputs = found
        return provider_pb2.ReadResponse(
            id=request.id,
            properties=_outputs(res, outputs, secrets),
            inputs=marshal.encode(
                new_inputs, secret_fields=res.Args.secret_wire_names(), secrets=input_secrets
            ),
        )

    @_resource_rpc
    async def Update(self, request: Any, res: Any) -> Any:
        olds = marshal.decode(request.olds)
        # The program's inputs say what is secret now: a field it stopped marking is no longer secret.
        news, secrets = marshal.decode_with_secrets(request.news)
        res.check_timeout(request.urn, "update", request.timeout)
        if request.preview:
            outputs = res.preview_update(olds, news)
            return provider_pb2.UpdateResponse(properties=_outputs(res, outputs, secrets, preview=True))
        ctx = self._context(request.urn, request.timeout, secrets)
        outputs = await res.update(ctx, request.id, olds, news)
        return provider_pb2.UpdateResponse(properties=_outputs(res, outputs, secrets))

    @_resource_rpc
    async def Delete(self, request: Any, res: Any) -> Any:
        res.check_timeout(request.urn, "delete", request.timeout)
        state, secrets = marshal.decode_with_secrets(request.properties)
        await res.delete(self._context(request.urn, request.timeout, secrets), request.id, state)
        return empty_pb2.Empty()

    async def Invoke(self, request: Any, context: Any) -> Any:
        from ocean.provider.registry import lookup_function

        try:
            fn = lookup_function(request.tok)
        except KeyError as e:
            return provider_pb2.InvokeResponse(
                failures=[provider_pb2.CheckFailure(property="", reason=str(e))]
            )
        import structlog

        structlog.contextvars.bind_contextvars(function=request.tok)
        raw, secrets = marshal.decode_with_secrets(request.args)
        _request_secrets_var.set(secrets)
        args, failures = fn.check(raw)
        if failures:
            return provider_pb2.InvokeResponse(
                failures=[
                    provider_pb2.CheckFailure(property=f.property, reason=secrets.redact(f.reason))
                    for f in failures
                ]
            )
        try:
            result = await fn.run(self._context(request.tok, secrets=secrets), args)
        except _Abort as e:
            await context.abort(e.code, secrets.redact(str(e)))
        except Exception as e:  # noqa: BLE001 - reported to the program as the invoke's error
            message = f"{request.tok.split(':')[-1]}: {_describe(e)}"
            await context.abort(grpc.StatusCode.UNKNOWN, secrets.redact(message))
        # A lookup's result is found by its arguments: when any of them is secret, all of it is.
        return provider_pb2.InvokeResponse(
            **{"return": marshal.encode(result, secret_fields=list(result) if secrets else ())}
        )

    # ----------------------------------------------------------------------------------------- engine

    async def _log(self, urn: str, message: str, *, ephemeral: bool, severity: Any = engine_pb2.INFO) -> None:
        """Show a message against the resource in the Pulumi display (ephemeral: a status line)."""
        if not self._engine_address:
            return
        try:
            if self._engine is None:
                channel = grpc.aio.insecure_channel(self._engine_address)
                self._engine = engine_pb2_grpc.EngineStub(channel)
            await self._engine.Log(
                engine_pb2.LogRequest(severity=severity, message=message, urn=urn, ephemeral=ephemeral),
                timeout=5,
            )
        except Exception:  # noqa: BLE001 - progress display is best effort, never fails an operation
            pass


class _Abort(Exception):
    def __init__(self, code: grpc.StatusCode, message: str, details: bytes | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


def _type_of(urn: str) -> str:
    # urn:pulumi:stack::project::[parent$]type::name
    return urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else urn


def _request_secrets(request: Any) -> marshal.Secrets:
    """Every value the engine marked secret anywhere in a resource request."""
    fields = ("properties", "olds", "news", "inputs", "old_inputs")
    return marshal.secrets_of(
        *(getattr(request, f) for f in fields if f in type(request).DESCRIPTOR.fields_by_name)
    )


def _outputs(res: Any, outputs: Any, secrets: marshal.Secrets, *, preview: bool = False) -> Any:
    """A resource's outputs on the wire: schema-secret fields and whatever the program marked secret."""
    return marshal.encode(
        outputs, secret_fields=res.State.secret_wire_names(), secrets=secrets, keep_unknowns=preview
    )


async def _guard(context: Any, fn: Any, request: Any, res: Any, secrets: marshal.Secrets) -> Any:
    """Run an operation and turn its failure into the gRPC error the engine understands. Messages are
    built from inputs, so the values the program marked secret are taken out of them."""
    from ocean.resources.base import PartialFailure, ResourceError

    try:
        return await fn(request, res)
    except PartialFailure as e:
        details = marshal.resource_init_failed_details(
            e.resource_id,
            _outputs(res, e.state, secrets),
            marshal.encode(e.inputs, secret_fields=res.Args.secret_wire_names(), secrets=secrets),
            [secrets.redact(str(e))],
        )
        await context.abort(
            grpc.StatusCode.UNKNOWN,
            secrets.redact(str(e)),
            trailing_metadata=(("grpc-status-details-bin", details),),
        )
    except _Abort as e:
        await context.abort(e.code, secrets.redact(str(e)))
    except ResourceError as e:
        await context.abort(grpc.StatusCode.UNKNOWN, secrets.redact(str(e)))
    except Exception as e:  # noqa: BLE001 - every failure reaches the user with the resource named
        label = f"{_type_of(request.urn).split(':')[-1]} '{request.urn.rsplit('::', 1)[-1]}'"
        await context.abort(grpc.StatusCode.UNKNOWN, secrets.redact(f"{label}: {_describe(e)}"))


def _describe(e: BaseException) -> str:
    from ocean.resources.base import explain

    return explain(e)


#: Imported in the background once the port is printed: what every first resource call needs (the API
#: client with httpx and pydantic, the operations' base). Resource modules load on first use, each alone
#: (registry.py): warming all nine would compete for the one interpreter lock with the first call.
WARM_UP = ("ocean.api", "ocean.resources.base")


def _warm_up(modules: tuple[str, ...] = WARM_UP) -> None:
    import importlib

    try:
        importlib.import_module("ocean.api.transport").tls_context()
        for name in modules:
            importlib.import_module(name)
    except Exception:  # noqa: BLE001 - only a head start: the operation that needs it imports it again
        return


async def serve(engine_address: str | None, *, port_out: Any = None) -> None:
    server = grpc.aio.server(
        options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)],
    )
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(OceanProvider(engine_address), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    out = port_out or sys.stdout
    out.write(f"{port}\n")
    out.flush()
    # The engine now handshakes (plugin info, config) before its first resource call: load what that
    # call needs meanwhile, instead of after it arrives.
    threading.Thread(target=_warm_up, name="ocean-warm-up", daemon=True).start()
    # Started by an engine: end with it (lifetime.py), never outlive it.
    watch = asyncio.ensure_future(stop_with_engine(engine_address, server)) if engine_address else None
    await server.wait_for_termination()
    if watch is not None:
        watch.cancel()


def _log_level(flags: list[str]) -> str | None:
    """The engine passes `-v=N` and `--logtostderr` to plugins when run with `pulumi -v=N
    --logtostderr`; OCEAN_LOG_LEVEL (debug, info, warning) asks for logs directly."""
    level = os.environ.get("OCEAN_LOG_LEVEL")
    if level:
        return level.upper()
    verbosity = max(
        (int(f.split("=", 1)[1]) for f in flags if f.startswith("-v=") and f[3:].isdigit()), default=0
    )
    if "--logtostderr" in flags and verbosity > 0:
        return "DEBUG" if verbosity >= 7 else "INFO"
    return None


def main(argv: list[str] | None = None) -> None:
    # structlog and httpx load `rich` (for pretty console output and httpx's command line) whenever it
    # is installed, as development tools install it: 0.3 s of start-up for output a provider never
    # makes (its stderr is the engine's log, written as JSON lines). Tell them it is not there.
    sys.modules.setdefault("rich", None)  # type: ignore[arg-type]
    raw = sys.argv[1:] if argv is None else argv
    args = [a for a in raw if not a.startswith("-")]
    engine_address = args[0] if args else None
    level = _log_level([a for a in raw if a.startswith("-")])
    if level is not None:
        # Request logs (method, path, status, duration, request id; never the token or bodies) go to
        # stderr, which the engine records in its own logs.
        from ocean.api import configure_logging

        configure_logging(level, json=True).addFilter(_RedactSecrets())
    try:
        asyncio.run(serve(engine_address))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
