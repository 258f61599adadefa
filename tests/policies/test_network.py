"""The network rules (``aml_policies.network``): stacks of related resources, one change per case.

Resources are built as the engine hands them to a stack policy: ``PolicyResource`` objects whose props are
read-only proxies, related by property dependency or by ARM id, never by type alone.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from aml_policies import network
from aml_policies.core import ResourceRule, StackRule
from tests.policies.harness import applies, run_stack, stack_resource, violations

WORKSPACE = "azure-native:machinelearningservices:Workspace"
ENDPOINT = "azure-native:network:PrivateEndpoint"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
ZONE = "azure-native:privatedns:PrivateZone"
ACCOUNT = "azure-native:storage:StorageAccount"
VAULT = "azure-native:keyvault:Vault"
REGISTRY = "azure-native:containerregistry:Registry"

RG = "/subscriptions/0/resourceGroups/rg/providers"
WS_ID = f"{RG}/Microsoft.MachineLearningServices/workspaces/ws"
ST_ID = f"{RG}/Microsoft.Storage/storageAccounts/st"
KV_ID = f"{RG}/Microsoft.KeyVault/vaults/kv"
ACR_ID = f"{RG}/Microsoft.ContainerRegistry/registries/acr"
API = "privatelink.api.azureml.ms"
NOTEBOOKS = "privatelink.notebooks.azure.net"
API_ID = f"{RG}/Microsoft.Network/privateDnsZones/{API}"
NOTEBOOKS_ID = f"{RG}/Microsoft.Network/privateDnsZones/{NOTEBOOKS}"

RULES = {rule.policy_name: rule for rule in network.RULES if isinstance(rule, StackRule)}
NET_003 = RULES["aml-net-003-workspace-private-endpoint"]
NET_004 = RULES["aml-net-004-workspace-private-dns-zones"]
NET_008 = RULES["aml-net-008-dependency-private-endpoints"]
NET_014 = next(r for r in network.RULES if isinstance(r, ResourceRule))


def _workspace(
    name: str = "ws", props: dict[str, Any] | None = None, deps: dict[str, list[PolicyResource]] | None = None
) -> PolicyResource:
    return stack_resource(WORKSPACE, name, {"workspaceName": name, **(props or {})}, deps)


def _endpoint(name: str, target: PolicyResource | str, *groups: str) -> PolicyResource:
    """A private endpoint to ``target``: by property dependency (a resource) or by ARM id (a string)."""
    service_id = target if isinstance(target, str) else UNKNOWN_STRING_VALUE
    props = {
        "privateEndpointName": name,
        "subnet": {"id": f"{RG}/Microsoft.Network/virtualNetworks/vnet/subnets/pe"},
        "privateLinkServiceConnections": [{"name": name, "privateLinkServiceId": service_id, "groupIds": list(groups)}],
    }
    deps = None if isinstance(target, str) else {"privateLinkServiceConnections": [target]}
    return stack_resource(ENDPOINT, name, props, deps)


def _zone(name: str, arm_id: str | None = None) -> PolicyResource:
    return stack_resource(ZONE, name, {"privateZoneName": name, "location": "global"}, arm_id=arm_id)


def _zone_group(name: str, endpoint: PolicyResource, *zones: PolicyResource | str) -> PolicyResource:
    """A zone group of ``endpoint`` registering in each zone: a zone resource (dependency) or a zone id."""
    configs = [
        {"name": f"z{i}", "privateDnsZoneId": z if isinstance(z, str) else UNKNOWN_STRING_VALUE}
        for i, z in enumerate(zones)
    ]
    deps: dict[str, list[PolicyResource]] = {"privateEndpointName": [endpoint]}
    resources = [z for z in zones if not isinstance(z, str)]
    if resources:
        deps["privateDnsZoneConfigs"] = resources
    props = {
        "privateEndpointName": UNKNOWN_STRING_VALUE,
        "privateDnsZoneGroupName": "default",
        "privateDnsZoneConfigs": configs,
    }
    return stack_resource(ZONE_GROUP, name, props, deps)


# --- AML-NET-003: every workspace has an 'amlworkspace' private endpoint ----------------------------------
def _no_endpoint(ws: PolicyResource) -> tuple[str, str]:
    return (
        f"workspace {ws.name!r} has no private endpoint with group id 'amlworkspace'; clients must reach it over "
        "private link",
        ws.urn,
    )


def test_endpoint_related_by_dependency_passes() -> None:
    ws = _workspace()
    assert run_stack(NET_003, ws, _endpoint("ws-pe", ws, "amlworkspace")) == []


def test_endpoint_related_by_arm_id_passes() -> None:
    ws = _workspace(props={"id": WS_ID})
    assert run_stack(NET_003, ws, _endpoint("ws-pe", WS_ID, "amlworkspace")) == []
    # ARM ids are compared without case, as Azure compares them.
    assert run_stack(NET_003, ws, _endpoint("ws-pe", WS_ID.lower(), "amlworkspace")) == []


def test_workspace_without_endpoint_fails() -> None:
    ws = _workspace()
    assert run_stack(NET_003, ws) == [_no_endpoint(ws)]


def test_endpoint_with_another_group_id_does_not_count() -> None:
    ws = _workspace()
    assert run_stack(NET_003, ws, _endpoint("ws-pe", ws, "blob")) == [_no_endpoint(ws)]


def test_endpoint_of_another_workspace_does_not_count() -> None:
    ws, other = _workspace(), _workspace("other", {"id": WS_ID.replace("/ws", "/other")})
    by_dependency = _endpoint("other-pe", other, "amlworkspace")
    by_id = _endpoint("other-pe2", WS_ID.replace("/ws", "/other"), "amlworkspace")
    assert run_stack(NET_003, ws, other, by_dependency, by_id) == [_no_endpoint(ws)]


def test_manual_connection_counts() -> None:
    ws = _workspace()
    props = {
        "manualPrivateLinkServiceConnections": [
            {"name": "m", "privateLinkServiceId": UNKNOWN_STRING_VALUE, "groupIds": ["amlworkspace"]}
        ]
    }
    endpoint = stack_resource(ENDPOINT, "ws-pe", props, {"privateLinkServiceConnections": [ws]})
    assert run_stack(NET_003, ws, endpoint) == []


def test_unknown_service_id_related_by_dependency_does_not_crash() -> None:
    ws = _workspace()
    endpoint = _endpoint("ws-pe", ws, "amlworkspace")
    with pytest.raises(UnknownValueError):  # the id really is unknown, as at preview
        endpoint.props["privateLinkServiceConnections"][0]["privateLinkServiceId"]
    assert run_stack(NET_003, ws, endpoint) == []


def test_versioned_tokens_are_related() -> None:
    ws = stack_resource("azure-native:machinelearningservices/v20241001:Workspace", "ws", {"workspaceName": "ws"})
    endpoint = stack_resource(
        "azure-native:network/v20240501:PrivateEndpoint",
        "ws-pe",
        {
            "privateLinkServiceConnections": [
                {"name": "c", "privateLinkServiceId": UNKNOWN_STRING_VALUE, "groupIds": ["amlworkspace"]}
            ]
        },
        {"privateLinkServiceConnections": [ws]},
    )
    assert run_stack(NET_003, ws, endpoint) == []
    assert run_stack(NET_003, ws) == [_no_endpoint(ws)]


# --- AML-NET-004: the workspace endpoint registers in both zones ----------------------------------------
def _dns_missing(endpoint: PolicyResource, *zones: str, ws: str = "ws") -> tuple[str, str]:
    return (
        f"private endpoint {endpoint.name!r} of workspace {ws!r} has no DNS zone group entry for "
        f"{', '.join(zones)}; both workspace zones are needed (the built-in DINE policy sets only the first)",
        endpoint.urn,
    )


def test_zone_group_related_by_dependency_passes() -> None:
    ws = _workspace()
    pe = _endpoint("ws-pe", ws, "amlworkspace")
    api, notebooks = _zone(API), _zone(NOTEBOOKS)
    assert run_stack(NET_004, ws, pe, api, notebooks, _zone_group("ws-dns", pe, api, notebooks)) == []


def test_zones_named_by_arm_id_pass() -> None:
    ws = _workspace(props={"id": WS_ID})
    pe = _endpoint("ws-pe", WS_ID, "amlworkspace")
    # zones outside the stack (a hub subscription), named by id only
    assert run_stack(NET_004, ws, pe, _zone_group("ws-dns", pe, API_ID, NOTEBOOKS_ID)) == []
    # zones in the stack, related by id
    api, notebooks = _zone(API, API_ID), _zone(NOTEBOOKS, NOTEBOOKS_ID)
    assert run_stack(NET_004, ws, pe, api, notebooks, _zone_group("ws-dns", pe, API_ID, NOTEBOOKS_ID)) == []


def test_zone_without_zone_name_is_named_by_its_resource_name() -> None:
    ws = _workspace()
    pe = _endpoint("ws-pe", ws, "amlworkspace")
    api = stack_resource(ZONE, API, {"location": "global"})
    assert run_stack(NET_004, ws, pe, api, _zone_group("ws-dns", pe, api, NOTEBOOKS_ID)) == []


def test_only_the_first_zone_fails() -> None:
    ws = _workspace()
    pe = _endpoint("ws-pe", ws, "amlworkspace")
    api = _zone(API)
    assert run_stack(NET_004, ws, pe, api, _zone_group("ws-dns", pe, api)) == [_dns_missing(pe, NOTEBOOKS)]


def test_endpoint_without_zone_group_fails() -> None:
    ws = _workspace()
    pe = _endpoint("ws-pe", ws, "amlworkspace")
    assert run_stack(NET_004, ws, pe) == [_dns_missing(pe, API, NOTEBOOKS)]


def test_zones_split_over_two_zone_groups_pass() -> None:
    ws = _workspace()
    pe = _endpoint("ws-pe", ws, "amlworkspace")
    api, notebooks = _zone(API), _zone(NOTEBOOKS)
    assert run_stack(NET_004, ws, pe, api, notebooks, _zone_group("a", pe, api), _zone_group("b", pe, notebooks)) == []


def test_zone_group_of_another_endpoint_does_not_count() -> None:
    ws, other = _workspace(), _workspace("other")
    pe, other_pe = _endpoint("ws-pe", ws, "amlworkspace"), _endpoint("other-pe", other, "amlworkspace")
    api, notebooks = _zone(API), _zone(NOTEBOOKS)
    stack = (ws, other, pe, other_pe, api, notebooks, _zone_group("other-dns", other_pe, api, notebooks))
    assert run_stack(NET_004, *stack) == [_dns_missing(pe, API, NOTEBOOKS)]


def test_unrelated_zones_in_the_stack_do_not_count() -> None:
    ws = _workspace()
    pe = _endpoint("ws-pe", ws, "amlworkspace")
    api, notebooks = _zone(API), _zone(NOTEBOOKS)
    assert run_stack(NET_004, ws, pe, api, notebooks, _zone_group("ws-dns", pe, api)) == [_dns_missing(pe, NOTEBOOKS)]


def test_endpoints_without_the_workspace_group_are_not_judged() -> None:
    ws = _workspace()
    assert run_stack(NET_004, ws, _endpoint("ws-pe", ws, "blob")) == []


# --- AML-NET-008: the workspace's storage, key vault and registry have private endpoints ------------------
def _dependencies(by_id: bool) -> tuple[PolicyResource, ...]:
    def dep(token: str, name: str, arm_id: str) -> PolicyResource:
        return stack_resource(token, name, {"id": arm_id} if by_id else {})

    return dep(ACCOUNT, "st", ST_ID), dep(VAULT, "kv", KV_ID), dep(REGISTRY, "acr", ACR_ID)


def _endpoints(
    st: PolicyResource | str, kv: PolicyResource | str, acr: PolicyResource | str, skip: str = ""
) -> list[PolicyResource]:
    wanted = [("st-blob", st, "blob"), ("st-file", st, "file"), ("kv-pe", kv, "vault"), ("acr-pe", acr, "registry")]
    return [_endpoint(name, target, group) for name, target, group in wanted if group != skip]


def _no_dependency_endpoint(ws: PolicyResource, prop: str, label: str, group: str) -> tuple[str, str]:
    return (f"{prop} {label!r} of workspace {ws.name!r} has no private endpoint with group id {group!r}", ws.urn)


def test_dependencies_related_by_dependency_pass() -> None:
    st, kv, acr = _dependencies(by_id=False)
    ws = _workspace(
        props={
            "storageAccount": UNKNOWN_STRING_VALUE,
            "keyVault": UNKNOWN_STRING_VALUE,
            "containerRegistry": UNKNOWN_STRING_VALUE,
        },
        deps={"storageAccount": [st], "keyVault": [kv], "containerRegistry": [acr]},
    )
    assert run_stack(NET_008, ws, st, kv, acr, *_endpoints(st, kv, acr)) == []


def test_dependencies_related_by_arm_id_pass() -> None:
    st, kv, acr = _dependencies(by_id=True)
    ws = _workspace(props={"storageAccount": ST_ID, "keyVault": KV_ID, "containerRegistry": ACR_ID})
    assert run_stack(NET_008, ws, st, kv, acr, *_endpoints(ST_ID, KV_ID, ACR_ID)) == []


def test_dependencies_outside_the_stack_are_matched_on_their_id() -> None:
    ws = _workspace(props={"storageAccount": ST_ID, "keyVault": KV_ID, "containerRegistry": ACR_ID})
    assert run_stack(NET_008, ws, *_endpoints(ST_ID, KV_ID, ACR_ID)) == []
    assert run_stack(NET_008, ws, *_endpoints(ST_ID, KV_ID, ACR_ID, skip="vault")) == [
        _no_dependency_endpoint(ws, "keyVault", KV_ID, "vault")
    ]


@pytest.mark.parametrize(
    ("skip", "prop", "name"),
    [
        ("blob", "storageAccount", "st"),
        ("file", "storageAccount", "st"),
        ("vault", "keyVault", "kv"),
        ("registry", "containerRegistry", "acr"),
    ],
)
def test_a_missing_endpoint_fails(skip: str, prop: str, name: str) -> None:
    st, kv, acr = _dependencies(by_id=False)
    ws = _workspace(deps={"storageAccount": [st], "keyVault": [kv], "containerRegistry": [acr]})
    assert run_stack(NET_008, ws, st, kv, acr, *_endpoints(st, kv, acr, skip=skip)) == [
        _no_dependency_endpoint(ws, prop, name, skip)
    ]


def test_dependency_without_any_endpoint_fails_per_group() -> None:
    st, _, _ = _dependencies(by_id=False)
    ws = _workspace(deps={"storageAccount": [st]})
    assert run_stack(NET_008, ws, st) == [
        _no_dependency_endpoint(ws, "storageAccount", "st", "blob"),
        _no_dependency_endpoint(ws, "storageAccount", "st", "file"),
    ]


def test_storage_account_no_workspace_names_is_not_flagged() -> None:
    st, kv, acr = _dependencies(by_id=False)
    loose = stack_resource(ACCOUNT, "loose", {"id": f"{RG}/Microsoft.Storage/storageAccounts/loose"})
    ws = _workspace(deps={"storageAccount": [st], "keyVault": [kv], "containerRegistry": [acr]})
    assert run_stack(NET_008, ws, st, kv, acr, loose, *_endpoints(st, kv, acr)) == []


def test_endpoints_of_another_account_do_not_count() -> None:
    st, kv, acr = _dependencies(by_id=False)
    other = stack_resource(ACCOUNT, "other", {})
    ws = _workspace(deps={"storageAccount": [st], "keyVault": [kv], "containerRegistry": [acr]})
    endpoints = _endpoints(other, kv, acr)
    assert run_stack(NET_008, ws, st, kv, acr, other, *endpoints) == [
        _no_dependency_endpoint(ws, "storageAccount", "st", "blob"),
        _no_dependency_endpoint(ws, "storageAccount", "st", "file"),
    ]


def test_a_dependency_of_another_type_is_not_the_storage_account() -> None:
    """A property dependency on, say, the resource group in the id's text does not make it the account."""
    group = stack_resource("azure-native:resources:ResourceGroup", "rg", {})
    ws = _workspace(props={"storageAccount": UNKNOWN_STRING_VALUE}, deps={"storageAccount": [group]})
    assert run_stack(NET_008, ws, group) == []


