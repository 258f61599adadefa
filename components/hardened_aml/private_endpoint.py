"""A private endpoint to one sub-resource, registered in its private DNS zones (AML-NET-003/-004/-008).

Group ids (private-link sub-resources) are those of "Azure Private Endpoint private DNS zone values"
(learn.microsoft.com/azure/private-link/private-endpoint-dns): ``amlworkspace`` (Machine Learning
workspace), ``blob`` and ``file`` (storage), ``vault`` (Key Vault), ``registry`` (container registry).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native.network as network

from hardened_aml.errors import InvalidInputError

#: The sub-resources this library makes endpoints for.
GROUP_IDS = ("amlworkspace", "blob", "file", "vault", "registry")


@dataclass(frozen=True, kw_only=True)
class PrivateEndpointArgs:
    """Inputs of :class:`PrivateEndpoint`."""

    resource_group_name: pulumi.Input[str]
    """The resource group. Default: none, required."""
    location: str
    """The Azure region (the VNet's). Default: none, required."""
    private_endpoint_name: str
    """Name of the endpoint. Default: none, required (from ``Namer``)."""
    target_resource_id: pulumi.Input[str]
    """The resource reached through the endpoint. Default: none, required (control AML-NET-003)."""
    group_id: str
    """The sub-resource: one of amlworkspace, blob, file, vault, registry. Default: none, required
    (control AML-NET-008)."""
    subnet_id: pulumi.Input[str]
    """The private-endpoint subnet. Default: none, required."""
    private_dns_zone_ids: Sequence[pulumi.Input[str]]
    """Zones the endpoint registers in (two for ``amlworkspace``). Default: none, at least one required
    (control AML-NET-004)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


class PrivateEndpoint(pulumi.ComponentResource):
    """A private endpoint with an auto-approved connection and a DNS zone group."""

    private_endpoint_id: pulumi.Output[str]

    def __init__(self, name: str, args: PrivateEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if args.group_id not in GROUP_IDS:
            raise InvalidInputError(f"{name}.group_id", args.group_id, GROUP_IDS)
        if not args.private_dns_zone_ids or len(args.private_dns_zone_ids) > 5:
            raise InvalidInputError(f"{name}.private_dns_zone_ids", list(args.private_dns_zone_ids), "1..5 zone ids")
        if args.group_id == "amlworkspace" and len(args.private_dns_zone_ids) != 2:
            raise InvalidInputError(
                f"{name}.private_dns_zone_ids",
                len(args.private_dns_zone_ids),
                "2 zones: privatelink.api.azureml.ms and privatelink.notebooks.azure.net (AML-NET-004)",
            )
        super().__init__("hardened-aml:index:PrivateEndpoint", name, None, opts)

        self.endpoint = network.PrivateEndpoint(
            f"{name}-pe",
            private_endpoint_name=args.private_endpoint_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            subnet=network.SubnetArgs(id=args.subnet_id),
            private_link_service_connections=[
                network.PrivateLinkServiceConnectionArgs(
                    name=args.private_endpoint_name,
                    private_link_service_id=args.target_resource_id,
                    group_ids=[args.group_id],
                )
            ],
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.zone_group = network.PrivateDnsZoneGroup(
            f"{name}-dns",
            private_dns_zone_group_name="default",
            private_endpoint_name=self.endpoint.name,
            resource_group_name=args.resource_group_name,
            private_dns_zone_configs=[
                network.PrivateDnsZoneConfigArgs(name=f"config{i}", private_dns_zone_id=zone_id)
                for i, zone_id in enumerate(args.private_dns_zone_ids)
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.private_endpoint_id = self.endpoint.id
        self.register_outputs({"private_endpoint_id": self.private_endpoint_id})
