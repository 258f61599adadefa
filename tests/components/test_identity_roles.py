from __future__ import annotations

from component_plan import RG_ID, refused

from hardened_aml.identity_roles import (
    CONTRIBUTOR,
    KEY_VAULT_ADMINISTRATOR,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
    WorkspaceIdentityRoles,
    WorkspaceIdentityRolesArgs,
)

SUB = "00000000-0000-0000-0000-000000000000"
ST, KV, CR, APPI = (RG_ID + f"/providers/x/{n}" for n in ("st", "kv", "cr", "appi"))


def _args() -> WorkspaceIdentityRolesArgs:
    return WorkspaceIdentityRolesArgs(
        principal_id="principal-of-uai",
        subscription_id=SUB,
        storage_account_id=ST,
        key_vault_id=KV,
        container_registry_id=CR,
        application_insights_id=APPI,
    )


def test_roles_on_each_resource(plan):
    p = plan(lambda: WorkspaceIdentityRoles("ir", _args()))
    roles = {
        (r.inputs["scope"], r.inputs["roleDefinitionId"].rsplit("/", 1)[1])
        for r in p.of_type("azure-native:authorization:RoleAssignment")
    }
    assert roles == {
        (ST, CONTRIBUTOR),
        (ST, STORAGE_BLOB_DATA_CONTRIBUTOR),
        (ST, STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR),
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
