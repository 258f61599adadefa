"""The stack's ``managedNetwork`` section, as the workspace's ``ManagedNetworkSettings`` reads it: one rule type
with a ``type``, isolation mode, provisioning and firewall SKU, validated with errors naming the config key.

The stack config composes this type under ``managedNetwork``; here it is checked at its own level, so keys read
``hardened-aml:outboundRules.0.ports`` (in a stack: ``hardened-aml:managedNetwork.outboundRules.0.ports``)."""

from __future__ import annotations

from typing import Any

import pytest

from hardened_aml.errors import InvalidInputError
from hardened_aml.inputs import checked
from hardened_aml.workspace import (
    FirewallSku,
    IsolationMode,
    ManagedNetworkSettings,
    NetworkProvisioning,
    OutboundProtocol,
    OutboundRuleType,
    rule_with_defaults,
)

ST_ID = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stdata"


def _config(**managed_network: Any) -> ManagedNetworkSettings:
    return checked(ManagedNetworkSettings, managed_network, "hardened-aml", config=True)


def test_defaults_are_the_secure_ones() -> None:
    assert _config() == {
        "isolation_mode": IsolationMode.ALLOW_ONLY_APPROVED_OUTBOUND,
        "provisioning": NetworkProvisioning.WITH_WORKSPACE,
        "firewall_sku": FirewallSku.STANDARD,
        "outbound_rules": [],
    }


def test_rules_are_parsed_into_the_workspaces_typed_rules() -> None:
    settings = _config(
        firewallSku="Basic",
        provisioning="OnFirstCompute",
        outboundRules=[
            {"type": "FQDN", "name": "pypi", "destination": "pypi.org", "ports": [443]},
            {"type": "ServiceTag", "name": "monitor", "serviceTag": "AzureMonitor"},
            {"type": "PrivateEndpoint", "name": "data", "serviceResourceId": ST_ID, "subresourceTarget": "blob"},
        ],
    )
    assert settings["isolation_mode"] is IsolationMode.ALLOW_ONLY_APPROVED_OUTBOUND
    assert settings["firewall_sku"] is FirewallSku.BASIC
    assert settings["provisioning"] is NetworkProvisioning.ON_FIRST_COMPUTE
    fqdn, tag, pe = settings["outbound_rules"]
    assert fqdn == {
        "type": OutboundRuleType.FQDN,
        "name": "pypi",
        "destination": "pypi.org",
        "ports": [443],
        "unsafe_broad_egress": False,
    }
    assert pe == {
        "type": OutboundRuleType.PRIVATE_ENDPOINT,
        "name": "data",
        "service_resource_id": ST_ID,
        "subresource_target": "blob",
        "unsafe_broad_egress": False,
    }
    # Defaults that depend on the type are the component's: TCP and 443 for a service tag, [443] for an FQDN.
    assert rule_with_defaults(tag) == {
        "type": OutboundRuleType.SERVICE_TAG,
        "name": "monitor",
        "service_tag": "AzureMonitor",
        "protocol": OutboundProtocol.TCP,
        "port_ranges": "443",
        "unsafe_broad_egress": False,
    }
    assert rule_with_defaults({"type": OutboundRuleType.FQDN, "name": "f", "destination": "a.org"})["ports"] == [443]


