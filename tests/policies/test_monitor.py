"""The monitoring rules (``aml_policies.monitor``): diagnostic settings related to what they watch.

Stack rules get ``PolicyResource`` objects with proxied props, related by property dependency or ARM id.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from aml_policies import monitor
from aml_policies.core import ResourceRule, StackRule
from tests.policies.harness import DELETE, applies, changed, run_stack, stack_resource, violations

WORKSPACE = "azure-native:machinelearningservices:Workspace"
SETTING = "azure-native:monitor:DiagnosticSetting"
ACCOUNT = "azure-native:storage:StorageAccount"
VAULT = "azure-native:keyvault:Vault"
REGISTRY = "azure-native:containerregistry:Registry"
APP_INSIGHTS = "azure-native:applicationinsights:Component"
CLASSIC = "(classic Application Insights is retired)"

RG = "/subscriptions/0/resourceGroups/rg/providers"
WS_ID = f"{RG}/Microsoft.MachineLearningServices/workspaces/ws"
KV_ID = f"{RG}/Microsoft.KeyVault/vaults/kv"
LAW = f"{RG}/Microsoft.OperationalInsights/workspaces/logs"

RULES = {rule.policy_name: rule for rule in monitor.RULES if isinstance(rule, StackRule)}
MON_001 = RULES["aml-mon-001-workspace-resource-logs"]
MON_002 = RULES["aml-mon-002-dependency-diagnostics"]
MON_005 = RULES["aml-mon-005-aks-audit-logs"]
CLUSTER = "azure-native:containerservice:ManagedCluster"
MON_003 = next(r for r in monitor.RULES if isinstance(r, ResourceRule))

ALL_LOGS = [{"categoryGroup": "allLogs", "enabled": True}]
METRICS = [{"category": "AllMetrics", "enabled": True}]


def _setting(
    name: str, target: PolicyResource | str, logs: list[dict[str, Any]] | None = None, **destination: str
) -> PolicyResource:
    """A diagnostic setting on ``target`` (a resource: by dependency; a string: by ARM id) to Log Analytics."""
    props: dict[str, Any] = {
        "name": name,
        "resourceUri": target if isinstance(target, str) else UNKNOWN_STRING_VALUE,
        "logs": ALL_LOGS if logs is None else logs,
        "metrics": METRICS,
        **(destination or {"workspaceId": LAW}),
    }
    deps = None if isinstance(target, str) else {"resourceUri": [target]}
    return stack_resource(SETTING, name, props, deps)


def _none(resource: PolicyResource) -> tuple[str, str]:
    return (f"{resource.resource_type} {resource.name!r} has no diagnostic setting with a destination", resource.urn)


def _no_logs(resource: PolicyResource) -> tuple[str, str]:
    return (
        f"{resource.resource_type} {resource.name!r} has diagnostic settings but none sends its resource logs "
        "(categoryGroup 'allLogs')",
        resource.urn,
    )


# --- AML-MON-001 -------------------------------------------------------------------------------------------
def test_setting_related_by_dependency_passes() -> None:
    ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws"})
    assert run_stack(MON_001, ws, _setting("ws-diag", ws)) == []


def test_setting_related_by_arm_id_passes() -> None:
    ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws", "id": WS_ID})
    assert run_stack(MON_001, ws, _setting("ws-diag", WS_ID)) == []


def test_workspace_without_setting_fails() -> None:
    ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws"})
    assert run_stack(MON_001, ws) == [_none(ws)]


@pytest.mark.parametrize(
    "destination",
    [
        {"storageAccountId": f"{RG}/Microsoft.Storage/storageAccounts/logs"},
        {"eventHubAuthorizationRuleId": f"{RG}/Microsoft.EventHub/namespaces/eh/authorizationRules/send"},
    ],
)
def test_other_destinations_count(destination: dict[str, str]) -> None:
    ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws"})
    assert run_stack(MON_001, ws, _setting("ws-diag", ws, **destination)) == []


def test_setting_without_destination_does_not_count() -> None:
    ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws"})
    props = {"name": "ws-diag", "resourceUri": UNKNOWN_STRING_VALUE, "logs": ALL_LOGS}
    assert run_stack(MON_001, ws, stack_resource(SETTING, "ws-diag", props, {"resourceUri": [ws]})) == [_none(ws)]


@pytest.mark.parametrize(
    "logs",
    [[], [{"categoryGroup": "allLogs", "enabled": False}], [{"categoryGroup": "allLogs"}]],
)
def test_setting_without_enabled_logs_fails(logs: list[dict[str, Any]]) -> None:
    ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws"})
    assert run_stack(MON_001, ws, _setting("ws-diag", ws, logs)) == [_no_logs(ws)]


@pytest.mark.parametrize(
    "logs",
    [[{"categoryGroup": "audit", "enabled": True}], [{"category": "AmlComputeClusterEvent", "enabled": True}]],
)
def test_audit_group_or_a_named_category_counts(logs: list[dict[str, Any]]) -> None:
    ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws"})
    assert run_stack(MON_001, ws, _setting("ws-diag", ws, logs)) == []


def test_one_good_setting_among_several_is_enough() -> None:
    ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws"})
    assert run_stack(MON_001, ws, _setting("metrics", ws, []), _setting("logs", ws)) == []


def test_setting_of_another_workspace_does_not_count() -> None:
    ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws", "id": WS_ID})
    other = stack_resource(WORKSPACE, "other", {"workspaceName": "other", "id": WS_ID.replace("/ws", "/other")})
    stack = (ws, other, _setting("other-diag", other), _setting("other-diag2", WS_ID.replace("/ws", "/other")))
    assert run_stack(MON_001, *stack) == [_none(ws)]


def test_unknown_resource_uri_related_by_dependency_does_not_crash() -> None:
    ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws", "id": UNKNOWN_STRING_VALUE})
    setting = _setting("ws-diag", ws)
    assert run_stack(MON_001, ws, setting) == []


def test_versioned_tokens_are_related() -> None:
    ws = stack_resource("azure-native:machinelearningservices/v20241001:Workspace", "ws", {"workspaceName": "ws"})
    setting = stack_resource(
        "azure-native:monitor/v20210501preview:DiagnosticSetting",
        "ws-diag",
        {"resourceUri": UNKNOWN_STRING_VALUE, "workspaceId": LAW, "logs": ALL_LOGS},
        {"resourceUri": [ws]},
    )
    assert run_stack(MON_001, ws, setting) == []
    assert run_stack(MON_001, ws) == [_none(ws)]


def test_a_stack_without_workspaces_passes() -> None:
    assert run_stack(MON_001) == []


# --- AML-MON-002 -------------------------------------------------------------------------------------------
def _dependencies() -> tuple[PolicyResource, PolicyResource, PolicyResource]:
    return (
        stack_resource(ACCOUNT, "st", {}),
        stack_resource(VAULT, "kv", {"id": KV_ID}),
        stack_resource(REGISTRY, "acr", {}),
    )


def test_dependencies_with_settings_pass() -> None:
    st, kv, acr = _dependencies()
    # the storage account's own setting carries metrics only; the key vault's is related by ARM id
    stack = (st, kv, acr, _setting("st-diag", st, []), _setting("kv-diag", KV_ID), _setting("acr-diag", acr))
    assert run_stack(MON_002, *stack) == []


def test_dependencies_without_settings_fail() -> None:
    st, kv, acr = _dependencies()
    assert run_stack(MON_002, st, kv, acr) == [_none(kv), _none(acr), _none(st)]


def test_key_vault_setting_without_logs_fails() -> None:
    st, kv, acr = _dependencies()
    stack = (st, kv, acr, _setting("st-diag", st, []), _setting("kv-diag", kv, []), _setting("acr-diag", acr))
    assert run_stack(MON_002, *stack) == [_no_logs(kv)]


def test_setting_of_another_vault_does_not_count() -> None:
    st, kv, acr = _dependencies()
    other = stack_resource(VAULT, "other", {})
    stack = (st, kv, acr, other, _setting("st-diag", st), _setting("other-diag", other), _setting("acr-diag", acr))
    assert run_stack(MON_002, *stack) == [_none(kv)]


def _no_audit(resource: PolicyResource, needed: str) -> tuple[str, str]:
    return (
        f"{resource.resource_type} {resource.name!r} has diagnostic settings but none sends its audit logs; "
        f"enable category {needed}, or categoryGroup 'allLogs' or 'audit'",
        resource.urn,
    )


KV_NEEDED = "'AuditEvent'"
ACR_NEEDED = "'ContainerRegistryLoginEvents' and 'ContainerRegistryRepositoryEvents'"


@pytest.mark.parametrize(
    ("kv_logs", "acr_logs", "expected"),
    [
        # the audit categories by name pass
        (
            [{"category": "AuditEvent", "enabled": True}],
            [
                {"category": "ContainerRegistryLoginEvents", "enabled": True},
                {"category": "ContainerRegistryRepositoryEvents", "enabled": True},
            ],
            [],
        ),
        # the audit group passes
        ([{"categoryGroup": "audit", "enabled": True}], [{"categoryGroup": "audit", "enabled": True}], []),
        # another category only fails (P10: any enabled category used to pass)
        ([{"category": "AzurePolicyEvaluationDetails", "enabled": True}], ALL_LOGS, ["kv"]),
        # a disabled AuditEvent beside an enabled other category fails
        (
            [
                {"category": "AuditEvent", "enabled": False},
                {"category": "AzurePolicyEvaluationDetails", "enabled": True},
            ],
            ALL_LOGS,
            ["kv"],
        ),
        # login events without repository events fail
        (ALL_LOGS, [{"category": "ContainerRegistryLoginEvents", "enabled": True}], ["acr"]),
    ],
)
def test_dependency_logs_include_the_audit_categories(
    kv_logs: list[dict[str, Any]], acr_logs: list[dict[str, Any]], expected: list[str]
) -> None:
    st, kv, acr = _dependencies()
    stack = (
        st,
        kv,
        acr,
        _setting("st-diag", st, []),
        _setting("kv-diag", kv, kv_logs),
        _setting("acr-diag", acr, acr_logs),
    )
    needed = {"kv": (kv, KV_NEEDED), "acr": (acr, ACR_NEEDED)}
    assert run_stack(MON_002, *stack) == [_no_audit(*needed[name]) for name in expected]


def test_audit_categories_may_be_split_over_settings() -> None:
    st, kv, acr = _dependencies()
    login = _setting("acr-login", acr, [{"category": "ContainerRegistryLoginEvents", "enabled": True}])
    repo = _setting("acr-repo", acr, [{"category": "ContainerRegistryRepositoryEvents", "enabled": True}])
    stack = (st, kv, acr, _setting("st-diag", st, []), _setting("kv-diag", kv), login, repo)
    assert run_stack(MON_002, *stack) == []


def test_workspaces_are_left_to_mon_001() -> None:
    ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws"})
    assert run_stack(MON_002, ws) == []


# --- AML-MON-003 -------------------------------------------------------------------------------------------
COMPONENT: dict[str, Any] = {
    "resourceName": "appi",
    "kind": "web",
    "applicationType": "web",
    "workspaceResourceId": LAW,
    "ingestionMode": "LogAnalytics",
}


def _changed(path: str, value: Any) -> dict[str, Any]:
    """``COMPONENT`` with one top-level prop set (removed when ``value`` is None)."""
    return changed(COMPONENT, path, DELETE if value is None else value)


@pytest.mark.parametrize("token", [APP_INSIGHTS, "azure-native:applicationinsights/v20200202:Component"])
def test_workspace_based_application_insights_passes(token: str) -> None:
    assert applies(MON_003, token, COMPONENT)
    assert violations(MON_003, token, COMPONENT) == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("workspaceResourceId", None, ["[AML-MON-003] workspaceResourceId is not set"]),
        ("workspaceResourceId", "", ["[AML-MON-003] workspaceResourceId is not set"]),
        (
            "ingestionMode",
            "ApplicationInsights",
            [f"[AML-MON-003] ingestionMode is 'ApplicationInsights'; it must be 'LogAnalytics' {CLASSIC}"],
        ),
        (
            "ingestionMode",
            "ApplicationInsightsWithDiagnosticSettings",
            [
                "[AML-MON-003] ingestionMode is 'ApplicationInsightsWithDiagnosticSettings'; it must be 'LogAnalytics' "
                f"{CLASSIC}"
            ],
        ),
        (
            "ingestionMode",
            None,
            [
                "[AML-MON-003] ingestionMode is not set; Azure's default is insecure: set it to 'LogAnalytics' "
                f"{CLASSIC}"
            ],
        ),
    ],
)
def test_one_change_to_application_insights(path: str, value: Any, expected: list[str]) -> None:
    assert violations(MON_003, APP_INSIGHTS, _changed(path, value)) == expected


def test_versioned_application_insights_is_judged() -> None:
    token = "azure-native:applicationinsights/v20200202:Component"
    assert violations(MON_003, token, _changed("ingestionMode", "ApplicationInsights")) == [
        f"[AML-MON-003] ingestionMode is 'ApplicationInsights'; it must be 'LogAnalytics' {CLASSIC}"
    ]


def test_destination_unknown_at_preview_still_counts() -> None:
    """A Log Analytics workspace created in the same stack has an unknown id at preview; it is still named."""
    ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws"})
    law = stack_resource("azure-native:operationalinsights:Workspace", "logs", {})
    setting = stack_resource(
        SETTING,
        "ws-diag",
        {"resourceUri": UNKNOWN_STRING_VALUE, "workspaceId": UNKNOWN_STRING_VALUE, "logs": ALL_LOGS},
        {"resourceUri": [ws], "workspaceId": [law]},
    )
    assert run_stack(MON_001, ws, law, setting) == []
    no_logs = stack_resource(
        SETTING,
        "ws-diag",
        {"resourceUri": UNKNOWN_STRING_VALUE, "workspaceId": UNKNOWN_STRING_VALUE, "logs": []},
        {"resourceUri": [ws], "workspaceId": [law]},
    )
    assert run_stack(MON_001, ws, law, no_logs) == [_no_logs(ws)]


def test_unknown_log_entry_is_never_a_silent_pass() -> None:
    ws = stack_resource(WORKSPACE, "ws", {"workspaceName": "ws"})
    setting = _setting("ws-diag", ws, [{"categoryGroup": UNKNOWN_STRING_VALUE, "enabled": True}])
    with pytest.raises(UnknownValueError):
        run_stack(MON_001, ws, setting)


# --- AML-MON-005 -------------------------------------------------------------------------------------------
AKS_NEEDED = "'kube-audit-admin' and 'guard' or 'kube-audit' and 'guard'"


def _no_aks_audit(cluster: PolicyResource, found: str) -> tuple[str, str]:
    return (
        f"{cluster.resource_type} {cluster.name!r} {found} its control-plane audit logs; enable category "
        f"{AKS_NEEDED}, or categoryGroup 'allLogs' or 'audit'",
        cluster.urn,
    )


@pytest.mark.parametrize(
    "logs",
    [
        [{"category": "kube-audit-admin", "enabled": True}, {"category": "guard", "enabled": True}],
        [{"category": "kube-audit", "enabled": True}, {"category": "guard", "enabled": True}],
        [{"categoryGroup": "audit", "enabled": True}],
        ALL_LOGS,
    ],
)
def test_aks_audit_logs_pass(logs: list[dict[str, Any]]) -> None:
    aks = stack_resource(CLUSTER, "aks", {"resourceName": "aks"})
    assert run_stack(MON_005, aks, _setting("aks-diag", aks, logs)) == []


@pytest.mark.parametrize(
    "logs",
    [
        [{"category": "kube-audit-admin", "enabled": True}],
        [{"category": "guard", "enabled": True}],
        [{"category": "kube-audit-admin", "enabled": True}, {"category": "guard", "enabled": False}],
        [{"category": "kube-apiserver", "enabled": True}],
        [],
    ],
)
def test_aks_setting_without_audit_logs_fails(logs: list[dict[str, Any]]) -> None:
    aks = stack_resource(CLUSTER, "aks", {"resourceName": "aks"})
    found = "has diagnostic settings but none sends"
    assert run_stack(MON_005, aks, _setting("aks-diag", aks, logs)) == [_no_aks_audit(aks, found)]


def test_aks_without_setting_fails() -> None:
    aks = stack_resource(CLUSTER, "aks", {"resourceName": "aks"})
    other = stack_resource(CLUSTER, "other", {"resourceName": "other"})
    found = "has no diagnostic setting that sends"
    assert run_stack(MON_005, aks, other, _setting("other-diag", other)) == [_no_aks_audit(aks, found)]


def test_aks_setting_without_destination_does_not_count() -> None:
    aks = stack_resource(CLUSTER, "aks", {"resourceName": "aks"})
    props = {"name": "aks-diag", "resourceUri": UNKNOWN_STRING_VALUE, "logs": ALL_LOGS}
    setting = stack_resource(SETTING, "aks-diag", props, {"resourceUri": [aks]})
    assert run_stack(MON_005, aks, setting) == [_no_aks_audit(aks, "has no diagnostic setting that sends")]


def test_versioned_cluster_token_is_judged() -> None:
    aks = stack_resource("azure-native:containerservice/v20250901:ManagedCluster", "aks", {"resourceName": "aks"})
    assert run_stack(MON_005, aks) == [_no_aks_audit(aks, "has no diagnostic setting that sends")]


# --- AML-MON-008 -------------------------------------------------------------------------------------------------
MON_008 = RULES["aml-mon-008-aks-platform-logs"]
PLATFORM = ["cluster-autoscaler", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]


def _categories(*names: str) -> list[dict[str, Any]]:
    return [{"category": n, "enabled": True} for n in names]


def test_aks_platform_logs_pass() -> None:
    aks = stack_resource(CLUSTER, "aks", {"resourceName": "aks"})
    assert run_stack(MON_008, aks, _setting("aks-diag", aks, _categories("kube-audit-admin", "guard", *PLATFORM))) == []


def test_aks_platform_logs_missing_categories_and_metrics_fail() -> None:
    aks = stack_resource(CLUSTER, "aks", {"resourceName": "aks"})
    setting = _setting("aks-diag", aks, _categories("kube-apiserver", "kube-scheduler"))
    assert run_stack(MON_008, aks, setting) == [
        (
            f"{CLUSTER} 'aks' sends no 'cluster-autoscaler', 'kube-controller-manager' to a destination; enable them "
            "in its diagnostic setting",
            aks.urn,
        )
    ]
    no_metrics = stack_resource(
        SETTING,
        "aks-diag",
        {"name": "aks-diag", "resourceUri": UNKNOWN_STRING_VALUE, "logs": _categories(*PLATFORM), "workspaceId": LAW},
        {"resourceUri": [aks]},
    )
    assert [m for m, _ in run_stack(MON_008, aks, no_metrics)] == [
        f"{CLUSTER} 'aks' sends no 'AllMetrics (metrics)' to a destination; enable them in its diagnostic setting"
    ]
    # AKS has no category groups: allLogs does not stand in for the categories
    assert len(run_stack(MON_008, aks, _setting("aks-diag", aks, ALL_LOGS))) == 1
    assert len(run_stack(MON_008, aks)) == 1


def test_aks_full_audit_log_fails() -> None:
    aks = stack_resource(CLUSTER, "aks", {"resourceName": "aks"})
    setting = _setting("aks-diag", aks, _categories("kube-audit", "guard", *PLATFORM))
    assert run_stack(MON_008, aks, setting) == [
        (
            f"{CLUSTER} 'aks' enables log category 'kube-audit', whose get and list events multiply the cost of the "
            "audit trail; enable 'kube-audit-admin' instead",
            aks.urn,
        )
    ]
    disabled = _setting("aks-diag", aks, [*_categories(*PLATFORM), {"category": "kube-audit", "enabled": False}])
    assert run_stack(MON_008, aks, disabled) == []


# --- AML-MON-009: each storage service's reads, writes and deletes --------------------------------------
MON_009 = RULES["aml-mon-009-storage-service-logs"]
ST_ID = f"{RG}/Microsoft.Storage/storageAccounts/st"
STORAGE_LOGS = _categories("StorageRead", "StorageWrite", "StorageDelete")
SERVICE_TYPES = {
    "blob": "azure-native:storage:BlobServiceProperties",
    "file": "azure-native:storage:FileServiceProperties",
    "queue": "azure-native:storage:QueueServiceProperties",
    "table": "azure-native:storage:TableServiceProperties",
}


def _account(kind: str | None = "StorageV2") -> PolicyResource:
    props: dict[str, Any] = {"accountName": "st", "resourceGroupName": "rg"}
    if kind is not None:
        props["kind"] = kind
    return stack_resource(ACCOUNT, "st", props)


def _service(service: str, account: PolicyResource) -> PolicyResource:
    """A service resource whose accountName is the account's (unknown at preview) name output."""
    props = {"accountName": UNKNOWN_STRING_VALUE, "resourceGroupName": "rg"}
    return stack_resource(SERVICE_TYPES[service], service, props, {"accountName": [account]})


