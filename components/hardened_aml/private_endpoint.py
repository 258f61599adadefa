"""A private endpoint to one sub-resource, registered in its private DNS zones (AML-NET-003/-004/-008).

Group ids (private-link sub-resources) and their zones are those of "Azure Private Endpoint private DNS zone
values" (learn.microsoft.com/azure/private-link/private-endpoint-dns): ``amlworkspace`` (Machine Learning
workspace: ``privatelink.api.azureml.ms`` and ``privatelink.notebooks.azure.net``), ``amlregistry`` (Machine
Learning registry: ``privatelink.api.azureml.ms``), ``blob`` and ``file``
(storage), ``vault`` (Key Vault), ``registry`` (container registry).

Each component reached through a private endpoint declares its endpoints itself, as :class:`PrivateLink`
values in its ``private_links`` attribute (the group id and the zones are facts of the resource); the estate
makes one :class:`PrivateEndpoint` per link.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native.network as network
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule

#: The zones of a workspace endpoint (control AML-NET-004).
WORKSPACE_ZONES = ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net")


@dataclass(frozen=True, kw_only=True)
class PrivateLink:
    """One private endpoint a component needs: what it reaches, through which sub-resource, in which zones."""

    purpose: str
    """Short name of the endpoint, the suffix of its names (``pep-<purpose>``): e.g. ``blob``, ``kv``."""
    target_resource_id: pulumi.Output[str]
    """The resource reached through the endpoint (control AML-NET-003)."""
    group_id: str
    """The private-link sub-resource, e.g. ``vault`` (control AML-NET-008)."""
    dns_zones: tuple[str, ...]
    """Names of the private DNS zones the endpoint registers in (control AML-NET-004)."""


class PrivateLinkGroup(StrEnum):
    """The private-link sub-resources this library makes endpoints for (control AML-NET-008)."""

    AMLWORKSPACE = "amlworkspace"
    """An Azure Machine Learning workspace: two zones, ``privatelink.api.azureml.ms`` and
    ``privatelink.notebooks.azure.net``."""
    AMLREGISTRY = "amlregistry"
    """An Azure Machine Learning registry: one zone, ``privatelink.api.azureml.ms``."""
    BLOB = "blob"
    """A storage account's blob service."""
    FILE = "file"
    """A storage account's file service."""
    VAULT = "vault"
    """A Key Vault."""
    REGISTRY = "registry"
    """A container registry."""


#: The sub-resources this library makes endpoints for.
GROUP_IDS = tuple(g.value for g in PrivateLinkGroup)


@args
class PrivateEndpointArgs(TypedDict):
    """Inputs of :class:`PrivateEndpoint`."""

    resource_group_name: Annotated[Input[str], Wired()]
    """The resource group. Required."""
    location: str
    """The Azure region (the VNet's). Required."""
    private_endpoint_name: str
    """Name of the endpoint. Required (from ``Namer``)."""
    target_resource_id: Annotated[Input[str], Wired()]
    """The resource reached through the endpoint. Required (control AML-NET-003)."""
    group_id: PrivateLinkGroup
    """The sub-resource: one of amlworkspace, amlregistry, blob, file, vault, registry. Required (control
    AML-NET-008)."""
    subnet_id: Annotated[Input[str], Wired()]
    """The private-endpoint subnet. Required (control AML-NET-003)."""
    private_dns_zone_ids: Annotated[list[Annotated[Input[str], Wired()]], Field(min_length=1, max_length=5)]
    """Zones the endpoint registers in: 1 to 5, two for ``amlworkspace``. Required (control AML-NET-004)."""
    tags: NotRequired[Annotated[dict[str, str], Field(default_factory=dict)]]
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


@rule(PrivateEndpointArgs)
def _endpoint_rules(a: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    if a["group_id"] is PrivateLinkGroup.AMLWORKSPACE and len(a["private_dns_zone_ids"]) != 2:
        yield (
            ("private_dns_zone_ids",),
            len(a["private_dns_zone_ids"]),
            "2 zones: privatelink.api.azureml.ms and privatelink.notebooks.azure.net (AML-NET-004)",
        )


class PrivateEndpoint(pulumi.ComponentResource):
    """A private endpoint with an auto-approved connection and a DNS zone group."""

    private_endpoint_id: pulumi.Output[str]

    def __init__(self, name: str, args: PrivateEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(PrivateEndpointArgs, args, name)
        super().__init__("hardened-aml:index:PrivateEndpoint", name, None, opts)

        self.endpoint = network.PrivateEndpoint(
            f"{name}-pe",
            private_endpoint_name=a["private_endpoint_name"],
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            subnet=network.SubnetArgs(id=a["subnet_id"]),
            private_link_service_connections=[
                network.PrivateLinkServiceConnectionArgs(
                    name=a["private_endpoint_name"],
                    private_link_service_id=a["target_resource_id"],
                    group_ids=[a["group_id"].value],
                )
            ],
            tags=dict(a["tags"]),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.zone_group = network.PrivateDnsZoneGroup(
            f"{name}-dns",
            private_dns_zone_group_name="default",
            private_endpoint_name=self.endpoint.name,
            resource_group_name=a["resource_group_name"],
            private_dns_zone_configs=[
                network.PrivateDnsZoneConfigArgs(name=f"config{i}", private_dns_zone_id=zone_id)
                for i, zone_id in enumerate(a["private_dns_zone_ids"])
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.private_endpoint_id = self.endpoint.id
        self.register_outputs({"private_endpoint_id": self.private_endpoint_id})
