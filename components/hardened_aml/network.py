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
"""

import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native as azure_native
import pulumi_azure_native.network as network
import pulumi_azure_native.privatedns as privatedns
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule

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

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(NetworkArgs, args, name)
        super().__init__("hardened-aml:index:Network", name, None, opts)
        stem, tags = a["name_stem"], dict(a["tags"])
        child = pulumi.ResourceOptions(parent=self)
        self.vnet: network.VirtualNetwork | None = None
        self.subnets: dict[str, network.Subnet] = {}
        self.nsgs: dict[str, network.NetworkSecurityGroup] = {}
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
            self._create_subnets(name, a, stem, tags, child)

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
        self.register_outputs(outputs)

    def _create_subnets(
        self, name: str, a: Any, stem: str, tags: dict[str, str], child: pulumi.ResourceOptions
    ) -> None:
        """A new VNet, or the existing one ``existingVnet`` names; its subnets, each with an NSG."""
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

        wanted = [
            ("pe", a["private_endpoint_subnet_prefix"]),
            ("aks", a["aks_subnet_prefix"]),
            ("apiserver", a["api_server_subnet_prefix"]),  # AML-AKS-029
        ]
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
                opts=pulumi.ResourceOptions(**subnet_opts, depends_on=previous),
            )
            previous = [subnet]
            self.nsgs[purpose], self.subnets[purpose] = nsg, subnet
        self.private_endpoint_subnet_id = self.subnets["pe"].id
        self.aks_subnet_id = self.subnets["aks"].id
        self.api_server_subnet_id = self.subnets["apiserver"].id
        self.compute_subnet_id = self.subnets["compute"].id if "compute" in self.subnets else None
