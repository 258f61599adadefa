"""Rules for the workspace's storage account (``storage:StorageAccount``, ``storage:BlobServiceProperties``,
``security:DefenderForStorage``).

azure-native flattens the account's properties to the top level. Names and enum values: REST spec
``Microsoft.Storage/stable/2024-01-01/storage.json`` (``StorageAccountPropertiesCreateParameters``,
``NetworkRuleSet``; ``minimumTlsVersion`` is one of TLS1_0, TLS1_1, TLS1_2 and defaults to TLS 1.0; the SDK's
``MinimumTlsVersion`` enum adds TLS1_3) and
``common.json`` (``SkuName``). Blob service properties: ``blob.json`` (``isVersioningEnabled``,
``deleteRetentionPolicy``, ``containerDeleteRetentionPolicy``). ``isLocalUserEnabled`` (SFTP / local users)
has no default in the spec, and azurerm / checkov CKV_AZURE_244 treat an unset value as enabled, so a missing
value fails; ``allowCrossTenantReplication`` is "false for new accounts" by default (spec description), so a
missing value passes.

Encryption (``Encryption`` in ``storage.json``): ``keySource`` is Microsoft.Storage or Microsoft.Keyvault
(default Microsoft.Storage); the SDK names the key's properties ``keyVaultProperties.keyName`` /
``keyVaultUri`` / ``keyVersion`` (REST ``keyvaultproperties.keyname`` ...) and the identity
``encryptionIdentity.encryptionUserAssignedIdentity`` (REST ``identity.userAssignedIdentity``);
``requireInfrastructureEncryption`` has no default in the spec (Azure treats it as off); each service's
``keyType`` is Service or Account, create-only, and the Azure Policy built-ins f0e5abd0 / 7c322315 fail anything
but Account for queue and table (blob and file always use the account key). ``networkRuleSet.ipRules`` and
``resourceAccessRules`` are lists of rules that let an address range or a resource instance in beside the private
endpoints.
"""

from __future__ import annotations

from collections.abc import Iterator

from aml_catalogue import GEO_ZONE_REDUNDANT_SKUS, ZONE_REDUNDANT_SKUS
from aml_policies.core import (
    MISSING,
    SET_REQUIRED,
    Config,
    Props,
    ResourceRule,
    Stack,
    StackRule,
    Unreadable,
    all_of,
    as_number,
    described,
    equals,
    get,
    in_production,
    is_true,
    items,
    not_equal,
    number,
    one_of,
    present,
    same_any,
)

ACCOUNT = ("storage:StorageAccount",)
BLOB_SERVICE = ("storage:BlobServiceProperties",)
#: Account kinds without a blob service (``Kind`` enum: FileStorage holds Azure Files premium shares only).
NO_BLOB_SERVICE = ("FileStorage",)


def _redundancy(props: Props, config: Config) -> Iterator[str]:
    sku = get(props, "sku.name")
    production = in_production(props)
    geo = production and config["geoZoneRedundantInProduction"]
    allowed = GEO_ZONE_REDUNDANT_SKUS if geo else ZONE_REDUNDANT_SKUS
    if sku is MISSING:
        yield f"sku.name is not set; it must be one of {', '.join(allowed)}"
    elif not same_any(sku, allowed, "sku.name"):
        where = " in production" if geo else ""
        yield f"sku.name is {sku!r}; it must be one of {', '.join(allowed)}{where}"


@described(
    "deleteRetentionPolicy and containerDeleteRetentionPolicy (blob and container soft delete) are enabled with "
    "days of at least minRetentionDays"
)
def _retention(props: Props, config: Config) -> Iterator[str]:
    minimum = int(config["minRetentionDays"])
    for policy in ("deleteRetentionPolicy", "containerDeleteRetentionPolicy"):
        enabled = get(props, f"{policy}.enabled")
        if not is_true(enabled):
            found = "is not set" if enabled is MISSING else f"is {enabled!r}"
            yield f"{policy}.enabled {found}; it must be True"
            continue
        days = get(props, f"{policy}.days")
        if (read := as_number(days)) is None or read < minimum:
            found = "is not set" if days is MISSING else f"is {number(days)!r}"
            yield f"{policy}.days {found}; it must be at least {minimum}"


#: Firewall rules that let traffic in beside the private endpoints (AML-NET-016).
FIREWALL_EXCEPTIONS = ("networkRuleSet.ipRules", "networkRuleSet.resourceAccessRules")


@described(
    "networkRuleSet.ipRules and networkRuleSet.resourceAccessRules are empty (no address range or resource "
    "instance reaches the account beside its private endpoints; missing passes: no rule)"
)
def _no_firewall_exceptions(props: Props, _config: Config) -> Iterator[str]:
    for path in FIREWALL_EXCEPTIONS:
        rules = items(props, path)
        if rules:
            yield (
                f"{path} has {len(rules)} rule(s); it must be empty: the account is reached through its private "
                "endpoints only"
            )


