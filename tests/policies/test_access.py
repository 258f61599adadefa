"""The access rules (``aml_policies.access``): role assignments, related to the workspace they are scoped to and
to the identity that holds them.

Stack rules get ``PolicyResource`` objects with proxied props, related by property dependency or ARM id.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from aml_catalogue import roles
from aml_policies import access
from aml_policies.core import StackRule
from tests.policies.harness import run_stack, stack_resource

WORKSPACE = "azure-native:machinelearningservices:Workspace"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ACCOUNT = "azure-native:storage:StorageAccount"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
RG = f"{SUB}/resourceGroups/rg/providers"
WS_ID = f"{RG}/Microsoft.MachineLearningServices/workspaces/ws"
ST_ID = f"{RG}/Microsoft.Storage/storageAccounts/st"
ID_ID = f"{RG}/Microsoft.ManagedIdentity/userAssignedIdentities/id-ws"
ROLES = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions"
DATA_SCIENTIST = f"{ROLES}/{roles.AZUREML_DATA_SCIENTIST}"
BLOB_READER = f"{ROLES}/{roles.STORAGE_BLOB_DATA_READER}"
OWNER = f"{ROLES}/{roles.OWNER}"
CONTRIBUTOR = f"{ROLES}/{roles.CONTRIBUTOR}"
USER_ACCESS_ADMIN = f"{ROLES}/{roles.USER_ACCESS_ADMINISTRATOR}"
RBAC_ADMIN = f"{ROLES}/{roles.RBAC_ADMINISTRATOR}"
KV_ADMIN = f"{ROLES}/{roles.KEY_VAULT_ADMINISTRATOR}"
AKS_ADMIN = f"{ROLES}/{roles.AKS_CLUSTER_ADMIN_ROLE}"
GROUP = "11111111-1111-1111-1111-111111111111"
WS_PRINCIPAL = "22222222-2222-2222-2222-222222222222"
WORKLOAD_PRINCIPAL = "55555555-5555-5555-5555-555555555555"

RULE = next(r for r in access.RULES if r.control == "AML-IAM-003")
assert isinstance(RULE, StackRule) and RULE.policy_name == "aml-iam-003-workspace-least-privilege"
WORKLOAD = next(r for r in access.RULES if r.control == "AML-IAM-011")
assert isinstance(WORKLOAD, StackRule) and WORKLOAD.policy_name == "aml-iam-011-no-privileged-workload-identity"


def _assignment(
    name: str,
    scope: PolicyResource | str,
    role: str = DATA_SCIENTIST,
    principal_type: str | None = "Group",
    principal: PolicyResource | str = GROUP,
) -> PolicyResource:
    """A role assignment on ``scope`` for ``principal``: a resource (by dependency, value unknown at preview) or a
    string (an ARM id, a literal principal id)."""
    props: dict[str, Any] = {
        "scope": scope if isinstance(scope, str) else UNKNOWN_STRING_VALUE,
        "roleDefinitionId": role,
        "principalId": principal if isinstance(principal, str) else UNKNOWN_STRING_VALUE,
    }
    if principal_type is not None:
        props["principalType"] = principal_type
    deps = {}
    if not isinstance(scope, str):
        deps["scope"] = [scope]
    if not isinstance(principal, str):
        deps["principalId"] = [principal]
    return stack_resource(ASSIGNMENT, name, props, deps or None)


def _workspace(
    name: str = "ws", arm_id: str | None = None, identity: PolicyResource | str | None = None
) -> PolicyResource:
    props: dict[str, Any] = {"workspaceName": name}
    deps = None
    if isinstance(identity, str):
        props["primaryUserAssignedIdentity"] = identity
    elif identity is not None:
        props["primaryUserAssignedIdentity"] = UNKNOWN_STRING_VALUE
        deps = {"primaryUserAssignedIdentity": [identity]}
    return stack_resource(WORKSPACE, name, props, deps, arm_id=arm_id)


def _identity(name: str = "id-ws", arm_id: str | None = None, principal_id: str | None = None) -> PolicyResource:
    props: dict[str, Any] = {"resourceName": name, "resourceGroupName": "rg"}
    if principal_id is not None:
        props["principalId"] = principal_id
    return stack_resource(IDENTITY, name, props, arm_id=arm_id)


def _privileged(assignment: PolicyResource, role: str) -> tuple[str, str]:
    return (
        f"role assignment {assignment.name!r} grants {role} on a workspace; use AzureML Data Scientist, AzureML "
        "Compute Operator or Reader",
        assignment.urn,
    )


def _workload(assignment: PolicyResource, role: str, principal: str) -> tuple[str, str]:
    return (
        f"role assignment {assignment.name!r} grants {role} to {principal}, which is not the primary identity of a "
        "workspace of the stack; a role given to a workload identity is given to every job and notebook that runs "
        "as it: give it data-plane roles only (e.g. Storage Blob Data Reader, AcrPull), or name a break-glass "
        "principal in breakGlassPrincipalIds",
        assignment.urn,
    )


# --- AML-IAM-003: workspace scope -------------------------------------------------------------------------------
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
        (KV_ADMIN, "Key Vault Administrator"),
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
    bare = _assignment("bare", ws, roles.OWNER)
    assert run_stack(RULE, ws, upper, bare) == [_privileged(upper, "Owner"), _privileged(bare, "Owner")]


def test_workspace_identity_may_hold_contributor_on_its_own_workspace() -> None:
    """Microsoft documents Contributor on the workspace as required for its user-assigned identity."""
    identity = _identity()
    ws = _workspace(identity=identity)
    own = _assignment("mlw-contributor", ws, CONTRIBUTOR, "ServicePrincipal", identity)
    assert run_stack(RULE, identity, ws, own) == []


def test_workspace_identity_may_not_hold_owner_or_another_workspaces_contributor() -> None:
    identity, other_identity = _identity(), _identity("id-other")
    ws, other = _workspace(identity=identity), _workspace("other", identity=other_identity)
    owner = _assignment("mlw-owner", ws, OWNER, "ServicePrincipal", identity)
    foreign = _assignment("other-contributor", other, CONTRIBUTOR, "ServicePrincipal", identity)
    assert run_stack(RULE, identity, other_identity, ws, other, owner, foreign) == [
        _privileged(owner, "Owner"),
        _privileged(foreign, "Contributor"),
    ]


def test_workspace_outside_the_stack_is_recognised_by_its_id() -> None:
    assignment = _assignment("admin", WS_ID, OWNER)
    assert run_stack(RULE, assignment) == [_privileged(assignment, "Owner")]
    child = _assignment("child", f"{WS_ID}/computes/cpu", CONTRIBUTOR)
    assert run_stack(RULE, child) == [_privileged(child, "Contributor")]


def test_owner_on_another_resource_is_not_judged_by_the_workspace_rule() -> None:
    ws = _workspace(arm_id=WS_ID)
    st = stack_resource(ACCOUNT, "st", {"id": ST_ID})
    by_dependency = _assignment("st-owner", st, OWNER)
    by_id = _assignment("st-owner2", ST_ID, OWNER)
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
        {"scope": UNKNOWN_STRING_VALUE, "roleDefinitionId": OWNER, "principalType": "Group"},
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


# --- AML-IAM-003: principalType on every assignment -------------------------------------------------------------
def _on_storage(name: str, principal_type: Any) -> PolicyResource:
    props: dict[str, Any] = {"scope": ST_ID, "roleDefinitionId": BLOB_READER, "principalId": GROUP}
    if principal_type is not None:
        props["principalType"] = principal_type
    return stack_resource(ASSIGNMENT, name, props)


def _single_user(assignment: PolicyResource, value: str = "User") -> tuple[str, str]:
    return (
        f"role assignment {assignment.name!r} grants a role to a single user (principalType {value!r}); assign roles "
        "to Entra ID groups (principalType 'Group')",
        assignment.urn,
    )


@pytest.mark.parametrize("principal_type", ["Group", "ServicePrincipal", "group", "SERVICEPRINCIPAL", "ForeignGroup"])
def test_groups_and_service_principals_pass(principal_type: str) -> None:
    assert run_stack(RULE, _on_storage("a", principal_type)) == []


def test_missing_principal_type_fails_anywhere() -> None:
    ws = _workspace()
    on_storage, on_workspace = _on_storage("st", None), _assignment("ws", ws, principal_type=None)
    on_subscription = _assignment("sub", SUB, BLOB_READER, None, WORKLOAD_PRINCIPAL)
    assert run_stack(RULE, ws, on_storage, on_workspace, on_subscription) == [
        (
            f"role assignment {a.name!r} sets no principalType; Azure then guesses the principal's type and a "
            "missing type hides a grant to a single user: set 'Group' for people (Entra ID groups) or "
            "'ServicePrincipal' for identities",
            a.urn,
        )
        for a in (on_storage, on_workspace, on_subscription)
    ]


@pytest.mark.parametrize("principal_type", ["User", "user", "USER", " User "])
def test_a_single_user_fails_anywhere_whatever_the_case(principal_type: str) -> None:
    ws = _workspace()
    on_storage, on_workspace = _on_storage("st", principal_type), _assignment("ws", ws, principal_type=principal_type)
    assert run_stack(RULE, ws, on_storage, on_workspace) == [
        _single_user(on_storage, principal_type),
        _single_user(on_workspace, principal_type),
    ]


def test_owner_for_a_single_user_fails_twice() -> None:
    ws = _workspace()
    assignment = _assignment("alice", ws, OWNER, principal_type="User")
    assert run_stack(RULE, ws, assignment) == [_privileged(assignment, "Owner"), _single_user(assignment)]


@pytest.mark.parametrize("principal_type", [7, ["User"], {"kind": "User"}, True])
def test_an_unreadable_principal_type_is_a_violation_not_a_crash(principal_type: Any) -> None:
    assignment = _on_storage("odd", principal_type)
    found = run_stack(RULE, assignment)
    assert len(found) == 1 and "which is unreadable" in found[0][0] and found[0][1] == assignment.urn, found


def test_a_versioned_assignment_token_is_judged() -> None:
    assignment = stack_resource(
        "azure-native:authorization/v20220401:RoleAssignment",
        "alice",
        {"scope": ST_ID, "roleDefinitionId": BLOB_READER, "principalId": GROUP, "principalType": "User"},
    )
    assert run_stack(RULE, assignment) == [_single_user(assignment)]


def test_unknown_principal_type_is_never_a_silent_pass() -> None:
    with pytest.raises(UnknownValueError):
        run_stack(RULE, _on_storage("a", UNKNOWN_STRING_VALUE))


# --- AML-IAM-011 ------------------------------------------------------------------------------------------------
def test_contributor_for_a_workload_identity_fails() -> None:
    workspace_identity, workload = _identity(), _identity("id-train")
    ws = _workspace(identity=workspace_identity)
    st = stack_resource(ACCOUNT, "st", {"accountName": "st"})
    assignment = _assignment("train-contributor", st, CONTRIBUTOR, "ServicePrincipal", workload)
    assert run_stack(WORKLOAD, workspace_identity, workload, ws, st, assignment) == [
        _workload(assignment, "Contributor", "the principal of 'id-train'")
    ]


@pytest.mark.parametrize(
    ("role", "title"),
    [(role_id, name) for role_id, name in roles.PRIVILEGED_ROLES.items()],
)
def test_every_privileged_role_fails_on_any_scope(role: str, title: str) -> None:
    ws = _workspace(identity=_identity())
    assignment = _assignment("on-sub", SUB, f"{ROLES}/{role.upper()}", "ServicePrincipal", WORKLOAD_PRINCIPAL)
    assert run_stack(WORKLOAD, ws, assignment) == [_workload(assignment, title, f"principal {WORKLOAD_PRINCIPAL!r}")]


def test_data_plane_roles_for_a_workload_identity_pass() -> None:
    workload = _identity("id-train")
    assignments = [
        _assignment(f"train-{i}", ST_ID, f"{ROLES}/{role}", "ServicePrincipal", workload)
        for i, role in enumerate(
            (roles.STORAGE_BLOB_DATA_READER, roles.STORAGE_BLOB_DATA_CONTRIBUTOR, roles.ACR_PULL, roles.READER)
        )
    ]
    assert run_stack(WORKLOAD, workload, _workspace(), *assignments) == []


def test_the_workspace_primary_identity_keeps_its_documented_roles() -> None:
    identity = _identity()
    ws = _workspace(identity=identity)
    st = stack_resource(ACCOUNT, "st", {"accountName": "st"})
    held = [
        _assignment("st-contributor", st, CONTRIBUTOR, "ServicePrincipal", identity),
        _assignment("kv-admin", f"{RG}/Microsoft.KeyVault/vaults/kv", KV_ADMIN, "ServicePrincipal", identity),
        _assignment(
            "aks-admin", f"{RG}/Microsoft.ContainerService/managedClusters/aks", AKS_ADMIN, "ServicePrincipal", identity
        ),
    ]
    assert run_stack(WORKLOAD, identity, ws, st, *held) == []


def test_the_primary_identity_is_related_by_arm_id_and_its_literal_principal_id() -> None:
    identity = _identity(arm_id=ID_ID, principal_id=WS_PRINCIPAL)
    ws = _workspace(identity=ID_ID)
    by_literal = _assignment("st-contributor", ST_ID, CONTRIBUTOR, "ServicePrincipal", WS_PRINCIPAL.upper())
    by_arm_id = _assignment("kv-admin", ST_ID, KV_ADMIN, "ServicePrincipal", ID_ID)
    assert run_stack(WORKLOAD, identity, ws, by_literal, by_arm_id) == []


def test_an_identity_no_workspace_names_as_primary_is_a_workload_identity() -> None:
    """Listed in the workspace's identities but not its primary one, or named by no workspace: never by type."""
    primary, secondary = _identity(), _identity("id-extra", principal_id=WORKLOAD_PRINCIPAL)
    ws = _workspace(identity=primary)
    assignment = _assignment("extra-owner", ST_ID, OWNER, "ServicePrincipal", secondary)
    assert run_stack(WORKLOAD, primary, secondary, ws, assignment) == [
        _workload(assignment, "Owner", "the principal of 'id-extra'")
    ]
    assert run_stack(WORKLOAD, secondary, assignment) == [_workload(assignment, "Owner", "the principal of 'id-extra'")]


