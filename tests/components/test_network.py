from __future__ import annotations

import pulumi
import pytest
from component_plan import RG_ID, TAGS, refused

from hardened_aml.errors import InvalidInputError
from hardened_aml.inputs import checked
from hardened_aml.naming import Namer
from hardened_aml.network import (
    DNS_ZONES_TO_FORWARD,
    PRIVATE_DNS_ZONES,
    AksEgress,
    ExistingSubnets,
    ExistingVnet,
    Network,
    NetworkArgs,
    NetworkSettings,
)
from hardened_aml.private_endpoint import GROUP_IDS, PrivateEndpoint, PrivateEndpointArgs, PrivateLinkGroup

SUB = "00000000-0000-0000-0000-000000000000"
NAMER = Namer("hardened-aml", "test", "haml")
STEM = NAMER.name("vnet").removeprefix("vnet-")


def _args(**overrides: object) -> NetworkArgs:
    values: dict[str, object] = dict(
        resource_group_name="rg-test", location="westeurope", name_stem=STEM, subscription_id=SUB, tags=TAGS
    )
    values.update(overrides)
    return NetworkArgs(**values)


def test_new_vnet_subnets_nsgs_and_zones(plan):
    p = plan(lambda: Network("net", _args()))
    vnet = p.one("azure-native:network:VirtualNetwork")
    assert vnet.inputs["addressSpace"] == {"addressPrefixes": ["10.40.0.0/22"]}
    assert vnet.inputs["virtualNetworkName"] == NAMER.name("vnet")  # the names Namer gives
    subnets = {s.name: s for s in p.of_type("azure-native:network:Subnet")}
    assert sorted(subnets) == ["net-snet-aks", "net-snet-apiserver", "net-snet-pe"]  # managed VNet: no compute subnet
    assert subnets["net-snet-pe"].inputs["addressPrefix"] == "10.40.0.0/24"
    assert subnets["net-snet-aks"].inputs["addressPrefix"] == "10.40.1.0/24"
    # AML-AKS-029: the API server's own subnet, delegated to AKS (API Server VNet Integration).
    assert subnets["net-snet-apiserver"].inputs["addressPrefix"] == "10.40.3.0/28"
    assert subnets["net-snet-apiserver"].inputs["delegations"] == [
        {"name": "aks-api-server", "serviceName": "Microsoft.ContainerService/managedClusters"}
    ]
    assert all("delegations" not in s.inputs for n, s in subnets.items() if n != "net-snet-apiserver")
    assert subnets["net-snet-pe"].inputs["subnetName"] == NAMER.name("snet", "pe")
    nsg_names = {n.inputs["networkSecurityGroupName"] for n in p.of_type("azure-native:network:NetworkSecurityGroup")}
    assert nsg_names == {NAMER.name("nsg", "pe"), NAMER.name("nsg", "aks"), NAMER.name("nsg", "apiserver")}
    assert all(s.inputs["networkSecurityGroup"]["id"].endswith(s.name.split("-")[-1]) for s in subnets.values())
    assert len(p.of_type("azure-native:network:NetworkSecurityGroup")) == 3
    zones = sorted(z.inputs["privateZoneName"] for z in p.of_type("azure-native:privatedns:PrivateZone"))
    assert (
        zones
        == sorted(PRIVATE_DNS_ZONES)
        == sorted(
            [
                "privatelink.api.azureml.ms",
                "privatelink.notebooks.azure.net",
                "privatelink.blob.core.windows.net",
                "privatelink.file.core.windows.net",
                "privatelink.vaultcore.azure.net",
                "privatelink.azurecr.io",
            ]
        )
    )
    links = p.of_type("azure-native:privatedns:VirtualNetworkLink")
    assert len(links) == 6
    assert all(link.inputs["registrationEnabled"] is False for link in links)
    assert all(link.inputs["virtualNetwork"]["id"] == vnet.id for link in links)
    assert {link.inputs["virtualNetworkLinkName"] for link in links} == {NAMER.name("vnet", "link")}


