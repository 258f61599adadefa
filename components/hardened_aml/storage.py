"""The workspace's default storage account: private, Entra-only, zone-redundant, soft-deleted blobs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native.storage as storage

from hardened_aml import shared
from hardened_aml.errors import InvalidInputError

#: Zone-redundant SKUs (control AML-REL-001); production asks for the geo-zone-redundant ones.
ZONE_REDUNDANT_SKUS = ("Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS", "Premium_ZRS")
GEO_ZONE_REDUNDANT_SKUS = ("Standard_GZRS", "Standard_RAGZRS")


@dataclass(frozen=True, kw_only=True)
class StorageArgs:
    """Inputs of :class:`Storage`."""

    resource_group_name: pulumi.Input[str]
    """The resource group. Default: none, required."""
    location: str
    """The Azure region. Default: none, required."""
    account_name: str
    """Name of the account: 3-24 lowercase letters and digits. Default: none, required (from ``Namer``)."""
    log_analytics_workspace_id: pulumi.Input[str]
    """Where diagnostics go. Default: none, required (control AML-MON-002)."""
    sku: str = "Standard_ZRS"
    """Redundancy. Default: ``Standard_ZRS``; one of ZRS/GZRS/RAGZRS/Premium_ZRS (control AML-REL-001)."""
    soft_delete_days: int = 7
    """Blob and container soft-delete retention. Default: 7 days; 7..365 (control AML-DAT-002)."""
    protection: shared.Protection = field(default_factory=shared.Protection)
    """``protect`` and a ``CanNotDelete`` lock on the account. Default: off (control AML-REL-006)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


class Storage(pulumi.ComponentResource):
    """A StorageV2 account with no public network access, no shared keys and blob versioning."""

    account_id: pulumi.Output[str]

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if args.sku not in ZONE_REDUNDANT_SKUS:
            raise InvalidInputError(f"{name}.sku", args.sku, ZONE_REDUNDANT_SKUS)
        if not 7 <= args.soft_delete_days <= 365:
            raise InvalidInputError(f"{name}.soft_delete_days", args.soft_delete_days, "7..365 days")
        super().__init__("hardened-aml:index:Storage", name, None, opts)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protection.protect)

        self.account = storage.StorageAccount(
            f"{name}-st",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind=storage.Kind.STORAGE_V2,
            sku=storage.SkuArgs(name=args.sku),  # AML-REL-001
            access_tier=storage.AccessTier.HOT,
            public_network_access="Disabled",  # AML-NET-005
            network_rule_set=storage.NetworkRuleSetArgs(
                default_action=storage.DefaultAction.DENY,  # AML-NET-005
                bypass="AzureServices",
                ip_rules=[],
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
            encryption=storage.EncryptionArgs(
                key_source="Microsoft.Storage",
                require_infrastructure_encryption=True,
                services=storage.EncryptionServicesArgs(
                    blob=storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
                    file=storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
                ),
            ),
            tags=dict(args.tags),
            opts=stateful,
        )
        # AML-DAT-002: versioning, blob and container soft delete (the policy also requires this resource to exist).
        self.blob_service = storage.BlobServiceProperties(
            f"{name}-blob",
            account_name=self.account.name,
            resource_group_name=args.resource_group_name,
            blob_services_name="default",
            is_versioning_enabled=True,
            delete_retention_policy=storage.DeleteRetentionPolicyArgs(enabled=True, days=args.soft_delete_days),
            container_delete_retention_policy=storage.DeleteRetentionPolicyArgs(
                enabled=True, days=args.soft_delete_days
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # AML-MON-002: the account emits metrics only; its logs are per service (blob), so both get one.
        self.diagnostics = shared.diagnostics(
            f"{name}-diag-st",
            resource_id=self.account.id,
            log_analytics_workspace_id=args.log_analytics_workspace_id,
            parent=self,
            logs=False,
        )
        self.blob_diagnostics = shared.diagnostics(
            f"{name}-diag-blob",
            resource_id=pulumi.Output.concat(self.account.id, "/blobServices/default"),
            log_analytics_workspace_id=args.log_analytics_workspace_id,
            parent=self,
        )
        self.locks = (
            [shared.delete_lock(f"{name}-st-lock", resource=self.account, resource_id=self.account.id, parent=self)]
            if args.protection.lock  # AML-REL-006
            else []
        )
        self.account_id = self.account.id
        self.register_outputs({"account_id": self.account_id})
