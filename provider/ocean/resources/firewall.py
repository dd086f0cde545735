"""ocean:index:Firewall — a DigitalOcean Cloud Firewall, reconciled change by change.

Inputs follow pulumi-digitalocean's `Firewall` (`inboundRules[].portRange`, `sourceAddresses`, ...), so
programs move over by changing the import. What differs is how changes reach DigitalOcean:

- **Granular updates.** Droplets, tags and rules change through DigitalOcean's add/remove endpoints
  (`/droplets`, `/tags`, `/rules`), each sending only the difference against the live firewall. Only a
  rename uses `PUT`, and its body is the live firewall with the new name, so nothing is wiped.
- **Order: never a moment of wider access.** A rule allows traffic, so rule removals go before rule
  additions (changing a rule briefly allows less, never more). A firewall restricts the droplets it
  applies to, so droplets and tags are added before the rules change and removed after: a droplet leaving
  the firewall keeps it, with the new rules, until last. When adding first would exceed DigitalOcean's
  cap (10 droplets, 5 tags per firewall), that kind is removed first instead.
- **Semantic comparison.** Rules are a set; `portRange` `"all"`, `"0"`, `"1-65535"` and absent are one
  value for tcp/udp and icmp has no ports; addresses compare as networks (`10.0.0.1` = `10.0.0.1/32`);
  tag names case-insensitively; duplicates are dropped at Check. DigitalOcean's normalisation round-trips
  with no diff, and outputs keep the program's spelling where DigitalOcean's means the same.
- **Rule ownership.** `inboundRules` / `outboundRules` left unset means this resource does not own the
  rules of that direction: it never adds or removes them, so `FirewallRule` resources (or people) can.
- **Waits.** Create and every update wait for `status` `succeeded` and no `pending_changes`; `failed`
  is an error naming the droplets, with the firewall recorded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from ocean.resources.adoption import is_mark_tag, without_marks
from ocean.resources.base import (
    MARK,
    CheckFailure,
    Context,
    DiffKind,
    DiffResult,
    Model,
    PartialFailure,
    Resource,
    UseStateForUnknown,
    explain,
    validate,
)
from ocean.resources.unknown import contains_unknown, is_unknown

TOKEN = "ocean:index:Firewall"

DEFAULT_CREATE_TIMEOUT = 10 * 60
DEFAULT_UPDATE_TIMEOUT = 10 * 60
DEFAULT_DELETE_TIMEOUT = 5 * 60

# DigitalOcean's limits (docs.digitalocean.com/products/networking/firewalls/details/limits). They are
# per firewall, not per request, so no request is split: Check refuses what DigitalOcean would.
MAX_DROPLETS = 10
MAX_TAGS = 5
MAX_RULES = 50
MAX_TARGETS_PER_RULE = 1000
PROTOCOLS = ("tcp", "udp", "icmp")
ALL_PORTS = "0"  # DigitalOcean's spelling of "every port"

Direction = Literal["inbound", "outbound"]
DIRECTIONS: tuple[Direction, Direction] = ("inbound", "outbound")
# Per direction: the input key of the rule list, the wire prefix of the target fields, DigitalOcean's key.
RULES_KEY = {"inbound": "inboundRules", "outbound": "outboundRules"}
_PREFIX = {"inbound": "source", "outbound": "destination"}
_SIDE = {"inbound": "sources", "outbound": "destinations"}
# Target kinds: (wire suffix, DigitalOcean key).
_TARGETS = (
    ("Addresses", "addresses"),
    ("DropletIds", "droplet_ids"),
    ("LoadBalancerUids", "load_balancer_uids"),
    ("KubernetesIds", "kubernetes_ids"),
    ("Tags", "tags"),
)
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9.-]+$")
_TAG = re.compile(r"^[A-Za-z0-9:_-]{1,255}$")
_PORTS = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")


# ---------------------------------------------------------------------------------------------------
# Models


_PORT_DOC = (
    'The ports: one port (`"22"`), a range (`"8000-9000"`) or `"all"` (the default for tcp and udp; '
    '`"0"` and `"1-65535"` mean the same). Leave it out for icmp, which has no ports.'
)


def _target_doc(side: str, what: str) -> str:
    return f"{what} the rule allows traffic {side}."


class FirewallInboundRule(Model):
    """Traffic a firewall lets in: a protocol, its ports, and at least one source."""

    protocol: Annotated[
        Literal["tcp", "udp", "icmp"], Field(description="The protocol of the traffic allowed.")
    ]
    port_range: Annotated[str | None, Field(default=None, description=_PORT_DOC)]
    source_addresses: Annotated[
        list[str] | None,
        Field(
            default=None,
            description="IPv4/IPv6 addresses and CIDRs the rule allows traffic from "
            '(`["0.0.0.0/0", "::/0"]` for anywhere). Compared as networks: `10.0.0.1` = `10.0.0.1/32`.',
        ),
    ]
    source_droplet_ids: Annotated[
        list[int] | None, Field(default=None, description=_target_doc("from", "Droplet ids"))
    ]
    source_load_balancer_uids: Annotated[
        list[str] | None, Field(default=None, description=_target_doc("from", "Load balancer ids"))
    ]
    source_kubernetes_ids: Annotated[
        list[str] | None, Field(default=None, description=_target_doc("from", "Kubernetes cluster ids"))
    ]
    source_tags: Annotated[
        list[str] | None,
        Field(
            default=None, description="Tag names (case-insensitive) of droplets the rule allows traffic from."
        ),
    ]


class FirewallOutboundRule(Model):
    """Traffic a firewall lets out: a protocol, its ports, and at least one destination."""

    protocol: Annotated[
        Literal["tcp", "udp", "icmp"], Field(description="The protocol of the traffic allowed.")
    ]
    port_range: Annotated[str | None, Field(default=None, description=_PORT_DOC)]
    destination_addresses: Annotated[
        list[str] | None,
        Field(
            default=None,
            description="IPv4/IPv6 addresses and CIDRs the rule allows traffic to "
            '(`["0.0.0.0/0", "::/0"]` for anywhere). Compared as networks: `10.0.0.1` = `10.0.0.1/32`.',
        ),
    ]
    destination_droplet_ids: Annotated[
        list[int] | None, Field(default=None, description=_target_doc("to", "Droplet ids"))
    ]
    destination_load_balancer_uids: Annotated[
        list[str] | None, Field(default=None, description=_target_doc("to", "Load balancer ids"))
    ]
    destination_kubernetes_ids: Annotated[
        list[str] | None, Field(default=None, description=_target_doc("to", "Kubernetes cluster ids"))
    ]
    destination_tags: Annotated[
        list[str] | None,
        Field(
            default=None, description="Tag names (case-insensitive) of droplets the rule allows traffic to."
        ),
    ]


RULE_MODELS: dict[str, type[Model]] = {"inbound": FirewallInboundRule, "outbound": FirewallOutboundRule}


class FirewallPendingChange(Model):
    """A droplet DigitalOcean is still applying the firewall to (or removing it from)."""

    droplet_id: Annotated[int, Field(description="The droplet.")]
    removing: Annotated[bool, Field(description="Whether the firewall is being removed from it.")]
    status: Annotated[str, Field(description="DigitalOcean's status of the change, e.g. `waiting`.")]


class FirewallArgs(Model):
    """The inputs of a Firewall."""

    name: Annotated[
        str | None,
        Field(
            default=None,
            description="The firewall's name: letters, digits, `.` and `-`, starting with a letter or digit. "
            "Defaults to the resource name plus a stable suffix. Changing it renames the firewall in place.",
        ),
    ]
    inbound_rules: Annotated[
        list[FirewallInboundRule] | None,
        Field(
            default=None,
            description="The inbound rules, as a set (order and duplicates do not matter). Left unset, "
            "this resource does not own the firewall's inbound rules and never changes them (use "
            "`FirewallRule` resources for them); set (even to `[]`), it owns them all.",
        ),
    ]
    outbound_rules: Annotated[
        list[FirewallOutboundRule] | None,
        Field(
            default=None,
            description="The outbound rules, as a set. Left unset, this resource does not own the "
            "firewall's outbound rules and never changes them; set (even to `[]`), it owns them all. "
            "Note that a firewall without outbound rules blocks all outgoing traffic.",
        ),
    ]
    droplet_ids: Annotated[
        list[int] | None,
        Field(
            default=None,
            description=f"The droplets the firewall applies to (at most {MAX_DROPLETS}; use `tags` for "
            "more). Droplets created in the same program can be listed by their `dropletId`.",
        ),
    ]
    tags: Annotated[
        list[str] | None,
        Field(
            default=None,
            description=f"Tag names (case-insensitive, at most {MAX_TAGS}): the firewall applies to every "
            "droplet with one of these tags. Missing tags are created.",
        ),
    ]


_STABLE = UseStateForUnknown()


class FirewallState(FirewallArgs):
    """The outputs of a Firewall: its inputs as DigitalOcean has them, plus its status."""

    inbound_rules: Annotated[
        list[FirewallInboundRule] | None,
        Field(
            default=None, description="Every inbound rule of the firewall, including ones it does not own."
        ),
    ]
    outbound_rules: Annotated[
        list[FirewallOutboundRule] | None,
        Field(
            default=None, description="Every outbound rule of the firewall, including ones it does not own."
        ),
    ]
    firewall_id: Annotated[str, Field(description="DigitalOcean's id of the firewall."), _STABLE]
    status: Annotated[
        str,
        Field(description="`waiting`, `succeeded` or `failed`. After `pulumi up` it is `succeeded`."),
    ]
    created_at: Annotated[str, Field(description="When the firewall was created (RFC 3339)."), _STABLE]
    pending_changes: Annotated[
        list[FirewallPendingChange],
        Field(description="Droplets DigitalOcean is still applying the firewall to; empty once settled."),
    ]

    model_config = {"extra": "ignore"}


# ---------------------------------------------------------------------------------------------------
# Rules: their wire form (the program's), DigitalOcean's form, and their meaning (a comparison key)


def target_key(direction: str, suffix: str) -> str:
    """The input key of a rule's target list, e.g. `sourceAddresses`."""
    return f"{_PREFIX[direction]}{suffix}"


