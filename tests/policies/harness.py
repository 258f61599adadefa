"""Run one rule the way the pack runs it: through the real CrossGuard policy object and property proxies.

Unit tests of single rules use this; the protocol tests (``tests/test_pack_protocol.py``) drive the
whole pack over gRPC.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import unknown_checking_proxy

from aml_policies.core import ResourceRule, plain, resource_policy


def _args(type_token: str, props: dict[str, Any], config: dict[str, Any] | None) -> ResourceValidationArgs:
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return ResourceValidationArgs(
        type_token,
        unknown_checking_proxy(deserialize_properties(props)),
        f"urn:pulumi:test::p::{type_token}::r",
        "r",
        opts,
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