def test_workspace_naming_no_dependency_passes() -> None:
    assert run_stack(NET_008, _workspace()) == []


# --- AML-NET-014: outbound rules coherent with the isolation mode ----------------------------------------
FQDN = {"type": "FQDN", "category": "UserDefined", "destination": "pypi.org"}
SERVICE_TAG = {
    "type": "ServiceTag",
    "category": "UserDefined",
    "destination": {
        "serviceTag": "AzureMonitor",
        "protocol": "TCP",
        "portRanges": "443",
        "action": "Allow",
        "addressPrefixes": ["10.0.0.0/24"],
    },
}
PE_RULE = {
    "type": "PrivateEndpoint",
    "category": "UserDefined",
    "destination": {
        "serviceResourceId": ST_ID,
        "subresourceTarget": "blob",
        "sparkEnabled": False,
        "fqdns": ["st.blob.core.windows.net"],
    },
}
OUTBOUND: dict[str, Any] = {
    "workspaceName": "ws",
    "managedNetwork": {
        "isolationMode": "AllowOnlyApprovedOutbound",
        "outboundRules": {"pypi": FQDN, "monitor": SERVICE_TAG, "data": PE_RULE},
    },
}


def _outbound(**rules: Any) -> dict[str, Any]:
    props = copy.deepcopy(OUTBOUND)
    props["managedNetwork"]["outboundRules"].update(copy.deepcopy(rules))
    return props


