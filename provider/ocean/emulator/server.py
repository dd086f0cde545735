"""Running the emulator: :class:`EmulatorServer` (uvicorn in a background thread) and ``serve_main``, the
``ocean emulator serve`` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import math
import signal
import socket
import sys
import threading
from types import FrameType, TracebackType
from typing import Any

import uvicorn
from uvicorn.config import HTTP_PROTOCOLS
from uvicorn.importer import import_from_string

from ocean.api.models import durations
from ocean.emulator.app import create_app
from ocean.emulator.backend import Backend
from ocean.emulator.clock import Clock
from ocean.emulator.config import EmulatorConfig
from ocean.emulator.log import log_to_stderr
from ocean.emulator.pipeline import TRANSPORT_SCOPE_KEY


def _http_protocol_class() -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (httptools when installed, else h11), extended to put its transport in the
    ASGI scope so a fault can close the connection without answering."""
    impl = "httptools" if importlib.util.find_spec("httptools") is not None else "h11"
    base: Any = import_from_string(HTTP_PROTOCOLS[impl])

    class TransportExposingProtocol(base):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            inner: Any = self.app  # type: ignore[has-type]
            protocol = self

            async def app(scope: Any, receive: Any, send: Any) -> None:
                scope[TRANSPORT_SCOPE_KEY] = protocol.transport
                await inner(scope, receive, send)

            self.app = app

        def connection_made(self, transport: Any) -> None:
            # Headers and body leave in separate writes: without TCP_NODELAY, Nagle's algorithm holds the
            # body back until the client's delayed ACK (~40 ms a request).
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().connection_made(transport)

    return TransportExposingProtocol


class EmulatorServer:
    """The emulator on a real socket, served by uvicorn from a background thread.

    Ready (accepting connections) when :meth:`start` returns; :meth:`stop` closes the socket and joins the
    thread. Usable as a context manager. ``port=0`` picks a free port; read it back from :attr:`base_url`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        config: EmulatorConfig | None = None,
        *,
        backend: Backend | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.config = config or (backend.config if backend is not None else EmulatorConfig())
        self.backend = backend or Backend(self.config)
        self.app = create_app(self.backend)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._error: BaseException | None = None

    @property
    def clock(self) -> Clock:
        return self.backend.clock

    @property
    def base_url(self) -> str:
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> EmulatorServer:
        if self._thread is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(1024)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self._socket = sock
        config = uvicorn.Config(
            self.app,
            http=_http_protocol_class(),
            ws="none",
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        started = threading.Event()

        def run() -> None:
            assert self._server is not None
            try:
                asyncio.run(self._serve(started))
            except BaseException as exc:  # pragma: no cover - surfaced by start()
                self._error = exc
            finally:
                started.set()

        self._thread = threading.Thread(target=run, name=f"ocean-emulator:{self.port}", daemon=True)
        self._thread.start()
        started.wait(10)
        if self._error is not None or not (self._server.started):
            self.stop()
            raise RuntimeError(f"the emulator failed to start: {self._error!r}")
        return self

    async def _serve(self, started: threading.Event) -> None:
        assert self._server is not None and self._socket is not None
        task = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        # uvicorn offers no readiness event; poll its flag briefly.
        for _ in range(2000):
            if self._server.started or task.done():
                break
            await asyncio.sleep(0.005)
        started.set()
        await task

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self.backend.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocean emulator serve", description="Serve the local DigitalOcean API emulator."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on the first line)")
    parser.add_argument("--time-scale", type=float, default=1.0, help="emulated seconds per real second")
    parser.add_argument("--manual-clock", action="store_true", help="time moves only via /_emulator/clock")
    parser.add_argument("--state", default=None, help="SQLite file that keeps state across restarts")
    parser.add_argument(
        "--token",
        default=None,
        help="the only accepted bearer token, for /v2 and the control API (default: any)",
    )
    parser.add_argument(
        "--control-token",
        default=None,
        help="a separate bearer token for the /_emulator control API (default: --token, or open without one)",
    )
    parser.add_argument(
        "--rate-limit-per-minute",
        type=_limit,
        default=250,
        help="requests per token per real minute (0: no limit)",
    )
    parser.add_argument(
        "--rate-limit-per-hour",
        type=_limit,
        default=5000,
        help="requests per token per real hour (0: no limit)",
    )
    parser.add_argument(
        "--guest-shutdown-s",
        type=_seconds,
        default=None,
        help="emulated seconds a droplet's OS takes to power off after a shutdown action starts "
        "(default: by the time the action completes)",
    )
    parser.add_argument(
        "--vpc-member-lag-s",
        type=_seconds,
        default=durations.VPC_MEMBER_LAG_S,
        help="emulated seconds a deleted droplet stays listed among its VPC's members after it answers 404 "
        f"(default {durations.VPC_MEMBER_LAG_S:g})",
    )
    parser.add_argument(
        "--vpc-delete-refusal-status",
        type=int,
        choices=(403, 409),
        default=403,
        help="the status DELETE /v2/vpcs/{id} answers for a VPC with members: 403 (the spec) or 409 "
        "(the live API)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log error answers to stderr")
    return parser


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not math.isfinite(seconds) or seconds < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds")
    return seconds


def _limit(value: str) -> int:
    try:
        limit = int(value)
    except ValueError:
        limit = -1
    if limit < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a request count (0 for no limit)")
    return limit


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """The emulator's settings from ``ocean emulator serve``'s flags."""
    return EmulatorConfig(
        time_scale=args.time_scale,
        clock_mode="manual" if args.manual_clock else "scaled",
        state_file=args.state,
        token=args.token,
        control_token=args.control_token,
        rate_limit_per_minute=args.rate_limit_per_minute,
        rate_limit_per_hour=args.rate_limit_per_hour,
        guest_shutdown_s=args.guest_shutdown_s,
        vpc_member_lag_s=args.vpc_member_lag_s,
        vpc_delete_refusal_status=args.vpc_delete_refusal_status,
    )


def serve_main(argv: list[str] | None = None) -> int:
    """``ocean emulator serve``: print the base URL as the first stdout line, serve until SIGINT/SIGTERM."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["serve"]:
        args_list = args_list[1:]
    args = _parser().parse_args(args_list)
    config = config_from_args(args)
    if not args.quiet:
        log_to_stderr()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = EmulatorServer(args.host, args.port, config)
    try:
        server.start()
        sys.stdout.write(server.base_url + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
