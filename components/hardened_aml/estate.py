"""One hardened Azure Machine Learning estate: every component of this library, wired together.

Order of creation (the dependencies the components need): the workspace and its private endpoint first;
compute clusters and instances after the workspace's private endpoint (no-public-IP compute needs it,
PITFALLS: Azure/data-product-analytics #70); the AKS cluster, its attach and the endpoints after the
workspace (they take its name and id); the batch deployment on a ``BatchInference`` cluster of the estate.
The governance assignments are always made, at the resource group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native.managedidentity as managedidentity
import pulumi_azure_native.resources as resources

from hardened_aml import aks as aks_module
from hardened_aml import batch_endpoint as batch_module
from hardened_aml import compute_cluster, compute_instance, shared
from hardened_aml import governance as governance_module
from hardened_aml import online_endpoint as online_module
from hardened_aml import workspace as workspace_module
from hardened_aml.access import WorkspaceAccess, WorkspaceAccessArgs
from hardened_aml.aks import (
    InferenceCluster,
    InferenceClusterArgs,
    InferenceTls,
    InferenceTransport,
    NodePool,
    OutboundType,
    RouterExposure,
)
from hardened_aml.batch_endpoint import BatchDeploymentSpec, BatchEndpoint, BatchEndpointArgs
from hardened_aml.budget import Budget, BudgetArgs, BudgetOptions
from hardened_aml.compute_cluster import ClusterPurpose, ComputeCluster, ComputeClusterArgs, VmTier
from hardened_aml.compute_instance import ComputeInstance, ComputeInstanceArgs
from hardened_aml.container_registry import ContainerRegistry, ContainerRegistryArgs
from hardened_aml.errors import InvalidInputError
from hardened_aml.governance import AssignmentEnforcement, Governance, GovernanceArgs
from hardened_aml.identity_roles import WorkspaceIdentityRoles, WorkspaceIdentityRolesArgs
from hardened_aml.key_vault import KeyVault, KeyVaultArgs
from hardened_aml.monitoring import Monitoring, MonitoringArgs
from hardened_aml.naming import Namer
from hardened_aml.network import Network, NetworkArgs, NetworkOptions
from hardened_aml.online_endpoint import AuthMode, OnlineDeploymentSpec, OnlineEndpoint, OnlineEndpointArgs
from hardened_aml.private_endpoint import PrivateEndpoint, PrivateEndpointArgs
from hardened_aml.regions import ZONAL_REGIONS
from hardened_aml.storage import GEO_ZONE_REDUNDANT_SKUS, Storage, StorageArgs
from hardened_aml.workspace import (
    FirewallSku,
    IsolationMode,
    NetworkProvisioning,
    OutboundRule,
    Workspace,
    WorkspaceArgs,
)

#: Tags every taggable resource carries (control AML-COST-002).
REQUIRED_TAGS = ("team", "environment", "costCentre")


@dataclass(frozen=True, kw_only=True)
class ClusterOptions:
    """What a user chooses about one compute cluster; :class:`Estate` places it in the workspace."""

    name: str
    """Compute name. Default: none, required."""
    vm_size: str
    """VM size. Default: none, required (control AML-CMP-003)."""
    max_nodes: int
    """Most nodes. Default: none, required (control AML-CMP-003)."""
    purpose: ClusterPurpose = ClusterPurpose.TRAINING
    """Training or batch inference. Default: ``Training`` (control AML-REL-005)."""
    tier: VmTier = VmTier.DEDICATED
    """VM priority. Default: ``Dedicated`` (control AML-REL-005)."""
    idle_before_scale_down: str = "PT15M"
    """Idle time before a node is released. Default: ``PT15M`` (control AML-CMP-001)."""


@dataclass(frozen=True, kw_only=True)
class InstanceOptions:
    """What a user chooses about one personal compute instance."""

    name: str
    """Compute name. Default: none, required."""
    vm_size: str
    """VM size. Default: none, required (control AML-CMP-003)."""
    assigned_user_object_id: str
    """Entra object id of its one user (same tenant as the estate's identity). Default: none, required
    (control AML-IAM-010)."""
    image_epoch: str
    """Start of the instance's rebuild cycle, ``YYYY-MM-DD``, not in the future. Default: none, required (control
    AML-GOV-007)."""
    idle_time_before_shutdown: str = compute_instance.DEFAULT_IDLE_SHUTDOWN
    """Idle time before shutdown. Default: ``PT60M`` (control AML-CMP-002)."""
    schedules: Sequence[compute_instance.StartStopSchedule] = ()
    """Start/stop schedules. Default: none (control AML-CMP-002)."""


@dataclass(frozen=True, kw_only=True)
class ComputeOptions:
    """The workspace's clusters and instances."""

    clusters: Sequence[ClusterOptions] = ()
    """Compute clusters. Default: none."""
    instances: Sequence[InstanceOptions] = ()
    """Personal compute instances. Default: none."""
    max_image_age_days: int = 30
    """Length in days of each instance's rebuild cycle (a new cycle replaces the instance). Default: 30 (control
    AML-GOV-007)."""


