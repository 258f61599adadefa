"""The log and metric categories a diagnostic setting may name, per resource type: written once, here.

Sources:

- log categories: "Supported categories for Azure Monitor resource logs"
  (MicrosoftDocs/azure-docs ``articles/azure-monitor/essentials/resource-logs-categories.md``, and its successors,
  the per-type pages ``azure-monitor-docs/articles/azure-monitor/reference/supported-logs/microsoft-<rp>-<type>-
  logs.md``);
- category groups (``allLogs``, ``audit``): the built-in "Enable logging by category group for <type>" policies
  of Azure/azure-policy (``built-in-policies/policyDefinitions/Monitoring/DS_LA_<type>_DINE.json``) offer both
  groups only for types that support them; storage services and AKS have none, so their categories are named;
- metric categories: the ``supported-metrics/microsoft-<rp>-<type>-metrics`` pages. Storage groups its metrics
  in the categories ``Transaction`` and ``Capacity``: a storage account or service is given those two, not
  ``AllMetrics``, which Azure does not keep as sent for storage services (it stores ``Capacity`` and
  ``Transaction`` instead, so every plan would show a change: Azure/terraform-azurerm-avm-res-storage-
  storageaccount PR #380) and which older API versions refused ("Metric category 'AllMetrics' is not
  supported", Azure/azure-powershell #6520). Every other type here takes ``AllMetrics``.

Standard library only (the pack's leaf package).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["AKS_AUDIT_LOGS", "AKS_PLATFORM_LOGS", "DIAGNOSTIC_CATEGORIES", "Categories", "categories_of"]


@dataclass(frozen=True)
class Categories:
    """What one resource type's diagnostic settings may name."""

    logs: tuple[str, ...]
    """Its resource-log categories (none: the type emits metrics only)."""
    groups: tuple[str, ...]
    """The category groups it supports (``allLogs``, ``audit``); empty: name the categories."""
    metrics: tuple[str, ...]
    """Its metric categories for a diagnostic setting."""


_STORAGE_SERVICE = Categories(
    logs=("StorageRead", "StorageWrite", "StorageDelete"), groups=(), metrics=("Transaction", "Capacity")
)

#: ARM resource type (as in a resource id, lowercase compared) -> categories.
DIAGNOSTIC_CATEGORIES: MappingProxyType[str, Categories] = MappingProxyType(
    {
        "Microsoft.Storage/storageAccounts": Categories(logs=(), groups=(), metrics=("Transaction", "Capacity")),
        "Microsoft.Storage/storageAccounts/blobServices": _STORAGE_SERVICE,
        "Microsoft.Storage/storageAccounts/fileServices": _STORAGE_SERVICE,
        "Microsoft.Storage/storageAccounts/queueServices": _STORAGE_SERVICE,
        "Microsoft.Storage/storageAccounts/tableServices": _STORAGE_SERVICE,
        "Microsoft.KeyVault/vaults": Categories(
            logs=("AuditEvent", "AzurePolicyEvaluationDetails"), groups=("allLogs", "audit"), metrics=("AllMetrics",)
        ),
        "Microsoft.ContainerRegistry/registries": Categories(
            logs=("ContainerRegistryLoginEvents", "ContainerRegistryRepositoryEvents"),
            groups=("allLogs", "audit"),
            metrics=("AllMetrics",),
        ),
        "Microsoft.MachineLearningServices/workspaces": Categories(
            logs=(
                "AmlComputeClusterEvent",
                "AmlComputeCpuGpuUtilization",
                "AmlComputeJobEvent",
                "AmlRunStatusChangedEvent",
                "ComputeInstanceEvent",
                "DataLabelChangeEvent",
                "DataLabelReadEvent",
                "DataSetChangeEvent",
                "DataSetReadEvent",
                "DataStoreChangeEvent",
                "DataStoreReadEvent",
                "DeploymentEventAKS",
                "DeploymentReadEvent",
                "EnvironmentChangeEvent",
                "EnvironmentReadEvent",
                "InferencingOperationAKS",
                "ModelsActionEvent",
                "ModelsChangeEvent",
                "ModelsReadEvent",
                "PipelineChangeEvent",
                "PipelineReadEvent",
                "RunEvent",
                "RunReadEvent",
            ),
            groups=("allLogs", "audit"),
            metrics=("AllMetrics",),
        ),
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints": Categories(
            logs=("AmlOnlineEndpointConsoleLog", "AmlOnlineEndpointEventLog", "AmlOnlineEndpointTrafficLog"),
            groups=("allLogs", "audit"),
            metrics=("AllMetrics",),
        ),
        "Microsoft.ContainerService/managedClusters": Categories(
            logs=(
                "cloud-controller-manager",
                "cluster-autoscaler",
                "csi-azuredisk-controller",
                "csi-azurefile-controller",
                "csi-snapshot-controller",
                "guard",
                "kube-apiserver",
                "kube-audit",
                "kube-audit-admin",
                "kube-controller-manager",
                "kube-scheduler",
            ),
            groups=(),
            metrics=("AllMetrics",),
        ),
        "Microsoft.Insights/components": Categories(
            logs=(
                "AppAvailabilityResults",
                "AppBrowserTimings",
                "AppDependencies",
                "AppEvents",
                "AppExceptions",
                "AppMetrics",
                "AppPageViews",
                "AppPerformanceCounters",
                "AppRequests",
                "AppSystemEvents",
                "AppTraces",
            ),
            groups=("allLogs", "audit"),
            metrics=("AllMetrics",),
        ),
        "Microsoft.OperationalInsights/workspaces": Categories(
            logs=("Audit", "SummaryLogs", "Jobs"), groups=("allLogs", "audit"), metrics=("AllMetrics",)
        ),
    }
)

#: The AKS control-plane audit trail: kube-audit-admin (kube-audit without its get/list events, PSRule
#: Azure.AKS.AuditAdmin) and guard (Entra ID and Azure RBAC decisions), as PSRule Azure.AKS.AuditLogs asks.
AKS_AUDIT_LOGS = ("kube-audit-admin", "guard")
#: The AKS control plane's own logs that PSRule Azure.AKS.PlatformLogs asks for by default
#: (AZURE_AKS_ENABLED_PLATFORM_LOG_CATEGORIES_LIST: these four and the AllMetrics metric category).
AKS_PLATFORM_LOGS = ("cluster-autoscaler", "kube-apiserver", "kube-controller-manager", "kube-scheduler")

_BY_LOWER = {k.lower(): v for k, v in DIAGNOSTIC_CATEGORIES.items()}


def categories_of(resource_id: str) -> tuple[str, Categories] | None:
    """The ARM type of a resource id and its categories, or None for a type this table does not know.

    ``/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st/blobServices/default``
    is ``Microsoft.Storage/storageAccounts/blobServices``.
    """
    if not isinstance(resource_id, str) or "/providers/" not in resource_id:
        return None
    tail = resource_id.rsplit("/providers/", 1)[1].strip("/").split("/")
    if len(tail) < 3:
        return None
    kind = "/".join([tail[0], *tail[1::2]])
    found = _BY_LOWER.get(kind.lower())
    return (kind, found) if found is not None else None
