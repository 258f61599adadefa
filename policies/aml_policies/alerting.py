"""Alerting: a production estate tells someone when its endpoints, AKS cluster or jobs fail, or a key nears its
expiry (AML-MON-006), and action groups send alerts over https in one payload shape (AML-MON-007).

A production workspace (tag ``environment`` = ``production``) needs an action group (``monitor:ActionGroup``)
that is not disabled and has at least one receiver, and an alert rule that notifies an action group for:

- each of its online endpoints (``machinelearningservices:OnlineEndpoint`` whose ``workspaceName`` is the
  workspace): a ``monitor:MetricAlert`` or ``monitor:ScheduledQueryRule`` whose ``scopes`` name the endpoint;
- each AKS cluster attached to it (a ``machinelearningservices:Compute`` of the workspace whose
  ``properties.resourceId`` is a ``containerservice:ManagedCluster``): a rule whose ``scopes`` name the cluster;
- its jobs: a ``monitor:ScheduledQueryRule`` whose ``scopes`` name the workspace, or whose query reads the
  workspace's job tables (``AmlRunStatusChangedEvent``, ``AmlComputeJobEvent``; learn.microsoft.com
  azure-monitor/reference/tables), as a rule scoped to the Log Analytics workspace does.

A production stack also watches its customer-managed keys: every Key Vault that holds a key of the stack
(``keyvault:Key`` whose ``vaultName`` is the vault) needs an Event Grid system topic on it (``eventgrid:SystemTopic``
whose ``source`` names the vault, ``topicType`` ``Microsoft.KeyVault.vaults``) with a subscription
(``eventgrid:SystemTopicEventSubscription`` naming the topic in ``systemTopicName``) that delivers a key's
near-expiry event to an action group: ``destination.endpointType`` ``MonitorAlert`` with ``actionGroups``, in the
``CloudEventSchemaV1_0`` schema that destination requires, filtered to no event types (all of them) or to a list
that includes ``Microsoft.KeyVault.KeyNearExpiry``, and with no ``expirationTimeUtc`` (an expiring subscription
stops alerting). No metric or log of Key Vault carries a key's expiry; these events are the only signal
(:data:`aml_catalogue.facts.KEY_EXPIRY_EVENTS`).

Rules and resources are related by engine dependency or ARM id (``Stack.targets``), never by type alone. A rule
counts when it is not disabled (``enabled`` false) and its ``actions`` name an action group: one of the stack
(by dependency or id), or an ARM id of ``Microsoft.Insights/actionGroups`` outside it (a shared group).
An action group is enabled unless ``enabled`` is false (REST spec ``ActionGroup.enabled``, default true).

Every action group's webhook receivers name an ``https://`` ``serviceUri`` (an alert payload names the estate's
resources), and its receivers that take ``useCommonAlertSchema`` set it to true (Azure's default is false; the
common alert schema gives every alert type one payload shape: learn.microsoft.com "Common alert schema").
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import PolicyResource

from aml_catalogue.facts import (
    KEY_NEAR_EXPIRY_EVENT,
    KEY_VAULT_TOPIC_TYPE,
    MONITOR_ALERT_ENDPOINT,
    MONITOR_ALERT_SCHEMA,
)
from aml_policies.core import (
    MISSING,
    Config,
    Props,
    ResourceRule,
    Stack,
    StackRule,
    Unreadable,
    as_bool,
    described,
    get,
    in_production,
    is_true,
    items,
    same,
    type_key,
)

ACTION_GROUP = "monitor:ActionGroup"
METRIC_ALERT = "monitor:MetricAlert"
LOG_ALERT = "monitor:ScheduledQueryRule"
ALERT_RULES = (METRIC_ALERT, LOG_ALERT)
WORKSPACE = "machinelearningservices:Workspace"
ENDPOINT = "machinelearningservices:OnlineEndpoint"
COMPUTE = "machinelearningservices:Compute"
CLUSTER = "containerservice:ManagedCluster"
VAULT = "keyvault:Vault"
KEY = "keyvault:Key"
SYSTEM_TOPIC = "eventgrid:SystemTopic"
EVENT_SUBSCRIPTION = "eventgrid:SystemTopicEventSubscription"
#: Resource-log tables of a workspace that record job status (Azure Monitor table reference).
JOB_TABLES = ("AmlRunStatusChangedEvent", "AmlComputeJobEvent")
#: Every receiver list of an action group (REST spec ``ActionGroup``, 2024-10-01-preview).
RECEIVER_LISTS = (
    "emailReceivers",
    "smsReceivers",
    "webhookReceivers",
    "itsmReceivers",
    "azureAppPushReceivers",
    "automationRunbookReceivers",
    "voiceReceivers",
    "logicAppReceivers",
    "azureFunctionReceivers",
    "armRoleReceivers",
    "eventHubReceivers",
    "incidentReceivers",
)
_ACTION_GROUP_ID = "/providers/microsoft.insights/actiongroups/"
#: Receivers that take ``useCommonAlertSchema`` (REST spec 2024-10-01-preview; its default is false).
SCHEMA_RECEIVERS = (
    "emailReceivers",
    "webhookReceivers",
    "logicAppReceivers",
    "azureFunctionReceivers",
    "armRoleReceivers",
    "eventHubReceivers",
    "automationRunbookReceivers",
)


def _enabled(resource: PolicyResource) -> bool:
    value = get(resource.props, "enabled")
    if value is MISSING:
        return True
    flag = as_bool(value)
    if flag is None:
        raise Unreadable(f"{resource.name}.enabled", value, "a boolean")
    return flag


def _live_groups(stack: Stack) -> list[PolicyResource]:
    """Action groups that would tell someone: not disabled, with a receiver."""
    return [
        g
        for g in stack.of_type(ACTION_GROUP)
        if _enabled(g) and any(items(g.props, receivers) for receivers in RECEIVER_LISTS)
    ]


def _notifies(stack: Stack, rule: PolicyResource, groups: list[PolicyResource]) -> bool:
    """The rule is not disabled and its actions name a live action group of the stack, or one outside it."""
    return _enabled(rule) and _names_live_group(stack, rule, "actions", "", groups)


def _names_live_group(
    stack: Stack, resource: PolicyResource, prop: str, value_path: str, groups: list[PolicyResource]
) -> bool:
    """``prop`` (narrowed to ``value_path``) names a live action group of the stack, or, when it names no resource
    of the stack, an action group's ARM id outside it (a shared group)."""
    in_stack = stack.targets(resource, prop, value_path)
    if in_stack:
        return any(g in groups for g in in_stack)
    return any(_ACTION_GROUP_ID in text.lower() for text in Stack.reference_strings(resource, prop, value_path))