def test_compute_subnet_only_without_managed_vnet(plan):
    p = plan(lambda: Network("net", _args(workspace_managed_network=False)))
    assert sorted(s.name for s in p.of_type("azure-native:network:Subnet")) == [
        "net-snet-aks",
        "net-snet-apiserver",
        "net-snet-compute",
        "net-snet-pe",
    ]
    assert len(p.of_type("azure-native:network:NetworkSecurityGroup")) == 4
    # AML-NET-101: only the compute subnet has the storage service endpoint a service endpoint policy needs.
    endpoints = {s.name: s.inputs.get("serviceEndpoints") for s in p.of_type("azure-native:network:Subnet")}
    assert endpoints == {
        "net-snet-aks": None,
        "net-snet-apiserver": None,
        "net-snet-compute": [{"service": "Microsoft.Storage"}],
        "net-snet-pe": None,
    }


def test_existing_vnet_and_hub_zones(plan):
    blob_zone = RG_ID + "/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net"
    settings = NetworkSettings(
        existing_vnet=ExistingVnet(resource_group_name="rg-hub", name="vnet-spoke"),
        private_dns_zone_ids={"privatelink.blob.core.windows.net": blob_zone},
    )
    p = plan(lambda: Network("net", _args(**settings)))
    assert p.of_type("azure-native:network:VirtualNetwork") == []
    for subnet in p.of_type("azure-native:network:Subnet"):
        assert subnet.inputs["resourceGroupName"] == "rg-hub"
        assert subnet.inputs["virtualNetworkName"] == "vnet-spoke"
    zones = [z.inputs["privateZoneName"] for z in p.of_type("azure-native:privatedns:PrivateZone")]
    assert "privatelink.blob.core.windows.net" not in zones and len(zones) == 5


def test_bad_prefix_is_refused():
    err = refused(lambda: Network("net", _args(aks_subnet_prefix="10.99.0.0/24")))
    assert (err.key, err.value) == ("net.aks_subnet_prefix", "10.99.0.0/24")
    assert err.allowed == "a block inside the address space 10.40.0.0/22"


def test_prefix_with_host_bits_is_refused():
    err = refused(lambda: Network("net", _args(aks_subnet_prefix="10.40.1.1/24")))
    assert (err.key, err.value) == ("net.aks_subnet_prefix", "10.40.1.1/24")
    assert err.allowed == "an IPv4 CIDR block with no host bits set, such as 10.40.0.0/24"
    err = refused(lambda: Network("net", _args(address_space="10.40.0.0")))
    assert err.key == "net.address_space" and "CIDR form" in err.allowed


def test_api_server_subnet_of_fewer_than_16_addresses_is_refused():
    err = refused(lambda: Network("net", _args(api_server_subnet_prefix="10.40.3.0/29")))
    assert (err.key, err.value) == ("net.api_server_subnet_prefix", "10.40.3.0/29")
    assert err.allowed == "a block of /28 or larger (the AKS API server's minimum)"


def test_overlapping_subnets_are_refused():
    err = refused(lambda: Network("net", _args(compute_subnet_prefix="10.40.0.128/25")))
    assert (err.key, err.value) == ("net.compute_subnet_prefix", "10.40.0.128/25")
    assert err.allowed == "a block that does not overlap private_endpoint_subnet_prefix 10.40.0.0/24"


def test_existing_vnet_takes_subnets_outside_the_address_space(plan):
    vnet = ExistingVnet(resource_group_name="rg-hub", name="vnet-spoke")
    p = plan(lambda: Network("net", _args(existing_vnet=vnet, aks_subnet_prefix="10.99.0.0/24")))
    aks = p.named("net-snet-aks")
    assert aks.inputs["addressPrefix"] == "10.99.0.0/24"
    # Overlaps are refused in an existing VNet too: Azure refuses overlapping subnets in one VNet.
    err = refused(lambda: Network("net", _args(existing_vnet=vnet, aks_subnet_prefix="10.40.0.0/23")))
    assert err.key == "net.aks_subnet_prefix"


