"""The seeded, read-only catalogue: regions, sizes, distribution images, default VPC ranges, registry tiers.

Prices, disks and names follow DigitalOcean's public catalogue for Basic droplets.
"""

from __future__ import annotations

from typing import Any

REGION_NAMES: dict[str, str] = {
    "nyc1": "New York 1",
    "nyc3": "New York 3",
    "sfo3": "San Francisco 3",
    "ams3": "Amsterdam 3",
    "fra1": "Frankfurt 1",
    "lon1": "London 1",
    "sgp1": "Singapore 1",
    "tor1": "Toronto 1",
    "blr1": "Bangalore 1",
    "syd1": "Sydney 1",
}
REGION_FEATURES = ["backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"]

#: Default VPC ip_range per region (what DigitalOcean hands out for the account's first VPC there).
DEFAULT_VPC_RANGES: dict[str, str] = {
    "nyc1": "10.116.0.0/20",
    "nyc3": "10.108.0.0/20",
    "sfo3": "10.124.0.0/20",
    "ams3": "10.110.0.0/20",
    "fra1": "10.114.0.0/20",
    "lon1": "10.106.0.0/20",
    "sgp1": "10.104.0.0/20",
    "tor1": "10.118.0.0/20",
    "blr1": "10.122.0.0/20",
    "syd1": "10.126.0.0/20",
}
#: The nyc3 default VPC carries the id used by the spec's own droplet-create examples, so they are accepted.
DEFAULT_VPC_IDS: dict[str, str] = {"nyc3": "760e09ef-dc84-11e8-981e-3cfdfeaae000"}

#: Public IPv4 prefix (a /16, first two octets) and IPv6 /64 prefix per region.
PUBLIC_V4_PREFIX: dict[str, str] = {
    "nyc1": "104.236",
    "nyc3": "159.203",
    "sfo3": "164.90",
    "ams3": "188.166",
    "fra1": "46.101",
    "lon1": "178.62",
    "sgp1": "128.199",
    "tor1": "159.203",
    "blr1": "139.59",
    "syd1": "170.64",
}
PUBLIC_V6_PREFIX: dict[str, str] = {
    "nyc1": "2604:a880:400:d0",
    "nyc3": "2604:a880:800:10",
    "sfo3": "2604:a880:4:1d0",
    "ams3": "2a03:b0c0:2:d0",
    "fra1": "2a03:b0c0:3:d0",
    "lon1": "2a03:b0c0:1:d0",
    "sgp1": "2400:6180:0:d0",
    "tor1": "2604:a880:cad:d0",
    "blr1": "2400:6180:100:d0",
    "syd1": "2400:6180:10:200",
}

ALL_REGIONS = list(REGION_NAMES)
_SMALL_SIZE_REGIONS = ["nyc1", "nyc3", "sfo3", "ams3", "fra1", "lon1", "sgp1", "tor1"]

# slug, memory MiB, vcpus, disk GiB, transfer TiB, price_monthly, price_hourly, regions
_SIZE_ROWS: list[tuple[str, int, int, int, float, float, float, list[str]]] = [
    ("s-1vcpu-512mb-10gb", 512, 1, 10, 0.5, 4.0, 0.00595, _SMALL_SIZE_REGIONS),
    ("s-1vcpu-1gb", 1024, 1, 25, 1.0, 6.0, 0.00893, ALL_REGIONS),
    ("s-1vcpu-2gb", 2048, 1, 50, 2.0, 12.0, 0.01786, ALL_REGIONS),
    ("s-2vcpu-2gb", 2048, 2, 60, 3.0, 18.0, 0.02679, ALL_REGIONS),
    ("s-2vcpu-4gb", 4096, 2, 80, 4.0, 24.0, 0.03571, ALL_REGIONS),
    ("s-4vcpu-8gb", 8192, 4, 160, 5.0, 48.0, 0.07143, ALL_REGIONS),
    ("s-8vcpu-16gb", 16384, 8, 320, 6.0, 96.0, 0.14286, ALL_REGIONS),
]

SIZES: dict[str, dict[str, Any]] = {
    slug: {
        "slug": slug,
        "memory": memory,
        "vcpus": vcpus,
        "disk": disk,
        "transfer": transfer,
        "price_monthly": monthly,
        "price_hourly": hourly,
        "regions": list(regions),
        "available": True,
        "description": "Basic",
        "disk_info": [{"type": "local", "size": {"amount": disk, "unit": "gib"}}],
    }
    for slug, memory, vcpus, disk, transfer, monthly, hourly, regions in _SIZE_ROWS
}


def region_sizes(slug: str) -> list[str]:
    return [s for s, size in SIZES.items() if slug in size["regions"]]


