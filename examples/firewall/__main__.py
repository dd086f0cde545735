"""A firewall for web droplets, found by their tag, and an admin droplet, named by its id.

The web droplets can come and go (`webCount`): the firewall follows the `web` tag, so it never changes
for that. SSH is allowed only from the admin droplet and an office network. See README.md.
"""

import pulumi

import pulumi_ocean as ocean

config = pulumi.Config()
region = config.get("region") or "nyc3"
web_count = config.get_int("webCount") or 2
office = config.get("officeCidr") or "203.0.113.0/24"
metrics = config.get_bool("metrics") or False

web = [
    ocean.Droplet(f"web-{i}", region=region, size="s-1vcpu-1gb", image="ubuntu-24-04-x64", tags=["web"])
    for i in range(web_count)
]
admin = ocean.Droplet("admin", region=region, size="s-1vcpu-1gb", image="ubuntu-24-04-x64", tags=["admin"])

anywhere = ["0.0.0.0/0", "::/0"]
inbound = [
    ocean.FirewallInboundRuleArgs(protocol="tcp", port_range="80", source_addresses=anywhere),
    ocean.FirewallInboundRuleArgs(protocol="tcp", port_range="443", source_addresses=anywhere),
    # The admin droplet's id is not known until it exists: Pulumi fills it in during `up`.
    ocean.FirewallInboundRuleArgs(
        protocol="tcp", port_range="22", source_addresses=[office], source_droplet_ids=[admin.droplet_id]
    ),
    ocean.FirewallInboundRuleArgs(protocol="icmp", source_addresses=anywhere),
]
if metrics:
    # node_exporter, scraped from the admin droplet only.
    inbound.append(
        ocean.FirewallInboundRuleArgs(protocol="tcp", port_range="9100", source_droplet_ids=[admin.droplet_id])
    )

firewall = ocean.Firewall(
    "web",
    name=config.get("firewallName") or "web",
    tags=["web"],
    droplet_ids=[admin.droplet_id],
    inbound_rules=inbound,
    outbound_rules=[
        ocean.FirewallOutboundRuleArgs(protocol="tcp", port_range="all", destination_addresses=anywhere),
        ocean.FirewallOutboundRuleArgs(protocol="udp", port_range="all", destination_addresses=anywhere),
        ocean.FirewallOutboundRuleArgs(protocol="icmp", destination_addresses=anywhere),
    ],
    opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="5m", update="5m")),
)

pulumi.export("firewall_id", firewall.firewall_id)
pulumi.export("firewall_status", firewall.status)
pulumi.export("admin_id", admin.droplet_id)
pulumi.export("web_ids", [d.droplet_id for d in web])
