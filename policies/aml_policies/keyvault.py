"""Rules for Key Vault (``keyvault:Vault``) and the customer-managed key (``keyvault:Key``).

A vault's settings sit under ``properties`` (azure-native does not flatten them). Names: REST spec
``Microsoft.KeyVault/stable/2024-11-01/keyvault.json`` (``VaultProperties``: ``enableRbacAuthorization``,
``enablePurgeProtection``, ``enableSoftDelete``, ``softDeleteRetentionInDays`` 7-90 with default 90,
``publicNetworkAccess`` a free string defaulting to "enabled", ``networkAcls.defaultAction``). Keys:
``keys.json`` (``KeyProperties.rotationPolicy.lifetimeActions[].action.type`` rotate / notify, ``trigger``
``timeAfterCreate`` / ``timeBeforeExpiry``; ``kty`` EC | EC-HSM | RSA | RSA-HSM; ``keySize`` defaults to 2048 for
RSA; ``attributes.expires`` in seconds since 1970-01-01T00:00:00Z; vault ``sku.name`` standard | premium).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta

from aml_catalogue.facts import HSM_KEY_TYPES, MIN_RSA_KEY_SIZE, calendar_duration
from aml_policies.core import (
    MISSING,
    SET_REQUIRED,
    Config,
    Props,
    ResourceRule,
    Unreadable,
    all_of,
    as_number,
    described,
    equals,
    get,
    items,
    same,
    same_any,
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


EXPIRY_TIME = "properties.rotationPolicy.attributes.expiryTime"
_SPAN = "an ISO-8601 duration in years, months and days such as P2Y or P60D"


def _span(value: object, path: str) -> tuple[timedelta, timedelta]:
    span = calendar_duration(value)
    if span is None:
        raise Unreadable(path, value, _SPAN)
    return span


def _rotates_before_expiry(action: Mapping[str, object], i: int, expiry: tuple[timedelta, timedelta]) -> bool:
    """Whether a rotate action fires before a version that lives ``expiry`` expires, whatever the calendar."""
    base = f"properties.rotationPolicy.lifetimeActions.{i}.trigger"
    before, after = get(action, "trigger.timeBeforeExpiry"), get(action, "trigger.timeAfterCreate")
    if before is not MISSING:
        return _span(before, f"{base}.timeBeforeExpiry")[1] < expiry[0]
    if after is not MISSING:
        return _span(after, f"{base}.timeAfterCreate")[1] < expiry[0]
    return False


def _rotation(props: Props, _config: Config) -> Iterator[str]:
    actions = items(props, "properties.rotationPolicy.lifetimeActions")
    rotations = [(i, a) for i, a in enumerate(actions) if str(get(a, "action.type")).lower() == "rotate"]
    expiry_time = get(props, EXPIRY_TIME)
    if not rotations:
        yield "properties.rotationPolicy.lifetimeActions has no 'rotate' action; the key is never rotated"
    if expiry_time is MISSING:
        yield f"{EXPIRY_TIME} is not set; rotated key versions never expire"
        return
    expiry = _span(expiry_time, EXPIRY_TIME)
    if rotations and not any(_rotates_before_expiry(a, i, expiry) for i, a in rotations):
        yield (
            f"no 'rotate' action of properties.rotationPolicy.lifetimeActions fires before {EXPIRY_TIME} "
            f"({expiry_time!r}) runs out; the key would expire before it is rotated: trigger it with a "
            "timeBeforeExpiry or timeAfterCreate shorter than the expiry"
        )


# --- AML-ENC-009 ------------------------------------------------------------------------------------
@described(
    f"properties.kty is {' or '.join(repr(t) for t in HSM_KEY_TYPES)} (missing fails); an RSA key's "
    f"properties.keySize is at least {MIN_RSA_KEY_SIZE} (missing fails: Key Vault's default is 2048); "
    "properties.attributes.expires is set (seconds since 1970)"
)
def _key_material(props: Props, _config: Config) -> Iterator[str]:
    kty = get(props, "properties.kty")
    allowed = " or ".join(repr(t) for t in HSM_KEY_TYPES)
    if kty is MISSING:
        yield f"properties.kty is not set; it must be {allowed} (a key held in a hardware security module)"
    elif not same_any(kty, HSM_KEY_TYPES, "properties.kty"):
        yield f"properties.kty is {kty!r}; it must be {allowed} (a key held in a hardware security module)"
    if isinstance(kty, str) and kty.strip().upper().startswith("RSA"):
        size = get(props, "properties.keySize")
        read = as_number(size)
        if size is MISSING:
            yield f"properties.keySize is not set; Key Vault's default is 2048: set it to {MIN_RSA_KEY_SIZE} or more"
        elif read is None or read < MIN_RSA_KEY_SIZE:
            yield f"properties.keySize is {size!r}; an RSA key must have at least {MIN_RSA_KEY_SIZE} bits"
    expires = get(props, "properties.attributes.expires")
    if expires is MISSING:
        yield (
            "properties.attributes.expires is not set; the key version never expires (the rotation policy's "
            "expiryTime applies only to versions it rotates in)"
        )
    elif as_number(expires) is None:
        raise Unreadable("properties.attributes.expires", expires, "seconds since 1970-01-01T00:00:00Z")


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
        description="properties.rotationPolicy has a 'rotate' lifetime action that fires before the expiry time "
        "(timeBeforeExpiry or timeAfterCreate shorter than attributes.expiryTime, a year read as 365-366 days and a "
        "month as 28-31) and an expiry time.",
        check=_rotation,
    ),
    ResourceRule(
        control="AML-ENC-009",
        name="key-hsm-size-expiry",
        types=KEY,
        check=_key_material,
    ),
    ResourceRule(
        control="AML-ENC-009",
        name="key-vault-premium",
        types=VAULT,
        check=equals("properties.sku.name", "premium", why="HSM-protected keys need a Premium vault"),
    ),
)
