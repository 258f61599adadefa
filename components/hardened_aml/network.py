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

Each component reached through a private endpoint names its own group id and zones (``private_links``);
this module creates every zone once, or takes the hub's.

Names: every name is ``<abbreviation>-<name_stem>[-<purpose>]``, as ``Namer`` builds them
(``vnet-<stem>``, ``snet-<stem>-pe``, ``nsg-<stem>-aks``, ``vnet-<stem>-link``).

Address plan (config ``network``): every prefix is an IPv4 block with no host bits set; for a new VNet the
subnets lie inside ``addressSpace``; the subnets never overlap one another (Azure refuses overlapping subnets
in one VNet).

AKS egress (control AML-AKS-025; MicrosoftDocs/azure-aks-docs ``egress-outboundtype.md``, ``nat-gateway.md``,
``egress-udr.md``, ``limit-egress-traffic.md``): the AKS nodes never leave through a public load balancer by
default. When the estate creates the AKS subnet for a cluster, it gives the subnet either

- a NAT gateway (the default): ``network:NatGateway`` with sku ``Standard`` (the only ``NatGatewaySkuName`` at the
  SDK's network API 2024-05-01; StandardV2, zone-redundant, needs a later API version) pinned to zone ``1``, and one
  static Standard IPv4 public IP that is zone-redundant (zones 1-3): a zonal NAT gateway takes public IPs of its own
  zone or zone-redundant ones, never no-zone ones ("Azure NAT Gateway and availability zones",
  learn.microsoft.com/azure/nat-gateway/nat-availability-zones). A Standard NAT gateway lives in one zone, so a
  zone outage stops egress, not inference inside the VNet. The cluster then uses ``userAssignedNATGateway``;
- or, with ``egressFirewallIp`` (the hub pattern), a route table whose only route sends ``0.0.0.0/0`` to next hop
  ``VirtualAppliance`` at the firewall's private address, with gateway (BGP) route propagation disabled so that no
  learned default route bypasses the firewall. The cluster then uses ``userDefinedRouting`` (AKS validates that
  the default route points at an appliance, not at the internet). The firewall must allow the AKS egress
  (``limit-egress-traffic.md``) and the Azure ML extension's (Azure/AML-Kubernetes ``docs/network-requirements.md``).

``publicLoadBalancer`` (outboundType ``loadBalancer``) is an opt-out asked for by name and refused in production.
On existing subnets the estate creates nothing, so ``aksEgress`` states what the subnet already has.
"""

import ipaddress
import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native as azure_native
import pulumi_azure_native.network as network
import pulumi_azure_native.privatedns as privatedns
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml.inputs import MISSING, Input, Problem, Wired, args, checked, rule
from hardened_aml.shared import Environment

#: The private DNS zones of the estate's private endpoints (controls AML-NET-004, AML-NET-008).
PRIVATE_DNS_ZONES: tuple[str, ...] = (
    "privatelink.api.azureml.ms",
    "privatelink.notebooks.azure.net",
    "privatelink.blob.core.windows.net",
    "privatelink.file.core.windows.net",
    "privatelink.vaultcore.azure.net",
    "privatelink.azurecr.io",
)

#: The public zones an on-premises (or hub) DNS resolver forwards to Azure DNS (168.63.129.16) so that names
#: of the estate's private endpoints resolve to their private addresses: the "Public DNS zone forwarders"
#: column of "Azure Private Endpoint private DNS zone values" (learn.microsoft.com/azure/private-link/
#: private-endpoint-dns) for amlworkspace (with instances.azureml.ms and aznbcontent.net for compute instances
#: and notebooks, PITFALLS: azure-docs #87505, and inference.ml.azure.com for online endpoints), blob, file,
#: vault and registry. An output of :class:`Network` and of the estate, so no program keeps its own list.
DNS_ZONES_TO_FORWARD: tuple[str, ...] = (
    "api.azureml.ms",
    "notebooks.azure.net",
    "instances.azureml.ms",
    "aznbcontent.net",
    "inference.ml.azure.com",
    "blob.core.windows.net",
    "file.core.windows.net",
    "vault.azure.net",
    "vaultcore.azure.net",
    "azurecr.io",
)

_VNET_ID = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<group>[^/]+)/providers/"
    r"Microsoft\.Network/virtualNetworks/(?P<vnet>[^/]+)$",
    re.IGNORECASE,
)
_SUBNET_ID = re.compile(
    r"^(?P<vnet>/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+)"
    r"/subnets/[^/]+$",
    re.IGNORECASE,
)
_VNET_ID_TEXT = "the resource id of a virtual network, /subscriptions/<id>/resourceGroups/<group>/providers/"
_VNET_ID_TEXT += "Microsoft.Network/virtualNetworks/<name>"
_SUBNET_ID_TEXT = "the resource id of a subnet, /subscriptions/<id>/resourceGroups/<group>/providers/"
_SUBNET_ID_TEXT += "Microsoft.Network/virtualNetworks/<name>/subnets/<subnet>"

_ZONE_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/privateDnsZones/(?P<zone>[^/]+)$",
    re.IGNORECASE,
)

#: An IPv4 CIDR block, e.g. ``10.40.0.0/24`` (the rules below also refuse host bits).
Cidr = Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")]
#: An Azure resource id.
ResourceId = Annotated[str, Field(pattern=r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/.+$")]

_CIDR_TEXT = "an IPv4 CIDR block with no host bits set, such as 10.40.0.0/24"
#: A private IPv4 address, e.g. ``10.0.1.4`` (the rules below also refuse public addresses).
Ipv4 = Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}$")]


class AksEgress(StrEnum):
    """How the AKS nodes reach the internet; the cluster's ``outboundType`` follows (control AML-AKS-025)."""

    NAT_GATEWAY = "natGateway"
    """A NAT gateway on the AKS subnet (outboundType ``userAssignedNATGateway``). The default."""
    FIREWALL = "firewall"
    """A route table on the AKS subnet whose default route goes to your firewall (outboundType
    ``userDefinedRouting``): the hub pattern, with ``egressFirewallIp``."""
    PUBLIC_LOAD_BALANCER = "publicLoadBalancer"
    """Insecure, by name: the cluster's public load balancer (outboundType ``loadBalancer``), which also accepts
    ``LoadBalancer`` services with public IPs. Refused in production."""


#: The cluster's ``outboundType`` for each egress (enum ``outboundType`` of the REST API 2025-09-01,
#: ``ContainerServiceNetworkProfile``; the SDK's ``containerservice.OutboundType``).
OUTBOUND_TYPES: Mapping[AksEgress, str] = {
    AksEgress.NAT_GATEWAY: "userAssignedNATGateway",
    AksEgress.FIREWALL: "userDefinedRouting",
    AksEgress.PUBLIC_LOAD_BALANCER: "loadBalancer",
}
#: The NAT gateway's zone: a Standard NAT gateway is zonal (see the module docstring).
NAT_GATEWAY_ZONE = "1"
ZONE_REDUNDANT = ("1", "2", "3")
#: The prefixes of the subnets, in the order they are created.
_SUBNET_KEYS = (
    "private_endpoint_subnet_prefix",
    "aks_subnet_prefix",
    "api_server_subnet_prefix",
    "compute_subnet_prefix",
)
#: API Server VNet Integration puts the AKS API server in a subnet of its own, delegated to AKS, of at least /28
#: ("API Server VNet Integration", MicrosoftDocs/azure-aks-docs api-server-vnet-integration.md: "you must create
#: and delegate an API server subnet to Microsoft.ContainerService/managedClusters ... The minimum supported API
#: server subnet size is /28"). KMS with a private key vault needs it (control AML-AKS-029).
API_SERVER_DELEGATION = "Microsoft.ContainerService/managedClusters"
API_SERVER_MAX_PREFIX = 28


@args
class ExistingVnet(TypedDict):
    """A virtual network that already exists: the estate adds its subnets (each with an NSG) to it. Named by
    ``id`` (any subscription), or by ``resourceGroupName`` and ``name`` (the estate's subscription)."""

    id: NotRequired[str | None]
    """The VNet's resource id, in any subscription. The subnets and their NSGs (in the VNet's resource group,
    as Azure requires an NSG in its VNet's subscription) are created through an ``azure-native`` provider of
    the id's subscription, which takes its credentials from the environment (``ARM_*`` variables or the Azure
    CLI login), not from the stack's ``azure-native:*`` settings. Default: none, ``resourceGroupName`` and
    ``name`` (control AML-NET-003)."""
    resource_group_name: NotRequired[Annotated[str, Field(min_length=1, max_length=90)] | None]
    """The resource group of the existing virtual network, in the estate's subscription; with ``name``, instead
    of ``id``. Default: none (control AML-NET-003)."""
    name: NotRequired[Annotated[str, Field(min_length=2, max_length=64)] | None]
    """The name of the existing virtual network; with ``resourceGroupName``, instead of ``id``. Default: none
    (control AML-NET-003)."""


@rule(ExistingVnet)
def _one_way_to_name_a_vnet(v: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    by_name = [key for key in ("resource_group_name", "name") if v.get(key) is not None]
    if v.get("id") is not None:
        if not _VNET_ID.match(v["id"]):
            yield ("id",), v["id"], _VNET_ID_TEXT
        elif by_name:
            yield (by_name[0],), v[by_name[0]], "nothing when id names the virtual network"
    elif len(by_name) < 2:
        missing = next(key for key in ("resource_group_name", "name") if v.get(key) is None)
        yield (missing,), None, "a value (or name the virtual network by id instead)"


@args
class ExistingSubnets(TypedDict):
    """Subnets that already exist, all in one virtual network of any subscription (a landing zone's vended
    spoke, or a hub): the estate creates no VNet, subnet or NSG, and puts its private endpoints and AKS nodes
    in these. Their NSGs and route tables are the network team's."""

    private_endpoint: str
    """The resource id of the subnet for the private endpoints. Required (control AML-NET-003)."""
    aks: NotRequired[str | None]
    """The resource id of the subnet for the AKS inference cluster's nodes. Default: none; required when the
    estate has an inference cluster (control AML-AKS-001)."""
    api_server: NotRequired[str | None]
    """The resource id of the subnet for the AKS API server (API Server VNet Integration): /28 or larger, delegated to
    ``Microsoft.ContainerService/managedClusters``, used by nothing else. Default: none; required when the estate
    has an inference cluster (control AML-AKS-029)."""
    compute: NotRequired[str | None]
    """The resource id of the subnet for computes outside a managed VNet. Default: none; required when the
    workspace does not use its managed VNet (control AML-NET-011)."""


@rule(ExistingSubnets)
def _subnets_of_one_vnet(s: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    vnets: dict[str, str] = {}
    for key in ("private_endpoint", "aks", "api_server", "compute"):
        given = s.get(key)
        if given is None:
            continue
        match = _SUBNET_ID.match(given)
        if match is None:
            yield (key,), given, _SUBNET_ID_TEXT
            continue
        vnet = match.group("vnet")
        first = next(iter(vnets.items()), None)
        if first is not None and first[1].lower() != vnet.lower():
            yield (key,), given, f"a subnet of the virtual network of {first[0]} ({first[1]})"
        vnets.setdefault(key, vnet)


def _vnet_of(subnet_id: str) -> str:
    match = _SUBNET_ID.match(subnet_id)
    return match.group("vnet") if match else subnet_id


@args
class NetworkSettings(TypedDict):
    """What a user chooses about the network: a stack's ``network`` section. A new VNet (default) or an
    existing one, and its private DNS zones."""

    existing_vnet: NotRequired[ExistingVnet | None]
    """Use this VNet instead of creating one. Default: none, a new VNet (control AML-NET-003)."""
    existing_subnets: NotRequired[ExistingSubnets | None]
    """Use these subnets instead of creating a VNet or subnets (the address prefixes below are then unused).
    Default: none (control AML-NET-003)."""
    address_space: NotRequired[Annotated[Cidr, Field(default="10.40.0.0/22")]]
    """Address space of a new VNet (ignored with ``existingVnet``). Default: ``10.40.0.0/22``
    (control AML-NET-003)."""
    private_endpoint_subnet_prefix: NotRequired[Annotated[Cidr, Field(default="10.40.0.0/24")]]
    """Prefix of the private-endpoint subnet. Default: ``10.40.0.0/24`` (control AML-NET-003)."""
    aks_subnet_prefix: NotRequired[Annotated[Cidr, Field(default="10.40.1.0/24")]]
    """Prefix of the AKS subnet. Default: ``10.40.1.0/24`` (control AML-AKS-001)."""
    api_server_subnet_prefix: NotRequired[Annotated[Cidr, Field(default="10.40.3.0/28")]]
    """Prefix of the AKS API server's subnet (API Server VNet Integration, delegated to AKS): /28 or larger.
    Default: ``10.40.3.0/28`` (control AML-AKS-029)."""
    compute_subnet_prefix: NotRequired[Annotated[Cidr, Field(default="10.40.2.0/24")]]
    """Prefix of the compute subnet, created only when the workspace's managed VNet is off. Default:
    ``10.40.2.0/24`` (control AML-NET-011)."""
    private_dns_zone_ids: NotRequired[Annotated[dict[str, ResourceId], Field(default_factory=dict)]]
    """Existing private DNS zones by zone name (hub-and-spoke), each the id of a zone of that name; the zones
    not listed are created and linked to the VNet. Default: none, all six zones are created
    (controls AML-NET-004, AML-NET-008)."""
    egress_firewall_ip: NotRequired[Ipv4 | None]
    """The private IPv4 address of the hub firewall (Azure Firewall or another network virtual appliance) that
    the AKS nodes send all egress to: the AKS subnet gets a route table with ``0.0.0.0/0`` to next hop
    ``VirtualAppliance`` at this address, and the cluster uses ``userDefinedRouting``. Not with
    ``existingSubnets``. Default: none, a NAT gateway (controls AML-AKS-025, AML-NET-019)."""
    aks_egress: NotRequired[AksEgress | None]
    """How the AKS nodes reach the internet: ``natGateway``, ``firewall`` or, insecure and refused in production,
    ``publicLoadBalancer``. Default: none, meaning ``firewall`` with ``egressFirewallIp`` and ``natGateway``
    otherwise; required with ``existingSubnets.aks``, where it states what that subnet already has (control
    AML-AKS-025)."""


@rule(NetworkSettings)
def _address_plan(n: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    blocks: dict[str, ipaddress.IPv4Network] = {}
    for key in ("address_space", *_SUBNET_KEYS):
        try:
            blocks[key] = ipaddress.IPv4Network(n[key])
        except ValueError:
            yield (key,), n[key], _CIDR_TEXT
    if len(blocks) < 1 + len(_SUBNET_KEYS):
        return
    if blocks["api_server_subnet_prefix"].prefixlen > API_SERVER_MAX_PREFIX:
        key = "api_server_subnet_prefix"
        yield (key,), n[key], f"a block of /{API_SERVER_MAX_PREFIX} or larger (the AKS API server's minimum)"
    if n.get("existing_subnets") is not None:
        if n.get("existing_vnet") is not None:
            yield ("existing_vnet",), n["existing_vnet"], "nothing when existingSubnets names the subnets"
        return
    if n.get("existing_vnet") is None:
        space = blocks["address_space"]
        for key in _SUBNET_KEYS:
            if not blocks[key].subnet_of(space):
                yield (key,), n[key], f"a block inside the address space {space}"
    for i, key in enumerate(_SUBNET_KEYS):
        for other in _SUBNET_KEYS[:i]:
            if blocks[key].overlaps(blocks[other]):
                yield (key,), n[key], f"a block that does not overlap {other} {n[other]}"


@rule(NetworkSettings)
def _hub_zones(n: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    for zone, zone_id in n["private_dns_zone_ids"].items():
        if zone not in PRIVATE_DNS_ZONES:
            yield ("private_dns_zone_ids",), zone, "zone names from " + ", ".join(PRIVATE_DNS_ZONES)
            continue
        match = _ZONE_ID.match(zone_id)
        if match is None or match.group("zone").lower() != zone:
            # The path stops at the map: a config key keeps its dots, and a zone name is no camelCase key.
            yield ("private_dns_zone_ids",), zone_id, f"for {zone}: the resource id of a private DNS zone named {zone}"


def aks_egress(n: Mapping[str, Any]) -> AksEgress | None:
    """The egress of the AKS subnet as the settings choose it (none: existing subnets that did not say)."""
    chosen = n.get("aks_egress")
    if chosen is not None:
        return AksEgress(chosen)
    if n.get("existing_subnets") is not None:
        return None
    return AksEgress.FIREWALL if n.get("egress_firewall_ip") is not None else AksEgress.NAT_GATEWAY


@rule(NetworkSettings)
def _egress(n: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    firewall, chosen, existing = n.get("egress_firewall_ip"), n.get("aks_egress"), n.get("existing_subnets")
    if firewall is not None:
        try:
            address = ipaddress.IPv4Address(firewall)
        except ValueError:
            address = None
        if address is None or not address.is_private:
            yield ("egress_firewall_ip",), firewall, "the private IPv4 address of the hub firewall, such as 10.0.1.4"
        elif existing is not None:
            yield (
                ("egress_firewall_ip",),
                firewall,
                "nothing with existingSubnets (the estate adds no route table to an existing subnet): set aksEgress "
                "to firewall and route the subnet to your firewall yourself",
            )
        elif chosen is not None and chosen is not AksEgress.FIREWALL:
            yield ("aks_egress",), chosen, "firewall (or nothing) when egressFirewallIp is given"
    elif chosen is AksEgress.FIREWALL and existing is None:
        yield ("egress_firewall_ip",), MISSING, "the private IPv4 address of the hub firewall, with aksEgress firewall"
    if existing is not None and existing.get("aks") is not None and chosen is None:
        yield (
            ("aks_egress",),
            MISSING,
            "what the existing AKS subnet already has: natGateway (a NAT gateway on the subnet) or firewall (a route "
            "table sending 0.0.0.0/0 to a virtual appliance); the cluster's outboundType follows (control AML-AKS-025)",
        )
    production = scope.get("environment") in (Environment.PRODUCTION, Environment.PRODUCTION.value)
    if chosen is AksEgress.PUBLIC_LOAD_BALANCER and production:
        yield (
            ("aks_egress",),
            chosen,
            "natGateway or firewall in production: AKS egress never leaves through a public load balancer "
            "(control AML-AKS-025)",
        )


@args
class NetworkArgs(NetworkSettings):
    """Inputs of :class:`Network`: the user's settings and where the network goes."""

    resource_group_name: Annotated[Input[str], Wired()]
    """The resource group of new resources. Required."""
    location: str
    """The Azure region. Required."""
    name_stem: Annotated[str, Field(pattern=r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,52}[A-Za-z0-9_])?$")]
    """The part of every name after the abbreviation, ``<workload>-<stack>-<suffix>`` as ``Namer`` builds it:
    1-54 letters, digits, ``_``, ``.`` and ``-``. Required."""
    subscription_id: Annotated[Input[str], Wired()]
    """Subscription of an existing VNet. Required."""
    workspace_managed_network: NotRequired[Annotated[bool, Field(default=True)]]
    """Whether the workspace uses its managed VNet: then no compute subnet. Default: yes
    (controls AML-NET-002, AML-NET-011)."""
    aks_cluster: NotRequired[Annotated[bool, Field(default=True)]]
    """Whether an AKS cluster joins the AKS subnet: only then does a created AKS subnet get its egress (the NAT
    gateway, or the route table to the firewall), which the cluster needs at creation. Default: yes; the estate
    passes whether it has an inference cluster (control AML-AKS-025)."""
    environment: NotRequired[Annotated[Environment, Field(default=Environment.EXPLORATION)]]
    """``production`` refuses ``aksEgress: publicLoadBalancer``. Default: ``exploration``."""
    tags: NotRequired[Annotated[dict[str, str], Field(default_factory=dict)]]
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


@rule(NetworkArgs)
def _compute_subnet_without_managed_network(n: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    subnets = n.get("existing_subnets")
    if subnets is not None and not n["workspace_managed_network"] and subnets.get("compute") is None:
        yield (
            ("existing_subnets", "compute"),
            None,
            "the resource id of the compute subnet, since the workspace does not use its managed VNet",
        )


class Network(pulumi.ComponentResource):
    """Subnets (each with an NSG) in a new or existing VNet, and private DNS zones linked to it."""

    vnet_id: pulumi.Output[str]
    """The VNet's resource id (created, or the existing one's)."""
    private_endpoint_subnet_id: pulumi.Output[str]
    """The private-endpoint subnet's resource id."""
    aks_subnet_id: pulumi.Output[str] | None
    """The AKS node subnet's resource id (none when existing subnets name no AKS subnet)."""
    api_server_subnet_id: pulumi.Output[str] | None
    """The AKS API server's delegated subnet (none when existing subnets name none)."""
    compute_subnet_id: pulumi.Output[str] | None
    """The compute subnet's resource id (only without the workspace's managed VNet)."""
    private_dns_zone_ids: dict[str, pulumi.Output[str]]
    """The private DNS zones' resource ids by zone name (created, or the hub's)."""
    dns_zones_to_forward: pulumi.Output[list[str]]
    """The public zones an on-premises or hub DNS resolver forwards to Azure DNS (168.63.129.16) for the
    estate's private endpoints to resolve privately."""
    aks_outbound_type: str | None
    """The ``outboundType`` an AKS cluster on the AKS subnet uses: ``userAssignedNATGateway``,
    ``userDefinedRouting`` or ``loadBalancer`` (none: no AKS subnet, or existing subnets that did not say)."""
    aks_route_table_id: pulumi.Output[str] | None
    """The route table created on the AKS subnet (egress ``firewall``): the cluster identity needs to read and
    write its routes ("AKS service permissions", additional cluster identity permissions)."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(NetworkArgs, args, name)
        super().__init__("hardened-aml:index:Network", name, None, opts)
        stem, tags = a["name_stem"], dict(a["tags"])
        child = pulumi.ResourceOptions(parent=self)
        self.vnet: network.VirtualNetwork | None = None
        self.subnets: dict[str, network.Subnet] = {}
        self.nsgs: dict[str, network.NetworkSecurityGroup] = {}
        self.nat_gateway: network.NatGateway | None = None
        self.nat_public_ip: network.PublicIPAddress | None = None
        self.route_table: network.RouteTable | None = None
        self.aks_route_table_id: pulumi.Output[str] | None = None
        egress = aks_egress(a)
        given = a.get("existing_subnets")
        if given is not None:
            # The subnets exist (any subscription): nothing of the network is created here but the DNS zones.
            self.vnet_id: pulumi.Output[str] = pulumi.Output.from_input(_vnet_of(given["private_endpoint"]))
            self.private_endpoint_subnet_id: pulumi.Output[str] = pulumi.Output.from_input(given["private_endpoint"])
            aks, compute, api = given.get("aks"), given.get("compute"), given.get("api_server")
            self.aks_subnet_id: pulumi.Output[str] | None = pulumi.Output.from_input(aks) if aks else None
            self.api_server_subnet_id: pulumi.Output[str] | None = pulumi.Output.from_input(api) if api else None
            self.compute_subnet_id: pulumi.Output[str] | None = pulumi.Output.from_input(compute) if compute else None
        else:
            self._create_subnets(name, a, stem, tags, child, egress if a["aks_cluster"] else None)
        joined = egress is not None and self.aks_subnet_id is not None and a["aks_cluster"]
        self.aks_outbound_type = OUTBOUND_TYPES[egress] if joined and egress is not None else None

        self.zones: dict[str, privatedns.PrivateZone] = {}
        self.links: dict[str, privatedns.VirtualNetworkLink] = {}
        self.private_dns_zone_ids = {}
        hub_zones: Mapping[str, str] = a["private_dns_zone_ids"]
        for zone in PRIVATE_DNS_ZONES:
            if zone in hub_zones:
                self.private_dns_zone_ids[zone] = pulumi.Output.from_input(hub_zones[zone])
                continue
            slug = zone.removeprefix("privatelink.").split(".")[0]
            created = privatedns.PrivateZone(
                f"{name}-dns-{slug}",
                private_zone_name=zone,
                resource_group_name=a["resource_group_name"],
                location="global",
                tags=tags,
                opts=child,
            )
            self.links[zone] = privatedns.VirtualNetworkLink(
                f"{name}-dns-{slug}-link",
                virtual_network_link_name=f"vnet-{stem}-link",
                private_zone_name=created.name,
                resource_group_name=a["resource_group_name"],
                location="global",
                virtual_network=privatedns.SubResourceArgs(id=self.vnet_id),
                registration_enabled=False,
                tags=tags,
                opts=child,
            )
            self.zones[zone] = created
            self.private_dns_zone_ids[zone] = created.id

        self.dns_zones_to_forward = pulumi.Output.from_input(list(DNS_ZONES_TO_FORWARD))
        outputs: dict[str, object] = {
            "vnet_id": self.vnet_id,
            "private_endpoint_subnet_id": self.private_endpoint_subnet_id,
            "private_dns_zone_ids": self.private_dns_zone_ids,
            "dns_zones_to_forward": self.dns_zones_to_forward,
        }
        if self.aks_subnet_id is not None:
            outputs["aks_subnet_id"] = self.aks_subnet_id
        if self.api_server_subnet_id is not None:
            outputs["api_server_subnet_id"] = self.api_server_subnet_id
        if self.compute_subnet_id is not None:
            outputs["compute_subnet_id"] = self.compute_subnet_id
        if self.aks_outbound_type is not None:
            outputs["aks_outbound_type"] = self.aks_outbound_type
        self.register_outputs(outputs)

    def _aks_egress(
        self, name: str, a: Any, stem: str, tags: dict[str, str], egress: AksEgress | None, opts: pulumi.ResourceOptions
    ) -> dict[str, Any]:
        """What the AKS subnet needs for its egress (AML-AKS-025): a NAT gateway with a zone-redundant public IP,
        or a route table sending 0.0.0.0/0 to the firewall (AML-NET-019); nothing for the public load balancer."""
        if egress is AksEgress.NAT_GATEWAY:
            self.nat_public_ip = network.PublicIPAddress(
                f"{name}-pip-nat",
                public_ip_address_name=f"pip-{stem}-nat",
                resource_group_name=a["resource_group_name"],
                location=a["location"],
                sku=network.PublicIPAddressSkuArgs(
                    name=network.PublicIPAddressSkuName.STANDARD, tier=network.PublicIPAddressSkuTier.REGIONAL
                ),
                public_ip_allocation_method=network.IPAllocationMethod.STATIC,
                public_ip_address_version=network.IPVersion.I_PV4,
                zones=list(ZONE_REDUNDANT),
                tags=tags,
                opts=opts,
            )
            self.nat_gateway = network.NatGateway(
                f"{name}-nat",
                nat_gateway_name=f"ng-{stem}-aks",
                resource_group_name=a["resource_group_name"],
                location=a["location"],
                sku=network.NatGatewaySkuArgs(name=network.NatGatewaySkuName.STANDARD),
                zones=[NAT_GATEWAY_ZONE],
                idle_timeout_in_minutes=4,
                public_ip_addresses=[network.SubResourceArgs(id=self.nat_public_ip.id)],
                tags=tags,
                opts=opts,
            )
            return {"nat_gateway": network.SubResourceArgs(id=self.nat_gateway.id)}
        if egress is AksEgress.FIREWALL:
            self.route_table = network.RouteTable(
                f"{name}-rt-aks",
                route_table_name=f"rt-{stem}-aks",
                resource_group_name=a["resource_group_name"],
                location=a["location"],
                disable_bgp_route_propagation=True,  # no learned default route around the firewall
                routes=[
                    network.RouteArgs(
                        name="default-to-firewall",
                        address_prefix="0.0.0.0/0",
                        next_hop_type=network.RouteNextHopType.VIRTUAL_APPLIANCE,
                        next_hop_ip_address=a["egress_firewall_ip"],
                    )
                ],
                tags=tags,
                opts=opts,
            )
            self.aks_route_table_id = self.route_table.id
            return {"route_table": network.RouteTableArgs(id=self.route_table.id)}
        return {}

    def _create_subnets(
        self,
        name: str,
        a: Any,
        stem: str,
        tags: dict[str, str],
        child: pulumi.ResourceOptions,
        egress: AksEgress | None,
    ) -> None:
        """A new VNet, or the existing one ``existingVnet`` names; its subnets, each with an NSG; the AKS subnet's
        egress when a cluster joins it."""
        existing = a.get("existing_vnet")
        subnet_opts: dict[str, Any] = {"parent": self}
        nsg_group: pulumi.Input[str] = a["resource_group_name"]
        nsg_opts = child
        if existing is None:
            self.vnet = network.VirtualNetwork(
                f"{name}-vnet",
                virtual_network_name=f"vnet-{stem}",
                resource_group_name=a["resource_group_name"],
                location=a["location"],
                address_space=network.AddressSpaceArgs(address_prefixes=[a["address_space"]]),
                enable_ddos_protection=False,
                tags=tags,
                opts=child,
            )
            vnet_rg: pulumi.Input[str] = a["resource_group_name"]
            vnet_name: pulumi.Input[str] = self.vnet.name
            self.vnet_id = self.vnet.id
        elif existing.get("id") is not None:
            match = _VNET_ID.match(existing["id"])
            assert match is not None  # checked by the ExistingVnet rule
            vnet_rg, vnet_name = match.group("group"), match.group("vnet")
            self.vnet_id = pulumi.Output.from_input(existing["id"])
            # The VNet's subscription may not be the estate's: its subnets go through a provider of that one.
            self.vnet_provider = azure_native.Provider(
                f"{name}-vnet-subscription", subscription_id=match.group("subscription"), opts=child
            )
            subnet_opts["provider"] = self.vnet_provider
            # A subnet's NSG is in the VNet's subscription and region: with the subnets, in the VNet's group.
            nsg_group, nsg_opts = vnet_rg, pulumi.ResourceOptions(parent=self, provider=self.vnet_provider)
        else:
            vnet_rg, vnet_name = existing["resource_group_name"], existing["name"]
            self.vnet_id = pulumi.Output.concat(
                "/subscriptions/",
                a["subscription_id"],
                "/resourceGroups/",
                vnet_rg,
                "/providers/Microsoft.Network/virtualNetworks/",
                vnet_name,
            )

        # The egress resources go where the AKS subnet's NSG goes (the VNet's subscription and group).
        aks_egress_of = self._aks_egress(name, {**a, "resource_group_name": nsg_group}, stem, tags, egress, nsg_opts)
        wanted = [("pe", a["private_endpoint_subnet_prefix"]), ("aks", a["aks_subnet_prefix"])]
        if a["aks_cluster"]:  # AML-AKS-029: the API server's own subnet, for a cluster only
            wanted.append(("apiserver", a["api_server_subnet_prefix"]))
        if not a["workspace_managed_network"]:  # compute joins a customer subnet only without the managed VNet
            wanted.append(("compute", a["compute_subnet_prefix"]))
        previous: list[pulumi.Resource] = []
        for purpose, prefix in wanted:
            nsg = network.NetworkSecurityGroup(
                f"{name}-nsg-{purpose}",
                network_security_group_name=f"nsg-{stem}-{purpose}",
                resource_group_name=nsg_group,
                location=a["location"],
                security_rules=[],  # Azure's default rules: no inbound from the internet
                tags=tags,
                opts=nsg_opts,
            )
            # Subnets of one VNet are created one after the other: Azure refuses concurrent subnet writes.
            subnet = network.Subnet(
                f"{name}-snet-{purpose}",
                subnet_name=f"snet-{stem}-{purpose}",
                resource_group_name=vnet_rg,
                virtual_network_name=vnet_name,
                address_prefix=prefix,
                network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id),
                default_outbound_access=False,
                private_endpoint_network_policies="Enabled" if purpose == "pe" else "Disabled",
                private_link_service_network_policies="Enabled",
                # AML-NET-101: compute in a customer VNet reaches storage over a service endpoint, to which an
                # operator can attach a service endpoint policy naming the approved accounts.
                service_endpoints=(
                    [network.ServiceEndpointPropertiesFormatArgs(service="Microsoft.Storage")]
                    if purpose == "compute"
                    else None
                ),
                delegations=(
                    [network.DelegationArgs(name="aks-api-server", service_name=API_SERVER_DELEGATION)]
                    if purpose == "apiserver"
                    else None
                ),
                **(aks_egress_of if purpose == "aks" else {}),  # AML-AKS-025
                opts=pulumi.ResourceOptions(**subnet_opts, depends_on=previous),
            )
            previous = [subnet]
            self.nsgs[purpose], self.subnets[purpose] = nsg, subnet
        self.private_endpoint_subnet_id = self.subnets["pe"].id
        self.aks_subnet_id = self.subnets["aks"].id
        self.api_server_subnet_id = self.subnets["apiserver"].id if "apiserver" in self.subnets else None
        self.compute_subnet_id = self.subnets["compute"].id if "compute" in self.subnets else None
