"""The container registry rules (``aml_policies.registry``): one compliant registry, one change per case."""

from __future__ import annotations

from typing import Any

import pytest

from aml_policies import registry
from aml_policies.core import ResourceRule, StackRule, type_key
from tests.policies.harness import DELETE, applies, changed, remediated, run_stack, stack_resource, violations

TOKEN = "azure-native:containerregistry:Registry"
VERSIONED = "azure-native:containerregistry/v20230101preview:Registry"

REGISTRY: dict[str, Any] = {
    "registryName": "acr",
    "sku": {"name": "Premium"},
    "adminUserEnabled": False,
    "anonymousPullEnabled": False,
    "publicNetworkAccess": "Disabled",
    "networkRuleSet": {"defaultAction": "Deny"},
    "zoneRedundancy": "Enabled",
    "policies": {"retentionPolicy": {"status": "enabled", "days": 7}, "exportPolicy": {"status": "disabled"}},
    "identity": {"type": "UserAssigned", "userAssignedIdentities": {"/subscriptions/s/resourceGroups/rg/id-cmk": {}}},
    "encryption": {
        "status": "enabled",
        "keyVaultProperties": {"keyIdentifier": "https://kv.vault.azure.net/keys/cmk", "identity": "client-id"},
    },
}

RULES = {
    rule.policy_name: rule
    for rule in registry.RULES
    if isinstance(rule, ResourceRule) and rule.types == registry.REGISTRY
}


@pytest.mark.parametrize("token", [TOKEN, VERSIONED, "azure-native:containerregistry/v20250401:Registry"])
def test_happy_registry_passes_every_rule(token: str) -> None:
    for rule in RULES.values():
        assert applies(rule, token, REGISTRY), rule.policy_name
        assert violations(rule, token, REGISTRY) == [], rule.policy_name


def test_the_ml_registry_is_not_a_container_registry() -> None:
    """``machinelearningservices:Registry`` shares the kind name but not the module."""
    for rule in RULES.values():
        assert not applies(rule, "azure-native:machinelearningservices:Registry", REGISTRY)


