"""The Key Vault rules (``aml_policies.keyvault``): one compliant vault and key, one change per case.

Unlike the workspace and storage account, a vault's and a key's settings sit under ``properties``.
"""

from __future__ import annotations

from typing import Any

import pytest

from aml_policies import keyvault
from aml_policies.core import type_key
from tests.policies.harness import DELETE, all_violations, applies, changed, remediated, violations

VAULT_TOKEN = "azure-native:keyvault:Vault"
KEY_TOKEN = "azure-native:keyvault:Key"

VAULT: dict[str, Any] = {
    "vaultName": "kv",
    "properties": {
        "tenantId": "00000000-0000-0000-0000-000000000000",
        "sku": {"family": "A", "name": "premium"},
        "enableRbacAuthorization": True,
        "enablePurgeProtection": True,
        "enableSoftDelete": True,
        "softDeleteRetentionInDays": 90,
        "publicNetworkAccess": "Disabled",
        "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices"},
    },
}
KEY: dict[str, Any] = {
    "vaultName": "kv",
    "keyName": "cmk",
    "properties": {
        "kty": "RSA-HSM",
        "keySize": 3072,
        "attributes": {"enabled": True, "exportable": False, "expires": 1_861_920_000},
        "rotationPolicy": {
            "attributes": {"expiryTime": "P1Y"},
            "lifetimeActions": [
                {"action": {"type": "notify"}, "trigger": {"timeBeforeExpiry": "P30D"}},
                {"action": {"type": "rotate"}, "trigger": {"timeBeforeExpiry": "P60D"}},
            ],
        },
    },
}

RULES = {rule.policy_name: rule for rule in keyvault.RULES}


@pytest.mark.parametrize(
    ("token", "props"),
    [
        (VAULT_TOKEN, VAULT),
        (KEY_TOKEN, KEY),
        ("azure-native:keyvault/v20230701:Vault", VAULT),
        ("azure-native:keyvault/v20230701:Key", KEY),
    ],
)
def test_happy_resources_pass_every_rule(token: str, props: dict[str, Any]) -> None:
    assert all_violations(RULES.values(), token, props, judge=applies) == []


def test_each_type_is_judged_by_its_rules() -> None:
    assert sorted(n for n, r in RULES.items() if applies(r, KEY_TOKEN, KEY)) == [
        "aml-enc-003-key-rotation-policy",
        "aml-enc-009-key-hsm-size-expiry",
    ]
    assert sorted(n for n, r in RULES.items() if applies(r, VAULT_TOKEN, VAULT)) == [
        "aml-dat-003-key-vault-purge-protection",
        "aml-enc-009-key-vault-premium",
        "aml-iam-004-key-vault-rbac-authorization",
        "aml-net-006-key-vault-private-access",
    ]
    assert not any(applies(r, "azure-native:keyvault:Secret", KEY) for r in RULES.values())


NO_ROTATE = "properties.rotationPolicy.lifetimeActions has no 'rotate' action; the key is never rotated"
NO_EXPIRY = "properties.rotationPolicy.attributes.expiryTime is not set; rotated key versions never expire"
LATE = (
    "no 'rotate' action of properties.rotationPolicy.lifetimeActions fires before "
    "properties.rotationPolicy.attributes.expiryTime ('P1Y') runs out; the key would expire before it is rotated: "
    "trigger it with a timeBeforeExpiry or timeAfterCreate shorter than the expiry"
)
HSM = "'RSA-HSM' or 'EC-HSM' (a key held in a hardware security module)"

