"""The workspace's default storage account: private, Entra-only, zone-redundant, soft-deleted blobs, encrypted
with the estate's customer-managed key on top of infrastructure (double) encryption.

Azure ML supports a customer-managed key on the workspace's default storage account, which holds snapshots,
outputs and logs: "Data encryption with Azure Machine Learning", section "Azure Blob Storage"
(MicrosoftDocs/azure-ai-docs ``articles/machine-learning/concept-data-encryption.md``) sends the reader to
Azure Storage's own customer-managed-key configuration. The key is set when the account is created, through a
user-assigned identity (a new account accepts no other: "Configure customer-managed keys in the same tenant for
a new storage account", learn.microsoft.com/azure/storage/common/customer-managed-keys-configure-new-account).
``requireInfrastructureEncryption`` and the queue and table ``keyType`` can only be chosen at creation
(REST spec 2024-01-01 ``EncryptionService.keyType``: ``x-ms-mutability`` create, read; "Infrastructure encryption
cannot be enabled or disabled after the account has been created", learn.microsoft.com/azure/storage/common/
infrastructure-encryption-enable): an existing account cannot be switched in place.

Each of the account's four services (blob, file, queue, table) is declared as a resource of its own, and its
diagnostic setting names that resource's id (control AML-MON-009): at preview the ids are unknown, and the pack
relates a setting to its service, and the service to its account, through these engine dependencies.

Defender for Storage (``Microsoft.Security/defenderForStorageSettings``, REST API 2024-10-01-preview, the version
``pulumi_azure_native.security.DefenderForStorage`` of azure-native 3.29.0 serves; ``defenderForStorageSettings.json``
in Azure/azure-rest-api-specs: setting name ``current``, ``isEnabled``, ``overrideSubscriptionLevelSettings``,
``malwareScanning.onUpload.isEnabled`` / ``capGBPerMonth``, ``sensitiveDataDiscovery.isEnabled``) is billed per
account and month, and on-upload malware scanning per GB scanned ("Malware scanning in Defender for Storage",
learn.microsoft.com/azure/defender-for-cloud/defender-for-storage-malware-scan): on by default in production,
asked for by name elsewhere (control AML-DAT-009).

Training checkpoints (controls AML-REL-102, AML-DAT-006) go to a private blob container of their own, which a
lifecycle management policy (``storage.ManagementPolicy``, REST spec ``Microsoft.Storage/stable/2024-01-01/
storage.json``: ``ManagementPolicySchema.rules[]`` of ``{name, enabled, type: Lifecycle, definition: {filters:
{prefixMatch, blobTypes}, actions: {baseBlob, version}}}``; the policy's name is always ``default``) tiers to cool
and then deletes. A prefix starts with the container's name ("Lifecycle management policy structure",
learn.microsoft.com/azure/storage/blobs/lifecycle-management-policy-structure), so ``checkpoints/`` covers the
container and nothing else. The account keeps blob versions (AML-DAT-002): deleting a current version only makes it
a previous version, so the rule tiers and deletes previous versions too, by the days since they became previous.
"""

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native.security as security
import pulumi_azure_native.storage as storage
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml import shared
from hardened_aml.catalogue import GEO_ZONE_REDUNDANT_SKUS, ZONE_REDUNDANT_SKUS, control
from hardened_aml.cmk import CustomerManagedKey, key_access, key_choice_problems
from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule
from hardened_aml.private_endpoint import PrivateLink
from hardened_aml.shared import Environment

#: The storage services whose resource logs are sent, each through a diagnostic setting on its own service
#: resource (control AML-MON-009): blob (datastores, checkpoints), file (notebooks, code snapshots), queue and table.
LOGGED_SERVICES = ("blob", "file", "queue", "table")
#: The most GB that on-upload malware scanning reads per month, the cost ceiling Microsoft sets by default
#: ("Configure malware scanning and sensitive data detection", learn.microsoft.com/training/modules/
#: implement-defender-storage: monthly cap, default 10,000 GB, on-upload only).
MALWARE_SCAN_CAP_GB_PER_MONTH = 10_000
#: The blob container for training checkpoints, and how long they stay hot and kept by default: the catalogue's
#: AML-DAT-006 defaults, which the pack's config reads too (controls AML-REL-102, AML-DAT-006).
CHECKPOINT_CONTAINER: str = control("AML-DAT-006").defaults["checkpointContainers"][0]
DEFAULT_COOL_AFTER_DAYS: int = control("AML-DAT-006").defaults["coolAfterDays"]
DEFAULT_DELETE_AFTER_DAYS: int = control("AML-DAT-006").defaults["deleteAfterDays"]

