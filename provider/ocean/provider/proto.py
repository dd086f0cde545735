"""Pulumi's provider protocol (the generated protobuf and gRPC modules), loaded without the Pulumi SDK.

The generated modules ship in the ``pulumi`` package (``pulumi.runtime.proto``), and importing them the
ordinary way first runs ``pulumi/__init__.py``, which loads the whole program SDK: the automation API,
dill, yaml, OpenTelemetry. That was more than half of the provider's start-up (about 0.4 s of 0.7 s),
for modules a provider never uses. The generated modules only import each other relatively (``from .
import engine_pb2``) and protobuf, so the same files are loaded here as a private package. Should the
real package be loaded already, it is used instead; protobuf keeps one class per message either way
(one descriptor pool), so messages from either are the same types.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
import types
from typing import Any

_PRIVATE = "ocean.provider._pulumi_proto"
_REAL = "pulumi.runtime.proto"


def _package() -> str:
    if _REAL in sys.modules or _PRIVATE in sys.modules:
        return _REAL if _REAL in sys.modules else _PRIVATE
    spec = importlib.util.find_spec("pulumi")  # finds the package without running its __init__
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    directory = next(
        (
            os.path.join(p, "runtime", "proto")
            for p in locations
            if os.path.isdir(os.path.join(p, "runtime", "proto"))
        ),
        None,
    )
    if directory is None:  # an unusual install: the ordinary import works, only slower
        importlib.import_module(_REAL)
        return _REAL
    package = types.ModuleType(_PRIVATE, __doc__)
    package.__path__ = [directory]
    package.__package__ = _PRIVATE
    package.__spec__ = importlib.machinery.ModuleSpec(_PRIVATE, None, is_package=True)
    package.__spec__.submodule_search_locations = [directory]
    sys.modules[_PRIVATE] = package
    return _PRIVATE


def load(name: str) -> Any:
    """One generated module, e.g. ``load("provider_pb2")``."""
    return importlib.import_module(f"{_package()}.{name}")