def test_coherent_outbound_rules_pass() -> None:
    assert applies(NET_014, WORKSPACE, OUTBOUND)
    assert violations(NET_014, WORKSPACE, OUTBOUND) == []
    assert violations(NET_014, "azure-native:machinelearningservices/v20241001:Workspace", OUTBOUND) == []


def test_no_outbound_rules_pass() -> None:
    assert violations(NET_014, WORKSPACE, {"workspaceName": "ws"}) == []
    assert violations(NET_014, WORKSPACE, {"managedNetwork": {"isolationMode": "AllowInternetOutbound"}}) == []


@pytest.mark.parametrize("mode", ["AllowInternetOutbound", "Disabled"])
def test_fqdn_and_service_tag_rules_need_approved_outbound(mode: str) -> None:
    props = copy.deepcopy(OUTBOUND)
    props["managedNetwork"]["isolationMode"] = mode
    assert violations(NET_014, WORKSPACE, props) == [
        f"[AML-NET-014] managedNetwork.outboundRules.pypi is a FQDN rule under isolationMode {mode!r}; FQDN rules "
        "apply only under 'AllowOnlyApprovedOutbound'",
        f"[AML-NET-014] managedNetwork.outboundRules.monitor is a ServiceTag rule under isolationMode {mode!r}; "
        "ServiceTag rules apply only under 'AllowOnlyApprovedOutbound'",
    ]


