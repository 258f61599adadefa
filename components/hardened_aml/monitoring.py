"""Log Analytics and workspace-based Application Insights for one estate (controls AML-MON-001..003)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native.applicationinsights as applicationinsights
import pulumi_azure_native.operationalinsights as operationalinsights

from hardened_aml.errors import InvalidInputError


@dataclass(frozen=True, kw_only=True)
class MonitoringArgs:
    """Inputs of :class:`Monitoring`."""

    resource_group_name: pulumi.Input[str]
    """The resource group. Default: none, required."""
    location: str
    """The Azure region. Default: none, required."""
    log_analytics_name: str
    """Name of the Log Analytics workspace. Default: none, required (from ``Namer``)."""
    application_insights_name: str
    """Name of the Application Insights component. Default: none, required (from ``Namer``)."""
    retention_in_days: int = 30
    """Log retention. Default: 30 days; 30..730 (control AML-MON-001)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on every resource. Default: none; the estate passes team/environment/costCentre (AML-COST-002)."""


class Monitoring(pulumi.ComponentResource):
    """A Log Analytics workspace and an Application Insights component that stores its data in it."""

    log_analytics_workspace_id: pulumi.Output[str]
    application_insights_id: pulumi.Output[str]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if not 30 <= args.retention_in_days <= 730:
            raise InvalidInputError(f"{name}.retention_in_days", args.retention_in_days, "30..730 days")
        super().__init__("hardened-aml:index:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.log_analytics = operationalinsights.Workspace(
            f"{name}-log",
            workspace_name=args.log_analytics_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=args.retention_in_days,
            tags=dict(args.tags),
            opts=child,
        )
        # Workspace-based Application Insights: data in Log Analytics, not in the classic store
        # (control AML-MON-003: workspaceResourceId set, ingestionMode "LogAnalytics").
        self.application_insights = applicationinsights.Component(
            f"{name}-appi",
            resource_name_=args.application_insights_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="web",
            application_type="web",
            workspace_resource_id=self.log_analytics.id,
            ingestion_mode="LogAnalytics",
            tags=dict(args.tags),
            opts=child,
        )
        self.log_analytics_workspace_id = self.log_analytics.id
        self.application_insights_id = self.application_insights.id
        self.register_outputs(
            {
                "log_analytics_workspace_id": self.log_analytics_workspace_id,
                "application_insights_id": self.application_insights_id,
            }
        )