def canonical_ports(protocol: Any, ports: Any) -> str:
    """The ports as one value: `"0"` for every port (and for icmp), `"22"`, `"8000-9000"`."""
    if protocol == "icmp" or ports in (None, "", "all", ALL_PORTS):
        return ALL_PORTS
    m = _PORTS.match(str(ports))
    if m is None:
        return str(ports)
    lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
    if (lo, hi) == (1, 65535):
        return ALL_PORTS
    return str(lo) if lo == hi else f"{lo}-{hi}"


def canonical_address(address: Any) -> str:
    """An address or CIDR as a network in canonical form: `10.0.0.1` → `10.0.0.1/32`, IPv6 compressed."""
    try:
        return str(ipaddress.ip_network(str(address).strip(), strict=False))
    except ValueError:
        return str(address)


def _item_key(suffix: str, value: Any) -> Any:
    if suffix == "Addresses":
        return canonical_address(value)
    if suffix == "Tags":
        return str(value).lower()
    return value


RuleKey = tuple[Any, ...]


def rule_key(direction: str, rule: Mapping[str, Any]) -> RuleKey | None:
    """What a rule means, comparable with `==`: None when part of it is unknown (preview)."""
    if contains_unknown(rule):
        return None
    protocol = rule.get("protocol")
    targets = tuple(
        frozenset(_item_key(suffix, v) for v in rule.get(target_key(direction, suffix)) or [])
        for suffix, _ in _TARGETS
    )
    return (direction, protocol, canonical_ports(protocol, rule.get("portRange")), *targets)


