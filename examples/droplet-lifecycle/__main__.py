"""Droplet lifecycle: create, resize, power off, snapshot — each step a config change and a `pulumi up`.

See README.md for the sequence of commands.
"""

import pulumi

import pulumi_ocean as ocean

config = pulumi.Config()
region = config.get("region") or "nyc3"
size = config.get("size") or "s-1vcpu-1gb"
running = config.get_bool("running")
take_snapshot = config.get_bool("snapshot") or False

# The cheapest size on offer in the region, looked up at run time.
cheapest = ocean.get_sizes(region=region, available=True).sizes[0]
image = ocean.get_image(slug="ubuntu-24-04-x64")

app = ocean.Droplet(
    "app",
    region=region,
    size=size,
    image=image.slug,
    tags=["lifecycle"],
    resize_disk=config.get_bool("resizeDisk") or False,
    running=True if running is None else running,
    shutdown_grace_period=30,
    opts=pulumi.ResourceOptions(
        custom_timeouts=pulumi.CustomTimeouts(create="10m", update="20m", delete="5m"),
    ),
)

if take_snapshot:
    snap = ocean.DropletSnapshot("app-snapshot", droplet_id=app.droplet_id)
    pulumi.export("snapshot_id", snap.snapshot_id)
    pulumi.export("snapshot_size_gb", snap.size_gigabytes)

pulumi.export("droplet_id", app.droplet_id)
pulumi.export("size", app.size)
pulumi.export("disk_gb", app.disk)
pulumi.export("status", app.status)
pulumi.export("cheapest_size_in_region", cheapest.slug)
