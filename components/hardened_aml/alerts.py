"""An action group and the alert rules of one estate (controls AML-MON-006, AML-MON-007, AML-COST-001).

Every alert of the estate goes to one action group (``monitor:ActionGroup``, REST API 2024-10-01-preview, the
only version pulumi-azure-native 3.29.0 serves for it; location ``Global``, a short name of at most 12
characters). Its receivers come from the stack's ``alerts`` section: e-mail addresses and https webhooks, each
with the common alert schema (one payload shape for every alert type: learn.microsoft.com "Common alert
schema"). The budget's notifications go to the same group (``contactGroups``, budget.py).

Alert rules are made only for what the estate has (:data:`SIGNALS` is the one table of what is watched, with
the documentation page each metric, dimension, table and column was checked against):

- the online endpoint: request latency (P95) and server errors (``RequestsPerMinute`` of status-code class
  5xx), metric alerts on the endpoint;
- each online deployment: CPU, memory and disk utilisation, metric alerts on the deployment;
- the AKS inference cluster: nodes not ready (platform metric ``kube_node_status_condition``, dimension
  ``status2`` ``notready`` / ``unknown`` as Azure Monitor Baseline Alerts define it), container
  restarts and the Azure ML extension's pods (Container Insights table ``KubePodInventory``: the cluster sends
  it to the estate's Log Analytics workspace through its ``omsagent`` add-on, control AML-AKS-007), log-search
  alerts scoped to the cluster;
- the workspace: failed and cancelled jobs (resource-log table ``AmlRunStatusChangedEvent``, which the
  workspace's diagnostic setting sends to Log Analytics, control AML-MON-001), a log-search alert scoped to
  the workspace; and compute quota close to its limit (workspace metric ``Quota Utilization Percentage``).

A log-search alert scoped to a resource runs its query over that resource's records (``_ResourceId``) in the
workspaces that hold them ("Create or edit a log search alert rule", scope: a resource), so every rule names
in ``scopes`` the resource it watches; the pack relates rules to resources by that id (AML-MON-006).

The vaults that hold the estate's customer-managed keys: a key whose current version is 30 days from its expiry,
or has expired. No metric or log of Key Vault carries a key's expiry date; Key Vault sends these as Event Grid events
(``KEY_EXPIRY_EVENTS``), so each vault gets an Event Grid system topic (``eventgrid:SystemTopic``, REST API
2025-02-15) and a subscription to those events whose destination is an Azure Monitor alert to the action group,
in the CloudEvents v1.0 schema, the only one that destination takes (:mod:`aml_catalogue.facts`). Since every key's
rotation policy rotates it earlier than that (AML-ENC-003, AML-AKS-029), the alert fires only when a rotation did
not happen.
"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native.eventgrid as eventgrid
import pulumi_azure_native.monitor as monitor
from pydantic import Field
from typing_extensions import TypedDict

from aml_catalogue.facts import KEY_EXPIRY_EVENTS, KEY_VAULT_TOPIC_TYPE, MONITOR_ALERT_ENDPOINT, MONITOR_ALERT_SCHEMA
from hardened_aml.budget import Email
from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule

#: Where the metric tables come from ("Supported metrics for <type>", learn.microsoft.com/azure/azure-monitor/
#: reference/supported-metrics/...; the same tables are in MicrosoftDocs/azure-monitor-docs).
_METRICS_DOC = "learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/"
ENDPOINTS = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
DEPLOYMENTS = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
WORKSPACES = "Microsoft.MachineLearningServices/workspaces"
CLUSTERS = "Microsoft.ContainerService/managedClusters"
#: The Azure ML extension's own namespace on an attached cluster (aks.py, RESERVED_NAMESPACES).
EXTENSION_NAMESPACE = "azureml"


@dataclass(frozen=True)
class Signal:
    """One watched signal: how it is read, what fires, and where each name was checked."""

    target: str
    """What the rule is scoped to: ``endpoint``, ``deployment``, ``cluster`` or ``workspace``."""
    description: str
    default: float
    """The documented default threshold (settable per stack: ``alerts.thresholds``)."""
    severity: int
    """0 (critical) to 4 (verbose)."""
    source: str
    metric: str = ""
    """A platform metric (metric alert), or empty for a log-search alert (``query``)."""
    namespace: str = ""
    aggregation: str = "Average"
    dimensions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    query: str = ""
    """KQL that yields one row per offending item; ``{threshold}`` is replaced with the threshold and the
    rule fires when it yields any row."""
    window: str = "PT15M"
    frequency: str = "PT5M"


#: Every signal the estate alerts on, by its key in ``alerts.thresholds`` (one place for names and defaults).
SIGNALS: Mapping[str, Signal] = {
    "endpoint_latency_ms": Signal(
        target="endpoint",
        description="P95 request latency of the online endpoint above the threshold (milliseconds)",
        default=1000,
        severity=2,
        metric="RequestLatency_P95",
        namespace=ENDPOINTS,
        source=_METRICS_DOC + "microsoft-machinelearningservices-workspaces-onlineendpoints-metrics "
        "(RequestLatency_P95: Milliseconds, Average, dimension deployment)",
    ),
    "endpoint_server_errors_per_minute": Signal(
        target="endpoint",
        description="requests answered with a 5xx status per minute above the threshold",
        default=1,
        severity=1,
        metric="RequestsPerMinute",
        namespace=ENDPOINTS,
        dimensions=(("statusCodeClass", ("5xx",)),),
        window="PT5M",
        frequency="PT1M",
        source=_METRICS_DOC + "microsoft-machinelearningservices-workspaces-onlineendpoints-metrics "
        "(RequestsPerMinute: Count, Average, dimensions deployment, statusCode, statusCodeClass, modelStatusCode)",
    ),
    "deployment_cpu_percent": Signal(
        target="deployment",
        description="CPU utilisation of a deployment's instances above the threshold (percent)",
        default=80,
        severity=2,
        metric="CpuUtilizationPercentage",
        namespace=DEPLOYMENTS,
        source=_METRICS_DOC + "microsoft-machinelearningservices-workspaces-onlineendpoints-deployments-metrics "
        "(CpuUtilizationPercentage: Percent, Minimum/Maximum/Average, dimension instanceId)",
    ),
    "deployment_memory_percent": Signal(
        target="deployment",
        description="memory utilisation of a deployment's instances above the threshold (percent)",
        default=85,
        severity=2,
        metric="CpuMemoryUtilizationPercentage",
        namespace=DEPLOYMENTS,
        source=_METRICS_DOC + "microsoft-machinelearningservices-workspaces-onlineendpoints-deployments-metrics "
        "(CpuMemoryUtilizationPercentage: Percent, Minimum/Maximum/Average, dimension instanceId)",
    ),
    "deployment_disk_percent": Signal(
        target="deployment",
        description="disk utilisation of a deployment's instances above the threshold (percent)",
        default=85,
        severity=2,
        metric="DiskUtilization",
        namespace=DEPLOYMENTS,
        source=_METRICS_DOC + "microsoft-machinelearningservices-workspaces-onlineendpoints-deployments-metrics "
        "(DiskUtilization: Percent, Minimum/Maximum/Average, dimensions instanceId, disk)",
    ),
    "aks_not_ready_nodes": Signal(
        target="cluster",
        description="readings of AKS nodes not ready or unknown (one per node and minute) within 5 minutes, above "
        "the threshold",
        default=0,
        severity=1,
        metric="kube_node_status_condition",
        namespace=CLUSTERS,
        aggregation="Total",
        dimensions=(("status2", ("notready", "unknown")),),
        window="PT5M",
        frequency="PT1M",
        source=_METRICS_DOC + "microsoft-containerservice-managedclusters-metrics (kube_node_status_condition: "
        "Count, dimensions condition, status, status2, node); MicrosoftDocs/azure-aks-docs "
        "best-practices-monitoring-proactive.md ('Node is in NotReady state', AKS platform metric); dimension "
        "status2 in notready/unknown, Total, as Azure/azure-monitor-baseline-alerts kubenodestatuscondition",
    ),
    "aks_container_restarts": Signal(
        target="cluster",
        description="a container of the AKS cluster restarted more often than the threshold within the window",
        default=3,
        severity=2,
        query=(
            "KubePodInventory"
            " | summarize Restarts = max(ContainerRestartCount) - min(ContainerRestartCount)"
            " by Namespace, Name, ContainerName"
            " | where Restarts > {threshold}"
        ),
        window="PT30M",
        frequency="PT15M",
        source="learn.microsoft.com/azure/azure-monitor/reference/tables/kubepodinventory (ContainerRestartCount "
        "int, Namespace, Name, ContainerName; Container Insights); Managed Prometheus, which the AKS docs name "
        "for KubePodContainerRestart, is not enabled on the cluster",
    ),
    "aks_extension_unhealthy_pods": Signal(
        target="cluster",
        description="pods of the Azure ML extension (namespace azureml) not running, above the threshold",
        default=0,
        severity=1,
        query=(
            "KubePodInventory"
            f" | where Namespace == '{EXTENSION_NAMESPACE}'"
            " | summarize arg_max(TimeGenerated, PodStatus) by Name"
            " | where PodStatus !in ('Running', 'Succeeded')"
            " | summarize Unhealthy = count()"
            " | where Unhealthy > {threshold}"
        ),
        window="PT15M",
        source="learn.microsoft.com/azure/azure-monitor/reference/tables/kubepodinventory (PodStatus: "
        "pod.status.phase, Namespace, Name); the extension's components run in namespace azureml "
        "(Azure/AML-Kubernetes docs)",
    ),
    "failed_jobs": Signal(
        target="workspace",
        description="training jobs of the workspace that failed or were cancelled, above the threshold",
        default=0,
        severity=3,
        query=(
            "AmlRunStatusChangedEvent"
            " | where Status in~ ('Failed', 'Canceled', 'Cancelled')"
            " | summarize Runs = dcount(RunId)"
            " | where Runs > {threshold}"
        ),
        window="PT1H",
        frequency="PT15M",
        source="learn.microsoft.com/azure/azure-monitor/reference/tables/amlrunstatuschangedevent (Status: the "
        "updated run status, RunId; resource type microsoft.machinelearningservices/workspaces)",
    ),
    "quota_percent": Signal(
        target="workspace",
        description="compute quota used above the threshold (percent)",
        default=80,
        severity=2,
        metric="Quota Utilization Percentage",
        namespace=WORKSPACES,
        aggregation="Maximum",
        window="PT1H",
        frequency="PT15M",
        source=_METRICS_DOC + "microsoft-machinelearningservices-workspaces-metrics (Quota Utilization "
        "Percentage: Count, Average/Maximum/Minimum/Total, dimensions Scenario, ClusterName, VmFamilyName, "
        "VmPriority); the same metric name as Azure/azure-monitor-baseline-alerts QuotaUtilizationPercentage",
    ),
}

ReceiverName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
HttpsUri = Annotated[str, Field(pattern=r"^https://[^\s/]+(/\S*)?$")]
Percent = Annotated[float, Field(ge=1, le=100)]
#: A vault's label in ``key_vault_ids``: it ends the topic and subscription names (``key-expiry-<label>``).
_VAULT_LABEL = re.compile(r"^([a-z0-9][a-z0-9-]{0,19})?$")


@args
class EmailReceiver(TypedDict):
    """An e-mail address that receives every alert of the estate."""

    name: ReceiverName
    """Receiver name, unique in the action group: 1-64 letters, digits, '_' and '-'. Required."""
    address: Email
    """The e-mail address. Required."""


@args
class WebhookReceiver(TypedDict):
    """An https endpoint that receives every alert of the estate (common alert schema)."""

    name: ReceiverName
    """Receiver name, unique in the action group: 1-64 letters, digits, '_' and '-'. Required."""
    uri: HttpsUri
    """The webhook's https address (http is refused: alert payloads name the estate's resources). Required."""


@args
class AlertThresholds(TypedDict):
    """When each alert fires; each default is documented in :data:`SIGNALS` (control AML-MON-006)."""

    endpoint_latency_ms: NotRequired[
        Annotated[float, Field(default=SIGNALS["endpoint_latency_ms"].default, ge=1, le=300000)]
    ]
    """P95 request latency of the online endpoint, in milliseconds, 1 to 300000. Default: 1000."""
    endpoint_server_errors_per_minute: NotRequired[
        Annotated[float, Field(default=SIGNALS["endpoint_server_errors_per_minute"].default, ge=0, le=100000)]
    ]
    """5xx answers per minute (average over 5 minutes), 0 to 100000. Default: 1."""
    deployment_cpu_percent: NotRequired[Annotated[Percent, Field(default=SIGNALS["deployment_cpu_percent"].default)]]
    """CPU utilisation of an online deployment, 1 to 100. Default: 80."""
    deployment_memory_percent: NotRequired[
        Annotated[Percent, Field(default=SIGNALS["deployment_memory_percent"].default)]
    ]
    """Memory utilisation of an online deployment, 1 to 100. Default: 85."""
    deployment_disk_percent: NotRequired[Annotated[Percent, Field(default=SIGNALS["deployment_disk_percent"].default)]]
    """Disk utilisation of an online deployment, 1 to 100. Default: 85."""
    aks_not_ready_nodes: NotRequired[
        Annotated[int, Field(default=SIGNALS["aks_not_ready_nodes"].default, ge=0, le=1000)]
    ]
    """Readings of AKS nodes not ready or unknown (one per node and minute) tolerated within 5 minutes, 0 to 1000.
    Default: 0 (the first reading fires)."""
    aks_container_restarts: NotRequired[
        Annotated[int, Field(default=SIGNALS["aks_container_restarts"].default, ge=0, le=1000)]
    ]
    """Restarts of one container within 30 minutes, 0 to 1000. Default: 3."""
    aks_extension_unhealthy_pods: NotRequired[
        Annotated[int, Field(default=SIGNALS["aks_extension_unhealthy_pods"].default, ge=0, le=100)]
    ]
    """Pods of the Azure ML extension that may be not running, 0 to 100. Default: 0."""
    failed_jobs: NotRequired[Annotated[int, Field(default=SIGNALS["failed_jobs"].default, ge=0, le=10000)]]
    """Failed or cancelled jobs within an hour, 0 to 10000. Default: 0."""
    quota_percent: NotRequired[Annotated[Percent, Field(default=SIGNALS["quota_percent"].default)]]
    """Compute quota used, 1 to 100. Default: 80."""


@args
class AlertSettings(TypedDict):
    """Who is told, and when: a stack's ``alerts`` section (control AML-MON-006)."""

    email_receivers: NotRequired[Annotated[list[EmailReceiver], Field(default_factory=list)]]
    """E-mail receivers. Default: none; with the webhooks, at least one receiver in all."""
    webhook_receivers: NotRequired[Annotated[list[WebhookReceiver], Field(default_factory=list)]]
    """https webhook receivers. Default: none."""
    thresholds: NotRequired[Annotated[AlertThresholds, Field(default_factory=dict, validate_default=True)]]
    """When each alert fires. Default: the documented defaults of each signal."""


