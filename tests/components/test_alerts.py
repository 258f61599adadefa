"""The alerts component: one action group and a rule per signal the estate has a resource for (AML-MON-006)."""

from __future__ import annotations

from typing import Any

from component_plan import RG_ID, TAGS, refused

from aml_catalogue.facts import KEY_EXPIRY_EVENTS
from hardened_aml.alerts import SIGNALS, Alerts, AlertsArgs, AlertSettings
from hardened_aml.budget import Budget, BudgetArgs
from hardened_aml.inputs import checked

WS_ID = RG_ID + "/providers/Microsoft.MachineLearningServices/workspaces/mlw-test"
OE_ID = WS_ID + "/onlineEndpoints/oe-test"
AKS_ID = RG_ID + "/providers/Microsoft.ContainerService/managedClusters/aks-test"
AG = "azure-native:monitor:ActionGroup"
METRIC = "azure-native:monitor:MetricAlert"
LOG = "azure-native:monitor:ScheduledQueryRule"
TOPIC = "azure-native:eventgrid:SystemTopic"
SUBSCRIPTION = "azure-native:eventgrid:SystemTopicEventSubscription"
KV_ID = RG_ID + "/providers/Microsoft.KeyVault/vaults/kv-test"


def _args(**overrides: Any) -> AlertsArgs:
    values: dict[str, Any] = dict(
        resource_group_name="rg-test",
        location="westeurope",
        name_stem="haml-test-1a2b",
        short_name="haml1a2b",
        workspace_id=WS_ID,
        email_receivers=[{"name": "ml-platform", "address": "ml-platform@example.com"}],
        webhook_receivers=[{"name": "on-call", "uri": "https://oncall.example.com/hook"}],
        tags=TAGS,
    )
    values.update(overrides)
    return AlertsArgs(**values)


def _full() -> AlertsArgs:
    return _args(
        online_endpoint_id=OE_ID,
        deployment_ids={"blue": OE_ID + "/deployments/blue", "green": OE_ID + "/deployments/green"},
        aks_cluster_id=AKS_ID,
    )


def _metric(rule: Any) -> dict[str, Any]:
    (criterion,) = rule.inputs["criteria"]["allOf"]
    return dict(criterion)


def test_action_group_with_common_schema_receivers(plan):
    group = plan(lambda: Alerts("al", _args())).one(AG)
    i = group.inputs
    assert (i["actionGroupName"], i["groupShortName"], i["location"], i["enabled"]) == (
        "ag-haml-test-1a2b",
        "haml1a2b",
        "Global",
        True,
    )
    assert i["emailReceivers"] == [
        {"name": "ml-platform", "emailAddress": "ml-platform@example.com", "useCommonAlertSchema": True}
    ]
    (hook,) = i["webhookReceivers"]
    assert (hook["name"], hook["serviceUri"], hook["useCommonAlertSchema"]) == (
        "on-call",
        "https://oncall.example.com/hook",
        True,
    )


def test_a_workspace_alone_gets_its_job_and_quota_rules_only(plan):
    p = plan(lambda: Alerts("al", _args()))
    (quota,) = p.of_type(METRIC)
    assert quota.inputs["ruleName"] == "alert-haml-test-1a2b-quota-percent"
    assert quota.inputs["scopes"] == [WS_ID]
    c = _metric(quota)
    assert (c["metricName"], c["metricNamespace"], c["timeAggregation"], c["threshold"]) == (
        "Quota Utilization Percentage",
        "Microsoft.MachineLearningServices/workspaces",
        "Maximum",
        80,
    )
    (jobs,) = p.of_type(LOG)
    assert (jobs.inputs["kind"], jobs.inputs["scopes"], jobs.inputs["location"]) == ("LogAlert", [WS_ID], "westeurope")
    (condition,) = jobs.inputs["criteria"]["allOf"]
    assert condition["query"].startswith("AmlRunStatusChangedEvent")
    assert "'Failed', 'Canceled'" in condition["query"] and condition["query"].endswith("where Runs > 0")
    assert (condition["timeAggregation"], condition["operator"], condition["threshold"]) == ("Count", "GreaterThan", 0)


def test_every_signal_gets_a_rule_scoped_to_its_resource_and_notifying_the_group(plan):
    p = plan(lambda: Alerts("al", _full()))
    rules = p.of_type(METRIC) + p.of_type(LOG)
    # Two signals on the endpoint, three per deployment (two deployments), three on the cluster, two on the workspace.
    assert len(rules) == 2 + 3 * 2 + 3 + 2
    by_name = {r.inputs["ruleName"].removeprefix("alert-haml-test-1a2b-"): r for r in rules}
    assert by_name["endpoint-latency-ms"].inputs["scopes"] == [OE_ID]
    assert by_name["deployment-memory-percent-green"].inputs["scopes"] == [OE_ID + "/deployments/green"]
    assert by_name["aks-container-restarts"].inputs["scopes"] == [AKS_ID]
    errors = _metric(by_name["endpoint-server-errors-per-minute"])
    assert (errors["metricName"], errors["dimensions"]) == (
        "RequestsPerMinute",
        [{"name": "statusCodeClass", "operator": "Include", "values": ["5xx"]}],
    )
    nodes = _metric(by_name["aks-not-ready-nodes"])
    assert nodes["metricNamespace"] == "Microsoft.ContainerService/managedClusters"
    assert nodes["dimensions"] == [{"name": "status2", "operator": "Include", "values": ["notready", "unknown"]}]
    assert (nodes["timeAggregation"], nodes["operator"], nodes["threshold"]) == ("Total", "GreaterThan", 0)
    for rule in p.of_type(METRIC):
        assert rule.inputs["location"] == "global" and rule.inputs["enabled"] is True
        assert set(rule.inputs["actions"][0]) == {"actionGroupId"}
        assert rule.property_dependencies["actions"] == [p.one(AG).urn]
    for rule in p.of_type(LOG):
        assert rule.property_dependencies["actions"] == [p.one(AG).urn]