def test_privileged_roles_for_people_fail_too() -> None:
    assignment = _assignment("admins-owner", f"{SUB}/resourceGroups/rg", OWNER, "Group", GROUP)
    assert run_stack(WORKLOAD, _workspace(), assignment) == [_workload(assignment, "Owner", f"principal {GROUP!r}")]


def test_a_break_glass_principal_in_config_may_hold_a_privileged_role() -> None:
    assignment = _assignment("break-glass", SUB, OWNER, "Group", GROUP)
    other = _assignment("other", SUB, OWNER, "ServicePrincipal", WORKLOAD_PRINCIPAL)
    config = {"breakGlassPrincipalIds": [GROUP.upper()]}
    assert run_stack(WORKLOAD, assignment, other, config=config) == [
        _workload(other, "Owner", f"principal {WORKLOAD_PRINCIPAL!r}")
    ]
    assert run_stack(WORKLOAD, assignment) == [_workload(assignment, "Owner", f"principal {GROUP!r}")]


def test_break_glass_config_schema_is_a_list_of_guids_defaulting_to_none() -> None:
    schema = WORKLOAD.config["breakGlassPrincipalIds"]
    assert schema["type"] == "array" and schema["default"] == []
    assert schema["items"]["pattern"].startswith("^[0-9a-fA-F]{8}-")


