from __future__ import annotations

import pulumi
import pulumi_azure_native.resources as resources
from component_plan import LAW_ID, RG_ID, TAGS, UAI_ID, refused

from hardened_aml.inputs import pattern_words
from hardened_aml.private_endpoint import PrivateLink
from hardened_aml.workspace import (
    _FQDN,
    FirewallSku,
    NetworkProvisioning,
    OutboundRule,
    OutboundRuleType,
    Workspace,
    WorkspaceArgs,
)

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
    p = plan(lambda: Workspace("ws", _args(environment="production")))
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
    p = plan(lambda: Workspace("ws", _args(provisioning=NetworkProvisioning.ON_FIRST_COMPUTE)))
    assert p.one("azure-native:machinelearningservices:Workspace").inputs["provisionNetworkNow"] is False
    err = refused(lambda: Workspace("ws", _args(provisioning="later")))
    assert (err.key, err.value) == ("ws.provisioning", "later")
    assert err.allowed == "one of WithWorkspace, OnFirstCompute"


# --- outbound rules (AML-NET-014) and the firewall (AML-COST-003) ---------------------------------------
OTHER_ST = RG_ID + "/providers/Microsoft.Storage/storageAccounts/stdata"


def _pe(name: str = "pe-data", target: object = OTHER_ST, **more: object) -> OutboundRule:
    return OutboundRule(type=OutboundRuleType.PRIVATE_ENDPOINT, name=name, service_resource_id=target,
                        subresource_target="blob", **more)  # type: ignore[typeddict-item]  # fmt: skip


def _tag(name: str = "tag-monitor", **more: object) -> OutboundRule:
    return OutboundRule(type=OutboundRuleType.SERVICE_TAG, name=name, service_tag="AzureMonitor", **more)  # type: ignore[typeddict-item]


def _fqdn(name: str = "fqdn-pypi", destination: str = "pypi.org", **more: object) -> OutboundRule:
    return OutboundRule(type=OutboundRuleType.FQDN, name=name, destination=destination, **more)  # type: ignore[typeddict-item]


def _rules() -> list[OutboundRule]:
    return [_pe(), _tag(), _fqdn(ports=[80, 443])]


def test_typed_rules_reach_the_engine_inline_in_camel_case(plan):
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
    for rule in (_fqdn(name="f"), _tag(name="t")):
        err = refused(
            lambda rule=rule: Workspace("ws", _args(isolation_mode="AllowInternetOutbound", outbound_rules=[rule]))
        )
        assert err.key == "ws.outbound_rules.0.type" and err.value == rule["type"].value
        assert "AllowInternetOutbound" in err.allowed


def test_private_endpoint_rules_are_allowed_under_internet_outbound(plan):
    p = plan(lambda: Workspace("ws", _args(isolation_mode="AllowInternetOutbound", outbound_rules=[_pe()])))
    network = p.one("azure-native:machinelearningservices:Workspace").inputs["managedNetwork"]
    assert list(network["outboundRules"]) == ["pe-data"] and "firewallSku" not in network


def test_fqdn_rules_allow_ports_80_and_443_only():
    for ports in ([22], [], [80, 8080]):
        err = refused(lambda ports=ports: Workspace("ws", _args(outbound_rules=[_fqdn(ports=ports)])))
        assert (err.key, err.value) == ("ws.outbound_rules.0.ports", ports)
        assert err.allowed == "ports 80 and/or 443 (FQDN rules allow no others)"
    for host in ("a.org:8080", "https://a.org", "a"):
        err = refused(lambda host=host: Workspace("ws", _args(outbound_rules=[_fqdn(destination=host)])))
        assert (err.key, err.value) == ("ws.outbound_rules.0.destination", host)
        assert err.allowed == pattern_words(_FQDN)  # in words, never the regex


