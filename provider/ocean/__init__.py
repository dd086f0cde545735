"""pulumi-ocean: a native Pulumi provider for DigitalOcean."""

__version__ = "0.1.0"