def _logged(account: PolicyResource, services: tuple[str, ...] = tuple(SERVICE_TYPES)) -> list[PolicyResource]:
    """The account's services and, for each, a diagnostic setting on it that sends the three categories."""
    found: list[PolicyResource] = []
    for name in services:
        service = _service(name, account)
        found += [service, _setting(f"diag-{name}", service, STORAGE_LOGS)]
    return found


def test_storage_service_logs_pass_at_preview_through_the_service_resources() -> None:
    account = _account()
    assert run_stack(MON_009, account, *_logged(account)) == []


def test_a_storage_service_without_a_setting_fails_and_says_how_to_relate_one() -> None:
    account = _account()
    found = run_stack(MON_009, account, *_logged(account, ("blob", "file", "queue")))
    assert found == [
        (
            f"{ACCOUNT} 'st' has no diagnostic setting with a destination on its table service (tableServices/default)"
            "; declare a TableServiceProperties whose accountName refers to the account, and name its id in the "
            "setting's resourceUri",
            account.urn,
        )
    ]
    table = _service("table", account)
    assert [m for m, _ in run_stack(MON_009, account, *_logged(account, ("blob", "file", "queue")), table)] == [
        f"{ACCOUNT} 'st' has no diagnostic setting with a destination on its table service (tableServices/default)"
        "; give its TableServiceProperties a diagnostic setting (resourceUri = that resource's id)"
    ]


