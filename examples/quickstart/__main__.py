"""Quick start: two web droplets, tagged, in one region."""

import pulumi

import pulumi_ocean as ocean

config = pulumi.Config()
region = config.get("region") or "nyc3"

web = [
    ocean.Droplet(
        f"web-{i}",
        region=region,
        size="s-1vcpu-1gb",
        image="ubuntu-24-04-x64",
        tags=["web", "quickstart"],
    )
    for i in range(2)
]

pulumi.export("names", [d.name for d in web])
pulumi.export("ids", [d.droplet_id for d in web])
pulumi.export("ipv4_addresses", [d.ipv4_address for d in web])
pulumi.export("monthly_cost_usd", pulumi.Output.all(*[d.price_monthly for d in web]).apply(sum))
