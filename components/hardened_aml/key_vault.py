"""A private, RBAC-only Premium Key Vault with the estate's customer-managed keys.

Controls AML-ENC-001 (CMK), AML-ENC-003 (rotation), AML-ENC-009 (HSM key material with an expiry), AML-IAM-004,
AML-NET-006, AML-DAT-003, AML-MON-002.

Every customer-managed key of the estate (the workspace's, the AKS disk encryption set's) is made by
:func:`cmk_properties`: RSA-HSM, 3072 bits, a rotation policy that rotates ``rotate_before_expiry`` before each
version expires, and an expiry on the first version too. Key Vault's rotation policy sets ``expiryTime`` only on
the versions it rotates in ("Configure cryptographic key auto-rotation in Azure Key Vault",
learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation: "Expiry time ... used to set expiration date
on newly rotated key"), while built-in 152b15f7 "Key Vault keys should have an expiration date" reads the current
version's ``attributes.exp``. So the first version is given ``attributes.expires`` = creation day + ``key_expiry``
(a year counted as 365 days): derived when the key is created and then left alone (``ignore_changes``), so a
redeploy neither churns it nor pushes it out. The ARM ``Keys - Create`` call creates only the first version and
never updates an existing key (REST spec ``keys.json``), so a later change of the expiry would do nothing anyway;
later versions get their expiry from the rotation policy.
"""

import time
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native.keyvault as keyvault
from pydantic import Field
from typing_extensions import TypedDict

from aml_catalogue.facts import CMK_KEY_SIZE, CMK_KEY_TYPE, calendar_duration
from aml_catalogue.roles import KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER
from hardened_aml import shared
from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule
from hardened_aml.private_endpoint import PrivateLink
from hardened_aml.shared import Environment

#: The vault's private-link sub-resource and its zone ("Azure Private Endpoint private DNS zone values",
#: learn.microsoft.com/azure/private-link/private-endpoint-dns: Microsoft.KeyVault/vaults, ``vault``).
PRIVATE_LINK_GROUP = "vault"
PRIVATE_DNS_ZONES = ("privatelink.vaultcore.azure.net",)

#: The key's expiry is written once, when the key is created (see the module docstring).
KEY_EXPIRY_PATH = "properties.attributes.expires"
#: Notify this long before a version expires (after the rotation, as a second warning).
NOTIFY_BEFORE_EXPIRY = "P30D"


_DAY = 86400


def initial_expiry(key_expiry: str, now: float | None = None) -> int:
    """The first key version's expiry, seconds since 1970-01-01T00:00:00Z: the start (UTC) of the day of ``now``
    plus the shortest reading of ``key_expiry`` (an ISO-8601 duration in years, months and days). Counting from the
    day, not the second, keeps every plan and preview of one day equal."""
    span = calendar_duration(key_expiry)
    if span is None:
        raise ValueError(f"key_expiry {key_expiry!r} is not an ISO-8601 duration in years, months and days")
    today = int(time.time() if now is None else now) // _DAY * _DAY
    return today + int(span[0].total_seconds())


def cmk_properties(key_expiry: str, rotate_before_expiry: str, now: float | None = None) -> keyvault.KeyPropertiesArgs:
    """The one specification of the estate's customer-managed keys (AML-ENC-003, AML-ENC-009): an HSM-protected
    RSA key of :data:`~aml_catalogue.facts.CMK_KEY_SIZE` bits, not exportable, whose first version expires
    ``key_expiry`` after creation and whose rotation policy rotates ``rotate_before_expiry`` before each version
    expires and gives each new version ``key_expiry``. Needs a Premium vault. Create the key with
    ``ignore_changes=[KEY_EXPIRY_PATH]`` (see the module docstring)."""
    return keyvault.KeyPropertiesArgs(
        kty=CMK_KEY_TYPE,
        key_size=CMK_KEY_SIZE,
        attributes=keyvault.KeyAttributesArgs(enabled=True, exportable=False, expires=initial_expiry(key_expiry, now)),
        rotation_policy=keyvault.RotationPolicyArgs(
            attributes=keyvault.KeyRotationPolicyAttributesArgs(expiry_time=key_expiry),
            lifetime_actions=[
                keyvault.LifetimeActionArgs(
                    action=keyvault.ActionArgs(type=keyvault.KeyRotationPolicyActionType.ROTATE),
                    trigger=keyvault.TriggerArgs(time_before_expiry=rotate_before_expiry),
                ),
                keyvault.LifetimeActionArgs(
                    action=keyvault.ActionArgs(type=keyvault.KeyRotationPolicyActionType.NOTIFY),
                    trigger=keyvault.TriggerArgs(time_before_expiry=NOTIFY_BEFORE_EXPIRY),
                ),
            ],
        ),
    )


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
    cmk_principal_id: NotRequired[Annotated[Input[str] | None, Wired()]]
    """Principal id of the identity that uses the key (the workspace's user-assigned identity); it gets "Key
    Vault Crypto Service Encryption User" on the key only. Default: none, no role: the key's user grants its own
    (the AKS cluster, whose KMS plugin needs another role on its etcd key; control AML-AKS-029). The estate always
    names one for its main vault (control AML-IAM-003)."""
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
    spans = {key: calendar_duration(k[key]) for key in ("key_expiry", "rotate_before_expiry")}
    for key, span in spans.items():
        if span is None:
            yield (key,), k[key], "an ISO-8601 duration such as P2Y or P60D"
    expiry, before = spans["key_expiry"], spans["rotate_before_expiry"]
    if expiry is not None and before is not None and not before[1] < expiry[0]:
        yield (
            ("rotate_before_expiry",),
            k["rotate_before_expiry"],
            f"a duration shorter than keyExpiry {k['key_expiry']} (the key rotates before it expires)",
        )