def test_each_vault_alerts_the_group_when_a_key_nears_expiry(plan):
    assert not plan(lambda: Alerts("al", _args())).of_type(TOPIC)
    p = plan(lambda: Alerts("al", _args(key_vault_ids={"": KV_ID, "kms": KV_ID + "-kms"})))
    topics = {t.inputs["systemTopicName"]: t for t in p.of_type(TOPIC)}
    assert set(topics) == {"egst-haml-test-1a2b-key-expiry", "egst-haml-test-1a2b-key-expiry-kms"}
    topic = topics["egst-haml-test-1a2b-key-expiry-kms"]
    assert (topic.inputs["source"], topic.inputs["topicType"], topic.inputs["location"]) == (
        KV_ID + "-kms",
        "Microsoft.KeyVault.vaults",
        "westeurope",
    )
    subscriptions = {s.inputs["eventSubscriptionName"]: s for s in p.of_type(SUBSCRIPTION)}
    assert set(subscriptions) == {"key-expiry", "key-expiry-kms"}
    sub = subscriptions["key-expiry-kms"]
    assert sub.property_dependencies["systemTopicName"] == [topic.urn]
    assert sub.inputs["eventDeliverySchema"] == "CloudEventSchemaV1_0"
    assert sub.inputs["filter"]["includedEventTypes"] == list(KEY_EXPIRY_EVENTS)
    destination = sub.inputs["destination"]
    assert (destination["endpointType"], destination["severity"]) == ("MonitorAlert", "Sev1")
    assert sub.property_dependencies["destination"] == [p.one(AG).urn]
    assert "expirationTimeUtc" not in sub.inputs
    err = refused(lambda: Alerts("al", _args(key_vault_ids={"KMS vault": KV_ID})))
    assert (err.key, err.value) == ("al.key_vault_ids.KMS vault", "KMS vault")


def test_thresholds_are_settable_within_their_ranges(plan):
    p = plan(lambda: Alerts("al", _args(online_endpoint_id=OE_ID, thresholds={"endpoint_latency_ms": 250})))
    latency = next(r for r in p.of_type(METRIC) if r.inputs["ruleName"].endswith("endpoint-latency-ms"))
    assert _metric(latency)["threshold"] == 250
    err = refused(lambda: Alerts("al", _args(thresholds={"quota_percent": 120})))
    assert (err.key, err.value, err.allowed) == ("al.thresholds.quota_percent", 120, "a number from 1 to 100")


def test_defaults_are_those_of_the_signal_table():
    settings: Any = checked(AlertSettings, {"emailReceivers": [{"name": "a", "address": "a@example.com"}]}, "x")
    assert settings["thresholds"] == {key: signal.default for key, signal in SIGNALS.items()}


def test_receivers_are_checked():
    err = refused(lambda: Alerts("al", _args(email_receivers=[], webhook_receivers=[])))
    assert (err.key, err.allowed) == (
        "al.email_receivers",
        "at least one e-mail or webhook receiver (an action group tells someone)",
    )
    err = refused(lambda: Alerts("al", _args(webhook_receivers=[{"name": "h", "uri": "http://hooks.example.com/x"}])))
    assert (err.key, err.value) == ("al.webhook_receivers.0.uri", "http://hooks.example.com/x")
    assert err.allowed == "an https:// address, e.g. https://pypi.org/simple"
    err = refused(lambda: Alerts("al", _args(email_receivers=[{"name": "x", "address": "nobody"}])))
    assert (err.key, err.value) == ("al.email_receivers.0.address", "nobody")
    twice = [{"name": "ops", "address": "ops@example.com"}]
    err = refused(
        lambda: Alerts(
            "al", _args(email_receivers=twice, webhook_receivers=[{"name": "OPS", "uri": "https://h.example.com"}])
        )
    )
    assert (err.key, err.value) == ("al.webhook_receivers.0.name", "OPS")
    err = refused(lambda: Alerts("al", _args(short_name="much-too-long-name")))
    assert err.key == "al.short_name"


def test_settings_read_as_stack_config():
    given = {
        "emailReceivers": [{"name": "ml-platform", "address": "ml-platform@example.com"}],
        "thresholds": {"endpointLatencyMs": 400, "failedJobs": 2},
    }
    settings: Any = checked(AlertSettings, given, "hardened-aml:alerts", config=True)
    assert settings["thresholds"]["endpoint_latency_ms"] == 400 and settings["thresholds"]["failed_jobs"] == 2
    from hardened_aml.errors import InvalidInputError

    try:
        checked(AlertSettings, {**given, "thresholds": {"failedJob": 1}}, "hardened-aml:alerts", config=True)
    except InvalidInputError as error:
        assert error.key == "hardened-aml:alerts:thresholds.failedJob"
    else:
        raise AssertionError("a misspelt threshold was accepted")


def test_budget_notifies_the_action_group(plan):
    group_id = RG_ID + "/providers/Microsoft.Insights/actionGroups/ag-test"
    args = BudgetArgs(
        scope=RG_ID, budget_name="b", amount=100, contact_emails=["ops@example.com"], action_group_id=group_id
    )
    budget = plan(lambda: Budget("bud", args)).one("azure-native:consumption:Budget")
    notifications = budget.inputs["notifications"]
    assert notifications["actual"]["contactGroups"] == [group_id]
    assert notifications["forecast"]["contactGroups"] == [group_id]