@dataclass(frozen=True, kw_only=True)
class AksOptions:
    """What a user chooses about the AKS inference cluster; :class:`Estate` gives it the AKS subnet, an
    identity, the workspace and Log Analytics (see :class:`~hardened_aml.aks.InferenceClusterArgs`)."""

    system_pool: NodePool = field(default_factory=lambda: NodePool(vm_size="Standard_D4s_v5", min_count=3, max_count=5))
    """System pool. Default: ``Standard_D4s_v5``, 3..5 nodes (controls AML-AKS-001, AML-AKS-008)."""
    inference_pool: NodePool = field(
        default_factory=lambda: NodePool(vm_size="Standard_D8s_v5", min_count=3, max_count=6)
    )
    """Inference pool. Default: ``Standard_D8s_v5``, 3..6 nodes (controls AML-AKS-001, AML-AKS-008)."""
    compute_name: str = "aks-inference"
    """Name of the attached compute. Default: ``aks-inference``."""
    namespace: str = "inference"
    """Kubernetes namespace of the inference workloads. Default: ``inference``."""
    transport: InferenceTransport = InferenceTransport.HTTPS
    """Endpoint protocol. Default: HTTPS, which needs ``tls``."""
    tls: InferenceTls | None = None
    """The router's certificate. Default: none; required with HTTPS."""
    router_exposure: RouterExposure = RouterExposure.INTERNAL_LOAD_BALANCER
    """How the inference router is reached. Default: an internal load balancer (never public)."""
    router_high_availability: bool = True
    """Three router replicas. Default: on."""
    outbound_type: OutboundType = OutboundType.LOAD_BALANCER
    """Node egress. Default: the standard load balancer."""
    pod_cidr: str = "10.244.0.0/16"
    """Overlay pod address space, outside the VNet. Default: ``10.244.0.0/16``."""
    service_cidr: str = "10.0.0.0/16"
    """Service address space, outside the VNet. Default: ``10.0.0.0/16``."""
    dns_service_ip: str = "10.0.0.10"
    """Cluster DNS address in ``service_cidr``. Default: ``10.0.0.10``."""
    admin_group_object_ids: Sequence[str] = ()
    """Entra ID groups that administer the cluster. Default: none."""
    kubernetes_version: str | None = None
    """Kubernetes version at creation. Default: AKS's default (control AML-AKS-006)."""


@dataclass(frozen=True, kw_only=True)
class OnlineEndpointOptions:
    """What a user chooses about the online endpoint (see :class:`~hardened_aml.online_endpoint.OnlineEndpointArgs`)."""

    deployments: Sequence[OnlineDeploymentSpec] = ()
    """Blue/green deployments. Default: none."""
    traffic: Mapping[str, int] = field(default_factory=dict)
    """Live traffic per ``EXISTING`` deployment; empty or summing to 100. Default: empty (control AML-REL-004)."""
    mirror_traffic: Mapping[str, int] = field(default_factory=dict)
    """Mirrored traffic, at most 50 in total. Default: empty (control AML-REL-004)."""
    auth_mode: AuthMode = AuthMode.AAD_TOKEN
    """Scoring authentication. Default: ``AADToken`` (control AML-IAM-007)."""
    name: str | None = None
    """Endpoint name, unique in the region. Default: ``oe-<workload>-<stack>-<suffix>``."""


@dataclass(frozen=True, kw_only=True)
class BatchEndpointOptions:
    """What a user chooses about the batch endpoint."""

    cluster: str
    """Name of a :class:`ClusterOptions` with purpose ``BatchInference``. Default: none, required
    (control AML-REL-005)."""
    deployment: BatchDeploymentSpec | None = None
    """The model deployment. Default: none."""
    name: str | None = None
    """Endpoint name, unique in the region. Default: ``be-<workload>-<stack>-<suffix>``."""