def test_unknown_role_of_a_workload_is_never_a_silent_pass() -> None:
    with pytest.raises(UnknownValueError):
        run_stack(WORKLOAD, _assignment("x", SUB, UNKNOWN_STRING_VALUE, "ServicePrincipal", WORKLOAD_PRINCIPAL))


def test_unknown_role_of_the_primary_identity_is_not_read() -> None:
    identity = _identity()
    ws = _workspace(identity=identity)
    assignment = _assignment("x", ST_ID, UNKNOWN_STRING_VALUE, "ServicePrincipal", identity)
    assert run_stack(WORKLOAD, identity, ws, assignment) == []


def test_a_role_that_is_not_a_string_is_not_privileged() -> None:
    assignment = _assignment("x", SUB, "unused", "ServicePrincipal", WORKLOAD_PRINCIPAL)
    odd = stack_resource(ASSIGNMENT, "odd", {"scope": SUB, "roleDefinitionId": 7, "principalId": WORKLOAD_PRINCIPAL})
    assert run_stack(WORKLOAD, assignment, odd) == []


# --- AML-IAM-013: identities that read a customer-managed key hold the crypto role only -------------------------
KEY_READERS = next(r for r in access.RULES if r.control == "AML-IAM-013")
CRYPTO = f"{ROLES}/{roles.KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER}"
KEY_ID = f"{RG}/Microsoft.KeyVault/vaults/kv/keys/cmk"