@rule(AlertSettings)
def _receivers(s: Any, _scope: Mapping[str, Any]) -> Iterator[Problem]:
    if not s["email_receivers"] and not s["webhook_receivers"]:
        yield ("email_receivers",), [], "at least one e-mail or webhook receiver (an action group tells someone)"
    seen: set[str] = set()
    for kind in ("email_receivers", "webhook_receivers"):
        for i, r in enumerate(s[kind]):
            if r["name"].lower() in seen:
                yield (kind, i, "name"), r["name"], "a receiver name not used by another receiver of the group"
            seen.add(r["name"].lower())


@args
class AlertsArgs(AlertSettings):
    """Inputs of :class:`Alerts`: the user's settings and the resources to watch."""

    resource_group_name: Annotated[Input[str], Wired()]
    """The resource group of the action group and the rules. Required."""
    location: str
    """The region of the log-search rules (metric rules and the action group are global). Required."""
    name_stem: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    """What every name is built from: ``ag-<stem>``, ``alert-<stem>-<signal>``. Required (from ``Namer``)."""
    short_name: Annotated[str, Field(min_length=1, max_length=12)]
    """The action group's short name (shown in SMS and e-mail subjects), 1-12 characters. Required."""
    workspace_id: Annotated[Input[str], Wired()]
    """The workspace: failed jobs and quota. Required."""
    online_endpoint_id: NotRequired[Annotated[Input[str], Wired()] | None]
    """The online endpoint to watch. Default: none."""
    deployment_ids: NotRequired[Annotated[dict[str, Annotated[Input[str], Wired()]], Field(default_factory=dict)]]
    """The online deployments to watch, by deployment name. Default: none."""
    aks_cluster_id: NotRequired[Annotated[Input[str], Wired()] | None]
    """The AKS inference cluster to watch. Default: none."""
    key_vault_ids: NotRequired[Annotated[dict[str, Annotated[Input[str], Wired()]], Field(default_factory=dict)]]
    """The Key Vaults (in ``location``) whose keys' near-expiry and expiry alert the group, by a label of at most
    20 lowercase letters, digits and '-' (or "") that names the topic and subscription. Default: none."""
    tags: NotRequired[Annotated[dict[str, str], Field(default_factory=dict)]]
    """Tags on every resource. Default: none."""


