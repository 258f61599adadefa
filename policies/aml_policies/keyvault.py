"""Rules for Key Vault (``keyvault:Vault``) and the customer-managed key (``keyvault:Key``).

A vault's settings sit under ``properties`` (azure-native does not flatten them). Names: REST spec
``Microsoft.KeyVault/stable/2024-11-01/keyvault.json`` (``VaultProperties``: ``enableRbacAuthorization``,
``enablePurgeProtection``, ``enableSoftDelete``, ``softDeleteRetentionInDays`` 7-90 with default 90,
``publicNetworkAccess`` a free string defaulting to "enabled", ``networkAcls.defaultAction``). Keys:
``keys.json`` (``KeyProperties.rotationPolicy.lifetimeActions[].action.type`` rotate / notify).
"""

from __future__ import annotations

from collections.abc import Iterator

from aml_policies.core import (
    MISSING,
    SET_REQUIRED,
    Config,
    Props,
    ResourceRule,
    all_of,
    as_number,
    described,
    equals,
    get,
    items,
    same,
)

VAULT = ("keyvault:Vault",)
KEY = ("keyvault:Key",)


@described(
    "soft delete is not turned off (properties.enableSoftDelete) and properties.softDeleteRetentionInDays is at "
    "least minSoftDeleteDays (missing passes: Azure's default is 90)"
)
def _soft_delete(props: Props, config: Config) -> Iterator[str]:
    soft_delete = get(props, "properties.enableSoftDelete")
    if soft_delete is not MISSING and same(soft_delete, False, "properties.enableSoftDelete"):
        yield f"properties.enableSoftDelete is {soft_delete!r}; it must not be"
    days = get(props, "properties.softDeleteRetentionInDays")
    minimum = int(config["minSoftDeleteDays"])
    read = as_number(days)
    if days is not MISSING and (read is None or read < minimum):
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
        check=all_of(
            # The spec types it as a free string ("enabled" by default); Azure compares it without case, as
            # every comparison of the pack does.
            equals("properties.publicNetworkAccess", "Disabled", default="enabled"),
            equals("properties.networkAcls.defaultAction", "Deny"),
        ),
        remediate=SET_REQUIRED,
    ),
    ResourceRule(
        control="AML-IAM-004",
        name="key-vault-rbac-authorization",
        types=VAULT,
        check=equals("properties.enableRbacAuthorization", True, default=False),
    ),
    ResourceRule(
        control="AML-DAT-003",
        name="key-vault-purge-protection",
        types=VAULT,
        check=all_of(
            equals("properties.enablePurgeProtection", True),
            _soft_delete,  # no automatic fix: only purge protection is set
        ),
        remediate=SET_REQUIRED,
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
