"""Interfaces every component shares: tags, delete protection, diagnostics and role assignments.

One shape each, used by every component, so a platform team learns them once.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

import pulumi
import pulumi_azure_native.authorization as authorization
import pulumi_azure_native.monitor as monitor
from typing_extensions import TypedDict

from aml_catalogue.diagnostics import DIAGNOSTIC_CATEGORIES
from hardened_aml.inputs import Input, Wired, args

# Role assignment names are GUIDs; deriving them from the logical name keeps them stable across plans.
_ROLE_ASSIGNMENT_NAMESPACE = uuid.UUID("3f2d0c6e-6a55-4b8e-9c43-6c0f5b1f7a10")


class Environment(StrEnum):
    """What an estate is for. Exploration and production workspaces are never shared (control AML-REL-003)."""

    EXPLORATION = "exploration"
    """Data scientists explore: cheaper defaults, no delete protection."""
    PRODUCTION = "production"
    """Production: ``protect`` and ``CanNotDelete`` locks on stateful resources, geo-zone-redundant storage,
    longer log retention, at least three instances per online deployment."""


class WeekDay(StrEnum):
    """A day of the week, as Azure spells it both in compute schedules (spec ``ComputeWeekDay``) and in AKS
    maintenance windows (the SDK's ``containerservice`` enum ``WeekDay``)."""

    MONDAY = "Monday"
    """Monday."""
    TUESDAY = "Tuesday"
    """Tuesday."""
    WEDNESDAY = "Wednesday"
    """Wednesday."""
    THURSDAY = "Thursday"
    """Thursday."""
    FRIDAY = "Friday"
    """Friday."""
    SATURDAY = "Saturday"
    """Saturday."""
    SUNDAY = "Sunday"
    """Sunday."""


@args
class InWorkspace(TypedDict):
    """Where a workload of a workspace goes (compute, endpoints): the args every such component extends."""

    resource_group_name: Annotated[Input[str], Wired()]
    """The workspace's resource group. Required."""
    location: str
    """The workspace's region. Required."""
    workspace_name: Annotated[Input[str], Wired()]
    """The workspace: pass the ``Workspace`` component's ``workspace_name`` output so the pack can relate the
    workload to its workspace (control AML-NET-011). Required."""


@args
class RunsAs(TypedDict):
    """The identity a workload runs as: the args of every workload that needs one of its own."""

    identity_id: Annotated[Input[str], Wired()]
    """The user-assigned identity the workload runs as, the one it uses to reach data, registries and models:
    one of its own (a ``WorkloadIdentity``), never the workspace's, so that it holds only the data-plane roles
    its job needs. Required (controls AML-IAM-008, AML-IAM-011)."""


def protection(environment: Environment) -> "Protection":
    """How an environment protects its stateful resources: both ``protect`` and a lock in production."""
    production = environment is Environment.PRODUCTION
    return Protection(protect=production, lock=production)


@dataclass(frozen=True, kw_only=True)
class Protection:
    """How stateful resources are protected from deletion (control AML-REL-006).

    In production both are on: ``protect`` stops ``pulumi destroy`` and replacements, and a
    ``CanNotDelete`` management lock stops deletion from outside Pulumi.
    """

    protect: bool = False
    """Mark stateful resources ``protect`` in Pulumi. Default: off; on in production."""
    lock: bool = False
    """Put a ``CanNotDelete`` lock on each stateful resource. Default: off; on in production."""


def builtin_role(role_guid: str, subscription_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """The full id of a built-in role definition in this subscription."""
    return pulumi.Output.concat(
        "/subscriptions/", subscription_id, "/providers/Microsoft.Authorization/roleDefinitions/", role_guid
    )


def role_assignment(
    name: str,
    *,
    scope: pulumi.Input[str],
    role_guid: str,
    principal_id: pulumi.Input[str],
    principal_type: str,
    subscription_id: pulumi.Input[str],
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource] | None = None,
) -> authorization.RoleAssignment:
    """Assign a built-in role (by its GUID) to a principal at ``scope``; the name is a stable GUID.

    The GUID derives from the project, the stack and the logical name: the same in every plan of one stack,
    different between stacks that share a subscription (two stacks of one workload have equal logical names).
    """
    seed = f"{pulumi.get_project()}/{pulumi.get_stack()}/{name}"
    return authorization.RoleAssignment(
        name,
        role_assignment_name=str(uuid.uuid5(_ROLE_ASSIGNMENT_NAMESPACE, seed)),
        scope=scope,
        role_definition_id=builtin_role(role_guid, subscription_id),
        principal_id=principal_id,
        principal_type=principal_type,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
    )


def diagnostics(
    name: str,
    *,
    resource_id: pulumi.Input[str],
    resource_type: str,
    log_analytics_workspace_id: pulumi.Input[str],
    parent: pulumi.Resource,
    categories: Sequence[str] = (),
) -> monitor.DiagnosticSetting:
    """Send a resource's logs and metrics to Log Analytics (controls AML-MON-001, AML-MON-002).

    What may be named comes from the one table of categories per resource type
    (:data:`aml_catalogue.diagnostics.DIAGNOSTIC_CATEGORIES`, with its sources): every log through the
    ``allLogs`` group where the type supports it, else each log category by name (none for a type that emits
    metrics only, such as a storage account); the type's own metric categories (``Transaction`` and
    ``Capacity`` for storage, ``AllMetrics`` elsewhere). ``categories`` names a subset of the log categories
    instead (an AKS cluster: its audit categories only, control AML-MON-005).
    """
    known = DIAGNOSTIC_CATEGORIES[resource_type]
    unknown = [c for c in categories if c not in known.logs]
    if unknown:
        raise ValueError(f"{resource_type} has no log categories {unknown}; it has {list(known.logs)}")
    if categories:
        log_settings = [monitor.DiagnosticsLogSettingsArgs(category=c, enabled=True) for c in categories]
    elif "allLogs" in known.groups:
        log_settings = [monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)]
    else:
        log_settings = [monitor.DiagnosticsLogSettingsArgs(category=c, enabled=True) for c in known.logs]
    return monitor.DiagnosticSetting(
        name,
        name=f"diag-{name.rsplit('-', 1)[-1]}",
        resource_uri=resource_id,
        workspace_id=log_analytics_workspace_id,
        log_analytics_destination_type="Dedicated",
        logs=log_settings,
        metrics=[monitor.DiagnosticsMetricSettingsArgs(category=c, enabled=True) for c in known.metrics],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def delete_lock(
    name: str, *, resource: pulumi.CustomResource, resource_id: pulumi.Input[str], parent: pulumi.Resource
) -> authorization.ManagementLockByScope:
    """A ``CanNotDelete`` lock on one resource (control AML-REL-006)."""
    return authorization.ManagementLockByScope(
        name,
        lock_name="do-not-delete",
        scope=resource_id,
        level="CanNotDelete",
        notes="Stateful resource of a hardened-aml estate: remove this lock deliberately before deleting.",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[resource]),
    )


def merged_tags(base: Mapping[str, str], extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**base, **(extra or {})}
