"""A private, RBAC-only Key Vault with the estate's customer-managed key.

Controls AML-ENC-001 (CMK), AML-ENC-003 (rotation), AML-IAM-004, AML-NET-006, AML-DAT-003, AML-MON-002.
"""

import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native.keyvault as keyvault
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml import shared
from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule
from hardened_aml.private_endpoint import PrivateLink
from hardened_aml.shared import Environment

#: "Key Vault Crypto Service Encryption User": read key metadata and wrap/unwrap only; the least-privilege
#: built-in role for a service identity that uses a CMK. Source: learn.microsoft.com/azure/
#: role-based-access-control/built-in-roles/security#key-vault-crypto-service-encryption-user; the same
#: GUID in Azure/bicep-registry-modules (avm/res/key-vault/vault role map) and Azure Quickstart templates.
KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"

#: The vault's private-link sub-resource and its zone ("Azure Private Endpoint private DNS zone values",
#: learn.microsoft.com/azure/private-link/private-endpoint-dns: Microsoft.KeyVault/vaults, ``vault``).
PRIVATE_LINK_GROUP = "vault"
PRIVATE_DNS_ZONES = ("privatelink.vaultcore.azure.net",)

_ISO_DURATION = re.compile(r"^P(?:\d+Y)?(?:\d+M)?(?:\d+D)?$")


@args
class KeyVaultArgs(TypedDict):
    """Inputs of :class:`KeyVault`."""

    resource_group_name: Annotated[Input[str], Wired()]
    """The resource group. Required."""
    location: str
    """The Azure region. Required."""
    vault_name: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$")]
    """Name of the vault: 3-24 letters, digits and '-', starting with a letter. Required (from ``Namer``)."""
    key_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,127}$")]
    """Name of the customer-managed key: 1-127 letters, digits and '-'. Required (from ``Namer``;
    control AML-ENC-001)."""
    tenant_id: Annotated[Input[str], Wired()]
    """Entra ID tenant of the vault. Required."""
    subscription_id: Annotated[Input[str], Wired()]
    """Subscription of the role definitions. Required."""
    cmk_principal_id: Annotated[Input[str], Wired()]
    """Principal id of the identity that uses the key (the workspace's user-assigned identity); it gets "Key
    Vault Crypto Service Encryption User" on the key only. Required (control AML-IAM-003)."""
    log_analytics_workspace_id: Annotated[Input[str], Wired()]
    """Where diagnostics go. Required (control AML-MON-002)."""
    key_expiry: NotRequired[Annotated[str, Field(default="P2Y")]]
    """Key lifetime in the rotation policy, an ISO-8601 duration in years, months and days. Default: ``P2Y``
    (control AML-ENC-003)."""
    rotate_before_expiry: NotRequired[Annotated[str, Field(default="P60D")]]
    """Rotate this long before expiry, an ISO-8601 duration in years, months and days. Default: ``P60D``
    (control AML-ENC-003)."""
    environment: NotRequired[Annotated[Environment, Field(default=Environment.EXPLORATION)]]
    """``production`` protects the vault and the key (``protect`` and a ``CanNotDelete`` lock). Default:
    ``exploration`` (control AML-REL-006)."""
    tags: NotRequired[Annotated[dict[str, str], Field(default_factory=dict)]]
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


@rule(KeyVaultArgs)
def _rotation(k: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    for key in ("key_expiry", "rotate_before_expiry"):
        if not _ISO_DURATION.match(k[key]) or k[key] == "P":
            yield (key,), k[key], "an ISO-8601 duration such as P2Y or P60D"


class KeyVault(pulumi.ComponentResource):
    """A Key Vault (RBAC, purge protection, 90-day soft delete, no public access) and a rotated RSA key."""

    vault_id: pulumi.Output[str]
    key_id: pulumi.Output[str]
    key_uri_with_version: pulumi.Output[str]

    def __init__(self, name: str, args: KeyVaultArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(KeyVaultArgs, args, name)
        super().__init__("hardened-aml:index:KeyVault", name, None, opts)
        protection = shared.protection(a["environment"])
        tags = dict(a["tags"])
        stateful = pulumi.ResourceOptions(parent=self, protect=protection.protect)

        self.vault = keyvault.Vault(
            f"{name}-kv",
            vault_name=a["vault_name"],
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=a["tenant_id"],
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
            tags=tags,
            opts=stateful,
        )
        # The key is created through ARM (control plane), so the vault's closed data plane does not block it.
        self.key = keyvault.Key(
            f"{name}-cmk",
            key_name=a["key_name"],
            vault_name=self.vault.name,
            resource_group_name=a["resource_group_name"],
            properties=keyvault.KeyPropertiesArgs(
                kty="RSA",
                key_size=3072,
                attributes=keyvault.KeyAttributesArgs(enabled=True, exportable=False),
                # AML-ENC-003: a rotation policy with a "rotate" action and an expiry.
                rotation_policy=keyvault.RotationPolicyArgs(
                    attributes=keyvault.KeyRotationPolicyAttributesArgs(expiry_time=a["key_expiry"]),
                    lifetime_actions=[
                        keyvault.LifetimeActionArgs(
                            action=keyvault.ActionArgs(type=keyvault.KeyRotationPolicyActionType.ROTATE),
                            trigger=keyvault.TriggerArgs(time_before_expiry=a["rotate_before_expiry"]),
                        ),
                        keyvault.LifetimeActionArgs(
                            action=keyvault.ActionArgs(type=keyvault.KeyRotationPolicyActionType.NOTIFY),
                            trigger=keyvault.TriggerArgs(time_before_expiry="P30D"),
                        ),
                    ],
                ),
            ),
            tags=tags,
            opts=stateful,
        )
        # Least privilege: the identity may wrap/unwrap with this one key, nothing else (AML-IAM-003).
        # ``key_access``: depend on it before using the key. An attribute, not an output (a resource is no
        # value other languages can read), hence annotated here rather than on the class.
        self.key_access: pulumi.Resource = shared.role_assignment(
            f"{name}-cmk-crypto-user",
            scope=self.key.id,
            role_guid=KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
            principal_id=a["cmk_principal_id"],
            principal_type="ServicePrincipal",
            subscription_id=a["subscription_id"],
            parent=self,
        )
        self.diagnostics = shared.diagnostics(
            f"{name}-diag-kv",
            resource_id=self.vault.id,
            resource_type="Microsoft.KeyVault/vaults",
            log_analytics_workspace_id=a["log_analytics_workspace_id"],
            parent=self,
        )  # AML-MON-002
        self.locks = []
        if protection.lock:  # AML-REL-006
            self.locks = [
                shared.delete_lock(f"{name}-kv-lock", resource=self.vault, resource_id=self.vault.id, parent=self),
                shared.delete_lock(f"{name}-cmk-lock", resource=self.key, resource_id=self.key.id, parent=self),
            ]

        self.vault_id = self.vault.id
        # AML-NET-003 / AML-NET-006: the vault is reached through a private endpoint only.
        self.private_links: list[PrivateLink] = [
            PrivateLink(
                purpose="kv",
                target_resource_id=self.vault_id,
                group_id=PRIVATE_LINK_GROUP,
                dns_zones=PRIVATE_DNS_ZONES,
            )
        ]
        self.key_id = self.key.id
        self.key_uri_with_version = self.key.key_uri_with_version
        self.register_outputs(
            {
                "vault_id": self.vault_id,
                "key_id": self.key_id,
                "key_uri_with_version": self.key_uri_with_version,
            }
        )