@dataclass(frozen=True, kw_only=True)
class GovernanceOptions:
    """What the Azure Policy assignments allow (see :class:`~hardened_aml.governance.GovernanceArgs`)."""

    allowed_python_indexes: Sequence[str] | None = None
    """Python package indexes jobs may use. Default: none, AML-GOV-002 not assigned (control AML-GOV-002)."""
    allowed_model_registry: str = "azureml"
    """The one registry models may be deployed from. Default: ``azureml`` (control AML-GOV-006)."""
    restricted_models: Sequence[str] = ()
    """Models refused even from that registry. Default: none (control AML-GOV-006)."""
    enforcement: AssignmentEnforcement = AssignmentEnforcement.DEFAULT
    """The assignments' enforcement mode. Default: ``Default`` (controls AML-GOV-001..008)."""


@dataclass(frozen=True, kw_only=True)
class EstateArgs:
    """Inputs of :class:`Estate`."""

    namer: Namer
    """Deterministic names for this stack. Default: none, required."""
    location: str
    """The Azure region; it must have availability zones. Default: none, required
    (controls AML-REL-001, AML-REL-002)."""
    tags: Mapping[str, str]
    """Tags on every resource; must hold team, environment and costCentre. Default: none, required
    (control AML-COST-002)."""
    production: bool = False
    """Production: ``protect`` and ``CanNotDelete`` locks on stateful resources, GZRS storage, 90-day logs.
    Default: off (controls AML-REL-001, AML-REL-006)."""
    network: NetworkOptions = field(default_factory=NetworkOptions)
    """Address plan, existing VNet and existing private DNS zones. Default: a new VNet 10.40.0.0/22 with all
    six private DNS zones (controls AML-NET-003, AML-NET-004, AML-NET-008)."""
    isolation_mode: IsolationMode = IsolationMode.ALLOW_ONLY_APPROVED_OUTBOUND
    """Workspace managed VNet outbound mode. Default: ``AllowOnlyApprovedOutbound`` (control AML-NET-002)."""
    network_provisioning: NetworkProvisioning = NetworkProvisioning.WITH_WORKSPACE
    """When the managed VNet is provisioned. Default: in the PUT that creates the private workspace
    (control AML-NET-002)."""
    outbound_rules: Sequence[OutboundRule] = ()
    """Approved outbound destinations, inline on the workspace. Default: none beyond the rules Azure adds; an FQDN
    rule brings a billed firewall (controls AML-NET-014, AML-COST-003)."""
    firewall_sku: FirewallSku = FirewallSku.STANDARD
    """SKU of the managed firewall FQDN rules bring. Default: ``Standard`` (control AML-COST-003)."""
    data_scientist_group_ids: tuple[str, ...] = ()
    """Entra ID groups given "AzureML Data Scientist". Default: none (control AML-IAM-003)."""
    compute_operator_group_ids: tuple[str, ...] = ()
    """Entra ID groups given "AzureML Compute Operator". Default: none (control AML-IAM-003)."""
    reader_group_ids: tuple[str, ...] = ()
    """Entra ID groups given "Reader". Default: none (control AML-IAM-003)."""
    budget: BudgetOptions | None = None
    """A monthly budget with alerts on the resource group. Default: none; both stacks of this repository set
    one (control AML-COST-001)."""
    storage_sku: str | None = None
    """Storage redundancy. Default: ``Standard_ZRS``; ``Standard_GZRS`` in production
    (control AML-REL-001)."""
    compute: ComputeOptions = field(default_factory=ComputeOptions)
    """Clusters and compute instances. Default: none."""
    aks: AksOptions | None = None
    """A zonal private AKS cluster attached as Kubernetes compute. Default: none."""
    online_endpoint: OnlineEndpointOptions | None = None
    """A private managed online endpoint. Default: none."""
    batch_endpoint: BatchEndpointOptions | None = None
    """A batch endpoint on a batch-inference cluster. Default: none."""
    governance: GovernanceOptions = field(default_factory=GovernanceOptions)
    """The Azure Policy assignments, always made at the resource group. Default: see
    :class:`GovernanceOptions` (controls AML-GOV-001..008)."""


