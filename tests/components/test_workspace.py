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


# --- managed network provisioning (AML-NET-002) ---------------------------------------------------------
def test_managed_network_is_provisioned_in_the_put_that_disables_public_access(plan):
    ws = plan(lambda: Workspace("ws", _args())).one("azure-native:machinelearningservices:Workspace")
    # One registration carries both: public access is off before the network exists.
    assert ws.inputs["provisionNetworkNow"] is True
    assert ws.inputs["publicNetworkAccess"] == "Disabled"
    assert ws.inputs["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"


def test_lazy_provisioning_is_asked_for_by_name(plan):
    from hardened_aml.workspace import NetworkProvisioning

    p = plan(lambda: Workspace("ws", _args(network_provisioning=NetworkProvisioning.ON_FIRST_COMPUTE)))
    assert p.one("azure-native:machinelearningservices:Workspace").inputs["provisionNetworkNow"] is False
    assert refused(lambda: Workspace("ws", _args(network_provisioning="later"))).key == "ws.network_provisioning"


# --- outbound rules (AML-NET-014) and the firewall (AML-COST-003) ---------------------------------------
OTHER_ST = RG_ID + "/providers/Microsoft.Storage/storageAccounts/stdata"


def _rules():
    from hardened_aml.workspace import FqdnRule, PrivateEndpointRule, ServiceTagRule

    return [
        PrivateEndpointRule(name="pe-data", service_resource_id=OTHER_ST, subresource_target="blob"),
        ServiceTagRule(name="tag-monitor", service_tag="AzureMonitor"),
        FqdnRule(name="fqdn-pypi", destination="pypi.org", ports=(80, 443)),
    ]


def test_typed_rules_reach_the_engine_inline_in_camel_case(plan):
    from hardened_aml.workspace import FirewallSku

    p = plan(lambda: Workspace("ws", _args(outbound_rules=_rules(), firewall_sku=FirewallSku.BASIC)))
    network = p.one("azure-native:machinelearningservices:Workspace").inputs["managedNetwork"]
    assert network["firewallSku"] == "Basic"
    assert network["outboundRules"] == {
        "pe-data": {
            "type": "PrivateEndpoint",
            "category": "UserDefined",
            "destination": {"serviceResourceId": OTHER_ST, "subresourceTarget": "blob"},
        },
        "tag-monitor": {
            "type": "ServiceTag",
            "category": "UserDefined",
            "destination": {"action": "Allow", "serviceTag": "AzureMonitor", "protocol": "TCP", "portRanges": "443"},
        },
        "fqdn-pypi": {"type": "FQDN", "category": "UserDefined", "destination": "pypi.org"},
    }
    # One mechanism: never a separate rule resource.
    assert not p.of_type("azure-native:machinelearningservices:ManagedNetworkSettingsRule")


def test_rules_pass_the_pack_and_the_fqdn_rule_warns_of_its_firewall(plan):
    from tests.pack_check import violations

    p = plan(lambda: Workspace("ws", _args(outbound_rules=_rules())))
    found = violations(p.resources)
    # Stack rules that need the private endpoints and the dependencies outside this test are left out.
    workspace_rules = [d for d in found if d.policy.startswith(("aml-net-014", "aml-cost-003"))]
    assert [(d.policy, d.enforcement) for d in workspace_rules] == [
        ("aml-cost-003-fqdn-rules-bring-a-firewall", "advisory")
    ]


def test_fqdn_and_service_tag_rules_need_approved_outbound():
    from hardened_aml.workspace import FqdnRule, ServiceTagRule

    for rule in (FqdnRule(name="f", destination="pypi.org"), ServiceTagRule(name="t", service_tag="AzureMonitor")):
        err = refused(
            lambda rule=rule: Workspace("ws", _args(isolation_mode="AllowInternetOutbound", outbound_rules=[rule]))
        )
        assert err.key == "ws.outbound_rules[0].name" and "AllowInternetOutbound" in err.allowed


def test_private_endpoint_rules_are_allowed_under_internet_outbound(plan):
    from hardened_aml.workspace import PrivateEndpointRule

    rule = PrivateEndpointRule(name="pe-data", service_resource_id=OTHER_ST, subresource_target="blob")
    p = plan(lambda: Workspace("ws", _args(isolation_mode="AllowInternetOutbound", outbound_rules=[rule])))
    network = p.one("azure-native:machinelearningservices:Workspace").inputs["managedNetwork"]
    assert list(network["outboundRules"]) == ["pe-data"] and "firewallSku" not in network


def test_fqdn_rules_allow_ports_80_and_443_only():
    from hardened_aml.workspace import FqdnRule

    err = refused(lambda: Workspace("ws", _args(outbound_rules=[FqdnRule(name="f", destination="a.org", ports=(22,))])))
    assert err.key == "ws.outbound_rules[0].ports" and "80" in err.allowed
    err = refused(lambda: Workspace("ws", _args(outbound_rules=[FqdnRule(name="f", destination="a.org:8080")])))
    assert err.key == "ws.outbound_rules[0].destination"


def test_two_rules_with_one_destination_are_refused():
    from hardened_aml.workspace import FqdnRule

    rules = [FqdnRule(name="a", destination="pypi.org"), FqdnRule(name="b", destination="PyPI.org")]
    err = refused(lambda: Workspace("ws", _args(outbound_rules=rules)))
    assert err.key == "ws.outbound_rules[1].name" and "'a'" in err.allowed


def test_rules_azure_adds_itself_are_refused():
    from hardened_aml.workspace import PrivateEndpointRule

    for own in ("storage_account_id", "key_vault_id", "container_registry_id"):
        target = getattr(_args(), own)
        rule = PrivateEndpointRule(name="pe", service_resource_id=target.upper(), subresource_target="x")
        err = refused(lambda rule=rule: Workspace("ws", _args(outbound_rules=[rule])))
        assert err.key == "ws.outbound_rules[0].service_resource_id" and "Azure adds" in err.allowed


def test_bad_firewall_sku_is_refused():
    assert refused(lambda: Workspace("ws", _args(firewall_sku="Premium"))).key == "ws.firewall_sku"


# --- what an update does ----------------------------------------------------------------------------------
def test_fields_fixed_at_creation_replace_the_workspace(plan):
    ws = plan(lambda: Workspace("ws", _args())).one("azure-native:machinelearningservices:Workspace")
    assert sorted(ws.replace_on_changes) == sorted(
        ["hbiWorkspace", "encryption.keyVaultProperties.keyVaultArmId", "storageAccount"]
    )
    # A new key version in the same vault updates in place.
    assert "encryption.keyVaultProperties.keyIdentifier" not in ws.replace_on_changes
