"""The inference-egress rules: AKS outbound type (AML-AKS-025), the inference namespace's default network policy
(AML-AKS-026) and default routes (AML-NET-019). One compliant resource each, one change per case."""

from __future__ import annotations

from typing import Any

import pytest

from aml_policies import aks, network
from aml_policies.core import ResourceRule
from tests.policies.harness import DELETE, applies, changed, violations

CLUSTER_TOKEN = "azure-native:containerservice:ManagedCluster"
NAMESPACE_TOKEN = "azure-native:containerservice:ManagedNamespace"
TABLE_TOKEN = "azure-native:network:RouteTable"
ROUTE_TOKEN = "azure-native:network:Route"

RULES = {rule.policy_name: rule for rule in (*aks.RULES, *network.RULES) if isinstance(rule, ResourceRule)}
EGRESS = RULES["aml-aks-025-private-egress"]
NAMESPACE = RULES["aml-aks-026-namespace-default-deny"]
TABLE = RULES["aml-net-019-route-table-default-route"]
ROUTE = RULES["aml-net-019-route-default-route"]

CLUSTER: dict[str, Any] = {"networkProfile": {"networkPlugin": "azure", "outboundType": "userAssignedNATGateway"}}
MANAGED_NAMESPACE: dict[str, Any] = {
    "managedNamespaceName": "inference",
    "properties": {"defaultNetworkPolicy": {"ingress": "DenyAll", "egress": "DenyAll"}},
}
TABLE_PROPS: dict[str, Any] = {
    "routes": [
        {"name": "onprem", "addressPrefix": "192.168.0.0/16", "nextHopType": "VirtualNetworkGateway"},
        {
            "name": "default-to-firewall",
            "addressPrefix": "0.0.0.0/0",
            "nextHopType": "VirtualAppliance",
            "nextHopIpAddress": "10.0.1.4",
        },
    ]
}
ROUTE_PROPS: dict[str, Any] = {
    "routeTableName": "rt",
    "addressPrefix": "0.0.0.0/0",
    "nextHopType": "VirtualAppliance",
    "nextHopIpAddress": "10.0.1.4",
}

FIX = "use userAssignedNATGateway (a NAT gateway on the subnet) or userDefinedRouting (a route to your firewall)"
OUT = "networkProfile.outboundType"


def test_each_rule_judges_its_own_type_only() -> None:
    assert applies(EGRESS, CLUSTER_TOKEN, CLUSTER)
    assert applies(NAMESPACE, NAMESPACE_TOKEN, MANAGED_NAMESPACE)
    assert applies(TABLE, TABLE_TOKEN, TABLE_PROPS)
    assert applies(ROUTE, ROUTE_TOKEN, ROUTE_PROPS)
    assert not applies(EGRESS, NAMESPACE_TOKEN, MANAGED_NAMESPACE)
    assert not applies(TABLE, ROUTE_TOKEN, ROUTE_PROPS)
    # versioned tokens are the same types
    assert applies(EGRESS, "azure-native:containerservice/v20240801:ManagedCluster", CLUSTER)
    assert applies(TABLE, "azure-native:network/v20230201:RouteTable", TABLE_PROPS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("userAssignedNATGateway", []),
        ("USERDEFINEDROUTING", []),  # enums are read ignoring case
        ("managedNATGateway", []),
        ("managedNATGatewayV2", []),
        ("block", []),
        (DELETE, [f"{OUT} is not set, so Azure uses 'loadBalancer': egress through a public load balancer; {FIX}"]),
        ("loadBalancer", [f"{OUT} is 'loadBalancer': egress through the cluster's public load balancer; {FIX}"]),
        ("LoadBalancer", [f"{OUT} is 'LoadBalancer': egress through the cluster's public load balancer; {FIX}"]),
        ("natGateway", [f"{OUT} is 'natGateway', which is not a known outbound type; {FIX}"]),
        (
            "none",
            [
                f"{OUT} is 'none' outside a network-isolated cluster (bootstrapProfile.artifactSource 'Cache'): the "
                f"nodes follow the VM default outbound access; {FIX}"
            ],
        ),
        (3, [f"{OUT} is unreadable: expected a string, got the number 3"]),
    ],
)
def test_outbound_type(value: Any, expected: list[str]) -> None:
    found = violations(EGRESS, CLUSTER_TOKEN, changed(CLUSTER, OUT, value))
    assert [m.removeprefix("[AML-AKS-025] ") for m in found] == expected


def test_outbound_none_passes_only_on_a_network_isolated_cluster() -> None:
    none = changed(CLUSTER, OUT, "none")
    assert violations(EGRESS, CLUSTER_TOKEN, changed(none, "bootstrapProfile.artifactSource", "cache")) == []
    assert violations(EGRESS, CLUSTER_TOKEN, changed(none, "bootstrapProfile.artifactSource", "Direct")) != []


