"""Container registry: a registry, the account's subscription tier, and a garbage collection that runs
whenever `gcTrigger` changes. See README.md for the steps."""

import pulumi

import pulumi_ocean as ocean

config = pulumi.Config()

# The tier belongs to the account, not to a registry: one RegistrySubscription per account. A tier the
# account is not eligible for is refused at preview, with DigitalOcean's reasons.
subscription = ocean.RegistrySubscription("tier", tier_slug=config.get("tier") or "basic")

# Depending on the subscription, a new account's first registry is created on the declared tier.
registry = ocean.ContainerRegistry(
    "images",
    name=config.get("registryName"),
    region=config.get("region") or "fra1",
    opts=pulumi.ResourceOptions(depends_on=[subscription]),
)

# A garbage collection is started, and waited for to the end, each time `gcTrigger` changes; an `up`
# with the same value starts none. On timeout (or Ctrl-C) the collection is cancelled, so the registry
# does not stay read-only.
trigger = config.get("gcTrigger")
if trigger:
    cleanup = ocean.RegistryGarbageCollection(
        "cleanup",
        registry_name=registry.name,
        type="untagged manifests and unreferenced blobs",
        triggers=[trigger],
        opts=pulumi.ResourceOptions(
            custom_timeouts=pulumi.CustomTimeouts(create=config.get("gcTimeout") or "30m"),
        ),
    )
    pulumi.export("gc_uuid", cleanup.uuid)
    pulumi.export("gc_status", cleanup.status)
    pulumi.export("gc_freed_bytes", cleanup.freed_bytes)

pulumi.export("registry_name", registry.name)
pulumi.export("endpoint", registry.endpoint)
pulumi.export("storage_usage_bytes", registry.storage_usage_bytes)
pulumi.export("tier", subscription.tier_slug)
pulumi.export("tier_monthly_price_cents", subscription.monthly_price_in_cents)