def rule_digest(key: RuleKey) -> str:
    """A short stable name for a rule's meaning (FirewallRule ids)."""
    text = repr([sorted(map(str, part)) if isinstance(part, frozenset) else part for part in key])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def to_api_rule(direction: str, rule: Mapping[str, Any]) -> dict[str, Any]:
    """A rule as DigitalOcean's request body wants it. Ports are sent in DigitalOcean's own spelling
    (`"0"` for every port, as the spec documents; icmp included, where `ports` is always `"0"`)."""
    protocol = rule["protocol"]
    target = {
        api: list(rule[target_key(direction, suffix)])
        for suffix, api in _TARGETS
        if rule.get(target_key(direction, suffix))
    }
    return {
        "protocol": protocol,
        "ports": canonical_ports(protocol, rule.get("portRange")),
        _SIDE[direction]: target,
    }


def from_api_rule(direction: str, api_rule: Any) -> dict[str, Any]:
    """A live rule (an `ocean.api.models` rule) in the program's form: `"all"` for every port, no
    ports for icmp, empty targets left out."""
    protocol = str(api_rule.protocol)
    out: dict[str, Any] = {"protocol": protocol}
    if protocol != "icmp":
        ports = canonical_ports(protocol, api_rule.ports)
        out["portRange"] = "all" if ports == ALL_PORTS else ports
    target = getattr(api_rule, _SIDE[direction], None)
    for suffix, api in _TARGETS:
        values = getattr(target, api, None) if target is not None else None
        if values:
            out[target_key(direction, suffix)] = list(values)
    return out


def api_rule_body(api_rule: Any) -> dict[str, Any]:
    """A live rule exactly as DigitalOcean gave it, for a removal (DigitalOcean matches what it has)."""
    body: dict[str, Any] = api_rule.model_dump(exclude_none=True)
    return body


def live_rules(fw: Any, direction: str) -> list[Any]:
    return list((fw.inbound_rules if direction == "inbound" else fw.outbound_rules) or [])