__all__ = [
    "CHECKPOINT_CONTAINER",
    "GEO_ZONE_REDUNDANT_SKUS",
    "ZONE_REDUNDANT_SKUS",
    "CheckpointLifecycle",
    "Storage",
    "StorageArgs",
    "StorageSettings",
    "StorageSku",
]

#: The account's private-link sub-resources and their zones, one endpoint each ("Azure Private Endpoint private
#: DNS zone values", learn.microsoft.com/azure/private-link/private-endpoint-dns: Microsoft.Storage/
#: storageAccounts, ``blob`` and ``file``). The workspace reads blobs and its file share through them.
PRIVATE_LINK_GROUPS: dict[str, tuple[str, ...]] = {
    "blob": ("privatelink.blob.core.windows.net",),
    "file": ("privatelink.file.core.windows.net",),
}


class StorageSku(StrEnum):
    """Zone-redundant storage SKUs, the catalogue's ``ZONE_REDUNDANT_SKUS`` (control AML-REL-001)."""

    STANDARD_ZRS = "Standard_ZRS"
    """Zone-redundant. The default outside production."""
    PREMIUM_ZRS = "Premium_ZRS"
    """Zone-redundant, premium performance."""
    STANDARD_GZRS = "Standard_GZRS"
    """Geo-zone-redundant. The default in production."""
    STANDARD_RAGZRS = "Standard_RAGZRS"
    """Geo-zone-redundant with read access to the secondary region."""


@args
class StorageSettings(TypedDict):
    """What a stack may choose for the estate's storage account (``hardened-aml:storage``)."""

    defender_for_storage: NotRequired[bool | None]
    """Microsoft Defender for Storage on the account, with on-upload malware scanning (capped at
    10,000 GB a month) and sensitive data threat detection. Billed per account and month, and per GB scanned.
    Default: none, by environment: on in production, off otherwise; ``false`` is refused in production
    (controls AML-DAT-009, AML-DAT-010)."""


@args
class CheckpointLifecycle(TypedDict):
    """How long training checkpoints stay in the hot tier and when they are deleted: a stack's ``checkpoints``
    section (control AML-DAT-006). Days count from a checkpoint's last modification, and for a previous version
    from when it became previous. The cool tier bills a blob for at least 30 days, so a delete sooner than 30 days
    after cooling costs as much as keeping it."""

    cool_after_days: NotRequired[Annotated[int, Field(default=DEFAULT_COOL_AFTER_DAYS, ge=1, le=36500)]]
    """Days after which a checkpoint moves to the cool tier, 1 to 36500. Default: 30 (control AML-DAT-006)."""
    delete_after_days: NotRequired[Annotated[int, Field(default=DEFAULT_DELETE_AFTER_DAYS, ge=2, le=36500)]]
    """Days after which a checkpoint is deleted, more than ``coolAfterDays`` and at most 36500. Default: 90
    (control AML-DAT-006)."""


