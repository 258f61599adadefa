"""One component alone: a training cluster on a workspace the platform team already runs (managed VNet on)."""

import pulumi

from hardened_aml.compute_cluster import ComputeCluster

GROUP = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-ml-shared"

cluster = ComputeCluster(
    "train",
    {
        "resource_group_name": "rg-ml-shared",
        "location": "westeurope",
        "workspace_name": "mlw-shared",
        "identity_id": f"{GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-train",
        "name": "gpu-train",
        "vm_size": "Standard_NC24ads_A100_v4",
        "max_nodes": 2,
        "workspace_managed_network": True,
        "tags": {"team": "fraud", "environment": "production", "costCentre": "cc-42"},
    },
)
pulumi.export("computeId", cluster.compute_id)