CASES = [
    # AML-NET-006
    (
        "aml-net-006-key-vault-private-access",
        VAULT_TOKEN,
        VAULT,
        "properties.publicNetworkAccess",
        "Enabled",
        ["[AML-NET-006] properties.publicNetworkAccess is 'Enabled'; it must be 'Disabled'"],
    ),
    (
        "aml-net-006-key-vault-private-access",
        VAULT_TOKEN,
        VAULT,
        "properties.publicNetworkAccess",
        "enabled",
        ["[AML-NET-006] properties.publicNetworkAccess is 'enabled'; it must be 'Disabled'"],
    ),
    # the spec types it as a free string that Azure compares without case
    ("aml-net-006-key-vault-private-access", VAULT_TOKEN, VAULT, "properties.publicNetworkAccess", "disabled", []),
    (
        "aml-net-006-key-vault-private-access",
        VAULT_TOKEN,
        VAULT,
        "properties.publicNetworkAccess",
        DELETE,
        ["[AML-NET-006] properties.publicNetworkAccess is not set; Azure's default is 'enabled': set it to 'Disabled'"],
    ),
    (
        "aml-net-006-key-vault-private-access",
        VAULT_TOKEN,
        VAULT,
        "properties.networkAcls.defaultAction",
        "Allow",
        ["[AML-NET-006] properties.networkAcls.defaultAction is 'Allow'; it must be 'Deny'"],
    ),
    (
        "aml-net-006-key-vault-private-access",
        VAULT_TOKEN,
        VAULT,
        "properties.networkAcls",
        DELETE,
        [
            "[AML-NET-006] properties.networkAcls.defaultAction is not set; Azure's default is insecure: set it to "
            "'Deny'"
        ],
    ),
    # AML-IAM-004
    (
        "aml-iam-004-key-vault-rbac-authorization",
        VAULT_TOKEN,
        VAULT,
        "properties.enableRbacAuthorization",
        False,
        ["[AML-IAM-004] properties.enableRbacAuthorization is False; it must be True"],
    ),
    (
        "aml-iam-004-key-vault-rbac-authorization",
        VAULT_TOKEN,
        VAULT,
        "properties.enableRbacAuthorization",
        DELETE,
        ["[AML-IAM-004] properties.enableRbacAuthorization is not set; Azure's default is False: set it to True"],
    ),
    # AML-DAT-003
    (
        "aml-dat-003-key-vault-purge-protection",
        VAULT_TOKEN,
        VAULT,
        "properties.enablePurgeProtection",
        DELETE,
        ["[AML-DAT-003] properties.enablePurgeProtection is not set; Azure's default is insecure: set it to True"],
    ),
    (
        "aml-dat-003-key-vault-purge-protection",
        VAULT_TOKEN,
        VAULT,
        "properties.enablePurgeProtection",
        False,
        ["[AML-DAT-003] properties.enablePurgeProtection is False; it must be True"],
    ),
    (
        "aml-dat-003-key-vault-purge-protection",
        VAULT_TOKEN,
        VAULT,
        "properties.enableSoftDelete",
        False,
        ["[AML-DAT-003] properties.enableSoftDelete is False; it must not be"],
    ),
    ("aml-dat-003-key-vault-purge-protection", VAULT_TOKEN, VAULT, "properties.enableSoftDelete", DELETE, []),
    (
        "aml-dat-003-key-vault-purge-protection",
        VAULT_TOKEN,
        VAULT,
        "properties.softDeleteRetentionInDays",
        30,
        ["[AML-DAT-003] properties.softDeleteRetentionInDays is 30; it must be at least 90 (Azure's default is 90)"],
    ),
    ("aml-dat-003-key-vault-purge-protection", VAULT_TOKEN, VAULT, "properties.softDeleteRetentionInDays", DELETE, []),
    # AML-ENC-003
    (
        "aml-enc-003-key-rotation-policy",
        KEY_TOKEN,
        KEY,
        "properties.rotationPolicy.lifetimeActions",
        [{"action": {"type": "notify"}, "trigger": {"timeBeforeExpiry": "P30D"}}],
        [f"[AML-ENC-003] {NO_ROTATE}"],
    ),
    (
        "aml-enc-003-key-rotation-policy",
        KEY_TOKEN,
        KEY,
        "properties.rotationPolicy.lifetimeActions",
        [],
        [f"[AML-ENC-003] {NO_ROTATE}"],
    ),
    (
        "aml-enc-003-key-rotation-policy",
        KEY_TOKEN,
        KEY,
        "properties.rotationPolicy.lifetimeActions",
        [{"action": {"type": "Rotate"}, "trigger": {"timeAfterCreate": "P90D"}}],
        [],
    ),
    (
        "aml-enc-003-key-rotation-policy",
        KEY_TOKEN,
        KEY,
        "properties.rotationPolicy.attributes",
        DELETE,
        [f"[AML-ENC-003] {NO_EXPIRY}"],
    ),
    (
        "aml-enc-003-key-rotation-policy",
        KEY_TOKEN,
        KEY,
        "properties.rotationPolicy",
        DELETE,
        [f"[AML-ENC-003] {NO_ROTATE}", f"[AML-ENC-003] {NO_EXPIRY}"],
    ),
    # the rotation must come before the expiry, whatever the calendar
    (
        "aml-enc-003-key-rotation-policy",
        KEY_TOKEN,
        KEY,
        "properties.rotationPolicy.lifetimeActions.1.trigger.timeBeforeExpiry",
        "P1Y",
        [f"[AML-ENC-003] {LATE}"],
    ),
    (
        "aml-enc-003-key-rotation-policy",
        KEY_TOKEN,
        KEY,
        "properties.rotationPolicy.lifetimeActions.1.trigger",
        {"timeAfterCreate": "P13M"},
        [f"[AML-ENC-003] {LATE}"],
    ),
    (
        "aml-enc-003-key-rotation-policy",
        KEY_TOKEN,
        KEY,
        "properties.rotationPolicy.lifetimeActions.1.trigger",
        {"timeAfterCreate": "P11M"},
        [],
    ),
    ("aml-enc-003-key-rotation-policy", KEY_TOKEN, KEY, "properties.rotationPolicy.attributes.expiryTime", "p1y", []),
    (
        "aml-enc-003-key-rotation-policy",
        KEY_TOKEN,
        KEY,
        "properties.rotationPolicy.attributes.expiryTime",
        "one year",
        [
            "[AML-ENC-003] properties.rotationPolicy.attributes.expiryTime is unreadable: expected an ISO-8601 "
            "duration in years, months and days such as P2Y or P60D, got the string 'one year'"
        ],
    ),
    # AML-ENC-009
    ("aml-enc-009-key-hsm-size-expiry", KEY_TOKEN, KEY, "properties.kty", "rsa-hsm", []),
    ("aml-enc-009-key-hsm-size-expiry", KEY_TOKEN, KEY, "properties.kty", "EC-HSM", []),
    ("aml-enc-009-key-hsm-size-expiry", KEY_TOKEN, KEY, "properties.keySize", 4096, []),
    (
        "aml-enc-009-key-hsm-size-expiry",
        KEY_TOKEN,
        KEY,
        "properties.kty",
        "RSA",
        [f"[AML-ENC-009] properties.kty is 'RSA'; it must be {HSM}"],
    ),
    (
        "aml-enc-009-key-hsm-size-expiry",
        KEY_TOKEN,
        KEY,
        "properties.kty",
        DELETE,
        [f"[AML-ENC-009] properties.kty is not set; it must be {HSM}"],
    ),
    (
        "aml-enc-009-key-hsm-size-expiry",
        KEY_TOKEN,
        KEY,
        "properties.keySize",
        2048,
        ["[AML-ENC-009] properties.keySize is 2048; an RSA key must have at least 3072 bits"],
    ),
    (
        "aml-enc-009-key-hsm-size-expiry",
        KEY_TOKEN,
        KEY,
        "properties.keySize",
        "4096",
        [],
    ),
    (
        "aml-enc-009-key-hsm-size-expiry",
        KEY_TOKEN,
        KEY,
        "properties.keySize",
        DELETE,
        ["[AML-ENC-009] properties.keySize is not set; Key Vault's default is 2048: set it to 3072 or more"],
    ),
    (
        "aml-enc-009-key-hsm-size-expiry",
        KEY_TOKEN,
        KEY,
        "properties.attributes.expires",
        DELETE,
        [
            "[AML-ENC-009] properties.attributes.expires is not set; the key version never expires (the rotation "
            "policy's expiryTime applies only to versions it rotates in)"
        ],
    ),
    (
        "aml-enc-009-key-hsm-size-expiry",
        KEY_TOKEN,
        KEY,
        "properties.attributes.expires",
        "next year",
        [
            "[AML-ENC-009] properties.attributes.expires is unreadable: expected seconds since "
            "1970-01-01T00:00:00Z, got the string 'next year'"
        ],
    ),
    (
        "aml-enc-009-key-vault-premium",
        VAULT_TOKEN,
        VAULT,
        "properties.sku.name",
        "standard",
        [
            "[AML-ENC-009] properties.sku.name is 'standard'; it must be 'premium' (HSM-protected keys need a "
            "Premium vault)"
        ],
    ),
    ("aml-enc-009-key-vault-premium", VAULT_TOKEN, VAULT, "properties.sku.name", "Premium", []),
]