@rule(CheckpointLifecycle)
def _deleted_after_cooling(c: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    if c["delete_after_days"] <= c["cool_after_days"]:
        yield (
            ("delete_after_days",),
            c["delete_after_days"],
            f"more days than the {c['cool_after_days']} after which checkpoints cool: they are tiered to cool "
            "first and deleted later",
        )


@args
class StorageArgs(StorageSettings):
    """Inputs of :class:`Storage`."""

    resource_group_name: Annotated[Input[str], Wired()]
    """The resource group. Required."""
    location: str
    """The Azure region. Required."""
    account_name: Annotated[str, Field(pattern=r"^[a-z0-9]{3,24}$")]
    """Name of the account: 3-24 lowercase letters and digits. Required (from ``Namer``)."""
    log_analytics_workspace_id: Annotated[Input[str], Wired()]
    """Where diagnostics go. Required (control AML-MON-002)."""
    environment: NotRequired[Annotated[Environment, Field(default=Environment.EXPLORATION)]]
    """``production`` protects the account (``protect`` and a ``CanNotDelete`` lock), asks for geo-zone-redundant
    storage and keeps deleted blobs longer. Default: ``exploration`` (controls AML-REL-001, AML-REL-006,
    AML-DAT-002)."""
    sku: NotRequired[StorageSku | None]
    """Redundancy, zone-redundant; geo-zone-redundant (``Standard_GZRS``, ``Standard_RAGZRS``) in production.
    Default: none, by environment: ``Standard_GZRS`` in production, ``Standard_ZRS`` otherwise
    (control AML-REL-001)."""
    soft_delete_days: NotRequired[Annotated[int, Field(ge=7, le=365)] | None]
    """Blob and container soft-delete retention in days, 7 to 365. Default: none, by environment: 30 in
    production, 7 otherwise (control AML-DAT-002)."""
    point_in_time_restore: NotRequired[bool | None]
    """Blob point-in-time restore over the soft-delete window less a day, with the change feed it needs (kept
    as long as the window). Costs storage for the change feed. Default: none, by environment: on in
    production, off otherwise (control AML-REL-009)."""
    customer_managed_key: NotRequired[CustomerManagedKey | None]
    """The key the account is encrypted with (the estate's key), read through a user-assigned identity made for
    the account with Key Vault Crypto Service Encryption User on that key only. Required unless
    ``microsoft_managed_keys`` is set (control AML-ENC-005)."""
    microsoft_managed_keys: NotRequired[Annotated[bool, Field(default=False)]]
    """Insecure, by name: keep Microsoft-managed keys instead of a customer-managed key. Refused in production.
    Default: false (control AML-ENC-005)."""
    checkpoint_lifecycle: NotRequired[
        Annotated[CheckpointLifecycle, Field(default_factory=dict, validate_default=True)]
    ]
    """When checkpoints in the ``checkpoints`` container cool and are deleted. Default: cool after 30 days, deleted
    after 90 (control AML-DAT-006)."""
    tags: NotRequired[Annotated[dict[str, str], Field(default_factory=dict)]]
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


@rule(StorageArgs)
def _geo_redundant_in_production(s: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    sku = s.get("sku")
    if s["environment"] is Environment.PRODUCTION and sku is not None and sku.value not in GEO_ZONE_REDUNDANT_SKUS:
        yield ("sku",), sku.value, "one of " + ", ".join(GEO_ZONE_REDUNDANT_SKUS) + " in production (AML-REL-001)"


@rule(StorageArgs)
def _defender_in_production(s: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    if s["environment"] is Environment.PRODUCTION and s.get("defender_for_storage") is False:
        yield ("defender_for_storage",), False, "true (or unset) in production (AML-DAT-009)"


@rule(StorageArgs)
def _customer_managed_key(s: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    yield from key_choice_problems(s, "AML-ENC-005", "the account")


class Storage(pulumi.ComponentResource):
    """A StorageV2 account with no public network access, no shared keys and blob versioning."""

    account_id: pulumi.Output[str]

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(StorageArgs, args, name)
        super().__init__("hardened-aml:index:Storage", name, None, opts)
        production = a["environment"] is Environment.PRODUCTION
        protection = shared.protection(a["environment"])
        sku = a.get("sku") or (StorageSku.STANDARD_GZRS if production else StorageSku.STANDARD_ZRS)
        soft_delete_days = a.get("soft_delete_days") or (30 if production else 7)
        restore = a.get("point_in_time_restore")
        restore = production if restore is None else restore
        # AML-ENC-005: the account's own identity reads the key; the account waits for its role on the key.
        self.key_access = key_access(f"{name}-st", a, parent=self)
        stateful = pulumi.ResourceOptions(
            parent=self,
            protect=protection.protect,
            depends_on=[self.key_access.role] if self.key_access is not None else None,
        )
        # AML-ENC-006 / AML-ENC-007: infrastructure (double) encryption, and the account key for every service.
        services = storage.EncryptionServicesArgs(
            blob=storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
            file=storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
            queue=storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
            table=storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
        )
        if self.key_access is not None:
            encryption = storage.EncryptionArgs(
                key_source="Microsoft.Keyvault",  # AML-ENC-005
                key_vault_properties=storage.KeyVaultPropertiesArgs(
                    # No keyVersion: the account follows the key's rotation (checked daily by Azure Storage).
                    key_name=self.key_access.key_name,
                    key_vault_uri=self.key_access.vault_uri,
                ),
                encryption_identity=storage.EncryptionIdentityArgs(
                    encryption_user_assigned_identity=self.key_access.identity_id
                ),
                require_infrastructure_encryption=True,
                services=services,
            )
            identity = storage.IdentityArgs(type="UserAssigned", user_assigned_identities=[self.key_access.identity_id])
        else:  # microsoft_managed_keys, asked for by name
            encryption = storage.EncryptionArgs(
                key_source="Microsoft.Storage", require_infrastructure_encryption=True, services=services
            )
            identity = None

        self.account = storage.StorageAccount(
            f"{name}-st",
            account_name=a["account_name"],
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            kind=storage.Kind.STORAGE_V2,
            sku=storage.SkuArgs(name=sku.value),  # AML-REL-001
            access_tier=storage.AccessTier.HOT,
            public_network_access="Disabled",  # AML-NET-005
            network_rule_set=storage.NetworkRuleSetArgs(
                default_action=storage.DefaultAction.DENY,  # AML-NET-005
                bypass="AzureServices",
                ip_rules=[],  # AML-NET-016: no address reaches the account around its private endpoints
                resource_access_rules=[],  # AML-NET-016: nor any resource instance
                virtual_network_rules=[],
            ),
            allow_blob_public_access=False,  # AML-DAT-001
            allow_shared_key_access=False,  # AML-IAM-006: Entra ID only
            default_to_o_auth_authentication=True,
            enable_https_traffic_only=True,  # AML-ENC-002
            minimum_tls_version="TLS1_2",  # AML-ENC-002
            allow_cross_tenant_replication=False,  # AML-NET-005: object replication stays in the tenant
            is_hns_enabled=False,  # the workspace's default storage must not be hierarchical
            is_sftp_enabled=False,
            is_local_user_enabled=False,  # AML-IAM-006: no SFTP / local-user credentials
            encryption=encryption,
            identity=identity,
            tags=dict(a["tags"]),
            opts=stateful,
        )
        # AML-DAT-002: versioning, blob and container soft delete (the policy also requires this resource to exist).
        self.blob_service = storage.BlobServiceProperties(
            f"{name}-blob",
            account_name=self.account.name,
            resource_group_name=a["resource_group_name"],
            blob_services_name="default",
            is_versioning_enabled=True,
            delete_retention_policy=storage.DeleteRetentionPolicyArgs(enabled=True, days=soft_delete_days),
            container_delete_retention_policy=storage.DeleteRetentionPolicyArgs(enabled=True, days=soft_delete_days),
            # AML-REL-009: point-in-time restore needs versioning, soft delete and the change feed, and restores
            # at most a day less than soft delete keeps (blob.json 2024-01-01, RestorePolicyProperties.days).
            change_feed=storage.ChangeFeedArgs(enabled=True, retention_in_days=soft_delete_days) if restore else None,
            restore_policy=storage.RestorePolicyPropertiesArgs(enabled=True, days=soft_delete_days - 1)
            if restore
            else None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # AML-REL-102: training checkpoints go to a container of their own, private (AML-DAT-001), versioned and
        # soft-deleted with the rest of the account; only training identities may write to it (AML-DAT-007).
        self.checkpoints = storage.BlobContainer(
            f"{name}-checkpoints",
            container_name=CHECKPOINT_CONTAINER,
            account_name=self.account.name,
            resource_group_name=a["resource_group_name"],
            public_access=storage.PublicAccess.NONE,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.blob_service]),
        )
        self.checkpoints_id = self.checkpoints.id
        # AML-MON-009: the file, queue and table services as resources of their own, like the blob service above,
        # so that each diagnostic setting names its service by the service resource's id (storage API 2024-01-01;
        # the SDK's fileServicesName / queueServiceName / tableServiceName: the name must be "default").
        service_opts = pulumi.ResourceOptions(parent=self)
        self.file_service = storage.FileServiceProperties(
            f"{name}-file",
            account_name=self.account.name,
            resource_group_name=a["resource_group_name"],
            file_services_name="default",
            # Deleted shares (the workspace's notebooks and code snapshots) are kept as long as deleted blobs.
            share_delete_retention_policy=storage.DeleteRetentionPolicyArgs(enabled=True, days=soft_delete_days),
            opts=service_opts,
        )
        # No CORS rules: "If no CorsRule elements are included in the request body, all CORS rules will be deleted,
        # and CORS will be disabled" (the SDK's QueueServiceProperties / TableServiceProperties ``cors``).
        self.queue_service = storage.QueueServiceProperties(
            f"{name}-queue",
            account_name=self.account.name,
            resource_group_name=a["resource_group_name"],
            queue_service_name="default",
            cors=storage.CorsRulesArgs(cors_rules=[]),
            opts=service_opts,
        )
        self.table_service = storage.TableServiceProperties(
            f"{name}-table",
            account_name=self.account.name,
            resource_group_name=a["resource_group_name"],
            table_service_name="default",
            cors=storage.CorsRulesArgs(cors_rules=[]),
            opts=service_opts,
        )
        services_by_name: dict[str, pulumi.CustomResource] = {
            "blob": self.blob_service,
            "file": self.file_service,
            "queue": self.queue_service,
            "table": self.table_service,
        }
        # AML-DAT-006: checkpoints cool, then go; previous versions too, or a delete would only make them previous.
        lifecycle = a["checkpoint_lifecycle"]
        cool, delete = lifecycle["cool_after_days"], lifecycle["delete_after_days"]
        self.lifecycle = storage.ManagementPolicy(
            f"{name}-lifecycle",
            account_name=self.account.name,
            resource_group_name=a["resource_group_name"],
            management_policy_name="default",  # the only name Azure accepts
            policy=storage.ManagementPolicySchemaArgs(
                rules=[
                    storage.ManagementPolicyRuleArgs(
                        name=CHECKPOINT_CONTAINER,
                        type=storage.RuleType.LIFECYCLE,
                        enabled=True,
                        definition=storage.ManagementPolicyDefinitionArgs(
                            filters=storage.ManagementPolicyFilterArgs(
                                blob_types=["blockBlob"], prefix_match=[f"{CHECKPOINT_CONTAINER}/"]
                            ),
                            actions=storage.ManagementPolicyActionArgs(
                                base_blob=storage.ManagementPolicyBaseBlobArgs(
                                    tier_to_cool=storage.DateAfterModificationArgs(
                                        days_after_modification_greater_than=cool
                                    ),
                                    delete=storage.DateAfterModificationArgs(
                                        days_after_modification_greater_than=delete
                                    ),
                                ),
                                version=storage.ManagementPolicyVersionArgs(
                                    tier_to_cool=storage.DateAfterCreationArgs(days_after_creation_greater_than=cool),
                                    delete=storage.DateAfterCreationArgs(days_after_creation_greater_than=delete),
                                ),
                            ),
                        ),
                    )
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.checkpoints]),
        )
        # AML-MON-002: the account emits metrics only; its logs are per service (AML-MON-009): every service sends
        # StorageRead, StorageWrite and StorageDelete, named in the one table of categories.
        self.diagnostics = shared.diagnostics(
            f"{name}-diag-st",
            resource_id=self.account.id,
            resource_type="Microsoft.Storage/storageAccounts",
            log_analytics_workspace_id=a["log_analytics_workspace_id"],
            parent=self,
        )
        self.service_diagnostics = [
            shared.diagnostics(
                f"{name}-diag-{service}",
                resource_id=services_by_name[service].id,
                resource_type=f"Microsoft.Storage/storageAccounts/{service}Services",
                log_analytics_workspace_id=a["log_analytics_workspace_id"],
                parent=self,
            )
            for service in LOGGED_SERVICES
        ]
        # AML-DAT-009 / AML-DAT-010: Defender for Storage, in production unless refused above, elsewhere by name.
        defender = a.get("defender_for_storage")
        self.defender = (
            security.DefenderForStorage(
                f"{name}-defender",
                resource_id=self.account.id,
                setting_name="current",
                properties=security.DefenderForStorageSettingPropertiesArgs(
                    is_enabled=True,
                    # These settings, not the subscription's plan, apply to the account.
                    override_subscription_level_settings=True,
                    malware_scanning=security.MalwareScanningPropertiesArgs(
                        on_upload=security.OnUploadPropertiesArgs(
                            is_enabled=True, cap_gb_per_month=MALWARE_SCAN_CAP_GB_PER_MONTH
                        )
                    ),
                    sensitive_data_discovery=security.SensitiveDataDiscoveryPropertiesArgs(is_enabled=True),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            if (production if defender is None else defender)
            else None
        )
        self.locks = (
            [shared.delete_lock(f"{name}-st-lock", resource=self.account, resource_id=self.account.id, parent=self)]
            if protection.lock  # AML-REL-006
            else []
        )
        self.account_id = self.account.id
        # AML-NET-003 / AML-NET-005: the account is reached through private endpoints only.
        self.private_links: list[PrivateLink] = [
            PrivateLink(purpose=group, target_resource_id=self.account_id, group_id=group, dns_zones=zones)
            for group, zones in PRIVATE_LINK_GROUPS.items()
        ]
        self.register_outputs({"account_id": self.account_id, "checkpoints_id": self.checkpoints_id})