def test_a_setting_on_the_account_does_not_count_for_its_services() -> None:
    """The account's own setting (an engine dependency on the account) says nothing of which service it logs."""
    account = _account()
    on_account = _setting("diag-st", account, STORAGE_LOGS)
    assert len(run_stack(MON_009, account, on_account)) == 4


def test_storage_service_logs_need_all_three_categories_enabled_with_a_destination() -> None:
    account = _account()
    others = _logged(account, ("blob", "file", "table"))
    queue = _service("queue", account)
    partial = _setting("diag-queue", queue, _categories("StorageRead", "StorageWrite"))
    assert [m for m, _ in run_stack(MON_009, account, *others, queue, partial)] == [
        f"{ACCOUNT} 'st' sends no 'StorageDelete' from its queue service to a destination; enable them in the "
        "service's diagnostic setting"
    ]
    disabled = _setting("diag-queue", queue, [{**c, "enabled": "False"} for c in STORAGE_LOGS])
    assert len(run_stack(MON_009, account, *others, queue, disabled)) == 1
    # storage services have no category groups: allLogs does not stand in for the categories
    grouped = _setting("diag-queue", queue, ALL_LOGS)
    assert len(run_stack(MON_009, account, *others, queue, grouped)) == 1
    nowhere = stack_resource(
        SETTING,
        "diag-queue",
        {"name": "diag-queue", "resourceUri": UNKNOWN_STRING_VALUE, "logs": STORAGE_LOGS},
        {"resourceUri": [queue]},
    )
    assert "no diagnostic setting with a destination" in run_stack(MON_009, account, *others, queue, nowhere)[0][0]


