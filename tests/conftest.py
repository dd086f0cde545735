"""Shared test configuration. The emulator fixtures come from the `ocean.emulator.pytest_plugin`
plugin (registered by the package's pytest11 entry point)."""
