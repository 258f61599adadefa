"""The workspace's container registry: Premium, zone-redundant, private, no admin user, encrypted with the estate's
customer-managed key.

Azure ML supports a registry encrypted with a customer-managed key when the registry is created and attached as
the workspace is provisioned: "Data encryption with Azure Machine Learning", section "Azure Container Registry"
(MicrosoftDocs/azure-ai-docs ``articles/machine-learning/concept-data-encryption.md``), which the estate does.
ACR takes the key only at creation, on Premium, through a user-assigned identity named by its client id, and the
encryption cannot be turned off afterwards ("Encrypt registry using a customer-managed key",
learn.microsoft.com/azure/container-registry/tutorial-customer-managed-keys, "Things to know"). Two registry
policies are deliberately not switched on by default; see the catalogue's AML-IAM-102 (ARM-audience tokens) and
AML-DAT-102 (quarantine).

Geo-replication (control AML-REL-010): a Premium registry replicates into the regions its settings name, one
``containerregistry:Replication`` each (REST ``Microsoft.ContainerRegistry`` 2024-11-01-preview, the SDK's
version: ``regionEndpointEnabled`` default true, ``zoneRedundancy`` Enabled/Disabled default Disabled, fixed at
creation). Azure ML's failover guidance asks for exactly this: "Configure the Container Registry instance to
geo-replicate registries to the paired region ... Use the same instance for both workspace instances"
(MicrosoftDocs/azure-ai-docs ``articles/machine-learning/how-to-high-availability-machine-learning.md``).
Each replica is zone-redundant, so only regions with availability zones are accepted. A replica is a child of
the registry: the registry's ``CanNotDelete`` lock covers it, and it is ``protect``-ed in production.
"""

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native.containerregistry as containerregistry
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml import shared
from hardened_aml.cmk import CustomerManagedKey, key_access, key_choice_problems
from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule
from hardened_aml.private_endpoint import PrivateLink
from hardened_aml.regions import ZONAL_REGIONS, paired_region
from hardened_aml.shared import Environment

#: The registry's private-link sub-resource and its zone ("Azure Private Endpoint private DNS zone values",
#: learn.microsoft.com/azure/private-link/private-endpoint-dns: Microsoft.ContainerRegistry/registries,
#: ``registry``).
PRIVATE_LINK_GROUP = "registry"
PRIVATE_DNS_ZONES = ("privatelink.azurecr.io",)


@args
class ContainerRegistrySettings(TypedDict):
    """What a stack may set for the estate's registry (``hardened-aml:registry``)."""

    replica_locations: NotRequired[Annotated[list[str], Field(max_length=10)] | None]
    """Regions the registry geo-replicates into, each a region with availability zones other than the
    registry's own; each replica is zone-redundant with its regional endpoint on. Costs a Premium registry per
    region. Default: none, by environment: in production the paired region (westeurope: northeurope), which must
    have availability zones (name another where it has none); no replica elsewhere. ``[]`` by name in production
    is flagged by the pack (control AML-REL-010)."""


def replicas(location: str, environment: Environment, given: list[str] | None) -> list[str]:
    """The regions a registry replicates into: those given, else the paired region in production (if it has
    zones), else none (control AML-REL-010)."""
    if given is not None:
        return list(given)
    pair = paired_region(location)
    return [pair] if environment is Environment.PRODUCTION and pair in ZONAL_REGIONS else []