def test_unknown_zone_is_refused():
    err = refused(
        lambda: Network("net", _args(private_dns_zone_ids={"privatelink.example.com": RG_ID + "/providers/x"}))
    )
    assert (err.key, err.value) == ("net.private_dns_zone_ids", "privatelink.example.com")
    assert err.allowed.startswith("zone names from privatelink.api.azureml.ms")


def test_zone_id_of_another_zone_is_refused():
    blob_zone = RG_ID + "/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net"
    err = refused(lambda: Network("net", _args(private_dns_zone_ids={"privatelink.azurecr.io": blob_zone})))
    assert (err.key, err.value) == ("net.private_dns_zone_ids", blob_zone)
    assert err.allowed == (
        "for privatelink.azurecr.io: the resource id of a private DNS zone named privatelink.azurecr.io"
    )


def test_existing_vnet_fields_are_checked():
    vnet = {"resource_group_name": "", "name": "vnet-spoke"}
    err = refused(lambda: Network("net", _args(existing_vnet=vnet)))
    assert err.key == "net.existing_vnet.resource_group_name" and err.value == ""


def _pe(**overrides: object) -> PrivateEndpointArgs:
    values: dict[str, object] = dict(
        resource_group_name="rg-test",
        location="westeurope",
        private_endpoint_name="pep-test-mlw",
        target_resource_id=RG_ID + "/providers/Microsoft.MachineLearningServices/workspaces/mlw-test",
        group_id="amlworkspace",
        subnet_id=RG_ID + "/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pe",
        private_dns_zone_ids=["zone-api", "zone-notebooks"],
        tags=TAGS,
    )
    values.update(overrides)
    return PrivateEndpointArgs(**values)


def test_private_endpoint_and_zone_group(plan):
    p = plan(lambda: PrivateEndpoint("pep", _pe()))
    pe = p.one("azure-native:network:PrivateEndpoint")
    group = p.one("azure-native:network:PrivateDnsZoneGroup")
    assert (pe.name, group.name) == ("pep-pe", "pep-dns")
    connection = pe.inputs["privateLinkServiceConnections"][0]
    assert connection["groupIds"] == ["amlworkspace"]  # AML-NET-003
    assert connection["privateLinkServiceId"].endswith("/workspaces/mlw-test")
    assert pe.inputs["subnet"]["id"].endswith("/subnets/pe")
    assert [c["privateDnsZoneId"] for c in group.inputs["privateDnsZoneConfigs"]] == ["zone-api", "zone-notebooks"]
    assert group.inputs["privateEndpointName"] == "pep-test-mlw"


def test_private_endpoint_refuses_unknown_group_and_single_workspace_zone():
    err = refused(lambda: PrivateEndpoint("pep", _pe(group_id="sqlServer")))
    assert (err.key, err.value) == ("pep.group_id", "sqlServer")
    assert err.allowed == "one of amlworkspace, amlregistry, blob, file, vault, registry"
    err = refused(lambda: PrivateEndpoint("pep", _pe(private_dns_zone_ids=["zone-api"])))
    assert (err.key, err.value) == ("pep.private_dns_zone_ids", 1)
    assert err.allowed.startswith("2 zones: privatelink.api.azureml.ms and privatelink.notebooks.azure.net")


def test_private_endpoint_takes_one_to_five_zones():
    err = refused(lambda: PrivateEndpoint("pep", _pe(group_id="vault", private_dns_zone_ids=[])))
    assert (err.key, err.value) == ("pep.private_dns_zone_ids", [])
    err = refused(lambda: PrivateEndpoint("pep", _pe(group_id="vault", private_dns_zone_ids=["z"] * 6)))
    assert err.key == "pep.private_dns_zone_ids"


def test_group_ids():
    assert GROUP_IDS == ("amlworkspace", "amlregistry", "blob", "file", "vault", "registry")
    assert PrivateLinkGroup("vault") is PrivateLinkGroup.VAULT


