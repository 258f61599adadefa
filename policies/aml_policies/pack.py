"""The pack's policies: every rule of every service module, listed explicitly.

A module joins the pack by being named here; nothing registers itself on import.
"""

from __future__ import annotations

from pulumi_policy import Policy

from aml_policies import (
    access,
    aks,
    alerting,
    checkpoints,
    coherence,
    compute,
    inference,
    keyvault,
    mlregistry,
    monitor,
    network,
    protection,
    registry,
    storage,
    workspace,
)
from aml_policies.core import ResourceRule, StackRule, resource_policy, stack_policy

MODULES = (
    workspace,
    network,
    storage,
    checkpoints,
    keyvault,
    registry,
    mlregistry,
    access,
    monitor,
    alerting,
    protection,
    compute,
    inference,
    aks,
    coherence,
)

NAME = "hardened-aml"


def rules() -> list[ResourceRule | StackRule]:
    return [rule for module in MODULES for rule in module.RULES]


def policies() -> list[Policy]:
    """One CrossGuard policy per rule, described by the rule's catalogue entry."""
    built: list[Policy] = []
    for rule in rules():
        built.append(resource_policy(rule) if isinstance(rule, ResourceRule) else stack_policy(rule))
    names = [p.name for p in built]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"policy names must be unique; repeated: {', '.join(duplicates)}")
    return built
