"""Log Analytics and workspace-based Application Insights for one estate (controls AML-MON-001..003)."""

from typing import Annotated, NotRequired

import pulumi
import pulumi_azure_native.applicationinsights as applicationinsights
import pulumi_azure_native.operationalinsights as operationalinsights
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml.inputs import Input, Wired, args, checked
from hardened_aml.shared import Environment


@args
class MonitoringArgs(TypedDict):
    """Inputs of :class:`Monitoring`."""

    resource_group_name: Annotated[Input[str], Wired()]
    """The resource group. Required."""
    location: str
    """The Azure region. Required."""
    log_analytics_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$")]
    """Name of the Log Analytics workspace: 4-63 letters, digits and '-'. Required (from ``Namer``)."""
    application_insights_name: Annotated[str, Field(min_length=1, max_length=260)]
    """Name of the Application Insights component. Required (from ``Namer``)."""
    environment: NotRequired[Annotated[Environment, Field(default=Environment.EXPLORATION)]]
    """Picks the default log retention. Default: ``exploration`` (control AML-MON-001)."""
    retention_in_days: NotRequired[Annotated[int, Field(ge=30, le=730)] | None]
    """Log retention in days, 30 to 730. Default: none, by environment: 90 in production, 30 otherwise
    (control AML-MON-001)."""
    tags: NotRequired[Annotated[dict[str, str], Field(default_factory=dict)]]
    """Tags on every resource. Default: none; the estate passes team/environment/costCentre (AML-COST-002)."""


class Monitoring(pulumi.ComponentResource):
    """A Log Analytics workspace and an Application Insights component that stores its data in it."""

    log_analytics_workspace_id: pulumi.Output[str]
    application_insights_id: pulumi.Output[str]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(MonitoringArgs, args, name)
        super().__init__("hardened-aml:index:Monitoring", name, None, opts)
        production = a["environment"] is Environment.PRODUCTION
        retention = a.get("retention_in_days") or (90 if production else 30)
        child = pulumi.ResourceOptions(parent=self)

        self.log_analytics = operationalinsights.Workspace(
            f"{name}-log",
            workspace_name=a["log_analytics_name"],
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=retention,
            tags=dict(a["tags"]),
            opts=child,
        )
        # Workspace-based Application Insights: data in Log Analytics, not in the classic store
        # (control AML-MON-003: workspaceResourceId set, ingestionMode "LogAnalytics").
        self.application_insights = applicationinsights.Component(
            f"{name}-appi",
            resource_name_=a["application_insights_name"],
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            kind="web",
            application_type="web",
            workspace_resource_id=self.log_analytics.id,
            ingestion_mode="LogAnalytics",
            tags=dict(a["tags"]),
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