def test_settings_read_as_stack_config():
    settings = checked(
        NetworkSettings, {"existingVnet": {"resourceGroupName": "rg-hub", "name": "vnet"}}, "ns", config=True
    )
    assert settings["existing_vnet"] == {"resource_group_name": "rg-hub", "name": "vnet"}
    assert settings["address_space"] == "10.40.0.0/22" and settings["private_dns_zone_ids"] == {}
    with pytest.raises(InvalidInputError) as caught:
        checked(NetworkSettings, {"aksSubnetPrefix": "10.40.0.0/23"}, "hardened-aml", config=True)
    assert caught.value.key == "hardened-aml:aksSubnetPrefix"


# --- existing resources by ARM id, in any subscription -----------------------------------------------------
HUB_SUB = "11111111-1111-1111-1111-111111111111"
HUB_VNET = f"/subscriptions/{HUB_SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub"
HUB_ZONE = f"/subscriptions/{HUB_SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/"


def _outputs(net: Network, seen: dict[str, object]) -> None:
    """Keep the component's outputs once they resolve (the engine waits for them before the plan ends)."""
    pulumi.Output.all(
        pe=net.private_endpoint_subnet_id,
        aks=net.aks_subnet_id,
        zones=net.private_dns_zone_ids,
        forward=net.dns_zones_to_forward,
    ).apply(seen.update)


def test_existing_subnets_create_no_network_only_the_zones_the_hub_lacks(plan):
    subnets = ExistingSubnets(private_endpoint=HUB_VNET + "/subnets/snet-pe", aks=HUB_VNET + "/subnets/snet-aks")
    zones = {z: HUB_ZONE + z for z in PRIVATE_DNS_ZONES if z != "privatelink.azurecr.io"}
    seen: dict[str, object] = {}
    given = _args(existing_subnets=subnets, private_dns_zone_ids=zones, aks_egress=AksEgress.FIREWALL)
    p = plan(lambda: _outputs(Network("net", given), seen))
    created = {r.type for r in p.resources if r.custom}
    assert created == {"azure-native:privatedns:PrivateZone", "azure-native:privatedns:VirtualNetworkLink"}
    assert [z.inputs["privateZoneName"] for z in p.of_type("azure-native:privatedns:PrivateZone")] == [
        "privatelink.azurecr.io"
    ]
    # The one zone created is linked to the subnets' VNet, in the hub's subscription.
    assert p.one("azure-native:privatedns:VirtualNetworkLink").inputs["virtualNetwork"]["id"] == HUB_VNET
    assert seen["pe"] == HUB_VNET + "/subnets/snet-pe" and seen["aks"] == HUB_VNET + "/subnets/snet-aks"
    assert seen["zones"]["privatelink.api.azureml.ms"] == HUB_ZONE + "privatelink.api.azureml.ms"  # type: ignore[index]


def test_an_existing_vnet_in_another_subscription_gets_subnets_and_nsgs_through_its_provider(plan):
    p = plan(lambda: Network("net", _args(existing_vnet=ExistingVnet(id=HUB_VNET))))
    provider = p.one("pulumi:providers:azure-native")
    assert provider.inputs["subscriptionId"] == HUB_SUB
    for kind in ("azure-native:network:Subnet", "azure-native:network:NetworkSecurityGroup"):
        placed = p.of_type(kind)
        assert len(placed) == 3 and all(r.provider.startswith(provider.urn) for r in placed), kind
        assert {r.inputs["resourceGroupName"] for r in placed} == {"rg-hub"}
    assert {s.inputs["virtualNetworkName"] for s in p.of_type("azure-native:network:Subnet")} == {"vnet-hub"}
    # Zones and links stay in the estate's group and subscription (default provider).
    assert all(z.provider == "" for z in p.of_type("azure-native:privatedns:PrivateZone"))
    links = p.of_type("azure-native:privatedns:VirtualNetworkLink")
    assert {link.inputs["virtualNetwork"]["id"] for link in links} == {HUB_VNET}


