"""The workspace's container registry: Premium, zone-redundant, private, no admin user."""

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native.containerregistry as containerregistry
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml import shared
from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule
from hardened_aml.private_endpoint import PrivateLink
from hardened_aml.regions import ZONAL_REGIONS
from hardened_aml.shared import Environment

#: The registry's private-link sub-resource and its zone ("Azure Private Endpoint private DNS zone values",
#: learn.microsoft.com/azure/private-link/private-endpoint-dns: Microsoft.ContainerRegistry/registries,
#: ``registry``).
PRIVATE_LINK_GROUP = "registry"
PRIVATE_DNS_ZONES = ("privatelink.azurecr.io",)


@args
class ContainerRegistryArgs(TypedDict):
    """Inputs of :class:`ContainerRegistry`."""

    resource_group_name: Annotated[Input[str], Wired()]
    """The resource group. Required."""
    location: str
    """The Azure region; it must have availability zones. Required (control AML-REL-002)."""
    registry_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{5,50}$")]
    """Name of the registry: 5-50 letters and digits. Required (from ``Namer``)."""
    log_analytics_workspace_id: Annotated[Input[str], Wired()]
    """Where diagnostics go. Required (control AML-MON-002)."""
    untagged_retention_days: NotRequired[Annotated[int, Field(default=7, ge=0, le=365)]]
    """Days untagged manifests are kept, 0 to 365. Default: 7 (control AML-DAT-004)."""
    environment: NotRequired[Annotated[Environment, Field(default=Environment.EXPLORATION)]]
    """``production`` protects the registry (``protect`` and a ``CanNotDelete`` lock). Default: ``exploration``
    (control AML-REL-006)."""
    tags: NotRequired[Annotated[dict[str, str], Field(default_factory=dict)]]
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


@rule(ContainerRegistryArgs)
def _zonal_region(r: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    if r["location"] not in ZONAL_REGIONS:
        yield ("location",), r["location"], "a region with availability zones (AML-REL-002)"


class ContainerRegistry(pulumi.ComponentResource):
    """A Premium registry (private endpoints need Premium) with zone redundancy and a retention policy."""

    registry_id: pulumi.Output[str]

    def __init__(self, name: str, args: ContainerRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(ContainerRegistryArgs, args, name)
        super().__init__("hardened-aml:index:ContainerRegistry", name, None, opts)
        protection = shared.protection(a["environment"])

        self.registry = containerregistry.Registry(
            f"{name}-cr",
            registry_name=a["registry_name"],
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            sku=containerregistry.SkuArgs(name="Premium"),  # AML-REL-002
            zone_redundancy="Enabled",  # AML-REL-002
            admin_user_enabled=False,  # AML-IAM-005
            anonymous_pull_enabled=False,  # AML-IAM-005
            public_network_access="Disabled",  # AML-NET-007
            network_rule_set=containerregistry.NetworkRuleSetArgs(default_action="Deny", ip_rules=[]),  # AML-NET-007
            network_rule_bypass_options="AzureServices",
            data_endpoint_enabled=False,
            policies=containerregistry.PoliciesArgs(
                # AML-DAT-004: untagged manifests are deleted after the retention period.
                retention_policy=containerregistry.RetentionPolicyArgs(
                    status="enabled", days=a["untagged_retention_days"]
                ),
                # AML-DAT-005: images leave only through the private endpoint (no export), against exfiltration;
                # ACR accepts "disabled" only with publicNetworkAccess Disabled on Premium (set above).
                export_policy=containerregistry.ExportPolicyArgs(status="disabled"),
            ),
            tags=dict(a["tags"]),
            opts=pulumi.ResourceOptions(parent=self, protect=protection.protect),
        )
        self.diagnostics = shared.diagnostics(
            f"{name}-diag-cr",
            resource_id=self.registry.id,
            resource_type="Microsoft.ContainerRegistry/registries",
            log_analytics_workspace_id=a["log_analytics_workspace_id"],
            parent=self,
        )  # AML-MON-002
        self.locks = (
            [shared.delete_lock(f"{name}-cr-lock", resource=self.registry, resource_id=self.registry.id, parent=self)]
            if protection.lock  # AML-REL-006
            else []
        )
        self.registry_id = self.registry.id
        # AML-NET-003 / AML-NET-007: the registry is reached through a private endpoint only.
        self.private_links: list[PrivateLink] = [
            PrivateLink(
                purpose="cr",
                target_resource_id=self.registry_id,
                group_id=PRIVATE_LINK_GROUP,
                dns_zones=PRIVATE_DNS_ZONES,
            )
        ]
        self.register_outputs({"registry_id": self.registry_id})
