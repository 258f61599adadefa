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

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

import pulumi
import pulumi_azure_native.machinelearningservices as ml

from hardened_aml.catalogue import control
from hardened_aml.errors import InvalidInputError

#: The tag that marks a low-priority cluster as intentionally interruptible; the pack's AML-REL-005 accepts it
#: (copied from ``policies/aml_policies/compute.py`` ``INTERRUPTIBLE_TAG``; components do not import the pack).
INTERRUPTIBLE_TAG = "hardened-aml/interruptible"
#: The VM sizes compute may use, the most nodes a cluster may have and the longest idle time before it scales
#: down, by default: the catalogue's AML-CMP-003 and AML-CMP-001 defaults, which the pack's config reads too.
DEFAULT_VM_SIZES: tuple[str, ...] = tuple(control("AML-CMP-003").defaults["allowedVmSizes"])
DEFAULT_MAX_NODES_LIMIT: int = control("AML-CMP-003").defaults["maxNodes"]
DEFAULT_MAX_IDLE_BEFORE_SCALE_DOWN: str = control("AML-CMP-001").defaults["maxIdleBeforeScaleDown"]

_COMPUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{2,23}$")
_DURATION = re.compile(
    r"^P(?!$)(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: object) -> timedelta | None:
    """An ISO-8601 duration without years or months (``PT15M``, ``P1DT2H``), or ``None`` if it is not one."""
    if not isinstance(text, str):
        return None
    match = _DURATION.match(text)
    if match is None:
        return None
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return timedelta(weeks=parts["w"], days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


def check_compute_name(key: str, name: str) -> None:
    """Raise :class:`InvalidInputError` unless ``name`` is a valid Azure ML compute name."""
    tail = name.rsplit("-", 1)[1] if "-" in name else "a"
    if not _COMPUTE_NAME.match(name) or not any(c.isalpha() for c in tail):
        raise InvalidInputError(
            key,
            name,
            "3-24 letters, digits and '-', starting with a letter, a letter somewhere after the last '-'",
        )


def check_vm_size(key: str, vm_size: str, allowed: Sequence[str]) -> None:
    """Raise :class:`InvalidInputError` unless ``vm_size`` is in ``allowed`` (case-insensitive, as Azure)."""
    if vm_size.lower() not in {a.lower() for a in allowed}:
        raise InvalidInputError(key, vm_size, allowed)


def check_placement(
    name: str, workspace_managed_network: bool, subnet_id: pulumi.Input[str] | None
) -> ml.ResourceIdArgs | None:
    """The ``subnet`` input: none in a managed VNet, required without one (control AML-NET-011)."""
    if workspace_managed_network and subnet_id is not None:
        raise InvalidInputError(
            f"{name}.subnet_id",
            subnet_id,
            "no subnet: the workspace uses its managed VNet, and compute in a managed VNet takes no subnet",
        )
    if not workspace_managed_network and subnet_id is None:
        raise InvalidInputError(
            f"{name}.subnet_id", None, "a compute subnet id: the workspace does not use its managed VNet"
        )
    return ml.ResourceIdArgs(id=subnet_id) if subnet_id is not None else None


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


@dataclass(frozen=True, kw_only=True)
class ComputeClusterArgs:
    """Inputs of :class:`ComputeCluster`."""

    resource_group_name: pulumi.Input[str]
    """The workspace's resource group. Default: none, required."""
    location: str
    """The Azure region (the workspace's). Default: none, required."""
    workspace_name: pulumi.Input[str]
    """The workspace: pass the ``Workspace`` component's ``workspace_name`` output so the pack can relate the
    cluster to its workspace (control AML-NET-011). Default: none, required."""
    compute_name: str
    """Name of the cluster: 3-24 letters, digits and '-', starting with a letter. Default: none, required."""
    identity_id: pulumi.Input[str]
    """The cluster's user-assigned identity, the one jobs use to reach data and registries. Default: none,
    required (control AML-IAM-008)."""
    vm_size: str
    """VM size of the nodes, one of ``allowed_vm_sizes``. Default: none, required (control AML-CMP-003)."""
    max_nodes: int
    """Most nodes the cluster scales to: 1..``max_nodes_limit``. Default: none, required (control AML-CMP-003)."""
    purpose: ClusterPurpose = ClusterPurpose.TRAINING
    """Training or batch inference. Default: ``Training`` (control AML-REL-005)."""
    tier: VmTier = VmTier.DEDICATED
    """Dedicated, or low priority for interruptible training. Default: ``Dedicated`` (control AML-REL-005)."""
    idle_before_scale_down: str = "PT15M"
    """How long an idle node lives before the cluster scales down (ISO-8601 duration, positive, at most
    ``max_idle_before_scale_down``). Default: ``PT15M`` (control AML-CMP-001)."""
    max_idle_before_scale_down: str = DEFAULT_MAX_IDLE_BEFORE_SCALE_DOWN
    """Upper bound of ``idle_before_scale_down``. Default: ``PT30M``, the pack's default (control AML-CMP-001)."""
    allowed_vm_sizes: Sequence[str] = DEFAULT_VM_SIZES
    """The VM sizes allowed. Default: the pack's default allow-list (control AML-CMP-003)."""
    max_nodes_limit: int = DEFAULT_MAX_NODES_LIMIT
    """Upper bound of ``max_nodes``. Default: 10, the pack's default (control AML-CMP-003)."""
    workspace_managed_network: bool = True
    """Whether the workspace uses its managed VNet, which then hosts the cluster. Default: yes (control
    AML-NET-011)."""
    subnet_id: pulumi.Input[str] | None = None
    """The compute subnet: only, and then required, when the workspace does not use its managed VNet.
    Default: none (control AML-NET-011)."""
    workspace_private_endpoint: pulumi.Resource | None = None
    """The workspace's private endpoint, created before the cluster (no-public-IP compute needs it).
    Default: none."""
    description: str | None = None
    """Description shown in the studio. Default: none."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


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


def validate(name: str, args: ComputeClusterArgs) -> tuple[ClusterPurpose, VmTier, ml.ResourceIdArgs | None]:
    check_compute_name(f"{name}.compute_name", args.compute_name)
    try:
        purpose = ClusterPurpose(args.purpose)
    except ValueError:
        raise InvalidInputError(f"{name}.purpose", args.purpose, [p.value for p in ClusterPurpose]) from None
    try:
        tier = VmTier(args.tier)
    except ValueError:
        raise InvalidInputError(f"{name}.tier", args.tier, [t.value for t in VmTier]) from None
    if purpose is ClusterPurpose.BATCH_INFERENCE and tier is not VmTier.DEDICATED:
        raise InvalidInputError(
            f"{name}.tier", tier.value, "Dedicated: a batch-inference cluster is never low priority (AML-REL-005)"
        )
    check_vm_size(f"{name}.vm_size", args.vm_size, args.allowed_vm_sizes)
    if not isinstance(args.max_nodes_limit, int) or args.max_nodes_limit < 1:
        raise InvalidInputError(f"{name}.max_nodes_limit", args.max_nodes_limit, "a positive integer")
    if not isinstance(args.max_nodes, int) or not 1 <= args.max_nodes <= args.max_nodes_limit:
        raise InvalidInputError(f"{name}.max_nodes", args.max_nodes, f"an integer from 1 to {args.max_nodes_limit}")
    limit = parse_duration(args.max_idle_before_scale_down)
    if limit is None or limit <= timedelta(0):
        raise InvalidInputError(
            f"{name}.max_idle_before_scale_down", args.max_idle_before_scale_down, "a positive ISO-8601 duration"
        )
    idle = parse_duration(args.idle_before_scale_down)
    if idle is None or not timedelta(0) < idle <= limit:
        raise InvalidInputError(
            f"{name}.idle_before_scale_down",
            args.idle_before_scale_down,
            f"an ISO-8601 duration above zero and at most {args.max_idle_before_scale_down}, e.g. PT15M",
        )
    if INTERRUPTIBLE_TAG in args.tags:
        raise InvalidInputError(
            f"{name}.tags", INTERRUPTIBLE_TAG, f"no {INTERRUPTIBLE_TAG} tag: set tier=LowPriorityInterruptible instead"
        )
    subnet = check_placement(name, args.workspace_managed_network, args.subnet_id)
    return purpose, tier, subnet


class ComputeCluster(pulumi.ComponentResource):
    """An AmlCompute cluster without public IPs or SSH, Entra-only, that scales to zero."""

    compute_id: pulumi.Output[str]
    compute_name: pulumi.Output[str]

    def __init__(self, name: str, args: ComputeClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        purpose, tier, subnet = validate(name, args)
        super().__init__("hardened-aml:index:ComputeCluster", name, None, opts)

        interruptible = tier is VmTier.LOW_PRIORITY_INTERRUPTIBLE
        tags = dict(args.tags)
        if interruptible:
            tags[INTERRUPTIBLE_TAG] = "true"  # AML-REL-005: low priority only when marked interruptible
        depends_on = [args.workspace_private_endpoint] if args.workspace_private_endpoint is not None else []

        self.compute = ml.Compute(
            f"{name}-cluster",
            compute_name=args.compute_name,
            workspace_name=args.workspace_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            # AML-IAM-008: the user-assigned identity only (azure-native takes a list of ids).
            identity=ml.ManagedServiceIdentityArgs(type="UserAssigned", user_assigned_identities=[args.identity_id]),
            properties=ml.AmlComputeArgs(
                compute_type="AmlCompute",
                description=args.description or f"{purpose.value} cluster ({tier.value})",
                disable_local_auth=True,  # AML-IAM-002: Entra ID and managed identities only
                properties=ml.AmlComputePropertiesArgs(
                    vm_size=args.vm_size,  # AML-CMP-003: from the allow-list
                    # AML-REL-005: Dedicated unless asked for by name for interruptible training.
                    vm_priority=ml.VmPriority.LOW_PRIORITY if interruptible else ml.VmPriority.DEDICATED,
                    os_type=ml.OsType.LINUX,
                    enable_node_public_ip=False,  # AML-NET-009 (the SDK's default is true)
                    # AML-NET-010: the SDK's default NotSpecified leaves SSH open when no subnet is set.
                    remote_login_port_public_access=ml.RemoteLoginPortPublicAccess.DISABLED,
                    # AML-CMP-001: scale to zero after a bounded idle time; AML-CMP-003: bounded node count.
                    scale_settings=ml.ScaleSettingsArgs(
                        min_node_count=0,
                        max_node_count=args.max_nodes,
                        node_idle_time_before_scale_down=args.idle_before_scale_down,
                    ),
                    subnet=subnet,  # AML-NET-011: only outside a managed VNet
                ),
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=depends_on,
                replace_on_changes=list(REPLACE_ON_CHANGES),
                delete_before_replace=True,  # the compute name is fixed: the old one must go first
            ),
        )
        self.compute_id = self.compute.id
        self.compute_name = self.compute.name
        self.register_outputs({"compute_id": self.compute_id, "compute_name": self.compute_name})
