"""The estate's network: a VNet (new or existing), subnets with NSGs, and the private DNS zones.

Zone names are the ones Azure documents per private-link sub-resource ("Azure Private Endpoint private DNS
zone values", learn.microsoft.com/azure/private-link/private-endpoint-dns, and MicrosoftDocs/azure-docs
``articles/private-link/private-endpoint-dns.md``):

- ``Microsoft.MachineLearningServices/workspaces`` / ``amlworkspace``: ``privatelink.api.azureml.ms`` and
  ``privatelink.notebooks.azure.net`` (both; the built-in DINE policy ``Workspace_PrivateDnsZones_DINE``
  in Azure/azure-policy takes both as ``privateDnsZoneId`` and ``secondPrivateDnsZoneId``);
- ``Microsoft.Storage/storageAccounts`` / ``blob``: ``privatelink.blob.core.windows.net``;
  ``file``: ``privatelink.file.core.windows.net``;
- ``Microsoft.KeyVault/vaults`` / ``vault``: ``privatelink.vaultcore.azure.net``;
- ``Microsoft.ContainerRegistry/registries`` / ``registry``: ``privatelink.azurecr.io``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native.network as network
import pulumi_azure_native.privatedns as privatedns

from hardened_aml.errors import InvalidInputError
from hardened_aml.naming import Namer

#: The private DNS zones of the estate's private endpoints (controls AML-NET-004, AML-NET-008).
PRIVATE_DNS_ZONES: tuple[str, ...] = (
    "privatelink.api.azureml.ms",
    "privatelink.notebooks.azure.net",
    "privatelink.blob.core.windows.net",
    "privatelink.file.core.windows.net",
    "privatelink.vaultcore.azure.net",
    "privatelink.azurecr.io",
)

_ZONE_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/privateDnsZones/(?P<zone>[^/]+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True, kw_only=True)
class ExistingVnet:
    """A virtual network that already exists (hub-and-spoke); the estate adds its subnets to it."""

    resource_group_name: str
    """Its resource group."""
    name: str
    """Its name."""


@dataclass(frozen=True, kw_only=True)
class NetworkOptions:
    """What a user chooses about the network; :class:`Estate` fills in where it goes."""

    address_space: str = "10.40.0.0/22"
    """Address space of a new VNet. Default: ``10.40.0.0/22`` (ignored with ``existing_vnet``)."""
    private_endpoint_subnet_prefix: str = "10.40.0.0/24"
    """Private-endpoint subnet. Default: ``10.40.0.0/24`` (control AML-NET-003)."""
    aks_subnet_prefix: str = "10.40.1.0/24"
    """AKS subnet. Default: ``10.40.1.0/24``."""
    compute_subnet_prefix: str = "10.40.2.0/24"
    """Compute subnet, created only when the workspace's managed VNet is off. Default: ``10.40.2.0/24``
    (control AML-NET-011)."""
    existing_vnet: ExistingVnet | None = None
    """Use this VNet instead of creating one. Default: none (a new VNet)."""
    private_dns_zone_ids: Mapping[str, str] = field(default_factory=dict)
    """Existing private DNS zones (hub-and-spoke) by zone name; the zones not listed are created and linked
    to the VNet. Default: none, all six zones are created (control AML-NET-004)."""

    def validate(self, key: str) -> None:
        """Raise :class:`InvalidInputError` naming the first bad field."""
        prefixes = {}
        for name in (
            "address_space",
            "private_endpoint_subnet_prefix",
            "aks_subnet_prefix",
            "compute_subnet_prefix",
        ):
            value = getattr(self, name)
            try:
                prefixes[name] = ipaddress.ip_network(value)
            except ValueError:
                raise InvalidInputError(f"{key}.{name}", value, "an IPv4 CIDR block such as 10.40.0.0/24") from None
        if self.existing_vnet is None:
            space = prefixes["address_space"]
            for name, prefix in prefixes.items():
                if name != "address_space" and not prefix.subnet_of(space):  # type: ignore[arg-type]
                    raise InvalidInputError(f"{key}.{name}", str(prefix), f"a block inside {space}")
        subnets = [v for k, v in prefixes.items() if k != "address_space"]
        for i, a in enumerate(subnets):
            for b in subnets[i + 1 :]:
                if a.overlaps(b):
                    raise InvalidInputError(f"{key}.subnet prefixes", f"{a} and {b}", "non-overlapping blocks")
        for zone, zone_id in self.private_dns_zone_ids.items():
            if zone not in PRIVATE_DNS_ZONES:
                raise InvalidInputError(f"{key}.private_dns_zone_ids", zone, PRIVATE_DNS_ZONES)
            match = _ZONE_ID.match(zone_id)
            if match is None or match.group("zone").lower() != zone:
                raise InvalidInputError(
                    f"{key}.private_dns_zone_ids.{zone}",
                    zone_id,
                    f"the resource id of a private DNS zone named {zone}",
                )


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    """Inputs of :class:`Network`."""

    resource_group_name: pulumi.Input[str]
    """The resource group of new resources. Default: none, required."""
    location: str
    """The Azure region. Default: none, required."""
    namer: Namer
    """Deterministic names. Default: none, required."""
    subscription_id: pulumi.Input[str]
    """Subscription of an existing VNet. Default: none, required."""
    options: NetworkOptions = field(default_factory=NetworkOptions)
    """Address plan, existing VNet and zones. Default: see :class:`NetworkOptions`."""
    managed_network: bool = True
    """The workspace uses its managed VNet: no compute subnet. Default: on
    (controls AML-NET-002, AML-NET-011)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


