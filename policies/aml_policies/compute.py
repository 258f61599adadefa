"""Rules for Azure ML compute (``machinelearningservices:Compute``): clusters and compute instances.

azure-native nests the compute union under ``properties``: the engine receives
``properties.computeType`` (``AmlCompute`` | ``ComputeInstance`` | …), ``properties.disableLocalAuth`` and
the type's own settings under ``properties.properties``. Names and enum values: REST spec
``Microsoft.MachineLearningServices/stable/2025-12-01/machineLearningServices.json`` (``Compute``,
``AmlComputeProperties``, ``ScaleSettings``, ``ComputeInstanceProperties``, ``ComputeInstanceSshSettings``,
``PersonalComputeInstanceSettings``), the API version pulumi-azure-native 3.29.0 uses.
``ComputeInstanceProperties.idleTimeBeforeShutdown`` is missing from that spec layout but accepted by the
SDK, which documents it as "ISO8601 format. Minimum is 15 min, maximum is 3 days" (as do the Azure SDK
references for ``IdleShutdownSetting``, learn.microsoft.com).

Azure defaults that decide what a missing value means here:
``enableNodePublicIp`` defaults to true and ``remoteLoginPortPublicAccess`` to ``NotSpecified`` (the SSH
port is open when no subnet is set), so both fail when missing; ``sshSettings.sshPublicAccess`` defaults
to ``Disabled``, so a missing value passes; ``disableLocalAuth`` has no default (local auth stays on).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from aml_catalogue import (
    IDLE_SHUTDOWN_MAX,
    IDLE_SHUTDOWN_MIN,
    IDLE_SHUTDOWN_RANGE_TEXT,
    INTERRUPTIBLE_TAG,
    MANAGED_NETWORK_TAG,
    parse_duration,
)
from aml_policies.core import (
    MISSING,
    SET_REQUIRED,
    Check,
    Condition,
    Config,
    Props,
    ResourceRule,
    Stack,
    StackRule,
    Unreadable,
    as_number,
    default,
    depending_on,
    equals,
    get,
    is_true,
    number,
    present,
    same,
    same_any,
    set_path,
    tag,
    type_key,
    where_in,
)

COMPUTE = ("machinelearningservices:Compute",)
WORKSPACE = "machinelearningservices:Workspace"
AML_COMPUTE = "AmlCompute"
COMPUTE_INSTANCE = "ComputeInstance"
#: Every ``computeType`` of the Compute union (SDK ``ComputeType`` enum); each member's Args class carries
#: ``disableLocalAuth`` (pulumi-azure-native 3.29.0 ``machinelearningservices/_inputs.py``: AKSArgs,
#: AmlComputeArgs, ComputeInstanceArgs, DataFactoryArgs, DataLakeAnalyticsArgs, DatabricksArgs, HDInsightArgs,
#: KubernetesArgs, SynapseSparkArgs, VirtualMachineArgs).
ALL_COMPUTE_TYPES = (
    AML_COMPUTE,
    COMPUTE_INSTANCE,
    "Kubernetes",
    "AKS",
    "VirtualMachine",
    "HDInsight",
    "Databricks",
    "DataFactory",
    "DataLakeAnalytics",
    "SynapseSpark",
)
#: The isolation modes under which the workspace's managed VNet hosts its compute.
MANAGED_NETWORK_MODES = ("AllowInternetOutbound", "AllowOnlyApprovedOutbound")
#: Common general-purpose, memory-optimised, compute-optimised and GPU sizes for Azure ML (the catalogue's
#: AML-CMP-003 defaults, which the compute components read too).
DEFAULT_VM_SIZES: tuple[str, ...] = tuple(default("AML-CMP-003", "allowedVmSizes"))
#: The InfiniBand (RDMA) ND-series sizes for multi-node distributed training, open to clusters only (AML-CMP-003).
DISTRIBUTED_GPU_SIZES: tuple[str, ...] = tuple(default("AML-CMP-003", "allowedDistributedGpuSizes"))
#: vCPUs per VM size, for the core-quota rule (AML-CMP-005).
VM_SIZE_CORES: dict[str, int] = dict(default("AML-CMP-005", "vmSizeCores"))

COMPUTE_TYPE = "properties.computeType"


def _compute_type_in(kinds: tuple[str, ...]) -> Condition:
    """The rule judges these compute types; the description starts with them."""
    label = f"every compute type ({', '.join(kinds)})" if kinds == ALL_COMPUTE_TYPES else " and ".join(kinds)
    # The discriminator: a compute whose computeType is missing (e.g. snake_case keys given to the union input)
    # or none of the union's is unreadable, and every compute rule reports it rather than skip it.
    return where_in(COMPUTE_TYPE, kinds, label, known=ALL_COMPUTE_TYPES)


def _is_interruptible(props: Props) -> bool:
    return is_true(tag(props, INTERRUPTIBLE_TAG))


# --- AML-NET-010 ------------------------------------------------------------------------------------
_SSH_CLOSED = depending_on(
    COMPUTE_TYPE,
    {
        AML_COMPUTE: equals(
            "properties.properties.remoteLoginPortPublicAccess",
            "Disabled",
            why="'NotSpecified' leaves the SSH port open on every node when no subnet is set",
        ),
        COMPUTE_INSTANCE: equals("properties.properties.sshSettings.sshPublicAccess", "Disabled", default="Disabled"),
    },
)


# --- AML-NET-011 ------------------------------------------------------------------------------------
def _in_virtual_network(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """AmlCompute / ComputeInstance: a subnet, or a workspace with a managed network, never both."""
    for compute in stack.of_type(*COMPUTE):
        kind = get(compute.props, COMPUTE_TYPE)
        if kind is MISSING or not same_any(kind, (AML_COMPUTE, COMPUTE_INSTANCE), COMPUTE_TYPE):
            continue  # a missing or unknown type is reported by each compute resource rule
        subnet = get(compute.props, "properties.properties.subnet.id")
        referred = stack.targets(compute, "workspaceName")
        workspaces = [w for w in referred if type_key(w.resource_type) == WORKSPACE]
        if not workspaces:
            if not subnet and is_true(tag(compute.props, MANAGED_NETWORK_TAG)):
                continue  # the component states its workspace's managed network (its workspace_managed_network)
            if not subnet:
                yield (
                    f"Compute {compute.name!r}: properties.properties.subnet is not set and its workspace "
                    "is not in this stack (workspaceName neither depends on nor names a Workspace of the stack), "
                    "so a managed network cannot be verified; set a subnet, create the compute from the "
                    f"workspace's outputs, or state the workspace's managed network with tag {MANAGED_NETWORK_TAG!r} "
                    "= 'true' (the components' workspace_managed_network input)",
                    compute.urn,
                )
            continue
        for workspace in workspaces:
            mode = get(workspace.props, "managedNetwork.isolationMode")
            managed = mode is not MISSING and same_any(mode, MANAGED_NETWORK_MODES, "managedNetwork.isolationMode")
            mode_text = "not set" if mode is MISSING else repr(mode)
            if subnet and managed:
                yield (
                    f"Compute {compute.name!r}: properties.properties.subnet is set, but workspace "
                    f"{workspace.name!r} uses a managed network (managedNetwork.isolationMode {mode_text}); "
                    "compute in a managed VNet takes no subnet",
                    compute.urn,
                )
            elif not subnet and not managed:
                yield (
                    f"Compute {compute.name!r}: properties.properties.subnet is not set and workspace "
                    f"{workspace.name!r} has managedNetwork.isolationMode {mode_text}; it must be in a "
                    "subnet or in a workspace whose isolationMode is 'AllowInternetOutbound' or "
                    "'AllowOnlyApprovedOutbound'",
                    compute.urn,
                )


# --- AML-REL-005 ------------------------------------------------------------------------------------
def _dedicated_unless_interruptible(props: Props, _config: Config) -> Iterator[str]:
    priority = get(props, "properties.properties.vmPriority")
    if same(priority, "LowPriority", "properties.properties.vmPriority") and not _is_interruptible(props):
        yield (
            f"properties.properties.vmPriority is {priority!r}; it must be 'Dedicated' unless the cluster "
            f"is tagged {INTERRUPTIBLE_TAG}=true (its jobs tolerate eviction)"
        )


# --- AML-CMP-001 ------------------------------------------------------------------------------------
def _scales_to_zero(props: Props, config: Config) -> Iterator[str]:
    minimum = get(props, "properties.properties.scaleSettings.minNodeCount")
    if minimum is not MISSING and not same(minimum, 0, "properties.properties.scaleSettings.minNodeCount"):
        yield f"properties.properties.scaleSettings.minNodeCount is {number(minimum)!r}; it must be 0 (scale to zero)"
    limit_text = config["maxIdleBeforeScaleDown"]
    limit = parse_duration(limit_text)
    path = "properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown"
    idle = get(props, path)
    if limit is None:
        yield f"policy config maxIdleBeforeScaleDown is {limit_text!r}; it must be an ISO-8601 duration"
    elif idle is MISSING:
        yield f"{path} is not set; it must be an ISO-8601 duration of at most {limit_text}"
    else:
        duration = parse_duration(idle)
        if duration is None:
            yield f"{path} is {idle!r}; it must be an ISO-8601 duration of at most {limit_text}"
        elif duration > limit:
            yield f"{path} is {idle!r}; it must be at most {limit_text}"


# --- AML-CMP-002 ------------------------------------------------------------------------------------
_IDLE_SHUTDOWN = "properties.properties.idleTimeBeforeShutdown"


def _idle_shutdown(props: Props, _config: Config) -> Iterator[str]:
    idle = get(props, _IDLE_SHUTDOWN)
    if idle is MISSING:
        yield f"{_IDLE_SHUTDOWN} is not set; it must be {IDLE_SHUTDOWN_RANGE_TEXT}"
        return
    duration = parse_duration(idle)
    if duration is None or not IDLE_SHUTDOWN_MIN <= duration <= IDLE_SHUTDOWN_MAX:
        yield f"{_IDLE_SHUTDOWN} is {idle!r}; it must be {IDLE_SHUTDOWN_RANGE_TEXT}"


def _set_idle_shutdown(props: dict[str, Any], config: Config) -> dict[str, Any]:
    return set_path(props, _IDLE_SHUTDOWN, config["idleTimeBeforeShutdown"])


# --- AML-CMP-003 ------------------------------------------------------------------------------------
def _sizes_and_counts(props: Props, config: Config) -> Iterator[str]:
    allowed = [str(size) for size in config["allowedVmSizes"]]
    if same(get(props, COMPUTE_TYPE), AML_COMPUTE, COMPUTE_TYPE):
        allowed += [str(size) for size in config["allowedDistributedGpuSizes"]]
    size = get(props, "properties.properties.vmSize")
    if size is MISSING:
        yield f"properties.properties.vmSize is not set; it must be one of {', '.join(allowed)}"
    elif str(size).lower() not in {a.lower() for a in allowed}:
        yield f"properties.properties.vmSize is {size!r}; it must be one of {', '.join(allowed)}"
    if not same(get(props, COMPUTE_TYPE), AML_COMPUTE, COMPUTE_TYPE):
        return
    maximum = config["maxNodes"]
    count = get(props, "properties.properties.scaleSettings.maxNodeCount")
    if count is MISSING:
        yield f"properties.properties.scaleSettings.maxNodeCount is not set; it must be at most {maximum}"
    elif (read := as_number(count)) is None or read > maximum:
        yield (
            f"properties.properties.scaleSettings.maxNodeCount is {number(count)!r}; "
            f"it must be at most {number(maximum)}"
        )


# --- AML-CMP-005 ------------------------------------------------------------------------------------
def _core_quota(props: Props, config: Config) -> Iterator[str]:
    low = same(get(props, "properties.properties.vmPriority"), "LowPriority", "properties.properties.vmPriority")
    key = "lowPriorityCoreQuota" if low else "dedicatedCoreQuota"
    quota = as_number(config[key])
    if not quota:
        return  # no quota configured for this priority
    size = get(props, "properties.properties.vmSize")
    nodes = as_number(get(props, "properties.properties.scaleSettings.maxNodeCount"))
    if size is MISSING or nodes is None:
        return  # AML-CMP-003 reports a cluster without a size or a node count
    cores = {str(k).lower(): v for k, v in config["vmSizeCores"].items()}.get(str(size).lower())
    if cores is None:
        yield (
            f"properties.properties.vmSize {size!r} has no vCPU count in vmSizeCores, so the cluster cannot be "
            f"judged against {key} {number(quota)}; add the size to vmSizeCores in the policy config"
        )
    elif nodes * cores > quota:
        yield (
            f"scaleSettings.maxNodeCount {number(nodes)} x {number(cores)} vCPUs of {size} = {number(nodes * cores)} "
            f"vCPUs, above the configured {key} of {number(quota)}: jobs would queue for quota; lower maxNodeCount "
            "or request more quota"
        )


def _rule(
    control: str,
    name: str,
    check: Check,
    kinds: tuple[str, ...] = (AML_COMPUTE, COMPUTE_INSTANCE),
    **extra: Any,
) -> ResourceRule:
    return ResourceRule(control=control, name=name, types=COMPUTE, check=check, where=_compute_type_in(kinds), **extra)


def _user_assigned(props: Props, _config: Config) -> Iterator[str]:
    kind = get(props, "identity.type")
    if kind is MISSING:
        yield "identity.type is not set; it must include 'UserAssigned'"
        return
    if not isinstance(kind, str):
        raise Unreadable("identity.type", kind, "a string")
    if "userassigned" not in kind.replace(" ", "").lower().split(","):
        yield f"identity.type is {kind!r}; it must include 'UserAssigned'"
    # The engine sends a list of identity ids (azure-native's shape); ARM's own shape is a map keyed by id.
    users = get(props, "identity.userAssignedIdentities")
    if not isinstance(users, Mapping | Sequence) or isinstance(users, str) or len(users) == 0:
        yield "identity.userAssignedIdentities is not set; name the cluster's user-assigned identity"


RULES: tuple[ResourceRule | StackRule, ...] = (
    _rule(
        "AML-NET-009",
        "compute-no-public-ip",
        equals("properties.properties.enableNodePublicIp", False, default=True),
        remediate=SET_REQUIRED,
    ),
    _rule("AML-NET-010", "compute-ssh-closed", _SSH_CLOSED, remediate=SET_REQUIRED),
    StackRule(
        control="AML-NET-011",
        name="compute-in-virtual-network",
        check=_in_virtual_network,
        description="every AmlCompute and ComputeInstance either has properties.properties.subnet or belongs "
        "(by its workspaceName dependency) to a workspace whose managedNetwork.isolationMode is "
        "'AllowInternetOutbound' or 'AllowOnlyApprovedOutbound', never both.",
    ),
    _rule(
        "AML-IAM-002",
        "compute-local-auth-disabled",
        # as PSRule Azure.ML.DisableLocalAuth and built-in e96a9a5f check every compute
        equals("properties.disableLocalAuth", True),
        kinds=ALL_COMPUTE_TYPES,
        remediate=SET_REQUIRED,
    ),
    _rule(
        "AML-IAM-008",
        "compute-user-assigned-identity",
        _user_assigned,
        kinds=(AML_COMPUTE,),
        description="AmlCompute: identity.type includes 'UserAssigned' with at least one identity in "
        "identity.userAssignedIdentities.",
    ),
    _rule(
        "AML-IAM-010",
        "compute-instance-assigned-user",
        present(
            "properties.properties.personalComputeInstanceSettings.assignedUser.objectId",
            why="a compute instance is assigned to one user",
        ),
        kinds=(COMPUTE_INSTANCE,),
    ),
    _rule(
        "AML-REL-005",
        "compute-dedicated-priority",
        _dedicated_unless_interruptible,
        kinds=(AML_COMPUTE,),
        description="AmlCompute: properties.properties.vmPriority is not 'LowPriority' unless tagged "
        f"{INTERRUPTIBLE_TAG}=true.",
    ),
    _rule(
        "AML-CMP-001",
        "cluster-scale-to-zero",
        _scales_to_zero,
        kinds=(AML_COMPUTE,),
        description="AmlCompute: scaleSettings.minNodeCount is 0 (missing passes: default 0) and "
        "scaleSettings.nodeIdleTimeBeforeScaleDown is set and at most the configured maxIdleBeforeScaleDown.",
        config={
            "maxIdleBeforeScaleDown": {
                "type": "string",
                "default": default("AML-CMP-001", "maxIdleBeforeScaleDown"),
                "description": "The longest idle time (ISO-8601 duration) before a cluster scales down.",
            }
        },
    ),
    _rule(
        "AML-CMP-002",
        "compute-instance-idle-shutdown",
        _idle_shutdown,
        kinds=(COMPUTE_INSTANCE,),
        description=f"ComputeInstance: {_IDLE_SHUTDOWN} is set to {IDLE_SHUTDOWN_RANGE_TEXT} (Azure's accepted range).",
        config={
            "idleTimeBeforeShutdown": {
                "type": "string",
                "default": default("AML-CMP-002", "idleTimeBeforeShutdown"),
                "description": "The idle shutdown the remediation sets (ISO-8601 duration, PT15M..P3D).",
            }
        },
        remediate=_set_idle_shutdown,
    ),
    _rule(
        "AML-CMP-003",
        "compute-allowed-sizes",
        _sizes_and_counts,
        description="AmlCompute and ComputeInstance: properties.properties.vmSize is in the configured "
        "allowedVmSizes (case-insensitive); AmlCompute: scaleSettings.maxNodeCount is at most the configured maxNodes.",
        config={
            "allowedVmSizes": {
                "type": "array",
                "items": {"type": "string"},
                "default": list(DEFAULT_VM_SIZES),
                "description": "The VM sizes compute may use.",
            },
            "allowedDistributedGpuSizes": {
                "type": "array",
                "items": {"type": "string"},
                "default": list(DISTRIBUTED_GPU_SIZES),
                "description": "The InfiniBand (RDMA) GPU sizes compute clusters (not instances) may also use.",
            },
            "maxNodes": {
                "type": "integer",
                "minimum": 1,
                "default": default("AML-CMP-003", "maxNodes"),
                "description": "The largest maxNodeCount a cluster may have.",
            },
        },
    ),
    _rule(
        "AML-CMP-005",
        "cluster-core-quota",
        _core_quota,
        kinds=(AML_COMPUTE,),
        description="AmlCompute: scaleSettings.maxNodeCount times the vCPUs of the vmSize (vmSizeCores) is at most "
        "the configured dedicatedCoreQuota (Dedicated) or lowPriorityCoreQuota (LowPriority); 0 means not configured.",
        config={
            "dedicatedCoreQuota": {
                "type": "integer",
                "minimum": 0,
                "default": default("AML-CMP-005", "dedicatedCoreQuota"),
                "description": "The region's dedicated vCPU quota for Azure ML compute (0: not configured).",
            },
            "lowPriorityCoreQuota": {
                "type": "integer",
                "minimum": 0,
                "default": default("AML-CMP-005", "lowPriorityCoreQuota"),
                "description": "The region's low-priority vCPU quota for Azure ML compute (0: not configured).",
            },
            "vmSizeCores": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 1},
                "default": VM_SIZE_CORES,
                "description": "vCPUs per VM size.",
            },
        },
    ),
)
