"""`python provider/ <engine-address>`: the provider plugin, run from a source checkout."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ocean.provider.server import main  # noqa: E402

main()