def rule_changes(
    direction: str, old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> tuple[list[int], list[int]]:
    """(indices of `old` rules not in `new`, indices of `new` rules not in `old`), comparing rules as a
    set by meaning. A new rule with an unknown part counts as added; then no old rule is matched by it."""
    old_keys = [rule_key(direction, r) for r in old]
    new_keys = [rule_key(direction, r) for r in new]
    known_new = {k for k in new_keys if k is not None}
    known_old = {k for k in old_keys if k is not None}
    removed = [i for i, k in enumerate(old_keys) if k is None or k not in known_new]
    added = [i for i, k in enumerate(new_keys) if k is None or k not in known_old]
    return removed, added


def merge_rules(direction: str, live: Sequence[Any], wanted: Any) -> list[dict[str, Any]]:
    """The live rules for the outputs: a rule the program states in its own spelling and order, then any
    other live rule (drift, or rules this resource does not own) in DigitalOcean's."""
    current = [from_api_rule(direction, r) for r in live]
    if not isinstance(wanted, list):
        return current
    by_key = {rule_key(direction, r): r for r in current}
    out: list[dict[str, Any]] = []
    used: set[RuleKey] = set()
    for rule in wanted:
        key = rule_key(direction, rule) if isinstance(rule, Mapping) else None
        if key is not None and key in by_key and key not in used:
            used.add(key)
            out.append({k: v for k, v in rule.items() if v is not None})
    out.extend(r for r in current if rule_key(direction, r) not in used)
    return out


# ---------------------------------------------------------------------------------------------------
# Check


def _problem(field: str, message: str) -> tuple[str, str]:
    return field, message


def check_rule(direction: str, raw: Any) -> tuple[Any, list[tuple[str, str]]]:
    """Validate one rule (unknowns skipped). Returns (the rule with duplicate targets dropped and unset
    fields left out, [(field, problem)])."""
    if is_unknown(raw):
        return raw, []
    if not isinstance(raw, Mapping):
        return raw, [_problem("", "must be a rule: an object with `protocol`, `portRange` and a target")]
    problems: list[tuple[str, str]] = []
    prefix = _PREFIX[direction]
    allowed = {"protocol", "portRange", *(target_key(direction, s) for s, _ in _TARGETS)}
    for key in raw:
        if key in allowed:
            continue
        other = "outbound" if direction == "inbound" else "inbound"
        if key in {target_key(other, s) for s, _ in _TARGETS}:
            problems.append(
                _problem(key, f"is a field of {other} rules; {direction} rules name `{prefix}...` targets")
            )
        elif key == "ports":
            problems.append(_problem(key, 'is called `portRange` here, e.g. `portRange: "22"`'))
        else:
            problems.append(
                _problem(key, f"is not a field of a firewall rule; allowed: {', '.join(sorted(allowed))}")
            )
    protocol = raw.get("protocol")
    if protocol is None:
        problems.append(_problem("protocol", "is required: `tcp`, `udp` or `icmp`"))
    elif not is_unknown(protocol) and protocol not in PROTOCOLS:
        problems.append(
            _problem(
                "protocol", f"{protocol!r} is not a protocol DigitalOcean filters: use `tcp`, `udp` or `icmp`"
            )
        )
    ports = raw.get("portRange")
    if ports is not None and not is_unknown(ports):
        if protocol == "icmp":
            problems.append(_problem("portRange", f"{ports!r}: icmp has no ports; leave `portRange` out"))
        else:
            problems.extend(_check_ports(ports))
    out: dict[str, Any] = {k: v for k, v in raw.items() if v is not None}
    count = 0
    any_target = False
    for suffix, _ in _TARGETS:
        key = target_key(direction, suffix)
        values = raw.get(key)
        if values is None:
            continue
        if is_unknown(values):
            any_target = True
            continue
        if not isinstance(values, list):
            problems.append(_problem(key, "must be a list"))
            continue
        any_target = any_target or bool(values)
        seen: set[Any] = set()
        kept: list[Any] = []
        for value in values:
            if not is_unknown(value):
                problem = _check_target(suffix, value)
                if problem:
                    problems.append(_problem(key, problem))
                    continue
                item = _item_key(suffix, value)
                if item in seen:
                    continue  # a duplicate: DigitalOcean keeps one
                seen.add(item)
            kept.append(value)
        count += len(kept)
        if kept:
            out[key] = kept
        else:
            out.pop(key, None)
    if not any_target:
        names = ", ".join(f"`{target_key(direction, s)}`" for s, _ in _TARGETS)
        side = "source" if direction == "inbound" else "destination"
        problems.append(
            _problem(
                "",
                f'has no {side}: give at least one of {names} (`["0.0.0.0/0", "::/0"]` means anywhere)',
            )
        )
    if count > MAX_TARGETS_PER_RULE:
        problems.append(
            _problem(
                "",
                f"has {count} {_SIDE[direction]}; DigitalOcean allows {MAX_TARGETS_PER_RULE} per rule (use "
                "tags or wider networks)",
            )
        )
    return out, problems


def _check_ports(ports: Any) -> list[tuple[str, str]]:
    if not isinstance(ports, str):
        return [
            _problem(
                "portRange", f'{ports!r} must be a string: a port ("22"), a range ("8000-9000") or "all"'
            )
        ]
    if ports in ("all", ALL_PORTS):
        return []
    m = _PORTS.match(ports)
    if m is None:
        return [_problem("portRange", f'{ports!r} is not a port ("22"), a range ("8000-9000") or "all"')]
    lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
    if not (1 <= lo <= 65535 and 1 <= hi <= 65535):
        return [_problem("portRange", f"{ports!r} is out of range: ports are 1-65535")]
    if lo > hi:
        return [_problem("portRange", f'{ports!r}: the range must run from low to high, e.g. "{hi}-{lo}"')]
    return []


def _check_target(suffix: str, value: Any) -> str | None:
    if suffix == "Addresses":
        if not isinstance(value, str):
            return f"{value!r} must be a string: an IPv4/IPv6 address or CIDR"
        try:
            ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            return f"{value!r} is not an IPv4/IPv6 address or CIDR (e.g. `10.0.0.0/8`, `::/0`)"
        return None
    if suffix == "DropletIds":
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            return f"{value!r} is not a droplet id (a positive integer, e.g. a Droplet's `dropletId`)"
        return None
    if suffix == "Tags":
        return tag_problem(value)
    if not isinstance(value, str) or not value:
        return f"{value!r} must be a non-empty id string"
    return None


def tag_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not _TAG.match(value):
        return (
            f"{value!r} is not a tag name: 1-255 letters, digits, `:`, `-` and `_` "
            "(DigitalOcean's tag syntax)"
        )
    return None


def _dedupe(values: list[Any], key: Callable[[Any], Any]) -> list[Any]:
    seen: set[Any] = set()
    out = []
    for v in values:
        if is_unknown(v):
            out.append(v)
            continue
        k = key(v)
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out


def _dedupe_rules(direction: str, rules: list[Any]) -> list[Any]:
    """Rules meaning the same thing kept once (the first spelling); rules with unknowns all kept."""
    seen: set[RuleKey] = set()
    out = []
    for rule in rules:
        key = None if is_unknown(rule) else rule_key(direction, rule)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        out.append(rule)
    return out


def _failure(prop: str, label: str, path: str, message: str) -> CheckFailure:
    where = f"`{path}` " if path else ""
    return CheckFailure(prop, f"{label}: {where}{message}")


# ---------------------------------------------------------------------------------------------------
# Update planning (pure: live firewall + inputs → the granular requests, in order)


@dataclasses.dataclass
class Plan:
    """The requests that take a live firewall to what the program says, and the order to send them."""

    rename: str | None = None
    add_droplets: list[int] = dataclasses.field(default_factory=list)
    remove_droplets: list[int] = dataclasses.field(default_factory=list)
    add_tags: list[str] = dataclasses.field(default_factory=list)
    remove_tags: list[str] = dataclasses.field(default_factory=list)
    # DigitalOcean request bodies per direction: additions in our spelling, removals as DigitalOcean has them.
    add_rules: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)
    remove_rules: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)
    droplets_removed_first: bool = False
    tags_removed_first: bool = False

    @property
    def empty(self) -> bool:
        return not (
            self.rename
            or self.add_droplets
            or self.remove_droplets
            or self.add_tags
            or self.remove_tags
            or any(self.add_rules.values())
            or any(self.remove_rules.values())
        )

    def order(self) -> list[str]:
        """The steps, in the order they are sent (see the module docstring for why)."""
        steps: list[str] = []
        if self.rename:
            steps.append("rename")
        if self.droplets_removed_first and self.remove_droplets:
            steps.append("remove_droplets")
        if self.tags_removed_first and self.remove_tags:
            steps.append("remove_tags")
        if self.add_droplets:
            steps.append("add_droplets")
        if self.add_tags:
            steps.append("add_tags")
        if any(self.remove_rules.values()):
            steps.append("remove_rules")
        if any(self.add_rules.values()):
            steps.append("add_rules")
        if not self.droplets_removed_first and self.remove_droplets:
            steps.append("remove_droplets")
        if not self.tags_removed_first and self.remove_tags:
            steps.append("remove_tags")
        return steps


