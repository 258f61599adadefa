"""Rules for diagnostics and Application Insights.

Diagnostic settings (``monitor:DiagnosticSetting``, API 2021-05-01-preview) name their resource in
``resourceUri`` and their destination in ``workspaceId``; ``logs[].categoryGroup`` ``allLogs`` covers every
log category (learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings, "category groups").
The built-in "Resource logs in Machine Learning workspaces should be enabled" (afe0c3be-ba3b-4544-ba52-
0c99672a8ad6) audits the same for workspaces.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import PolicyResource

from aml_policies.core import Config, ResourceRule, Stack, StackCheck, StackRule, all_of, equals, get, items, present

DIAGNOSTIC_SETTING = "monitor:DiagnosticSetting"
#: Types whose diagnostics must carry logs, and the storage account whose account-level setting carries
#: metrics only (its logs are emitted per service, under blobServices/default and fileServices/default).
WITH_LOGS = ("machinelearningservices:Workspace", "keyvault:Vault", "containerregistry:Registry")
METRICS_ONLY = ("storage:StorageAccount",)


def _sends_logs(setting: PolicyResource) -> bool:
    return any(
        get(entry, "enabled") is True
        and (get(entry, "categoryGroup") in ("allLogs", "audit") or get(entry, "category"))
        for entry in items(setting.props, "logs")
    )


def _has_destination(setting: PolicyResource) -> bool:
    # Keys only: ``in`` on a proxy reads the value, and a destination created in the same stack is unknown
    # at preview, which would stop the whole stack check there although the destination is named.
    keys = set(setting.props)
    return any(name in keys for name in ("workspaceId", "storageAccountId", "eventHubAuthorizationRuleId"))


def _diagnostics(keys: tuple[str, ...], *, logs: bool) -> StackCheck:
    def check(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
        for resource in stack.of_type(*keys):
            settings = [
                s for s in stack.referrers(resource, (DIAGNOSTIC_SETTING,), "resourceUri") if _has_destination(s)
            ]
            if not settings:
                yield (
                    f"{resource.resource_type} {resource.name!r} has no diagnostic setting with a destination",
                    resource.urn,
                )
            elif logs and not any(_sends_logs(s) for s in settings):
                yield (
                    f"{resource.resource_type} {resource.name!r} has diagnostic settings but none sends its "
                    "resource logs (categoryGroup 'allLogs')",
                    resource.urn,
                )

    return check


def _all(stack: Stack, config: Config) -> Iterator[tuple[str, str]]:
    yield from _diagnostics(WITH_LOGS[1:], logs=True)(stack, config)
    yield from _diagnostics(METRICS_ONLY, logs=False)(stack, config)


RULES = (
    StackRule(
        control="AML-MON-001",
        name="workspace-resource-logs",
        description="every workspace has a diagnostic setting that sends its resource logs (allLogs) to a destination.",
        check=_diagnostics(WITH_LOGS[:1], logs=True),
    ),
    StackRule(
        control="AML-MON-002",
        name="dependency-diagnostics",
        description="every key vault and registry sends its resource logs, and every storage account its metrics, "
        "to a destination.",
        check=_all,
    ),
    ResourceRule(
        control="AML-MON-003",
        name="workspace-based-application-insights",
        types=("applicationinsights:Component",),
        description="workspaceResourceId is set and ingestionMode is 'LogAnalytics' (classic Application "
        "Insights is retired).",
        check=all_of(present("workspaceResourceId"), equals("ingestionMode", "LogAnalytics")),
    ),
)
