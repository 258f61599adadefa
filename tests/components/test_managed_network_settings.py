"""The stack's ``managedNetwork`` section: typed outbound rules, isolation mode, provisioning and firewall SKU,
validated with errors naming the key, and carried to the workspace's inputs."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from hardened_aml.errors import InvalidInputError
from hardened_aml.program import estate_args
from hardened_aml.settings import parse
from hardened_aml.workspace import FirewallSku, FqdnRule, IsolationMode, ServiceTagRule
from tests.conftest import ROOT

DEV = ROOT / "stacks" / "Pulumi.dev.yaml"


def _dev(**managed_network: Any) -> dict[str, Any]:
    config = yaml.safe_load(DEV.read_text())["config"]
    values = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("hardened-aml:")}
    return {**values, "managedNetwork": managed_network}


def test_rules_are_parsed_into_the_workspaces_typed_rules() -> None:
    settings = parse(
        _dev(
            firewallSku="Basic",
            outboundRules=[
                {"type": "FQDN", "name": "pypi", "destination": "pypi.org", "ports": [443]},
                {"type": "ServiceTag", "name": "monitor", "serviceTag": "AzureMonitor"},
            ],
        )
    )
    args = estate_args(settings, "hardened-aml", "dev")
    assert args.isolation_mode is IsolationMode.ALLOW_ONLY_APPROVED_OUTBOUND
    assert args.firewall_sku is FirewallSku.BASIC
    assert args.outbound_rules == (
        FqdnRule(name="pypi", destination="pypi.org", ports=(443,)),
        ServiceTagRule(name="monitor", service_tag="AzureMonitor", protocol="TCP", port_ranges="443"),
    )


@pytest.mark.parametrize(
    ("managed_network", "key", "allowed"),
    [
        (
            {"outboundRules": [{"type": "FQDN", "name": "pypi", "destination": "pypi.org", "ports": [8080]}]},
            "hardened-aml:managedNetwork.outboundRules.0.ports.0",
            "80 or 443",
        ),
        (
            {"outboundRules": [{"type": "Web", "name": "x"}]},
            "hardened-aml:managedNetwork.outboundRules.0",
            "an object whose 'type' is one of 'PrivateEndpoint', 'ServiceTag', 'FQDN'",
        ),
        (
            {"outboundRules": [{"type": "ServiceTag", "name": "m", "serviceTag": "AzureMonitor", "port": 1}]},
            "hardened-aml:managedNetwork.outboundRules.0.port",
            "one of type, name, serviceTag, protocol, portRanges",
        ),
        ({"isolationMode": "Open"}, "hardened-aml:managedNetwork.isolationMode", "'AllowOnlyApprovedOutbound' or"),
        ({"firewallSku": "Premium"}, "hardened-aml:managedNetwork.firewallSku", "'Standard' or 'Basic'"),
    ],
)
def test_bad_managed_network_config_names_the_key(managed_network: dict[str, Any], key: str, allowed: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse(_dev(**managed_network))
    assert caught.value.key == key
    assert caught.value.allowed.startswith(allowed)