def plan_update(live: Any, news: Mapping[str, Any]) -> Plan:
    """What to send to take the live firewall to `news` (known inputs, as Update gets them)."""
    plan = Plan()
    if news.get("name") and news["name"] != live.name:
        plan.rename = str(news["name"])
    live_droplets = list(live.droplet_ids or [])
    wanted_droplets = list(dict.fromkeys(int(d) for d in news.get("dropletIds") or []))
    plan.add_droplets = [d for d in wanted_droplets if d not in live_droplets]
    plan.remove_droplets = [d for d in live_droplets if d not in wanted_droplets]
    plan.droplets_removed_first = len(set(live_droplets) | set(plan.add_droplets)) > MAX_DROPLETS
    everything = {t.lower(): t for t in live.tags or []}
    # The create mark (ocean.resources.adoption) is not the program's: never removed, unless its slot
    # is needed (it matters only while the firewall is being created).
    marks = {k: t for k, t in everything.items() if is_mark_tag(t)}
    live_tags = {k: t for k, t in everything.items() if k not in marks}
    wanted_tags = {str(t).lower(): str(t) for t in news.get("tags") or []}
    plan.add_tags = [t for k, t in wanted_tags.items() if k not in live_tags]
    plan.remove_tags = [t for k, t in live_tags.items() if k not in wanted_tags]
    if marks and len(wanted_tags) + len(marks) > MAX_TAGS:
        plan.remove_tags += list(marks.values())
    plan.tags_removed_first = len(set(everything) | {t.lower() for t in plan.add_tags}) > MAX_TAGS
    for direction in DIRECTIONS:
        wanted = news.get(RULES_KEY[direction])
        if wanted is None:
            continue  # not owned: leave them alone
        live_api = live_rules(live, direction)
        current = [from_api_rule(direction, r) for r in live_api]
        removed, added = rule_changes(direction, current, list(wanted))
        plan.remove_rules[direction] = [api_rule_body(live_api[i]) for i in removed]
        plan.add_rules[direction] = [to_api_rule(direction, wanted[i]) for i in added]
    return plan


def rule_tags(rules: Any, direction: str) -> list[str]:
    out: list[str] = []
    for rule in rules or []:
        out.extend(rule.get(target_key(direction, "Tags")) or [])
    return out


# ---------------------------------------------------------------------------------------------------
# The resource


async def _listed(ctx: Context) -> list[Any]:
    """The account's firewalls, as candidates for adoption."""
    from ocean.resources.adoption import Candidate

    return [
        Candidate(
            id=str(fw.id),
            obj=fw,
            describe=f"firewall {fw.id} {fw.name!r}",
            created_at=fw.created_at,
        )
        for fw in await ctx.api.reads.firewalls()  # concurrent creates share one listing
    ]


def _given(found: list[Any]) -> Callable[[], Any]:
    async def find() -> list[Any]:
        return found

    return find