class Network(pulumi.ComponentResource):
    """Subnets (each with an NSG) in a new or existing VNet, and private DNS zones linked to it."""

    vnet_id: pulumi.Output[str]
    private_endpoint_subnet_id: pulumi.Output[str]
    aks_subnet_id: pulumi.Output[str]
    compute_subnet_id: pulumi.Output[str] | None
    private_dns_zone_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args.options.validate(f"{name}.options")
        super().__init__("hardened-aml:index:Network", name, None, opts)
        options, namer, tags = args.options, args.namer, dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)

        if options.existing_vnet is None:
            self.vnet: network.VirtualNetwork | None = network.VirtualNetwork(
                f"{name}-vnet",
                virtual_network_name=namer.name("vnet"),
                resource_group_name=args.resource_group_name,
                location=args.location,
                address_space=network.AddressSpaceArgs(address_prefixes=[options.address_space]),
                enable_ddos_protection=False,
                tags=tags,
                opts=child,
            )
            vnet_rg: pulumi.Input[str] = args.resource_group_name
            vnet_name: pulumi.Input[str] = self.vnet.name
            self.vnet_id = self.vnet.id
        else:
            self.vnet = None
            vnet_rg, vnet_name = options.existing_vnet.resource_group_name, options.existing_vnet.name
            self.vnet_id = pulumi.Output.concat(
                "/subscriptions/",
                args.subscription_id,
                "/resourceGroups/",
                vnet_rg,
                "/providers/Microsoft.Network/virtualNetworks/",
                vnet_name,
            )

        wanted = [("pe", options.private_endpoint_subnet_prefix), ("aks", options.aks_subnet_prefix)]
        if not args.managed_network:  # compute joins a customer subnet only without the managed VNet
            wanted.append(("compute", options.compute_subnet_prefix))
        self.subnets: dict[str, network.Subnet] = {}
        self.nsgs: dict[str, network.NetworkSecurityGroup] = {}
        previous: list[pulumi.Resource] = []
        for purpose, prefix in wanted:
            nsg = network.NetworkSecurityGroup(
                f"{name}-nsg-{purpose}",
                network_security_group_name=namer.name("nsg", purpose),
                resource_group_name=args.resource_group_name,
                location=args.location,
                security_rules=[],  # Azure's default rules: no inbound from the internet
                tags=tags,
                opts=child,
            )
            # Subnets of one VNet are created one after the other: Azure refuses concurrent subnet writes.
            subnet = network.Subnet(
                f"{name}-snet-{purpose}",
                subnet_name=namer.name("snet", purpose),
                resource_group_name=vnet_rg,
                virtual_network_name=vnet_name,
                address_prefix=prefix,
                network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id),
                default_outbound_access=False,
                private_endpoint_network_policies="Enabled" if purpose == "pe" else "Disabled",
                private_link_service_network_policies="Enabled",
                opts=pulumi.ResourceOptions(parent=self, depends_on=previous),
            )
            previous = [subnet]
            self.nsgs[purpose], self.subnets[purpose] = nsg, subnet
        self.private_endpoint_subnet_id = self.subnets["pe"].id
        self.aks_subnet_id = self.subnets["aks"].id
        self.compute_subnet_id = self.subnets["compute"].id if "compute" in self.subnets else None

        self.zones: dict[str, privatedns.PrivateZone] = {}
        self.links: dict[str, privatedns.VirtualNetworkLink] = {}
        self.private_dns_zone_ids = {}
        for zone in PRIVATE_DNS_ZONES:
            if zone in options.private_dns_zone_ids:
                self.private_dns_zone_ids[zone] = pulumi.Output.from_input(options.private_dns_zone_ids[zone])
                continue
            slug = zone.removeprefix("privatelink.").split(".")[0]
            created = privatedns.PrivateZone(
                f"{name}-dns-{slug}",
                private_zone_name=zone,
                resource_group_name=args.resource_group_name,
                location="global",
                tags=tags,
                opts=child,
            )
            self.links[zone] = privatedns.VirtualNetworkLink(
                f"{name}-dns-{slug}-link",
                virtual_network_link_name=namer.name("vnet", "link"),
                private_zone_name=created.name,
                resource_group_name=args.resource_group_name,
                location="global",
                virtual_network=privatedns.SubResourceArgs(id=self.vnet_id),
                registration_enabled=False,
                tags=tags,
                opts=child,
            )
            self.zones[zone] = created
            self.private_dns_zone_ids[zone] = created.id

        outputs: dict[str, object] = {
            "vnet_id": self.vnet_id,
            "private_endpoint_subnet_id": self.private_endpoint_subnet_id,
            "aks_subnet_id": self.aks_subnet_id,
            "private_dns_zone_ids": self.private_dns_zone_ids,
        }
        if self.compute_subnet_id is not None:
            outputs["compute_subnet_id"] = self.compute_subnet_id
        self.register_outputs(outputs)
