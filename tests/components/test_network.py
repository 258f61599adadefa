from __future__ import annotations

from component_plan import RG_ID, TAGS, refused

from hardened_aml.naming import Namer
from hardened_aml.network import PRIVATE_DNS_ZONES, ExistingVnet, Network, NetworkArgs, NetworkOptions
from hardened_aml.private_endpoint import PrivateEndpoint, PrivateEndpointArgs

SUB = "00000000-0000-0000-0000-000000000000"
NAMER = Namer("hardened-aml", "test", "haml")


def _args(**overrides: object) -> NetworkArgs:
    values: dict[str, object] = dict(
        resource_group_name="rg-test", location="westeurope", namer=NAMER, subscription_id=SUB, tags=TAGS
    )
    values.update(overrides)
    return NetworkArgs(**values)  # type: ignore[arg-type]


def test_new_vnet_subnets_nsgs_and_zones(plan):
    p = plan(lambda: Network("net", _args()))
    vnet = p.one("azure-native:network:VirtualNetwork")
    assert vnet.inputs["addressSpace"] == {"addressPrefixes": ["10.40.0.0/22"]}
    subnets = {s.name: s for s in p.of_type("azure-native:network:Subnet")}
    assert sorted(subnets) == ["net-snet-aks", "net-snet-pe"]  # managed VNet on: no compute subnet
    assert subnets["net-snet-pe"].inputs["addressPrefix"] == "10.40.0.0/24"
    assert subnets["net-snet-aks"].inputs["addressPrefix"] == "10.40.1.0/24"
    assert all(s.inputs["networkSecurityGroup"]["id"].endswith(s.name.split("-")[-1]) for s in subnets.values())
    assert len(p.of_type("azure-native:network:NetworkSecurityGroup")) == 2
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


def test_compute_subnet_only_without_managed_vnet(plan):
    p = plan(lambda: Network("net", _args(managed_network=False)))
    assert sorted(s.name for s in p.of_type("azure-native:network:Subnet")) == [
        "net-snet-aks",
        "net-snet-compute",
        "net-snet-pe",
    ]
    assert len(p.of_type("azure-native:network:NetworkSecurityGroup")) == 3


def test_existing_vnet_and_hub_zones(plan):
    blob_zone = RG_ID + "/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net"
    options = NetworkOptions(
        existing_vnet=ExistingVnet(resource_group_name="rg-hub", name="vnet-spoke"),
        private_dns_zone_ids={"privatelink.blob.core.windows.net": blob_zone},
    )
    p = plan(lambda: Network("net", _args(options=options)))
    assert p.of_type("azure-native:network:VirtualNetwork") == []
    for subnet in p.of_type("azure-native:network:Subnet"):
        assert subnet.inputs["resourceGroupName"] == "rg-hub"
        assert subnet.inputs["virtualNetworkName"] == "vnet-spoke"
    zones = [z.inputs["privateZoneName"] for z in p.of_type("azure-native:privatedns:PrivateZone")]
    assert "privatelink.blob.core.windows.net" not in zones and len(zones) == 5


def test_bad_prefix_is_refused():
    err = refused(lambda: Network("net", _args(options=NetworkOptions(aks_subnet_prefix="10.99.0.0/24"))))
    assert err.key == "net.options.aks_subnet_prefix"


def test_unknown_zone_is_refused():
    options = NetworkOptions(private_dns_zone_ids={"privatelink.example.com": RG_ID})
    err = refused(lambda: Network("net", _args(options=options)))
    assert err.key == "net.options.private_dns_zone_ids"


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
    return PrivateEndpointArgs(**values)  # type: ignore[arg-type]


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
    assert refused(lambda: PrivateEndpoint("pep", _pe(group_id="sqlServer"))).key == "pep.group_id"
    err = refused(lambda: PrivateEndpoint("pep", _pe(private_dns_zone_ids=["zone-api"])))
    assert err.key == "pep.private_dns_zone_ids"