@rule(AlertsArgs)
def _vault_labels(a: Any, _scope: Mapping[str, Any]) -> Iterator[Problem]:
    for label in a["key_vault_ids"]:
        if not _VAULT_LABEL.match(label):
            yield ("key_vault_ids", label), label, "a label of at most 20 lowercase letters, digits and '-', or \"\""


class Alerts(pulumi.ComponentResource):
    """An action group and one alert rule per signal of :data:`SIGNALS` that the estate has a resource for."""

    action_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: AlertsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a: Any = checked(AlertsArgs, args, name)
        super().__init__("hardened-aml:index:Alerts", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self._a, self._name = a, name
        tags = dict(a["tags"])
        self.action_group = monitor.ActionGroup(
            f"{name}-ag",
            action_group_name=f"ag-{a['name_stem']}",
            resource_group_name=a["resource_group_name"],
            location="Global",
            group_short_name=a["short_name"],
            enabled=True,
            email_receivers=[
                monitor.MicrosoftCommonEmailReceiverArgs(
                    name=r["name"], email_address=r["address"], use_common_alert_schema=True
                )
                for r in a["email_receivers"]
            ],
            webhook_receivers=[
                monitor.WebhookReceiverArgs(name=r["name"], service_uri=r["uri"], use_common_alert_schema=True)
                for r in a["webhook_receivers"]
            ],
            tags=tags,
            opts=child,
        )
        self.action_group_id = self.action_group.id
        targets: dict[str, dict[str, Any]] = {"workspace": {"": a["workspace_id"]}}
        if a.get("online_endpoint_id") is not None:
            targets["endpoint"] = {"": a["online_endpoint_id"]}
        targets["deployment"] = dict(a["deployment_ids"])
        if a.get("aks_cluster_id") is not None:
            targets["cluster"] = {"": a["aks_cluster_id"]}
        self.rules: dict[str, pulumi.CustomResource] = {}
        for key, signal in SIGNALS.items():
            for label, scope in targets.get(signal.target, {}).items():
                rule_key = "-".join(p for p in (key.replace("_", "-"), label) if p)
                self.rules[rule_key] = self._rule(rule_key, signal, a["thresholds"][key], scope, tags)
        self.key_expiry: dict[str, eventgrid.SystemTopicEventSubscription] = {}
        for label, vault_id in a["key_vault_ids"].items():
            key = "-".join(p for p in ("key-expiry", label) if p)
            self.key_expiry[key] = self._key_expiry(key, vault_id, tags)
        self.register_outputs({"action_group_id": self.action_group_id})

    def _key_expiry(self, key: str, vault_id: Any, tags: dict[str, str]) -> eventgrid.SystemTopicEventSubscription:
        """A vault's key-expiry events, as Azure Monitor alerts to the action group."""
        a, name = self._a, self._name
        opts = pulumi.ResourceOptions(parent=self)
        topic = eventgrid.SystemTopic(
            f"{name}-{key}-topic",
            system_topic_name=f"egst-{a['name_stem']}-{key}",
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            source=vault_id,
            topic_type=KEY_VAULT_TOPIC_TYPE,
            tags=tags,
            opts=opts,
        )
        return eventgrid.SystemTopicEventSubscription(
            f"{name}-{key}",
            event_subscription_name=key,
            system_topic_name=topic.name,
            resource_group_name=a["resource_group_name"],
            event_delivery_schema=MONITOR_ALERT_SCHEMA,
            filter=eventgrid.EventSubscriptionFilterArgs(included_event_types=list(KEY_EXPIRY_EVENTS)),
            destination=eventgrid.MonitorAlertEventSubscriptionDestinationArgs(
                endpoint_type=MONITOR_ALERT_ENDPOINT,
                severity="Sev1",
                action_groups=[self.action_group.id],
                description="A customer-managed key is 30 days from its expiry, or has expired: the rotation its "
                "rotation policy schedules earlier did not happen (AML-ENC-003). Rotate the key; check its policy.",
            ),
            opts=opts,
        )

    def _rule(self, key: str, s: Signal, threshold: float, scope: Any, tags: dict[str, str]) -> pulumi.CustomResource:
        a, name = self._a, self._name
        rule_name = f"alert-{a['name_stem']}-{key}"
        common: dict[str, Any] = {
            "rule_name": rule_name,
            "resource_group_name": a["resource_group_name"],
            "description": s.description[:1].upper() + s.description[1:] + f" ({threshold:g}). Source: {s.source}",
            "severity": s.severity,
            "enabled": True,
            "scopes": [scope],
            "evaluation_frequency": s.frequency,
            "window_size": s.window,
            "auto_mitigate": True,
            "tags": tags,
        }
        opts = pulumi.ResourceOptions(parent=self)
        if s.metric:
            return monitor.MetricAlert(
                f"{name}-{key}",
                location="global",
                criteria=monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
                    odata_type="Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                    all_of=[
                        monitor.MetricCriteriaArgs(
                            criterion_type="StaticThresholdCriterion",
                            name=key,
                            metric_name=s.metric,
                            metric_namespace=s.namespace,
                            operator="GreaterThan",
                            threshold=threshold,
                            time_aggregation=s.aggregation,
                            dimensions=[
                                monitor.MetricDimensionArgs(name=d, operator="Include", values=list(values))
                                for d, values in s.dimensions
                            ],
                        )
                    ],
                ),
                actions=[monitor.MetricAlertActionArgs(action_group_id=self.action_group.id)],
                **common,
                opts=opts,
            )
        return monitor.ScheduledQueryRule(
            f"{name}-{key}",
            kind="LogAlert",
            location=a["location"],
            criteria=monitor.ScheduledQueryRuleCriteriaArgs(
                all_of=[
                    monitor.ConditionArgs(
                        query=s.query.replace("{threshold}", f"{threshold:g}"),
                        time_aggregation="Count",
                        operator="GreaterThan",
                        threshold=0,
                        failing_periods=monitor.ConditionFailingPeriodsArgs(
                            number_of_evaluation_periods=1, min_failing_periods_to_alert=1
                        ),
                    )
                ],
            ),
            actions=monitor.ActionsArgs(action_groups=[self.action_group.id]),
            **common,
            opts=opts,
        )
