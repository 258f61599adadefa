"""Rules for diagnostics and Application Insights.

Diagnostic settings (``monitor:DiagnosticSetting``, API 2021-05-01-preview) name their resource in
``resourceUri`` and their destination in ``workspaceId``; ``logs[].categoryGroup`` ``allLogs`` covers every
log category (learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings, "category groups").
The built-in "Resource logs in Machine Learning workspaces should be enabled" (afe0c3be-ba3b-4544-ba52-
0c99672a8ad6) audits the same for workspaces.

Log categories (learn.microsoft.com "Supported resource logs" per resource type, and the PSRule rules the pack
follows): Key Vault ``AuditEvent`` (PSRule ``Azure.KeyVault.Logs``); container registry
``ContainerRegistryLoginEvents`` and ``ContainerRegistryRepositoryEvents`` (PSRule ``Azure.ACR.AuditLogs``);
AKS ``kube-audit-admin`` (or ``kube-audit``) and ``guard`` (PSRule ``Azure.AKS.AuditLogs``). The ``audit``
and ``allLogs`` category groups include them.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import PolicyResource

from aml_catalogue.diagnostics import AKS_PLATFORM_LOGS, DIAGNOSTIC_CATEGORIES
from aml_policies.core import (
    MISSING,
    Config,
    ResourceRule,
    Stack,
    StackCheck,
    StackRule,
    all_of,
    equals,
    get,
    is_true,
    items,
    present,
    same,
    same_any,
    type_key,
)

DIAGNOSTIC_SETTING = "monitor:DiagnosticSetting"
#: Types whose diagnostics must carry logs, and the storage account whose account-level setting carries
#: metrics only (its logs are emitted per service, under blobServices/default and fileServices/default).
WITH_LOGS = ("machinelearningservices:Workspace", "keyvault:Vault", "containerregistry:Registry")
METRICS_ONLY = ("storage:StorageAccount",)
MANAGED_CLUSTER = "containerservice:ManagedCluster"
AUDIT_GROUPS = ("allLogs", "audit")
#: Per type: the sets of log categories of which one must be fully enabled (groups in AUDIT_GROUPS also do).
AUDIT_CATEGORIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "keyvault:Vault": (("AuditEvent",),),
    "containerregistry:Registry": (("ContainerRegistryLoginEvents", "ContainerRegistryRepositoryEvents"),),
    MANAGED_CLUSTER: (("kube-audit-admin", "guard"), ("kube-audit", "guard")),
}


def _sends_logs(setting: PolicyResource) -> bool:
    return any(
        is_true(get(entry, "enabled"))
        and (_group(get(entry, "categoryGroup")) in AUDIT_GROUPS or bool(get(entry, "category")))
        for entry in items(setting.props, "logs")
    )


def _group(value: object) -> str:
    """A category group in its documented spelling (``allLogs`` / ``audit``), matched ignoring case."""
    return next((g for g in AUDIT_GROUPS if same(value, g, "categoryGroup")), "") if isinstance(value, str) else ""


def _enabled_logs(settings: list[PolicyResource]) -> tuple[set[str], set[str]]:
    """The enabled log categories and category groups of some diagnostic settings."""
    categories: set[str] = set()
    groups: set[str] = set()
    for setting in settings:
        for entry in items(setting.props, "logs"):
            if not is_true(get(entry, "enabled")):
                continue
            category, group = get(entry, "category"), get(entry, "categoryGroup")
            if isinstance(category, str):
                categories.add(category)
            if _group(group):
                groups.add(_group(group))
    return categories, groups


def _sends_audit_logs(type_key_: str, settings: list[PolicyResource]) -> bool:
    categories, groups = _enabled_logs(settings)
    if groups & set(AUDIT_GROUPS):
        return True
    return any(set(needed) <= categories for needed in AUDIT_CATEGORIES[type_key_])


def _needed_text(type_key_: str) -> str:
    options = [" and ".join(repr(c) for c in needed) for needed in AUDIT_CATEGORIES[type_key_]]
    groups = " or ".join(repr(g) for g in AUDIT_GROUPS)
    return f"enable category {' or '.join(options)}, or categoryGroup {groups}"


def _has_destination(setting: PolicyResource) -> bool:
    # Keys only: ``in`` on a proxy reads the value, and a destination created in the same stack is unknown
    # at preview, which would stop the whole stack check there although the destination is named.
    keys = set(setting.props)
    return any(name in keys for name in ("workspaceId", "storageAccountId", "eventHubAuthorizationRuleId"))


def _diagnostics(keys: tuple[str, ...], *, logs: bool, audit: bool = False) -> StackCheck:
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
            elif logs and audit and not _sends_audit_logs(type_key(resource.resource_type), settings):
                yield (
                    f"{resource.resource_type} {resource.name!r} has diagnostic settings but none sends its audit "
                    f"logs; {_needed_text(type_key(resource.resource_type))}",
                    resource.urn,
                )

    return check


def _aks_audit_logs(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    for cluster in stack.of_type(MANAGED_CLUSTER):
        settings = [s for s in stack.referrers(cluster, (DIAGNOSTIC_SETTING,), "resourceUri") if _has_destination(s)]
        if not _sends_audit_logs(MANAGED_CLUSTER, settings):
            found = "has diagnostic settings but none sends" if settings else "has no diagnostic setting that sends"
            yield (
                f"{cluster.resource_type} {cluster.name!r} {found} its control-plane audit logs; "
                f"{_needed_text(MANAGED_CLUSTER)}",
                cluster.urn,
            )


def _enabled_metrics(settings: list[PolicyResource]) -> set[str]:
    return {
        str(get(entry, "category")).lower()
        for setting in settings
        for entry in items(setting.props, "metrics")
        if is_true(get(entry, "enabled")) and isinstance(get(entry, "category"), str)
    }


def _aks_platform_logs(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """Every cluster sends its control-plane logs and AllMetrics, and none sends kube-audit (PSRule
    Azure.AKS.PlatformLogs and Azure.AKS.AuditAdmin). Category names are compared as written (Azure Monitor's
    names are lowercase with hyphens); AKS has no category groups, so a group does not count."""
    for cluster in stack.of_type(MANAGED_CLUSTER):
        settings = [s for s in stack.referrers(cluster, (DIAGNOSTIC_SETTING,), "resourceUri") if _has_destination(s)]
        categories, _groups = _enabled_logs(settings)
        missing = [c for c in AKS_PLATFORM_LOGS if c not in categories]
        if "allmetrics" not in _enabled_metrics(settings):
            missing.append("AllMetrics (metrics)")
        if missing:
            yield (
                f"{cluster.resource_type} {cluster.name!r} sends no {', '.join(repr(m) for m in missing)} to a "
                "destination; enable them in its diagnostic setting",
                cluster.urn,
            )
        if "kube-audit" in categories:
            yield (
                f"{cluster.resource_type} {cluster.name!r} enables log category 'kube-audit', whose get and list "
                "events multiply the cost of the audit trail; enable 'kube-audit-admin' instead",
                cluster.urn,
            )


# --- AML-MON-009: each storage service's own logs ------------------------------------------------------
STORAGE_ACCOUNT = "storage:StorageAccount"
#: Per storage service: the type key of the resource that declares it (``accountName`` names its account) and
#: the segment of its ARM id under the account (``.../storageAccounts/<name>/blobServices/default``).
STORAGE_SERVICES: dict[str, tuple[str, str]] = {
    "blob": ("storage:BlobServiceProperties", "blobServices"),
    "file": ("storage:FileServiceProperties", "fileServices"),
    "queue": ("storage:QueueServiceProperties", "queueServices"),
    "table": ("storage:TableServiceProperties", "tableServices"),
}
#: The log categories every storage service must send (the one table in aml_catalogue.diagnostics: StorageRead,
#: StorageWrite, StorageDelete; storage services offer no category groups, so a group does not count).
STORAGE_SERVICE_LOGS = DIAGNOSTIC_CATEGORIES["Microsoft.Storage/storageAccounts/blobServices"].logs
#: Account kinds with fewer than the four services (REST spec 2024-01-01 ``Kind``; "Storage account overview",
#: learn.microsoft.com/azure/storage/common/storage-account-overview: premium block blobs, premium file shares,
#: legacy blob storage). Any other kind, or none, is judged on all four.
SERVICES_OF_KIND: dict[str, tuple[str, ...]] = {
    "BlockBlobStorage": ("blob",),
    "BlobStorage": ("blob",),
    "FileStorage": ("file",),
}


def _services_of(account: PolicyResource) -> tuple[str, ...]:
    kind = get(account.props, "kind")
    for known, services in SERVICES_OF_KIND.items():
        if kind is not MISSING and same_any(kind, (known,), "kind"):
            return services
    return tuple(STORAGE_SERVICES)


def _service_settings(stack: Stack, account: PolicyResource, service: str) -> tuple[bool, list[PolicyResource]]:
    """Whether the account's ``service`` is declared in the stack, and the diagnostic settings with a destination
    that name it: by the service resource (an engine dependency or its id), or by an id written out as
    ``<account id>/<service>Services/default``."""
    type_, segment = STORAGE_SERVICES[service]
    declared = stack.referrers(account, (type_,), "accountName")
    settings = [s for d in declared for s in stack.referrers(d, (DIAGNOSTIC_SETTING,), "resourceUri")]
    tail = f"/{segment}/default"
    for setting in stack.of_type(DIAGNOSTIC_SETTING):
        for text in Stack.reference_strings(setting, "resourceUri"):
            named = text.rstrip("/")
            if named.lower().endswith(tail.lower()) and account in stack.named_by(named[: -len(tail)]):
                settings.append(setting)
    return bool(declared), [s for s in dict.fromkeys(settings) if _has_destination(s)]


def _storage_service_logs(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    for account in stack.of_type(STORAGE_ACCOUNT):
        for service in _services_of(account):
            declared, settings = _service_settings(stack, account, service)
            type_, segment = STORAGE_SERVICES[service]
            if not settings:
                how = (
                    f"declare a {type_.split(':')[1]} whose accountName refers to the account, and name its id in "
                    "the setting's resourceUri"
                    if not declared
                    else f"give its {type_.split(':')[1]} a diagnostic setting (resourceUri = that resource's id)"
                )
                yield (
                    f"{account.resource_type} {account.name!r} has no diagnostic setting with a destination on its "
                    f"{service} service ({segment}/default); {how}",
                    account.urn,
                )
                continue
            categories, _groups = _enabled_logs(settings)
            missing = [c for c in STORAGE_SERVICE_LOGS if c not in categories]
            if missing:
                yield (
                    f"{account.resource_type} {account.name!r} sends no {', '.join(repr(m) for m in missing)} from "
                    f"its {service} service to a destination; enable them in the service's diagnostic setting",
                    account.urn,
                )


def _all(stack: Stack, config: Config) -> Iterator[tuple[str, str]]:
    yield from _diagnostics(WITH_LOGS[1:], logs=True, audit=True)(stack, config)
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
        "to a destination; the key vault's logs include 'AuditEvent' and the registry's "
        "'ContainerRegistryLoginEvents' and 'ContainerRegistryRepositoryEvents' (or categoryGroup 'audit' / "
        "'allLogs').",
        check=_all,
    ),
    StackRule(
        control="AML-MON-005",
        name="aks-audit-logs",
        description="every AKS cluster has a diagnostic setting with a destination that enables 'kube-audit-admin' "
        "(or 'kube-audit') and 'guard', or categoryGroup 'audit' / 'allLogs'.",
        check=_aks_audit_logs,
    ),
    StackRule(
        control="AML-MON-008",
        name="aks-platform-logs",
        description="every AKS cluster's diagnostic settings with a destination enable the log categories "
        + ", ".join(repr(c) for c in AKS_PLATFORM_LOGS)
        + " and the metric category 'AllMetrics', and none enables 'kube-audit' (use 'kube-audit-admin').",
        check=_aks_platform_logs,
    ),
    StackRule(
        control="AML-MON-009",
        name="storage-service-logs",
        description="every storage account's blob, file, queue and table services (those its kind has) each have "
        "a diagnostic setting with a destination, related to the account through the service resource "
        "(accountName) or an id <account id>/<service>Services/default, whose enabled log categories include "
        + ", ".join(repr(c) for c in STORAGE_SERVICE_LOGS)
        + " (storage services have no category groups).",
        check=_storage_service_logs,
    ),
    ResourceRule(
        control="AML-MON-003",
        name="workspace-based-application-insights",
        types=("applicationinsights:Component",),
        check=all_of(
            present("workspaceResourceId"),
            equals("ingestionMode", "LogAnalytics", why="classic Application Insights is retired"),
        ),
    ),
)
