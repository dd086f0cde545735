"""Shared test configuration. The emulator fixtures come from the `ocean.emulator.pytest_plugin`
plugin (registered by the package's pytest11 entry point)."""

# `lossy_emulator`: answers lost after the work is done (see tests/after_faults.py).
pytest_plugins = ["tests.after_faults"]