REGIONS: dict[str, dict[str, Any]] = {
    slug: {
        "name": name,
        "slug": slug,
        "features": list(REGION_FEATURES),
        "available": True,
        "sizes": region_sizes(slug),
    }
    for slug, name in REGION_NAMES.items()
}

IMAGE_CREATED_AT = "2024-04-25T14:31:11Z"

# id, slug, name, distribution, min_disk_size, size_gigabytes
_IMAGE_ROWS: list[tuple[int, str, str, str, int, float]] = [
    (160245131, "ubuntu-24-04-x64", "24.04 (LTS) x64", "Ubuntu", 7, 2.39),
    (129211873, "ubuntu-22-04-x64", "22.04 (LTS) x64", "Ubuntu", 7, 2.22),
    (112929454, "ubuntu-20-04-x64", "20.04 (LTS) x64", "Ubuntu", 7, 2.36),
    (136243410, "debian-12-x64", "12 x64", "Debian", 7, 1.21),
    (156247190, "fedora-40-x64", "40 x64", "Fedora", 7, 1.37),
]

DISTRIBUTION_IMAGES: dict[int, dict[str, Any]] = {
    image_id: {
        "id": image_id,
        "name": name,
        "distribution": distribution,
        "slug": slug,
        "public": True,
        "regions": list(ALL_REGIONS),
        "created_at": IMAGE_CREATED_AT,
        "type": "base",
        "min_disk_size": min_disk,
        "size_gigabytes": size_gb,
        "description": f"{distribution} {name}",
        "tags": [],
        "status": "available",
        "error_message": "",
    }
    for image_id, slug, name, distribution, min_disk, size_gb in _IMAGE_ROWS
}

ACCOUNT: dict[str, Any] = {
    "droplet_limit": 25,
    "floating_ip_limit": 3,
    "volume_limit": 100,
    "email": "emulator@example.com",
    "name": "Ocean Emulator",
    "uuid": "b6fr89dbf6d9156cace5f3c78dc9851d957381ef",
    "email_verified": True,
    "status": "active",
    "status_message": "",
    "team": {"uuid": "5df3e3004a1d4f9a9e1ac8a5c1f6b47e", "name": "My Team"},
}

# Container registry tiers: slug, name, repositories (0 = unlimited), storage bytes, transfer bytes,
# monthly price in cents, allowed registries.
_GIB = 1024**3
REGISTRY_TIERS: list[dict[str, Any]] = [
    {
        "name": "Starter",
        "slug": "starter",
        "included_repositories": 1,
        "included_storage_bytes": 500 * 1024**2,
        "allow_storage_overage": False,
        "included_bandwidth_bytes": 500 * 1024**2,
        "monthly_price_in_cents": 0,
        "storage_overage_price_in_cents": 0,
        "max_registries": 1,
    },
    {
        "name": "Basic",
        "slug": "basic",
        "included_repositories": 5,
        "included_storage_bytes": 5 * _GIB,
        "allow_storage_overage": True,
        "included_bandwidth_bytes": 5 * _GIB,
        "monthly_price_in_cents": 500,
        "storage_overage_price_in_cents": 2,
        "max_registries": 1,
    },
    {
        "name": "Professional",
        "slug": "professional",
        "included_repositories": 0,
        "included_storage_bytes": 100 * _GIB,
        "allow_storage_overage": True,
        "included_bandwidth_bytes": 100 * _GIB,
        "monthly_price_in_cents": 2000,
        "storage_overage_price_in_cents": 2,
        "max_registries": 9,
    },
]
REGISTRY_REGIONS = ["nyc3", "sfo3", "ams3", "sgp1", "fra1", "blr1", "syd1"]

#: Kernels offered to droplets with externally managed kernels (``GET /v2/droplets/{id}/kernels``).
KERNELS: list[dict[str, Any]] = [
    {
        "id": 7515,
        "name": "DigitalOcean GrubLoader v0.2 (20160714)",
        "version": "2016.07.13-DigitalOcean_loader_Ubuntu",
    },
    {"id": 8612, "name": "Ubuntu 24.04 x64 vmlinuz-6.8.0-31-generic", "version": "6.8.0-31-generic"},
]

#: ``GET /v2/droplets/backups/supported_policies``.
SUPPORTED_BACKUP_POLICIES: list[dict[str, Any]] = [
    {
        "name": "weekly",
        "possible_window_starts": [0, 4, 8, 12, 16, 20],
        "window_length_hours": 4,
        "retention_period_days": 28,
        "possible_days": ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    },
    {
        "name": "daily",
        "possible_window_starts": [0, 4, 8, 12, 16, 20],
        "window_length_hours": 4,
        "retention_period_days": 7,
        "possible_days": [],
    },
]
