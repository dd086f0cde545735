"""Two VPCs in one region, a droplet in each, and a peering between them.

See README.md for running it against the emulator or DigitalOcean.
"""

import pulumi

import pulumi_ocean as ocean

config = pulumi.Config()
region = config.get("region") or "nyc3"
size = config.get("size") or "s-1vcpu-1gb"
image = config.get("image") or "ubuntu-24-04-x64"

# Left out, each address range is a free /20 that DigitalOcean picks; set your own with
# `pulumi config set blueRange 10.200.0.0/20` (peered VPCs must not overlap).
blue = ocean.Vpc("blue", region=region, ip_range=config.get("blueRange"), description="the web tier")
green = ocean.Vpc("green", region=region, ip_range=config.get("greenRange"), description="the data tier")

# A droplet joins a VPC through its id; Pulumi creates the VPC first and deletes it last.
web = ocean.Droplet("web", region=region, size=size, image=image, vpc_uuid=blue.vpc_id, tags=["vpc-peering"])
db = ocean.Droplet("db", region=region, size=size, image=image, vpc_uuid=green.vpc_id, tags=["vpc-peering"])

# `pulumi up` returns once the peering is ACTIVE. If it is still PROVISIONING when the create timeout
# runs out, it is kept in the stack and the next `pulumi up` goes on waiting for it.
peering = ocean.VpcPeering(
    "blue-green",
    name=config.get("peeringName"),
    vpc_ids=[blue.vpc_id, green.vpc_id],
    opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="10m", delete="10m")),
)

# The region's default VPC, where droplets without `vpc_uuid` go.
default_vpc = ocean.get_vpc(region=region)

pulumi.export("blue_vpc_id", blue.vpc_id)
pulumi.export("green_vpc_id", green.vpc_id)
pulumi.export("web_vpc_id", web.vpc_uuid)
pulumi.export("db_vpc_id", db.vpc_uuid)
pulumi.export("web_private_ip", web.ipv4_address_private)
pulumi.export("db_private_ip", db.ipv4_address_private)
pulumi.export("peering_id", peering.peering_id)
pulumi.export("peering_name", peering.name)
pulumi.export("peering_status", peering.status)
pulumi.export("default_vpc_name", default_vpc.name)
