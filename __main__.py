"""The demo stack's program (Pulumi.yaml at the repository root): runs examples/quickstart.

Pulumi v3.79 resolves `plugins.providers[].path` against the program's directory once `main:` moves it,
so the demo stack keeps its program at the root and `path: ./provider` stays valid.
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).parent / "examples" / "quickstart" / "__main__.py"), run_name="__main__")