CASES = [
    # AML-ENC-008
    (
        "aml-enc-008-registry-customer-managed-key",
        "encryption.status",
        "disabled",
        [
            "[AML-ENC-008] encryption.status is 'disabled'; it must be 'enabled' (a customer-managed key in Key "
            "Vault (built-in 5b9159ae); settable only when the registry is created)"
        ],
    ),
    ("aml-enc-008-registry-customer-managed-key", "encryption.status", "Enabled", []),
    (
        "aml-enc-008-registry-customer-managed-key",
        "encryption",
        DELETE,
        [
            "[AML-ENC-008] encryption.status is not set; Azure's default is 'disabled': set it to 'enabled' (a "
            "customer-managed key in Key Vault (built-in 5b9159ae); settable only when the registry is created)",
            "[AML-ENC-008] encryption.keyVaultProperties.keyIdentifier is not set (the key)",
            "[AML-ENC-008] encryption.keyVaultProperties.identity is not set (the client id of the identity that "
            "reads the key)",
        ],
    ),
    (
        "aml-enc-008-registry-customer-managed-key",
        "encryption.keyVaultProperties.identity",
        "",
        [
            "[AML-ENC-008] encryption.keyVaultProperties.identity is not set (the client id of the identity that "
            "reads the key)"
        ],
    ),
    (
        "aml-enc-008-registry-customer-managed-key",
        "encryption.keyVaultProperties",
        ["https://kv.vault.azure.net/keys/cmk"],
        ["[AML-ENC-008] encryption.keyVaultProperties is unreadable: expected an object, got a list"],
    ),
    # AML-NET-007
    (
        "aml-net-007-registry-private-access",
        "publicNetworkAccess",
        "Enabled",
        ["[AML-NET-007] publicNetworkAccess is 'Enabled'; it must be 'Disabled'"],
    ),
    (
        "aml-net-007-registry-private-access",
        "publicNetworkAccess",
        DELETE,
        ["[AML-NET-007] publicNetworkAccess is not set; Azure's default is insecure: set it to 'Disabled'"],
    ),
    (
        "aml-net-007-registry-private-access",
        "networkRuleSet.defaultAction",
        "Allow",
        ["[AML-NET-007] networkRuleSet.defaultAction is 'Allow'; it must be 'Deny'"],
    ),
    (
        "aml-net-007-registry-private-access",
        "networkRuleSet",
        DELETE,
        ["[AML-NET-007] networkRuleSet.defaultAction is not set; Azure's default is insecure: set it to 'Deny'"],
    ),
    # AML-IAM-005
    (
        "aml-iam-005-registry-no-admin-or-anonymous-pull",
        "adminUserEnabled",
        True,
        ["[AML-IAM-005] adminUserEnabled is True; it must not be (use Entra identities, not the shared admin account)"],
    ),
    ("aml-iam-005-registry-no-admin-or-anonymous-pull", "adminUserEnabled", DELETE, []),
    (
        "aml-iam-005-registry-no-admin-or-anonymous-pull",
        "anonymousPullEnabled",
        True,
        ["[AML-IAM-005] anonymousPullEnabled is True; it must not be (every pull is authenticated)"],
    ),
    ("aml-iam-005-registry-no-admin-or-anonymous-pull", "anonymousPullEnabled", DELETE, []),
    # AML-REL-002
    (
        "aml-rel-002-registry-premium-zone-redundant",
        "sku.name",
        "Standard",
        ["[AML-REL-002] sku.name is 'Standard'; it must be 'Premium'"],
    ),
    (
        "aml-rel-002-registry-premium-zone-redundant",
        "sku",
        DELETE,
        ["[AML-REL-002] sku.name is not set; Azure's default is insecure: set it to 'Premium'"],
    ),
    (
        "aml-rel-002-registry-premium-zone-redundant",
        "zoneRedundancy",
        "Disabled",
        ["[AML-REL-002] zoneRedundancy is 'Disabled'; it must be 'Enabled'"],
    ),
    (
        "aml-rel-002-registry-premium-zone-redundant",
        "zoneRedundancy",
        DELETE,
        ["[AML-REL-002] zoneRedundancy is not set; Azure's default is 'Disabled': set it to 'Enabled'"],
    ),
    # AML-DAT-004
    (
        "aml-dat-004-registry-retention-policy",
        "policies.retentionPolicy.status",
        "disabled",
        [
            "[AML-DAT-004] policies.retentionPolicy.status is 'disabled'; it must be 'enabled' (untagged manifests "
            "are purged)"
        ],
    ),
    (
        "aml-dat-004-registry-retention-policy",
        "policies",
        DELETE,
        [
            "[AML-DAT-004] policies.retentionPolicy.status is not set; Azure's default is insecure: set it to "
            "'enabled' (untagged manifests are purged)"
        ],
    ),
    # AML-DAT-005
    (
        "aml-dat-005-registry-exports-disabled",
        "policies.exportPolicy.status",
        "enabled",
        [
            "[AML-DAT-005] policies.exportPolicy.status is 'enabled'; it must be 'disabled' (no artifact export "
            "around the private endpoint)"
        ],
    ),
    (
        "aml-dat-005-registry-exports-disabled",
        "policies.exportPolicy",
        DELETE,
        [
            "[AML-DAT-005] policies.exportPolicy.status is not set; Azure's default is 'enabled': set it to "
            "'disabled' (no artifact export around the private endpoint)"
        ],
    ),
]


@pytest.mark.parametrize(("policy", "path", "value", "expected"), CASES)
def test_one_change(policy: str, path: str, value: Any, expected: list[str]) -> None:
    assert violations(RULES[policy], TOKEN, changed(REGISTRY, path, value)) == expected


def test_a_basic_registry_fails_both_halves_of_rel_002() -> None:
    props = changed(changed(REGISTRY, "sku.name", "Basic"), "zoneRedundancy", DELETE)
    assert violations(RULES["aml-rel-002-registry-premium-zone-redundant"], TOKEN, props) == [
        "[AML-REL-002] sku.name is 'Basic'; it must be 'Premium'",
        "[AML-REL-002] zoneRedundancy is not set; Azure's default is 'Disabled': set it to 'Enabled'",
    ]


def test_versioned_token_is_judged() -> None:
    assert type_key(VERSIONED) == "containerregistry:Registry"
    assert violations(
        RULES["aml-iam-005-registry-no-admin-or-anonymous-pull"], VERSIONED, changed(REGISTRY, "adminUserEnabled", True)
    ) == ["[AML-IAM-005] adminUserEnabled is True; it must not be (use Entra identities, not the shared admin account)"]


REMEDIATIONS = [
    ("aml-net-007-registry-private-access", "publicNetworkAccess", "Enabled", "Disabled"),
    ("aml-net-007-registry-private-access", "networkRuleSet.defaultAction", DELETE, "Deny"),
    ("aml-iam-005-registry-no-admin-or-anonymous-pull", "adminUserEnabled", True, False),
    ("aml-iam-005-registry-no-admin-or-anonymous-pull", "anonymousPullEnabled", True, False),
]


@pytest.mark.parametrize(("policy", "path", "bad", "good"), REMEDIATIONS)
def test_remediation(policy: str, path: str, bad: Any, good: Any) -> None:
    rule = RULES[policy]
    fixed = remediated(rule, TOKEN, changed(REGISTRY, path, bad))
    assert fixed == changed(REGISTRY, path, good)
    assert violations(rule, TOKEN, fixed) == []
    assert remediated(rule, TOKEN, REGISTRY) is None