def test_private_endpoint_rules_apply_under_internet_outbound() -> None:
    props = {"managedNetwork": {"isolationMode": "AllowInternetOutbound", "outboundRules": {"data": PE_RULE}}}
    assert violations(NET_014, WORKSPACE, props) == []


@pytest.mark.parametrize(("rule", "twin"), [("pypi", FQDN), ("monitor", SERVICE_TAG), ("data", PE_RULE)])
def test_two_rules_with_the_same_destination_fail(rule: str, twin: dict[str, Any]) -> None:
    assert violations(NET_014, WORKSPACE, _outbound(zz=twin)) == [
        f"[AML-NET-014] managedNetwork.outboundRules.zz has the same destination as rule {rule!r}"
    ]


def test_same_destination_in_another_key_order_fails() -> None:
    twin = copy.deepcopy(SERVICE_TAG)
    twin["destination"] = dict(reversed(list(twin["destination"].items())))
    assert violations(NET_014, WORKSPACE, _outbound(zz=twin)) == [
        "[AML-NET-014] managedNetwork.outboundRules.zz has the same destination as rule 'monitor'"
    ]


def test_destinations_differing_in_a_nested_list_are_distinct() -> None:
    other = copy.deepcopy(SERVICE_TAG)
    other["destination"]["addressPrefixes"] = ["10.0.1.0/24"]
    other_pe = copy.deepcopy(PE_RULE)
    other_pe["destination"]["fqdns"] = ["st.file.core.windows.net"]
    assert violations(NET_014, WORKSPACE, _outbound(zz=other, yy=other_pe)) == []
