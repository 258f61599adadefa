"""The validated configuration of one stack of this repository's estate.

``pulumi config`` values arrive as strings (structured values as JSON); :func:`from_pulumi_config` reads
every key of the project's namespace into :class:`StackSettings`, which refuses unknown keys, wrong types
and invalid values. Each error is one line naming the key, the value given and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

import pulumi
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from hardened_aml.aks import InferenceTransport, OutboundType, RouterExposure
from hardened_aml.compute_cluster import (
    DEFAULT_MAX_IDLE_BEFORE_SCALE_DOWN,
    DEFAULT_MAX_NODES_LIMIT,
    DEFAULT_VM_SIZES,
    ClusterPurpose,
    VmTier,
    parse_duration,
)
from hardened_aml.compute_instance import DEFAULT_IDLE_SHUTDOWN, IDLE_SHUTDOWN_MAX, IDLE_SHUTDOWN_MIN
from hardened_aml.errors import MISSING, InvalidInputError
from hardened_aml.governance import AssignmentEnforcement
from hardened_aml.naming import WORKLOAD_PATTERN
from hardened_aml.online_endpoint import MAX_MIRROR_PERCENT, PRODUCTION_MIN_INSTANCES, AuthMode, DeploymentStage
from hardened_aml.regions import REGIONS
from hardened_aml.workspace import FirewallSku, IsolationMode, NetworkProvisioning


class Environment(StrEnum):
    """Exploration and production workspaces are never shared (control AML-REL-003)."""

    EXPLORATION = "exploration"
    PRODUCTION = "production"


class _Strict(BaseModel):
    # Field docstrings become descriptions: the generated configuration reference (docs/configuration.md).
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True, use_attribute_docstrings=True
    )


TagValue = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^<>%&\\?/]+$")]


class CostTags(_Strict):
    """Cost-allocation tags applied to every resource, with ``environment`` added from the stack."""

    team: TagValue
    """The owning team."""
    cost_centre: TagValue
    """The cost centre that pays for the estate."""
    extra: dict[str, TagValue] = Field(default_factory=dict)
    """Further tags, e.g. ``dataClassification``."""


class ExistingVnet(_Strict):
    """A virtual network that already exists (hub-and-spoke): the estate adds its subnets to it."""

    resource_group_name: Annotated[str, Field(min_length=1, max_length=90)]
    """The resource group of the existing virtual network."""
    name: Annotated[str, Field(min_length=2, max_length=64)]
    """The name of the existing virtual network."""


Cidr = Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")]
ResourceId = Annotated[str, Field(pattern=r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/.+$")]
ObjectId = Annotated[
    str, Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
]


class NetworkSettings(_Strict):
    """The estate's network: a new VNet (default) or an existing one, and its private DNS zones."""

    existing_vnet: ExistingVnet | None = None
    """Use this VNet instead of creating one."""
    address_space: Cidr = "10.40.0.0/22"
    """Address space of a new VNet (ignored with ``existingVnet``)."""
    private_endpoint_subnet_prefix: Cidr = "10.40.0.0/24"
    """Prefix of the private-endpoint subnet."""
    aks_subnet_prefix: Cidr = "10.40.1.0/24"
    """Prefix of the AKS subnet."""
    compute_subnet_prefix: Cidr = "10.40.2.0/24"
    """Prefix of the compute subnet, created only when the managed VNet is off."""
    private_dns_zone_ids: dict[str, ResourceId] = Field(default_factory=dict)
    """Existing private DNS zones by zone name (hub-and-spoke); zones not listed are created here."""

    @field_validator("address_space", "private_endpoint_subnet_prefix", "aks_subnet_prefix", "compute_subnet_prefix")
    @classmethod
    def _cidr(cls, value: str, info: ValidationInfo) -> str:
        try:
            block = ipaddress.ip_network(value)
        except ValueError:
            raise ValueError("an IPv4 CIDR block with no host bits set, such as 10.40.0.0/24") from None
        space = info.data.get("address_space")
        if info.field_name != "address_space" and space and info.data.get("existing_vnet") is None:
            if not block.subnet_of(ipaddress.ip_network(space)):  # type: ignore[arg-type]
                raise ValueError(f"a block inside addressSpace {space}")
            for other in ("private_endpoint_subnet_prefix", "aks_subnet_prefix"):
                taken = info.data.get(other)
                if other != info.field_name and taken and block.overlaps(ipaddress.ip_network(taken)):
                    raise ValueError(f"a block that does not overlap {taken}")
        return value


