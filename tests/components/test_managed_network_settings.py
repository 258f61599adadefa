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
    assert fqdn == {"type": OutboundRuleType.FQDN, "name": "pypi", "destination": "pypi.org", "ports": [443]}
    assert pe == {
        "type": OutboundRuleType.PRIVATE_ENDPOINT,
        "name": "data",
        "service_resource_id": ST_ID,
        "subresource_target": "blob",
    }
    # Defaults that depend on the type are the component's: TCP and 443 for a service tag, [443] for an FQDN.
    assert rule_with_defaults(tag) == {
        "type": OutboundRuleType.SERVICE_TAG,
        "name": "monitor",
        "service_tag": "AzureMonitor",
        "protocol": OutboundProtocol.TCP,
        "port_ranges": "443",
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
            "destination, ports",
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
