"""The stack program ``pulumi up`` runs: one hardened Azure Machine Learning estate per stack.

Reads the validated ``hardened-aml:*`` config (bad config stops here with one line naming the key), builds
the estate and exports its outputs.
"""

from __future__ import annotations

import pulumi

from hardened_aml.budget import BudgetOptions
from hardened_aml.errors import InvalidInputError
from hardened_aml.estate import Estate, EstateArgs
from hardened_aml.naming import Namer
from hardened_aml.network import ExistingVnet, NetworkOptions
from hardened_aml.settings import StackSettings, from_pulumi_config


def estate_args(settings: StackSettings, project: str, stack: str) -> EstateArgs:
    """The estate's arguments from a stack's settings."""
    provider_location = pulumi.Config("azure-native").get("location")
    if provider_location is not None and provider_location != settings.location:
        raise InvalidInputError(
            "azure-native:location",
            provider_location,
            f"{settings.location!r}, the same region as hardened-aml:location",
        )
    # AML-COST-002: the cost-allocation tags win over extras of the same name.
    tags = {
        **settings.tags.extra,
        "team": settings.tags.team,
        "environment": settings.environment.value,
        "costCentre": settings.tags.cost_centre,
    }
    net = settings.network
    existing = (
        ExistingVnet(resource_group_name=net.existing_vnet.resource_group_name, name=net.existing_vnet.name)
        if net.existing_vnet
        else None
    )
    return EstateArgs(
        namer=Namer(project, stack, settings.workload),
        location=settings.location,
        tags=tags,
        production=settings.production,
        network=NetworkOptions(
            address_space=net.address_space,
            private_endpoint_subnet_prefix=net.private_endpoint_subnet_prefix,
            aks_subnet_prefix=net.aks_subnet_prefix,
            compute_subnet_prefix=net.compute_subnet_prefix,
            existing_vnet=existing,
            private_dns_zone_ids=dict(net.private_dns_zone_ids),
        ),
        data_scientist_group_ids=tuple(settings.access.data_scientist_group_ids),
        compute_operator_group_ids=tuple(settings.access.compute_operator_group_ids),
        reader_group_ids=tuple(settings.access.reader_group_ids),
        budget=(
            BudgetOptions(
                amount=settings.budget.amount,
                contact_emails=tuple(settings.budget.contact_emails),
                start_date=settings.budget.start_date,
            )
            if settings.budget
            else None
        ),
    )


settings = from_pulumi_config()
estate = Estate(settings.workload, estate_args(settings, pulumi.get_project(), pulumi.get_stack()))

pulumi.export("resourceGroupName", estate.resource_group_name)
pulumi.export("workspaceId", estate.workspace_id)
pulumi.export("workspaceName", estate.workspace_name)
pulumi.export("privateDnsZoneIds", estate.network.private_dns_zone_ids)
# Public zones an on-premises resolver forwards to Azure DNS: the "Public DNS zone forwarders" column of
# "Azure Private Endpoint private DNS zone values" (learn.microsoft.com/azure/private-link/private-endpoint-dns)
# for amlworkspace, blob, file, vault and registry (PITFALLS: instances.azureml.ms, azure-docs #87505).
pulumi.export(
    "dnsZonesToForward",
    [
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
    ],
)
