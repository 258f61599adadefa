"""An Azure ML compute cluster (AmlCompute), hardened: no public IP, SSH closed, Entra-only, scale to zero.

Property names and enum values: REST spec ``Microsoft.MachineLearningServices/stable/2025-12-01/
machineLearningServices.json`` (Azure/azure-rest-api-specs), the API version of pulumi-azure-native 3.29.0:
``Compute.disableLocalAuth`` (beside ``computeType``), ``AmlComputeProperties`` (``vmPriority``
``Dedicated | LowPriority``; ``remoteLoginPortPublicAccess`` ``Enabled | Disabled | NotSpecified``, default
``NotSpecified``: "closed … if VNet is defined, else is open"; ``enableNodePublicIp``; ``subnet``),
``ScaleSettings`` (``maxNodeCount`` required, ``minNodeCount`` default 0, ``nodeIdleTimeBeforeScaleDown`` an
ISO-8601 duration). The SDK's ``AmlComputePropertiesArgs`` fills ``enableNodePublicIp=True`` and
``remoteLoginPortPublicAccess='NotSpecified'`` when they are not given, so both are set here explicitly.

Compute names (clusters and instances): 3 to 24 letters, digits and ``-``, starting with a letter, and a
``-`` must be followed by at least one letter later in the name; unique among the computes of the region
(azure-docs ``articles/machine-learning/how-to-create-attach-compute-studio.md``, "Compute name").

Changes that replace the cluster (``replace_on_changes``, with delete-before-replace because the compute
name is fixed): the update API of a cluster changes its scale settings only (``Update-AzMLWorkspaceCompute``
takes ``MaxNodeCount``, ``MinNodeCount``, ``NodeIdleTimeBeforeScaleDown``; learn.microsoft.com), and size or
identity changes recreate clusters in other tools too (PITFALLS: azurerm #29859, #25883). So a change of VM
size, priority, subnet, OS type, public-IP or SSH setting, or identity plans a replacement; scale settings
and tags update in place. A cluster scales to zero between jobs, so a replacement costs only the jobs that
are running at the time.

Placement: a workspace with a managed VNet hosts its compute itself, and compute in a managed VNet takes no
subnet (PITFALLS: azurerm #27506, #27866); without the managed VNet, the cluster needs a subnet. Either way a
cluster without public IPs needs the workspace's private endpoint first ("EnableNodePublicIp 'False'
requires workspace private endpoint", PITFALLS: Azure/data-product-analytics #70), so it depends on it.
"""

from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native.machinelearningservices as ml
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml.catalogue import INTERRUPTIBLE_TAG, MANAGED_NETWORK_TAG, control, parse_duration
from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule
from hardened_aml.shared import InWorkspace, RunsAs

#: The VM sizes compute may use, the most nodes a cluster may have and the longest idle time before it scales
#: down, by default: the catalogue's AML-CMP-003 and AML-CMP-001 defaults, which the pack's config reads too.
DEFAULT_VM_SIZES: tuple[str, ...] = tuple(control("AML-CMP-003").defaults["allowedVmSizes"])
DEFAULT_MAX_NODES_LIMIT: int = control("AML-CMP-003").defaults["maxNodes"]
DEFAULT_MAX_IDLE_BEFORE_SCALE_DOWN: str = control("AML-CMP-001").defaults["maxIdleBeforeScaleDown"]
#: The InfiniBand (RDMA) ND-series sizes of the DistributedGpu profile (the catalogue's AML-CMP-003 defaults).
DISTRIBUTED_GPU_SIZES: tuple[str, ...] = tuple(control("AML-CMP-003").defaults["allowedDistributedGpuSizes"])

#: An Azure ML compute name (clusters and instances; see the module docstring), with
#: :func:`compute_name_problems` for the letter after the last '-'.
ComputeName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9-]{2,23}$")]
"""3-24 letters, digits and '-', starting with a letter."""


