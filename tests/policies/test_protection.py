"""The protection rules (``aml_policies.protection``): delete locks, a budget, and cost-allocation tags.

Stack rules get ``PolicyResource`` objects with proxied props, related by property dependency or ARM id.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from aml_policies import protection
from aml_policies.core import ResourceRule, StackRule
from tests.policies.harness import DELETE, applies, changed, run_stack, stack_resource, violations

WORKSPACE = "azure-native:machinelearningservices:Workspace"
LOCK = "azure-native:authorization:ManagementLockByScope"
BUDGET = "azure-native:consumption:Budget"
ACCOUNT = "azure-native:storage:StorageAccount"
VAULT = "azure-native:keyvault:Vault"
REGISTRY = "azure-native:containerregistry:Registry"
KEY = "azure-native:keyvault:Key"

RG = "/subscriptions/0/resourceGroups/rg/providers"
WS_ID = f"{RG}/Microsoft.MachineLearningServices/workspaces/ws"
ST_ID = f"{RG}/Microsoft.Storage/storageAccounts/st"

RULES = {rule.policy_name: rule for rule in protection.RULES}
LOCKS = RULES["aml-rel-006-production-delete-locks"]
BUDGETS = RULES["aml-cost-001-budget-with-alerts"]
TAGS = RULES["aml-cost-002-cost-allocation-tags"]
assert isinstance(LOCKS, StackRule) and isinstance(BUDGETS, StackRule) and isinstance(TAGS, ResourceRule)


# --- AML-REL-006: delete locks in production ----------------------------------------------------------------
def _lock(name: str, scope: PolicyResource | str, level: str = "CanNotDelete") -> PolicyResource:
    """A lock on ``scope``: a resource (by dependency, its id unknown at preview) or an ARM id string."""
    props = {"lockName": name, "level": level, "scope": scope if isinstance(scope, str) else UNKNOWN_STRING_VALUE}
    return stack_resource(LOCK, name, props, None if isinstance(scope, str) else {"scope": [scope]})


def _estate(environment: str = "production") -> tuple[PolicyResource, ...]:
    """A workspace naming its storage, key vault, registry and CMK key by dependency, and those four."""
    st, kv, acr = (
        stack_resource(ACCOUNT, "st", {}),
        stack_resource(VAULT, "kv", {}),
        stack_resource(REGISTRY, "acr", {}),
    )
    key = stack_resource(KEY, "cmk", {})
    props = {
        "workspaceName": "ws",
        "tags": {"environment": environment},
        "storageAccount": UNKNOWN_STRING_VALUE,
        "keyVault": UNKNOWN_STRING_VALUE,
        "containerRegistry": UNKNOWN_STRING_VALUE,
        "encryption": {
            "status": "Enabled",
            "keyVaultProperties": {"keyVaultArmId": UNKNOWN_STRING_VALUE, "keyIdentifier": UNKNOWN_STRING_VALUE},
        },
    }
    deps = {"storageAccount": [st], "keyVault": [kv], "containerRegistry": [acr], "encryption": [kv, key]}
    return stack_resource(WORKSPACE, "ws", props, deps), st, kv, acr, key


def _unlocked(resource: PolicyResource, kind: str) -> tuple[str, str]:
    return (f"{kind} {resource.name!r} of production workspace 'ws' has no CanNotDelete lock", resource.urn)


def test_locked_production_estate_passes() -> None:
    estate = _estate()
    assert run_stack(LOCKS, *estate, *(_lock(f"{r.name}-lock", r) for r in estate)) == []


def test_locks_related_by_arm_id_pass() -> None:
    ws = stack_resource(
        WORKSPACE,
        "ws",
        {"workspaceName": "ws", "id": WS_ID, "tags": {"environment": "production"}, "storageAccount": ST_ID},
    )
    st = stack_resource(ACCOUNT, "st", {"id": ST_ID})
    assert run_stack(LOCKS, ws, st, _lock("ws-lock", WS_ID), _lock("st-lock", ST_ID)) == []
    assert run_stack(LOCKS, ws, st, _lock("ws-lock", WS_ID.upper()), _lock("st-lock", ST_ID)) == []


def test_unlocked_production_estate_fails_per_resource() -> None:
    ws, st, kv, acr, key = _estate()
    assert run_stack(LOCKS, ws, st, kv, acr, key) == [
        _unlocked(ws, "machinelearningservices:Workspace"),
        _unlocked(st, "storage:StorageAccount"),
        _unlocked(kv, "keyvault:Vault"),
        _unlocked(acr, "containerregistry:Registry"),
        _unlocked(key, "keyvault:Key"),
    ]


@pytest.mark.parametrize("missing", ["ws", "st", "kv", "acr", "cmk"])
def test_one_missing_lock_fails(missing: str) -> None:
    estate = _estate()
    kinds = {
        "ws": "machinelearningservices:Workspace",
        "st": "storage:StorageAccount",
        "kv": "keyvault:Vault",
        "acr": "containerregistry:Registry",
        "cmk": "keyvault:Key",
    }
    locks = [_lock(f"{r.name}-lock", r) for r in estate if r.name != missing]
    unlocked = next(r for r in estate if r.name == missing)
    assert run_stack(LOCKS, *estate, *locks) == [_unlocked(unlocked, kinds[missing])]


def test_read_only_lock_is_not_a_delete_lock() -> None:
    ws, *rest = _estate()
    locks = [_lock("ws-lock", ws, "ReadOnly"), *(_lock(f"{r.name}-lock", r) for r in rest)]
    assert run_stack(LOCKS, ws, *rest, *locks) == [_unlocked(ws, "machinelearningservices:Workspace")]


@pytest.mark.parametrize("environment", ["exploration", None])
def test_non_production_workspaces_need_no_locks(environment: str | None) -> None:
    ws, *rest = _estate("exploration")
    if environment is None:
        ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws"})
    assert run_stack(LOCKS, ws, *rest) == []


def test_lock_on_another_account_does_not_count() -> None:
    ws, st, kv, acr, key = _estate()
    other = stack_resource(ACCOUNT, "other", {"id": ST_ID.replace("/st", "/other")})
    locks = [
        _lock("ws-lock", ws),
        _lock("kv-lock", kv),
        _lock("acr-lock", acr),
        _lock("cmk-lock", key),
        _lock("other-lock", other),
        _lock("other-lock2", ST_ID.replace("/st", "/other")),
    ]
    assert run_stack(LOCKS, ws, st, kv, acr, key, other, *locks) == [_unlocked(st, "storage:StorageAccount")]


def test_account_no_workspace_names_is_not_flagged() -> None:
    estate = _estate()
    loose = stack_resource(ACCOUNT, "loose", {})
    assert run_stack(LOCKS, *estate, loose, *(_lock(f"{r.name}-lock", r) for r in estate)) == []


def test_unknown_scope_related_by_dependency_does_not_crash() -> None:
    ws = stack_resource(
        WORKSPACE, "ws", {"workspaceName": "ws", "id": UNKNOWN_STRING_VALUE, "tags": {"environment": "production"}}
    )
    lock = _lock("ws-lock", ws)
    with pytest.raises(UnknownValueError):  # the scope really is unknown, as at preview
        lock.props["scope"]
    assert run_stack(LOCKS, ws, lock) == []
    assert run_stack(LOCKS, ws) == [_unlocked(ws, "machinelearningservices:Workspace")]


# --- AML-COST-001: a budget with notifications --------------------------------------------------------------
NOTIFICATIONS = {
    "actual80": {
        "enabled": True,
        "operator": "GreaterThan",
        "threshold": 80,
        "contactGroups": [],
        "contactEmails": ["ml-team@example.com"],
    }
}


def _budget(notifications: dict[str, Any] | None) -> PolicyResource:
    props: dict[str, Any] = {
        "budgetName": "ml",
        "amount": 1000,
        "category": "Cost",
        "timeGrain": "Monthly",
        "scope": "/subscriptions/0",
    }
    if notifications is not None:
        props["notifications"] = notifications
    return stack_resource(BUDGET, "ml-budget", props)


def test_budget_with_notifications_passes() -> None:
    ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws"})
    assert run_stack(BUDGETS, ws, _budget(NOTIFICATIONS)) == []
    assert (
        run_stack(
            BUDGETS,
            ws,
            stack_resource("azure-native:consumption/v20240801:Budget", "b", {"notifications": NOTIFICATIONS}),
        )
        == []
    )


@pytest.mark.parametrize("budgets", [[], [_budget(None)], [_budget({})]])
def test_missing_budget_or_notifications_fails(budgets: list[PolicyResource]) -> None:
    ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws"})
    assert run_stack(BUDGETS, ws, *budgets) == [
        ("the stack builds a workspace but no consumption budget with alert notifications", ws.urn)
    ]


def test_reported_once_on_the_first_workspace() -> None:
    first = stack_resource(WORKSPACE, "a", {"workspaceName": "a"})
    second = stack_resource(WORKSPACE, "b", {"workspaceName": "b"})
    assert run_stack(BUDGETS, first, second) == [
        ("the stack builds a workspace but no consumption budget with alert notifications", first.urn)
    ]


def test_stack_without_workspace_needs_no_budget() -> None:
    assert run_stack(BUDGETS) == []
    assert run_stack(BUDGETS, stack_resource(ACCOUNT, "st", {})) == []


# --- AML-COST-002: cost-allocation tags -----------------------------------------------------------------------
TAGGED: dict[str, Any] = {"tags": {"team": "ml", "environment": "production", "costCentre": "cc-1"}}
ALL = "every resource carries team, environment, costCentre"


def _tags(value: Any) -> dict[str, Any]:
    """``TAGGED`` with its tags replaced (removed when ``value`` is None)."""
    return changed(TAGGED, "tags", DELETE if value is None else value)


@pytest.mark.parametrize(
    "token",
    [
        WORKSPACE,
        ACCOUNT,
        VAULT,
        REGISTRY,
        "azure-native:resources:ResourceGroup",
        "azure-native:machinelearningservices:OnlineDeployment",
        "azure-native:storage/v20230101:StorageAccount",
    ],
)
def test_tagged_resources_pass(token: str) -> None:
    assert applies(TAGS, token, TAGGED)
    assert violations(TAGS, token, TAGGED) == []


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"team": "ml", "environment": "production"}, [f"[AML-COST-002] tags lack costCentre; {ALL}"]),
        # Azure matches tag names ignoring case: costcentre is the costCentre tag.
        ({"team": "ml", "environment": "production", "costcentre": "cc-1"}, []),
        ({}, [f"[AML-COST-002] tags lack team, environment, costCentre; {ALL}"]),
        (None, [f"[AML-COST-002] tags lack team, environment, costCentre; {ALL}"]),
        ({"team": "ml", "environment": "production", "costCentre": "cc-1", "extra": "x"}, []),
    ],
)
def test_one_change_to_tags(tags: Any, expected: list[str]) -> None:
    assert violations(TAGS, ACCOUNT, _tags(tags)) == expected


def test_versioned_token_is_judged() -> None:
    assert violations(TAGS, "azure-native:storage/v20230101:StorageAccount", _tags({})) == [
        f"[AML-COST-002] tags lack team, environment, costCentre; {ALL}"
    ]


def test_untaggable_types_are_not_judged() -> None:
    for token in (LOCK, BUDGET, "azure-native:authorization:RoleAssignment", "azure-native:keyvault:Key"):
        assert not applies(TAGS, token, {})


def test_required_tags_are_configurable() -> None:
    assert violations(TAGS, ACCOUNT, TAGGED, {"requiredTags": ["owner"]}) == [
        "[AML-COST-002] tags lack owner; every resource carries owner"
    ]
    assert violations(TAGS, ACCOUNT, _tags({}), {"requiredTags": []}) == []
    assert dict(TAGS.config["requiredTags"])["default"] == ["team", "environment", "costCentre"]
