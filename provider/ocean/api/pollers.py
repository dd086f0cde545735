"""How the provider polls and reads: shared (the default) or per resource (as before issue 15).

``OCEAN_POLLING=per-resource`` makes every waiter poll its own item with its own GET and every read its
own GET: the baseline `make bench` compares against. Read here, and only here.
"""

from __future__ import annotations

import os
from typing import Literal


def polling_mode() -> Literal["shared", "per-resource"]:
    """``per-resource`` when ``OCEAN_POLLING=per-resource``; ``shared`` otherwise (unset or ``shared``)."""
    value = os.environ.get("OCEAN_POLLING", "").strip().lower()
    return "per-resource" if value == "per-resource" else "shared"