class AccessSettings(_Strict):
    """Entra ID groups given least-privilege roles on the workspace (control AML-IAM-003)."""

    data_scientist_group_ids: list[ObjectId] = Field(default_factory=list)
    """Object ids of groups given "AzureML Data Scientist"."""
    compute_operator_group_ids: list[ObjectId] = Field(default_factory=list)
    """Object ids of groups given "AzureML Compute Operator"."""
    reader_group_ids: list[ObjectId] = Field(default_factory=list)
    """Object ids of groups given "Reader"."""


class BudgetSettings(_Strict):
    """A monthly consumption budget with alerts on the estate's resource group (control AML-COST-001)."""

    amount: Annotated[float, Field(gt=0)]
    """Monthly amount in the billing currency."""
    contact_emails: Annotated[list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]], Field(min_length=1)]
    """Who gets the alerts."""
    start_date: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])-01$")]
    """First day of the first budget month, ``YYYY-MM-01``."""


ComputeName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9-]{2,23}$")]
"""An Azure ML compute name: 3-24 letters, digits and '-', starting with a letter."""
ResourceName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9-]{2,31}$")]
"""An endpoint or deployment name: 3-32 letters, digits and '-', starting with a letter."""
ModelId = Annotated[str, Field(pattern=r"^(azureml://\S+|/subscriptions/\S+/models/\S+)$")]
"""A model asset id: ``azureml://registries/<registry>/models/<name>/versions/<version>`` or an ARM id."""
Percent = Annotated[int, Field(ge=0, le=100)]
AssetId = Annotated[str, Field(pattern=r"^(azureml:\S+|/subscriptions/\S+)$")]
"""An environment or code asset id: ``azureml:...`` / ``azureml://...`` or an ARM id."""


def _vm_size(value: str) -> str:
    if value.lower() not in {s.lower() for s in DEFAULT_VM_SIZES}:
        raise ValueError("one of " + ", ".join(DEFAULT_VM_SIZES) + " (control AML-CMP-003)")
    return value


def _duration(value: str, low: dt.timedelta, high: dt.timedelta, what: str) -> str:
    parsed = parse_duration(value)
    if parsed is None or not low <= parsed <= high:
        raise ValueError(what)
    return value


class ClusterSettings(_Strict):
    """One AmlCompute cluster (controls AML-CMP-001, AML-CMP-003, AML-REL-005)."""

    name: ComputeName
    """Compute name, unique among the workspace's computes."""
    vm_size: str
    """VM size, from the pack's allow-list (AML-CMP-003)."""
    max_nodes: Annotated[int, Field(ge=1, le=DEFAULT_MAX_NODES_LIMIT)]
    """Most nodes (1..10, AML-CMP-003); the cluster always scales to zero (AML-CMP-001)."""
    purpose: ClusterPurpose = ClusterPurpose.TRAINING
    """``Training`` or ``BatchInference``."""
    tier: VmTier = VmTier.DEDICATED
    """``Dedicated`` or ``LowPriorityInterruptible`` (training only, AML-REL-005)."""
    idle_before_scale_down: str = "PT15M"
    """Idle time before a node is released: an ISO-8601 duration up to PT30M (AML-CMP-001)."""

    @field_validator("vm_size")
    @classmethod
    def _size(cls, value: str) -> str:
        return _vm_size(value)

    @field_validator("idle_before_scale_down")
    @classmethod
    def _idle(cls, value: str) -> str:
        limit = parse_duration(DEFAULT_MAX_IDLE_BEFORE_SCALE_DOWN)
        assert limit is not None
        return _duration(
            value,
            dt.timedelta(seconds=1),
            limit,
            f"an ISO-8601 duration above zero and at most {DEFAULT_MAX_IDLE_BEFORE_SCALE_DOWN}, e.g. PT15M",
        )


