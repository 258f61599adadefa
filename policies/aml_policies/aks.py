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

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from aml_catalogue.facts import (
    IMAGE_CLEANER_INTERVAL_HOURS,
    MIN_POOL_NODES,
    MIN_POOL_PODS,
    SUPPORTED_UPGRADE_CHANNELS,
)
from aml_policies.core import (
    MISSING,
    Config,
    DescribedCheck,
    Props,
    ResourceRule,
    Stack,
    StackRule,
    Unreadable,
    all_of,
    as_number,
    describe,
    described,
    equals,
    get,
    is_true,
    items,
    not_equal,
    number,
    one_of,
    present,
    same,
    same_any,
    type_key,
    where_equals,
)

MANAGED_CLUSTER = ("containerservice:ManagedCluster",)
AGENT_POOL = ("containerservice:AgentPool",)
ZONES = ("1", "2", "3")
#: What Azure assumes of a pool that does not say, by where the pool is declared: an ``agentPoolProfiles[]``
#: entry without a mode is a System pool, a separate AgentPool resource a User pool.
CLUSTER_POOL_DEFAULTS: Mapping[str, Any] = {"mode": "System"}
AGENT_POOL_DEFAULTS: Mapping[str, Any] = {"mode": "User"}


class _Pool(Mapping[str, Any]):
    """A pool's own properties, over what Azure assumes where the pool says nothing (unset or null)."""

    def __init__(self, own: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
        self._own, self._defaults = own, defaults

    def __getitem__(self, key: str) -> Any:
        if key in self._own and self._own[key] is not None:
            return self._own[key]
        return self._defaults[key]

    def __iter__(self) -> Iterator[str]:
        yield from self._own
        yield from (k for k in self._defaults if k not in self._own)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _with_defaults(pool: Any, defaults: Mapping[str, Any]) -> Any:
    return _Pool(pool, defaults) if isinstance(pool, Mapping) else pool


def _pool_rules(control: str, name: str, check: DescribedCheck) -> tuple[ResourceRule, ResourceRule]:
    """The two rules of one node-pool check: ``cluster-pool-<name>`` judges every ``agentPoolProfiles[]`` entry of
    a ManagedCluster (each message names its pool), ``agent-pool-<name>`` every standalone AgentPool. Both take
    their description from the check."""
    text = describe(check)
    if text is None:
        raise ValueError(f"{control} {name}: a pool check describes itself")

    def each_pool(props: Props, config: Config) -> Iterator[str]:
        for i, pool in enumerate(items(props, "agentPoolProfiles")):
            if not isinstance(pool, Mapping):
                raise Unreadable(f"agentPoolProfiles.{i}", pool, "an object")
            pool_name = get(pool, "name")
            label = f"agentPoolProfiles[{i}]" if pool_name is MISSING else f"agentPoolProfiles[{i}] ({pool_name})"
            for message in check(_with_defaults(pool, CLUSTER_POOL_DEFAULTS), config):
                yield f"{label}.{message}"

    def agent_pool(props: Props, config: Config) -> Iterator[str]:
        yield from check(_with_defaults(props, AGENT_POOL_DEFAULTS), config)

    return (
        ResourceRule(
            control=control,
            name=f"cluster-pool-{name}",
            types=MANAGED_CLUSTER,
            check=each_pool,
            description=f"every agentPoolProfiles[] entry: {text}.",
        ),
        ResourceRule(
            control=control, name=f"agent-pool-{name}", types=AGENT_POOL, check=agent_pool, description=f"{text}."
        ),
    )


# --- AML-AKS-001 ------------------------------------------------------------------------------------
@described(f"availabilityZones is {', '.join(repr(z) for z in ZONES[:-1])} and {ZONES[-1]!r}")
def _zones(pool: Any, _config: Config) -> Iterator[str]:
    zones = [str(number(z)) for z in items(pool, "availabilityZones")]
    if not zones:
        yield f"availabilityZones is not set; it must be {list(ZONES)!r}"
    elif sorted(set(zones)) != list(ZONES):
        yield f"availabilityZones is {zones!r}; it must be {list(ZONES)!r}"


# --- AML-AKS-008 ------------------------------------------------------------------------------------
#: Taint effects that keep other pods off a node (Kubernetes ``TaintEffect``; case-sensitive, as Kubernetes reads
#: them). ``PreferNoSchedule`` only asks the scheduler to avoid the node, so it does not count.
HARD_TAINT_EFFECTS = ("NoSchedule", "NoExecute")
#: The one soft taint accepted: ``key=value:PreferNoSchedule`` on a pool that also carries the node label
#: ``key=value``. The Azure ML extension and its inference pods cannot be given tolerations: its only placement
#: setting is ``nodeSelector.<key>=<value>`` (Azure/AML-Kubernetes #210, maintainer answer; the InstanceType
#: resource holds nodeSelector and resources only, docs/instance-type.md), so a NoSchedule taint would leave them
#: Pending. Such a pool is dedicated by its label (the extension's nodeSelector) and the soft taint keeps other
#: pods away unless no other node fits.
PINNED_POOL = "key=value:PreferNoSchedule with nodeLabels key=value"
_TAINT_EXAMPLE = "'workload=inference:NoSchedule'"


def _effect(taint: str) -> str:
    """The effect of a taint written ``key=value:Effect`` or ``key:Effect`` ("" when it has no key or effect)."""
    key, sep, effect = taint.strip().rpartition(":")
    return effect.strip() if sep and key.strip() else ""


def _hard_taint(pool: Any) -> Iterator[str]:
    """A User pool (mode compared ignoring case) carries a taint with effect NoSchedule or NoExecute."""
    mode = get(pool, "mode")
    if mode is MISSING:
        return
    if not isinstance(mode, str):
        yield f"mode is {mode!r}, which is unreadable; it must be 'System' or 'User'"
        return
    if mode.strip().lower() != "user":
        return
    taints = get(pool, "nodeTaints")
    if taints is MISSING or (isinstance(taints, Sequence) and not isinstance(taints, str) and not taints):
        yield (
            f"nodeTaints is not set; a User pool must carry a NoSchedule or NoExecute taint (e.g. {_TAINT_EXAMPLE}) "
            "so that only inference workloads that tolerate it run there"
        )
        return
    if not isinstance(taints, Sequence) or isinstance(taints, str):
        yield f"nodeTaints is {taints!r}, which is unreadable; it must be a list of 'key=value:Effect' strings"
        return
    entries = list(taints)
    unreadable = [i for i, t in enumerate(entries) if not isinstance(t, str)]
    for i in unreadable:
        yield f"nodeTaints[{i}] is {entries[i]!r}, which is unreadable; a taint is a 'key=value:Effect' string"
    if unreadable:
        return
    if any(_effect(t) in HARD_TAINT_EFFECTS for t in entries):
        return
    if any(_effect(t) == "PreferNoSchedule" and _label_of(t) in _labels(pool) for t in entries):
        return  # a pool dedicated by label: see PINNED_POOL
    yield (
        f"nodeTaints is {entries!r}; none has effect NoSchedule or NoExecute (PreferNoSchedule only asks the "
        f"scheduler to avoid the pool, so other pods still land on it): add e.g. {_TAINT_EXAMPLE}, or, for "
        "workloads that cannot tolerate a taint (the Azure ML extension), a PreferNoSchedule taint whose key=value "
        "is also a nodeLabel of the pool, which their nodeSelector pins them to"
    )


def _label_of(taint: str) -> tuple[str, str] | None:
    """The ``key=value`` of a taint written ``key=value:Effect`` (None without a value)."""
    head = taint.strip().rpartition(":")[0]
    key, sep, value = head.partition("=")
    return (key.strip(), value.strip()) if sep and key.strip() else None


def _labels(pool: Any) -> set[tuple[str, str]]:
    labels = get(pool, "nodeLabels")
    if not isinstance(labels, Mapping):
        return set()
    return {(str(k), v) for k, v in labels.items() if isinstance(v, str)}


@described(
    "enableAutoScaling is true with minCount and maxCount; a pool whose mode is 'User' (compared ignoring case) "
    "carries at least one nodeTaint with effect NoSchedule or NoExecute ('key=value:Effect' or 'key:Effect'), or "
    "a 'key=value:PreferNoSchedule' taint together with the nodeLabel key=value (a pool dedicated by label, for the "
    "Azure ML extension, which cannot tolerate taints); any other PreferNoSchedule-only pool fails; without a mode, "
    "an agentPoolProfiles[] entry is a System pool and a separate AgentPool a User pool"
)
def _autoscaled(pool: Any, _config: Config) -> Iterator[str]:
    enabled = get(pool, "enableAutoScaling")
    if not is_true(enabled):
        found = "is not set" if enabled is MISSING else f"is {enabled!r}"
        yield f"enableAutoScaling {found}; it must be True (the cluster autoscaler is off by default)"
    low, high = get(pool, "minCount"), get(pool, "maxCount")
    if low is MISSING or high is MISSING:
        missing = " and ".join(k for k, v in (("minCount", low), ("maxCount", high)) if v is MISSING)
        yield f"{missing} not set; the autoscaler needs both minCount and maxCount"
    elif not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)):
        # Kept strict: counts written as strings are not read as numbers here (the AKS resource provider decodes
        # JSON by type); an unreadable count fails, which is the safe side.
        yield (
            f"minCount is {number(low)!r} and maxCount is {number(high)!r}, which are unreadable; both must be numbers"
        )
    elif low > high:
        yield f"minCount is {number(low)}; it must not exceed maxCount ({number(high)})"
    yield from _hard_taint(pool)


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
    if oms is MISSING or not is_true(get(oms, "enabled")):
        yield (
            "addonProfiles.omsagent is not enabled; enable it with config.logAnalyticsWorkspaceResourceID "
            "(Container insights to Log Analytics)"
        )
    elif not _key(get(oms, "config"), "logAnalyticsWorkspaceResourceID"):
        yield (
            "addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID is not set; name the Log Analytics workspace"
        )
    policy = _key(profiles, "azurepolicy")
    if policy is MISSING or not is_true(get(policy, "enabled")):
        yield "addonProfiles.azurepolicy is not enabled; it must be enabled (the Azure Policy add-on)"