def _blob_service_present(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """An account without a BlobServiceProperties keeps Azure's defaults: no versioning, no soft delete."""
    for account in stack.of_type(*ACCOUNT):
        kind = get(account.props, "kind")
        if kind is not MISSING and same_any(kind, NO_BLOB_SERVICE, "kind"):
            continue
        if not stack.referrers(account, BLOB_SERVICE, "accountName"):
            yield (
                f"StorageAccount {account.name!r} has no storage BlobServiceProperties whose accountName refers to "
                "it; without one, versioning and blob and container soft delete stay off",
                account.urn,
            )


@described(
    "networkRuleSet.bypass includes AzureServices (Azure's default when unset): trusted Azure services, Azure ML "
    "among them, reach the account through the firewall by their managed identity"
)
def _trusted_services(props: Props, _config: Config) -> Iterator[str]:
    bypass = get(props, "networkRuleSet.bypass")
    if bypass is MISSING:
        return  # Azure's default is AzureServices (REST spec 2024-01-01 NetworkRuleSet.bypass)
    if not isinstance(bypass, str):
        raise Unreadable("networkRuleSet.bypass", bypass, "a string of comma-separated flags")
    flags = {flag.strip().lower() for flag in bypass.split(",")}
    if "azureservices" not in flags:
        yield (
            f"networkRuleSet.bypass is {bypass!r}; it must include 'AzureServices', or Azure ML and the other "
            "trusted services cannot reach the account through its firewall"
        )


# --- AML-DAT-009 / AML-DAT-010: Defender for Storage ------------------------------------------------
#: ``Microsoft.Security/defenderForStorageSettings`` (REST 2024-10-01-preview, defenderForStorageSettings.json:
#: an extension resource named ``current`` under the account's id, given in ``resourceId``).
DEFENDER = ("security:DefenderForStorage",)


def _defender_in_production(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """A production account needs a Defender for Storage settings resource on it that enables the plan."""
    for account in stack.of_type(*ACCOUNT):
        if not in_production(account.props):
            continue
        settings = stack.referrers(account, DEFENDER, "resourceId")
        if not any(is_true(get(s.props, "properties.isEnabled")) for s in settings):
            found = "none enables it (properties.isEnabled)" if settings else "there is none"
            yield (
                f"StorageAccount {account.name!r} is tagged environment=production but has no Defender for Storage "
                f"settings (security:DefenderForStorage whose resourceId refers to it) enabling the plan; {found}",
                account.urn,
            )


# --- AML-REL-009 ------------------------------------------------------------------------------------
def _point_in_time_restore(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """The blob service of every production account can restore to a point in time: restorePolicy enabled for at
    least a day and less than deleteRetentionPolicy.days, with the change feed and versioning it needs."""
    for account in stack.of_type(*ACCOUNT):
        if not in_production(account.props):
            continue
        for service in stack.referrers(account, BLOB_SERVICE, "accountName"):
            problems = []
            days = as_number(get(service.props, "restorePolicy.days"))
            kept = as_number(get(service.props, "deleteRetentionPolicy.days"))
            if not is_true(get(service.props, "restorePolicy.enabled")):
                problems.append("restorePolicy.enabled is not true")
            elif days is None or days < 1:
                problems.append("restorePolicy.days is not a number of days of at least 1")
            elif kept is not None and days >= kept:
                problems.append(f"restorePolicy.days {number(days)} is not less than deleteRetentionPolicy.days")
            if not is_true(get(service.props, "changeFeed.enabled")):
                problems.append("changeFeed.enabled is not true")
            if not is_true(get(service.props, "isVersioningEnabled")):
                problems.append("isVersioningEnabled is not true")
            if problems:
                yield (
                    f"BlobServiceProperties {service.name!r} of production account {account.name!r} cannot restore "
                    f"blobs to a point in time: {'; '.join(problems)}",
                    service.urn,
                )


RULES = (
    ResourceRule(
        control="AML-NET-005",
        name="storage-private-access",
        types=ACCOUNT,
        check=all_of(
            equals("publicNetworkAccess", "Disabled"),
            equals("networkRuleSet.defaultAction", "Deny"),
            not_equal(
                "allowCrossTenantReplication",
                True,
                why="object replication stays inside the tenant (built-in 92a89a79)",
                default=False,
            ),
            _trusted_services,
        ),
        remediate=SET_REQUIRED,
    ),
    ResourceRule(
        control="AML-NET-016",
        name="storage-no-firewall-exceptions",
        types=ACCOUNT,
        check=_no_firewall_exceptions,
    ),
    ResourceRule(
        control="AML-ENC-005",
        name="storage-customer-managed-key",
        types=ACCOUNT,
        check=all_of(
            equals(
                "encryption.keySource",
                "Microsoft.Keyvault",
                why="a customer-managed key in Key Vault (built-in 6fac406b)",
                default="Microsoft.Storage",
            ),
            present("encryption.keyVaultProperties.keyVaultUri", why="the vault of the key"),
            present("encryption.keyVaultProperties.keyName", why="the key"),
        ),
    ),
    ResourceRule(
        control="AML-ENC-006",
        name="storage-infrastructure-encryption",
        types=ACCOUNT,
        check=equals(
            "encryption.requireInfrastructureEncryption",
            True,
            why="data encrypted twice, also at the infrastructure layer; settable only when the account is created",
            default=False,
        ),
    ),
    ResourceRule(
        control="AML-ENC-007",
        name="storage-queue-table-account-key",
        types=ACCOUNT,
        check=all_of(
            equals("encryption.services.queue.keyType", "Account", why="built-in f0e5abd0", default="Service"),
            equals("encryption.services.table.keyType", "Account", why="built-in 7c322315", default="Service"),
        ),
    ),
    ResourceRule(
        control="AML-IAM-006",
        name="storage-no-shared-key",
        types=ACCOUNT,
        check=all_of(
            equals("allowSharedKeyAccess", False, default=True),
            equals("isLocalUserEnabled", False, why="no SFTP / local-user passwords or keys"),
        ),
    ),
    ResourceRule(
        control="AML-ENC-002",
        name="storage-secure-transfer",
        types=ACCOUNT,
        check=all_of(
            not_equal("enableHttpsTrafficOnly", False, why="HTTPS only", default=True),
            one_of("minimumTlsVersion", ("TLS1_2", "TLS1_3"), default="TLS1_0"),
        ),
        remediate=SET_REQUIRED,
    ),
    ResourceRule(
        control="AML-DAT-001",
        name="storage-no-anonymous-blob-access",
        types=ACCOUNT,
        check=equals("allowBlobPublicAccess", False),
        remediate=SET_REQUIRED,
    ),
    ResourceRule(
        control="AML-REL-001",
        name="storage-zone-redundant",
        types=ACCOUNT,
        description="sku.name is zone-redundant (ZRS, GZRS, RA-GZRS); geo-zone-redundant when tagged "
        "environment=production.",
        check=_redundancy,
        config={
            "geoZoneRedundantInProduction": {
                "type": "boolean",
                "default": True,
                "description": "Require GZRS or RA-GZRS for accounts tagged environment=production.",
            }
        },
    ),
    ResourceRule(
        control="AML-DAT-002",
        name="blob-versioning-and-soft-delete",
        types=BLOB_SERVICE,
        check=all_of(equals("isVersioningEnabled", True), _retention),
        config={
            "minRetentionDays": {
                "type": "integer",
                "minimum": 1,
                "maximum": 365,
                "default": 7,
                "description": "The shortest blob and container soft-delete retention accepted, in days.",
            }
        },
    ),
    StackRule(
        control="AML-DAT-002",
        name="storage-blob-service-present",
        description="every StorageAccount (except kind 'FileStorage') has a BlobServiceProperties whose "
        "accountName refers to it, so the blob rule above has something to judge.",
        check=_blob_service_present,
    ),
    StackRule(
        control="AML-DAT-009",
        name="production-defender-for-storage",
        description="every StorageAccount tagged environment=production has a security:DefenderForStorage whose "
        "resourceId refers to it and whose properties.isEnabled is true.",
        check=_defender_in_production,
    ),
    ResourceRule(
        control="AML-DAT-010",
        name="defender-for-storage-settings",
        types=DEFENDER,
        check=all_of(
            equals("properties.isEnabled", True, why="the plan is on for the account"),
            equals(
                "properties.overrideSubscriptionLevelSettings",
                True,
                why="the account's settings apply, not those of the subscription's plan",
            ),
            equals(
                "properties.malwareScanning.onUpload.isEnabled",
                True,
                why="uploaded blobs are scanned for malware (PSRule Azure.Storage.Defender.MalwareScan)",
            ),
            equals(
                "properties.sensitiveDataDiscovery.isEnabled",
                True,
                why="sensitive data threat detection (PSRule Azure.Storage.Defender.DataScan)",
            ),
        ),
        # No remediation: turning a scanner on is a billed choice, made in the program.
    ),
    StackRule(
        control="AML-REL-009",
        name="production-blob-point-in-time-restore",
        description="the BlobServiceProperties of every storage account tagged environment=production has "
        "restorePolicy enabled for 1 day or more and fewer days than deleteRetentionPolicy.days, changeFeed "
        "enabled and isVersioningEnabled true.",
        check=_point_in_time_restore,
    ),
)