@pytest.mark.parametrize(("policy", "token", "base", "path", "value", "expected"), CASES)
def test_one_change(policy: str, token: str, base: dict[str, Any], path: str, value: Any, expected: list[str]) -> None:
    assert violations(RULES[policy], token, changed(base, path, value)) == expected


def test_flattened_properties_are_not_read() -> None:
    """A vault whose settings were written at the top level (the workspace's shape) is judged as unset."""
    flat = {"vaultName": "kv", **VAULT["properties"]}
    assert violations(RULES["aml-iam-004-key-vault-rbac-authorization"], VAULT_TOKEN, flat) == [
        "[AML-IAM-004] properties.enableRbacAuthorization is not set; Azure's default is False: set it to True"
    ]


def test_versioned_token_is_judged() -> None:
    token = "azure-native:keyvault/v20230701:Vault"
    assert type_key(token) == "keyvault:Vault"
    props = changed(VAULT, "properties.enableRbacAuthorization", False)
    assert violations(RULES["aml-iam-004-key-vault-rbac-authorization"], token, props) == [
        "[AML-IAM-004] properties.enableRbacAuthorization is False; it must be True"
    ]
    key = changed(KEY, "properties.rotationPolicy", DELETE)
    assert violations(RULES["aml-enc-003-key-rotation-policy"], "azure-native:keyvault/v20230701:Key", key) == [
        f"[AML-ENC-003] {NO_ROTATE}",
        f"[AML-ENC-003] {NO_EXPIRY}",
    ]