def test_two_rules_with_one_destination_are_refused():
    rules = [_fqdn(name="a"), _fqdn(name="b", destination="PyPI.org")]
    err = refused(lambda: Workspace("ws", _args(outbound_rules=rules)))
    assert (err.key, err.value) == ("ws.outbound_rules.1.name", "b") and "'a'" in err.allowed
    # A service-tag rule's destination includes its defaults: 443/TCP given or not is the same rule.
    rules = [_tag(name="a"), _tag(name="b", protocol="TCP", port_ranges="443")]
    assert refused(lambda: Workspace("ws", _args(outbound_rules=rules))).key == "ws.outbound_rules.1.name"
    rules = [_pe(name="a"), _pe(name="b", target=OTHER_ST.upper())]
    assert refused(lambda: Workspace("ws", _args(outbound_rules=rules))).key == "ws.outbound_rules.1.name"


def test_rule_names_are_unique_and_well_formed():
    err = refused(lambda: Workspace("ws", _args(outbound_rules=[_fqdn(name="a"), _tag(name="A")])))
    assert (err.key, err.value) == ("ws.outbound_rules.1.name", "A") and "unique" in err.allowed
    err = refused(lambda: Workspace("ws", _args(outbound_rules=[_fqdn(name="-bad name")])))
    assert (err.key, err.value) == ("ws.outbound_rules.0.name", "-bad name")


def test_rules_azure_adds_itself_are_refused():
    for own in ("storage_account_id", "key_vault_id", "container_registry_id"):
        target = _args()[own]  # type: ignore[literal-required]
        rule = _pe(name="pe", target=target.upper())
        err = refused(lambda rule=rule: Workspace("ws", _args(outbound_rules=[rule])))
        assert (err.key, err.value) == ("ws.outbound_rules.0.service_resource_id", target.upper())
        assert "Azure adds" in err.allowed


def test_a_rule_to_the_very_output_of_the_workspaces_storage_is_refused():
    def program() -> None:
        storage = pulumi.Output.from_input(OTHER_ST)
        Workspace("ws", _args(storage_account_id=storage, outbound_rules=[_pe(target=storage)]))

    err = refused(program)
    assert err.key == "ws.outbound_rules.0.service_resource_id" and "storage account" in err.allowed


def test_bad_firewall_sku_is_refused():
    err = refused(lambda: Workspace("ws", _args(firewall_sku="Premium")))
    assert (err.key, err.value, err.allowed) == ("ws.firewall_sku", "Premium", "one of Standard, Basic")


# --- one rule type with the fields of its type (AML-NET-014) ---------------------------------------------
def test_a_rule_takes_the_fields_of_its_type_only():
    err = refused(lambda: Workspace("ws", _args(outbound_rules=[_fqdn(service_tag="AzureMonitor")])))
    assert (err.key, err.value) == ("ws.outbound_rules.0.service_tag", "AzureMonitor")
    assert err.allowed == "no service_tag in a FQDN rule (it takes destination, ports)"
    err = refused(lambda: Workspace("ws", _args(outbound_rules=[_tag(ports=[443])])))
    assert (err.key, err.value) == ("ws.outbound_rules.0.ports", [443])
    assert err.allowed == "no ports in a ServiceTag rule (it takes service_tag, protocol, port_ranges)"
    err = refused(lambda: Workspace("ws", _args(outbound_rules=[_pe(protocol="UDP")])))
    assert err.key == "ws.outbound_rules.0.protocol"


def test_a_rule_requires_the_fields_of_its_type():
    bare = [
        ({"type": "PrivateEndpoint", "name": "p", "subresource_target": "blob"}, "service_resource_id"),
        ({"type": "PrivateEndpoint", "name": "p", "service_resource_id": OTHER_ST}, "subresource_target"),
        ({"type": "ServiceTag", "name": "t"}, "service_tag"),
        ({"type": "FQDN", "name": "f", "ports": [443]}, "destination"),
    ]
    for rule, missing in bare:
        err = refused(lambda rule=rule: Workspace("ws", _args(outbound_rules=[rule])))
        assert (err.key, repr(err.value)) == (f"ws.outbound_rules.0.{missing}", "nothing")
        assert err.allowed.startswith(f"a value: a {rule['type']} rule requires ")


