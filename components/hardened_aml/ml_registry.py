"""An Azure Machine Learning registry that spans the primary and the disaster-recovery region, reached only
through a private endpoint.

Models, environments and components are registered once in the registry and used from the workspaces of both
regions, so a model is promoted from one registry rather than copied between workspaces ("Manage Azure Machine
Learning registries": a registry replicates its assets to each region it lists, with a storage account per
region and one geo-replicated container registry; MicrosoftDocs/azure-ai-docs
``articles/machine-learning/how-to-manage-registries.md``). Azure ML's failover guidance puts the registry's
regions in the customer's hands: "Machine Learning registry | You | Create the registry in multiple regions"
(``how-to-high-availability-machine-learning.md``).

Properties (REST spec ``Microsoft.MachineLearningServices/stable/2025-12-01/registries.json``, the version
pulumi-azure-native 3.29.0 uses for ``machinelearningservices:Registry``, read with the search tool;
Azure/azure-rest-api-specs commit 54036fc2): ``publicNetworkAccess`` a free string "Enabled" or "Disabled";
``regionDetails[]`` of ``{location, acrDetails[].systemCreatedAcrAccount{acrAccountSku},
storageAccountDetails[].systemCreatedStorageAccount{storageAccountType, allowBlobPublicAccess,
storageAccountHnsEnabled}}``; ``identity`` a ManagedServiceIdentity; the name matches
``^[a-zA-Z0-9][a-zA-Z0-9\\-_]{2,32}$``. A registry is public unless told otherwise: Microsoft's network-isolation
how-to turns public access off with a later ``az ml registry update --set publicNetworkAccess=Disabled``
(``how-to-registry-network-isolation.md``), so the component sets ``Disabled`` at creation.

The registry is reached through a private endpoint with the sub-resource ``amlregistry`` in the zone
``privatelink.api.azureml.ms`` ("Azure Private Endpoint private DNS zone values",
learn.microsoft.com/azure/private-link/private-endpoint-dns), a zone the estate's network already has. The
registry's own storage accounts and container registry are created by Azure in a managed resource group
(``azureml-rg-<registry>_<guid>``) once the registry exists; their private endpoints need their ids, so they are a
step of the runbook (docs/disaster-recovery.md), not of this component.
"""

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native.machinelearningservices as ml
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml import shared
from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule
from hardened_aml.private_endpoint import PrivateLink, PrivateLinkGroup
from hardened_aml.regions import REGIONS, ZONAL_REGIONS, paired_region
from hardened_aml.shared import Environment

#: The registry's private-link sub-resource and its zone (private-endpoint-dns: Microsoft.MachineLearningServices/
#: registries, ``amlregistry``, ``privatelink.api.azureml.ms``).
PRIVATE_LINK_GROUP = PrivateLinkGroup.AMLREGISTRY.value
PRIVATE_DNS_ZONES = ("privatelink.api.azureml.ms",)
#: The registry's system-created container registry: Premium, the only tier with private endpoints.
ACR_SKU = "Premium"


@args
class MlRegistrySettings(TypedDict):
    """What a stack may set for the estate's Azure ML registry (``hardened-aml:mlRegistry``)."""

    replica_locations: NotRequired[Annotated[list[str], Field(max_length=10)] | None]
    """Regions besides the estate's own that the registry spans, each with its own storage account and a replica
    of the registry's container registry. Default: none given, the paired region of the estate's location (for
    westeurope, northeurope; components/hardened_aml/regions.py); a region without a pair must name one. Every
    region is billed for its storage and registry replica (control AML-REL-011)."""