def test_the_zones_to_forward_are_an_output(plan):
    seen: dict[str, object] = {}
    plan(lambda: _outputs(Network("net", _args()), seen))
    assert seen["forward"] == list(DNS_ZONES_TO_FORWARD)
    assert {"api.azureml.ms", "instances.azureml.ms", "blob.core.windows.net", "azurecr.io"} <= set(
        DNS_ZONES_TO_FORWARD
    )


@pytest.mark.parametrize(
    ("settings", "key", "allowed"),
    [
        (
            {"existing_vnet": {"id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/vnets/v"}},
            "net.existing_vnet.id",
            "the resource id of a virtual network",
        ),
        ({"existing_vnet": {"id": HUB_VNET, "name": "vnet-hub"}}, "net.existing_vnet.name", "nothing when id"),
        ({"existing_vnet": {"name": "vnet-hub"}}, "net.existing_vnet.resource_group_name", "a value (or name"),
        (
            {"existing_subnets": {"private_endpoint": HUB_VNET}},
            "net.existing_subnets.private_endpoint",
            "the resource id of a subnet",
        ),
        (
            {
                "existing_subnets": {
                    "private_endpoint": HUB_VNET + "/subnets/pe",
                    "aks": HUB_VNET.replace("vnet-hub", "vnet-other") + "/subnets/aks",
                },
                "aks_egress": "natGateway",
            },
            "net.existing_subnets.aks",
            "a subnet of the virtual network of private_endpoint",
        ),
        (
            {"existing_subnets": {"private_endpoint": HUB_VNET + "/subnets/pe"}, "workspace_managed_network": False},
            "net.existing_subnets.compute",
            "the resource id of the compute subnet",
        ),
        (
            {"existing_subnets": {"private_endpoint": HUB_VNET + "/subnets/pe"}, "existing_vnet": {"id": HUB_VNET}},
            "net.existing_vnet",
            "nothing when existingSubnets",
        ),
    ],
)
def test_existing_network_refusals(settings, key, allowed):
    err = refused(lambda: Network("net", _args(**settings)))
    assert err.key == key and allowed in err.allowed, (err.key, err.allowed)


NAT = "azure-native:network:NatGateway"
PIP = "azure-native:network:PublicIPAddress"
ROUTES = "azure-native:network:RouteTable"


def test_the_aks_subnet_leaves_through_a_nat_gateway_by_default(plan):
    """AML-AKS-025 / AML-NET-019: a Standard zonal NAT gateway with a zone-redundant public IP on the AKS subnet."""
    seen: dict[str, Network] = {}
    p = plan(lambda: seen.setdefault("net", Network("net", _args())))
    pip, nat = p.one(PIP).inputs, p.one(NAT)
    assert pip["sku"] == {"name": "Standard", "tier": "Regional"}
    assert (pip["publicIPAllocationMethod"], pip["publicIPAddressVersion"]) == ("Static", "IPv4")
    assert pip["zones"] == ["1", "2", "3"]  # zone-redundant: a zonal NAT gateway accepts it
    assert nat.inputs["sku"] == {"name": "Standard"} and nat.inputs["zones"] == ["1"]
    assert nat.inputs["publicIpAddresses"] == [{"id": p.one(PIP).id}]
    assert nat.inputs["natGatewayName"] == f"ng-{STEM}-aks"  # CAF abbreviations ng, pip, rt
    subnets = {s.name: s.inputs for s in p.of_type("azure-native:network:Subnet")}
    assert subnets["net-snet-aks"]["natGateway"] == {"id": nat.id}
    assert "natGateway" not in subnets["net-snet-pe"] and "routeTable" not in subnets["net-snet-aks"]
    assert p.of_type(ROUTES) == []
    assert seen["net"].aks_outbound_type == "userAssignedNATGateway"