class KeyVault(pulumi.ComponentResource):
    """A Premium Key Vault (RBAC, purge protection, 90-day soft delete, no public access) and a rotated RSA-HSM key
    (more keys of the same specification with :meth:`add_key`)."""

    vault_id: pulumi.Output[str]
    key_id: pulumi.Output[str]
    key_uri_with_version: pulumi.Output[str]

    def __init__(self, name: str, args: KeyVaultArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(KeyVaultArgs, args, name)
        super().__init__("hardened-aml:index:KeyVault", name, None, opts)
        protection = shared.protection(a["environment"])
        tags = dict(a["tags"])
        stateful = pulumi.ResourceOptions(parent=self, protect=protection.protect)
        self._args, self._protection, self._tags = a, protection, tags

        self.vault = keyvault.Vault(
            f"{name}-kv",
            vault_name=a["vault_name"],
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=a["tenant_id"],
                # AML-ENC-009: HSM-protected keys (RSA-HSM) need the Premium SKU.
                sku=keyvault.SkuArgs(family="A", name=keyvault.SkuName.PREMIUM),
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
        self.key = self.add_key(f"{name}-cmk", a["key_name"])
        # Least privilege: the identity may wrap/unwrap with this one key, nothing else (AML-IAM-003): "Key Vault
        # Crypto Service Encryption User" reads key metadata and wraps/unwraps only (built-in roles, security).
        # ``key_access``: depend on it before using the key. An attribute, not an output (a resource is no
        # value other languages can read), hence annotated here rather than on the class.
        user = a.get("cmk_principal_id")
        self.key_access: pulumi.Resource | None = (
            shared.role_assignment(
                f"{name}-cmk-crypto-user",
                scope=self.key.id,
                role_guid=KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
                principal_id=user,
                principal_type="ServicePrincipal",
                subscription_id=a["subscription_id"],
                parent=self,
            )
            if user is not None
            else None
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
            self.locks.append(
                shared.delete_lock(f"{name}-kv-lock", resource=self.vault, resource_id=self.vault.id, parent=self)
            )
            self.locks.append(
                shared.delete_lock(f"{name}-cmk-lock", resource=self.key, resource_id=self.key.id, parent=self)
            )

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

    def add_key(self, resource_name: str, key_name: str, *, lock: bool = False) -> keyvault.Key:
        """Another customer-managed key in this vault, of the one specification (:func:`cmk_properties`), for a
        service that wraps its own data keys with it (the AKS disk encryption set). Give its user a role on the key
        alone. ``lock``: a CanNotDelete lock in production (AML-REL-006)."""
        a = self._args
        key = keyvault.Key(
            resource_name,
            key_name=key_name,
            vault_name=self.vault.name,
            resource_group_name=a["resource_group_name"],
            properties=cmk_properties(a["key_expiry"], a["rotate_before_expiry"]),
            tags=self._tags,
            opts=pulumi.ResourceOptions(
                parent=self, protect=self._protection.protect, ignore_changes=[KEY_EXPIRY_PATH]
            ),
        )
        if lock and self._protection.lock:
            self.locks.append(
                shared.delete_lock(f"{resource_name}-lock", resource=key, resource_id=key.id, parent=self)
            )
        return key
