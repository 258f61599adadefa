"""The access rule (``aml_policies.access``): role assignments related to the workspace they are scoped to.

Stack rules get ``PolicyResource`` objects with proxied props, related by property dependency or ARM id.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from aml_policies import access
from aml_policies.core import StackRule
from tests.policies.harness import run_stack, stack_resource

WORKSPACE = "azure-native:machinelearningservices:Workspace"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ACCOUNT = "azure-native:storage:StorageAccount"

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
RG = f"{SUB}/resourceGroups/rg/providers"
WS_ID = f"{RG}/Microsoft.MachineLearningServices/workspaces/ws"
ST_ID = f"{RG}/Microsoft.Storage/storageAccounts/st"
ROLES = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions"
DATA_SCIENTIST = f"{ROLES}/f6c7c914-8db3-469d-8ca1-694a8f32e121"
OWNER = f"{ROLES}/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = f"{ROLES}/b24988ac-6180-42a0-ab88-20f7382dd24c"
USER_ACCESS_ADMIN = f"{ROLES}/18d7d88d-d35e-4fb5-a5c3-7773c4ac27d9"
RBAC_ADMIN = f"{ROLES}/f58310d9-a9f6-439a-9e8d-f62e7b41a168"

RULE = next(r for r in access.RULES if isinstance(r, StackRule))
assert RULE.policy_name == "aml-iam-003-workspace-least-privilege"


def _assignment(
    name: str, scope: PolicyResource | str, role: str = DATA_SCIENTIST, principal_type: str | None = "Group"
) -> PolicyResource:
    """A role assignment on ``scope``: a resource (by dependency, id unknown at preview) or an ARM id string."""
    props: dict[str, Any] = {
        "scope": scope if isinstance(scope, str) else UNKNOWN_STRING_VALUE,
        "roleDefinitionId": role,
        "principalId": "11111111-1111-1111-1111-111111111111",
    }
    if principal_type is not None:
        props["principalType"] = principal_type
    deps = None if isinstance(scope, str) else {"scope": [scope]}
    return stack_resource(ASSIGNMENT, name, props, deps)


def _workspace(name: str = "ws", arm_id: str | None = None) -> PolicyResource:
    return stack_resource(WORKSPACE, name, {"workspaceName": name}, arm_id=arm_id)


def _privileged(assignment: PolicyResource, role: str) -> tuple[str, str]:
    return (
        f"role assignment {assignment.name!r} grants {role} on a workspace; use AzureML Data Scientist, AzureML "
        "Compute Operator or Reader",
        assignment.urn,
    )


def _single_user(assignment: PolicyResource) -> tuple[str, str]:
    return (
        f"role assignment {assignment.name!r} grants a workspace role to a single user; assign roles to Entra ID "
        "groups (principalType 'Group')",
        assignment.urn,
    )


def test_group_data_scientist_by_dependency_passes() -> None:
    ws = _workspace()
    assert run_stack(RULE, ws, _assignment("ds", ws)) == []


def test_group_data_scientist_by_arm_id_passes() -> None:
    ws = _workspace(arm_id=WS_ID)
    assert run_stack(RULE, ws, _assignment("ds", WS_ID)) == []


@pytest.mark.parametrize(
    ("role", "title"),
    [
        (OWNER, "Owner"),
        (CONTRIBUTOR, "Contributor"),
        (USER_ACCESS_ADMIN, "User Access Administrator"),
        (RBAC_ADMIN, "Role Based Access Control Administrator"),
    ],
)
def test_privileged_role_by_dependency_fails(role: str, title: str) -> None:
    ws = _workspace()
    assignment = _assignment("admin", ws, role)
    assert run_stack(RULE, ws, assignment) == [_privileged(assignment, title)]


def test_privileged_role_by_arm_id_fails() -> None:
    ws = _workspace(arm_id=WS_ID)
    assignment = _assignment("admin", WS_ID, OWNER)
    assert run_stack(RULE, ws, assignment) == [_privileged(assignment, "Owner")]


def test_role_id_is_compared_without_case_and_may_be_a_bare_guid() -> None:
    ws = _workspace()
    upper = _assignment("upper", ws, OWNER.upper())
    bare = _assignment("bare", ws, "8e3af657-a8ff-443c-a75c-2fe8c4bcb635")
    assert run_stack(RULE, ws, upper, bare) == [_privileged(upper, "Owner"), _privileged(bare, "Owner")]


def test_single_user_fails() -> None:
    ws = _workspace()
    assignment = _assignment("alice", ws, principal_type="User")
    assert run_stack(RULE, ws, assignment) == [_single_user(assignment)]


def test_owner_for_a_single_user_fails_twice() -> None:
    ws = _workspace()
    assignment = _assignment("alice", ws, OWNER, principal_type="User")
    assert run_stack(RULE, ws, assignment) == [_privileged(assignment, "Owner"), _single_user(assignment)]


@pytest.mark.parametrize("principal_type", ["ServicePrincipal", None])
def test_service_principals_and_unstated_types_pass(principal_type: str | None) -> None:
    ws = _workspace()
    assert run_stack(RULE, ws, _assignment("sp", ws, principal_type=principal_type)) == []


def test_workspace_outside_the_stack_is_recognised_by_its_id() -> None:
    assignment = _assignment("admin", WS_ID, OWNER)
    assert run_stack(RULE, assignment) == [_privileged(assignment, "Owner")]
    child = _assignment("child", f"{WS_ID}/computes/cpu", CONTRIBUTOR)
    assert run_stack(RULE, child) == [_privileged(child, "Contributor")]


def test_owner_on_another_resource_is_not_judged() -> None:
    ws = _workspace(arm_id=WS_ID)
    st = stack_resource(ACCOUNT, "st", {"id": ST_ID})
    by_dependency = _assignment("st-owner", st, OWNER, principal_type="User")
    by_id = _assignment("st-owner2", ST_ID, OWNER, principal_type="User")
    on_group = _assignment("rg-reader", f"{SUB}/resourceGroups/rg", CONTRIBUTOR)
    assert run_stack(RULE, ws, st, by_dependency, by_id, on_group) == []


def test_ml_registry_is_not_a_workspace() -> None:
    registry = stack_resource("azure-native:machinelearningservices:Registry", "reg", {})
    assert run_stack(RULE, registry, _assignment("reg-owner", registry, OWNER)) == []


def test_versioned_workspace_token_is_related() -> None:
    ws = stack_resource("azure-native:machinelearningservices/v20241001:Workspace", "ws", {"workspaceName": "ws"})
    assignment = stack_resource(
        "azure-native:authorization/v20220401:RoleAssignment",
        "admin",
        {"scope": UNKNOWN_STRING_VALUE, "roleDefinitionId": OWNER},
        {"scope": [ws]},
    )
    assert run_stack(RULE, ws, assignment) == [_privileged(assignment, "Owner")]


def test_unknown_scope_related_by_dependency_does_not_crash() -> None:
    ws = _workspace(arm_id=UNKNOWN_STRING_VALUE)
    assignment = _assignment("admin", ws, OWNER)
    with pytest.raises(UnknownValueError):  # the scope really is unknown, as at preview
        assignment.props["scope"]
    assert run_stack(RULE, ws, assignment) == [_privileged(assignment, "Owner")]


def test_unknown_role_on_a_workspace_is_never_a_silent_pass() -> None:
    ws = _workspace()
    with pytest.raises(UnknownValueError):
        run_stack(RULE, ws, _assignment("admin", ws, UNKNOWN_STRING_VALUE))


def test_a_stack_without_assignments_passes() -> None:
    assert run_stack(RULE, _workspace()) == []