def test_bad_rule_type_and_protocol_are_refused():
    err = refused(lambda: Workspace("ws", _args(outbound_rules=[{"type": "Web", "name": "x"}])))
    assert (err.key, err.value, err.allowed) == (
        "ws.outbound_rules.0.type",
        "Web",
        "one of PrivateEndpoint, ServiceTag, FQDN",
    )
    err = refused(lambda: Workspace("ws", _args(outbound_rules=[_tag(protocol="SCTP")])))
    assert (err.key, err.value, err.allowed) == ("ws.outbound_rules.0.protocol", "SCTP", "one of TCP, UDP, ICMP, *")
    err = refused(lambda: Workspace("ws", _args(outbound_rules=[_pe(target="not-an-id")])))
    assert (err.key, err.value) == ("ws.outbound_rules.0.service_resource_id", "not-an-id")
    assert err.allowed.startswith("an ARM resource id")


def test_service_tag_rule_with_its_own_protocol_and_ports(plan):
    rule = _tag(name="t", protocol="*", port_ranges="80,443")
    network = (
        plan(lambda: Workspace("ws", _args(outbound_rules=[rule])))
        .one("azure-native:machinelearningservices:Workspace")
        .inputs["managedNetwork"]
    )
    assert network["outboundRules"]["t"]["destination"] == {
        "action": "Allow", "serviceTag": "AzureMonitor", "protocol": "*", "portRanges": "80,443"
    }  # fmt: skip


# --- wiring --------------------------------------------------------------------------------------------
def test_dependencies_come_through_opts_and_reach_the_workspace(plan):
    def program() -> None:
        first = resources.ResourceGroup("first")
        Workspace("ws", _args(image_build_compute="cpu-train"), opts=pulumi.ResourceOptions(depends_on=[first]))

    p = plan(program)
    ws = p.one("azure-native:machinelearningservices:Workspace")
    assert p.one("azure-native:resources:ResourceGroup").urn in ws.dependencies
    assert ws.inputs["imageBuildCompute"] == "cpu-train"
    assert ws.inputs["friendlyName"] == "mlw-test"


def test_the_workspace_declares_its_private_link(plan):
    links: list[list[PrivateLink]] = []
    plan(lambda: links.append(Workspace("ws", _args()).private_links))
    (link,) = links[0]
    assert (link.purpose, link.group_id) == ("mlw", "amlworkspace")
    assert link.dns_zones == ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net")
    assert isinstance(link.target_resource_id, pulumi.Output)


def test_unknown_and_missing_args_are_refused():
    err = refused(lambda: Workspace("ws", _args(network_provisioning="WithWorkspace")))
    assert (err.key, err.value) == ("ws.network_provisioning", "WithWorkspace")
    assert err.allowed.startswith("one of isolation_mode, provisioning, firewall_sku, outbound_rules, ")
    values = dict(_args())
    del values["key_identifier"]
    err = refused(lambda: Workspace("ws", WorkspaceArgs(**values)))  # type: ignore[typeddict-item]
    assert (err.key, err.allowed) == ("ws.key_identifier", "a value (this key is required)")


# --- what an update does ----------------------------------------------------------------------------------
def test_fields_fixed_at_creation_replace_the_workspace(plan):
    ws = plan(lambda: Workspace("ws", _args())).one("azure-native:machinelearningservices:Workspace")
    assert sorted(ws.replace_on_changes) == sorted(
        ["hbiWorkspace", "encryption.keyVaultProperties.keyVaultArmId", "storageAccount"]
    )
    # A new key version in the same vault updates in place.
    assert "encryption.keyVaultProperties.keyIdentifier" not in ws.replace_on_changes