def test_rules_without_a_safe_fix_have_none() -> None:
    # Moving to Premium changes the bill, and a retention policy deletes manifests: neither is automatic.
    assert RULES["aml-rel-002-registry-premium-zone-redundant"].remediate is None
    assert RULES["aml-dat-004-registry-retention-policy"].remediate is None
    # "disabled" is accepted only with public network access disabled on Premium: not an automatic fix.
    assert RULES["aml-dat-005-registry-exports-disabled"].remediate is None


# --- geo-replication (AML-REL-010, AML-REL-012) -------------------------------------------------------------------
REPLICATION_T = "azure-native:containerregistry:Replication"
REPLICA: dict[str, Any] = {
    "registryName": "acr",
    "resourceGroupName": "rg",
    "location": "northeurope",
    "zoneRedundancy": "Enabled",
    "regionEndpointEnabled": True,
}
(REPLICA_RULE,) = [r for r in registry.RULES if isinstance(r, ResourceRule) and r.types == registry.REPLICATION]
(REPLICATED,) = [r for r in registry.RULES if isinstance(r, StackRule)]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("zoneRedundancy", "enabled", []),  # enums compare ignoring case
        ("regionEndpointEnabled", DELETE, []),  # Azure's default is true
        ("regionEndpointEnabled", "True", []),
        (
            "zoneRedundancy",
            DELETE,
            [
                "[AML-REL-012] zoneRedundancy is not set; Azure's default is 'Disabled': set it to 'Enabled' (fixed "
                "when the replica is created)"
            ],
        ),
        (
            "regionEndpointEnabled",
            "false",
            [
                "[AML-REL-012] regionEndpointEnabled is 'false'; it must be True (a replica whose endpoint is off "
                "serves no pulls)"
            ],
        ),
        ("zoneRedundancy", ["Enabled"], ["[AML-REL-012] zoneRedundancy is unreadable: expected a string, got a list"]),
    ],
)
def test_replica_rule(path: str, value: Any, expected: list[str]) -> None:
    assert violations(REPLICA_RULE, REPLICATION_T, changed(REPLICA, path, value)) == expected


def _registry(environment: str = "production", location: str = "westeurope") -> Any:
    return stack_resource(
        TOKEN,
        "acr",
        {"registryName": "acr", "resourceGroupName": "rg", "location": location, "tags": {"environment": environment}},
    )


def _replica(registry_resource: Any, location: str, name: str = "acr-replica") -> Any:
    return stack_resource(
        REPLICATION_T, name, {**REPLICA, "location": location}, deps={"registryName": [registry_resource]}
    )


def test_a_production_registry_with_a_replica_elsewhere_passes() -> None:
    acr = _registry()
    assert run_stack(REPLICATED, acr, _replica(acr, "North Europe")) == []  # display names read as ARM reads them


def test_a_registry_named_by_its_literal_name_is_related() -> None:
    acr = _registry()
    replica = stack_resource(REPLICATION_T, "replica", REPLICA)  # registryName "acr" written out, same group
    assert run_stack(REPLICATED, acr, replica) == []


@pytest.mark.parametrize("replicas", [(), ("westeurope",), ("WestEurope",)])
def test_a_production_registry_without_a_replica_elsewhere_fails(replicas: tuple[str, ...]) -> None:
    acr = _registry()
    found = run_stack(REPLICATED, acr, *(_replica(acr, r, f"replica-{i}") for i, r in enumerate(replicas)))
    assert found == [
        (
            "production container registry 'acr' (westeurope) has no geo-replica in another region; images are lost "
            "with its region and the DR workspace cannot pull them: add a containerregistry:Replication in the "
            "paired region",
            acr.urn,
        )
    ]


def test_a_replica_of_another_registry_does_not_count() -> None:
    acr, other = _registry(), stack_resource(TOKEN, "other", {"registryName": "other", "location": "westeurope"})
    assert len(run_stack(REPLICATED, acr, other, _replica(other, "northeurope"))) == 1


def test_only_production_registries_are_judged() -> None:
    assert run_stack(REPLICATED, _registry("exploration")) == []
    assert run_stack(REPLICATED, _registry("Production")) != []  # the tag's value compared ignoring case


def test_an_unreadable_location_is_a_violation_not_a_crash() -> None:
    from aml_policies.core import Stack, failing_closed

    found = list(failing_closed(REPLICATED.check(Stack([_registry(location="")]), {})))
    assert found == ["location is unreadable: expected a region name, got the string ''"]