class Estate(pulumi.ComponentResource):
    """Resource group, identity, monitoring, Key Vault + CMK, storage, registry, network, workspace, RBAC,
    budget, governance assignments; then the compute, AKS and endpoints the arguments ask for."""

    resource_group_name: pulumi.Output[str]
    workspace_id: pulumi.Output[str]
    workspace_name: pulumi.Output[str]
    compute_ids: dict[str, pulumi.Output[str]]
    """Compute resource ids by compute name: clusters, instances and the attached AKS compute."""
    aks_identity: managedidentity.UserAssignedIdentity | None = None
    """The AKS control plane's identity, when there is an AKS cluster."""

    def __init__(self, name: str, args: EstateArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        _validate(name, args)
        super().__init__("hardened-aml:index:Estate", name, None, opts)
        namer, tags, location = args.namer, dict(args.tags), args.location
        protection = shared.Protection(protect=args.production, lock=args.production)
        child = pulumi.ResourceOptions(parent=self)

        self.resource_group = resources.ResourceGroup(
            f"{name}-rg", resource_group_name=namer.name("rg"), location=location, tags=tags, opts=child
        )
        rg = self.resource_group.name
        # The subscription comes from the resource group's id and the tenant from the identity: no invoke
        # is needed, so a plan never depends on the caller's credentials.
        subscription_id = self.resource_group.id.apply(lambda rg_id: rg_id.split("/")[2])
        # AML-IAM-001: the workspace's only identity, created first so its roles exist before the workspace.
        self.identity = managedidentity.UserAssignedIdentity(
            f"{name}-id",
            resource_name_=namer.name("id"),
            resource_group_name=rg,
            location=location,
            tags=tags,
            opts=child,
        )
        self.monitoring = Monitoring(
            f"{name}-monitoring",
            MonitoringArgs(
                resource_group_name=rg,
                location=location,
                log_analytics_name=namer.name("log"),
                application_insights_name=namer.name("appi"),
                retention_in_days=90 if args.production else 30,
                tags=tags,
            ),
            opts=child,
        )
        law = self.monitoring.log_analytics_workspace_id
        self.key_vault = KeyVault(
            f"{name}-keyvault",
            KeyVaultArgs(
                resource_group_name=rg,
                location=location,
                vault_name=namer.name("kv"),
                key_name=namer.name("cmk"),
                tenant_id=self.identity.tenant_id,
                subscription_id=subscription_id,
                cmk_principal_id=self.identity.principal_id,
                log_analytics_workspace_id=law,
                protection=protection,
                tags=tags,
            ),
            opts=child,
        )
        self.storage = Storage(
            f"{name}-storage",
            StorageArgs(
                resource_group_name=rg,
                location=location,
                account_name=namer.name("st"),
                log_analytics_workspace_id=law,
                sku=args.storage_sku or ("Standard_GZRS" if args.production else "Standard_ZRS"),
                soft_delete_days=30 if args.production else 7,
                protection=protection,
                tags=tags,
            ),
            opts=child,
        )
        self.registry = ContainerRegistry(
            f"{name}-registry",
            ContainerRegistryArgs(
                resource_group_name=rg,
                location=location,
                registry_name=namer.name("cr"),
                log_analytics_workspace_id=law,
                protection=protection,
                tags=tags,
            ),
            opts=child,
        )
        # The identity's roles on the workspace's resources exist before the workspace uses them.
        self.identity_roles = WorkspaceIdentityRoles(
            f"{name}-identity-roles",
            WorkspaceIdentityRolesArgs(
                principal_id=self.identity.principal_id,
                subscription_id=subscription_id,
                storage_account_id=self.storage.account_id,
                key_vault_id=self.key_vault.vault_id,
                container_registry_id=self.registry.registry_id,
                application_insights_id=self.monitoring.application_insights_id,
            ),
            opts=child,
        )
        self.workspace = Workspace(
            f"{name}-workspace",
            WorkspaceArgs(
                resource_group_name=rg,
                location=location,
                workspace_name=namer.name("mlw"),
                identity_id=self.identity.id,
                storage_account_id=self.storage.account_id,
                key_vault_id=self.key_vault.vault_id,
                key_identifier=self.key_vault.key_uri_with_version,
                container_registry_id=self.registry.registry_id,
                application_insights_id=self.monitoring.application_insights_id,
                log_analytics_workspace_id=law,
                isolation_mode=args.isolation_mode,
                network_provisioning=args.network_provisioning,
                outbound_rules=args.outbound_rules,
                firewall_sku=args.firewall_sku,
                # AML-NET-015: the registry is private, so images build on a cluster of this workspace.
                image_build_compute=image_build_compute(args.compute),
                protection=protection,
                depends_on=[self.key_vault.key_access, self.identity_roles],
                tags=tags,
            ),
            opts=child,
        )

        self.network = Network(
            f"{name}-network",
            NetworkArgs(
                resource_group_name=rg,
                location=location,
                namer=namer,
                subscription_id=subscription_id,
                options=args.network,
                managed_network=True,  # the workspace always uses its managed VNet (AML-NET-002)
                tags=tags,
            ),
            opts=child,
        )
        # AML-NET-003 / AML-NET-008: a private endpoint for the workspace and for each of its dependencies.
        endpoints: list[tuple[str, pulumi.Output[str], str, tuple[str, ...]]] = [
            (
                "mlw",
                self.workspace.workspace_id,
                "amlworkspace",
                ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"),
            ),
            ("blob", self.storage.account_id, "blob", ("privatelink.blob.core.windows.net",)),
            ("file", self.storage.account_id, "file", ("privatelink.file.core.windows.net",)),
            ("kv", self.key_vault.vault_id, "vault", ("privatelink.vaultcore.azure.net",)),
            ("cr", self.registry.registry_id, "registry", ("privatelink.azurecr.io",)),
        ]
        self.private_endpoints = [
            PrivateEndpoint(
                f"{name}-pep-{purpose}",
                PrivateEndpointArgs(
                    resource_group_name=rg,
                    location=location,
                    private_endpoint_name=namer.name("pep", purpose),
                    target_resource_id=target,
                    group_id=group_id,
                    subnet_id=self.network.private_endpoint_subnet_id,
                    private_dns_zone_ids=[self.network.private_dns_zone_ids[zone] for zone in zones],
                    tags=tags,
                ),
                opts=child,
            )
            for purpose, target, group_id, zones in endpoints
        ]
        self.access = WorkspaceAccess(
            f"{name}-access",
            WorkspaceAccessArgs(
                workspace_id=self.workspace.workspace_id,
                subscription_id=subscription_id,
                data_scientist_group_ids=args.data_scientist_group_ids,
                compute_operator_group_ids=args.compute_operator_group_ids,
                reader_group_ids=args.reader_group_ids,
            ),
            opts=child,
        )

        self.budget = (
            Budget(
                f"{name}-budget",
                BudgetArgs(scope=self.resource_group.id, budget_name=namer.name("budget"), options=args.budget),
                opts=child,
            )
            if args.budget is not None
            else None
        )

        wiring = _Wiring(
            resource_group_id=self.resource_group.id,
            resource_group_name=rg,
            subscription_id=subscription_id,
            workspace_id=self.workspace.workspace_id,
            workspace_name=self.workspace.workspace_name,
            identity_id=self.identity.id,
            identity_principal_id=self.identity.principal_id,
            tenant_id=self.identity.tenant_id,
            log_analytics_workspace_id=law,
            aks_subnet_id=self.network.aks_subnet_id,
            workspace_private_endpoint=self.private_endpoints[0],  # "mlw", first in the list above
        )
        self.governance = self._governance(name, args, wiring)
        self.clusters = self._clusters(name, args, wiring)
        self.instances = self._instances(name, args, wiring)
        self.inference_cluster = self._inference_cluster(name, args, wiring)
        self.online_endpoint = self._online_endpoint(name, args, wiring)
        self.batch_endpoint = self._batch_endpoint(name, args, wiring)

        self.resource_group_name = rg
        self.workspace_id = self.workspace.workspace_id
        self.workspace_name = self.workspace.workspace_name
        self.compute_ids = {
            **{n: c.compute_id for n, c in self.clusters.items()},
            **{n: c.compute_id for n, c in self.instances.items()},
            **(
                {args.aks.compute_name: self.inference_cluster.compute_id}
                if args.aks and self.inference_cluster
                else {}
            ),
        }
        self.register_outputs(
            {
                "resource_group_name": self.resource_group_name,
                "workspace_id": self.workspace_id,
                "workspace_name": self.workspace_name,
                "compute_ids": self.compute_ids,
            }
        )

    # --- the parts after the workspace, one method each ----------------------------------------------------
    def _governance(self, name: str, args: EstateArgs, wiring: _Wiring) -> Governance:
        """AML-GOV-001..008: the built-in assignments, always, at the resource group."""
        return Governance(
            f"{name}-governance", _governance_args(args, wiring), opts=pulumi.ResourceOptions(parent=self)
        )

    def _clusters(self, name: str, args: EstateArgs, wiring: _Wiring) -> dict[str, ComputeCluster]:
        """Training and batch-inference clusters, after the workspace's private endpoint."""
        return {
            c.name: ComputeCluster(
                f"{name}-cluster-{c.name}", _cluster_args(args, wiring, c), opts=pulumi.ResourceOptions(parent=self)
            )
            for c in args.compute.clusters
        }

    def _instances(self, name: str, args: EstateArgs, wiring: _Wiring) -> dict[str, ComputeInstance]:
        """Personal compute instances, after the workspace's private endpoint."""
        return {
            i.name: ComputeInstance(
                f"{name}-ci-{i.name}", _instance_args(args, wiring, i), opts=pulumi.ResourceOptions(parent=self)
            )
            for i in args.compute.instances
        }

    def _inference_cluster(self, name: str, args: EstateArgs, wiring: _Wiring) -> InferenceCluster | None:
        """The AKS cluster with its own control-plane identity, attached to the workspace as Kubernetes compute."""
        if args.aks is None:
            return None
        child = pulumi.ResourceOptions(parent=self)
        self.aks_identity = managedidentity.UserAssignedIdentity(
            f"{name}-aks-id",
            resource_name_=args.namer.name("id", "aks"),
            resource_group_name=wiring.resource_group_name,
            location=args.location,
            tags=dict(args.tags),
            opts=child,
        )
        return InferenceCluster(
            f"{name}-aks",
            _aks_args(args, wiring, args.aks, self.aks_identity.id, self.aks_identity.principal_id),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.workspace]),
        )

    def _online_endpoint(self, name: str, args: EstateArgs, wiring: _Wiring) -> OnlineEndpoint | None:
        """The private managed online endpoint and its blue/green deployments, after the workspace."""
        if args.online_endpoint is None:
            return None
        return OnlineEndpoint(
            f"{name}-online",
            _online_args(args, wiring, args.online_endpoint),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.workspace]),
        )

    def _batch_endpoint(self, name: str, args: EstateArgs, wiring: _Wiring) -> BatchEndpoint | None:
        """The batch endpoint, its deployment on the estate's batch-inference cluster."""
        if args.batch_endpoint is None:
            return None
        cluster = self.clusters[args.batch_endpoint.cluster]
        return BatchEndpoint(
            f"{name}-batch",
            _batch_args(args, wiring, args.batch_endpoint, cluster.compute_id),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.workspace, cluster]),
        )


