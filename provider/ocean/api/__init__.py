"""Typed async DigitalOcean API client: httpx + pydantic + tenacity + structlog. No Pulumi imports."""

from . import errors, models, waiters
from .client import DigitalOceanClient
from .governor import RateGovernor, shared_governor
from .logs import configure_logging
from .pagination import Paginator
from .transport import RetryPolicy, deadline_scope
from .waiters import WaitProgress

__all__ = [
    "DigitalOceanClient", "Paginator", "RateGovernor", "RetryPolicy", "WaitProgress", "configure_logging",
    "deadline_scope", "errors", "models", "shared_governor", "waiters",
]  # fmt: skip
