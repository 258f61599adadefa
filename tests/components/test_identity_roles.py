from __future__ import annotations

import pulumi
from component_plan import RG_ID, refused

from aml_catalogue.roles import (
    ACR_PULL,
    CONTRIBUTOR,
    KEY_VAULT_ADMINISTRATOR,
    PRIVILEGED_ROLES,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
)
from hardened_aml.identity_roles import (
    WORKLOAD_ROLES,
    RoleGrant,
    WorkloadIdentity,
    WorkloadIdentityArgs,
    WorkspaceIdentityRoles,
    WorkspaceIdentityRolesArgs,
)

SUB = "00000000-0000-0000-0000-000000000000"
ST, KV, CR, APPI, MLW = (RG_ID + f"/providers/x/{n}" for n in ("st", "kv", "cr", "appi", "mlw"))


def _args() -> WorkspaceIdentityRolesArgs:
    return WorkspaceIdentityRolesArgs(
        principal_id="principal-of-uai",
        subscription_id=SUB,
        storage_account_id=ST,
        key_vault_id=KV,
        container_registry_id=CR,
        application_insights_id=APPI,
    )


def test_workspace_identity_holds_exactly_the_documented_roles(plan):
    """The "Workspace" table of how-to-identity-based-service-authentication, row by row (see the module)."""

    def program() -> None:
        roles = WorkspaceIdentityRoles("ir", _args())
        roles.on_workspace(MLW, parent=roles)

    p = plan(program)
    roles = {
        (r.inputs["scope"], r.inputs["roleDefinitionId"].rsplit("/", 1)[1])
        for r in p.of_type("azure-native:authorization:RoleAssignment")
    }
    assert roles == {
        (MLW, CONTRIBUTOR),
        (ST, CONTRIBUTOR),
        (ST, STORAGE_BLOB_DATA_CONTRIBUTOR),
        (KV, CONTRIBUTOR),
        (KV, KEY_VAULT_ADMINISTRATOR),
        (CR, CONTRIBUTOR),
        (APPI, CONTRIBUTOR),
    }
    for r in p.of_type("azure-native:authorization:RoleAssignment"):
        assert r.inputs["principalType"] == "ServicePrincipal" and r.inputs["principalId"] == "principal-of-uai"


def test_a_missing_resource_is_refused():
    args = dict(_args())
    del args["key_vault_id"]
    err = refused(lambda: WorkspaceIdentityRoles("ir", args))
    assert err.key == "ir.key_vault_id" and err.allowed == "a value (this key is required)"


def _workload(**overrides: object) -> WorkloadIdentityArgs:
    values: dict[str, object] = dict(
        identity_name="id-haml-dev-1a2b-cl-train",
        resource_group_name="rg-test",
        location="westeurope",
        subscription_id=SUB,
        grants=[RoleGrant(label="acr-pull", role="AcrPull", scope=CR)],
    )
    values.update(overrides)
    return WorkloadIdentityArgs(**values)  # type: ignore[typeddict-item]


def test_workload_identity_holds_its_grants_only(plan):
    p = plan(lambda: WorkloadIdentity("wid", _workload()))
    identity = p.one("azure-native:managedidentity:UserAssignedIdentity")
    assert identity.inputs["resourceName"] == "id-haml-dev-1a2b-cl-train"
    (assignment,) = p.of_type("azure-native:authorization:RoleAssignment")
    assert assignment.inputs["scope"] == CR
    assert assignment.inputs["roleDefinitionId"].endswith(ACR_PULL)
    assert assignment.inputs["principalType"] == "ServicePrincipal"
    assert assignment.inputs["principalId"] == "principal-of-id-haml-dev-1a2b-cl-train"


def test_workload_roles_exclude_every_privileged_role():
    assert not set(WORKLOAD_ROLES.values()) & set(PRIVILEGED_ROLES)


def test_a_privileged_role_is_refused_by_name():
    err = refused(
        lambda: WorkloadIdentity("wid", _workload(grants=[{"label": "x", "role": "Contributor", "scope": CR}]))
    )
    assert (err.key, err.value) == ("wid.grants.0.role", "Contributor")
    assert "Contributor" not in err.allowed.removeprefix("one of ").split(", ") and "AcrPull" in err.allowed


def test_grant_labels_are_unique():
    grants = [RoleGrant(label="a", role="AcrPull", scope=CR), RoleGrant(label="a", role="AcrPull", scope=ST)]
    err = refused(lambda: WorkloadIdentity("wid", _workload(grants=grants)))
    assert (err.key, err.value) == ("wid.grants.1.label", "a")


def test_grant_scope_may_be_an_output(plan):
    p = plan(
        lambda: WorkloadIdentity(
            "wid", _workload(grants=[RoleGrant(label="st", role="AcrPull", scope=pulumi.Output.from_input(ST))])
        )
    )
    assert p.one("azure-native:authorization:RoleAssignment").inputs["scope"] == ST