@dataclass(frozen=True, kw_only=True)
class _Wiring:
    """What the parts after the workspace take from it and from the resources before it."""

    resource_group_id: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    workspace_id: pulumi.Input[str]
    workspace_name: pulumi.Input[str]
    identity_id: pulumi.Input[str]
    identity_principal_id: pulumi.Input[str]
    tenant_id: pulumi.Input[str]
    log_analytics_workspace_id: pulumi.Input[str]
    aks_subnet_id: pulumi.Input[str]
    workspace_private_endpoint: pulumi.Resource | None


def image_build_compute(compute: ComputeOptions) -> str | None:
    """The cluster that builds images: the first training cluster, else the first cluster (control AML-NET-015).
    With no cluster there is none, and the pack reports that image builds would fail."""
    training = [c.name for c in compute.clusters if c.purpose is ClusterPurpose.TRAINING]
    names = training or [c.name for c in compute.clusters]
    return names[0] if names else None


def _endpoint_name(namer: Namer, kind: str, given: str | None) -> str:
    """``oe-haml-dev-1a2b``: endpoint names are unique in the region (the scoring host name)."""
    return given or "-".join([kind, namer.workload, namer.stack_token, namer.suffix])


def _governance_args(args: EstateArgs, wiring: _Wiring) -> GovernanceArgs:
    g = args.governance
    return GovernanceArgs(
        scope=wiring.resource_group_id,
        # A registry's login server is "<name>.azurecr.io" (its name is lowercase alphanumerics); a literal keeps
        # the plan free of unknowns (AML-GOV-001).
        registry_login_server=f"{args.namer.name('cr')}.azurecr.io",
        allowed_python_indexes=list(g.allowed_python_indexes) if g.allowed_python_indexes is not None else None,
        allowed_model_registry=g.allowed_model_registry,
        restricted_models=list(g.restricted_models),
        enforcement=g.enforcement,
        name_suffix=args.namer.suffix,
    )


