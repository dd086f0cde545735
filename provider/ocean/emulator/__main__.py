"""``python -m ocean.emulator serve ...``."""

from __future__ import annotations

import sys

from ocean.emulator.server import serve_main

if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv[:1] != ["serve"]:
        sys.stderr.write("usage: python -m ocean.emulator serve [--host H] [--port N] [--time-scale F] ...\n")
        sys.exit(2)
    sys.exit(serve_main(argv[1:]))