def test_a_hub_firewall_gets_a_default_route_instead(plan):
    seen: dict[str, Network] = {}
    p = plan(lambda: seen.setdefault("net", Network("net", _args(egress_firewall_ip="10.0.1.4"))))
    table = p.one(ROUTES)
    assert table.inputs["routes"] == [
        {
            "name": "default-to-firewall",
            "addressPrefix": "0.0.0.0/0",
            "nextHopType": "VirtualAppliance",
            "nextHopIpAddress": "10.0.1.4",
        }
    ]
    assert table.inputs["disableBgpRoutePropagation"] is True
    subnets = {s.name: s.inputs for s in p.of_type("azure-native:network:Subnet")}
    assert subnets["net-snet-aks"]["routeTable"] == {"id": table.id}
    assert p.of_type(NAT) == [] and p.of_type(PIP) == []
    assert seen["net"].aks_outbound_type == "userDefinedRouting"


def test_no_egress_resources_without_a_cluster_and_none_for_a_public_load_balancer(plan):
    seen: dict[str, Network] = {}
    p = plan(lambda: seen.setdefault("net", Network("net", _args(aks_cluster=False))))
    assert p.of_type(NAT) == [] and p.of_type(ROUTES) == [] and seen["net"].aks_outbound_type is None
    p = plan(lambda: seen.update(lb=Network("net", _args(aks_egress="publicLoadBalancer"))))
    assert p.of_type(NAT) == [] and p.of_type(ROUTES) == [] and seen["lb"].aks_outbound_type == "loadBalancer"


def test_existing_subnets_state_their_egress(plan):
    seen: dict[str, Network] = {}
    subnets = ExistingSubnets(private_endpoint=HUB_VNET + "/subnets/snet-pe", aks=HUB_VNET + "/subnets/snet-aks")
    p = plan(lambda: seen.setdefault("net", Network("net", _args(existing_subnets=subnets, aks_egress="natGateway"))))
    assert p.of_type(NAT) == [] and seen["net"].aks_outbound_type == "userAssignedNATGateway"


def test_egress_settings_read_as_stack_config():
    where = "hardened-aml:network"
    s = checked(NetworkSettings, {"egressFirewallIp": "10.0.1.4"}, where, config=True)
    assert s["egress_firewall_ip"] == "10.0.1.4" and s.get("aks_egress") is None
    s = checked(NetworkSettings, {"aksEgress": "natGateway"}, where, config=True)
    assert s["aks_egress"] is AksEgress.NAT_GATEWAY


@pytest.mark.parametrize(
    ("settings", "key", "allowed"),
    [
        (
            {"existing_subnets": {"private_endpoint": HUB_VNET + "/subnets/pe", "aks": HUB_VNET + "/subnets/aks"}},
            "net.aks_egress",
            "natGateway (a NAT gateway on the subnet) or firewall",
        ),
        (
            {"existing_subnets": {"private_endpoint": HUB_VNET + "/subnets/pe"}, "egress_firewall_ip": "10.0.1.4"},
            "net.egress_firewall_ip",
            "nothing with existingSubnets",
        ),
        ({"egress_firewall_ip": "8.8.8.8"}, "net.egress_firewall_ip", "the private IPv4 address of the hub firewall"),
        ({"egress_firewall_ip": "10.0.1.999"}, "net.egress_firewall_ip", "the private IPv4 address"),
        ({"egress_firewall_ip": "fw.contoso"}, "net.egress_firewall_ip", "an IPv4 address"),
        ({"aks_egress": "firewall"}, "net.egress_firewall_ip", "with aksEgress firewall"),
        ({"egress_firewall_ip": "10.0.1.4", "aks_egress": "natGateway"}, "net.aks_egress", "firewall (or nothing)"),
        ({"aks_egress": "loadBalancer"}, "net.aks_egress", "one of natGateway, firewall, publicLoadBalancer"),
        (
            {"aks_egress": "publicLoadBalancer", "environment": "production"},
            "net.aks_egress",
            "natGateway or firewall in production",
        ),
    ],
)
def test_egress_refusals(settings, key, allowed):
    err = refused(lambda: Network("net", _args(**settings)))
    assert err.key == key and allowed in err.allowed, (err.key, err.allowed)
