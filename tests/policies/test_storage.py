"""The storage rules (``aml_policies.storage``): one compliant account and blob service, one change per case."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from aml_policies import storage
from aml_policies.core import ResourceRule, StackRule, type_key
from tests.policies.harness import (
    DELETE,
    all_violations,
    applies,
    changed,
    remediated,
    run_stack,
    stack_resource,
    violations,
)

ACCOUNT_TOKEN = "azure-native:storage:StorageAccount"
BLOB_TOKEN = "azure-native:storage:BlobServiceProperties"

ACCOUNT: dict[str, Any] = {
    "accountName": "st",
    "kind": "StorageV2",
    "sku": {"name": "Standard_GZRS"},
    "publicNetworkAccess": "Disabled",
    "networkRuleSet": {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": [], "resourceAccessRules": []},
    "identity": {"type": "UserAssigned", "userAssignedIdentities": ["/subscriptions/s/resourceGroups/rg/id-cmk"]},
    "encryption": {
        "keySource": "Microsoft.Keyvault",
        "keyVaultProperties": {"keyName": "cmk", "keyVaultUri": "https://kv.vault.azure.net/"},
        "encryptionIdentity": {"encryptionUserAssignedIdentity": "/subscriptions/s/resourceGroups/rg/id-cmk"},
        "requireInfrastructureEncryption": True,
        "services": {"queue": {"keyType": "Account"}, "table": {"keyType": "Account"}},
    },
    "allowSharedKeyAccess": False,
    "isLocalUserEnabled": False,
    "allowCrossTenantReplication": False,
    "enableHttpsTrafficOnly": True,
    "minimumTlsVersion": "TLS1_2",
    "allowBlobPublicAccess": False,
    "tags": {"environment": "production"},
}
BLOB: dict[str, Any] = {
    "accountName": "st",
    "blobServicesName": "default",
    "isVersioningEnabled": True,
    "deleteRetentionPolicy": {"enabled": True, "days": 7},
    "containerDeleteRetentionPolicy": {"enabled": True, "days": 7},
}

RULES = {rule.policy_name: rule for rule in storage.RULES if isinstance(rule, ResourceRule)}
BLOB_PRESENT = next(rule for rule in storage.RULES if isinstance(rule, StackRule))


EXPLORATION = changed(ACCOUNT, "tags.environment", "exploration")


@pytest.mark.parametrize(
    ("token", "props"),
    [
        (ACCOUNT_TOKEN, ACCOUNT),
        (ACCOUNT_TOKEN, EXPLORATION),
        (BLOB_TOKEN, BLOB),
        ("azure-native:storage/v20230101:StorageAccount", ACCOUNT),
        ("azure-native:storage/v20230101:BlobServiceProperties", BLOB),
    ],
)
def test_happy_resources_pass_every_rule(token: str, props: dict[str, Any]) -> None:
    assert all_violations(RULES.values(), token, props, judge=applies) == []


def test_each_type_is_judged_by_its_rules() -> None:
    assert sorted(n for n, r in RULES.items() if applies(r, BLOB_TOKEN, BLOB)) == [
        "aml-dat-002-blob-versioning-and-soft-delete"
    ]
    assert len([r for r in RULES.values() if applies(r, ACCOUNT_TOKEN, ACCOUNT)]) == 9
    assert not any(applies(r, "azure-native:storage:FileServiceProperties", BLOB) for r in RULES.values())


ZONE = "Standard_ZRS, Premium_ZRS, Standard_GZRS, Standard_RAGZRS"
GEO = "Standard_GZRS, Standard_RAGZRS"

CASES = [
    # AML-NET-005
    (
        "aml-net-005-storage-private-access",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "networkRuleSet.bypass",
        "Metrics,azureservices",
        [],
    ),
    ("aml-net-005-storage-private-access", ACCOUNT_TOKEN, ACCOUNT, "networkRuleSet.bypass", DELETE, []),
    (
        "aml-net-005-storage-private-access",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "networkRuleSet.bypass",
        "None",
        [
            "[AML-NET-005] networkRuleSet.bypass is 'None'; it must include 'AzureServices', or Azure ML and the other "
            "trusted services cannot reach the account through its firewall"
        ],
    ),
    (
        "aml-net-005-storage-private-access",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "networkRuleSet.bypass",
        ["AzureServices"],
        ["[AML-NET-005] networkRuleSet.bypass is unreadable: expected a string of comma-separated flags, got a list"],
    ),
    (
        "aml-net-005-storage-private-access",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "publicNetworkAccess",
        "Enabled",
        ["[AML-NET-005] publicNetworkAccess is 'Enabled'; it must be 'Disabled'"],
    ),
    (
        "aml-net-005-storage-private-access",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "publicNetworkAccess",
        DELETE,
        ["[AML-NET-005] publicNetworkAccess is not set; Azure's default is insecure: set it to 'Disabled'"],
    ),
    (
        "aml-net-005-storage-private-access",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "networkRuleSet.defaultAction",
        "Allow",
        ["[AML-NET-005] networkRuleSet.defaultAction is 'Allow'; it must be 'Deny'"],
    ),
    (
        "aml-net-005-storage-private-access",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "networkRuleSet",
        DELETE,
        ["[AML-NET-005] networkRuleSet.defaultAction is not set; Azure's default is insecure: set it to 'Deny'"],
    ),
    (
        "aml-net-005-storage-private-access",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "allowCrossTenantReplication",
        True,
        [
            "[AML-NET-005] allowCrossTenantReplication is True; it must not be (object replication stays inside "
            "the tenant (built-in 92a89a79))"
        ],
    ),
    # the spec's default is false for new accounts
    ("aml-net-005-storage-private-access", ACCOUNT_TOKEN, ACCOUNT, "allowCrossTenantReplication", DELETE, []),
    # AML-NET-016
    (
        "aml-net-016-storage-no-firewall-exceptions",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "networkRuleSet.ipRules",
        [{"iPAddressOrRange": "203.0.113.0/24", "action": "Allow"}],
        [
            "[AML-NET-016] networkRuleSet.ipRules has 1 rule(s); it must be empty: the account is reached through "
            "its private endpoints only"
        ],
    ),
    (
        "aml-net-016-storage-no-firewall-exceptions",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "networkRuleSet.resourceAccessRules",
        [{"tenantId": "t", "resourceId": "r1"}, {"tenantId": "t", "resourceId": "r2"}],
        [
            "[AML-NET-016] networkRuleSet.resourceAccessRules has 2 rule(s); it must be empty: the account is "
            "reached through its private endpoints only"
        ],
    ),
    (
        "aml-net-016-storage-no-firewall-exceptions",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "networkRuleSet.ipRules",
        "203.0.113.7",
        ["[AML-NET-016] networkRuleSet.ipRules is unreadable: expected a list, got the string '203.0.113.7'"],
    ),
    # no rule list at all is no rule (AML-NET-005 judges the firewall itself)
    ("aml-net-016-storage-no-firewall-exceptions", ACCOUNT_TOKEN, ACCOUNT, "networkRuleSet.ipRules", DELETE, []),
    # AML-ENC-005
    (
        "aml-enc-005-storage-customer-managed-key",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "encryption.keySource",
        "Microsoft.Storage",
        [
            "[AML-ENC-005] encryption.keySource is 'Microsoft.Storage'; it must be 'Microsoft.Keyvault' (a "
            "customer-managed key in Key Vault (built-in 6fac406b))"
        ],
    ),
    (
        "aml-enc-005-storage-customer-managed-key",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "encryption.keySource",
        "microsoft.keyvault",
        [],
    ),
    (
        "aml-enc-005-storage-customer-managed-key",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "encryption",
        DELETE,
        [
            "[AML-ENC-005] encryption.keySource is not set; Azure's default is 'Microsoft.Storage': set it to "
            "'Microsoft.Keyvault' (a customer-managed key in Key Vault (built-in 6fac406b))",
            "[AML-ENC-005] encryption.keyVaultProperties.keyVaultUri is not set (the vault of the key)",
            "[AML-ENC-005] encryption.keyVaultProperties.keyName is not set (the key)",
        ],
    ),
    (
        "aml-enc-005-storage-customer-managed-key",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "encryption.keyVaultProperties.keyName",
        "",
        ["[AML-ENC-005] encryption.keyVaultProperties.keyName is not set (the key)"],
    ),
    (
        "aml-enc-005-storage-customer-managed-key",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "encryption",
        "Microsoft.Keyvault",
        ["[AML-ENC-005] encryption is unreadable: expected an object, got the string 'Microsoft.Keyvault'"],
    ),
    # AML-ENC-006
    (
        "aml-enc-006-storage-infrastructure-encryption",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "encryption.requireInfrastructureEncryption",
        DELETE,
        [
            "[AML-ENC-006] encryption.requireInfrastructureEncryption is not set; Azure's default is False: set it "
            "to True (data encrypted twice, also at the infrastructure layer; settable only when the account is "
            "created)"
        ],
    ),
    (
        "aml-enc-006-storage-infrastructure-encryption",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "encryption.requireInfrastructureEncryption",
        "false",
        [
            "[AML-ENC-006] encryption.requireInfrastructureEncryption is 'false'; it must be True (data encrypted "
            "twice, also at the infrastructure layer; settable only when the account is created)"
        ],
    ),
    (
        "aml-enc-006-storage-infrastructure-encryption",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "encryption.requireInfrastructureEncryption",
        "True",
        [],
    ),
    # AML-ENC-007
    (
        "aml-enc-007-storage-queue-table-account-key",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "encryption.services.queue.keyType",
        "Service",
        ["[AML-ENC-007] encryption.services.queue.keyType is 'Service'; it must be 'Account' (built-in f0e5abd0)"],
    ),
    (
        "aml-enc-007-storage-queue-table-account-key",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "encryption.services",
        DELETE,
        [
            "[AML-ENC-007] encryption.services.queue.keyType is not set; Azure's default is 'Service': set it to "
            "'Account' (built-in f0e5abd0)",
            "[AML-ENC-007] encryption.services.table.keyType is not set; Azure's default is 'Service': set it to "
            "'Account' (built-in 7c322315)",
        ],
    ),
    (
        "aml-enc-007-storage-queue-table-account-key",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "encryption.services.table.keyType",
        "account",
        [],
    ),
    # AML-IAM-006
    (
        "aml-iam-006-storage-no-shared-key",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "isLocalUserEnabled",
        True,
        ["[AML-IAM-006] isLocalUserEnabled is True; it must be False (no SFTP / local-user passwords or keys)"],
    ),
    (
        "aml-iam-006-storage-no-shared-key",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "isLocalUserEnabled",
        DELETE,
        [
            "[AML-IAM-006] isLocalUserEnabled is not set; Azure's default is insecure: set it to False (no SFTP / "
            "local-user passwords or keys)"
        ],
    ),
    (
        "aml-iam-006-storage-no-shared-key",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "allowSharedKeyAccess",
        True,
        ["[AML-IAM-006] allowSharedKeyAccess is True; it must be False"],
    ),
    (
        "aml-iam-006-storage-no-shared-key",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "allowSharedKeyAccess",
        DELETE,
        ["[AML-IAM-006] allowSharedKeyAccess is not set; Azure's default is True: set it to False"],
    ),
    # AML-ENC-002
    (
        "aml-enc-002-storage-secure-transfer",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "enableHttpsTrafficOnly",
        False,
        ["[AML-ENC-002] enableHttpsTrafficOnly is False; it must not be (HTTPS only)"],
    ),
    ("aml-enc-002-storage-secure-transfer", ACCOUNT_TOKEN, ACCOUNT, "enableHttpsTrafficOnly", DELETE, []),
    (
        "aml-enc-002-storage-secure-transfer",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "minimumTlsVersion",
        "TLS1_0",
        ["[AML-ENC-002] minimumTlsVersion is 'TLS1_0'; it must be one of 'TLS1_2', 'TLS1_3'"],
    ),
    (
        "aml-enc-002-storage-secure-transfer",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "minimumTlsVersion",
        "TLS1_1",
        ["[AML-ENC-002] minimumTlsVersion is 'TLS1_1'; it must be one of 'TLS1_2', 'TLS1_3'"],
    ),
    (
        "aml-enc-002-storage-secure-transfer",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "minimumTlsVersion",
        DELETE,
        [
            "[AML-ENC-002] minimumTlsVersion is not set (Azure's default is 'TLS1_0'); it must be one of 'TLS1_2', "
            "'TLS1_3'"
        ],
    ),
    ("aml-enc-002-storage-secure-transfer", ACCOUNT_TOKEN, ACCOUNT, "minimumTlsVersion", "TLS1_3", []),
    # AML-DAT-001
    (
        "aml-dat-001-storage-no-anonymous-blob-access",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "allowBlobPublicAccess",
        True,
        ["[AML-DAT-001] allowBlobPublicAccess is True; it must be False"],
    ),
    (
        "aml-dat-001-storage-no-anonymous-blob-access",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "allowBlobPublicAccess",
        DELETE,
        ["[AML-DAT-001] allowBlobPublicAccess is not set; Azure's default is insecure: set it to False"],
    ),
    # AML-REL-001
    ("aml-rel-001-storage-zone-redundant", ACCOUNT_TOKEN, ACCOUNT, "sku.name", "Standard_RAGZRS", []),
    (
        "aml-rel-001-storage-zone-redundant",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "sku.name",
        "Standard_ZRS",
        [f"[AML-REL-001] sku.name is 'Standard_ZRS'; it must be one of {GEO} in production"],
    ),
    (
        "aml-rel-001-storage-zone-redundant",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "sku.name",
        "Standard_RAGRS",
        [f"[AML-REL-001] sku.name is 'Standard_RAGRS'; it must be one of {GEO} in production"],
    ),
    (
        "aml-rel-001-storage-zone-redundant",
        ACCOUNT_TOKEN,
        ACCOUNT,
        "sku",
        DELETE,
        [f"[AML-REL-001] sku.name is not set; it must be one of {GEO}"],
    ),
    ("aml-rel-001-storage-zone-redundant", ACCOUNT_TOKEN, EXPLORATION, "sku.name", "Standard_ZRS", []),
    ("aml-rel-001-storage-zone-redundant", ACCOUNT_TOKEN, EXPLORATION, "sku.name", "Premium_ZRS", []),
    (
        "aml-rel-001-storage-zone-redundant",
        ACCOUNT_TOKEN,
        EXPLORATION,
        "sku.name",
        "Standard_LRS",
        [f"[AML-REL-001] sku.name is 'Standard_LRS'; it must be one of {ZONE}"],
    ),
    (
        "aml-rel-001-storage-zone-redundant",
        ACCOUNT_TOKEN,
        EXPLORATION,
        "sku",
        DELETE,
        [f"[AML-REL-001] sku.name is not set; it must be one of {ZONE}"],
    ),
    ("aml-rel-001-storage-zone-redundant", ACCOUNT_TOKEN, ACCOUNT, "tags", DELETE, []),
    # AML-DAT-002
    (
        "aml-dat-002-blob-versioning-and-soft-delete",
        BLOB_TOKEN,
        BLOB,
        "isVersioningEnabled",
        False,
        ["[AML-DAT-002] isVersioningEnabled is False; it must be True"],
    ),
    (
        "aml-dat-002-blob-versioning-and-soft-delete",
        BLOB_TOKEN,
        BLOB,
        "isVersioningEnabled",
        DELETE,
        ["[AML-DAT-002] isVersioningEnabled is not set; Azure's default is insecure: set it to True"],
    ),
    (
        "aml-dat-002-blob-versioning-and-soft-delete",
        BLOB_TOKEN,
        BLOB,
        "deleteRetentionPolicy.enabled",
        False,
        ["[AML-DAT-002] deleteRetentionPolicy.enabled is False; it must be True"],
    ),
    (
        "aml-dat-002-blob-versioning-and-soft-delete",
        BLOB_TOKEN,
        BLOB,
        "containerDeleteRetentionPolicy",
        DELETE,
        ["[AML-DAT-002] containerDeleteRetentionPolicy.enabled is not set; it must be True"],
    ),
    (
        "aml-dat-002-blob-versioning-and-soft-delete",
        BLOB_TOKEN,
        BLOB,
        "deleteRetentionPolicy.days",
        3,
        ["[AML-DAT-002] deleteRetentionPolicy.days is 3; it must be at least 7"],
    ),
    (
        "aml-dat-002-blob-versioning-and-soft-delete",
        BLOB_TOKEN,
        BLOB,
        "containerDeleteRetentionPolicy.days",
        DELETE,
        ["[AML-DAT-002] containerDeleteRetentionPolicy.days is not set; it must be at least 7"],
    ),
    ("aml-dat-002-blob-versioning-and-soft-delete", BLOB_TOKEN, BLOB, "deleteRetentionPolicy.days", 365, []),
]


@pytest.mark.parametrize(("policy", "token", "base", "path", "value", "expected"), CASES)
def test_one_change(policy: str, token: str, base: dict[str, Any], path: str, value: Any, expected: list[str]) -> None:
    assert violations(RULES[policy], token, changed(base, path, value)) == expected


def test_bare_blob_service_fails_every_check() -> None:
    assert violations(RULES["aml-dat-002-blob-versioning-and-soft-delete"], BLOB_TOKEN, {"accountName": "st"}) == [
        "[AML-DAT-002] isVersioningEnabled is not set; Azure's default is insecure: set it to True",
        "[AML-DAT-002] deleteRetentionPolicy.enabled is not set; it must be True",
        "[AML-DAT-002] containerDeleteRetentionPolicy.enabled is not set; it must be True",
    ]


def test_versioned_token_is_judged() -> None:
    token = "azure-native:storage/v20230101:StorageAccount"
    assert type_key(token) == "storage:StorageAccount"
    props = changed(ACCOUNT, "allowSharedKeyAccess", True)
    assert violations(RULES["aml-iam-006-storage-no-shared-key"], token, props) == [
        "[AML-IAM-006] allowSharedKeyAccess is True; it must be False"
    ]
    blob = changed(BLOB, "isVersioningEnabled", False)
    assert violations(
        RULES["aml-dat-002-blob-versioning-and-soft-delete"],
        "azure-native:storage/v20230101:BlobServiceProperties",
        blob,
    ) == ["[AML-DAT-002] isVersioningEnabled is False; it must be True"]


# --- config --------------------------------------------------------------------------------------------
def test_geo_zone_redundancy_in_production_can_be_turned_off() -> None:
    rule = RULES["aml-rel-001-storage-zone-redundant"]
    zrs = changed(ACCOUNT, "sku.name", "Standard_ZRS")
    off = {"geoZoneRedundantInProduction": False}
    assert violations(rule, ACCOUNT_TOKEN, zrs, off) == []
    assert violations(rule, ACCOUNT_TOKEN, changed(ACCOUNT, "sku.name", "Standard_LRS"), off) == [
        f"[AML-REL-001] sku.name is 'Standard_LRS'; it must be one of {ZONE}"
    ]
    assert violations(rule, ACCOUNT_TOKEN, zrs, {"geoZoneRedundantInProduction": True}) == [
        f"[AML-REL-001] sku.name is 'Standard_ZRS'; it must be one of {GEO} in production"
    ]


def test_min_retention_days_is_configurable() -> None:
    rule = RULES["aml-dat-002-blob-versioning-and-soft-delete"]
    assert violations(rule, BLOB_TOKEN, BLOB, {"minRetentionDays": 14}) == [
        "[AML-DAT-002] deleteRetentionPolicy.days is 7; it must be at least 14",
        "[AML-DAT-002] containerDeleteRetentionPolicy.days is 7; it must be at least 14",
    ]
    assert violations(rule, BLOB_TOKEN, changed(BLOB, "deleteRetentionPolicy.days", 3), {"minRetentionDays": 1}) == []


def test_config_schemas_have_type_and_default() -> None:
    assert {name: dict(schema) for r in storage.RULES for name, schema in r.config.items()} == {
        "geoZoneRedundantInProduction": {
            "type": "boolean",
            "default": True,
            "description": "Require GZRS or RA-GZRS for accounts tagged environment=production.",
        },
        "minRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "maximum": 365,
            "default": 7,
            "description": "The shortest blob and container soft-delete retention accepted, in days.",
        },
    }


# --- remediation ---------------------------------------------------------------------------------------
REMEDIATIONS = [
    ("aml-net-005-storage-private-access", "publicNetworkAccess", "Enabled", "Disabled"),
    ("aml-net-005-storage-private-access", "networkRuleSet.defaultAction", "Allow", "Deny"),
    ("aml-net-005-storage-private-access", "allowCrossTenantReplication", True, False),
    ("aml-enc-002-storage-secure-transfer", "minimumTlsVersion", DELETE, "TLS1_2"),
    ("aml-enc-002-storage-secure-transfer", "enableHttpsTrafficOnly", False, True),
    ("aml-dat-001-storage-no-anonymous-blob-access", "allowBlobPublicAccess", True, False),
]


@pytest.mark.parametrize(("policy", "path", "bad", "good"), REMEDIATIONS)
def test_remediation(policy: str, path: str, bad: Any, good: Any) -> None:
    rule = RULES[policy]
    fixed = remediated(rule, ACCOUNT_TOKEN, changed(ACCOUNT, path, bad))
    assert fixed == changed(ACCOUNT, path, good)
    assert violations(rule, ACCOUNT_TOKEN, fixed) == []
    assert remediated(rule, ACCOUNT_TOKEN, ACCOUNT) is None


def test_remediation_keeps_the_other_network_rules() -> None:
    rule = RULES["aml-net-005-storage-private-access"]
    props = changed(ACCOUNT, "networkRuleSet", {"defaultAction": "Allow", "ipRules": [{"value": "1.2.3.4"}]})
    fixed = remediated(rule, ACCOUNT_TOKEN, props)
    assert fixed["networkRuleSet"] == {"defaultAction": "Deny", "ipRules": [{"value": "1.2.3.4"}]}
    assert violations(rule, ACCOUNT_TOKEN, fixed) == []


# --- AML-DAT-002: every account has a blob service (stack) ---------------------------------------------
ACCOUNT_ID = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"


def _account(name: str = "st", **extra: Any) -> Any:
    return stack_resource(ACCOUNT_TOKEN, name, {**ACCOUNT, "accountName": name, **extra})


def _missing(account: Any) -> tuple[str, str]:
    return (
        f"StorageAccount {account.name!r} has no storage BlobServiceProperties whose accountName refers to it; "
        "without one, versioning and blob and container soft delete stay off",
        account.urn,
    )


def test_account_with_its_blob_service_by_dependency_passes() -> None:
    account = _account()
    blob = stack_resource(BLOB_TOKEN, "blob", {**BLOB, "accountName": "04da6b54"}, {"accountName": [account]})
    assert run_stack(BLOB_PRESENT, account, blob) == []


def test_account_with_its_blob_service_by_literal_name_passes() -> None:
    assert run_stack(BLOB_PRESENT, _account(), stack_resource(BLOB_TOKEN, "blob", BLOB)) == []


def test_account_with_its_blob_service_by_arm_id_passes() -> None:
    account = stack_resource(ACCOUNT_TOKEN, "st", {**ACCOUNT, "accountName": "x"}, arm_id=ACCOUNT_ID)
    assert (
        run_stack(BLOB_PRESENT, account, stack_resource(BLOB_TOKEN, "blob", {**BLOB, "accountName": ACCOUNT_ID})) == []
    )


def test_account_without_a_blob_service_fails() -> None:
    account = _account()
    assert run_stack(BLOB_PRESENT, account) == [_missing(account)]


def test_blob_service_of_another_account_does_not_count() -> None:
    account, other = _account(), _account("other")
    blob = stack_resource(BLOB_TOKEN, "blob", {**BLOB, "accountName": "other"})
    assert run_stack(BLOB_PRESENT, account, other, blob) == [_missing(account)]


def test_file_storage_account_needs_no_blob_service() -> None:
    assert run_stack(BLOB_PRESENT, _account(kind="FileStorage")) == []


def test_versioned_account_token_is_judged_by_the_stack_rule() -> None:
    account = stack_resource("azure-native:storage/v20230101:StorageAccount", "st", ACCOUNT)
    assert run_stack(BLOB_PRESENT, account) == [_missing(account)]


# --- AML-REL-009: point-in-time restore in production -------------------------------------------------------
REL_009 = next(r for r in storage.RULES if r.name == "production-blob-point-in-time-restore")
PITR_BLOB = {
    "accountName": "placeholder",
    "isVersioningEnabled": True,
    "deleteRetentionPolicy": {"enabled": True, "days": 30},
    "changeFeed": {"enabled": True},
    "restorePolicy": {"enabled": True, "days": 29},
}


def _pitr_stack(blob: dict[str, Any], environment: str = "Production") -> list[Any]:
    account = stack_resource(ACCOUNT_TOKEN, "st", {**ACCOUNT, "tags": {"environment": environment}})
    return [
        account,
        stack_resource("azure-native:storage:BlobServiceProperties", "blob", blob, deps={"accountName": [account]}),
    ]


def test_production_blob_service_with_point_in_time_restore_passes() -> None:
    assert run_stack(REL_009, *_pitr_stack(PITR_BLOB)) == []
    assert run_stack(REL_009, *_pitr_stack(changed(PITR_BLOB, "restorePolicy", DELETE), "exploration")) == []


@pytest.mark.parametrize(
    ("path", "value", "says"),
    [
        ("restorePolicy", DELETE, "restorePolicy.enabled is not true"),
        ("restorePolicy.enabled", "False", "restorePolicy.enabled is not true"),
        ("restorePolicy.days", 30, "restorePolicy.days 30 is not less than deleteRetentionPolicy.days"),
        ("restorePolicy.days", "soon", "restorePolicy.days is not a number"),
        ("changeFeed.enabled", False, "changeFeed.enabled is not true"),
        ("isVersioningEnabled", DELETE, "isVersioningEnabled is not true"),
    ],
)
def test_production_blob_service_without_point_in_time_restore_fails(path: str, value: Any, says: str) -> None:
    stack = _pitr_stack(changed(PITR_BLOB, path, value))
    found = run_stack(REL_009, *stack)
    assert [urn for _, urn in found] == [stack[1].urn] and says in found[0][0], found


# --- AML-DAT-009 / AML-DAT-010: Defender for Storage -----------------------------------------------------
DEFENDER_TOKEN = "azure-native:security:DefenderForStorage"
DEFENDER: dict[str, Any] = {
    "settingName": "current",
    "properties": {
        "isEnabled": True,
        "overrideSubscriptionLevelSettings": True,
        "malwareScanning": {"onUpload": {"isEnabled": True, "capGBPerMonth": 10000}},
        "sensitiveDataDiscovery": {"isEnabled": True},
    },
}
DAT_009 = next(r for r in storage.RULES if r.policy_name == "aml-dat-009-production-defender-for-storage")
DAT_010 = RULES["aml-dat-010-defender-for-storage-settings"]


def _defender(account: Any, props: dict[str, Any] = DEFENDER, name: str = "defender") -> Any:
    """Defender settings whose resourceId is the account's (unknown at preview) id output."""
    return stack_resource(
        DEFENDER_TOKEN, name, {**props, "resourceId": UNKNOWN_STRING_VALUE}, {"resourceId": [account]}
    )