def compute_name_problems(name: str) -> Iterator[Problem]:
    """A ``-`` must be followed by a letter later in the name (the pattern above checks the rest)."""
    tail = name.rsplit("-", 1)[1] if "-" in name else "a"
    if not any(c.isalpha() for c in tail):
        yield (
            ("name",),
            name,
            "3-24 letters, digits and '-', starting with a letter, a letter somewhere after the last '-'",
        )


def vm_size_problems(key: str, vm_size: str, scope: Mapping[str, Any]) -> Iterator[Problem]:
    """``vm_size`` from the allow-list in scope (case-insensitive, as Azure reads it; control AML-CMP-003)."""
    allowed: Sequence[str] = scope.get("allowed_vm_sizes") or DEFAULT_VM_SIZES
    if vm_size.lower() not in {a.lower() for a in allowed}:
        yield (key,), vm_size, "one of " + ", ".join(allowed) + " (control AML-CMP-003)"


def placement_problems(scope: Mapping[str, Any]) -> Iterator[Problem]:
    """No subnet in a managed VNet, a subnet without one (control AML-NET-011; PITFALLS: azurerm #27506)."""
    managed, subnet = scope.get("workspace_managed_network", True), scope.get("subnet_id")
    if managed and subnet is not None:
        yield (
            ("subnet_id",),
            subnet,
            "no subnet: the workspace uses its managed VNet, and compute in a managed VNet takes no subnet",
        )
    if not managed and subnet is None:
        yield ("subnet_id",), None, "a compute subnet id: the workspace does not use its managed VNet"


class ClusterPurpose(StrEnum):
    """What the cluster runs."""

    TRAINING = "Training"
    """Training jobs and pipelines."""
    BATCH_INFERENCE = "BatchInference"
    """Batch deployments: always on dedicated VMs (control AML-REL-005)."""


class VmTier(StrEnum):
    """The VM priority of the cluster's nodes (control AML-REL-005)."""

    DEDICATED = "Dedicated"
    """Dedicated VMs, never evicted. The default."""
    LOW_PRIORITY_INTERRUPTIBLE = "LowPriorityInterruptible"
    """Low-priority VMs Azure may evict, for training jobs that tolerate it; tags the cluster
    ``hardened-aml/interruptible=true``. Refused for batch inference."""


class ClusterProfile(StrEnum):
    """Which VM sizes the cluster may use (control AML-CMP-003)."""

    STANDARD = "Standard"
    """A size from the allow-list (``allowedVmSizes``). The default."""
    DISTRIBUTED_GPU = "DistributedGpu"
    """Multi-node distributed GPU training: an InfiniBand (RDMA) ND-series size (ND96asr_v4, ND96amsr_A100_v4,
    ND96isr_H100_v5, ND96isr_H200_v5), for training only, asked for by name. Every other default stays: no public
    IP, SSH closed, local auth off, a user-assigned identity, scale to zero, Dedicated unless marked
    interruptible."""


@args
class ComputeClusterSettings(TypedDict):
    """What a user chooses about one compute cluster: a stack's ``compute.clusters[]`` entry."""

    name: ComputeName
    """Compute name, unique among the workspace's computes: 3-24 letters, digits and '-', starting with a letter.
    Required."""
    vm_size: str
    """VM size of the nodes, from the allow-list (``allowedVmSizes``). Required (control AML-CMP-003)."""
    max_nodes: Annotated[int, Field(ge=1)]
    """Most nodes the cluster scales to, 1 to ``maxNodesLimit``. Required (control AML-CMP-003); the cluster
    always scales to zero (control AML-CMP-001)."""
    profile: NotRequired[Annotated[ClusterProfile, Field(default=ClusterProfile.STANDARD)]]
    """``Standard``, or ``DistributedGpu`` for multi-node training on InfiniBand GPU sizes. Default:
    ``Standard`` (control AML-CMP-003)."""
    purpose: NotRequired[Annotated[ClusterPurpose, Field(default=ClusterPurpose.TRAINING)]]
    """``Training`` or ``BatchInference``. Default: ``Training`` (control AML-REL-005)."""
    tier: NotRequired[Annotated[VmTier, Field(default=VmTier.DEDICATED)]]
    """``Dedicated``, or ``LowPriorityInterruptible`` for training that tolerates eviction. Default:
    ``Dedicated`` (control AML-REL-005)."""
    idle_before_scale_down: NotRequired[Annotated[str, Field(default="PT15M")]]
    """How long an idle node lives before the cluster scales down: an ISO-8601 duration above zero and at most
    ``maxIdleBeforeScaleDown``. Default: ``PT15M`` (control AML-CMP-001)."""


