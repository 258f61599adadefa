"""An estate in a landing-zone spoke: the hub (another subscription) owns the subnets and every private DNS zone."""

import pulumi

from hardened_aml.estate import Estate
from hardened_aml.network import PRIVATE_DNS_ZONES

HUB = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups"
SPOKE_VNET = f"{HUB}/rg-spoke-fraud/providers/Microsoft.Network/virtualNetworks/vnet-spoke-fraud"

estate = Estate(
    "ml",
    {
        "environment": "production",
        "workload": "fraud",
        "location": "westeurope",
        "tags": {"team": "fraud", "cost_centre": "cc-42"},
        "governance": {"allowed_python_indexes": ["https://pkgs.dev.azure.com/contoso/_packaging/ml/pypi/simple/"]},
        "compute": {"clusters": [{"name": "cpu-train", "vm_size": "Standard_D4s_v5", "max_nodes": 4}]},
        "network": {
            "existing_subnets": {"private_endpoint": f"{SPOKE_VNET}/subnets/snet-pe"},
            "private_dns_zone_ids": {
                zone: f"{HUB}/rg-dns/providers/Microsoft.Network/privateDnsZones/{zone}" for zone in PRIVATE_DNS_ZONES
            },
        },
    },
)
pulumi.export("workspaceId", estate.workspace_id)
pulumi.export("dnsZonesToForward", estate.dns_zones_to_forward)