def _no_defender(account: Any, found: str) -> tuple[str, str]:
    return (
        f"StorageAccount {account.name!r} is tagged environment=production but has no Defender for Storage settings "
        f"(security:DefenderForStorage whose resourceId refers to it) enabling the plan; {found}",
        account.urn,
    )


def test_a_production_account_with_defender_passes() -> None:
    account = _account()
    assert run_stack(DAT_009, account, _defender(account)) == []
    # by its ARM id written out, in another case
    by_id = stack_resource(DEFENDER_TOKEN, "defender", {**DEFENDER, "resourceId": ACCOUNT_ID.upper()})
    assert run_stack(DAT_009, stack_resource(ACCOUNT_TOKEN, "st", {**ACCOUNT, "id": ACCOUNT_ID}), by_id) == []


def test_a_production_account_without_defender_fails() -> None:
    account = _account()
    assert run_stack(DAT_009, account) == [_no_defender(account, "there is none")]
    other = _account("other")
    assert run_stack(DAT_009, account, other, _defender(other)) == [_no_defender(account, "there is none")]
    tagged = _account(tags={"Environment": "Production"})
    assert run_stack(DAT_009, tagged) == [_no_defender(tagged, "there is none")]


@pytest.mark.parametrize("enabled", [False, "false", "False", DELETE, "yes"])
def test_defender_that_is_not_enabled_does_not_count(enabled: Any) -> None:
    account = _account()
    settings = _defender(account, changed(DEFENDER, "properties.isEnabled", enabled))
    assert run_stack(DAT_009, account, settings) == [_no_defender(account, "none enables it (properties.isEnabled)")]