def test_min_soft_delete_days_is_configurable() -> None:
    rule = RULES["aml-dat-003-key-vault-purge-protection"]
    thirty = changed(VAULT, "properties.softDeleteRetentionInDays", 30)
    assert violations(rule, VAULT_TOKEN, thirty, {"minSoftDeleteDays": 30}) == []
    assert violations(
        rule, VAULT_TOKEN, changed(VAULT, "properties.softDeleteRetentionInDays", 7), {"minSoftDeleteDays": 30}
    ) == ["[AML-DAT-003] properties.softDeleteRetentionInDays is 7; it must be at least 30 (Azure's default is 90)"]
    # A missing retention is Azure's 90 days, which meets any allowed minimum (7 to 90).
    assert (
        violations(
            rule, VAULT_TOKEN, changed(VAULT, "properties.softDeleteRetentionInDays", DELETE), {"minSoftDeleteDays": 90}
        )
        == []
    )
    assert dict(rule.config["minSoftDeleteDays"]) == {
        "type": "integer",
        "minimum": 7,
        "maximum": 90,
        "default": 90,
        "description": "The shortest soft-delete retention accepted, in days (Azure allows 7 to 90).",
    }


REMEDIATIONS = [
    ("aml-net-006-key-vault-private-access", "properties.publicNetworkAccess", "Enabled", "Disabled"),
    ("aml-net-006-key-vault-private-access", "properties.networkAcls.defaultAction", DELETE, "Deny"),
    ("aml-dat-003-key-vault-purge-protection", "properties.enablePurgeProtection", False, True),
    ("aml-dat-003-key-vault-purge-protection", "properties.enablePurgeProtection", DELETE, True),
]


@pytest.mark.parametrize(("policy", "path", "bad", "good"), REMEDIATIONS)
def test_remediation(policy: str, path: str, bad: Any, good: Any) -> None:
    rule = RULES[policy]
    fixed = remediated(rule, VAULT_TOKEN, changed(VAULT, path, bad))
    assert fixed == changed(VAULT, path, good)
    assert violations(rule, VAULT_TOKEN, fixed) == []
    assert remediated(rule, VAULT_TOKEN, VAULT) is None


def test_remediation_writes_under_properties() -> None:
    rule = RULES["aml-net-006-key-vault-private-access"]
    fixed = remediated(rule, VAULT_TOKEN, changed(VAULT, "properties.networkAcls", DELETE))
    assert fixed["properties"]["networkAcls"] == {"defaultAction": "Deny"}
    assert "networkAcls" not in fixed