def _cluster_args(args: EstateArgs, wiring: _Wiring, c: ClusterOptions) -> ComputeClusterArgs:
    return ComputeClusterArgs(
        resource_group_name=wiring.resource_group_name,
        location=args.location,
        workspace_name=wiring.workspace_name,
        compute_name=c.name,
        identity_id=wiring.identity_id,  # AML-IAM-008: the estate's user-assigned identity
        vm_size=c.vm_size,
        max_nodes=c.max_nodes,
        purpose=c.purpose,
        tier=c.tier,
        idle_before_scale_down=c.idle_before_scale_down,
        workspace_managed_network=True,  # AML-NET-011: the workspace always uses its managed VNet
        workspace_private_endpoint=wiring.workspace_private_endpoint,
        tags=args.tags,
    )


def _instance_args(args: EstateArgs, wiring: _Wiring, i: InstanceOptions) -> ComputeInstanceArgs:
    return ComputeInstanceArgs(
        resource_group_name=wiring.resource_group_name,
        location=args.location,
        workspace_name=wiring.workspace_name,
        compute_name=i.name,
        identity_id=wiring.identity_id,
        vm_size=i.vm_size,
        assigned_user_object_id=i.assigned_user_object_id,
        assigned_user_tenant_id=wiring.tenant_id,  # AML-IAM-010: a user of the estate's tenant
        image_epoch=i.image_epoch,
        max_image_age_days=args.compute.max_image_age_days,
        idle_time_before_shutdown=i.idle_time_before_shutdown,
        schedules=i.schedules,
        workspace_managed_network=True,
        workspace_private_endpoint=wiring.workspace_private_endpoint,
        tags=args.tags,
    )