def test_defender_is_not_required_outside_production() -> None:
    assert run_stack(DAT_009, _account(tags={"environment": "exploration"})) == []
    assert run_stack(DAT_009, _account(tags={})) == []


def test_defender_settings_pass() -> None:
    assert violations(DAT_010, DEFENDER_TOKEN, DEFENDER) == []
    assert violations(DAT_010, "azure-native:security/v20250101:DefenderForStorage", DEFENDER) == []
    as_strings = changed(
        changed(DEFENDER, "properties.isEnabled", "True"), "properties.sensitiveDataDiscovery.isEnabled", "true"
    )
    assert violations(DAT_010, DEFENDER_TOKEN, as_strings) == []
    # the cap bounds cost and is not judged
    assert (
        violations(DAT_010, DEFENDER_TOKEN, changed(DEFENDER, "properties.malwareScanning.onUpload.capGBPerMonth", -1))
        == []
    )


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "properties.isEnabled",
            False,
            "properties.isEnabled is False; it must be True (the plan is on for the account)",
        ),
        (
            "properties.overrideSubscriptionLevelSettings",
            "false",
            "properties.overrideSubscriptionLevelSettings is 'false'; it must be True (the account's settings apply, "
            "not those of the subscription's plan)",
        ),
        (
            "properties.malwareScanning.onUpload.isEnabled",
            DELETE,
            "properties.malwareScanning.onUpload.isEnabled is not set; Azure's default is insecure: set it to True "
            "(uploaded blobs are scanned for malware (PSRule Azure.Storage.Defender.MalwareScan))",
        ),
        (
            "properties.sensitiveDataDiscovery",
            DELETE,
            "properties.sensitiveDataDiscovery.isEnabled is not set; Azure's default is insecure: set it to True "
            "(sensitive data threat detection (PSRule Azure.Storage.Defender.DataScan))",
        ),
        (
            "properties.malwareScanning",
            ["onUpload"],
            "properties.malwareScanning is unreadable: expected an object, got a list",
        ),
    ],
)
def test_defender_settings_fail(path: str, value: Any, expected: str) -> None:
    assert violations(DAT_010, DEFENDER_TOKEN, changed(DEFENDER, path, value)) == [f"[AML-DAT-010] {expected}"]


def test_defender_settings_without_properties_fail_on_every_setting() -> None:
    assert len(violations(DAT_010, DEFENDER_TOKEN, {"settingName": "current"})) == 4
