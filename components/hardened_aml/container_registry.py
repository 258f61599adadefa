"""The workspace's container registry: Premium, zone-redundant, private, no admin user."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native.containerregistry as containerregistry

from hardened_aml import shared
from hardened_aml.errors import InvalidInputError
from hardened_aml.regions import ZONAL_REGIONS


@dataclass(frozen=True, kw_only=True)
class ContainerRegistryArgs:
    """Inputs of :class:`ContainerRegistry`."""

    resource_group_name: pulumi.Input[str]
    """The resource group. Default: none, required."""
    location: str
    """The Azure region; it must have availability zones. Default: none, required (control AML-REL-002)."""
    registry_name: str
    """Name of the registry: 5-50 alphanumerics. Default: none, required (from ``Namer``)."""
    log_analytics_workspace_id: pulumi.Input[str]
    """Where diagnostics go. Default: none, required (control AML-MON-002)."""
    untagged_retention_days: int = 7
    """Days untagged manifests are kept. Default: 7; 0..365 (control AML-DAT-004)."""
    protection: shared.Protection = field(default_factory=shared.Protection)
    """``protect`` and a ``CanNotDelete`` lock on the registry. Default: off (control AML-REL-006)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


class ContainerRegistry(pulumi.ComponentResource):
    """A Premium registry (private endpoints need Premium) with zone redundancy and a retention policy."""

    registry_id: pulumi.Output[str]

    def __init__(self, name: str, args: ContainerRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if args.location not in ZONAL_REGIONS:
            raise InvalidInputError(f"{name}.location", args.location, "a region with availability zones")
        if not 0 <= args.untagged_retention_days <= 365:
            raise InvalidInputError(f"{name}.untagged_retention_days", args.untagged_retention_days, "0..365 days")
        super().__init__("hardened-aml:index:ContainerRegistry", name, None, opts)

        self.registry = containerregistry.Registry(
            f"{name}-cr",
            registry_name=args.registry_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
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
                    status="enabled", days=args.untagged_retention_days
                ),
                # AML-DAT-005: images leave only through the private endpoint (no export), against exfiltration;
                # ACR accepts "disabled" only with publicNetworkAccess Disabled on Premium (set above).
                export_policy=containerregistry.ExportPolicyArgs(status="disabled"),
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protection.protect),
        )
        self.diagnostics = shared.diagnostics(
            f"{name}-diag-cr",
            resource_id=self.registry.id,
            log_analytics_workspace_id=args.log_analytics_workspace_id,
            parent=self,
        )  # AML-MON-002
        self.locks = (
            [shared.delete_lock(f"{name}-cr-lock", resource=self.registry, resource_id=self.registry.id, parent=self)]
            if args.protection.lock  # AML-REL-006
            else []
        )
        self.registry_id = self.registry.id
        self.register_outputs({"registry_id": self.registry_id})