@pytest.mark.parametrize(
    ("managed_network", "key", "value", "allowed"),
    [
        (
            {"outboundRules": [{"type": "FQDN", "name": "pypi", "destination": "pypi.org", "ports": [8080]}]},
            "hardened-aml:outboundRules.0.ports",
            [8080],
            "ports 80 and/or 443 (FQDN rules allow no others)",
        ),
        (
            {"outboundRules": [{"type": "Web", "name": "x"}]},
            "hardened-aml:outboundRules.0.type",
            "Web",
            "one of PrivateEndpoint, ServiceTag, FQDN",
        ),
        (
            {"outboundRules": [{"type": "ServiceTag", "name": "m", "serviceTag": "AzureMonitor", "port": 1}]},
            "hardened-aml:outboundRules.0.port",
            1,
            "one of type, name, serviceResourceId, subresourceTarget, serviceTag, protocol, portRanges, "
            "destination, ports, unsafeBroadEgress",
        ),
        (
            {"outboundRules": [{"type": "ServiceTag", "name": "m", "serviceTag": "AzureMonitor", "ports": [443]}]},
            "hardened-aml:outboundRules.0.ports",
            [443],
            "no ports in a ServiceTag rule (it takes service_tag, protocol, port_ranges)",
        ),
        (
            {"outboundRules": [{"type": "ServiceTag", "name": "m", "serviceTag": "X", "protocol": "SCTP"}]},
            "hardened-aml:outboundRules.0.protocol",
            "SCTP",
            "one of TCP, UDP, ICMP, *",
        ),
        (
            {
                "outboundRules": [
                    {"type": "PrivateEndpoint", "name": "p", "serviceResourceId": "st", "subresourceTarget": "blob"}
                ]
            },
            "hardened-aml:outboundRules.0.serviceResourceId",
            "st",
            "an ARM resource id: /subscriptions/<id>/resourceGroups/<name>/providers/...",
        ),
        (
            {
                "isolationMode": "AllowInternetOutbound",
                "outboundRules": [{"type": "FQDN", "name": "f", "destination": "a.org"}],
            },
            "hardened-aml:outboundRules.0.type",
            "FQDN",
            "FQDN and service-tag rules only under AllowOnlyApprovedOutbound "
            "(the isolation mode is AllowInternetOutbound)",
        ),
        (
            {"isolationMode": "Open"},
            "hardened-aml:isolationMode",
            "Open",
            "one of AllowOnlyApprovedOutbound, AllowInternetOutbound",
        ),
        ({"firewallSku": "Premium"}, "hardened-aml:firewallSku", "Premium", "one of Standard, Basic"),
        ({"provisioning": "Later"}, "hardened-aml:provisioning", "Later", "one of WithWorkspace, OnFirstCompute"),
    ],
)
def test_bad_managed_network_config_names_the_key(
    managed_network: dict[str, Any], key: str, value: object, allowed: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        _config(**managed_network)
    assert (caught.value.key, caught.value.value, caught.value.allowed) == (key, value, allowed)


@pytest.mark.parametrize(
    ("rule", "key", "value"),
    [
        ({"type": "ServiceTag", "name": "r", "serviceTag": "Internet"}, "serviceTag", "Internet"),
        ({"type": "ServiceTag", "name": "r", "serviceTag": "azurecloud"}, "serviceTag", "azurecloud"),
        (
            {"type": "ServiceTag", "name": "r", "serviceTag": "AzureCloud.westeurope"},
            "serviceTag",
            "AzureCloud.westeurope",
        ),
        (
            {"type": "ServiceTag", "name": "r", "serviceTag": "AzureMonitor", "protocol": "*", "portRanges": "0-65535"},
            "portRanges",
            "0-65535",
        ),
        (
            {"type": "ServiceTag", "name": "r", "serviceTag": "Storage", "protocol": "*", "portRanges": "*"},
            "portRanges",
            "*",
        ),
    ],
)
def test_broad_egress_is_refused_unless_asked_for_by_name(rule: dict[str, Any], key: str, value: str) -> None:
    """AML-NET-014: a rule to the whole internet or every Azure service undoes approved outbound."""
    with pytest.raises(InvalidInputError) as caught:
        _config(outboundRules=[rule])
    assert (caught.value.key, caught.value.value) == (f"hardened-aml:outboundRules.0.{key}", value)
    assert "unsafeBroadEgress" in caught.value.allowed
    accepted = _config(outboundRules=[{**rule, "unsafeBroadEgress": True}])
    assert accepted["outbound_rules"][0]["unsafe_broad_egress"] is True


def test_narrow_rules_need_no_acknowledgement() -> None:
    rules = [
        {"type": "ServiceTag", "name": "mon", "serviceTag": "AzureMonitor"},
        {"type": "ServiceTag", "name": "any", "serviceTag": "Storage", "protocol": "*", "portRanges": "443"},
        {"type": "FQDN", "name": "pypi", "destination": "*.pypi.org"},
    ]
    assert len(_config(outboundRules=rules)["outbound_rules"]) == 3


def test_broad_egress_is_refused_in_production_even_by_name() -> None:
    from hardened_aml.settings import parse

    with pytest.raises(InvalidInputError) as caught:
        parse(
            {
                "environment": "production",
                "workload": "haml",
                "location": "westeurope",
                "tags": {"team": "t", "costCentre": "c"},
                "governance": {"allowedPythonIndexes": ["https://pypi.org/simple"]},
                "managedNetwork": {
                    "outboundRules": [
                        {"type": "ServiceTag", "name": "r", "serviceTag": "Internet", "unsafeBroadEgress": True}
                    ]
                },
            }
        )
    assert caught.value.key == "hardened-aml:managedNetwork.outboundRules.0.serviceTag"
    assert "in production" in caught.value.allowed
