"""Rules for Key Vault (``keyvault:Vault``) and the customer-managed key (``keyvault:Key``).

A vault's settings sit under ``properties`` (azure-native does not flatten them). Names: REST spec
``Microsoft.KeyVault/stable/2024-11-01/keyvault.json`` (``VaultProperties``: ``enableRbacAuthorization``,
``enablePurgeProtection``, ``enableSoftDelete``, ``softDeleteRetentionInDays`` 7-90 with default 90,
``publicNetworkAccess`` a free string defaulting to "enabled", ``networkAcls.defaultAction``). Keys:
``keys.json`` (``KeyProperties.rotationPolicy.lifetimeActions[].action.type`` rotate / notify).
"""

from __future__ import annotations

from collections.abc import Iterator

from aml_policies.core import MISSING, Config, Props, ResourceRule, all_of, equals, fix, get, items

VAULT = ("keyvault:Vault",)
KEY = ("keyvault:Key",)


def _public_access_disabled(props: Props, _config: Config) -> Iterator[str]:
    # The spec types it as a free string ("enabled" by default); Azure compares it without case.
    value = get(props, "properties.publicNetworkAccess")
    if value is MISSING:
        yield "properties.publicNetworkAccess is not set; Azure's default is 'enabled': set it to 'Disabled'"
    elif not isinstance(value, str) or value.lower() != "disabled":
        yield f"properties.publicNetworkAccess is {value!r}; it must be 'Disabled'"


def _soft_delete(props: Props, config: Config) -> Iterator[str]:
    if get(props, "properties.enableSoftDelete") is False:
        yield "properties.enableSoftDelete is False; it must not be"
    days = get(props, "properties.softDeleteRetentionInDays")
    minimum = int(config["minSoftDeleteDays"])
    if days is not MISSING and (not isinstance(days, int | float) or days < minimum):
        yield f"properties.softDeleteRetentionInDays is {days!r}; it must be at least {minimum} (Azure's default is 90)"


def _rotation(props: Props, _config: Config) -> Iterator[str]:
    actions = items(props, "properties.rotationPolicy.lifetimeActions")
    kinds = {str(get(a, "action.type")).lower() for a in actions}
    if "rotate" not in kinds:
        yield "properties.rotationPolicy.lifetimeActions has no 'rotate' action; the key is never rotated"
    if get(props, "properties.rotationPolicy.attributes.expiryTime") is MISSING:
        yield "properties.rotationPolicy.attributes.expiryTime is not set; rotated key versions never expire"


RULES = (
    ResourceRule(
        control="AML-NET-006",
        name="key-vault-private-access",
        types=VAULT,
        description="properties.publicNetworkAccess is 'Disabled' and properties.networkAcls.defaultAction is "
        "'Deny' (missing values fail).",
        check=all_of(_public_access_disabled, equals("properties.networkAcls.defaultAction", "Deny")),
        remediate=fix(("properties.publicNetworkAccess", "Disabled"), ("properties.networkAcls.defaultAction", "Deny")),
    ),
    ResourceRule(
        control="AML-IAM-004",
        name="key-vault-rbac-authorization",
        types=VAULT,
        description="properties.enableRbacAuthorization is true (a missing value fails: access policies are the "
        "default at this API version).",
        check=equals("properties.enableRbacAuthorization", True),
    ),
    ResourceRule(
        control="AML-DAT-003",
        name="key-vault-purge-protection",
        types=VAULT,
        description="properties.enablePurgeProtection is true, soft delete is not turned off, and its retention "
        "is at least minSoftDeleteDays days.",
        check=all_of(equals("properties.enablePurgeProtection", True), _soft_delete),
        remediate=fix(("properties.enablePurgeProtection", True)),
        config={
            "minSoftDeleteDays": {
                "type": "integer",
                "minimum": 7,
                "maximum": 90,
                "default": 90,
                "description": "The shortest soft-delete retention accepted, in days (Azure allows 7 to 90).",
            }
        },
    ),
    ResourceRule(
        control="AML-ENC-003",
        name="key-rotation-policy",
        types=KEY,
        description="properties.rotationPolicy has a 'rotate' lifetime action and an expiry time.",
        check=_rotation,
    ),
)
