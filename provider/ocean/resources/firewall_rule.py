"""ocean:index:FirewallRule — one inbound or outbound rule on an existing firewall, through `/rules`.

For rules owned by another stack or module than the firewall itself. The rule is added with
`POST /v2/firewalls/{id}/rules` and removed with `DELETE` on the same path; nothing else of the firewall
is touched. A rule has no id at DigitalOcean, so the resource id is `<firewall id>:<direction>:<digest>`,
the digest naming what the rule means (see `firewall.rule_key`); that id also imports it.

A changed rule is a new rule: the old one is removed first, then the new one added (delete before
replace), so there is never a moment when both allow traffic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from ocean.resources.base import (
    CheckFailure,
    Context,
    DiffResult,
    Model,
    Normalize,
    PartialFailure,
    ReplaceOnChange,
    Resource,
    ResourceError,
    explain,
    validate,
)
from ocean.resources.firewall import (
    FirewallInboundRule,
    FirewallOutboundRule,
    api_rule_body,
    check_rule,
    ensure_tags,
    from_api_rule,
    live_rules,
    rule_digest,
    rule_key,
    rule_tags,
    to_api_rule,
    wait_applied,
)
from ocean.resources.unknown import is_unknown

TOKEN = "ocean:index:FirewallRule"
DEFAULT_CREATE_TIMEOUT = 10 * 60
DEFAULT_DELETE_TIMEOUT = 10 * 60
_KEYS = {"inbound": "inboundRule", "outbound": "outboundRule"}
_REPLACE = ReplaceOnChange(
    "a firewall rule has no identity of its own at DigitalOcean: the old rule is removed, then the new "
    "one added"
)


def _key_of(direction: str) -> Any:
    def key(rule: Any) -> Any:
        return rule_key(direction, rule) if isinstance(rule, Mapping) else rule

    return key


class FirewallRuleArgs(Model):
    """The inputs of a FirewallRule: the firewall, and exactly one of `inboundRule` or `outboundRule`."""

    firewall_id: Annotated[
        str,
        Field(
            description="The id of the firewall to add the rule to (a Firewall's `firewallId`, or any id)."
        ),
        ReplaceOnChange("a rule belongs to one firewall"),
    ]
    inbound_rule: Annotated[
        FirewallInboundRule | None,
        Field(default=None, description="The rule, when it lets traffic in."),
        _REPLACE,
        Normalize(_key_of("inbound")),
    ]
    outbound_rule: Annotated[
        FirewallOutboundRule | None,
        Field(default=None, description="The rule, when it lets traffic out."),
        _REPLACE,
        Normalize(_key_of("outbound")),
    ]


class FirewallRuleState(FirewallRuleArgs):
    """The outputs of a FirewallRule."""

    direction: Annotated[
        Literal["inbound", "outbound"], Field(description="Whether the rule lets traffic in or out.")
    ]

    model_config = {"extra": "ignore"}


class FirewallRule(Resource):
    token: ClassVar[str] = TOKEN
    Args: ClassVar[type[Model]] = FirewallRuleArgs
    State: ClassVar[type[Model]] = FirewallRuleState
    description: ClassVar[str] = (
        "One inbound or outbound rule of an existing firewall, managed on its own: for rules that another "
        "stack or module owns. Only this rule is ever added or removed. Leave the matching "
        "`inboundRules`/`outboundRules` of an `ocean.Firewall` for the same firewall unset, or that "
        "Firewall treats this rule as drift."
    )

    @classmethod
    def check(
        cls, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any], random_seed: bytes
    ) -> tuple[dict[str, Any], list[CheckFailure]]:
        label = cls.label(urn)
        inputs = dict(news)
        failures: list[CheckFailure] = []
        given = [d for d, key in _KEYS.items() if inputs.get(key) is not None]
        if len(given) != 1:
            failures.append(
                CheckFailure(
                    "inboundRule",
                    f"{label}: give exactly one of `inboundRule` or `outboundRule` "
                    f"({'both are' if given else 'neither is'} set)",
                )
            )
        for direction in given:
            key = _KEYS[direction]
            rule, problems = check_rule(direction, inputs[key])
            inputs[key] = rule
            for field, problem in problems:
                path = f"{key}.{field}" if field else key
                failures.append(CheckFailure(key, f"{label}: `{path}` {problem}"))
        firewall_id = inputs.get("firewallId")
        if (
            firewall_id is not None
            and not is_unknown(firewall_id)
            and (not isinstance(firewall_id, str) or not firewall_id.strip())
        ):
            failures.append(
                CheckFailure(
                    "firewallId", f"{label}: `firewallId` must be a firewall's id (a non-empty string)"
                )
            )
        if failures:
            return inputs, failures
        checked, failures = validate(FirewallRuleArgs, label, inputs)
        for key in _KEYS.values():
            if isinstance(checked.get(key), Mapping):
                checked[key] = {k: v for k, v in checked[key].items() if v is not None and v != []}
        return checked, failures

    @classmethod
    def diff(
        cls,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        ignore_changes: frozenset[str] = frozenset(),
    ) -> DiffResult:
        result = super().diff(olds, news, old_inputs=old_inputs, ignore_changes=ignore_changes)
        # Remove the old rule before adding its successor: never both at once.
        result.delete_before_replace = bool(result.replaces)
        return result

    @staticmethod
    def preview_update(olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        return {**olds, **news}

    @staticmethod
    async def create(ctx: Context, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """Add the rule — once: when the answer to the request is lost, the firewall is read to see
        whether the rule was added (ocean.resources.adoption)."""
        from ocean.resources import adoption

        label = FirewallRule.label(ctx.urn)
        deadline = ctx.deadline(DEFAULT_CREATE_TIMEOUT)
        firewall_id, direction, rule = _parts(inputs)
        fw = await _firewall(ctx, firewall_id, label)
        key = rule_key(direction, rule)
        assert key is not None
        resource_id = f"{firewall_id}:{direction}:{rule_digest(key)}"
        if _find(fw, direction, key) is not None:
            raise ResourceError(
                f"{label}: firewall {fw.name!r} ({firewall_id}) already has this {direction} rule (from its "
                "Firewall resource's own rules, another FirewallRule, or outside Pulumi). One rule has one "
                f"owner: remove it there, or adopt it with `pulumi import {TOKEN} <name> {resource_id}`."
            )
        await ensure_tags(ctx, rule_tags([rule], direction))
        body = [to_api_rule(direction, rule)]
        inbound, outbound = (body, None) if direction == "inbound" else (None, body)

        async def added() -> list[Any]:
            # The rule was not there before the request (checked above): if it is now, the request
            # whose answer was lost added it.
            from ocean.resources.adoption import Candidate

            now = await _firewall(ctx, firewall_id, label)
            found = _find(now, direction, key)
            what = f"{direction} rule on firewall {firewall_id}"
            return [] if found is None else [Candidate(id=resource_id, obj=found, describe=what)]

        await adoption.create_once(
            ctx,
            label=label,
            kind="firewall rule",
            post=lambda: ctx.api.firewalls.add_rules(
                firewall_id,
                body if direction == "inbound" else None,
                body if direction == "outbound" else None,
            ),
            find=added,
            marked=False,
        )
        state = {**{k: v for k, v in inputs.items() if v is not None}, "direction": direction}
        try:
            await wait_applied(ctx, firewall_id, str(fw.name), deadline)
        except Exception as e:
            raise PartialFailure(
                f"{label}: the rule was added to firewall {firewall_id} but is not applied yet: "
                f"{explain(e)}. It is recorded in the stack; `pulumi up` again waits for it.",
                resource_id=resource_id,
                state=state,
                inputs=dict(inputs),
            ) from e
        return resource_id, state

    @staticmethod
    async def read(
        ctx: Context, resource_id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        from ocean.api import errors

        firewall_id, direction, digest = _parse_id(resource_id, FirewallRule.label(ctx.urn))
        try:
            # Rules of one firewall read together are one GET of it; of many firewalls, one list
            # (ocean.api.coalesce). An import is one exact GET.
            fw = await ctx.api.reads.firewall(
                firewall_id, exact=not inputs and not state, recent=bool(inputs or state)
            )
        except errors.NotFound:
            return None  # the firewall, and so the rule, is gone
        known = {**dict(state), **dict(inputs)}
        stated = known.get(_KEYS[direction])
        key = rule_key(direction, stated) if isinstance(stated, Mapping) else None
        found = _find(fw, direction, key) if key is not None else _find_digest(fw, direction, digest)
        if found is None:
            return None  # removed outside Pulumi: the next `up` adds it again
        rule = dict(stated) if isinstance(stated, Mapping) else from_api_rule(direction, found)
        outputs = {"firewallId": firewall_id, _KEYS[direction]: rule, "direction": direction}
        return outputs, dict(inputs) if inputs else {"firewallId": firewall_id, _KEYS[direction]: rule}

    @staticmethod
    async def update(
        ctx: Context, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        # Every change replaces the rule; an update only happens to finish a create that did not settle.
        firewall_id, direction, _ = _parse_id(resource_id, FirewallRule.label(ctx.urn))
        fw = await _firewall(ctx, firewall_id, FirewallRule.label(ctx.urn))
        await wait_applied(ctx, firewall_id, str(fw.name), ctx.deadline(DEFAULT_CREATE_TIMEOUT))
        return {**news, "direction": direction}

    @staticmethod
    async def delete(ctx: Context, resource_id: str, state: Mapping[str, Any]) -> None:
        from ocean.api import errors

        firewall_id, direction, digest = _parse_id(resource_id, FirewallRule.label(ctx.urn))
        try:
            fw = await ctx.api.reads.firewall(firewall_id)
        except errors.NotFound:
            return
        stated = state.get(_KEYS[direction])
        key = rule_key(direction, stated) if isinstance(stated, Mapping) else None
        found = _find(fw, direction, key) if key is not None else _find_digest(fw, direction, digest)
        if found is None:
            return
        body = [api_rule_body(found)]
        try:
            await ctx.api.firewalls.remove_rules(
                firewall_id,
                body if direction == "inbound" else None,
                body if direction == "outbound" else None,
            )
        except errors.NotFound:
            return
        await wait_applied(ctx, firewall_id, str(fw.name), ctx.deadline(DEFAULT_DELETE_TIMEOUT))


def _parts(inputs: Mapping[str, Any]) -> tuple[str, str, Mapping[str, Any]]:
    for direction, key in _KEYS.items():
        if inputs.get(key) is not None:
            return str(inputs["firewallId"]), direction, inputs[key]
    raise ResourceError("a FirewallRule needs `inboundRule` or `outboundRule`")


def _parse_id(resource_id: str, label: str) -> tuple[str, str, str]:
    parts = resource_id.rsplit(":", 2)
    if len(parts) != 3 or parts[1] not in _KEYS or not parts[0]:
        raise ResourceError(
            f"{label}: {resource_id!r} is not a firewall rule id; it has the form "
            "`<firewall id>:<inbound|outbound>:<digest>` (see the FirewallRule's `id` output)"
        )
    return parts[0], parts[1], parts[2]


async def _firewall(ctx: Context, firewall_id: str, label: str) -> Any:
    from ocean.api import errors

    try:
        return await ctx.api.reads.firewall(firewall_id)
    except errors.NotFound:
        raise ResourceError(
            f"{label}: firewall {firewall_id!r} does not exist; check `firewallId` "
            "(`doctl compute firewall list`)"
        ) from None


def _find(fw: Any, direction: str, key: Any) -> Any:
    for live in live_rules(fw, direction):
        if rule_key(direction, from_api_rule(direction, live)) == key:
            return live
    return None


def _find_digest(fw: Any, direction: str, digest: str) -> Any:
    for live in live_rules(fw, direction):
        key = rule_key(direction, from_api_rule(direction, live))
        if key is not None and rule_digest(key) == digest:
            return live
    return None