# --- AML-AKS-003 (identity) ------------------------------------------------------------------------
@described(
    "identity.type is 'SystemAssigned' or 'UserAssigned' (missing fails) and servicePrincipalProfile.clientId is "
    "absent or 'msi'"
)
def _managed_identity(props: Props, _config: Config) -> Iterator[str]:
    kind = get(props, "identity.type")
    if kind is MISSING:
        yield "identity.type is not set; it must be 'SystemAssigned' or 'UserAssigned' (a managed identity)"
    elif not same_any(kind, ("SystemAssigned", "UserAssigned"), "identity.type"):
        yield f"identity.type is {kind!r}; it must be 'SystemAssigned' or 'UserAssigned' (a managed identity)"
    client = get(props, "servicePrincipalProfile.clientId")
    if client is not MISSING and not same(client, "msi", "servicePrincipalProfile.clientId"):
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
        if profile is not MISSING and is_true(get(profile, "enabled")):
            yield f"addonProfiles.{addon} is enabled; it must not be ({why})"


# --- AML-AKS-009 ------------------------------------------------------------------------------------
ML_EXTENSION = "microsoft.azureml.kubernetes"
COMPUTE = "machinelearningservices:Compute"
EXTENSION = "kubernetesconfiguration:Extension"


def _ml_extension(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """A cluster attached as Kubernetes compute has the Azure ML extension, and the attach waits for it."""
    extensions = [e for e in stack.of_type(EXTENSION) if str(get(e.props, "extensionType")).lower() == ML_EXTENSION]
    for compute in stack.of_type(COMPUTE):
        kind = get(compute.props, "properties.computeType")
        if kind is MISSING or not same(kind, "Kubernetes", "properties.computeType"):
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


# --- AML-AKS-013 ------------------------------------------------------------------------------------
#: The Azure ML extension's configuration settings (MicrosoftDocs/azure-ai-docs how-to-deploy-kubernetes-extension,
#: "Review Azure Machine Learning extension configuration settings"): allowInsecureConnections (default False:
#: HTTPS only), inferenceRouterServiceType (loadBalancer | nodePort | clusterIP), internalLoadBalancerProvider
#: ("azure": the load balancer gets a private address; AKS only), sslCname with sslSecret or the certificate.
ROUTER_TYPES = ("loadBalancer", "nodePort", "clusterIP")


@described(
    "configurationSettings.allowInsecureConnections is not true; with enableInference, the inference router is a "
    "clusterIP or nodePort service, or a loadBalancer with internalLoadBalancerProvider 'azure' (never a public "
    "load balancer), and HTTPS names sslCname (settings compared ignoring case of their values)"
)
def _private_https_router(props: Props, _config: Config) -> Iterator[str]:
    settings = get(props, "configurationSettings")
    settings = settings if settings is not MISSING else {}
    if not isinstance(settings, Mapping):
        raise Unreadable("configurationSettings", settings, "an object")
    if not is_true(settings.get("enableInference", MISSING)):
        return
    insecure = settings.get("allowInsecureConnections", MISSING)
    if is_true(insecure):
        yield (
            f"configurationSettings.allowInsecureConnections is {insecure!r}; it must be False: the inference "
            "router then serves HTTPS only"
        )
    elif settings.get("sslCname", MISSING) in (MISSING, ""):
        yield "configurationSettings.sslCname is not set; HTTPS scoring needs the router's host name and certificate"
    router = settings.get("inferenceRouterServiceType", MISSING)
    if router is MISSING:
        yield (
            "configurationSettings.inferenceRouterServiceType is not set; it must be clusterIP, nodePort or an "
            "internal loadBalancer"
        )
    elif not same_any(router, ROUTER_TYPES, "configurationSettings.inferenceRouterServiceType"):
        yield (
            f"configurationSettings.inferenceRouterServiceType is {router!r}; it must be one of "
            + ", ".join(ROUTER_TYPES)
        )
    elif same(router, "loadBalancer") and not same(settings.get("internalLoadBalancerProvider", MISSING), "azure"):
        yield (
            "configurationSettings.inferenceRouterServiceType is 'loadBalancer' without internalLoadBalancerProvider "
            "'azure': the inference router gets a public IP; set internalLoadBalancerProvider to 'azure'"
        )


# --- AML-AKS-017 ------------------------------------------------------------------------------------
@described(
    "securityProfile.imageCleaner.enabled is true (missing fails) and securityProfile.imageCleaner.intervalHours is "
    f"a number from {IMAGE_CLEANER_INTERVAL_HOURS[0]} to {IMAGE_CLEANER_INTERVAL_HOURS[1]} (missing fails: ARM "
    "clients must set it)"
)
def _image_cleaner(props: Props, _config: Config) -> Iterator[str]:
    enabled = get(props, "securityProfile.imageCleaner.enabled")
    if not is_true(enabled):
        found = "is not set" if enabled is MISSING else f"is {enabled!r}"
        yield (
            f"securityProfile.imageCleaner.enabled {found}; it must be True (unused images with known "
            "vulnerabilities stay on the nodes otherwise)"
        )
        return
    hours = get(props, "securityProfile.imageCleaner.intervalHours")
    low, high = IMAGE_CLEANER_INTERVAL_HOURS
    read = as_number(hours)
    if hours is MISSING:
        yield f"securityProfile.imageCleaner.intervalHours is not set; set it to {low} to {high} hours"
    elif read is None or not low <= read <= high:
        yield f"securityProfile.imageCleaner.intervalHours is {hours!r}; it must be {low} to {high} hours"


# --- AML-AKS-029 ------------------------------------------------------------------------------------
KMS = "securityProfile.azureKeyVaultKms"


@described(
    f"{KMS}.enabled is true (missing fails: Azure's default is false), {KMS}.keyId is set, "
    f"{KMS}.keyVaultNetworkAccess is 'Private' (missing fails: Azure's default is 'Public'), "
    f"{KMS}.keyVaultResourceId is set, and apiServerAccessProfile.enableVnetIntegration is true (a private KMS "
    "vault is reached only through API Server VNet Integration)"
)
def _kms(props: Props, _config: Config) -> Iterator[str]:
    enabled = get(props, f"{KMS}.enabled")
    if not is_true(enabled):
        found = "is not set" if enabled is MISSING else f"is {enabled!r}"
        yield (
            f"{KMS}.enabled {found}; it must be True, so that Kubernetes secrets in etcd are encrypted with the "
            "estate's customer-managed key"
        )
        return
    yield from present(f"{KMS}.keyId", why="KMS needs the key identifier (with its version)")(props, _config)
    yield from equals(
        f"{KMS}.keyVaultNetworkAccess", "Private", why="the key vault allows no public access", default="Public"
    )(props, _config)
    yield from present(f"{KMS}.keyVaultResourceId", why="a private key vault is named by its resource id")(
        props, _config
    )
    yield from equals(
        "apiServerAccessProfile.enableVnetIntegration",
        True,
        why="KMS with a private key vault works only through API Server VNet Integration",
        default=False,
    )(props, _config)


# --- AML-AKS-018 ------------------------------------------------------------------------------------
@described(
    "type is 'VirtualMachineScaleSets' (missing passes: Azure's default; 'AvailabilitySet' fails); a pool other than "
    f"a Spot pool (scaleSetPriority 'Spot') keeps at least {MIN_POOL_NODES} nodes: minCount when enableAutoScaling "
    "is true, else count (missing fails)"
)
def _min_nodes(pool: Any, _config: Config) -> Iterator[str]:
    kind = get(pool, "type")
    if kind is not MISSING and not same(kind, "VirtualMachineScaleSets", "type"):
        yield f"type is {kind!r}; it must be 'VirtualMachineScaleSets' (availability-set pools are discouraged)"
    priority = get(pool, "scaleSetPriority")
    if priority is not MISSING and same(priority, "Spot", "scaleSetPriority"):
        return  # burst capacity without a guarantee of availability, as PSRule excludes it
    path = "minCount" if is_true(get(pool, "enableAutoScaling")) else "count"
    nodes = get(pool, path)
    read = as_number(nodes)
    if nodes is MISSING:
        yield f"{path} is not set; keep at least {MIN_POOL_NODES} nodes for failover and upgrades"
    elif read is None:
        raise Unreadable(path, nodes, "a number of nodes")
    elif read < MIN_POOL_NODES:
        yield f"{path} is {number(nodes)!r}; keep at least {MIN_POOL_NODES} nodes for failover and upgrades"


# --- AML-AKS-019 ------------------------------------------------------------------------------------
SECRETS_PROVIDER = "azureKeyvaultSecretsProvider"


def _secret_rotation(props: Props, _config: Config) -> Iterator[str]:
    profile = _key(get(props, "addonProfiles"), SECRETS_PROVIDER)
    if profile is MISSING or not is_true(get(profile, "enabled")):
        return
    rotation = _key(get(profile, "config"), "enableSecretRotation")
    if not is_true(rotation):
        found = "is not set" if rotation is MISSING else f"is {rotation!r}"
        yield (
            f"addonProfiles.{SECRETS_PROVIDER}.config.enableSecretRotation {found}; with the Secrets Store CSI "
            "driver enabled it must be 'true', so that rotated Key Vault secrets reach the pods"
        )


# --- AML-AKS-020 ------------------------------------------------------------------------------------
@described(
    f"maxPods is a number of at least {MIN_POOL_PODS} (missing fails: Azure's default depends on the network plugin, "
    "30 for Azure CNI on the node subnet, and a separate AgentPool does not show its cluster's plugin)"
)
def _max_pods(pool: Any, _config: Config) -> Iterator[str]:
    pods = get(pool, "maxPods")
    read = as_number(pods)
    if pods is MISSING:
        yield (
            f"maxPods is not set; set it to at least {MIN_POOL_PODS} (Azure's default depends on the network plugin "
            "and is 30 for Azure CNI on the node subnet, which monitoring and security DaemonSets can fill)"
        )
    elif read is None:
        raise Unreadable("maxPods", pods, "a number of pods")
    elif read < MIN_POOL_PODS:
        yield f"maxPods is {number(pods)!r}; allow at least {MIN_POOL_PODS} pods per node"


# --- AML-AKS-022 ------------------------------------------------------------------------------------
def _version(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Unreadable(path, value, "a Kubernetes version such as '1.33' or '1.33.2'")
    return value.strip()


def _pool_versions(props: Props, _config: Config) -> Iterator[str]:
    """Every agentPoolProfiles[] entry that pins orchestratorVersion pins the cluster's kubernetesVersion."""
    cluster = get(props, "kubernetesVersion")
    for i, pool in enumerate(items(props, "agentPoolProfiles")):
        if not isinstance(pool, Mapping):
            raise Unreadable(f"agentPoolProfiles.{i}", pool, "an object")
        pinned = get(pool, "orchestratorVersion")
        if pinned is MISSING:
            continue
        label = f"agentPoolProfiles[{i}]" + ("" if get(pool, "name") is MISSING else f" ({get(pool, 'name')})")
        version = _version(pinned, f"agentPoolProfiles.{i}.orchestratorVersion")
        if cluster is MISSING:
            yield (
                f"{label}.orchestratorVersion is {version!r} while kubernetesVersion is not set (AKS picks the "
                "control plane's); leave orchestratorVersion unset so the pool follows the control plane, or set "
                "both to the same version"
            )
        elif version != _version(cluster, "kubernetesVersion"):
            yield (
                f"{label}.orchestratorVersion is {version!r}; it must be the control plane's kubernetesVersion "
                f"({_version(cluster, 'kubernetesVersion')!r}) or unset"
            )


def _agent_pool_versions(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """A separate AgentPool that pins orchestratorVersion pins its cluster's kubernetesVersion."""
    for pool in stack.of_type(*AGENT_POOL):
        pinned = get(pool.props, "orchestratorVersion")
        if pinned is MISSING:
            continue
        version = _version(pinned, "orchestratorVersion")
        clusters = [c for c in stack.targets(pool, "resourceName") if type_key(c.resource_type) == MANAGED_CLUSTER[0]]
        if not clusters:
            yield (
                f"AgentPool {pool.name!r} pins orchestratorVersion {version!r}, but its cluster is not in this stack, "
                "so the version cannot be compared with the control plane's; leave it unset so the pool follows the "
                "control plane",
                pool.urn,
            )
        for cluster in clusters:
            wanted = get(cluster.props, "kubernetesVersion")
            if wanted is MISSING or version != _version(wanted, "kubernetesVersion"):
                shown = "not set (AKS picks it)" if wanted is MISSING else repr(_version(wanted, "kubernetesVersion"))
                yield (
                    f"AgentPool {pool.name!r} pins orchestratorVersion {version!r}; cluster {cluster.name!r} runs "
                    f"kubernetesVersion {shown}: leave orchestratorVersion unset or set it to the cluster's version",
                    pool.urn,
                )


# --- AML-AKS-023 ------------------------------------------------------------------------------------
MAINTENANCE_CONFIGURATION = "containerservice:MaintenanceConfiguration"
#: The planned-maintenance configurations a cluster needs, by name, and what each schedules.
MAINTENANCE_SCHEDULES = {
    "aksManagedAutoUpgradeSchedule": "the auto-upgrade channel's Kubernetes upgrades",
    "aksManagedNodeOSUpgradeSchedule": "the node OS channel's node-image updates",
}
SCHEDULE_KINDS = ("daily", "weekly", "absoluteMonthly", "relativeMonthly")


def _maintenance_windows(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """Every cluster has both managed maintenance configurations, each with a window that has a schedule."""
    for cluster in stack.of_type(*MANAGED_CLUSTER):
        found: set[str] = set()
        for config in stack.referrers(cluster, (MAINTENANCE_CONFIGURATION,), "resourceName"):
            name = get(config.props, "configName")
            known = next((n for n in MAINTENANCE_SCHEDULES if isinstance(name, str) and same(name, n)), None)
            if known is None:
                continue
            schedule = get(config.props, "maintenanceWindow.schedule")
            kinds = [k for k in SCHEDULE_KINDS if isinstance(schedule, Mapping) and get(schedule, k) is not MISSING]
            if len(kinds) != 1:
                yield (
                    f"MaintenanceConfiguration {config.name!r} ({known}) has "
                    + ("no maintenanceWindow.schedule" if not kinds else f"schedules {kinds!r}")
                    + f"; give its maintenanceWindow exactly one of {', '.join(SCHEDULE_KINDS)}",
                    config.urn,
                )
                continue
            found.add(known)
        for missing in (n for n in MAINTENANCE_SCHEDULES if n not in found):
            yield (
                f"{cluster.resource_type} {cluster.name!r} has no MaintenanceConfiguration {missing!r}; "
                f"{MAINTENANCE_SCHEDULES[missing]} then run whenever AKS chooses: give them a planned window",
                cluster.urn,
            )


# --- AML-AKS-025 ------------------------------------------------------------------------------------
#: Outbound types whose egress does not leave through the cluster's public load balancer (enum ``outboundType``,
#: REST API 2025-09-01, modelAsString; ``managedNATGatewayV2`` and ``block`` are newer preview values, listed in
#: "Customize cluster egress with outbound types", MicrosoftDocs/azure-aks-docs egress-outboundtype.md). ``none`` is
#: judged apart: it is only meant for network-isolated clusters, and elsewhere the nodes follow the VM default
#: outbound access.
PRIVATE_EGRESS = ("userAssignedNATGateway", "userDefinedRouting", "managedNATGateway", "managedNATGatewayV2", "block")
_OUTBOUND = "networkProfile.outboundType"


@described(
    f"{_OUTBOUND} is one of {', '.join(PRIVATE_EGRESS)}, or 'none' with bootstrapProfile.artifactSource 'Cache' (a "
    "network-isolated cluster); compared ignoring case; missing fails (Azure's default is 'loadBalancer', egress "
    "through an AKS-assigned public IP) and so does 'loadBalancer'"
)
def _private_egress(props: Props, _config: Config) -> Iterator[str]:
    kind = get(props, _OUTBOUND)
    fix = "use userAssignedNATGateway (a NAT gateway on the subnet) or userDefinedRouting (a route to your firewall)"
    if kind is MISSING:
        yield f"{_OUTBOUND} is not set, so Azure uses 'loadBalancer': egress through a public load balancer; {fix}"
        return
    if same_any(kind, PRIVATE_EGRESS, _OUTBOUND):
        return
    if same(kind, "none", _OUTBOUND):
        source = get(props, "bootstrapProfile.artifactSource")
        if source is not MISSING and same(source, "Cache", "bootstrapProfile.artifactSource"):
            return
        yield (
            f"{_OUTBOUND} is {kind!r} outside a network-isolated cluster (bootstrapProfile.artifactSource 'Cache'): "
            f"the nodes follow the VM default outbound access; {fix}"
        )
    elif same(kind, "loadBalancer", _OUTBOUND):
        yield f"{_OUTBOUND} is {kind!r}: egress through the cluster's public load balancer; {fix}"
    else:
        yield f"{_OUTBOUND} is {kind!r}, which is not a known outbound type; {fix}"


# --- AML-AKS-026 ------------------------------------------------------------------------------------
MANAGED_NAMESPACE = "containerservice:ManagedNamespace"
#: Default network policies that deny traffic from or to other namespaces (enum ``PolicyRule``: DenyAll | AllowAll
#: | AllowSameNamespace). Azure's defaults when unset: ingress AllowSameNamespace, egress AllowAll (the SDK's
#: ``NetworkPoliciesArgs``; "Managed namespaces", MicrosoftDocs/azure-aks-docs concepts-managed-namespaces.md).
CLOSED_POLICIES = ("DenyAll", "AllowSameNamespace")


RULES: tuple[ResourceRule | StackRule, ...] = (
    *_pool_rules("AML-AKS-001", "zones", _zones),
    ResourceRule(
        control="AML-AKS-002",
        name="private-api-server",
        types=MANAGED_CLUSTER,
        check=all_of(
            equals("apiServerAccessProfile.enablePrivateCluster", True),
            equals(
                "apiServerAccessProfile.disableRunCommand",
                True,
                why="command invoke bypasses the private API server",
                default=False,
            ),
        ),
    ),
    *_pool_rules(
        "AML-AKS-002",
        "no-node-public-ip",
        not_equal("enableNodePublicIP", True, why="nodes stay on private addresses", default=False),
    ),
    ResourceRule(
        control="AML-AKS-003",
        name="entra-rbac-no-local-accounts",
        types=MANAGED_CLUSTER,
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
        check=all_of(_managed_identity, not_equal("enableRBAC", False, why="Kubernetes RBAC stays on", default=True)),
    ),
    ResourceRule(
        control="AML-AKS-004",
        name="standard-tier",
        types=MANAGED_CLUSTER,
        check=one_of("sku.tier", ("Standard", "Premium"), why="the Free tier has no uptime SLA", default="Free"),
    ),
    ResourceRule(
        control="AML-AKS-005",
        name="azure-cni-network-policy",
        types=MANAGED_CLUSTER,
        check=all_of(
            equals("networkProfile.networkPlugin", "azure"),
            one_of("networkProfile.networkPolicy", ("azure", "calico", "cilium")),
        ),
    ),
    ResourceRule(
        control="AML-AKS-006",
        name="auto-upgrade",
        types=MANAGED_CLUSTER,
        check=all_of(
            one_of(
                "autoUpgradeProfile.upgradeChannel",
                SUPPORTED_UPGRADE_CHANNELS,
                why="only these keep the cluster on a supported minor version ('patch' stays on one until it leaves "
                "support)",
                default="none",
            ),
            one_of(
                "autoUpgradeProfile.nodeOSUpgradeChannel",
                ("NodeImage", "SecurityPatch"),
                why="as built-in 04408ca5 and PSRule's NodeAutoUpgrade require",
            ),
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
    *_pool_rules("AML-AKS-008", "autoscaling", _autoscaled),
    *_pool_rules(
        "AML-AKS-010",
        "encryption-at-host",
        equals(
            "enableEncryptionAtHost",
            True,
            why="temp disks and disk caches encrypted at the host; needs the Microsoft.Compute/EncryptionAtHost "
            "subscription feature",
            default=False,
        ),
    ),
    *_pool_rules("AML-AKS-011", "ssh-disabled", equals("securityProfile.sshAccess", "Disabled", default="LocalUser")),
    ResourceRule(
        control="AML-AKS-012",
        name="no-insecure-addons",
        types=MANAGED_CLUSTER,
        description="addonProfiles.httpApplicationRouting and addonProfiles.kubeDashboard are not enabled (keys "
        "matched ignoring case; absent passes).",
        check=_no_insecure_addons,
    ),
    ResourceRule(
        control="AML-AKS-013",
        name="ml-extension-private-https-router",
        types=(EXTENSION,),
        where=where_equals("extensionType", ML_EXTENSION, "Azure ML extensions"),
        check=_private_https_router,
    ),
    ResourceRule(
        control="AML-AKS-014",
        name="disk-encryption-set",
        types=MANAGED_CLUSTER,
        check=present(
            "diskEncryptionSetID",
            why="node OS and data disks are encrypted with a customer-managed key through a disk encryption set; "
            "an empty string fails",
        ),
    ),
    ResourceRule(
        control="AML-AKS-015",
        name="defender-profile",
        types=MANAGED_CLUSTER,
        check=all_of(
            equals("securityProfile.defender.securityMonitoring.enabled", True, default=False),
            present(
                "securityProfile.defender.logAnalyticsWorkspaceResourceId",
                why="Defender for Containers reports to a Log Analytics workspace",
            ),
        ),
    ),
    ResourceRule(
        control="AML-AKS-016",
        name="workload-identity",
        types=MANAGED_CLUSTER,
        check=all_of(
            equals("securityProfile.workloadIdentity.enabled", True, default=False),
            equals("oidcIssuerProfile.enabled", True, why="workload identity needs the OIDC issuer", default=False),
        ),
    ),
    ResourceRule(control="AML-AKS-017", name="image-cleaner", types=MANAGED_CLUSTER, check=_image_cleaner),
    *_pool_rules("AML-AKS-018", "min-nodes-scale-sets", _min_nodes),
    ResourceRule(
        control="AML-AKS-019",
        name="secret-store-rotation",
        types=MANAGED_CLUSTER,
        description=f"when addonProfiles.{SECRETS_PROVIDER} is enabled (key matched ignoring case), its "
        "config.enableSecretRotation reads as true (missing fails); a cluster without the add-on passes.",
        check=_secret_rotation,
    ),
    *_pool_rules("AML-AKS-020", "max-pods", _max_pods),
    ResourceRule(
        control="AML-AKS-021",
        name="standard-load-balancer",
        types=MANAGED_CLUSTER,
        check=equals(
            "networkProfile.loadBalancerSku",
            "standard",
            why="the Basic SKU has no availability zones or SLA and is retired",
            default="standard",
        ),
    ),
    ResourceRule(
        control="AML-AKS-022",
        name="pool-versions",
        types=MANAGED_CLUSTER,
        description="every agentPoolProfiles[] entry leaves orchestratorVersion unset (the pool follows the control "
        "plane) or sets the cluster's kubernetesVersion (compared as written, so '1.33' and '1.33.2' differ); a pinned "
        "pool version beside an unset kubernetesVersion fails.",
        check=_pool_versions,
    ),
    StackRule(
        control="AML-AKS-022",
        name="agent-pool-version",
        description="every AgentPool leaves orchestratorVersion unset or sets the kubernetesVersion of the "
        "ManagedCluster its resourceName names; a pinned version whose cluster is not in the stack, or beside an "
        "unset kubernetesVersion, fails.",
        check=_agent_pool_versions,
    ),
    StackRule(
        control="AML-AKS-023",
        name="maintenance-window",
        description="every ManagedCluster has MaintenanceConfigurations named 'aksManagedAutoUpgradeSchedule' and "
        "'aksManagedNodeOSUpgradeSchedule' (names compared ignoring case; related by resourceName) whose "
        "maintenanceWindow.schedule names exactly one of daily, weekly, absoluteMonthly, relativeMonthly.",
        check=_maintenance_windows,
    ),
    ResourceRule(
        control="AML-AKS-024",
        name="csi-drivers",
        types=MANAGED_CLUSTER,
        check=all_of(
            not_equal("storageProfile.diskCSIDriver.enabled", False, default=True),
            not_equal("storageProfile.fileCSIDriver.enabled", False, default=True),
            not_equal("storageProfile.snapshotController.enabled", False, default=True),
        ),
    ),
    ResourceRule(
        control="AML-AKS-029",
        name="kms-etcd-encryption",
        types=MANAGED_CLUSTER,
        check=_kms,
    ),
    ResourceRule(control="AML-AKS-025", name="private-egress", types=MANAGED_CLUSTER, check=_private_egress),
    ResourceRule(
        control="AML-AKS-026",
        name="namespace-default-deny",
        types=(MANAGED_NAMESPACE,),
        check=all_of(
            one_of(
                "properties.defaultNetworkPolicy.ingress",
                CLOSED_POLICIES,
                why="no traffic from other namespaces unless a NetworkPolicy allows it",
                default="AllowSameNamespace",
            ),
            one_of(
                "properties.defaultNetworkPolicy.egress",
                CLOSED_POLICIES,
                why="no traffic to other namespaces or outside the cluster unless a NetworkPolicy allows it",
                default="AllowAll",
            ),
        ),
    ),
    StackRule(
        control="AML-AKS-009",
        name="attached-cluster-ml-extension",
        description="a Kubernetes compute whose properties.resourceId names an AKS cluster of the stack has an "
        "Extension of type 'microsoft.azureml.kubernetes' on that cluster, and depends on it.",
        check=_ml_extension,
    ),
)
