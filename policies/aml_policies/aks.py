"""Rules for AKS clusters used as Azure ML inference targets.

azure-native flattens the cluster's properties: ``containerservice:ManagedCluster`` (API 2025-09-01 in
pulumi-azure-native 3.29.0) sends ``apiServerAccessProfile``, ``aadProfile``, ``disableLocalAccounts``,
``sku``, ``networkProfile``, ``autoUpgradeProfile``, ``addonProfiles`` and ``agentPoolProfiles`` at the top
level, and ``containerservice:AgentPool`` sends ``availabilityZones``, ``enableAutoScaling``, ``minCount``,
``maxCount``, ``nodeTaints`` and ``mode`` at the top level. Enum values are the SDK's
(``containerservice/_enums.py``): ``UpgradeChannel`` rapid | stable | patch | node-image | none;
``NodeOSUpgradeChannel`` None | Unmanaged | NodeImage | SecurityPatch; ``NetworkPolicy`` none | calico |
azure | cilium; ``ManagedClusterSKUTier`` Free | Standard | Premium; ``AgentPoolMode`` System | User |
Gateway.

Defaults that decide what a missing value means: ``upgradeChannel`` is none, so missing fails;
``nodeOSUpgradeChannel`` is NodeImage for clusters created with API 2023-06-01 or later ("Auto-upgrade
node OS images", learn.microsoft.com/azure/aks/auto-upgrade-node-image), but the built-in "Azure Kubernetes
Service Clusters should enable node os auto-upgrade" (04408ca5-aa10-42ce-8536-98955cdddd4c) and PSRule's
Azure.AKS.NodeAutoUpgrade fail a cluster that does not say so, and so does this pack; the SKU tier
is Free, local accounts are enabled, the cluster autoscaler is off and a separate agent pool is a User pool.
Further defaults (SDK docstrings of ``ManagedClusterAPIServerAccessProfileArgs``,
``ManagedClusterAgentPoolProfileArgs``, ``AgentPoolSecurityProfileArgs``): ``disableRunCommand`` false
(command invoke on), ``enableEncryptionAtHost`` false, ``enableNodePublicIP`` false, ``securityProfile.sshAccess``
unset (the built-in 28257686 treats that as ``LocalUser``; enum ``AgentPoolSSHAccess`` LocalUser | Disabled),
``enableRBAC`` true; ``ResourceIdentityType`` SystemAssigned | UserAssigned | None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import Any

from aml_policies.core import (
    MISSING,
    Check,
    Config,
    Props,
    ResourceRule,
    Stack,
    StackRule,
    all_of,
    equals,
    get,
    items,
    not_equal,
    number,
    one_of,
    type_key,
)

MANAGED_CLUSTER = ("containerservice:ManagedCluster",)
AGENT_POOL = ("containerservice:AgentPool",)
ZONES = ("1", "2", "3")


def _pools(props: Props) -> Iterator[tuple[str, Any]]:
    """Each pool of a cluster with the path prefix that names it in messages."""
    for i, pool in enumerate(items(props, "agentPoolProfiles")):
        name = get(pool, "name")
        label = f"agentPoolProfiles[{i}]" if name is MISSING else f"agentPoolProfiles[{i}] ({name})"
        yield f"{label}.", pool


PoolCheck = Callable[[Any, Config, str], Iterable[str]]
"""A check of one pool: its props, the config and the path prefix that names the pool in messages."""


def _each_pool(check: PoolCheck) -> Check:
    """Run a per-pool check over every ``agentPoolProfiles[]`` entry of a cluster."""

    def run(props: Props, config: Config) -> Iterator[str]:
        for prefix, pool in _pools(props):
            yield from check(pool, config, prefix)

    return run


def _own_pool(check: PoolCheck) -> Check:
    """Run a per-pool check over an ``AgentPool`` resource."""

    def run(props: Props, config: Config) -> Iterator[str]:
        yield from check(props, config, "")

    return run


# --- AML-AKS-001 ------------------------------------------------------------------------------------
def _zones(pool: Any, _config: Config, prefix: str) -> Iterator[str]:
    zones = [str(z) for z in items(pool, "availabilityZones")]
    if not zones:
        yield f"{prefix}availabilityZones is not set; it must be {list(ZONES)!r}"
    elif sorted(set(zones)) != list(ZONES):
        yield f"{prefix}availabilityZones is {zones!r}; it must be {list(ZONES)!r}"


# --- AML-AKS-008 ------------------------------------------------------------------------------------
def _autoscaled(pool: Any, _config: Config, prefix: str, *, default_mode: str) -> Iterator[str]:
    enabled = get(pool, "enableAutoScaling")
    if enabled is not True:
        found = "is not set" if enabled is MISSING else f"is {enabled!r}"
        yield f"{prefix}enableAutoScaling {found}; it must be True (the cluster autoscaler is off by default)"
    low, high = get(pool, "minCount"), get(pool, "maxCount")
    if low is MISSING or high is MISSING:
        missing = " and ".join(k for k, v in (("minCount", low), ("maxCount", high)) if v is MISSING)
        yield f"{prefix}{missing} not set; the autoscaler needs both minCount and maxCount"
    elif low > high:
        yield f"{prefix}minCount is {number(low)}; it must not exceed maxCount ({number(high)})"
    mode = get(pool, "mode")
    if (default_mode if mode is MISSING else mode) == "User" and not items(pool, "nodeTaints"):
        yield (
            f"{prefix}nodeTaints is not set; a User pool must carry a taint (e.g. "
            "'workload=inference:NoSchedule') so that only inference workloads that tolerate it run there"
        )


# --- AML-AKS-007 ------------------------------------------------------------------------------------
def _key(mapping: Any, name: str) -> Any:
    """The value under ``name`` in a user-keyed map, ignoring case (``omsagent`` / ``omsAgent``)."""
    if not isinstance(mapping, Mapping):
        return MISSING
    for key in mapping:
        if str(key).lower() == name.lower():
            return mapping[key]
    return MISSING


def _addons(props: Props, _config: Config) -> Iterator[str]:
    profiles = get(props, "addonProfiles")
    oms = _key(profiles, "omsagent")
    if oms is MISSING or get(oms, "enabled") is not True:
        yield (
            "addonProfiles.omsagent is not enabled; enable it with config.logAnalyticsWorkspaceResourceID "
            "(Container insights to Log Analytics)"
        )
    elif not _key(get(oms, "config"), "logAnalyticsWorkspaceResourceID"):
        yield (
            "addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID is not set; name the Log Analytics workspace"
        )
    policy = _key(profiles, "azurepolicy")
    if policy is MISSING or get(policy, "enabled") is not True:
        yield "addonProfiles.azurepolicy is not enabled; it must be enabled (the Azure Policy add-on)"


# --- AML-AKS-002 (nodes), AML-AKS-010, AML-AKS-011 -------------------------------------------------
def _no_node_public_ip(pool: Any, _config: Config, prefix: str) -> Iterator[str]:
    if get(pool, "enableNodePublicIP") is True:
        yield f"{prefix}enableNodePublicIP is True; it must not be (nodes stay on private addresses)"


def _encryption_at_host(pool: Any, _config: Config, prefix: str) -> Iterator[str]:
    value = get(pool, "enableEncryptionAtHost")
    if value is not True:
        found = "is not set" if value is MISSING else f"is {value!r}"
        yield (
            f"{prefix}enableEncryptionAtHost {found}; it must be True (temp disks and disk caches encrypted at "
            "the host; needs the Microsoft.Compute/EncryptionAtHost subscription feature)"
        )


def _ssh_disabled(pool: Any, _config: Config, prefix: str) -> Iterator[str]:
    value = get(pool, "securityProfile.sshAccess")
    if value != "Disabled":
        found = "is not set (the default is LocalUser)" if value is MISSING else f"is {value!r}"
        yield f"{prefix}securityProfile.sshAccess {found}; it must be 'Disabled'"


# --- AML-AKS-003 (identity) ------------------------------------------------------------------------
def _managed_identity(props: Props, _config: Config) -> Iterator[str]:
    kind = get(props, "identity.type")
    if kind is MISSING:
        yield "identity.type is not set; it must be 'SystemAssigned' or 'UserAssigned' (a managed identity)"
    elif kind not in ("SystemAssigned", "UserAssigned"):
        yield f"identity.type is {kind!r}; it must be 'SystemAssigned' or 'UserAssigned' (a managed identity)"
    client = get(props, "servicePrincipalProfile.clientId")
    if client is not MISSING and client != "msi":
        yield (
            f"servicePrincipalProfile.clientId is {client!r}; the cluster must use its managed identity, not a "
            "service principal (set no clientId, or 'msi')"
        )


# --- AML-AKS-012 ------------------------------------------------------------------------------------
INSECURE_ADDONS = {
    "httpApplicationRouting": "a public DNS zone and ingress not meant for production",
    "kubeDashboard": "the Kubernetes dashboard, removed from AKS and a known attack path",
}


def _no_insecure_addons(props: Props, _config: Config) -> Iterator[str]:
    profiles = get(props, "addonProfiles")
    for addon, why in INSECURE_ADDONS.items():
        profile = _key(profiles, addon)
        if profile is not MISSING and get(profile, "enabled") is True:
            yield f"addonProfiles.{addon} is enabled; it must not be ({why})"


# --- AML-AKS-009 ------------------------------------------------------------------------------------
ML_EXTENSION = "microsoft.azureml.kubernetes"
COMPUTE = "machinelearningservices:Compute"
EXTENSION = "kubernetesconfiguration:Extension"


def _ml_extension(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """A cluster attached as Kubernetes compute has the Azure ML extension, and the attach waits for it."""
    extensions = [e for e in stack.of_type(EXTENSION) if str(get(e.props, "extensionType")).lower() == ML_EXTENSION]
    for compute in stack.of_type(COMPUTE):
        if get(compute.props, "properties.computeType") != "Kubernetes":
            continue
        clusters = [
            c
            for c in stack.targets(compute, "properties", "resourceId")
            if type_key(c.resource_type) == MANAGED_CLUSTER[0]
        ]
        for cluster in clusters:  # a cluster outside the stack is not judged
            installed = [e for e in extensions if cluster in stack.targets(e, "clusterName")]
            if not installed:
                yield (
                    f"Kubernetes compute {compute.name!r} attaches AKS cluster {cluster.name!r}, which has no "
                    f"kubernetesconfiguration Extension of type {ML_EXTENSION!r}; the attach fails without it",
                    compute.urn,
                )
                continue
            waits_for = {d.urn for d in compute.dependencies} | {
                d.urn for deps in compute.property_dependencies.values() for d in deps
            }
            if not any(e.urn in waits_for for e in installed):
                yield (
                    f"Kubernetes compute {compute.name!r} does not wait for the Azure ML extension on cluster "
                    f"{cluster.name!r}; make the attach depend on it",
                    compute.urn,
                )


RULES: tuple[ResourceRule | StackRule, ...] = (
    ResourceRule(
        control="AML-AKS-001",
        name="cluster-pool-zones",
        types=MANAGED_CLUSTER,
        description="every agentPoolProfiles[] entry has availabilityZones '1', '2' and '3'.",
        check=_each_pool(_zones),
    ),
    ResourceRule(
        control="AML-AKS-001",
        name="agent-pool-zones",
        types=AGENT_POOL,
        description="availabilityZones is '1', '2' and '3'.",
        check=_own_pool(_zones),
    ),
    ResourceRule(
        control="AML-AKS-002",
        name="private-api-server",
        types=MANAGED_CLUSTER,
        description="apiServerAccessProfile.enablePrivateCluster and apiServerAccessProfile.disableRunCommand "
        "are true (missing values fail: command invoke is on by default).",
        check=all_of(
            equals("apiServerAccessProfile.enablePrivateCluster", True),
            equals(
                "apiServerAccessProfile.disableRunCommand",
                True,
                why="command invoke bypasses the private API server",
            ),
        ),
    ),
    ResourceRule(
        control="AML-AKS-002",
        name="cluster-pool-no-node-public-ip",
        types=MANAGED_CLUSTER,
        description="no agentPoolProfiles[] entry has enableNodePublicIP true (missing passes: the default is false).",
        check=_each_pool(_no_node_public_ip),
    ),
    ResourceRule(
        control="AML-AKS-002",
        name="agent-pool-no-node-public-ip",
        types=AGENT_POOL,
        description="enableNodePublicIP is not true (missing passes: the default is false).",
        check=_own_pool(_no_node_public_ip),
    ),
    ResourceRule(
        control="AML-AKS-003",
        name="entra-rbac-no-local-accounts",
        types=MANAGED_CLUSTER,
        description="aadProfile.managed and aadProfile.enableAzureRBAC are true and disableLocalAccounts is "
        "true (missing values fail).",
        check=all_of(
            equals("aadProfile.managed", True),
            equals("aadProfile.enableAzureRBAC", True),
            equals("disableLocalAccounts", True),
        ),
    ),
    ResourceRule(
        control="AML-AKS-003",
        name="managed-identity-kubernetes-rbac",
        types=MANAGED_CLUSTER,
        description="identity.type is 'SystemAssigned' or 'UserAssigned' (missing fails), "
        "servicePrincipalProfile.clientId is absent or 'msi', and enableRBAC is not false (missing passes: the "
        "default is true).",
        check=all_of(_managed_identity, not_equal("enableRBAC", False, why="Kubernetes RBAC stays on")),
    ),
    ResourceRule(
        control="AML-AKS-004",
        name="standard-tier",
        types=MANAGED_CLUSTER,
        description="sku.tier is 'Standard' or 'Premium' (a missing value fails: the default is Free).",
        check=one_of("sku.tier", ("Standard", "Premium"), why="the Free tier has no uptime SLA"),
    ),
    ResourceRule(
        control="AML-AKS-005",
        name="azure-cni-network-policy",
        types=MANAGED_CLUSTER,
        description="networkProfile.networkPlugin is 'azure' and networkProfile.networkPolicy is 'azure', "
        "'calico' or 'cilium' (missing values fail).",
        check=all_of(
            equals("networkProfile.networkPlugin", "azure"),
            one_of("networkProfile.networkPolicy", ("azure", "calico", "cilium")),
        ),
    ),
    ResourceRule(
        control="AML-AKS-006",
        name="auto-upgrade",
        types=MANAGED_CLUSTER,
        description="autoUpgradeProfile.upgradeChannel is 'patch', 'stable', 'rapid' or 'node-image' (a "
        "missing value fails: the default is none); autoUpgradeProfile.nodeOSUpgradeChannel is 'NodeImage' "
        "or 'SecurityPatch' (a missing value fails, as built-in 04408ca5 and PSRule's NodeAutoUpgrade do).",
        check=all_of(
            one_of("autoUpgradeProfile.upgradeChannel", ("patch", "stable", "rapid", "node-image")),
            one_of("autoUpgradeProfile.nodeOSUpgradeChannel", ("NodeImage", "SecurityPatch")),
        ),
    ),
    ResourceRule(
        control="AML-AKS-007",
        name="monitoring-and-policy-addons",
        types=MANAGED_CLUSTER,
        description="addonProfiles.omsagent is enabled with config.logAnalyticsWorkspaceResourceID and "
        "addonProfiles.azurepolicy is enabled.",
        check=_addons,
    ),
    ResourceRule(
        control="AML-AKS-008",
        name="cluster-pool-autoscaling",
        types=MANAGED_CLUSTER,
        description="every agentPoolProfiles[] entry has enableAutoScaling true with minCount and maxCount; "
        "pools with mode 'User' carry at least one nodeTaint.",
        check=_each_pool(partial(_autoscaled, default_mode="System")),
    ),
    ResourceRule(
        control="AML-AKS-008",
        name="agent-pool-autoscaling",
        types=AGENT_POOL,
        description="enableAutoScaling is true with minCount and maxCount; a User pool (the default mode of "
        "a separate agent pool) carries at least one nodeTaint.",
        check=_own_pool(partial(_autoscaled, default_mode="User")),
    ),
    ResourceRule(
        control="AML-AKS-010",
        name="cluster-pool-encryption-at-host",
        types=MANAGED_CLUSTER,
        description="every agentPoolProfiles[] entry has enableEncryptionAtHost true (missing fails: the default "
        "is false).",
        check=_each_pool(_encryption_at_host),
    ),
    ResourceRule(
        control="AML-AKS-010",
        name="agent-pool-encryption-at-host",
        types=AGENT_POOL,
        description="enableEncryptionAtHost is true (missing fails: the default is false).",
        check=_own_pool(_encryption_at_host),
    ),
    ResourceRule(
        control="AML-AKS-011",
        name="cluster-pool-ssh-disabled",
        types=MANAGED_CLUSTER,
        description="every agentPoolProfiles[] entry has securityProfile.sshAccess 'Disabled' (missing fails: "
        "treated as LocalUser).",
        check=_each_pool(_ssh_disabled),
    ),
    ResourceRule(
        control="AML-AKS-011",
        name="agent-pool-ssh-disabled",
        types=AGENT_POOL,
        description="securityProfile.sshAccess is 'Disabled' (missing fails: treated as LocalUser).",
        check=_own_pool(_ssh_disabled),
    ),
    ResourceRule(
        control="AML-AKS-012",
        name="no-insecure-addons",
        types=MANAGED_CLUSTER,
        description="addonProfiles.httpApplicationRouting and addonProfiles.kubeDashboard are not enabled (keys "
        "matched ignoring case; absent passes).",
        check=_no_insecure_addons,
    ),
    StackRule(
        control="AML-AKS-009",
        name="attached-cluster-ml-extension",
        description="a Kubernetes compute whose properties.resourceId names an AKS cluster of the stack has an "
        "Extension of type 'microsoft.azureml.kubernetes' on that cluster, and depends on it.",
        check=_ml_extension,
    ),
)
