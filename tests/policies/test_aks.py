"""The AKS rules (``aml_policies.aks``): one compliant cluster and agent pool, one change per case."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from aml_policies import aks
from aml_policies.core import ResourceRule, StackRule
from tests.policies.harness import (
    DELETE,
    all_violations,
    applies,
    changed,
    judges,
    run_stack,
    stack_resource,
    violations,
)

CLUSTER_TOKEN = "azure-native:containerservice:ManagedCluster"
POOL_TOKEN = "azure-native:containerservice:AgentPool"
LAW = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/logs"
TAINT = "workload=inference:NoSchedule"

CLUSTER: dict[str, Any] = {
    "resourceName": "aks",
    "sku": {"name": "Base", "tier": "Standard"},
    "identity": {"type": "UserAssigned", "userAssignedIdentities": ["/subscriptions/0/id"]},
    "apiServerAccessProfile": {
        "enablePrivateCluster": True,
        "disableRunCommand": True,
        "enableVnetIntegration": True,
        "subnetId": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/api",
    },
    "enableRBAC": True,
    "aadProfile": {"managed": True, "enableAzureRBAC": True},
    "disableLocalAccounts": True,
    "networkProfile": {"networkPlugin": "azure", "networkPolicy": "azure", "outboundType": "userAssignedNATGateway"},
    "autoUpgradeProfile": {"upgradeChannel": "stable", "nodeOSUpgradeChannel": "NodeImage"},
    "addonProfiles": {
        "omsagent": {"enabled": True, "config": {"logAnalyticsWorkspaceResourceID": LAW}},
        "azurepolicy": {"enabled": True},
    },
    "diskEncryptionSetID": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Compute/diskEncryptionSets/des",
    "oidcIssuerProfile": {"enabled": True},
    "securityProfile": {
        "defender": {"logAnalyticsWorkspaceResourceId": LAW, "securityMonitoring": {"enabled": True}},
        "workloadIdentity": {"enabled": True},
        "imageCleaner": {"enabled": True, "intervalHours": 168},
        "azureKeyVaultKms": {
            "enabled": True,
            "keyId": "https://kv-kms.vault.azure.net/keys/etcd/0123456789abcdef0123456789abcdef",
            "keyVaultNetworkAccess": "Private",
            "keyVaultResourceId": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-kms",
        },
    },
    "agentPoolProfiles": [
        {
            "name": "system",
            "mode": "System",
            "vmSize": "Standard_D4s_v5",
            "availabilityZones": ["1", "2", "3"],
            "enableAutoScaling": True,
            "minCount": 3,
            "maxCount": 5,
            "maxPods": 250,
            "enableEncryptionAtHost": True,
            "securityProfile": {"sshAccess": "Disabled"},
        },
        {
            "name": "inference",
            "mode": "User",
            "vmSize": "Standard_D8s_v5",
            "availabilityZones": ["3", "1", "2"],
            "enableAutoScaling": True,
            "minCount": 3,
            "maxCount": 4,
            "nodeTaints": [TAINT],
            "maxPods": 110,
            "enableNodePublicIP": False,
            "enableEncryptionAtHost": True,
            "securityProfile": {"sshAccess": "Disabled"},
        },
    ],
}
POOL: dict[str, Any] = {
    "resourceName": "aks",
    "agentPoolName": "gpu",
    "mode": "User",
    "vmSize": "Standard_NC4as_T4_v3",
    "availabilityZones": ["1", "2", "3"],
    "enableAutoScaling": True,
    "minCount": 3,
    "maxCount": 3,
    "nodeTaints": [TAINT],
    "maxPods": 50,
    "enableEncryptionAtHost": True,
    "securityProfile": {"sshAccess": "Disabled"},
}

RULES = {rule.policy_name: rule for rule in aks.RULES if isinstance(rule, ResourceRule)}


@pytest.mark.parametrize(
    ("token", "props"),
    [
        (CLUSTER_TOKEN, CLUSTER),
        (POOL_TOKEN, POOL),
        ("azure-native:containerservice/v20240801:ManagedCluster", CLUSTER),
        ("azure-native:containerservice/v20240801:AgentPool", POOL),
    ],
)
def test_happy_resources_pass_every_rule(token: str, props: dict[str, Any]) -> None:
    assert all_violations(RULES.values(), token, props) == []


def test_each_type_is_judged_by_its_rules() -> None:
    assert sorted(n for n, r in RULES.items() if judges(r, POOL_TOKEN, POOL)) == [
        "aml-aks-001-agent-pool-zones",
        "aml-aks-002-agent-pool-no-node-public-ip",
        "aml-aks-008-agent-pool-autoscaling",
        "aml-aks-010-agent-pool-encryption-at-host",
        "aml-aks-011-agent-pool-ssh-disabled",
        "aml-aks-018-agent-pool-min-nodes-scale-sets",
        "aml-aks-020-agent-pool-max-pods",
    ]
    assert len([r for r in RULES.values() if judges(r, CLUSTER_TOKEN, CLUSTER)]) == 25


SYSTEM = "agentPoolProfiles[0] (system)."
INFER = "agentPoolProfiles[1] (inference)."
RUN_COMMAND_UNSET = (
    "[AML-AKS-002] apiServerAccessProfile.disableRunCommand is not set; Azure's default is False: set it to True "
    "(command invoke bypasses the private API server)"
)
AT_HOST_WHY = (
    "(temp disks and disk caches encrypted at the host; needs the Microsoft.Compute/EncryptionAtHost subscription "
    "feature)"
)
NODE_OS_WHY = "(as built-in 04408ca5 and PSRule's NodeAutoUpgrade require)"
SOFT = "workload=inference:PreferNoSchedule"
TAINT_UNSET = (
    "nodeTaints is not set; a User pool must carry a NoSchedule or NoExecute taint (e.g. "
    "'workload=inference:NoSchedule') so that only inference workloads that tolerate it run there"
)


def _soft_only(taints: list[str]) -> str:
    return (
        f"nodeTaints is {taints!r}; none has effect NoSchedule or NoExecute (PreferNoSchedule only asks the scheduler "
        "to avoid the pool, so other pods still land on it): add e.g. 'workload=inference:NoSchedule', or, for "
        "workloads that cannot tolerate a taint (the Azure ML extension), a PreferNoSchedule taint whose key=value "
        "is also a nodeLabel of the pool, which their nodeSelector pins them to"
    )


def test_a_soft_taint_passes_only_on_a_pool_dedicated_by_its_label() -> None:
    """The Azure ML extension cannot tolerate taints (AML-Kubernetes #210): its pool is pinned by label."""
    rule = RULES["aml-aks-008-agent-pool-autoscaling"]
    soft = changed(POOL, "nodeTaints", [SOFT])
    assert violations(rule, POOL_TOKEN, changed(soft, "nodeLabels", {"workload": "inference"})) == []
    assert violations(rule, POOL_TOKEN, changed(soft, "nodeLabels", {"workload": "other"})) == [
        f"[AML-AKS-008] {_soft_only([SOFT])}"
    ]
    assert violations(rule, POOL_TOKEN, changed(soft, "nodeLabels", ["workload=inference"])) == [
        f"[AML-AKS-008] {_soft_only([SOFT])}"
    ]
    keyless = changed(changed(POOL, "nodeTaints", ["workload:PreferNoSchedule"]), "nodeLabels", {"workload": ""})
    assert violations(rule, POOL_TOKEN, keyless) == [f"[AML-AKS-008] {_soft_only(['workload:PreferNoSchedule'])}"]


CASES = [
    # AML-AKS-001
    (
        "aml-aks-001-cluster-pool-zones",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.0.availabilityZones",
        ["1"],
        [f"[AML-AKS-001] {SYSTEM}availabilityZones is ['1']; it must be ['1', '2', '3']"],
    ),
    (
        "aml-aks-001-cluster-pool-zones",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.1.availabilityZones",
        DELETE,
        [f"[AML-AKS-001] {INFER}availabilityZones is not set; it must be ['1', '2', '3']"],
    ),
    (
        "aml-aks-001-agent-pool-zones",
        POOL_TOKEN,
        POOL,
        "availabilityZones",
        ["1", "2"],
        ["[AML-AKS-001] availabilityZones is ['1', '2']; it must be ['1', '2', '3']"],
    ),
    (
        "aml-aks-001-agent-pool-zones",
        POOL_TOKEN,
        POOL,
        "availabilityZones",
        DELETE,
        ["[AML-AKS-001] availabilityZones is not set; it must be ['1', '2', '3']"],
    ),
    # AML-AKS-002
    (
        "aml-aks-002-private-api-server",
        CLUSTER_TOKEN,
        CLUSTER,
        "apiServerAccessProfile.enablePrivateCluster",
        False,
        ["[AML-AKS-002] apiServerAccessProfile.enablePrivateCluster is False; it must be True"],
    ),
    (
        "aml-aks-002-private-api-server",
        CLUSTER_TOKEN,
        CLUSTER,
        "apiServerAccessProfile",
        DELETE,
        [
            "[AML-AKS-002] apiServerAccessProfile.enablePrivateCluster is not set; Azure's default is insecure: set "
            "it to True",
            RUN_COMMAND_UNSET,
        ],
    ),
    (
        "aml-aks-002-private-api-server",
        CLUSTER_TOKEN,
        CLUSTER,
        "apiServerAccessProfile.disableRunCommand",
        DELETE,
        [RUN_COMMAND_UNSET],
    ),
    (
        "aml-aks-002-private-api-server",
        CLUSTER_TOKEN,
        CLUSTER,
        "apiServerAccessProfile.disableRunCommand",
        False,
        [
            "[AML-AKS-002] apiServerAccessProfile.disableRunCommand is False; it must be True (command invoke "
            "bypasses the private API server)"
        ],
    ),
    (
        "aml-aks-002-cluster-pool-no-node-public-ip",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.1.enableNodePublicIP",
        True,
        [f"[AML-AKS-002] {INFER}enableNodePublicIP is True; it must not be (nodes stay on private addresses)"],
    ),
    (
        "aml-aks-002-cluster-pool-no-node-public-ip",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.1.enableNodePublicIP",
        DELETE,
        [],
    ),
    (
        "aml-aks-002-agent-pool-no-node-public-ip",
        POOL_TOKEN,
        POOL,
        "enableNodePublicIP",
        True,
        ["[AML-AKS-002] enableNodePublicIP is True; it must not be (nodes stay on private addresses)"],
    ),
    ("aml-aks-002-agent-pool-no-node-public-ip", POOL_TOKEN, POOL, "enableNodePublicIP", False, []),
    # AML-AKS-003
    (
        "aml-aks-003-entra-rbac-no-local-accounts",
        CLUSTER_TOKEN,
        CLUSTER,
        "aadProfile.enableAzureRBAC",
        False,
        ["[AML-AKS-003] aadProfile.enableAzureRBAC is False; it must be True"],
    ),
    (
        "aml-aks-003-entra-rbac-no-local-accounts",
        CLUSTER_TOKEN,
        CLUSTER,
        "aadProfile",
        DELETE,
        [
            "[AML-AKS-003] aadProfile.managed is not set; Azure's default is insecure: set it to True",
            "[AML-AKS-003] aadProfile.enableAzureRBAC is not set; Azure's default is insecure: set it to True",
        ],
    ),
    (
        "aml-aks-003-entra-rbac-no-local-accounts",
        CLUSTER_TOKEN,
        CLUSTER,
        "disableLocalAccounts",
        DELETE,
        ["[AML-AKS-003] disableLocalAccounts is not set; Azure's default is insecure: set it to True"],
    ),
    (
        "aml-aks-003-managed-identity-kubernetes-rbac",
        CLUSTER_TOKEN,
        CLUSTER,
        "identity",
        DELETE,
        ["[AML-AKS-003] identity.type is not set; it must be 'SystemAssigned' or 'UserAssigned' (a managed identity)"],
    ),
    (
        "aml-aks-003-managed-identity-kubernetes-rbac",
        CLUSTER_TOKEN,
        CLUSTER,
        "identity.type",
        "None",
        ["[AML-AKS-003] identity.type is 'None'; it must be 'SystemAssigned' or 'UserAssigned' (a managed identity)"],
    ),
    ("aml-aks-003-managed-identity-kubernetes-rbac", CLUSTER_TOKEN, CLUSTER, "identity.type", "SystemAssigned", []),
    (
        "aml-aks-003-managed-identity-kubernetes-rbac",
        CLUSTER_TOKEN,
        CLUSTER,
        "servicePrincipalProfile",
        {"clientId": "5555", "secret": "s"},
        [
            "[AML-AKS-003] servicePrincipalProfile.clientId is '5555'; the cluster must use its managed identity, "
            "not a service principal (set no clientId, or 'msi')"
        ],
    ),
    (
        "aml-aks-003-managed-identity-kubernetes-rbac",
        CLUSTER_TOKEN,
        CLUSTER,
        "servicePrincipalProfile.clientId",
        "msi",
        [],
    ),
    (
        "aml-aks-003-managed-identity-kubernetes-rbac",
        CLUSTER_TOKEN,
        CLUSTER,
        "enableRBAC",
        False,
        ["[AML-AKS-003] enableRBAC is False; it must not be (Kubernetes RBAC stays on)"],
    ),
    ("aml-aks-003-managed-identity-kubernetes-rbac", CLUSTER_TOKEN, CLUSTER, "enableRBAC", DELETE, []),
    # AML-AKS-004
    (
        "aml-aks-004-standard-tier",
        CLUSTER_TOKEN,
        CLUSTER,
        "sku.tier",
        "Free",
        ["[AML-AKS-004] sku.tier is 'Free'; it must be one of 'Standard', 'Premium' (the Free tier has no uptime SLA)"],
    ),
    (
        "aml-aks-004-standard-tier",
        CLUSTER_TOKEN,
        CLUSTER,
        "sku",
        DELETE,
        [
            "[AML-AKS-004] sku.tier is not set (Azure's default is 'Free'); it must be one of 'Standard', 'Premium' "
            "(the Free tier has no uptime SLA)"
        ],
    ),
    ("aml-aks-004-standard-tier", CLUSTER_TOKEN, CLUSTER, "sku.tier", "Premium", []),
    # AML-AKS-005
    (
        "aml-aks-005-azure-cni-network-policy",
        CLUSTER_TOKEN,
        CLUSTER,
        "networkProfile.networkPlugin",
        "kubenet",
        ["[AML-AKS-005] networkProfile.networkPlugin is 'kubenet'; it must be 'azure'"],
    ),
    (
        "aml-aks-005-azure-cni-network-policy",
        CLUSTER_TOKEN,
        CLUSTER,
        "networkProfile.networkPolicy",
        "none",
        ["[AML-AKS-005] networkProfile.networkPolicy is 'none'; it must be one of 'azure', 'calico', 'cilium'"],
    ),
    (
        "aml-aks-005-azure-cni-network-policy",
        CLUSTER_TOKEN,
        CLUSTER,
        "networkProfile.networkPolicy",
        DELETE,
        ["[AML-AKS-005] networkProfile.networkPolicy is not set; it must be one of 'azure', 'calico', 'cilium'"],
    ),
    ("aml-aks-005-azure-cni-network-policy", CLUSTER_TOKEN, CLUSTER, "networkProfile.networkPolicy", "cilium", []),
    # AML-AKS-006
    (
        "aml-aks-006-auto-upgrade",
        CLUSTER_TOKEN,
        CLUSTER,
        "autoUpgradeProfile.upgradeChannel",
        "Patch",
        [
            "[AML-AKS-006] autoUpgradeProfile.upgradeChannel is 'Patch'; it must be one of 'stable', 'rapid' "
            "(only these keep the cluster on a supported minor version ('patch' stays on one until it leaves support))"
        ],
    ),
    ("aml-aks-006-auto-upgrade", CLUSTER_TOKEN, CLUSTER, "autoUpgradeProfile.upgradeChannel", "RAPID", []),
    # AML-AKS-029
    (
        "aml-aks-029-kms-etcd-encryption",
        CLUSTER_TOKEN,
        CLUSTER,
        "securityProfile.azureKeyVaultKms",
        DELETE,
        [
            "[AML-AKS-029] securityProfile.azureKeyVaultKms.enabled is not set; it must be True, so that Kubernetes "
            "secrets in etcd are encrypted with the estate's customer-managed key"
        ],
    ),
    (
        "aml-aks-029-kms-etcd-encryption",
        CLUSTER_TOKEN,
        CLUSTER,
        "securityProfile.azureKeyVaultKms.enabled",
        "true",
        [],
    ),
    (
        "aml-aks-029-kms-etcd-encryption",
        CLUSTER_TOKEN,
        CLUSTER,
        "securityProfile.azureKeyVaultKms.keyVaultNetworkAccess",
        DELETE,
        [
            "[AML-AKS-029] securityProfile.azureKeyVaultKms.keyVaultNetworkAccess is not set; Azure's default is "
            "'Public': set it to 'Private' (the key vault allows no public access)"
        ],
    ),
    (
        "aml-aks-029-kms-etcd-encryption",
        CLUSTER_TOKEN,
        CLUSTER,
        "securityProfile.azureKeyVaultKms.keyVaultNetworkAccess",
        "private",
        [],
    ),
    (
        "aml-aks-029-kms-etcd-encryption",
        CLUSTER_TOKEN,
        CLUSTER,
        "apiServerAccessProfile.enableVnetIntegration",
        "False",
        [
            "[AML-AKS-029] apiServerAccessProfile.enableVnetIntegration is 'False'; it must be True (KMS with a "
            "private key vault works only through API Server VNet Integration)"
        ],
    ),
    (
        "aml-aks-029-kms-etcd-encryption",
        CLUSTER_TOKEN,
        CLUSTER,
        "securityProfile.azureKeyVaultKms",
        ["not", "a", "map"],
        ["[AML-AKS-029] securityProfile.azureKeyVaultKms is unreadable: expected an object, got a list"],
    ),
    (
        "aml-aks-006-auto-upgrade",
        CLUSTER_TOKEN,
        CLUSTER,
        "autoUpgradeProfile.upgradeChannel",
        "none",
        [
            "[AML-AKS-006] autoUpgradeProfile.upgradeChannel is 'none'; it must be one of 'stable', 'rapid' "
            "(only these keep the cluster on a supported minor version ('patch' stays on one until it leaves support))"
        ],
    ),
    (
        "aml-aks-006-auto-upgrade",
        CLUSTER_TOKEN,
        CLUSTER,
        "autoUpgradeProfile.upgradeChannel",
        DELETE,
        [
            "[AML-AKS-006] autoUpgradeProfile.upgradeChannel is not set (Azure's default is 'none'); it must be one "
            "of 'stable', 'rapid' (only these keep the cluster on a supported minor version ('patch' stays on one "
            "until it leaves support))"
        ],
    ),
    (
        "aml-aks-006-auto-upgrade",
        CLUSTER_TOKEN,
        CLUSTER,
        "autoUpgradeProfile.nodeOSUpgradeChannel",
        "Unmanaged",
        [
            "[AML-AKS-006] autoUpgradeProfile.nodeOSUpgradeChannel is 'Unmanaged'; it must be one of 'NodeImage', "
            f"'SecurityPatch' {NODE_OS_WHY}"
        ],
    ),
    (
        "aml-aks-006-auto-upgrade",
        CLUSTER_TOKEN,
        CLUSTER,
        "autoUpgradeProfile.nodeOSUpgradeChannel",
        DELETE,
        [
            "[AML-AKS-006] autoUpgradeProfile.nodeOSUpgradeChannel is not set; it must be one of 'NodeImage', "
            f"'SecurityPatch' {NODE_OS_WHY}"
        ],
    ),
    # AML-AKS-007
    (
        "aml-aks-007-monitoring-and-policy-addons",
        CLUSTER_TOKEN,
        CLUSTER,
        "addonProfiles.omsagent.enabled",
        False,
        [
            "[AML-AKS-007] addonProfiles.omsagent is not enabled; enable it with "
            "config.logAnalyticsWorkspaceResourceID "
            "(Container insights to Log Analytics)"
        ],
    ),
    (
        "aml-aks-007-monitoring-and-policy-addons",
        CLUSTER_TOKEN,
        CLUSTER,
        "addonProfiles.omsagent.config",
        DELETE,
        [
            "[AML-AKS-007] addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID is not set; name the Log "
            "Analytics workspace"
        ],
    ),
    (
        "aml-aks-007-monitoring-and-policy-addons",
        CLUSTER_TOKEN,
        CLUSTER,
        "addonProfiles.azurepolicy",
        DELETE,
        ["[AML-AKS-007] addonProfiles.azurepolicy is not enabled; it must be enabled (the Azure Policy add-on)"],
    ),
    (
        "aml-aks-007-monitoring-and-policy-addons",
        CLUSTER_TOKEN,
        CLUSTER,
        "addonProfiles",
        DELETE,
        [
            "[AML-AKS-007] addonProfiles.omsagent is not enabled; enable it with "
            "config.logAnalyticsWorkspaceResourceID "
            "(Container insights to Log Analytics)",
            "[AML-AKS-007] addonProfiles.azurepolicy is not enabled; it must be enabled (the Azure Policy add-on)",
        ],
    ),
    (
        "aml-aks-007-monitoring-and-policy-addons",
        CLUSTER_TOKEN,
        CLUSTER,
        "addonProfiles",
        {
            "omsAgent": {"enabled": True, "config": {"logAnalyticsWorkspaceResourceID": LAW}},
            "azurePolicy": {"enabled": True},
        },
        [],
    ),
    # AML-AKS-008
    (
        "aml-aks-008-cluster-pool-autoscaling",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.0.enableAutoScaling",
        DELETE,
        [
            f"[AML-AKS-008] {SYSTEM}enableAutoScaling is not set; it must be True (the cluster autoscaler is off by "
            "default)"
        ],
    ),
    (
        "aml-aks-008-cluster-pool-autoscaling",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.0.maxCount",
        DELETE,
        [f"[AML-AKS-008] {SYSTEM}maxCount not set; the autoscaler needs both minCount and maxCount"],
    ),
    (
        "aml-aks-008-cluster-pool-autoscaling",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.0.minCount",
        6,
        [f"[AML-AKS-008] {SYSTEM}minCount is 6; it must not exceed maxCount (5)"],
    ),
    (
        "aml-aks-008-cluster-pool-autoscaling",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.1.nodeTaints",
        [],
        [f"[AML-AKS-008] {INFER}{TAINT_UNSET}"],
    ),
    ("aml-aks-008-cluster-pool-autoscaling", CLUSTER_TOKEN, CLUSTER, "agentPoolProfiles.0.nodeTaints", [], []),
    (
        "aml-aks-008-cluster-pool-autoscaling",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.1.nodeTaints",
        [SOFT],
        [f"[AML-AKS-008] {INFER}{_soft_only([SOFT])}"],
    ),
    (
        "aml-aks-008-cluster-pool-autoscaling",
        CLUSTER_TOKEN,
        changed(CLUSTER, "agentPoolProfiles.1.mode", "user"),
        "agentPoolProfiles.1.nodeTaints",
        DELETE,
        [f"[AML-AKS-008] {INFER}{TAINT_UNSET}"],
    ),
    (
        "aml-aks-008-cluster-pool-autoscaling",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.1.nodeTaints",
        ["gpu=true:PreferNoSchedule", "dedicated:NoExecute"],
        [],
    ),
    (
        "aml-aks-008-agent-pool-autoscaling",
        POOL_TOKEN,
        POOL,
        "enableAutoScaling",
        False,
        ["[AML-AKS-008] enableAutoScaling is False; it must be True (the cluster autoscaler is off by default)"],
    ),
    (
        "aml-aks-008-agent-pool-autoscaling",
        POOL_TOKEN,
        POOL,
        "minCount",
        DELETE,
        ["[AML-AKS-008] minCount not set; the autoscaler needs both minCount and maxCount"],
    ),
    ("aml-aks-008-agent-pool-autoscaling", POOL_TOKEN, POOL, "mode", DELETE, []),
    (
        "aml-aks-008-agent-pool-autoscaling",
        POOL_TOKEN,
        changed(POOL, "mode", DELETE),
        "nodeTaints",
        DELETE,
        [f"[AML-AKS-008] {TAINT_UNSET}"],
    ),
    ("aml-aks-008-agent-pool-autoscaling", POOL_TOKEN, changed(POOL, "mode", "System"), "nodeTaints", DELETE, []),
    (
        "aml-aks-008-agent-pool-autoscaling",
        POOL_TOKEN,
        POOL,
        "nodeTaints",
        [SOFT],
        [f"[AML-AKS-008] {_soft_only([SOFT])}"],
    ),
    (
        "aml-aks-008-agent-pool-autoscaling",
        POOL_TOKEN,
        changed(POOL, "mode", "USER"),
        "nodeTaints",
        ["workload=inference"],
        [f"[AML-AKS-008] {_soft_only(['workload=inference'])}"],
    ),
    ("aml-aks-008-agent-pool-autoscaling", POOL_TOKEN, POOL, "nodeTaints", ["sku=gpu:NoExecute"], []),
    ("aml-aks-008-agent-pool-autoscaling", POOL_TOKEN, POOL, "nodeTaints", ["dedicated:NoSchedule"], []),
    (
        "aml-aks-008-agent-pool-autoscaling",
        POOL_TOKEN,
        POOL,
        "nodeTaints",
        [TAINT, 3],
        ["[AML-AKS-008] nodeTaints[1] is 3, which is unreadable; a taint is a 'key=value:Effect' string"],
    ),
    (
        "aml-aks-008-agent-pool-autoscaling",
        POOL_TOKEN,
        POOL,
        "nodeTaints",
        TAINT,
        [
            f"[AML-AKS-008] nodeTaints is {TAINT!r}, which is unreadable; it must be a list of 'key=value:Effect' "
            "strings"
        ],
    ),
    (
        "aml-aks-008-agent-pool-autoscaling",
        POOL_TOKEN,
        POOL,
        "mode",
        7,
        ["[AML-AKS-008] mode is 7, which is unreadable; it must be 'System' or 'User'"],
    ),
    (
        "aml-aks-008-agent-pool-autoscaling",
        POOL_TOKEN,
        POOL,
        "maxCount",
        "3",
        ["[AML-AKS-008] minCount is 3 and maxCount is '3', which are unreadable; both must be numbers"],
    ),
    # AML-AKS-010
    (
        "aml-aks-010-cluster-pool-encryption-at-host",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.0.enableEncryptionAtHost",
        DELETE,
        [
            f"[AML-AKS-010] {SYSTEM}enableEncryptionAtHost is not set; Azure's default is False: set it to True "
            f"{AT_HOST_WHY}"
        ],
    ),
    (
        "aml-aks-010-cluster-pool-encryption-at-host",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.1.enableEncryptionAtHost",
        False,
        [f"[AML-AKS-010] {INFER}enableEncryptionAtHost is False; it must be True {AT_HOST_WHY}"],
    ),
    (
        "aml-aks-010-agent-pool-encryption-at-host",
        POOL_TOKEN,
        POOL,
        "enableEncryptionAtHost",
        DELETE,
        [f"[AML-AKS-010] enableEncryptionAtHost is not set; Azure's default is False: set it to True {AT_HOST_WHY}"],
    ),
    # AML-AKS-011
    (
        "aml-aks-011-cluster-pool-ssh-disabled",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.0.securityProfile",
        DELETE,
        [
            f"[AML-AKS-011] {SYSTEM}securityProfile.sshAccess is not set; Azure's default is 'LocalUser': set it to "
            "'Disabled'"
        ],
    ),
    (
        "aml-aks-011-cluster-pool-ssh-disabled",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.1.securityProfile.sshAccess",
        "LocalUser",
        [f"[AML-AKS-011] {INFER}securityProfile.sshAccess is 'LocalUser'; it must be 'Disabled'"],
    ),
    (
        "aml-aks-011-agent-pool-ssh-disabled",
        POOL_TOKEN,
        POOL,
        "securityProfile.sshAccess",
        "LocalUser",
        ["[AML-AKS-011] securityProfile.sshAccess is 'LocalUser'; it must be 'Disabled'"],
    ),
    (
        "aml-aks-011-agent-pool-ssh-disabled",
        POOL_TOKEN,
        POOL,
        "securityProfile",
        DELETE,
        ["[AML-AKS-011] securityProfile.sshAccess is not set; Azure's default is 'LocalUser': set it to 'Disabled'"],
    ),
    # AML-AKS-012
    (
        "aml-aks-012-no-insecure-addons",
        CLUSTER_TOKEN,
        CLUSTER,
        "addonProfiles.httpApplicationRouting",
        {"enabled": True},
        [
            "[AML-AKS-012] addonProfiles.httpApplicationRouting is enabled; it must not be (a public DNS zone and "
            "ingress not meant for production)"
        ],
    ),
    (
        "aml-aks-012-no-insecure-addons",
        CLUSTER_TOKEN,
        CLUSTER,
        "addonProfiles.kubedashboard",
        {"enabled": True},
        [
            "[AML-AKS-012] addonProfiles.kubeDashboard is enabled; it must not be (the Kubernetes dashboard, "
            "removed from AKS and a known attack path)"
        ],
    ),
    (
        "aml-aks-012-no-insecure-addons",
        CLUSTER_TOKEN,
        CLUSTER,
        "addonProfiles.httpApplicationRouting",
        {"enabled": False},
        [],
    ),
]


DES_WHY = (
    "(node OS and data disks are encrypted with a customer-managed key through a disk encryption set; an empty "
    "string fails)"
)
CLEANER_WHY = "it must be True (unused images with known vulnerabilities stay on the nodes otherwise)"

NEW_CASES = [
    # AML-AKS-014
    (
        "aml-aks-014-disk-encryption-set",
        CLUSTER_TOKEN,
        CLUSTER,
        "diskEncryptionSetID",
        DELETE,
        [f"[AML-AKS-014] diskEncryptionSetID is not set {DES_WHY}"],
    ),
    (
        "aml-aks-014-disk-encryption-set",
        CLUSTER_TOKEN,
        CLUSTER,
        "diskEncryptionSetID",
        "",
        [f"[AML-AKS-014] diskEncryptionSetID is not set {DES_WHY}"],
    ),
    # AML-AKS-015
    (
        "aml-aks-015-defender-profile",
        CLUSTER_TOKEN,
        CLUSTER,
        "securityProfile.defender",
        DELETE,
        [
            "[AML-AKS-015] securityProfile.defender.securityMonitoring.enabled is not set; Azure's default is False: "
            "set it to True",
            "[AML-AKS-015] securityProfile.defender.logAnalyticsWorkspaceResourceId is not set (Defender for "
            "Containers reports to a Log Analytics workspace)",
        ],
    ),
    (
        "aml-aks-015-defender-profile",
        CLUSTER_TOKEN,
        CLUSTER,
        "securityProfile.defender.securityMonitoring.enabled",
        "True",
        [],
    ),
    (
        "aml-aks-015-defender-profile",
        CLUSTER_TOKEN,
        CLUSTER,
        "securityProfile.defender.securityMonitoring.enabled",
        "false",
        ["[AML-AKS-015] securityProfile.defender.securityMonitoring.enabled is 'false'; it must be True"],
    ),
    # AML-AKS-016
    (
        "aml-aks-016-workload-identity",
        CLUSTER_TOKEN,
        CLUSTER,
        "oidcIssuerProfile.enabled",
        False,
        ["[AML-AKS-016] oidcIssuerProfile.enabled is False; it must be True (workload identity needs the OIDC issuer)"],
    ),
    (
        "aml-aks-016-workload-identity",
        CLUSTER_TOKEN,
        CLUSTER,
        "securityProfile.workloadIdentity",
        DELETE,
        ["[AML-AKS-016] securityProfile.workloadIdentity.enabled is not set; Azure's default is False: set it to True"],
    ),
    # AML-AKS-017
    (
        "aml-aks-017-image-cleaner",
        CLUSTER_TOKEN,
        CLUSTER,
        "securityProfile.imageCleaner",
        DELETE,
        [f"[AML-AKS-017] securityProfile.imageCleaner.enabled is not set; {CLEANER_WHY}"],
    ),
    (
        "aml-aks-017-image-cleaner",
        CLUSTER_TOKEN,
        CLUSTER,
        "securityProfile.imageCleaner.enabled",
        "false",
        [f"[AML-AKS-017] securityProfile.imageCleaner.enabled is 'false'; {CLEANER_WHY}"],
    ),
    (
        "aml-aks-017-image-cleaner",
        CLUSTER_TOKEN,
        CLUSTER,
        "securityProfile.imageCleaner.intervalHours",
        DELETE,
        ["[AML-AKS-017] securityProfile.imageCleaner.intervalHours is not set; set it to 24 to 2160 hours"],
    ),
    (
        "aml-aks-017-image-cleaner",
        CLUSTER_TOKEN,
        CLUSTER,
        "securityProfile.imageCleaner.intervalHours",
        4000,
        ["[AML-AKS-017] securityProfile.imageCleaner.intervalHours is 4000; it must be 24 to 2160 hours"],
    ),
    ("aml-aks-017-image-cleaner", CLUSTER_TOKEN, CLUSTER, "securityProfile.imageCleaner.intervalHours", "24", []),
    # AML-AKS-018
    (
        "aml-aks-018-cluster-pool-min-nodes-scale-sets",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.0.type",
        "AvailabilitySet",
        [
            f"[AML-AKS-018] {SYSTEM}type is 'AvailabilitySet'; it must be 'VirtualMachineScaleSets' (availability-set "
            "pools are discouraged)"
        ],
    ),
    (
        "aml-aks-018-cluster-pool-min-nodes-scale-sets",
        CLUSTER_TOKEN,
        CLUSTER,
        "agentPoolProfiles.1.minCount",
        0,
        [f"[AML-AKS-018] {INFER}minCount is 0; keep at least 3 nodes for failover and upgrades"],
    ),
    (
        "aml-aks-018-agent-pool-min-nodes-scale-sets",
        POOL_TOKEN,
        POOL,
        "enableAutoScaling",
        False,
        ["[AML-AKS-018] count is not set; keep at least 3 nodes for failover and upgrades"],
    ),
    (
        "aml-aks-018-agent-pool-min-nodes-scale-sets",
        POOL_TOKEN,
        changed(POOL, "minCount", 1),
        "scaleSetPriority",
        "spot",
        [],
    ),
    (
        "aml-aks-018-agent-pool-min-nodes-scale-sets",
        POOL_TOKEN,
        POOL,
        "minCount",
        "many",
        ["[AML-AKS-018] minCount is unreadable: expected a number of nodes, got the string 'many'"],
    ),
    # AML-AKS-019
    (
        "aml-aks-019-secret-store-rotation",
        CLUSTER_TOKEN,
        CLUSTER,
        "addonProfiles.azureKeyvaultSecretsProvider",
        {"enabled": True},
        [
            "[AML-AKS-019] addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation is not set; with "
            "the Secrets Store CSI driver enabled it must be 'true', so that rotated Key Vault secrets reach the pods"
        ],
    ),
    (
        "aml-aks-019-secret-store-rotation",
        CLUSTER_TOKEN,
        CLUSTER,
        "addonProfiles.AzureKeyVaultSecretsProvider",
        {"enabled": "true", "config": {"enableSecretRotation": "false"}},
        [
            "[AML-AKS-019] addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation is 'false'; with "
            "the Secrets Store CSI driver enabled it must be 'true', so that rotated Key Vault secrets reach the pods"
        ],
    ),
    (
        "aml-aks-019-secret-store-rotation",
        CLUSTER_TOKEN,
        CLUSTER,
        "addonProfiles.azureKeyvaultSecretsProvider",
        {"enabled": True, "config": {"enableSecretRotation": "true", "rotationPollInterval": "2m"}},
        [],
    ),
    (
        "aml-aks-019-secret-store-rotation",
        CLUSTER_TOKEN,
        CLUSTER,
        "addonProfiles.azureKeyvaultSecretsProvider",
        {"enabled": False},
        [],
    ),
]


@pytest.mark.parametrize(("policy", "token", "base", "path", "value", "expected"), NEW_CASES)
def test_one_change_of_the_security_profile(
    policy: str, token: str, base: dict[str, Any], path: str, value: Any, expected: list[str]
) -> None:
    assert violations(RULES[policy], token, changed(base, path, value)) == expected


@pytest.mark.parametrize(("policy", "token", "base", "path", "value", "expected"), CASES)
def test_one_change(policy: str, token: str, base: dict[str, Any], path: str, value: Any, expected: list[str]) -> None:
    assert violations(RULES[policy], token, changed(base, path, value)) == expected


def test_versioned_token_is_judged() -> None:
    props = changed(CLUSTER, "apiServerAccessProfile.enablePrivateCluster", False)
    token = "azure-native:containerservice/v20250901:ManagedCluster"
    assert violations(RULES["aml-aks-002-private-api-server"], token, props) == [
        "[AML-AKS-002] apiServerAccessProfile.enablePrivateCluster is False; it must be True"
    ]
    pool = changed(POOL, "availabilityZones", ["1"])
    assert violations(
        RULES["aml-aks-001-agent-pool-zones"], "azure-native:containerservice/v20250901:AgentPool", pool
    ) == ["[AML-AKS-001] availabilityZones is ['1']; it must be ['1', '2', '3']"]


def test_unnamed_pool_is_named_by_index() -> None:
    props = changed(CLUSTER, "agentPoolProfiles.0.name", DELETE)
    props = changed(props, "agentPoolProfiles.0.availabilityZones", ["2"])
    assert violations(RULES["aml-aks-001-cluster-pool-zones"], CLUSTER_TOKEN, props) == [
        "[AML-AKS-001] agentPoolProfiles[0].availabilityZones is ['2']; it must be ['1', '2', '3']"
    ]


# --- AML-AKS-013 -------------------------------------------------------------------------------------------------
EXTENSION_TOKEN = "azure-native:kubernetesconfiguration:Extension"
ML_EXT: dict[str, Any] = {
    "extensionType": "microsoft.azureml.kubernetes",
    "configurationSettings": {
        "enableInference": "True",
        "inferenceRouterServiceType": "loadBalancer",
        "internalLoadBalancerProvider": "azure",
        "allowInsecureConnections": "False",
        "sslCname": "scoring.contoso.internal",
    },
}


@pytest.mark.parametrize(
    ("path", "value", "says"),
    [
        ("configurationSettings.allowInsecureConnections", "TRUE", "allowInsecureConnections is 'TRUE'"),
        ("configurationSettings.internalLoadBalancerProvider", "other", "gets a public IP"),
        ("configurationSettings.inferenceRouterServiceType", "ingress", "must be one of"),
        ("configurationSettings.sslCname", "", "sslCname is not set"),
        ("configurationSettings", ["enableInference=True"], "unreadable"),
    ],
)
def test_ml_extension_router_must_be_private_and_https(path: str, value: Any, says: str) -> None:
    rule = RULES["aml-aks-013-ml-extension-private-https-router"]
    assert violations(rule, EXTENSION_TOKEN, ML_EXT) == []
    found = violations(rule, EXTENSION_TOKEN, changed(ML_EXT, path, value))
    assert len(found) == 1 and says in found[0], found


def test_ml_extension_router_alternatives_and_other_extensions() -> None:
    rule = RULES["aml-aks-013-ml-extension-private-https-router"]
    cluster_ip = changed(ML_EXT, "configurationSettings.inferenceRouterServiceType", "ClusterIP")
    assert violations(rule, EXTENSION_TOKEN, cluster_ip) == []
    training_only = changed(ML_EXT, "configurationSettings.enableInference", "false")
    assert (
        violations(
            rule, EXTENSION_TOKEN, changed(training_only, "configurationSettings.allowInsecureConnections", "true")
        )
        == []
    )
    flux = changed(ML_EXT, "extensionType", "microsoft.flux")
    assert not applies(rule, EXTENSION_TOKEN, flux)
    assert applies(rule, EXTENSION_TOKEN, changed(ML_EXT, "extensionType", "Microsoft.AzureML.Kubernetes"))


# --- AML-AKS-020..024 ------------------------------------------------------------------------------------------
MAX_PODS_UNSET = (
    "maxPods is not set; set it to at least 50 (Azure's default depends on the network plugin and is 30 for Azure "
    "CNI on the node subnet, which monitoring and security DaemonSets can fill)"
)
CSI = (
    "storageProfile.diskCSIDriver.enabled",
    "storageProfile.fileCSIDriver.enabled",
    "storageProfile.snapshotController.enabled",
)


@pytest.mark.parametrize(
    ("policy", "token", "path", "value", "expected"),
    [
        (
            "aml-aks-020-cluster-pool-max-pods",
            CLUSTER_TOKEN,
            "agentPoolProfiles.1.maxPods",
            30,
            [f"[AML-AKS-020] {INFER}maxPods is 30; allow at least 50 pods per node"],
        ),
        (
            "aml-aks-020-cluster-pool-max-pods",
            CLUSTER_TOKEN,
            "agentPoolProfiles.0.maxPods",
            DELETE,
            [f"[AML-AKS-020] {SYSTEM}{MAX_PODS_UNSET}"],
        ),
        ("aml-aks-020-cluster-pool-max-pods", CLUSTER_TOKEN, "agentPoolProfiles.0.maxPods", "50", []),
        (
            "aml-aks-020-agent-pool-max-pods",
            POOL_TOKEN,
            "maxPods",
            49,
            ["[AML-AKS-020] maxPods is 49; allow at least 50 pods per node"],
        ),
        ("aml-aks-020-agent-pool-max-pods", POOL_TOKEN, "maxPods", DELETE, [f"[AML-AKS-020] {MAX_PODS_UNSET}"]),
        (
            "aml-aks-020-agent-pool-max-pods",
            POOL_TOKEN,
            "maxPods",
            "lots",
            ["[AML-AKS-020] maxPods is unreadable: expected a number of pods, got the string 'lots'"],
        ),
        (
            "aml-aks-021-standard-load-balancer",
            CLUSTER_TOKEN,
            "networkProfile.loadBalancerSku",
            "Basic",
            [
                "[AML-AKS-021] networkProfile.loadBalancerSku is 'Basic'; it must be 'standard' (the Basic SKU has no "
                "availability zones or SLA and is retired)"
            ],
        ),
        ("aml-aks-021-standard-load-balancer", CLUSTER_TOKEN, "networkProfile.loadBalancerSku", "Standard", []),
        (
            "aml-aks-022-pool-versions",
            CLUSTER_TOKEN,
            "agentPoolProfiles.1.orchestratorVersion",
            "1.31",
            [
                f"[AML-AKS-022] {INFER[:-1]}.orchestratorVersion is '1.31' while kubernetesVersion is not set "
                "(AKS picks the control plane's); leave orchestratorVersion unset so the pool follows the control "
                "plane, or set both to the same version"
            ],
        ),
        ("aml-aks-022-pool-versions", CLUSTER_TOKEN, "kubernetesVersion", "1.32", []),
        (
            "aml-aks-024-csi-drivers",
            CLUSTER_TOKEN,
            CSI[0],
            False,
            ["[AML-AKS-024] storageProfile.diskCSIDriver.enabled is False; it must not be"],
        ),
        (
            "aml-aks-024-csi-drivers",
            CLUSTER_TOKEN,
            CSI[2],
            "False",
            ["[AML-AKS-024] storageProfile.snapshotController.enabled is 'False'; it must not be"],
        ),
        ("aml-aks-024-csi-drivers", CLUSTER_TOKEN, "storageProfile.blobCSIDriver.enabled", False, []),
    ],
)
def test_one_change_of_pools_load_balancer_versions_and_drivers(
    policy: str, token: str, path: str, value: Any, expected: list[str]
) -> None:
    assert violations(RULES[policy], token, changed(POOL if token == POOL_TOKEN else CLUSTER, path, value)) == expected


def test_pool_versions_compare_with_the_control_plane() -> None:
    rule = RULES["aml-aks-022-pool-versions"]
    pinned = changed(
        changed(CLUSTER, "kubernetesVersion", "1.32.1"), "agentPoolProfiles.0.orchestratorVersion", "1.32.1"
    )
    assert violations(rule, CLUSTER_TOKEN, pinned) == []
    behind = changed(pinned, "agentPoolProfiles.1.orchestratorVersion", "1.31")
    assert violations(rule, CLUSTER_TOKEN, behind) == [
        f"[AML-AKS-022] {INFER[:-1]}.orchestratorVersion is '1.31'; it must be the control plane's kubernetesVersion "
        "('1.32.1') or unset"
    ]
    assert violations(rule, CLUSTER_TOKEN, changed(pinned, "agentPoolProfiles.1.orchestratorVersion", 1.32)) == [
        "[AML-AKS-022] agentPoolProfiles.1.orchestratorVersion is unreadable: expected a Kubernetes version such as "
        "'1.33' or '1.33.2', got the number 1.32"
    ]


STACK_RULES = {rule.policy_name: rule for rule in aks.RULES if isinstance(rule, StackRule)}
MAINTENANCE_TOKEN = "azure-native:containerservice:MaintenanceConfiguration"
WEEKLY = {"schedule": {"weekly": {"dayOfWeek": "Sunday", "intervalWeeks": 1}}, "startTime": "00:00", "durationHours": 8}


def _maintenance(name: str, cluster: PolicyResource, window: dict[str, Any] | None = None) -> PolicyResource:
    props = {"configName": name, "resourceName": UNKNOWN_STRING_VALUE, "maintenanceWindow": window or WEEKLY}
    return stack_resource(MAINTENANCE_TOKEN, name, props, {"resourceName": [cluster]})


def test_a_cluster_needs_both_maintenance_windows() -> None:
    rule = STACK_RULES["aml-aks-023-maintenance-window"]
    cluster = stack_resource(CLUSTER_TOKEN, "aks", {"resourceName": "aks"})
    other = stack_resource(CLUSTER_TOKEN, "other", {"resourceName": "other"})
    upgrade = _maintenance("aksManagedAutoUpgradeSchedule", cluster)
    node_os = _maintenance("AKSManagedNodeOSUpgradeSchedule", cluster)
    assert run_stack(rule, cluster, upgrade, node_os) == []
    assert run_stack(rule, cluster, upgrade, _maintenance("aksManagedNodeOSUpgradeSchedule", other)) == [
        (
            f"{CLUSTER_TOKEN} 'aks' has no MaintenanceConfiguration 'aksManagedNodeOSUpgradeSchedule'; the node OS "
            "channel's node-image updates then run whenever AKS chooses: give them a planned window",
            cluster.urn,
        )
    ]
    empty = _maintenance("aksManagedAutoUpgradeSchedule", cluster, {"startTime": "00:00"})
    two = _maintenance(
        "aksManagedNodeOSUpgradeSchedule", cluster, {"schedule": {"daily": {"intervalDays": 1}, **WEEKLY["schedule"]}}
    )
    found = run_stack(rule, cluster, empty, two)
    assert [m for m, _ in found][:2] == [
        "MaintenanceConfiguration 'aksManagedAutoUpgradeSchedule' (aksManagedAutoUpgradeSchedule) has no "
        "maintenanceWindow.schedule; give its maintenanceWindow exactly one of daily, weekly, absoluteMonthly, "
        "relativeMonthly",
        "MaintenanceConfiguration 'aksManagedNodeOSUpgradeSchedule' (aksManagedNodeOSUpgradeSchedule) has schedules "
        "['daily', 'weekly']; give its maintenanceWindow exactly one of daily, weekly, absoluteMonthly, "
        "relativeMonthly",
    ]
    assert len(found) == 4  # and the cluster lacks both windows
    assert run_stack(rule, _maintenance("default", cluster)) == []  # no cluster in the stack: nothing to judge


def test_a_separate_pool_follows_its_clusters_version() -> None:
    rule = STACK_RULES["aml-aks-022-agent-pool-version"]
    cluster = stack_resource(CLUSTER_TOKEN, "aks", {"resourceName": "aks", "kubernetesVersion": "1.32"})

    def pool(version: str | None) -> PolicyResource:
        props = {"resourceName": UNKNOWN_STRING_VALUE, **({"orchestratorVersion": version} if version else {})}
        return stack_resource(POOL_TOKEN, "gpu", props, {"resourceName": [cluster]})

    assert run_stack(rule, cluster, pool(None)) == []
    assert run_stack(rule, cluster, pool("1.32")) == []
    behind = pool("1.31")
    assert run_stack(rule, cluster, behind) == [
        (
            "AgentPool 'gpu' pins orchestratorVersion '1.31'; cluster 'aks' runs kubernetesVersion '1.32': leave "
            "orchestratorVersion unset or set it to the cluster's version",
            behind.urn,
        )
    ]
    outside = stack_resource(POOL_TOKEN, "ext", {"resourceName": "elsewhere", "orchestratorVersion": "1.32"})
    assert [m for m, _ in run_stack(rule, cluster, outside)] == [
        "AgentPool 'ext' pins orchestratorVersion '1.32', but its cluster is not in this stack, so the version cannot "
        "be compared with the control plane's; leave it unset so the pool follows the control plane"
    ]
