"""Rules for data protection and cost governance across the stack.

``authorization:ManagementLockByScope`` (API 2020-05-01) puts a lock on ``scope`` with ``level``
CanNotDelete or ReadOnly. ``consumption:Budget`` (API 2024-08-01) carries ``notifications``.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import PolicyResource

from aml_policies.core import (
    MISSING,
    Config,
    Props,
    ResourceRule,
    Stack,
    StackRule,
    get,
    in_production,
    mapping,
    same,
    tag,
    type_key,
)

WORKSPACE = "machinelearningservices:Workspace"
LOCK = "authorization:ManagementLockByScope"
BUDGET = "consumption:Budget"
#: The workspace property naming each stateful dependency.
STATEFUL = (
    ("storageAccount", "storage:StorageAccount"),
    ("keyVault", "keyvault:Vault"),
    ("containerRegistry", "containerregistry:Registry"),
    ("encryption", "keyvault:Key"),
)


def _locked(stack: Stack, resource: PolicyResource) -> bool:
    return any(
        same(get(lock.props, "level"), "CanNotDelete", "level") for lock in stack.referrers(resource, (LOCK,), "scope")
    )


def _delete_locks(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    for workspace in stack.of_type(WORKSPACE):
        if not in_production(workspace.props):
            continue
        stateful = [workspace] + [
            t for prop, kind in STATEFUL for t in stack.targets(workspace, prop) if type_key(t.resource_type) == kind
        ]
        for resource in stateful:
            if not _locked(stack, resource):
                yield (
                    f"{type_key(resource.resource_type)} {resource.name!r} of production workspace "
                    f"{workspace.name!r} has no CanNotDelete lock",
                    resource.urn,
                )


def _budget(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    workspaces = stack.of_type(WORKSPACE)
    if not workspaces:
        return
    budgets = [b for b in stack.of_type(BUDGET) if len(mapping(b.props, "notifications") or {}) > 0]
    if not budgets:
        yield ("the stack builds a workspace but no consumption budget with alert notifications", workspaces[0].urn)


DEFAULT_TAGS = ["team", "environment", "costCentre"]
TAGGED = (
    "machinelearningservices:Workspace",
    "machinelearningservices:Compute",
    "machinelearningservices:OnlineEndpoint",
    "machinelearningservices:OnlineDeployment",
    "machinelearningservices:BatchEndpoint",
    "machinelearningservices:BatchDeployment",
    "storage:StorageAccount",
    "keyvault:Vault",
    "containerregistry:Registry",
    "operationalinsights:Workspace",
    "applicationinsights:Component",
    "managedidentity:UserAssignedIdentity",
    "containerservice:ManagedCluster",
    "network:VirtualNetwork",
    "network:NetworkSecurityGroup",
    "network:PrivateEndpoint",
    "privatedns:PrivateZone",
    "resources:ResourceGroup",
)


def _tags(props: Props, config: Config) -> Iterator[str]:
    missing = [t for t in config["requiredTags"] if tag(props, t) is MISSING]
    if missing:
        yield f"tags lack {', '.join(missing)}; every resource carries {', '.join(config['requiredTags'])}"


RULES = (
    StackRule(
        control="AML-REL-006",
        name="production-delete-locks",
        description="in production, the workspace and its storage, key vault, registry and CMK key each have a "
        "CanNotDelete lock.",
        check=_delete_locks,
    ),
    StackRule(
        control="AML-COST-001",
        name="budget-with-alerts",
        description="a stack that builds a workspace has a consumption budget with notifications.",
        check=_budget,
    ),
    ResourceRule(
        control="AML-COST-002",
        name="cost-allocation-tags",
        types=TAGGED,
        description="tags carry every required cost-allocation key (default: team, environment, costCentre).",
        check=_tags,
        config={
            "requiredTags": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": DEFAULT_TAGS,
                "description": "The tag keys every resource must carry.",
            }
        },
    ),
)