def _key_reading_storage(identity: PolicyResource) -> PolicyResource:
    props = {"encryption": {"encryptionIdentity": {"encryptionUserAssignedIdentity": UNKNOWN_STRING_VALUE}}}
    return stack_resource(ACCOUNT, "st", props, {"encryption": [identity]})


def test_a_key_reader_with_the_crypto_role_only_passes() -> None:
    reader = stack_resource(IDENTITY, "id-st-cmk", {"resourceName": "id-st-cmk"})
    stack = [reader, _key_reading_storage(reader), _assignment("crypto", KEY_ID, CRYPTO, "ServicePrincipal", reader)]
    assert run_stack(KEY_READERS, *stack) == []


def test_a_key_reader_with_another_role_is_flagged() -> None:
    reader = stack_resource(IDENTITY, "id-st-cmk", {"resourceName": "id-st-cmk"})
    extra = _assignment("blob", ST_ID, BLOB_READER, "ServicePrincipal", reader)
    stack = [
        reader,
        _key_reading_storage(reader),
        _assignment("crypto", KEY_ID, CRYPTO, "ServicePrincipal", reader),
        extra,
    ]
    found = run_stack(KEY_READERS, *stack)
    assert [urn for _, urn in found] == [extra.urn] and "'id-st-cmk'" in found[0][0]


def test_a_disk_encryption_set_holds_the_crypto_role_only() -> None:
    des = stack_resource("azure-native:compute:DiskEncryptionSet", "des", {"diskEncryptionSetName": "des"})
    ok = _assignment("crypto", KEY_ID, CRYPTO, "ServicePrincipal", des)
    reader = _assignment("reader", ST_ID, f"{ROLES}/{roles.READER}", "ServicePrincipal", des)
    found = run_stack(KEY_READERS, des, ok, reader)
    assert [urn for _, urn in found] == [reader.urn]


def test_an_identity_that_reads_no_key_is_not_judged() -> None:
    other = stack_resource(IDENTITY, "id-train", {"resourceName": "id-train"})
    assert run_stack(KEY_READERS, other, _assignment("blob", ST_ID, BLOB_READER, "ServicePrincipal", other)) == []
