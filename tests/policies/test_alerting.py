"""The alerting rule (``aml_policies.alerting``, AML-MON-006): a production workspace alerts someone about its
endpoints, attached AKS clusters and jobs. Rules are related to resources by dependency or ARM id."""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from aml_policies import alerting
from aml_policies.core import Stack, failing_closed
from tests.policies.harness import DELETE, changed, run_stack, stack_resource, violations

RULE = alerting.RULES[1]
RG = "/subscriptions/0/resourceGroups/rg/providers"
WS_ID = f"{RG}/Microsoft.MachineLearningServices/workspaces/ws"
OE_ID = f"{WS_ID}/onlineEndpoints/oe"
AKS_ID = f"{RG}/Microsoft.ContainerService/managedClusters/aks"
SHARED_GROUP = "/subscriptions/9/resourceGroups/ops/providers/Microsoft.Insights/actionGroups/ag-shared"

WORKSPACE = "azure-native:machinelearningservices:Workspace"
ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
COMPUTE = "azure-native:machinelearningservices:Compute"
CLUSTER = "azure-native:containerservice:ManagedCluster"
GROUP = "azure-native:monitor:ActionGroup"
METRIC = "azure-native:monitor:MetricAlert"
LOG = "azure-native:monitor:ScheduledQueryRule"
EMAIL = [{"name": "ops", "emailAddress": "ops@example.com", "useCommonAlertSchema": True}]


def _workspace(environment: str = "production") -> PolicyResource:
    return stack_resource(WORKSPACE, "ws", {"workspaceName": "ws", "tags": {"environment": environment}}, arm_id=WS_ID)


def _group(**props: Any) -> PolicyResource:
    return stack_resource(GROUP, "ag", {"groupShortName": "ag", "emailReceivers": EMAIL, **props})


def _metric_alert(name: str, target: PolicyResource | str, group: PolicyResource | str, **props: Any) -> PolicyResource:
    deps: dict[str, list[PolicyResource]] = {}
    scope = target if isinstance(target, str) else UNKNOWN_STRING_VALUE
    action = group if isinstance(group, str) else UNKNOWN_STRING_VALUE
    if not isinstance(target, str):
        deps["scopes"] = [target]
    if not isinstance(group, str):
        deps["actions"] = [group]
    return stack_resource(
        METRIC, name, {"scopes": [scope], "actions": [{"actionGroupId": action}], "enabled": True, **props}, deps
    )


def _log_alert(name: str, target: PolicyResource | str, group: PolicyResource, query: str) -> PolicyResource:
    deps: dict[str, list[PolicyResource]] = {"actions": [group]}
    scope = target if isinstance(target, str) else UNKNOWN_STRING_VALUE
    if not isinstance(target, str):
        deps["scopes"] = [target]
    props = {
        "kind": "LogAlert",
        "scopes": [scope],
        "criteria": {"allOf": [{"query": query, "timeAggregation": "Count"}]},
        "actions": {"actionGroups": [UNKNOWN_STRING_VALUE]},
    }
    return stack_resource(LOG, name, props, deps)


def _estate(**replace: PolicyResource | None) -> dict[str, PolicyResource | None]:
    """A compliant production estate: workspace, endpoint, attached AKS, action group and three rules."""
    ws = _workspace()
    group = _group()
    endpoint = stack_resource(ENDPOINT, "oe", {"endpointName": "oe"}, {"workspaceName": [ws]}, arm_id=OE_ID)
    cluster = stack_resource(CLUSTER, "aks", {"resourceName": "aks"}, arm_id=AKS_ID)
    compute = stack_resource(
        COMPUTE,
        "aks-compute",
        {"properties": {"computeType": "Kubernetes", "resourceId": AKS_ID}},
        {"workspaceName": [ws]},
    )
    parts: dict[str, PolicyResource | None] = {
        "ws": ws,
        "group": group,
        "endpoint": endpoint,
        "cluster": cluster,
        "compute": compute,
        "on-endpoint": _metric_alert("latency", endpoint, group),
        "on-cluster": _metric_alert("nodes", AKS_ID, group),
        "on-jobs": _log_alert("jobs", ws, group, "AmlRunStatusChangedEvent | where Status == 'Failed'"),
    }
    parts.update(replace)
    return parts


