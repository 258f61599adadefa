"""The stack program ``pulumi up`` runs: one hardened Azure Machine Learning estate per stack.

Reads the validated ``hardened-aml:*`` config (bad config stops here with one line naming the key), builds
the estate (``hardened_aml.program.build``) and exports its outputs.
"""

from __future__ import annotations

import pulumi

from hardened_aml.program import build
from hardened_aml.settings import from_pulumi_config

settings = from_pulumi_config()
estate = build(settings)

pulumi.export("resourceGroupName", estate.resource_group_name)
pulumi.export("workspaceId", estate.workspace_id)
pulumi.export("workspaceName", estate.workspace_name)
pulumi.export("privateDnsZoneIds", estate.network.private_dns_zone_ids)
pulumi.export("computeIds", estate.compute_ids)
if estate.inference_cluster is not None:
    pulumi.export("aksClusterId", estate.inference_cluster.cluster_id)
    pulumi.export("aksComputeId", estate.inference_cluster.compute_id)
    # AML-AKS-101: apply from inside the network (README, "Inference namespace network policies").
    pulumi.export("inferenceNetworkPolicies", estate.inference_network_policies)
if estate.online_endpoint is not None:
    pulumi.export("onlineEndpointName", estate.online_endpoint.endpoint_name)
if estate.batch_endpoint is not None:
    pulumi.export("batchEndpointName", estate.batch_endpoint.endpoint_name)
pulumi.export("policyAssignmentIds", estate.governance.assignment_ids)
# The public zones an on-premises or hub resolver forwards to Azure DNS (hardened_aml.network.DNS_ZONES_TO_FORWARD).
pulumi.export("dnsZonesToForward", estate.dns_zones_to_forward)