@rule(ContainerRegistrySettings)
def _replica_locations(r: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    seen: set[str] = set()
    home = scope.get("location")
    for i, region in enumerate(r.get("replica_locations") or []):
        at = ("replica_locations", i)
        pair = paired_region(home) if isinstance(home, str) else None
        hint = f", e.g. {pair}, the paired region of {home}" if pair else ""
        if region not in ZONAL_REGIONS:
            yield at, region, f"a region with availability zones (replicas are zone-redundant, AML-REL-010){hint}"
        elif region == home:
            yield at, region, f"a region other than the registry's own ({home}){hint}"
        elif region in seen:
            yield at, region, "a region not already listed"
        seen.add(region)


@args
class ContainerRegistryArgs(ContainerRegistrySettings):
    """Inputs of :class:`ContainerRegistry`."""

    resource_group_name: Annotated[Input[str], Wired()]
    """The resource group. Required."""
    location: str
    """The Azure region; it must have availability zones. Required (control AML-REL-002)."""
    registry_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{5,50}$")]
    """Name of the registry: 5-50 letters and digits. Required (from ``Namer``)."""
    log_analytics_workspace_id: Annotated[Input[str], Wired()]
    """Where diagnostics go. Required (control AML-MON-002)."""
    untagged_retention_days: NotRequired[Annotated[int, Field(default=7, ge=0, le=365)]]
    """Days untagged manifests are kept, 0 to 365. Default: 7 (control AML-DAT-004)."""
    environment: NotRequired[Annotated[Environment, Field(default=Environment.EXPLORATION)]]
    """``production`` protects the registry (``protect`` and a ``CanNotDelete`` lock). Default: ``exploration``
    (control AML-REL-006)."""
    customer_managed_key: NotRequired[CustomerManagedKey | None]
    """The key the registry is encrypted with (the estate's key), read through a user-assigned identity made for
    the registry with Key Vault Crypto Service Encryption User on that key only. ACR takes it only when the
    registry is created. Required unless ``microsoft_managed_keys`` is set (control AML-ENC-008)."""
    microsoft_managed_keys: NotRequired[Annotated[bool, Field(default=False)]]
    """Insecure, by name: keep Microsoft-managed keys instead of a customer-managed key. Refused in production.
    Default: false (control AML-ENC-008)."""
    acr_audience_tokens_only: NotRequired[Annotated[bool, Field(default=False)]]
    """Accept only Entra tokens issued for ACR (``policies.azureADAuthenticationAsArmPolicy.status`` disabled),
    refusing ARM-audience tokens. Opt-in: some Azure services and integrations, among them pulls from Azure ML
    compute instances and AKS kubelets, still authenticate with ARM-audience tokens; test before enabling.
    Default: false, ARM-audience tokens accepted (control AML-IAM-102)."""
    tags: NotRequired[Annotated[dict[str, str], Field(default_factory=dict)]]
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


@rule(ContainerRegistryArgs)
def _zonal_region(r: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    if r["location"] not in ZONAL_REGIONS:
        yield ("location",), r["location"], "a region with availability zones (AML-REL-002)"


@rule(ContainerRegistryArgs)
def _production_replica(r: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    unset, production = r.get("replica_locations") is None, r["environment"] is Environment.PRODUCTION
    if unset and production and not replicas(r["location"], r["environment"], None):
        pair = paired_region(r["location"])
        why = f"its paired region {pair} has no availability zones" if pair else "it has no paired region"
        yield (
            ("replica_locations",),
            None,
            f"a region with availability zones other than {r['location']} ({why}): production registries are "
            "geo-replicated (AML-REL-010)",
        )


@rule(ContainerRegistryArgs)
def _customer_managed_key(r: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    yield from key_choice_problems(r, "AML-ENC-008", "the registry")


class ContainerRegistry(pulumi.ComponentResource):
    """A Premium registry (private endpoints need Premium) with zone redundancy and a retention policy."""

    registry_id: pulumi.Output[str]

    def __init__(self, name: str, args: ContainerRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(ContainerRegistryArgs, args, name)
        super().__init__("hardened-aml:index:ContainerRegistry", name, None, opts)
        protection = shared.protection(a["environment"])
        # AML-ENC-008: the registry's own identity reads the key; the registry waits for its role on the key.
        self.key_access = key_access(f"{name}-cr", a, parent=self)
        if self.key_access is not None:
            access = self.key_access
            encryption = containerregistry.EncryptionPropertyArgs(
                status="enabled",
                key_vault_properties=containerregistry.KeyVaultPropertiesArgs(
                    identity=access.client_id,  # the client id of the identity below
                    key_identifier=access.key_uri,  # without a version: automatic key rotation
                ),
            )
            identity: containerregistry.IdentityPropertiesArgs | None = containerregistry.IdentityPropertiesArgs(
                type=containerregistry.ResourceIdentityType.USER_ASSIGNED,
                user_assigned_identities=access.identity_id.apply(
                    lambda identity_id: {identity_id: containerregistry.UserIdentityPropertiesArgs()}
                ),
            )
        else:  # microsoft_managed_keys, asked for by name
            encryption = containerregistry.EncryptionPropertyArgs(status="disabled")
            identity = None

        self.registry = containerregistry.Registry(
            f"{name}-cr",
            registry_name=a["registry_name"],
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            sku=containerregistry.SkuArgs(name="Premium"),  # AML-REL-002
            zone_redundancy="Enabled",  # AML-REL-002
            admin_user_enabled=False,  # AML-IAM-005
            anonymous_pull_enabled=False,  # AML-IAM-005
            public_network_access="Disabled",  # AML-NET-007
            network_rule_set=containerregistry.NetworkRuleSetArgs(default_action="Deny", ip_rules=[]),  # AML-NET-007
            network_rule_bypass_options="AzureServices",
            data_endpoint_enabled=False,
            policies=containerregistry.PoliciesArgs(
                # AML-DAT-004: untagged manifests are deleted after the retention period.
                retention_policy=containerregistry.RetentionPolicyArgs(
                    status="enabled", days=a["untagged_retention_days"]
                ),
                # AML-DAT-005: images leave only through the private endpoint (no export), against exfiltration;
                # ACR accepts "disabled" only with publicNetworkAccess Disabled on Premium (set above).
                export_policy=containerregistry.ExportPolicyArgs(status="disabled"),
                # AML-IAM-102: ARM-audience tokens stay accepted unless asked for by name.
                azure_ad_authentication_as_arm_policy=containerregistry.AzureADAuthenticationAsArmPolicyArgs(
                    status="disabled" if a["acr_audience_tokens_only"] else "enabled"
                ),
                # AML-DAT-102: no quarantine; Azure ML pulls the images it has just built.
                quarantine_policy=containerregistry.QuarantinePolicyArgs(status="disabled"),
            ),
            encryption=encryption,
            identity=identity,
            tags=dict(a["tags"]),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=protection.protect,
                depends_on=[self.key_access.role] if self.key_access is not None else None,
            ),
        )
        # AML-REL-010: a replica in each region asked for; AML-REL-012: zone-redundant, its regional endpoint on.
        self.replications = [
            containerregistry.Replication(
                f"{name}-cr-{region}",
                replication_name=region,
                registry_name=self.registry.name,
                resource_group_name=a["resource_group_name"],
                location=region,
                region_endpoint_enabled=True,
                zone_redundancy="Enabled",
                tags=dict(a["tags"]),
                opts=pulumi.ResourceOptions(parent=self, protect=protection.protect),
            )
            for region in replicas(a["location"], a["environment"], a.get("replica_locations"))
        ]
        self.diagnostics = shared.diagnostics(
            f"{name}-diag-cr",
            resource_id=self.registry.id,
            resource_type="Microsoft.ContainerRegistry/registries",
            log_analytics_workspace_id=a["log_analytics_workspace_id"],
            parent=self,
        )  # AML-MON-002
        self.locks = (
            [shared.delete_lock(f"{name}-cr-lock", resource=self.registry, resource_id=self.registry.id, parent=self)]
            if protection.lock  # AML-REL-006
            else []
        )
        self.registry_id = self.registry.id
        # AML-NET-003 / AML-NET-007: the registry is reached through a private endpoint only.
        self.private_links: list[PrivateLink] = [
            PrivateLink(
                purpose="cr",
                target_resource_id=self.registry_id,
                group_id=PRIVATE_LINK_GROUP,
                dns_zones=PRIVATE_DNS_ZONES,
            )
        ]
        self.register_outputs({"registry_id": self.registry_id})