def _run(parts: dict[str, PolicyResource | None]) -> list[str]:
    return [message for message, _ in run_stack(RULE, *(p for p in parts.values() if p is not None))]


def test_a_compliant_production_estate_passes():
    assert _run(_estate()) == []


def test_an_exploration_workspace_needs_nothing():
    assert _run({"ws": _workspace("exploration")}) == []
    assert _run({"ws": _workspace("Production")}) != []  # the tag's value is read ignoring case


def test_no_action_group():
    found = _run(_estate(group=None))
    assert found[0] == (
        "production workspace 'ws' has no action group that is enabled and has a receiver: its alerts would reach "
        "nobody"
    )
    # The rules name a group that is not in the stack any more: none of them notifies.
    assert len(found) == 4


def test_a_disabled_group_or_one_without_receivers_counts_as_none():
    for group in (
        _group(enabled="False"),
        stack_resource(GROUP, "ag", {"groupShortName": "ag", "enabledReceivers": []}),
    ):
        parts = _estate(group=group)
        parts.update(
            {
                "on-endpoint": _metric_alert("latency", parts["endpoint"], group),  # type: ignore[arg-type]
                "on-cluster": _metric_alert("nodes", AKS_ID, group),
                "on-jobs": _log_alert("jobs", _workspace(), group, "AmlRunStatusChangedEvent"),
            }
        )
        assert any("no action group" in m for m in _run(parts))


def test_an_enabled_value_of_the_wrong_shape_is_unreadable():
    for wrong, shown in (({"value": True}, "an object"), ("maybe", "the string 'maybe'")):
        parts = _estate(group=_group(enabled=wrong))
        found = list(failing_closed(RULE.check(Stack([p for p in parts.values() if p]), {})))
        assert found == [f"ag.enabled is unreadable: expected a boolean, got {shown}"]


def test_each_endpoint_needs_a_rule_scoped_to_it():
    parts = _estate()
    parts["on-endpoint"] = None
    assert _run(parts) == [
        "online endpoint 'oe' of production workspace 'ws' has no enabled alert rule scoped to it that notifies an "
        "action group (latency, 5xx)"
    ]
    # A rule on another resource does not count, nor a disabled one.
    group = parts["group"]
    assert group is not None
    parts["on-endpoint"] = _metric_alert("other", f"{RG}/Microsoft.Storage/storageAccounts/st", group)
    assert len(_run(parts)) == 1
    parts["on-endpoint"] = _metric_alert("latency", OE_ID, group, enabled="false")
    assert len(_run(parts)) == 1
    parts["on-endpoint"] = _metric_alert("latency", OE_ID, group)  # by ARM id
    assert _run(parts) == []


def test_a_shared_action_group_outside_the_stack_counts():
    parts = _estate()
    parts["on-endpoint"] = _metric_alert("latency", OE_ID, SHARED_GROUP)
    assert _run(parts) == []
    parts["on-endpoint"] = _metric_alert("latency", OE_ID, f"{RG}/Microsoft.Storage/storageAccounts/st")
    assert len(_run(parts)) == 1


def test_each_attached_cluster_needs_a_rule():
    parts = _estate(**{"on-cluster": None})
    assert _run(parts) == [
        "AKS cluster 'aks' attached to production workspace 'ws' has no enabled alert rule scoped to it that notifies "
        "an action group (node readiness, pod restarts)"
    ]
    # A cluster no compute of the workspace attaches is not the workspace's to alert on.
    parts["compute"] = None
    assert _run(parts) == []