@rule(MlRegistrySettings)
def _replica_locations(r: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    home = scope.get("location")
    given = r.get("replica_locations")
    if given is None:
        if isinstance(home, str) and paired_region(home) is None:
            yield (
                ("replica_locations",),
                None,
                f"at least one region besides {home}, which has no paired region to default to (AML-REL-011)",
            )
        return
    seen: set[str] = set()
    for i, region in enumerate(given):
        at = ("replica_locations", i)
        if region not in REGIONS:
            yield at, region, "an Azure region: " + ", ".join(sorted(REGIONS))
        elif region == home:
            yield at, region, f"a region other than the estate's own ({home})"
        elif region in seen:
            yield at, region, "a region not already listed"
        seen.add(region)


@args
class MlRegistryArgs(MlRegistrySettings):
    """Inputs of :class:`MlRegistry`."""

    resource_group_name: Annotated[Input[str], Wired()]
    """The resource group. Required."""
    location: str
    """The registry's primary region, the estate's. Required."""
    registry_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$")]
    """Name of the registry: 3-33 letters, digits, underscores and hyphens. Required (from ``Namer``)."""
    environment: NotRequired[Annotated[Environment, Field(default=Environment.EXPLORATION)]]
    """``production`` protects the registry (``protect`` and a ``CanNotDelete`` lock). Default: ``exploration``
    (control AML-REL-006)."""
    tags: NotRequired[Annotated[dict[str, str], Field(default_factory=dict)]]
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


def regions_of(location: str, replica_locations: list[str] | None) -> list[str]:
    """The registry's regions, its own first: the replicas given, or else the paired region (if any)."""
    if replica_locations is None:
        pair = paired_region(location)
        return [location, *([pair] if pair else [])]
    return [location, *replica_locations]


def _region(location: str) -> ml.RegistryRegionArmDetailsArgs:
    """One region of the registry: a system-created Premium container registry and a storage account without
    public blob access, zone-redundant where the region has zones (AML-REL-011, AML-NET-017)."""
    return ml.RegistryRegionArmDetailsArgs(
        location=location,
        acr_details=[
            ml.AcrDetailsArgs(system_created_acr_account=ml.SystemCreatedAcrAccountArgs(acr_account_sku=ACR_SKU))
        ],
        storage_account_details=[
            ml.StorageAccountDetailsArgs(
                system_created_storage_account=ml.SystemCreatedStorageAccountArgs(
                    storage_account_type="Standard_ZRS" if location in ZONAL_REGIONS else "Standard_LRS",
                    allow_blob_public_access=False,  # AML-NET-017
                    storage_account_hns_enabled=False,
                )
            )
        ],
    )


class MlRegistry(pulumi.ComponentResource):
    """A private Azure ML registry in the estate's region and its DR region(s)."""

    registry_id: pulumi.Output[str]

    def __init__(self, name: str, args: MlRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(MlRegistryArgs, args, name)
        super().__init__("hardened-aml:index:MlRegistry", name, None, opts)
        protection = shared.protection(a["environment"])
        self.regions = regions_of(a["location"], a.get("replica_locations"))
        self.registry = ml.Registry(
            f"{name}-mlr",
            registry_name=a["registry_name"],
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            public_network_access="Disabled",  # AML-NET-017: Azure's default is a public registry
            region_details=[_region(region) for region in self.regions],  # AML-REL-011
            # The registry's own identity, which Azure uses on the resources of its managed resource group; it is
            # given no role by this estate.
            identity=ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
            tags=dict(a["tags"]),
            opts=pulumi.ResourceOptions(parent=self, protect=protection.protect),
        )
        self.locks = (
            [shared.delete_lock(f"{name}-mlr-lock", resource=self.registry, resource_id=self.registry.id, parent=self)]
            if protection.lock  # AML-REL-006
            else []
        )
        self.registry_id = self.registry.id
        # AML-NET-018: clients and the workspace reach the registry through a private endpoint only.
        self.private_links: list[PrivateLink] = [
            PrivateLink(
                purpose="mlr",
                target_resource_id=self.registry_id,
                group_id=PRIVATE_LINK_GROUP,
                dns_zones=PRIVATE_DNS_ZONES,
            )
        ]
        self.register_outputs({"registry_id": self.registry_id})