class InstanceSettings(_Strict):
    """One personal compute instance (controls AML-CMP-002, AML-IAM-010, AML-GOV-007)."""

    name: ComputeName
    """Compute name, unique in the region."""
    vm_size: str
    """VM size, from the pack's allow-list (AML-CMP-003)."""
    assigned_user_object_id: ObjectId
    """Entra object id of its one user (AML-IAM-010)."""
    image_epoch: dt.date
    """Date the instance was last (re)built, ``YYYY-MM-DD``: bump it to rebuild with the latest image (AML-GOV-007)."""
    idle_time_before_shutdown: str = DEFAULT_IDLE_SHUTDOWN
    """Idle time before shutdown, PT15M..P3D (AML-CMP-002)."""

    @field_validator("vm_size")
    @classmethod
    def _size(cls, value: str) -> str:
        return _vm_size(value)

    @field_validator("image_epoch", mode="before")
    @classmethod
    def _date_only(cls, value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError("a date, YYYY-MM-DD")
        return value

    @field_validator("idle_time_before_shutdown")
    @classmethod
    def _idle(cls, value: str) -> str:
        return _duration(value, IDLE_SHUTDOWN_MIN, IDLE_SHUTDOWN_MAX, "an ISO-8601 duration from PT15M to P3D")


class ComputeSettings(_Strict):
    """The workspace's training and batch clusters and personal instances."""

    clusters: list[ClusterSettings] = Field(default_factory=list)
    """AmlCompute clusters."""
    instances: list[InstanceSettings] = Field(default_factory=list)
    """Personal compute instances."""
    max_image_age_days: Annotated[int, Field(ge=1, le=365)] = 30
    """Length in days of each instance's rebuild cycle, which starts at its ``imageEpoch`` (AML-GOV-007)."""


class NodePoolSettings(_Strict):
    """Size and autoscaler range of one AKS node pool (controls AML-AKS-001, AML-AKS-008)."""

    vm_size: Annotated[str, Field(pattern=r"^Standard_[A-Za-z0-9_]+$")]
    """VM size, e.g. ``Standard_D4s_v5``."""
    min_count: Annotated[int, Field(ge=0, le=1000)]
    """Fewest nodes."""
    max_count: Annotated[int, Field(ge=1, le=1000)]
    """Most nodes, at least ``minCount``."""

    @field_validator("max_count")
    @classmethod
    def _range(cls, value: int, info: ValidationInfo) -> int:
        low = info.data.get("min_count")
        if low is not None and value < low:
            raise ValueError(f"a count from {max(low, 1)} to 1000 (at least minCount)")
        return value


class TlsSettings(_Strict):
    """The inference router's certificate: a Kubernetes secret in the ``azureml`` namespace."""

    cname: Annotated[str, Field(pattern=r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")]
    """The host name clients call."""
    secret_name: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")]
    """The secret holding ``cert.pem`` and ``key.pem``."""


class AksSettings(_Strict):
    """A zonal private AKS cluster attached to the workspace as Kubernetes compute (AML-AKS-001..008)."""

    system_pool: NodePoolSettings = NodePoolSettings(vm_size="Standard_D4s_v5", min_count=3, max_count=5)
    """System pool; at least one node."""
    inference_pool: NodePoolSettings = NodePoolSettings(vm_size="Standard_D8s_v5", min_count=3, max_count=6)
    """Inference pool; at least three nodes with ``routerHighAvailability``."""
    compute_name: Annotated[str, Field(pattern=r"^[a-zA-Z][a-zA-Z0-9-]{1,15}$")] = "aks-inference"
    """Name of the attached compute: 2-16 letters, digits and hyphens."""
    namespace: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")] = "inference"
    """Kubernetes namespace of the inference workloads."""
    transport: InferenceTransport = InferenceTransport.HTTPS
    """``https`` (needs ``tls``) or ``http-insecure-for-testing``."""
    tls: TlsSettings | None = None
    """The router's certificate; required with ``https``."""
    router_exposure: RouterExposure = RouterExposure.INTERNAL_LOAD_BALANCER
    """How the inference router is reached; never public."""
    router_high_availability: bool = True
    """Three router replicas."""
    outbound_type: OutboundType = OutboundType.LOAD_BALANCER
    """Node egress."""
    pod_cidr: Cidr = "10.244.0.0/16"
    """Overlay pod address space; outside the VNet's."""
    service_cidr: Cidr = "10.0.0.0/16"
    """Kubernetes service address space; outside the VNet's and the pods'."""
    dns_service_ip: Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}$")] = "10.0.0.10"
    """Cluster DNS service address, inside ``serviceCidr``."""
    admin_group_object_ids: list[ObjectId] = Field(default_factory=list)
    """Entra ID groups that administer the cluster."""
    kubernetes_version: Annotated[str, Field(pattern=r"^\d+\.\d+(\.\d+)?$")] | None = None
    """Kubernetes version at creation; AKS's default when unset."""

    @field_validator("pod_cidr", "service_cidr")
    @classmethod
    def _block(cls, value: str) -> str:
        try:
            ipaddress.IPv4Network(value)
        except ValueError:
            raise ValueError("an IPv4 CIDR block with no host bits set, such as 10.244.0.0/16") from None
        return value


class AutoscaleSettings(_Strict):
    """Azure Monitor autoscale of one online deployment (control AML-CMP-004)."""

    minimum: Annotated[int, Field(ge=1)] | None = None
    """Fewest instances; the deployment's ``instanceCount`` when unset."""
    maximum: Annotated[int, Field(ge=1)] = 5
    """Most instances, at least ``instanceCount``."""
    cpu_scale_out_percent: Annotated[int, Field(ge=1, le=100)] = 70
    """Scale out above this average CPU."""
    cpu_scale_in_percent: Annotated[int, Field(ge=1, le=99)] = 30
    """Scale in below this average CPU."""
    latency_scale_out_ms: Annotated[int, Field(ge=1)] | None = None
    """Also scale out above this average request latency (ms)."""

    @field_validator("cpu_scale_in_percent")
    @classmethod
    def _below_out(cls, value: int, info: ValidationInfo) -> int:
        out = info.data.get("cpu_scale_out_percent")
        if out is not None and value >= out:
            raise ValueError(f"a percentage below cpuScaleOutPercent ({out})")
        return value


class OnlineDeploymentSettings(_Strict):
    """One blue/green deployment of the online endpoint."""

    name: ResourceName
    """Deployment name, e.g. ``blue``."""
    model: ModelId
    """Model asset id."""
    stage: DeploymentStage = DeploymentStage.NEW
    """``New`` on the update that creates it; ``Existing`` afterwards (only then may traffic name it)."""
    instance_type: str = "Standard_DS3_v2"
    """VM size of the instances (AML-CMP-003)."""
    instance_count: Annotated[int, Field(ge=1)] | None = None
    """Instances; 3 by default in production (AML-REL-007), 1 otherwise."""
    autoscale: AutoscaleSettings = Field(default_factory=AutoscaleSettings)
    """Autoscale (AML-CMP-004)."""
    environment_id: AssetId | None = None
    """Environment asset id; none for MLflow and curated registry models."""
    code_id: AssetId | None = None
    """Code asset id with the scoring script; given with ``scoringScript``."""
    scoring_script: Annotated[str, Field(min_length=1)] | None = None
    """Scoring script in the code asset, e.g. ``score.py``; given with ``codeId``."""

    @field_validator("instance_type")
    @classmethod
    def _size(cls, value: str) -> str:
        return _vm_size(value)


class OnlineEndpointSettings(_Strict):
    """A private managed online endpoint with blue/green deployments (AML-REL-004, AML-NET-013)."""

    name: ResourceName | None = None
    """Endpoint name, unique in the region; derived from the workload and stack when unset."""
    auth_mode: AuthMode = AuthMode.AAD_TOKEN
    """``AADToken`` or ``Key`` (AML-IAM-007)."""
    deployments: list[OnlineDeploymentSettings] = Field(default_factory=list)
    """The deployments."""
    traffic: dict[str, Percent] = Field(default_factory=dict)
    """Live traffic per ``Existing`` deployment; empty or summing to 100."""
    mirror_traffic: dict[str, Percent] = Field(default_factory=dict)
    """Mirrored traffic per ``Existing`` deployment; at most 50 in total."""


class BatchDeploymentSettings(_Strict):
    """The model deployment of the batch endpoint."""

    name: ResourceName
    """Deployment name."""
    model: ModelId
    """Model asset id."""
    stage: DeploymentStage = DeploymentStage.NEW
    """``Existing`` once created: only then it is the endpoint's default."""
    instance_count: Annotated[int, Field(ge=1)] = 1
    """Cluster nodes per job."""
    mini_batch_size: Annotated[int, Field(ge=1)] = 10
    """Files per mini-batch."""
    max_concurrency_per_instance: Annotated[int, Field(ge=1)] = 1
    """Parallel mini-batches per node."""
    environment_id: AssetId | None = None
    """Environment asset id; none for MLflow and curated registry models."""
    code_id: AssetId | None = None
    """Code asset id with the scoring script; given with ``scoringScript``."""
    scoring_script: Annotated[str, Field(min_length=1)] | None = None
    """Scoring script in the code asset, e.g. ``score.py``; given with ``codeId``."""


class BatchEndpointSettings(_Strict):
    """A batch endpoint on a ``BatchInference`` cluster of ``compute.clusters`` (AML-REL-005)."""

    name: ResourceName | None = None
    """Endpoint name, unique in the region; derived from the workload and stack when unset."""
    cluster: ComputeName
    """Name of a ``compute.clusters`` entry with purpose ``BatchInference``."""
    deployment: BatchDeploymentSettings | None = None
    """The model deployment."""


class InferenceSettings(_Strict):
    """Serving: an attached AKS cluster, an online endpoint and a batch endpoint, each optional."""

    aks: AksSettings | None = None
    """Zonal private AKS attached as Kubernetes compute."""
    online_endpoint: OnlineEndpointSettings | None = None
    """The managed online endpoint."""
    batch_endpoint: BatchEndpointSettings | None = None
    """The batch endpoint."""


HttpsUrl = Annotated[str, Field(pattern=r"^https://[^\s/]+(/\S*)?$")]


class GovernanceSettings(_Strict):
    """What the Azure Policy assignments of AML-GOV-001..008 allow (always assigned at the resource group)."""

    allowed_python_indexes: list[HttpsUrl] | None = None
    """Python package indexes jobs may install from; AML-GOV-002 is skipped when unset."""
    allowed_model_registry: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,32}$")] = "azureml"
    """The one Azure ML registry models may be deployed from (AML-GOV-006)."""
    restricted_models: list[Annotated[str, Field(pattern=r"^azureml://registries/\S+$")]] = Field(default_factory=list)
    """Model asset ids refused even from that registry (AML-GOV-006)."""
    enforcement: AssignmentEnforcement = AssignmentEnforcement.DEFAULT
    """``Default`` (enforced) or ``DoNotEnforce`` (compliance reporting only)."""


class PrivateEndpointRuleSettings(_Strict):
    """An outbound rule to an Azure resource through a managed private endpoint (any isolation mode)."""

    type: Literal["PrivateEndpoint"]
    """The rule's kind."""
    name: str
    """Rule name, unique in the workspace."""
    service_resource_id: ResourceId
    """ARM id of the resource; not the workspace's own storage, key vault or registry (Azure adds those)."""
    subresource_target: Annotated[str, Field(min_length=1)]
    """Private-link group id, e.g. ``blob``."""


class ServiceTagRuleSettings(_Strict):
    """An outbound rule to an Azure service tag (only under AllowOnlyApprovedOutbound)."""

    type: Literal["ServiceTag"]
    """The rule's kind."""
    name: str
    """Rule name, unique in the workspace."""
    service_tag: Annotated[str, Field(min_length=1)]
    """Azure service tag, e.g. ``AzureMonitor``."""
    protocol: Literal["TCP", "UDP", "ICMP", "*"] = "TCP"
    """Protocol."""
    port_ranges: str = "443"
    """Ports, e.g. ``443`` or ``80,443``."""


class FqdnRuleSettings(_Strict):
    """An outbound rule to a host name through the managed firewall (only under AllowOnlyApprovedOutbound;
    ports 80 and 443 only; brings a billed Azure Firewall, AML-COST-003)."""

    type: Literal["FQDN"]
    """The rule's kind."""
    name: str
    """Rule name, unique in the workspace."""
    destination: str
    """Host name, optionally ``*.``-prefixed; no scheme and no port."""
    ports: tuple[Literal[80, 443], ...] = (443,)
    """Ports: 80 and/or 443 only (Azure opens exactly these for FQDN rules)."""


OutboundRuleSettings = Annotated[
    PrivateEndpointRuleSettings | ServiceTagRuleSettings | FqdnRuleSettings, Field(discriminator="type")
]


class ManagedNetworkSettings(_Strict):
    """The workspace's managed VNet (controls AML-NET-002, AML-NET-014, AML-COST-003)."""

    isolation_mode: IsolationMode = IsolationMode.ALLOW_ONLY_APPROVED_OUTBOUND
    """``AllowOnlyApprovedOutbound`` (default) or ``AllowInternetOutbound`` (an exploration opt-out)."""
    provisioning: NetworkProvisioning = NetworkProvisioning.WITH_WORKSPACE
    """``WithWorkspace`` (default: in the workspace's first PUT) or ``OnFirstCompute``."""
    firewall_sku: FirewallSku = FirewallSku.STANDARD
    """SKU of the managed firewall that FQDN rules bring: ``Standard`` (default) or ``Basic``."""
    outbound_rules: list[OutboundRuleSettings] = Field(default_factory=list)
    """Approved outbound rules, each with ``type`` PrivateEndpoint, ServiceTag or FQDN."""


class StackSettings(_Strict):
    """Everything a stack file of this repository may set under the ``hardened-aml:`` namespace."""

    environment: Environment
    """``exploration`` or ``production``: production adds delete locks, GZRS storage and stricter pack
    config."""
    workload: Annotated[str, Field(pattern=WORKLOAD_PATTERN.pattern)]
    """Short workload name used in every resource name: 2-8 lowercase letters and digits, a letter first."""
    location: str
    """The Azure region, e.g. ``westeurope``."""
    tags: CostTags
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    """The estate's network (see :class:`NetworkSettings`)."""
    managed_network: ManagedNetworkSettings = Field(default_factory=ManagedNetworkSettings)
    """The workspace's managed VNet and its approved outbound rules (see :class:`ManagedNetworkSettings`)."""
    access: AccessSettings = Field(default_factory=AccessSettings)
    """Entra ID groups and their workspace roles (see :class:`AccessSettings`)."""
    budget: BudgetSettings | None = None
    """The estate's budget (see :class:`BudgetSettings`); none when the subscription has its own."""
    compute: ComputeSettings = Field(default_factory=ComputeSettings)
    """Clusters and compute instances (see :class:`ComputeSettings`)."""
    inference: InferenceSettings = Field(default_factory=InferenceSettings)
    """AKS, online and batch endpoints (see :class:`InferenceSettings`)."""
    governance: GovernanceSettings = Field(default_factory=GovernanceSettings)
    """The Azure Policy assignments' settings (see :class:`GovernanceSettings`)."""

    @field_validator("location")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value not in REGIONS:
            raise ValueError("unknown Azure region")
        return value

    @property
    def production(self) -> bool:
        return self.environment is Environment.PRODUCTION


Problem = tuple[tuple[str | int, ...], object, str]
"""A cross-field problem: the key's location (aliases), the value given and what is allowed."""


def _compute_rules(settings: StackSettings, today: dt.date) -> Iterator[Problem]:
    compute = settings.compute
    seen: set[str] = set()
    named: list[tuple[tuple[str | int, ...], str]] = [
        *((("compute", "clusters", i, "name"), c.name) for i, c in enumerate(compute.clusters)),
        *((("compute", "instances", i, "name"), c.name) for i, c in enumerate(compute.instances)),
    ]
    if settings.inference.aks is not None:
        named.append((("inference", "aks", "computeName"), settings.inference.aks.compute_name))
    for loc, name in named:
        if name.lower() in seen:
            yield loc, name, "a compute name not used by another cluster, instance or the AKS compute"
        seen.add(name.lower())
    for i, instance in enumerate(compute.instances):
        if instance.image_epoch > today:
            yield (
                ("compute", "instances", i, "imageEpoch"),
                instance.image_epoch.isoformat(),
                f"a date not after today ({today}): the start of the instance's rebuild cycle (AML-GOV-007)",
            )


def _aks_rules(settings: StackSettings, aks: AksSettings) -> Iterator[Problem]:
    here: tuple[str, ...] = ("inference", "aks")
    if aks.transport is InferenceTransport.HTTPS and aks.tls is None:
        insecure = InferenceTransport.HTTP_INSECURE_FOR_TESTING.value
        yield (*here, "tls"), MISSING, f"cname and secretName with transport https, or transport {insecure}"
    if aks.system_pool.min_count < 1:
        yield (*here, "systemPool", "minCount"), aks.system_pool.min_count, "1 or more (a System pool)"
    if aks.router_high_availability and aks.inference_pool.min_count < 3:
        yield (
            (*here, "inferencePool", "minCount"),
            aks.inference_pool.min_count,
            "3 or more while routerHighAvailability is true (three router replicas)",
        )
    pods, services = ipaddress.IPv4Network(aks.pod_cidr), ipaddress.IPv4Network(aks.service_cidr)
    if pods.overlaps(services):
        yield (*here, "serviceCidr"), aks.service_cidr, f"a block that does not overlap podCidr {aks.pod_cidr}"
    net = settings.network
    taken = {
        "privateEndpointSubnetPrefix": net.private_endpoint_subnet_prefix,
        "aksSubnetPrefix": net.aks_subnet_prefix,
        "computeSubnetPrefix": net.compute_subnet_prefix,
    }
    if net.existing_vnet is None:
        taken = {"addressSpace": net.address_space, **taken}
    for key, block in (("podCidr", pods), ("serviceCidr", services)):
        for other, prefix in taken.items():
            if block.overlaps(ipaddress.IPv4Network(prefix)):
                yield (
                    (*here, key),
                    str(block),
                    f"a block that does not overlap network.{other} {prefix} (AKS overlay addresses stay "
                    "outside the VNet)",
                )
    try:
        dns_ip: ipaddress.IPv4Address | None = ipaddress.IPv4Address(aks.dns_service_ip)
    except ValueError:
        dns_ip = None
    if dns_ip is None or dns_ip not in services:
        yield (*here, "dnsServiceIp"), aks.dns_service_ip, f"an address inside serviceCidr {aks.service_cidr}"


def _deployment_rules(
    settings: StackSettings, at: tuple[str | int, ...], d: OnlineDeploymentSettings | BatchDeploymentSettings
) -> Iterator[Problem]:
    if (d.code_id is None) != (d.scoring_script is None):
        missing = "scoringScript" if d.scoring_script is None else "codeId"
        yield (*at, missing), MISSING, "codeId and scoringScript given together, or neither"
    registry = settings.governance.allowed_model_registry
    if d.model.startswith("azureml://registries/") and d.model.split("/")[3] != registry:
        yield (
            (*at, "model"),
            d.model,
            f"a model of registry {registry!r} (governance.allowedModelRegistry; AML-GOV-006 refuses others)",
        )


def _online_rules(settings: StackSettings, endpoint: OnlineEndpointSettings) -> Iterator[Problem]:
    here: tuple[str, ...] = ("inference", "onlineEndpoint")
    low = PRODUCTION_MIN_INSTANCES if settings.production else 1
    stages: dict[str, DeploymentStage] = {}
    for i, d in enumerate(endpoint.deployments):
        at: tuple[str | int, ...] = (*here, "deployments", i)
        if d.name in stages:
            yield (*at, "name"), d.name, "a deployment name not used by another deployment of this endpoint"
        stages[d.name] = d.stage
        yield from _deployment_rules(settings, at, d)
        count = d.instance_count if d.instance_count is not None else low
        if count < low:
            yield (*at, "instanceCount"), count, f"{low} or more in production (AML-REL-007)"
        minimum = d.autoscale.minimum if d.autoscale.minimum is not None else count
        if minimum < low:
            yield (*at, "autoscale", "minimum"), minimum, f"{low} or more in production (AML-REL-007)"
        if not minimum <= count <= d.autoscale.maximum:
            yield (
                (*at, "autoscale", "maximum"),
                d.autoscale.maximum,
                f"at least instanceCount ({count}) and autoscale.minimum ({minimum})",
            )
    for key, split in (("traffic", endpoint.traffic), ("mirrorTraffic", endpoint.mirror_traffic)):
        for name, share in split.items():
            if name not in stages:
                yield (*here, key, name), share, "a deployment of this endpoint: " + (", ".join(stages) or "none")
            elif stages[name] is not DeploymentStage.EXISTING:
                yield (
                    (*here, key, name),
                    share,
                    f"traffic only to deployments with stage Existing: create {name!r} with stage New first, "
                    "then set it to Existing and give it traffic in the next update",
                )
    if endpoint.traffic and sum(endpoint.traffic.values()) != 100:
        shares = ", ".join(f"{n}={s}" for n, s in endpoint.traffic.items())
        yield (*here, "traffic"), shares, "empty, or percentages that sum to 100"
    if sum(endpoint.mirror_traffic.values()) > MAX_MIRROR_PERCENT:
        shares = ", ".join(f"{n}={s}" for n, s in endpoint.mirror_traffic.items())
        yield (*here, "mirrorTraffic"), shares, f"percentages that sum to at most {MAX_MIRROR_PERCENT}"


def _batch_rules(settings: StackSettings, endpoint: BatchEndpointSettings) -> Iterator[Problem]:
    if endpoint.deployment is not None:
        yield from _deployment_rules(settings, ("inference", "batchEndpoint", "deployment"), endpoint.deployment)
    batch = [c.name for c in settings.compute.clusters if c.purpose is ClusterPurpose.BATCH_INFERENCE]
    if endpoint.cluster not in batch:
        yield (
            ("inference", "batchEndpoint", "cluster"),
            endpoint.cluster,
            "the name of a compute.clusters entry with purpose BatchInference: " + (", ".join(batch) or "none"),
        )


def problems(settings: StackSettings, today: dt.date | None = None) -> Iterator[Problem]:
    """The rules that relate several keys, in the order of the stack file's sections."""
    yield from _compute_rules(settings, today or dt.datetime.now(dt.UTC).date())
    inference = settings.inference
    if inference.aks is not None:
        yield from _aks_rules(settings, inference.aks)
    if inference.online_endpoint is not None:
        yield from _online_rules(settings, inference.online_endpoint)
    if inference.batch_endpoint is not None:
        yield from _batch_rules(settings, inference.batch_endpoint)


def _allowed(model: type[BaseModel], loc: tuple[Any, ...], error: Mapping[str, Any]) -> str:
    """What is allowed at ``loc``, in words, from the model and the pydantic error."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        target: type[BaseModel] | None = model
        previous: Any = None
        for i, part in enumerate(loc[:-1]):
            if target is None:
                break
            if isinstance(part, int):  # an item of a list: the list's model applies
                continue
            if _is_union_tag(loc, i):  # the member of a tagged union pydantic chose
                target = next((m for m in _members(previous) if _tag(m) == part), None)
                continue
            fields = target.model_fields
            field = fields.get(part) or next((f for f in fields.values() if f.alias == part), None)
            previous = field.annotation if field else None
            target = _model_in(previous) if field else None
        if target is not None:
            return "one of " + ", ".join(f.alias or n for n, f in target.model_fields.items())
        return "no other keys"
    if kind in ("enum", "literal_error"):
        return str(ctx.get("expected", ""))
    if kind == "union_tag_invalid":
        return f"an object whose {ctx.get('discriminator', 'type')} is one of {ctx.get('expected_tags')}"
    if kind == "string_pattern_mismatch":
        return f"a string matching {ctx.get('pattern')}"
    if kind == "missing":
        return "a value (this key is required)"
    if error["msg"].endswith("unknown Azure region"):
        return "one of " + ", ".join(sorted(REGIONS))
    return str(error["msg"]).removeprefix("Value error, ")


def _is_union_tag(loc: tuple[Any, ...], i: int) -> bool:
    """Whether ``loc[i]`` is the tag pydantic adds after a list item of a tagged union (``0.FQDN``): config keys
    are camelCase, tags (``type`` values) are capitalised."""
    return i > 0 and isinstance(loc[i - 1], int) and isinstance(loc[i], str) and loc[i][:1].isupper()


def _members(annotation: Any) -> list[type[BaseModel]]:
    """Every model class inside an annotation (the members of a union, however nested)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _members(arg)]


