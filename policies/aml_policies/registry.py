"""Rules for the container registry (``containerregistry:Registry``).

azure-native flattens the registry's properties. Names and enums: REST spec
``Microsoft.ContainerRegistry/preview/2023-01-01-preview/containerregistry.json`` (the version
pulumi-azure-native 3.29.0 uses): ``adminUserEnabled`` (default false), ``anonymousPullEnabled``,
``publicNetworkAccess`` Enabled/Disabled (default Enabled), ``networkRuleSet.defaultAction`` Allow/Deny,
``zoneRedundancy`` Enabled/Disabled (default Disabled), ``policies.retentionPolicy.status`` enabled/disabled
(lower case; Premium only), ``sku.name`` Classic/Basic/Standard/Premium, ``policies.exportPolicy.status``
enabled/disabled (default enabled; "disabled" is accepted only with publicNetworkAccess Disabled on Premium).
"""

from __future__ import annotations

from aml_policies.core import ResourceRule, all_of, equals, fix, not_equal

REGISTRY = ("containerregistry:Registry",)

RULES = (
    ResourceRule(
        control="AML-NET-007",
        name="registry-private-access",
        types=REGISTRY,
        description="publicNetworkAccess is 'Disabled' and networkRuleSet.defaultAction is 'Deny' "
        "(missing values fail: both default to open).",
        check=all_of(equals("publicNetworkAccess", "Disabled"), equals("networkRuleSet.defaultAction", "Deny")),
        remediate=fix(("publicNetworkAccess", "Disabled"), ("networkRuleSet.defaultAction", "Deny")),
    ),
    ResourceRule(
        control="AML-IAM-005",
        name="registry-no-admin-or-anonymous-pull",
        types=REGISTRY,
        description="adminUserEnabled and anonymousPullEnabled are not true (both default to false).",
        check=all_of(
            not_equal("adminUserEnabled", True, why="use Entra identities, not the shared admin account"),
            not_equal("anonymousPullEnabled", True, why="every pull is authenticated"),
        ),
        remediate=fix(("adminUserEnabled", False), ("anonymousPullEnabled", False)),
    ),
    ResourceRule(
        control="AML-DAT-005",
        name="registry-exports-disabled",
        types=REGISTRY,
        description="policies.exportPolicy.status is 'disabled' (a missing value fails: the default is enabled), "
        "so artifacts cannot be exported or imported around the private endpoint.",
        check=equals("policies.exportPolicy.status", "disabled", why="no artifact export around the private endpoint"),
    ),
    ResourceRule(
        control="AML-REL-002",
        name="registry-premium-zone-redundant",
        types=REGISTRY,
        description="sku.name is 'Premium' and zoneRedundancy is 'Enabled' (a missing value fails: the default "
        "is Disabled).",
        check=all_of(equals("sku.name", "Premium"), equals("zoneRedundancy", "Enabled")),
    ),
    ResourceRule(
        control="AML-DAT-004",
        name="registry-retention-policy",
        types=REGISTRY,
        description="policies.retentionPolicy.status is 'enabled', so untagged manifests are purged.",
        check=equals("policies.retentionPolicy.status", "enabled"),
    ),
)