class Firewall(Resource):
    token: ClassVar[str] = TOKEN
    Args: ClassVar[type[Model]] = FirewallArgs
    State: ClassVar[type[Model]] = FirewallState
    marks: ClassVar[bool] = True
    description: ClassVar[str] = (
        "A DigitalOcean Cloud Firewall: the traffic allowed in and out of the droplets it applies to (by "
        "droplet id or by tag). Changes are sent as granular additions and removals, never as a full "
        "replacement, and every create and update waits until DigitalOcean has applied the firewall."
    )

    # ------------------------------------------------------------------------------------------ check

    @classmethod
    def check(
        cls, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any], random_seed: bytes
    ) -> tuple[dict[str, Any], list[CheckFailure]]:
        label = cls.label(urn)
        inputs = cls.with_name(urn, olds, news, random_seed)
        failures: list[CheckFailure] = []
        for direction in DIRECTIONS:
            key = RULES_KEY[direction]
            rules = inputs.get(key)
            if rules is None or is_unknown(rules):
                continue
            if not isinstance(rules, list):
                failures.append(_failure(key, label, key, "must be a list of rules"))
                continue
            cleaned = []
            before = len(failures)
            for i, raw in enumerate(rules):
                rule, problems = check_rule(direction, raw)
                for field, problem in problems:
                    path = f"{key}[{i}]" + (f".{field}" if field else "")
                    failures.append(_failure(key, label, path, problem))
                cleaned.append(rule)
            if len(failures) == before:
                inputs[key] = _dedupe_rules(direction, cleaned)
        # Rules already reported are left out of the type checks below, so each problem shows once and
        # the other inputs are still checked.
        reported = {f.property for f in failures}
        checked, more = validate(FirewallArgs, label, {k: v for k, v in inputs.items() if k not in reported})
        failures.extend(more)
        checked.update({k: inputs[k] for k in reported})
        for direction in DIRECTIONS:
            key = RULES_KEY[direction]
            if key not in reported and isinstance(checked.get(key), list):
                checked[key] = [_compact(r) for r in checked[key]]
        reported = {f.property for f in failures}
        name = checked.get("name")
        if "name" not in reported and isinstance(name, str) and (len(name) > 255 or not _NAME.match(name)):
            failures.append(
                _failure(
                    "name",
                    label,
                    "name",
                    f"{name!r} is not a firewall name: 2-255 letters, digits, `.` and `-`, starting with a "
                    "letter or digit",
                )
            )
        droplets = checked.get("dropletIds")
        if "dropletIds" not in reported and isinstance(droplets, list):
            raw = inputs.get("dropletIds")  # before pydantic turned True into 1
            for i, d in enumerate(raw if isinstance(raw, list) else droplets):
                if not is_unknown(d) and (isinstance(d, bool) or not isinstance(d, int) or d <= 0):
                    failures.append(
                        _failure("dropletIds", label, f"dropletIds[{i}]", f"{d!r} is not a droplet id")
                    )
            droplets = _dedupe(droplets, lambda d: d)
            checked["dropletIds"] = droplets
            if len(droplets) > MAX_DROPLETS:
                failures.append(
                    _failure(
                        "dropletIds",
                        label,
                        "dropletIds",
                        f"lists {len(droplets)} droplets; DigitalOcean applies a firewall to at most "
                        f"{MAX_DROPLETS} droplets by id. Tag the droplets and list the tag in `tags` "
                        "instead.",
                    )
                )
        tags = checked.get("tags")
        if "tags" not in reported and isinstance(tags, list):
            for i, t in enumerate(tags):
                bad_tag = tag_problem(t) if not is_unknown(t) else None
                if bad_tag is None and is_mark_tag(t):
                    bad_tag = (
                        f"{t!r}: the `pulumi-ocean:` prefix is reserved for the mark this provider puts on "
                        "what it creates; choose another tag name"
                    )
                if bad_tag:
                    failures.append(_failure("tags", label, f"tags[{i}]", bad_tag))
            tags = _dedupe(tags, lambda t: str(t).lower())
            checked["tags"] = tags
            if len(tags) > MAX_TAGS:
                failures.append(
                    _failure(
                        "tags",
                        label,
                        "tags",
                        f"lists {len(tags)} tags; DigitalOcean allows at most {MAX_TAGS} tags per firewall",
                    )
                )
        counts = [checked.get(RULES_KEY[d]) for d in DIRECTIONS]
        known = [c for c in counts if isinstance(c, list)]
        if sum(len(c) for c in known) > MAX_RULES:
            failures.append(
                _failure(
                    "inboundRules",
                    label,
                    "",
                    f"has {sum(len(c) for c in known)} rules; DigitalOcean allows at most {MAX_RULES} "
                    "inbound and outbound rules together per firewall",
                )
            )
        if not olds and not any(is_unknown(c) or (isinstance(c, list) and c) for c in counts):
            failures.append(
                _failure(
                    "inboundRules",
                    label,
                    "",
                    "needs at least one rule in `inboundRules` or `outboundRules` to be created "
                    "(DigitalOcean refuses an empty firewall); FirewallRule resources can add the rest",
                )
            )
        return checked, failures

    # ------------------------------------------------------------------------------------------- diff

    @classmethod
    def diff(
        cls,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        ignore_changes: frozenset[str] = frozenset(),
    ) -> DiffResult:
        """Compare the program with the recorded firewall by meaning. Each rule added or removed is its
        own entry (`inboundRules[2]`): a removal indexes the recorded rules, an addition the program's."""
        result = DiffResult()

        def mark(key: str, kind: DiffKind) -> None:
            result.changes = True
            result.detailed[key] = kind

        if "name" not in ignore_changes:
            new_name = news.get("name")
            if is_unknown(new_name) or (new_name and new_name != olds.get("name")):
                mark("name", "update")
        for key, item in (("dropletIds", _droplet_item), ("tags", _tag_item)):
            if key in ignore_changes:
                continue
            new, old = news.get(key), olds.get(key)
            if contains_unknown(new):
                mark(key, "update")
                continue
            new_set, old_set = {item(v) for v in new or []}, {item(v) for v in old or []}
            if new_set != old_set:
                mark(key, "add" if not old_set else "delete" if not new_set else "update")
        for direction in DIRECTIONS:
            key = RULES_KEY[direction]
            new = news.get(key)
            if key in ignore_changes or new is None:
                continue  # not owned: whatever DigitalOcean has is fine
            if is_unknown(new):
                mark(key, "update")
                continue
            removed, added = rule_changes(direction, list(olds.get(key) or []), list(new))
            for i in removed:
                mark(f"{key}[{i}]", "delete")
            for i in added:
                path = f"{key}[{i}]"
                mark(path, "update" if path in result.detailed else "add")
        return result

    @staticmethod
    def preview_update(olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        out = {**olds, **{k: v for k, v in news.items() if v is not None}}
        return out

    # ----------------------------------------------------------------------------------------- create

    @staticmethod
    async def create(ctx: Context, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """Create the firewall and wait until it is applied — or adopt the one an interrupted create of
        this resource made (found by its auto-name), or the one this create made when its answer was
        lost (ocean.resources.adoption)."""
        from ocean.resources import adoption

        label = Firewall.label(ctx.urn)
        deadline = ctx.deadline(DEFAULT_CREATE_TIMEOUT)
        body: dict[str, Any] = {"name": inputs["name"]}
        for direction in DIRECTIONS:
            rules = inputs.get(RULES_KEY[direction]) or []
            if rules:
                body[f"{direction}_rules"] = [to_api_rule(direction, r) for r in rules]
        if inputs.get("dropletIds"):
            body["droplet_ids"] = [int(d) for d in inputs["dropletIds"]]
        if inputs.get("tags"):
            body["tags"] = list(inputs["tags"])
        name = str(body["name"])
        # Firewall names need not be unique: the create mark travels as one of the firewall's tags (a tag
        # no droplet carries), unless the program uses all of DigitalOcean's tag slots.
        mark = inputs.get(MARK) if isinstance(inputs.get(MARK), str) else None
        tag = adoption.mark_tag(mark) if mark is not None and len(body.get("tags", [])) < MAX_TAGS else None
        if tag is not None:
            body["tags"] = [*body.get("tags", []), tag]
        existing = await _listed(ctx)
        ours = [c for c in existing if tag is not None and tag in (c.obj.tags or [])]
        if ours:
            earlier = await adoption.adopt_earlier(
                ctx,
                label=label,
                kind="firewall",
                find=_given(ours),
                what_next=" (`doctl compute firewall delete <id>`)",
            )
            assert earlier is not None
            # Made from the inputs of an earlier run: bring it to what the program says now.
            return earlier.id, await Firewall.update(ctx, earlier.id, {}, inputs)
        await ensure_tags(ctx, [*body.get("tags", []), *_all_rule_tags(inputs)])

        async def made() -> list[Any]:
            found = await _listed(ctx)
            return [c for c in found if c.obj.name == name and (tag is None or tag in (c.obj.tags or []))]

        created, lost = await adoption.create_once(
            ctx,
            label=label,
            kind="firewall",
            post=lambda: ctx.api.firewalls.create(body),
            find=made,
            before={c.id for c in existing},
            marked=tag is not None,
        )
        if lost is not None:
            created = lost.obj
        firewall_id = str(created.id)
        try:
            fw = await wait_applied(ctx, firewall_id, str(created.name or body["name"]), deadline)
        except Exception as e:
            raise await _partial(ctx, firewall_id, inputs, e, "create") from e
        return firewall_id, to_state(fw, inputs)

    # ------------------------------------------------------------------------------------------- read

    @staticmethod
    async def read(
        ctx: Context, resource_id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        from ocean.api import errors

        try:
            # A refresh's reads share one list (ocean.api.coalesce); an import is one exact GET.
            fw = await ctx.api.reads.firewall(
                resource_id, exact=not inputs and not state, recent=bool(inputs or state)
            )
        except errors.NotFound:
            return None
        if inputs:
            return to_state(fw, inputs), dict(inputs)
        # Import: the inputs that declare this firewall as it is, owning all of its rules.
        outputs = to_state(fw, {})
        imported: dict[str, Any] = {
            "name": outputs["name"],
            "inboundRules": outputs["inboundRules"],
            "outboundRules": outputs["outboundRules"],
        }
        for key in ("dropletIds", "tags"):
            if outputs[key]:
                imported[key] = outputs[key]
        return outputs, imported

    # ----------------------------------------------------------------------------------------- update

    @staticmethod
    async def update(
        ctx: Context, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        deadline = ctx.deadline(DEFAULT_UPDATE_TIMEOUT)
        api = ctx.api.firewalls
        try:
            live = await ctx.api.reads.firewall(resource_id)
            plan = plan_update(live, news)
            if plan.empty and live.settled:
                return to_state(live, news)
            await ensure_tags(ctx, _new_tags(live, plan))
            for step in plan.order():
                await ctx.report(f"firewall {news.get('name') or live.name}: {step.replace('_', ' ')}")
                if step == "rename":
                    await api.update(resource_id, _put_body(live, str(plan.rename)))
                elif step == "add_droplets":
                    await api.add_droplets(resource_id, plan.add_droplets)
                elif step == "remove_droplets":
                    await api.remove_droplets(resource_id, plan.remove_droplets)
                elif step == "add_tags":
                    await api.add_tags(resource_id, plan.add_tags)
                elif step == "remove_tags":
                    await api.remove_tags(resource_id, plan.remove_tags)
                elif step == "remove_rules":
                    await api.remove_rules(
                        resource_id,
                        plan.remove_rules.get("inbound") or None,
                        plan.remove_rules.get("outbound") or None,
                    )
                elif step == "add_rules":
                    await api.add_rules(
                        resource_id,
                        plan.add_rules.get("inbound") or None,
                        plan.add_rules.get("outbound") or None,
                    )
            fw = await wait_applied(ctx, resource_id, str(plan.rename or live.name), deadline)
        except Exception as e:
            raise await _partial(ctx, resource_id, news, e, "update", fallback=olds) from e
        return to_state(fw, news)

    # ----------------------------------------------------------------------------------------- delete

    @staticmethod
    async def delete(ctx: Context, resource_id: str, state: Mapping[str, Any]) -> None:
        from ocean.api import errors

        try:
            await ctx.api.firewalls.delete(resource_id)
        except errors.NotFound:
            return


# ---------------------------------------------------------------------------------------------------
# Helpers shared with FirewallRule


def _droplet_item(v: Any) -> Any:
    return int(v) if isinstance(v, int | str) and str(v).isdigit() else v


def _tag_item(v: Any) -> Any:
    return str(v).lower()


def _compact(rule: Any) -> Any:
    if isinstance(rule, Mapping):
        return {k: v for k, v in rule.items() if v is not None and v != []}
    return rule


def _all_rule_tags(inputs: Mapping[str, Any]) -> list[str]:
    return [t for d in DIRECTIONS for t in rule_tags(inputs.get(RULES_KEY[d]), d)]


def _new_tags(live: Any, plan: Plan) -> list[str]:
    """Tags this update starts to use: the firewall's new ones and those of rules being added."""
    used = [*plan.add_tags]
    for direction in DIRECTIONS:
        for rule in plan.add_rules.get(direction, []):
            used.extend(rule[_SIDE[direction]].get("tags", []))
    known = {t.lower() for t in live.tags or []}
    for direction in DIRECTIONS:
        for rule in live_rules(live, direction):
            known.update(t.lower() for t in getattr(getattr(rule, _SIDE[direction]), "tags", None) or [])
    return [t for t in used if t.lower() not in known]


def _put_body(live: Any, name: str) -> dict[str, Any]:
    """A rename: the live firewall as DigitalOcean has it, with the new name (PUT replaces everything)."""
    body: dict[str, Any] = {
        "name": name,
        "droplet_ids": list(live.droplet_ids or []),
        "tags": list(live.tags or []),
    }
    for direction in DIRECTIONS:
        rules = live_rules(live, direction)
        if rules:
            body[f"{direction}_rules"] = [api_rule_body(r) for r in rules]
    return body


async def ensure_tags(ctx: Context, tags: Sequence[str]) -> None:
    """DigitalOcean accepts only existing tags in a firewall request; creating one that exists is a no-op."""
    for tag in dict.fromkeys(t.lower() for t in tags):
        original = next(t for t in tags if t.lower() == tag)
        await ctx.api.tags.create(original)


async def wait_applied(ctx: Context, firewall_id: str, name: str, deadline: float) -> Any:
    """Until DigitalOcean has applied the firewall; the progress line says what is pending."""
    from ocean.api import errors, waiters

    async def progress(p: Any) -> None:
        await ctx.report(f"waiting for firewall {name}: {p.status}")

    what = f"firewall {name} ({firewall_id})"
    await ctx.report(f"waiting for firewall {name} to be applied")
    try:
        return await waiters.wait_for_firewall_settled(
            ctx.api,
            firewall_id,
            what=what,
            timeout=ctx.remaining(deadline),
            cancel=ctx.cancel,
            on_progress=progress,
            clock=ctx.clock,
            sleep=ctx.sleep,
        )
    except errors.WaitFailed:
        raise FirewallFailed(await ctx.api.reads.firewall(firewall_id)) from None


class FirewallFailed(Exception):
    """DigitalOcean reports the firewall `failed`: it could not be applied to some droplets."""

    def __init__(self, fw: Any) -> None:
        self.firewall = fw
        pending = list(fw.pending_changes or [])
        failed = [p.droplet_id for p in pending if p.status == "failed"] or [p.droplet_id for p in pending]
        self.droplet_ids = [d for d in failed if d is not None]
        which = (
            f"it could not be applied to droplet{'s' if len(self.droplet_ids) != 1 else ''} "
            + ", ".join(map(str, self.droplet_ids))
            if self.droplet_ids
            else "DigitalOcean names no droplet"
        )
        super().__init__(
            f"DigitalOcean reports firewall {fw.name!r} ({fw.id}) as `failed`: {which}. Check those droplets "
            f"(`doctl compute firewall get {fw.id}`); the next `pulumi up` checks the firewall again, and a "
            "change to its droplets or rules makes DigitalOcean apply it anew"
        )


async def _partial(
    ctx: Context,
    firewall_id: str,
    inputs: Mapping[str, Any],
    error: BaseException,
    operation: str,
    *,
    fallback: Mapping[str, Any] | None = None,
) -> PartialFailure:
    """The firewall as it is now, recorded despite the failure, so the next `up` converges from there."""
    label = Firewall.label(ctx.urn)
    try:
        state = to_state(await ctx.api.reads.firewall(firewall_id), inputs)
    except Exception:  # noqa: BLE001 - the original failure is what the user must see
        state = {**(fallback or inputs), "firewallId": firewall_id}
    return PartialFailure(
        f"{label}: {operation} of firewall {firewall_id} did not complete: {explain(error)}. The firewall "
        "is recorded in the stack; `pulumi up` again continues from what was applied.",
        resource_id=firewall_id,
        state=state,
        inputs=dict(inputs),
    )


def to_state(fw: Any, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs for a live firewall; where DigitalOcean's values mean what the program said, the
    program's spelling and order are kept (so there is nothing to show as a change)."""
    droplets = list(fw.droplet_ids or [])
    wanted_droplets = [d for d in inputs.get("dropletIds") or [] if isinstance(d, int)]
    droplets = [d for d in wanted_droplets if d in droplets] + [
        d for d in droplets if d not in wanted_droplets
    ]
    live_tags = {t.lower(): t for t in without_marks(fw.tags)}
    wanted_tags = [t for t in inputs.get("tags") or [] if isinstance(t, str)]
    tags = [t for t in wanted_tags if t.lower() in live_tags]
    tags += [t for k, t in live_tags.items() if k not in {w.lower() for w in wanted_tags}]
    created = fw.created_at
    return {
        "name": fw.name,
        "inboundRules": merge_rules("inbound", live_rules(fw, "inbound"), inputs.get("inboundRules")),
        "outboundRules": merge_rules("outbound", live_rules(fw, "outbound"), inputs.get("outboundRules")),
        "dropletIds": droplets,
        "tags": tags,
        "firewallId": str(fw.id),
        "status": fw.status or "",
        "createdAt": created.isoformat().replace("+00:00", "Z") if created is not None else None,
        "pendingChanges": [
            {"dropletId": p.droplet_id, "removing": bool(p.removing), "status": p.status or ""}
            for p in fw.pending_changes or []
            if p.droplet_id is not None
        ],
    }