def _tag(model: type[BaseModel]) -> object:
    field = model.model_fields.get("type")
    return get_args(field.annotation)[0] if field is not None and get_args(field.annotation) else None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class in an annotation such as ``Model``, ``Model | None`` or ``list[Model]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for m in map(_model_in, get_args(annotation)) if m is not None), None)


def parse(values: Mapping[str, Any], namespace: str = "hardened-aml") -> StackSettings:
    """Validate raw config values (already JSON-decoded); raise one :class:`InvalidInputError` per stack."""
    try:
        settings = StackSettings.model_validate(values)
    except ValidationError as exc:
        # Unknown keys first: a misspelt key also shows up as a missing one, and the spelling is the cause.
        first = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        loc = tuple(first["loc"])
        # pydantic names the member of a tagged union (``outboundRules.0.FQDN.ports``): the key has no such part
        key = f"{namespace}:" + ".".join(str(p) for i, p in enumerate(loc) if not _is_union_tag(loc, i))
        given = first.get("input") if first["type"] != "missing" else MISSING
        more = f" (and {exc.error_count() - 1} more error(s))" if exc.error_count() > 1 else ""
        raise InvalidInputError(key, given, _allowed(StackSettings, loc, first) + more) from None
    for loc, given, allowed in problems(settings):
        raise InvalidInputError(f"{namespace}:" + ".".join(str(p) for p in loc), given, allowed)
    return settings


def from_pulumi_config(namespace: str | None = None) -> StackSettings:
    """Read every ``namespace:*`` config key of the running stack into :class:`StackSettings`."""
    namespace = namespace or pulumi.get_project()
    raw = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    values: dict[str, Any] = {}
    for full_key, value in raw.items():
        ns, _, key = full_key.partition(":")
        if ns != namespace:
            continue
        if isinstance(value, str) and value[:1] in "{[":
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise InvalidInputError(full_key, value, "valid JSON for a structured value") from None
        values[key] = value
    return parse(values, namespace)
