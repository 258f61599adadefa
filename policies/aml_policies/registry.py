"""Rules for the container registry (``containerregistry:Registry``).

azure-native flattens the registry's properties. Names and enums: REST spec
``Microsoft.ContainerRegistry/preview/2023-01-01-preview/containerregistry.json`` (the version
pulumi-azure-native 3.29.0 uses): ``adminUserEnabled`` (default false), ``anonymousPullEnabled``,
``publicNetworkAccess`` Enabled/Disabled (default Enabled), ``networkRuleSet.defaultAction`` Allow/Deny,
``zoneRedundancy`` Enabled/Disabled (default Disabled), ``policies.retentionPolicy.status`` enabled/disabled
(lower case; Premium only), ``sku.name`` Classic/Basic/Standard/Premium, ``policies.exportPolicy.status``
enabled/disabled (default enabled; "disabled" is accepted only with publicNetworkAccess Disabled on Premium),
``encryption.status`` enabled/disabled (enum ``EncryptionStatus``, no default in the spec; a registry without the
block is encrypted with Microsoft-managed keys only) with ``encryption.keyVaultProperties.keyIdentifier`` and
``.identity`` (the client id of a user-assigned identity of the registry; SDK ``KeyVaultPropertiesArgs``).
"""

from __future__ import annotations

from aml_policies.core import SET_REQUIRED, ResourceRule, all_of, equals, not_equal, present

REGISTRY = ("containerregistry:Registry",)

RULES = (
    ResourceRule(
        control="AML-NET-007",
        name="registry-private-access",
        types=REGISTRY,
        check=all_of(equals("publicNetworkAccess", "Disabled"), equals("networkRuleSet.defaultAction", "Deny")),
        remediate=SET_REQUIRED,
    ),
    ResourceRule(
        control="AML-IAM-005",
        name="registry-no-admin-or-anonymous-pull",
        types=REGISTRY,
        check=all_of(
            not_equal(
                "adminUserEnabled", True, why="use Entra identities, not the shared admin account", default=False
            ),
            not_equal("anonymousPullEnabled", True, why="every pull is authenticated", default=False),
        ),
        remediate=SET_REQUIRED,
    ),
    ResourceRule(
        control="AML-DAT-005",
        name="registry-exports-disabled",
        types=REGISTRY,
        check=equals(
            "policies.exportPolicy.status",
            "disabled",
            why="no artifact export around the private endpoint",
            default="enabled",
        ),
    ),
    ResourceRule(
        control="AML-ENC-008",
        name="registry-customer-managed-key",
        types=REGISTRY,
        check=all_of(
            equals(
                "encryption.status",
                "enabled",
                why="a customer-managed key in Key Vault (built-in 5b9159ae); settable only when the registry is "
                "created",
                default="disabled",
            ),
            present("encryption.keyVaultProperties.keyIdentifier", why="the key"),
            present("encryption.keyVaultProperties.identity", why="the client id of the identity that reads the key"),
        ),
    ),
    ResourceRule(
        control="AML-REL-002",
        name="registry-premium-zone-redundant",
        types=REGISTRY,
        check=all_of(equals("sku.name", "Premium"), equals("zoneRedundancy", "Enabled", default="Disabled")),
    ),
    ResourceRule(
        control="AML-DAT-004",
        name="registry-retention-policy",
        types=REGISTRY,
        check=equals("policies.retentionPolicy.status", "enabled", why="untagged manifests are purged"),
    ),
)