def _queries(rule: PolicyResource) -> list[str]:
    return [q for c in items(rule.props, "criteria.allOf") if isinstance(q := get(c, "query"), str)]


def _watchers(stack: Stack, resource: PolicyResource, groups: list[PolicyResource]) -> list[PolicyResource]:
    return [r for r in stack.referrers(resource, ALERT_RULES, "scopes") if _notifies(stack, r, groups)]


def _clusters(stack: Stack, workspace: PolicyResource) -> list[PolicyResource]:
    found: list[PolicyResource] = []
    for compute in stack.referrers(workspace, (COMPUTE,), "workspaceName"):
        for target in stack.targets(compute, "properties", "resourceId"):
            if type_key(target.resource_type) == CLUSTER and target not in found:
                found.append(target)
    return found


def _key_vaults(stack: Stack) -> list[PolicyResource]:
    """The vaults that hold a key of the stack."""
    found: list[PolicyResource] = []
    for key in stack.of_type(KEY):
        for vault in stack.targets(key, "vaultName"):
            if type_key(vault.resource_type) == VAULT and vault not in found:
                found.append(vault)
    return found


def _alerts_near_expiry(stack: Stack, subscription: PolicyResource, groups: list[PolicyResource]) -> bool:
    """The subscription turns a key's near-expiry event into an Azure Monitor alert to an action group."""
    props = subscription.props
    if not same(get(props, "destination.endpointType"), MONITOR_ALERT_ENDPOINT, "destination.endpointType"):
        return False
    if not same(get(props, "eventDeliverySchema"), MONITOR_ALERT_SCHEMA, "eventDeliverySchema"):
        return False
    if get(props, "expirationTimeUtc") is not MISSING:
        return False
    types = items(props, "filter.includedEventTypes")
    if types and not any(same(t, KEY_NEAR_EXPIRY_EVENT, "filter.includedEventTypes") for t in types):
        return False
    return _names_live_group(stack, subscription, "destination", "actionGroups", groups)


def _expiry_watched(stack: Stack, vault: PolicyResource, groups: list[PolicyResource]) -> bool:
    for topic in stack.referrers(vault, (SYSTEM_TOPIC,), "source"):
        if not same(get(topic.props, "topicType"), KEY_VAULT_TOPIC_TYPE, "topicType"):
            continue
        if any(
            _alerts_near_expiry(stack, s, groups)
            for s in stack.referrers(topic, (EVENT_SUBSCRIPTION,), "systemTopicName")
        ):
            return True
    return False