def _aks_args(
    args: EstateArgs,
    wiring: _Wiring,
    a: AksOptions,
    identity_id: pulumi.Input[str],
    principal_id: pulumi.Input[str],
) -> InferenceClusterArgs:
    return InferenceClusterArgs(
        resource_group_name=wiring.resource_group_name,
        location=args.location,
        subscription_id=wiring.subscription_id,
        cluster_name=args.namer.name("aks"),
        subnet_id=wiring.aks_subnet_id,
        control_plane_identity_id=identity_id,
        control_plane_principal_id=principal_id,
        workspace_name=wiring.workspace_name,
        workspace_id=wiring.workspace_id,
        workspace_identity_id=wiring.identity_id,
        workspace_principal_id=wiring.identity_principal_id,
        log_analytics_workspace_id=wiring.log_analytics_workspace_id,
        system_pool=a.system_pool,
        inference_pool=a.inference_pool,
        compute_name=a.compute_name,
        namespace=a.namespace,
        router_exposure=a.router_exposure,
        transport=a.transport,
        tls=a.tls,
        router_high_availability=a.router_high_availability,
        admin_group_object_ids=a.admin_group_object_ids,
        kubernetes_version=a.kubernetes_version,
        outbound_type=a.outbound_type,
        pod_cidr=a.pod_cidr,
        service_cidr=a.service_cidr,
        dns_service_ip=a.dns_service_ip,
        tags=args.tags,
    )


def _online_args(args: EstateArgs, wiring: _Wiring, o: OnlineEndpointOptions) -> OnlineEndpointArgs:
    return OnlineEndpointArgs(
        resource_group_name=wiring.resource_group_name,
        workspace_name=wiring.workspace_name,
        location=args.location,
        endpoint_name=_endpoint_name(args.namer, "oe", o.name),
        identity_id=wiring.identity_id,
        deployments=o.deployments,
        traffic=o.traffic,
        mirror_traffic=o.mirror_traffic,
        auth_mode=o.auth_mode,
        production=args.production,  # AML-REL-007: at least 3 instances
        tags=args.tags,
    )


def _batch_args(
    args: EstateArgs, wiring: _Wiring, b: BatchEndpointOptions, compute_id: pulumi.Input[str]
) -> BatchEndpointArgs:
    return BatchEndpointArgs(
        resource_group_name=wiring.resource_group_name,
        workspace_name=wiring.workspace_name,
        location=args.location,
        endpoint_name=_endpoint_name(args.namer, "be", b.name),
        identity_id=wiring.identity_id,
        compute_id=compute_id,  # AML-REL-005: a Dedicated batch-inference cluster of the estate
        deployment=b.deployment,
        production=args.production,
        tags=args.tags,
    )