def test_a_cluster_without_a_network_profile_fails() -> None:
    assert violations(EGRESS, CLUSTER_TOKEN, {}) == [
        f"[AML-AKS-025] {OUT} is not set, so Azure uses 'loadBalancer': egress through a public load balancer; {FIX}"
    ]


NS_IN = "properties.defaultNetworkPolicy.ingress"
NS_OUT = "properties.defaultNetworkPolicy.egress"


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (NS_IN, "AllowSameNamespace", []),
        (NS_OUT, "allowsamenamespace", []),
        (NS_IN, DELETE, []),  # Azure's default ingress is AllowSameNamespace
        (
            NS_OUT,
            DELETE,
            [
                f"{NS_OUT} is not set (Azure's default is 'AllowAll'); it must be one of 'DenyAll', "
                "'AllowSameNamespace' (no traffic to other namespaces or outside the cluster unless a NetworkPolicy "
                "allows it)"
            ],
        ),
        (
            NS_IN,
            "AllowAll",
            [
                f"{NS_IN} is 'AllowAll'; it must be one of 'DenyAll', 'AllowSameNamespace' (no traffic from other "
                "namespaces unless a NetworkPolicy allows it)"
            ],
        ),
    ],
)
def test_namespace_default_policy(path: str, value: Any, expected: list[str]) -> None:
    found = violations(NAMESPACE, NAMESPACE_TOKEN, changed(MANAGED_NAMESPACE, path, value))
    assert [m.removeprefix("[AML-AKS-026] ") for m in found] == expected


def test_a_namespace_without_a_default_policy_fails_on_egress_only() -> None:
    found = violations(NAMESPACE, NAMESPACE_TOKEN, {"managedNamespaceName": "inference", "properties": {}})
    assert len(found) == 1 and NS_OUT in found[0]


HOPS = "VirtualAppliance, VirtualNetworkGateway, None"


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("routes.1.nextHopType", "virtualappliance", []),
        ("routes.1.nextHopType", "VirtualNetworkGateway", []),  # forced tunnelling
        ("routes.1.nextHopType", "None", []),
        ("routes.0.nextHopType", "Internet", []),  # not the default route: not judged
        (
            "routes.1.nextHopType",
            "Internet",
            [
                f"routes[1].nextHopType is 'Internet' on the default route 0.0.0.0/0; it must be one of {HOPS} (a "
                "firewall, or forced tunnelling), never straight to the internet"
            ],
        ),
        (
            "routes.1.nextHopType",
            DELETE,
            [f"routes[1].nextHopType is not set on the default route 0.0.0.0/0; it must be one of {HOPS}"],
        ),
        (
            "routes.1.nextHopIpAddress",
            DELETE,
            ["routes[1].nextHopIpAddress is not set; a VirtualAppliance hop needs the appliance's IPv4 address"],
        ),
        (
            "routes.1.nextHopIpAddress",
            "firewall",
            ["routes[1].nextHopIpAddress is 'firewall'; a VirtualAppliance hop needs the appliance's IPv4 address"],
        ),
        (
            "routes.1.addressPrefix",
            "0.0.0.0/00",  # the same default route, written differently
            [],
        ),
    ],
)
def test_route_table_default_route(path: str, value: Any, expected: list[str]) -> None:
    found = violations(TABLE, TABLE_TOKEN, changed(TABLE_PROPS, path, value))
    assert [m.removeprefix("[AML-NET-019] ") for m in found] == expected


def test_a_default_route_written_another_way_is_still_judged() -> None:
    props = changed(changed(TABLE_PROPS, "routes.1.addressPrefix", " 0.0.0.0/0 "), "routes.1.nextHopType", "Internet")
    assert len(violations(TABLE, TABLE_TOKEN, props)) == 1


def test_a_route_table_entry_of_the_wrong_shape_is_unreadable() -> None:
    found = violations(TABLE, TABLE_TOKEN, {"routes": ["0.0.0.0/0"]})
    assert found and found[0].startswith("[AML-NET-019] routes[0] is unreadable")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("VirtualAppliance", []),
        ("internet", ["nextHopType is 'internet' on the default route 0.0.0.0/0"]),
        ("VnetLocal", ["nextHopType is 'VnetLocal' on the default route 0.0.0.0/0"]),
    ],
)
def test_standalone_default_route(value: str, expected: list[str]) -> None:
    found = violations(ROUTE, ROUTE_TOKEN, changed(ROUTE_PROPS, "nextHopType", value))
    assert len(found) == len(expected)
    for message, start in zip(found, expected, strict=True):
        assert message.removeprefix("[AML-NET-019] ").startswith(start)
