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

Geo-replication (AML-REL-010, replicas AML-REL-012): ``containerregistry:Replication`` at REST
2024-11-01-preview (the SDK's version; ``ReplicationProperties`` in Azure/azure-rest-api-specs
``Microsoft.ContainerRegistry/preview/2024-11-01-preview/containerregistry.json``, read with the search tool):
``regionEndpointEnabled`` boolean, default true (a replica whose regional endpoint is off receives no requests),
``zoneRedundancy`` Enabled/Disabled, default Disabled. A replica names its registry by ``registryName``; the stack
rule relates them by engine dependency or literal name.
"""

from __future__ import annotations

from collections.abc import Iterator

from aml_policies.core import (
    SET_REQUIRED,
    Config,
    ResourceRule,
    Stack,
    StackRule,
    Unreadable,
    all_of,
    equals,
    get,
    in_production,
    not_equal,
    present,
)

REGISTRY = ("containerregistry:Registry",)
REPLICATION = ("containerregistry:Replication",)


def region(value: object, path: str = "location") -> str:
    """A location as ARM reads it: ``North Europe`` is ``northeurope``; :class:`Unreadable` if not a string."""
    if not isinstance(value, str) or not value.strip():
        raise Unreadable(path, value, "a region name")
    return value.replace(" ", "").lower()


def _production_replicated(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """AML-REL-010: a registry tagged environment=production has a replica in a region other than its own."""
    for registry in stack.of_type(*REGISTRY):
        if not in_production(registry.props):
            continue
        home = region(get(registry.props, "location"))
        replicas = stack.referrers(registry, REPLICATION, "registryName")
        elsewhere = [r for r in replicas if region(get(r.props, "location")) != home]
        if not elsewhere:
            yield (
                f"production container registry {registry.name!r} ({home}) has no geo-replica in another region; "
                "images are lost with its region and the DR workspace cannot pull them: add a "
                "containerregistry:Replication in the paired region",
                registry.urn,
            )


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
        control="AML-REL-012",
        name="registry-replica-zone-redundant",
        types=REPLICATION,
        check=all_of(
            equals("zoneRedundancy", "Enabled", why="fixed when the replica is created", default="Disabled"),
            equals("regionEndpointEnabled", True, why="a replica whose endpoint is off serves no pulls", default=True),
        ),
    ),
    ResourceRule(
        control="AML-DAT-004",
        name="registry-retention-policy",
        types=REGISTRY,
        check=equals("policies.retentionPolicy.status", "enabled", why="untagged manifests are purged"),
    ),
    StackRule(
        control="AML-REL-010",
        name="production-registry-replicated",
        description="every container registry tagged environment=production has a containerregistry:Replication "
        "(related by its registryName) in a region other than its own (locations compared ignoring case and "
        "spaces).",
        check=_production_replicated,
    ),
)
