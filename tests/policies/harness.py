"""Run one rule the way the pack runs it: through the real CrossGuard policy object and property proxies.

Unit tests of single rules use this; the protocol tests (``tests/test_pack_protocol.py``) drive the
whole pack over gRPC. Also the helpers every policy test module shares: :func:`changed` (one edit of
a resource's props), :func:`all_violations` (every rule of a module at once), and :func:`stack_resource`
with :func:`run_stack` for the stack rules.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from pulumi_policy import PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import unknown_checking_proxy

from aml_policies.core import ResourceRule, Stack, StackRule, config_with_defaults, plain, resource_policy, type_key

DELETE: Any = object()
"""Pass as ``changed``'s value to remove the path instead of setting it."""


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def _args(type_token: str, props: dict[str, Any], config: dict[str, Any] | None) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        type_token,
        unknown_checking_proxy(deserialize_properties(props)),
        f"urn:pulumi:test::p::{type_token}::r",
        "r",
        _options(),
        None,
        config or {},
        {},
    )


def violations(
    rule: ResourceRule, type_token: str, props: dict[str, Any], config: dict[str, Any] | None = None
) -> list[str]:
    """The messages ``rule`` reports for one resource (an empty list when it passes)."""
    found: list[str] = []
    policy = resource_policy(rule)
    try:
        policy.validate(_args(type_token, props, config), lambda message, urn=None: found.append(message))
    except _NotApplicableError:
        return []
    return found


def applies(rule: ResourceRule, type_token: str, props: dict[str, Any]) -> bool:
    """Whether the pack would judge this resource with ``rule`` (it answers ``not_applicable`` otherwise)."""
    try:
        resource_policy(rule).validate(_args(type_token, props, None), lambda message, urn=None: None)
    except _NotApplicableError:
        return False
    return True


def remediated(rule: ResourceRule, type_token: str, props: dict[str, Any], config: dict[str, Any] | None = None) -> Any:
    """The props after ``rule``'s remediation (``None`` when it has nothing to fix)."""
    result = resource_policy(rule).remediate(_args(type_token, props, config))
    return None if result is None else plain(result)


def changed(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with one dotted path set to ``value`` (or removed, with :data:`DELETE`).

    Missing maps on the way are created; a part of digits indexes a list (``agentPoolProfiles.1.count``).
    """
    props = copy.deepcopy(base)
    *parents, leaf = path.split(".")
    node: Any = props
    for part in parents:
        node = node[int(part)] if part.isdigit() and isinstance(node, list) else node.setdefault(part, {})
    if value is DELETE:
        del node[int(leaf) if isinstance(node, list) else leaf]
    elif isinstance(node, list):
        node[int(leaf)] = value
    else:
        node[leaf] = value
    return props


def judges(rule: ResourceRule, type_token: str, props: dict[str, Any]) -> bool:
    """Whether ``rule`` judges the resource, from its types and ``where`` on the plain props.

    :func:`applies` asks the same through the CrossGuard policy and property proxies.
    """
    return type_key(type_token) in rule.types and rule.where(props)


def all_violations(
    rules: Iterable[ResourceRule],
    type_token: str,
    props: dict[str, Any],
    judge: Callable[[ResourceRule, str, dict[str, Any]], bool] = judges,
) -> list[str]:
    """Every message of every rule in ``rules`` that judges the resource (``judge``: :func:`judges` or
    :func:`applies`), in rule order."""
    return [m for rule in rules if judge(rule, type_token, props) for m in violations(rule, type_token, props)]


def stack_resource(
    type_token: str,
    name: str,
    props: dict[str, Any],
    deps: dict[str, list[PolicyResource]] | None = None,
    arm_id: str | None = None,
) -> PolicyResource:
    """A stack resource as the engine sends it to ``AnalyzeStack``: proxied props (so reading an unknown
    raises ``UnknownValueError``), default options, and ``deps`` as its property dependencies (a property
    naming the resources whose outputs flowed into it). ``arm_id``, when given, is set as its ``id`` prop,
    which is how a resource is named by ARM id."""
    if arm_id:
        props = {**props, "id": arm_id}
    return PolicyResource(
        type_token,
        unknown_checking_proxy(deserialize_properties(props)),
        f"urn:pulumi:test::p::{type_token}::{name}",
        name,
        _options(),
        None,
        None,
        [d for targets in (deps or {}).values() for d in targets],
        deps or {},
    )


def run_stack(
    rule: StackRule, *resources: PolicyResource, config: dict[str, Any] | None = None
) -> list[tuple[str, str]]:
    """The ``(message, urn)`` pairs ``rule`` reports over a stack of ``resources``, with ``config`` over the
    rule's schema defaults (as the pack fills them in)."""
    return list(rule.check(Stack(list(resources)), config_with_defaults(rule.config, config or {})))