def _alerting(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    groups = _live_groups(stack)
    if any(in_production(ws.props) for ws in stack.of_type(WORKSPACE)):
        for vault in _key_vaults(stack):
            if not _expiry_watched(stack, vault, groups):
                yield (
                    f"Key Vault {vault.name!r} holds keys of a production estate, but no Event Grid subscription on "
                    f"it sends {KEY_NEAR_EXPIRY_EVENT} to an action group as an Azure Monitor alert (topic type "
                    f"{KEY_VAULT_TOPIC_TYPE}, destination {MONITOR_ALERT_ENDPOINT}, schema {MONITOR_ALERT_SCHEMA}, "
                    "no expiry): a key that fails to rotate would expire unannounced",
                    vault.urn,
                )
    for ws in stack.of_type(WORKSPACE):
        if not in_production(ws.props):
            continue
        label = f"production workspace {ws.name!r}"
        if not groups:
            yield (
                f"{label} has no action group that is enabled and has a receiver: its alerts would reach nobody",
                ws.urn,
            )
        for endpoint in stack.referrers(ws, (ENDPOINT,), "workspaceName"):
            if not _watchers(stack, endpoint, groups):
                yield (
                    f"online endpoint {endpoint.name!r} of {label} has no enabled alert rule scoped to it that "
                    "notifies an action group (latency, 5xx)",
                    endpoint.urn,
                )
        for cluster in _clusters(stack, ws):
            if not _watchers(stack, cluster, groups):
                yield (
                    f"AKS cluster {cluster.name!r} attached to {label} has no enabled alert rule scoped to it that "
                    "notifies an action group (node readiness, pod restarts)",
                    cluster.urn,
                )
        on_jobs = [
            r
            for r in stack.of_type(LOG_ALERT)
            if _notifies(stack, r, groups)
            and (ws in stack.targets(r, "scopes") or any(t in q for q in _queries(r) for t in JOB_TABLES))
        ]
        if not on_jobs:
            yield (
                f"{label} has no enabled log-search alert on its jobs (scoped to it, or reading "
                f"{' / '.join(JOB_TABLES)}) that notifies an action group",
                ws.urn,
            )


@described(
    "every webhook receiver's serviceUri is an https:// address, and every receiver that takes it sets "
    "useCommonAlertSchema = true (missing fails: Azure's default is false)"
)
def _receivers(props: Props, _config: Config) -> Iterator[str]:
    for i, hook in enumerate(items(props, "webhookReceivers")):
        uri = get(hook, "serviceUri")
        if not isinstance(uri, str):
            raise Unreadable(f"webhookReceivers.{i}.serviceUri", uri, "an address")
        if not uri.strip().lower().startswith("https://"):
            yield (
                f"webhookReceivers.{i}.serviceUri is {uri[:80]!r}: alerts, which name the estate's resources, are "
                "sent only to https:// addresses"
            )
    for kind in SCHEMA_RECEIVERS:
        for i, receiver in enumerate(items(props, kind)):
            flag = get(receiver, "useCommonAlertSchema")
            if flag is not MISSING and as_bool(flag) is None:
                raise Unreadable(f"{kind}.{i}.useCommonAlertSchema", flag, "a boolean")
            if not is_true(flag):
                yield (
                    f"{kind}.{i}.useCommonAlertSchema is {'not set' if flag is MISSING else repr(flag)}: set it to "
                    "true (one payload shape for every alert; Azure's default is false)"
                )


RULES = (
    ResourceRule(
        control="AML-MON-007",
        name="action-group-receivers",
        types=(ACTION_GROUP,),
        check=_receivers,
    ),
    StackRule(
        control="AML-MON-006",
        name="production-alerting",
        description="a production workspace (tag environment=production) has an enabled action group with a "
        "receiver, and enabled alert rules that notify an action group on each of its online endpoints and "
        "attached AKS clusters (scopes) and on its jobs (a log-search alert scoped to it or reading "
        "AmlRunStatusChangedEvent / AmlComputeJobEvent); and each Key Vault holding its keys has an Event Grid "
        "system topic whose subscription sends Microsoft.KeyVault.KeyNearExpiry to an action group as an Azure "
        "Monitor alert.",
        check=_alerting,
    ),
)