@args
class ComputeClusterArgs(ComputeClusterSettings, InWorkspace, RunsAs):
    """Inputs of :class:`ComputeCluster`: the user's settings and where the cluster goes."""

    max_idle_before_scale_down: NotRequired[Annotated[str, Field(default=DEFAULT_MAX_IDLE_BEFORE_SCALE_DOWN)]]
    """Upper bound of ``idleBeforeScaleDown``. Default: ``PT30M``, the pack's default (control AML-CMP-001)."""
    allowed_vm_sizes: NotRequired[Annotated[list[str], Field(default=list(DEFAULT_VM_SIZES))]]
    """The VM sizes allowed. Default: the pack's default allow-list (control AML-CMP-003)."""
    max_nodes_limit: NotRequired[Annotated[int, Field(default=DEFAULT_MAX_NODES_LIMIT, ge=1)]]
    """Upper bound of ``maxNodes``. Default: 10, the pack's default (control AML-CMP-003)."""
    workspace_managed_network: NotRequired[Annotated[bool, Field(default=True)]]
    """Whether the workspace uses its managed VNet, which then hosts the cluster. Default: yes (control
    AML-NET-011)."""
    subnet_id: NotRequired[Annotated[Input[str] | None, Wired()]]
    """The compute subnet: only, and then required, when the workspace does not use its managed VNet.
    Default: none (control AML-NET-011)."""
    description: NotRequired[str | None]
    """Description shown in the studio. Default: the purpose and tier."""
    tags: NotRequired[Annotated[dict[str, str], Field(default_factory=dict)]]
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