#: Stand-ins for the outputs the parts take, so their own checks run before anything is registered.
_SUB = "00000000-0000-0000-0000-000000000000"
_RG = f"/subscriptions/{_SUB}/resourceGroups/rg"
_WS = f"{_RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw"
_CHECK_WIRING = _Wiring(
    resource_group_id=_RG,
    resource_group_name="rg",
    subscription_id=_SUB,
    workspace_id=_WS,
    workspace_name="mlw",
    identity_id=f"{_RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id",
    identity_principal_id=_SUB,
    tenant_id=_SUB,
    log_analytics_workspace_id=f"{_RG}/providers/Microsoft.OperationalInsights/workspaces/log",
    aks_subnet_id=f"{_RG}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aks",
    workspace_private_endpoint=None,
)


def _validate_parts(name: str, args: EstateArgs) -> None:
    """Run each part's own checks on its arguments (with stand-in outputs), naming the part's key."""
    w = _CHECK_WIRING
    workspace_module.validate(
        f"{name}-workspace",
        WorkspaceArgs(
            resource_group_name=w.resource_group_name,
            location=args.location,
            workspace_name="mlw",
            identity_id=w.identity_id,
            storage_account_id=f"{_RG}/providers/Microsoft.Storage/storageAccounts/{args.namer.name('st')}",
            key_vault_id=f"{_RG}/providers/Microsoft.KeyVault/vaults/{args.namer.name('kv')}",
            key_identifier="",
            container_registry_id=f"{_RG}/providers/Microsoft.ContainerRegistry/registries/{args.namer.name('cr')}",
            application_insights_id="",
            log_analytics_workspace_id=w.log_analytics_workspace_id,
            isolation_mode=args.isolation_mode,
            network_provisioning=args.network_provisioning,
            outbound_rules=args.outbound_rules,
            firewall_sku=args.firewall_sku,
        ),
    )
    governance_module.validate(f"{name}-governance", _governance_args(args, w))
    names: set[str] = set()
    computes = [c.name for c in args.compute.clusters] + [i.name for i in args.compute.instances]
    computes += [args.aks.compute_name] if args.aks else []
    for compute in computes:
        if compute.lower() in names:
            raise InvalidInputError(f"{name}.compute", compute, "compute names used once in the workspace")
        names.add(compute.lower())
    for c in args.compute.clusters:
        compute_cluster.validate(f"{name}-cluster-{c.name}", _cluster_args(args, w, c))
    for i in args.compute.instances:
        compute_instance.validate(f"{name}-ci-{i.name}", _instance_args(args, w, i))
    if args.aks is not None:
        aks_module.validate(f"{name}-aks", _aks_args(args, w, args.aks, w.identity_id, _SUB))
    if args.online_endpoint is not None:
        online_module.validate(_online_args(args, w, args.online_endpoint), f"{name}-online")
    if args.batch_endpoint is not None:
        b = args.batch_endpoint
        batch = [c.name for c in args.compute.clusters if c.purpose is ClusterPurpose.BATCH_INFERENCE]
        if b.cluster not in batch:
            raise InvalidInputError(
                f"{name}.batch_endpoint.cluster",
                b.cluster,
                "a cluster with purpose BatchInference: " + (", ".join(batch) or "none"),
            )
        batch_module.validate(_batch_args(args, w, b, f"{_WS}/computes/{b.cluster}"), f"{name}-batch")


def _validate(name: str, args: EstateArgs) -> None:
    """Refuse bad input before anything is registered."""
    if args.location not in ZONAL_REGIONS:
        raise InvalidInputError(
            f"{name}.location",
            args.location,
            "a region with availability zones: " + ", ".join(sorted(ZONAL_REGIONS)),
        )
    missing = [t for t in REQUIRED_TAGS if not args.tags.get(t)]
    if missing:
        raise InvalidInputError(f"{name}.tags.{missing[0]}", None, "a non-empty value (control AML-COST-002)")
    if args.production and args.storage_sku is not None and args.storage_sku not in GEO_ZONE_REDUNDANT_SKUS:
        raise InvalidInputError(f"{name}.storage_sku", args.storage_sku, GEO_ZONE_REDUNDANT_SKUS)
    args.network.validate(f"{name}.network")
    if args.budget is not None:
        args.budget.validate(f"{name}.budget")
    for key in ("data_scientist_group_ids", "compute_operator_group_ids", "reader_group_ids"):
        WorkspaceAccess.validate(f"{name}.{key}", getattr(args, key))
    _validate_parts(name, args)
