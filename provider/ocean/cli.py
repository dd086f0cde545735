"""The `ocean` command: `ocean install-plugin`, `ocean emulator serve`, `ocean demo`, `ocean schema`."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="ocean", description="pulumi-ocean: DigitalOcean for Pulumi")
    sub = parser.add_subparsers(dest="command", required=True)
    emu = sub.add_parser("emulator", help="the local DigitalOcean API emulator")
    emu.add_argument("emulator_command", choices=["serve"], help="serve: run the emulator until interrupted")
    sub.add_parser("schema", help="print the Pulumi package schema (JSON)")
    plugin = sub.add_parser(
        "install-plugin",
        help="register this virtualenv's provider in Pulumi's plugin cache, at the version the SDK asks for",
    )
    plugin.add_argument("--pulumi", help="the pulumi executable to use (default: pulumi on PATH)")
    demo = sub.add_parser(
        "demo", help="run the quick start on the embedded emulator (needs `pulumi` on PATH)"
    )
    demo.add_argument("--keep", action="store_true", help="keep the stack's droplets (skip destroy)")
    demo.add_argument("--time-scale", type=float, default=10.0, help="emulated seconds per real second")

    if argv[:2] == ["emulator", "serve"]:
        # The emulator owns its flags (--host, --port, --time-scale, --state, ...).
        from ocean.emulator.server import serve_main

        return serve_main(argv[2:])

    args = parser.parse_args(argv)
    if args.command == "schema":
        from ocean.provider.schema import schema_json

        sys.stdout.write(schema_json())
        return 0
    if args.command == "install-plugin":
        from ocean.plugin import InstallError, install

        try:
            result = install(args.pulumi)
        except InstallError as e:
            print(f"ocean install-plugin: {e}", file=sys.stderr)
            return 1
        print(result.message)
        return 0
    if args.command == "demo":
        from ocean.demo import run_demo

        return run_demo(keep=args.keep, time_scale=args.time_scale)
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
