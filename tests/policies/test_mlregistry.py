"""The Azure ML registry rules (``aml_policies.mlregistry``): one compliant registry, one change per case."""

from __future__ import annotations

from typing import Any

import pytest

from aml_policies import mlregistry
from aml_policies.core import ResourceRule, StackRule
from tests.policies.harness import DELETE, applies, changed, run_stack, stack_resource, violations

TOKEN = "azure-native:machinelearningservices:Registry"
REGISTRY_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/registries/mlr"


def _region(location: str) -> dict[str, Any]:
    return {
        "location": location,
        "acrDetails": [{"systemCreatedAcrAccount": {"acrAccountSku": "Premium"}}],
        "storageAccountDetails": [
            {"systemCreatedStorageAccount": {"storageAccountType": "Standard_ZRS", "allowBlobPublicAccess": False}}
        ],
    }


REGISTRY: dict[str, Any] = {
    "registryName": "mlr",
    "location": "westeurope",
    "publicNetworkAccess": "Disabled",
    "regionDetails": [_region("westeurope"), _region("northeurope")],
    "identity": {"type": "SystemAssigned"},
    "tags": {"environment": "production"},
}
RULES = {r.control: r for r in mlregistry.RULES if isinstance(r, ResourceRule)}
(PRIVATE_ENDPOINT_RULE,) = [r for r in mlregistry.RULES if isinstance(r, StackRule)]
BLOB = "regionDetails.1.storageAccountDetails.0.systemCreatedStorageAccount.allowBlobPublicAccess"


def test_happy_registry_passes() -> None:
    for rule in RULES.values():
        assert applies(rule, TOKEN, REGISTRY) and violations(rule, TOKEN, REGISTRY) == []
        assert not applies(rule, "azure-native:containerregistry:Registry", REGISTRY)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("publicNetworkAccess", "disabled", []),
        (BLOB, "false", []),
        (
            "publicNetworkAccess",
            DELETE,
            [
                "[AML-NET-017] publicNetworkAccess is not set; Azure's default is 'Enabled': set it to 'Disabled' (a "
                "registry is created public)"
            ],
        ),
        (
            "publicNetworkAccess",
            "Enabled",
            ["[AML-NET-017] publicNetworkAccess is 'Enabled'; it must be 'Disabled' (a registry is created public)"],
        ),
        (
            BLOB,
            True,
            [f"[AML-NET-017] {BLOB} is True; it must be false (no anonymous reads of the registry's assets)"],
        ),
        (
            BLOB,
            DELETE,
            [
                f"[AML-NET-017] {BLOB} is not set; the registry's storage account may allow public blob access: set "
                "it to false"
            ],
        ),
        (BLOB, {"x": 1}, [f"[AML-NET-017] {BLOB} is unreadable: expected a boolean, got an object"]),
        (
            "regionDetails",
            "westeurope",
            ["[AML-NET-017] regionDetails is unreadable: expected a list, got the string 'westeurope'"],
        ),
    ],
)
def test_private_access(path: str, value: Any, expected: list[str]) -> None:
    assert violations(RULES["AML-NET-017"], TOKEN, changed(REGISTRY, path, value)) == expected


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("regionDetails.1.location", "North Europe", []),
        (
            "regionDetails.1.location",
            "West Europe",
            [
                "[AML-REL-011] regionDetails spans 1 region(s) (westeurope); a production registry spans at least 2, "
                "its own and the disaster-recovery region, so models and environments survive the loss of one"
            ],
        ),
        (
            "regionDetails",
            DELETE,
            [
                "[AML-REL-011] regionDetails spans 0 region(s) (none); a production registry spans at least 2, its "
                "own and the disaster-recovery region, so models and environments survive the loss of one"
            ],
        ),
        (
            "regionDetails.0.location",
            DELETE,
            ["[AML-REL-011] regionDetails.0.location is unreadable: expected a region name, got nothing"],
        ),
    ],
)
def test_production_regions(path: str, value: Any, expected: list[str]) -> None:
    assert violations(RULES["AML-REL-011"], TOKEN, changed(REGISTRY, path, value)) == expected


def test_a_registry_outside_production_may_span_one_region() -> None:
    single = changed(changed(REGISTRY, "tags.environment", "exploration"), "regionDetails", [_region("westeurope")])
    assert not applies(RULES["AML-REL-011"], TOKEN, single)


# --- the private endpoint (AML-NET-018) ---------------------------------------------------------------------------
def _stack(group: str = "amlregistry", zone: str = "privatelink.api.azureml.ms", by_id: bool = False) -> list[Any]:
    registry = stack_resource(TOKEN, "mlr", REGISTRY, arm_id=REGISTRY_ID)
    connection = {"privateLinkServiceId": REGISTRY_ID, "groupIds": [group]}
    endpoint = stack_resource(
        "azure-native:network:PrivateEndpoint",
        "pe-mlr",
        {"privateEndpointName": "pe-mlr", "privateLinkServiceConnections": [connection]},
        deps={} if by_id else {"privateLinkServiceConnections": [registry]},
    )
    zone_id = f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/{zone}"
    zone_group = stack_resource(
        "azure-native:network:PrivateDnsZoneGroup",
        "pe-mlr-dns",
        {"privateEndpointName": "pe-mlr", "privateDnsZoneConfigs": [{"name": "config0", "privateDnsZoneId": zone_id}]},
        deps={"privateEndpointName": [endpoint]},
    )
    return [registry, endpoint, zone_group]


@pytest.mark.parametrize("by_id", [False, True])
def test_a_registry_with_its_private_endpoint_passes(by_id: bool) -> None:
    assert run_stack(PRIVATE_ENDPOINT_RULE, *_stack(by_id=by_id)) == []


def test_a_registry_without_an_amlregistry_endpoint_fails() -> None:
    registry, endpoint, zone_group = _stack(group="amlworkspace")
    assert run_stack(PRIVATE_ENDPOINT_RULE, registry, endpoint, zone_group) == [
        (
            "Azure ML registry 'mlr' has no private endpoint with group id 'amlregistry'; with public access "
            "disabled nothing can reach it",
            registry.urn,
        )
    ]
    assert len(run_stack(PRIVATE_ENDPOINT_RULE, registry)) == 1


def test_an_endpoint_outside_the_registry_zone_fails() -> None:
    registry, endpoint, zone_group = _stack(zone="privatelink.azurecr.io")
    assert run_stack(PRIVATE_ENDPOINT_RULE, registry, endpoint, zone_group) == [
        (
            "private endpoint 'pe-mlr' of Azure ML registry 'mlr' has no DNS zone group entry for "
            "privatelink.api.azureml.ms; the registry's name would resolve to its public address",
            endpoint.urn,
        )
    ]
    assert len(run_stack(PRIVATE_ENDPOINT_RULE, registry, endpoint)) == 1
