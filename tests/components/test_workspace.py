from __future__ import annotations

from component_plan import LAW_ID, RG_ID, TAGS, UAI_ID, refused

from hardened_aml.workspace import Workspace, WorkspaceArgs

KV_ID = RG_ID + "/providers/Microsoft.KeyVault/vaults/kv-test"
KEY_URI = "https://kv-test.vault.azure.net/keys/cmk/0123"


def _args(**overrides: object) -> WorkspaceArgs:
    values: dict[str, object] = dict(
        resource_group_name="rg-test",
        location="westeurope",
        workspace_name="mlw-test",
        identity_id=UAI_ID,
        storage_account_id=RG_ID + "/providers/Microsoft.Storage/storageAccounts/sttest",
        key_vault_id=KV_ID,
        key_identifier=KEY_URI,
        container_registry_id=RG_ID + "/providers/Microsoft.ContainerRegistry/registries/crtest",
        application_insights_id=RG_ID + "/providers/Microsoft.Insights/components/appi-test",
        log_analytics_workspace_id=LAW_ID,
        tags=TAGS,
    )
    values.update(overrides)
    return WorkspaceArgs(**values)  # type: ignore[arg-type]


def test_children_and_hardened_inputs(plan):
    p = plan(lambda: Workspace("ws", _args()))
    component = p.one("hardened-aml:index:Workspace")
    ws = p.one("azure-native:machinelearningservices:Workspace")
    diag = p.one("azure-native:monitor:DiagnosticSetting")
    assert p.types() == sorted(
        [
            "hardened-aml:index:Workspace",
            "azure-native:machinelearningservices:Workspace",
            "azure-native:monitor:DiagnosticSetting",
        ]
    )
    assert (ws.name, diag.name) == ("ws-mlw", "ws-diag-mlw")
    assert ws.parent == component.urn and diag.parent == component.urn
    i = ws.inputs
    assert i["workspaceName"] == "mlw-test"
    assert i["publicNetworkAccess"] == "Disabled"  # AML-NET-001
    assert i["allowPublicAccessWhenBehindVnet"] is False
    assert i["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"  # AML-NET-002
    assert "outboundRules" not in i["managedNetwork"]
    assert i["serverlessComputeSettings"] == {"serverlessComputeNoPublicIP": True}  # AML-NET-012
    assert i["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [UAI_ID]}  # AML-IAM-001
    assert i["primaryUserAssignedIdentity"] == UAI_ID
    assert i["encryption"] == {  # AML-ENC-001
        "status": "Enabled",
        "identity": {"userAssignedIdentity": UAI_ID},
        "keyVaultProperties": {"keyIdentifier": KEY_URI, "keyVaultArmId": KV_ID},
    }
    assert i["hbiWorkspace"] is True  # AML-ENC-004
    assert i["systemDatastoresAuthMode"] == "Identity"  # AML-IAM-009
    assert i["tags"] == TAGS
    assert ws.protect is False
    assert diag.inputs["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]  # AML-MON-001
    assert diag.inputs["metrics"] == [{"category": "AllMetrics", "enabled": True}]
    assert diag.inputs["workspaceId"] == LAW_ID


def test_production_protects_and_locks(plan):
    from hardened_aml.shared import Protection

    p = plan(lambda: Workspace("ws", _args(protection=Protection(protect=True, lock=True))))
    assert p.one("azure-native:machinelearningservices:Workspace").protect is True
    lock = p.one("azure-native:authorization:ManagementLockByScope")
    assert lock.inputs["level"] == "CanNotDelete"
    assert lock.inputs["scope"].endswith("/workspaces/mlw-test")


def test_internet_outbound_is_an_opt_in_by_name(plan):
    p = plan(lambda: Workspace("ws", _args(isolation_mode="AllowInternetOutbound")))
    ws = p.one("azure-native:machinelearningservices:Workspace")
    assert ws.inputs["managedNetwork"]["isolationMode"] == "AllowInternetOutbound"


def test_bad_isolation_mode_is_refused_before_any_resource():
    err = refused(lambda: Workspace("ws", _args(isolation_mode="Disabled")))
    assert err.key == "ws.isolation_mode"
    assert err.value == "Disabled"
    assert "AllowOnlyApprovedOutbound" in err.allowed