def test_storage_service_logs_by_ids_written_out() -> None:
    """An existing account's services, named by ARM id in the settings (in any case), without service resources."""
    account = _account()
    by_id = [
        _setting(f"diag-{s}", f"{ST_ID}/{s.upper() if s == 'queue' else s}Services/default", STORAGE_LOGS)
        for s in SERVICE_TYPES
    ]
    assert run_stack(MON_009, account, *by_id) == []
    # the same ids under another account name nothing of this one
    elsewhere = [
        _setting(f"diag-{s}", f"{RG}/Microsoft.Storage/storageAccounts/other/{s}Services/default")
        for s in SERVICE_TYPES
    ]
    assert len(run_stack(MON_009, account, *elsewhere)) == 4
    # a bare name is no ARM id: Azure would refuse it, so it names nothing
    bare = [_setting(f"diag-{s}", f"st/{s}Services/default", STORAGE_LOGS) for s in SERVICE_TYPES]
    assert len(run_stack(MON_009, account, *bare)) == 4


def test_a_service_of_another_account_does_not_count() -> None:
    account, other = _account(), stack_resource(ACCOUNT, "other", {"accountName": "other", "kind": "StorageV2"})
    assert len(run_stack(MON_009, account, other, *_logged(other))) == 4


@pytest.mark.parametrize(
    ("kind", "judged"),
    [
        ("StorageV2", 4),
        ("storagev2", 4),
        ("Storage", 4),
        (None, 4),  # fail closed: an account of no known kind has all four
        ("BlockBlobStorage", 1),
        ("blobstorage", 1),
        ("FileStorage", 1),
    ],
)
def test_storage_service_logs_judge_the_services_of_the_account_kind(kind: str | None, judged: int) -> None:
    assert len(run_stack(MON_009, _account(kind))) == judged


def test_storage_service_logs_report_an_unreadable_logs_list() -> None:
    account = _account()
    others = _logged(account, ("blob", "file", "table"))
    queue = _service("queue", account)
    bad = stack_resource(
        SETTING,
        "diag-queue",
        {"name": "diag-queue", "resourceUri": UNKNOWN_STRING_VALUE, "logs": "StorageRead", "workspaceId": LAW},
        {"resourceUri": [queue]},
    )
    with pytest.raises(Exception, match="logs is unreadable"):
        run_stack(MON_009, account, *others, queue, bad)
