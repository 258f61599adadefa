"""A private, RBAC-only Key Vault with the estate's customer-managed key.

Controls AML-ENC-001 (CMK), AML-ENC-003 (rotation), AML-IAM-004, AML-NET-006, AML-DAT-003, AML-MON-002.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native.keyvault as keyvault

from hardened_aml import shared
from hardened_aml.errors import InvalidInputError

#: "Key Vault Crypto Service Encryption User": read key metadata and wrap/unwrap only; the least-privilege
#: built-in role for a service identity that uses a CMK. Source: learn.microsoft.com/azure/
#: role-based-access-control/built-in-roles/security#key-vault-crypto-service-encryption-user; the same
#: GUID in Azure/bicep-registry-modules (avm/res/key-vault/vault role map) and Azure Quickstart templates.
KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"

_ISO_DURATION = r"^P(?:\d+Y)?(?:\d+M)?(?:\d+D)?$"


@dataclass(frozen=True, kw_only=True)
class KeyVaultArgs:
    """Inputs of :class:`KeyVault`."""

    resource_group_name: pulumi.Input[str]
    """The resource group. Default: none, required."""
    location: str
    """The Azure region. Default: none, required."""
    vault_name: str
    """Name of the vault. Default: none, required (from ``Namer``)."""
    key_name: str
    """Name of the customer-managed key. Default: none, required (from ``Namer``)."""
    tenant_id: pulumi.Input[str]
    """Entra ID tenant of the vault. Default: none, required."""
    subscription_id: pulumi.Input[str]
    """Subscription of the role definitions. Default: none, required."""
    cmk_principal_id: pulumi.Input[str]
    """Principal id of the identity that uses the key (the workspace's user-assigned identity). Default: none,
    required; it gets "Key Vault Crypto Service Encryption User" on the key only (control AML-IAM-003)."""
    log_analytics_workspace_id: pulumi.Input[str]
    """Where diagnostics go. Default: none, required (control AML-MON-002)."""
    key_expiry: str = "P2Y"
    """Key lifetime (ISO-8601 duration) in the rotation policy. Default: ``P2Y`` (control AML-ENC-003)."""
    rotate_before_expiry: str = "P60D"
    """Rotate this long before expiry (ISO-8601 duration). Default: ``P60D`` (control AML-ENC-003)."""
    protection: shared.Protection = field(default_factory=shared.Protection)
    """``protect`` and a ``CanNotDelete`` lock on the vault and the key. Default: off
    (control AML-REL-006)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


class KeyVault(pulumi.ComponentResource):
    """A Key Vault (RBAC, purge protection, 90-day soft delete, no public access) and a rotated RSA key."""

    vault_id: pulumi.Output[str]
    key_id: pulumi.Output[str]
    key_uri_with_version: pulumi.Output[str]
    key_access: pulumi.Resource
    """The role assignment that lets the identity use the key: depend on it before using the key."""

    def __init__(self, name: str, args: KeyVaultArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        for key in ("key_expiry", "rotate_before_expiry"):
            value = getattr(args, key)
            if not re.match(_ISO_DURATION, value) or value == "P":
                raise InvalidInputError(f"{name}.{key}", value, "an ISO-8601 duration such as P2Y or P60D")
        super().__init__("hardened-aml:index:KeyVault", name, None, opts)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protection.protect)

        self.vault = keyvault.Vault(
            f"{name}-kv",
            vault_name=args.vault_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=args.tenant_id,
                sku=keyvault.SkuArgs(family="A", name=keyvault.SkuName.STANDARD),
                enable_rbac_authorization=True,  # AML-IAM-004: RBAC, no access policies
                access_policies=[],
                enable_purge_protection=True,  # AML-DAT-003 (CMK needs it too)
                enable_soft_delete=True,  # AML-DAT-003
                soft_delete_retention_in_days=90,  # AML-DAT-003
                public_network_access="Disabled",  # AML-NET-006
                network_acls=keyvault.NetworkRuleSetArgs(
                    default_action="Deny",  # AML-NET-006
                    bypass="AzureServices",
                    ip_rules=[],
                    virtual_network_rules=[],
                ),
                enabled_for_deployment=False,
                enabled_for_disk_encryption=False,
                enabled_for_template_deployment=False,
            ),
            tags=dict(args.tags),
            opts=stateful,
        )
        # The key is created through ARM (control plane), so the vault's closed data plane does not block it.
        self.key = keyvault.Key(
            f"{name}-cmk",
            key_name=args.key_name,
            vault_name=self.vault.name,
            resource_group_name=args.resource_group_name,
            properties=keyvault.KeyPropertiesArgs(
                kty="RSA",
                key_size=3072,
                attributes=keyvault.KeyAttributesArgs(enabled=True, exportable=False),
                # AML-ENC-003: a rotation policy with a "rotate" action and an expiry.
                rotation_policy=keyvault.RotationPolicyArgs(
                    attributes=keyvault.KeyRotationPolicyAttributesArgs(expiry_time=args.key_expiry),
                    lifetime_actions=[
                        keyvault.LifetimeActionArgs(
                            action=keyvault.ActionArgs(type=keyvault.KeyRotationPolicyActionType.ROTATE),
                            trigger=keyvault.TriggerArgs(time_before_expiry=args.rotate_before_expiry),
                        ),
                        keyvault.LifetimeActionArgs(
                            action=keyvault.ActionArgs(type=keyvault.KeyRotationPolicyActionType.NOTIFY),
                            trigger=keyvault.TriggerArgs(time_before_expiry="P30D"),
                        ),
                    ],
                ),
            ),
            tags=dict(args.tags),
            opts=stateful,
        )
        # Least privilege: the identity may wrap/unwrap with this one key, nothing else (AML-IAM-003).
        self.key_access = shared.role_assignment(
            f"{name}-cmk-crypto-user",
            scope=self.key.id,
            role_guid=KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
            principal_id=args.cmk_principal_id,
            principal_type="ServicePrincipal",
            subscription_id=args.subscription_id,
            parent=self,
        )
        self.diagnostics = shared.diagnostics(
            f"{name}-diag-kv",
            resource_id=self.vault.id,
            log_analytics_workspace_id=args.log_analytics_workspace_id,
            parent=self,
        )  # AML-MON-002
        self.locks = []
        if args.protection.lock:  # AML-REL-006
            self.locks = [
                shared.delete_lock(f"{name}-kv-lock", resource=self.vault, resource_id=self.vault.id, parent=self),
                shared.delete_lock(f"{name}-cmk-lock", resource=self.key, resource_id=self.key.id, parent=self),
            ]

        self.vault_id = self.vault.id
        self.key_id = self.key.id
        self.key_uri_with_version = self.key.key_uri_with_version
        self.register_outputs(
            {
                "vault_id": self.vault_id,
                "key_id": self.key_id,
                "key_uri_with_version": self.key_uri_with_version,
            }
        )