def test_jobs_need_a_log_alert_scoped_to_the_workspace_or_reading_job_tables():
    parts = _estate(**{"on-jobs": None})
    assert _run(parts) == [
        "production workspace 'ws' has no enabled log-search alert on its jobs (scoped to it, or reading "
        "AmlRunStatusChangedEvent / AmlComputeJobEvent) that notifies an action group"
    ]
    group = parts["group"]
    assert group is not None
    law = f"{RG}/Microsoft.OperationalInsights/workspaces/log"
    parts["on-jobs"] = _log_alert("jobs", law, group, "AmlComputeJobEvent | where EventType == 'JobFailed'")
    assert _run(parts) == []
    parts["on-jobs"] = _log_alert("jobs", law, group, "Heartbeat | take 1")
    assert len(_run(parts)) == 1
    # A metric alert on the workspace (quota) is not a job alert.
    parts["on-jobs"] = _metric_alert("quota", WS_ID, group)
    assert len(_run(parts)) == 1


# --- AML-MON-007: receivers over https, in the common alert schema ---------------------------------------
RECEIVERS = alerting.RULES[0]
HOOK = {"name": "hook", "serviceUri": "https://hooks.example.com/alerts", "useCommonAlertSchema": True}
GROUP_PROPS: dict[str, Any] = {"groupShortName": "ag", "emailReceivers": EMAIL, "webhookReceivers": [HOOK]}


def test_https_webhooks_in_the_common_schema_pass():
    assert violations(RECEIVERS, GROUP, GROUP_PROPS) == []
    assert violations(RECEIVERS, "azure-native:monitor/v20230101:ActionGroup", GROUP_PROPS) == []


def test_a_webhook_over_http_is_flagged():
    for uri in ("http://hooks.example.com/alerts", "ftp://x", "hooks.example.com"):
        found = violations(RECEIVERS, GROUP, changed(GROUP_PROPS, "webhookReceivers.0.serviceUri", uri))
        assert found == [
            f"[AML-MON-007] webhookReceivers.0.serviceUri is {uri!r}: alerts, which name the estate's resources, "
            "are sent only to https:// addresses"
        ]
    assert (
        violations(RECEIVERS, GROUP, changed(GROUP_PROPS, "webhookReceivers.0.serviceUri", "HTTPS://H.example.com"))
        == []
    )


def test_the_common_schema_is_required_and_read_as_azure_reads_it():
    assert violations(RECEIVERS, GROUP, changed(GROUP_PROPS, "emailReceivers.0.useCommonAlertSchema", "True")) == []
    assert violations(RECEIVERS, GROUP, changed(GROUP_PROPS, "emailReceivers.0.useCommonAlertSchema", DELETE)) == [
        "[AML-MON-007] emailReceivers.0.useCommonAlertSchema is not set: set it to true (one payload shape for every "
        "alert; Azure's default is false)"
    ]
    found = violations(RECEIVERS, GROUP, changed(GROUP_PROPS, "webhookReceivers.0.useCommonAlertSchema", "false"))
    assert found and found[0].startswith("[AML-MON-007] webhookReceivers.0.useCommonAlertSchema is 'false'")
    logic_app = [{"name": "la", "resourceId": "x", "callbackUrl": "https://la.example.com"}]
    assert len(violations(RECEIVERS, GROUP, {**GROUP_PROPS, "logicAppReceivers": logic_app})) == 1


def test_wrong_shapes_are_unreadable():
    assert violations(RECEIVERS, GROUP, changed(GROUP_PROPS, "webhookReceivers.0.serviceUri", 7)) == [
        "[AML-MON-007] webhookReceivers.0.serviceUri is unreadable: expected an address, got the number 7"
    ]
    assert violations(RECEIVERS, GROUP, changed(GROUP_PROPS, "emailReceivers.0.useCommonAlertSchema", [True])) == [
        "[AML-MON-007] emailReceivers.0.useCommonAlertSchema is unreadable: expected a boolean, got a list"
    ]
    assert violations(RECEIVERS, GROUP, {**GROUP_PROPS, "webhookReceivers": "https://x"}) == [
        "[AML-MON-007] webhookReceivers is unreadable: expected a list, got the string 'https://x'"
    ]