@rule(ComputeClusterSettings)
def _cluster_rules(c: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    yield from compute_name_problems(c["name"])
    if c["purpose"] is ClusterPurpose.BATCH_INFERENCE and c["tier"] is not VmTier.DEDICATED:
        yield ("tier",), c["tier"].value, "Dedicated: a batch-inference cluster is never low priority (AML-REL-005)"
    rdma = c["vm_size"].lower() in {size.lower() for size in DISTRIBUTED_GPU_SIZES}
    if c["profile"] is ClusterProfile.DISTRIBUTED_GPU:
        if not rdma:
            yield ("vm_size",), c["vm_size"], "one of " + ", ".join(DISTRIBUTED_GPU_SIZES) + " (profile DistributedGpu)"
        if c["purpose"] is not ClusterPurpose.TRAINING:
            yield ("purpose",), c["purpose"].value, "Training: the DistributedGpu profile is for training"
    elif rdma:
        yield (
            ("vm_size",),
            c["vm_size"],
            "a size from the allow-list; an InfiniBand ND-series size only with profile DistributedGpu, by name",
        )
    else:
        yield from vm_size_problems("vm_size", c["vm_size"], scope)
    limit = scope.get("max_nodes_limit", DEFAULT_MAX_NODES_LIMIT)
    if c["max_nodes"] > limit:
        yield ("max_nodes",), c["max_nodes"], f"an integer from 1 to {limit}"
    highest = scope.get("max_idle_before_scale_down", DEFAULT_MAX_IDLE_BEFORE_SCALE_DOWN)
    bound = parse_duration(highest)
    if bound is None or bound.total_seconds() <= 0:
        yield ("max_idle_before_scale_down",), highest, "a positive ISO-8601 duration"
        return
    idle = parse_duration(c["idle_before_scale_down"])
    if idle is None or not 0 < idle.total_seconds() <= bound.total_seconds():
        yield (
            ("idle_before_scale_down",),
            c["idle_before_scale_down"],
            f"an ISO-8601 duration above zero and at most {highest}, e.g. PT15M",
        )


@rule(ComputeClusterArgs)
def _cluster_args_rules(c: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    if INTERRUPTIBLE_TAG in c["tags"]:
        yield ("tags",), INTERRUPTIBLE_TAG, f"no {INTERRUPTIBLE_TAG} tag: set tier=LowPriorityInterruptible instead"
    yield from placement_problems(c)


#: Properties whose change replaces the cluster (the update API changes scale settings only; see above).
REPLACE_ON_CHANGES = (
    "identity",
    "properties.properties.vmSize",
    "properties.properties.vmPriority",
    "properties.properties.osType",
    "properties.properties.subnet",
    "properties.properties.enableNodePublicIp",
    "properties.properties.remoteLoginPortPublicAccess",
)


class ComputeCluster(pulumi.ComponentResource):
    """An AmlCompute cluster without public IPs or SSH, Entra-only, that scales to zero."""

    compute_id: pulumi.Output[str]
    compute_name: pulumi.Output[str]

    def __init__(self, name: str, args: ComputeClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(ComputeClusterArgs, args, name)
        super().__init__("hardened-aml:index:ComputeCluster", name, None, opts)

        purpose, tier = a["purpose"], a["tier"]
        interruptible = tier is VmTier.LOW_PRIORITY_INTERRUPTIBLE
        tags = dict(a["tags"])
        if interruptible:
            tags[INTERRUPTIBLE_TAG] = "true"  # AML-REL-005: low priority only when marked interruptible
        subnet = a.get("subnet_id")
        if a["workspace_managed_network"] and subnet is None:
            tags[MANAGED_NETWORK_TAG] = "true"  # AML-NET-011: read by the pack when the workspace is elsewhere

        self.compute = ml.Compute(
            f"{name}-cluster",
            compute_name=a["name"],
            workspace_name=a["workspace_name"],
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            # AML-IAM-008: the user-assigned identity only (azure-native takes a list of ids).
            identity=ml.ManagedServiceIdentityArgs(type="UserAssigned", user_assigned_identities=[a["identity_id"]]),
            properties=ml.AmlComputeArgs(
                compute_type="AmlCompute",
                description=a.get("description") or f"{purpose.value} cluster ({tier.value})",
                disable_local_auth=True,  # AML-IAM-002: Entra ID and managed identities only
                properties=ml.AmlComputePropertiesArgs(
                    vm_size=a["vm_size"],  # AML-CMP-003: from the allow-list
                    # AML-REL-005: Dedicated unless asked for by name for interruptible training.
                    vm_priority=ml.VmPriority.LOW_PRIORITY if interruptible else ml.VmPriority.DEDICATED,
                    os_type=ml.OsType.LINUX,
                    enable_node_public_ip=False,  # AML-NET-009 (the SDK's default is true)
                    # AML-NET-010: the SDK's default NotSpecified leaves SSH open when no subnet is set.
                    remote_login_port_public_access=ml.RemoteLoginPortPublicAccess.DISABLED,
                    # AML-CMP-001: scale to zero after a bounded idle time; AML-CMP-003: bounded node count.
                    scale_settings=ml.ScaleSettingsArgs(
                        min_node_count=0,
                        max_node_count=a["max_nodes"],
                        node_idle_time_before_scale_down=a["idle_before_scale_down"],
                    ),
                    subnet=ml.ResourceIdArgs(id=subnet)
                    if subnet is not None
                    else None,  # AML-NET-011: outside a managed VNet
                ),
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                # No-public-IP compute needs the workspace's private endpoint first: the cluster waits for
                # whatever the component was told to wait for (the estate passes that endpoint).
                depends_on=opts.depends_on if opts is not None else None,
                replace_on_changes=list(REPLACE_ON_CHANGES),
                delete_before_replace=True,  # the compute name is fixed: the old one must go first
            ),
        )
        self.compute_id = self.compute.id
        self.compute_name = self.compute.name
        self.register_outputs({"compute_id": self.compute_id, "compute_name": self.compute_name})
