"""A zonal, private AKS cluster attached to the workspace as ``Kubernetes`` compute for online inference.

Property names and enum values: pulumi-azure-native 3.29.0, ``containerservice`` (REST API 2025-09-01:
``ManagedCluster``, ``AgentPool``, ``TrustedAccessRoleBinding``, ``ManagedNamespace``),
``kubernetesconfiguration`` (``Extension``, 2023-05-01) and ``machinelearningservices`` (``Compute`` with
``KubernetesArgs``, 2025-12-01; REST spec ``machineLearningServices.json`` ``Kubernetes`` /
``KubernetesProperties.namespace``). Add-on keys ``omsagent`` (config ``logAnalyticsWorkspaceResourceID``,
``useAADAuth``) and ``azurepolicy``: Azure/azure-cli ``command_modules/acs/_consts.py``
(``CONST_MONITORING_ADDON_NAME``, ``CONST_AZURE_POLICY_ADDON_NAME``). Pool counts: 0..1000 for a User pool,
1..1000 for a System pool (``ManagedClusterAgentPoolProfile.count`` in the SDK docstrings); Linux pool names
are 1..12 lowercase letters and digits.

Attaching the cluster (MicrosoftDocs/azure-ai-docs ``how-to-deploy-kubernetes-extension.md`` and
``how-to-attach-kubernetes-to-workspace.md``; Azure/AML-Kubernetes ``docs/azureml-aks-ta-support.md``):

- the Azure ML extension (``microsoft.azureml.kubernetes``) is installed first, with ``enableInference``,
  ``inferenceRouterServiceType`` (``loadBalancer`` | ``nodePort`` | ``clusterIP``),
  ``internalLoadBalancerProvider=azure`` (an internal load balancer, AKS only), ``allowInsecureConnections``
  (default False: HTTPS needs ``sslCname`` and ``sslSecret``), ``inferenceRouterHA`` (default True: three
  router replicas, at least three nodes) and ``nodeSelector.<key>=<value>``;
- a workspace with a user-assigned identity needs, on the cluster, Reader, Kubernetes Extension Contributor
  and Azure Kubernetes Service Cluster Admin Role, plus Contributor for clusters reached through AKS Trusted
  Access (PITFALLS: "AKS role check failed for user assigned identity", Azure/AML-Kubernetes #279);
- the docs say Azure ML does not support clusters with local accounts disabled unless it reaches them through
  Trusted Access: a ``Microsoft.MachineLearningServices/workspaces/mlworkload`` role binding for the workspace
  (Azure/AML-Kubernetes #261, #275). Local accounts stay disabled here (control AML-AKS-003), so the binding
  is created;
- the compute namespace must exist before the attach (the attach neither creates nor checks it), so it is an
  AKS managed namespace.

The Azure ML extension supports ``nodeSelector`` but not tolerations (Azure/AML-Kubernetes #210, maintainer
answer; instance types carry only ``nodeSelector`` and ``resources``). The inference pool is therefore
labelled, the extension and its workloads are pinned to it by ``nodeSelector``, and its taint is
``PreferNoSchedule``: other workloads avoid the pool, and the Azure ML pods, which cannot tolerate a
``NoSchedule`` taint, can still run there (control AML-AKS-008).

Node hardening (controls AML-AKS-002, AML-AKS-010, AML-AKS-011): command invoke is disabled
(``apiServerAccessProfile.disableRunCommand``), nodes have no public IP, SSH to nodes is off
(``securityProfile.sshAccess = Disabled``; enum ``AgentPoolSSHAccess``) and every pool encrypts temp disks and
disk caches at the host (``enableEncryptionAtHost``). Encryption at host needs the subscription feature
``Microsoft.Compute/EncryptionAtHost`` registered before the cluster is created
(``az feature register --namespace Microsoft.Compute --name EncryptionAtHost``;
learn.microsoft.com/azure/aks/enable-host-encryption, linked from the SDK docstring of
``enable_encryption_at_host``) and a VM size that supports it. The control-plane audit logs
(``kube-audit-admin``, ``guard``) go to Log Analytics (control AML-MON-005).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pulumi
import pulumi_azure_native.authorization as authorization
import pulumi_azure_native.containerservice as containerservice
import pulumi_azure_native.kubernetesconfiguration as kubernetesconfiguration
import pulumi_azure_native.machinelearningservices as ml

from hardened_aml import shared
from hardened_aml.errors import InvalidInputError
from hardened_aml.regions import ZONAL_REGIONS

#: Built-in role GUIDs ("Azure built-in roles", learn.microsoft.com/azure/role-based-access-control/built-in-roles;
#: the same values in the Azure/bicep-registry-modules role maps).
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
KUBERNETES_EXTENSION_CONTRIBUTOR = "85cb6faf-e071-4c9b-8136-154b5a04f717"
AKS_CLUSTER_ADMIN_ROLE = "0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"

#: The roles the workspace identity holds on the cluster for the attach, in the order the attach docs list them.
ATTACH_ROLES: tuple[tuple[str, str], ...] = (
    ("reader", READER),
    ("extension-contributor", KUBERNETES_EXTENSION_CONTRIBUTOR),
    ("cluster-admin", AKS_CLUSTER_ADMIN_ROLE),
    ("contributor", CONTRIBUTOR),  # only for clusters reached through Trusted Access, as this one is
)

#: The Trusted Access role Azure ML binds for a workspace (Azure/AML-Kubernetes docs/azureml-aks-ta-support.md).
TRUSTED_ACCESS_ROLE = "Microsoft.MachineLearningServices/workspaces/mlworkload"
EXTENSION_TYPE = "microsoft.azureml.kubernetes"
ZONES = ("1", "2", "3")
SYSTEM_POOL = "system"
INFERENCE_POOL = "inference"
#: The label that pins the Azure ML extension and its workloads to the inference pool, and the pool's taint.
WORKLOAD_LABEL = ("workload", "inference")
INFERENCE_TAINT = "workload=inference:PreferNoSchedule"
#: Keeps application pods off the system pool; the only NoSchedule taint AKS allows on a System pool
#: (SystemPoolHasRestrictedTaint, Azure/AKS #2578; "Manage system node pools",
#: learn.microsoft.com/azure/aks/use-system-pools, which also recommends three system nodes in production).
SYSTEM_TAINT = "CriticalAddonsOnly=true:NoSchedule"
MAX_NODES = 1000
#: AKS resource-log categories of the control-plane audit trail (PSRule Azure.AKS.AuditLogs; kube-audit-admin
#: rather than kube-audit leaves out get/list events, PSRule Azure.AKS.AuditAdmin), control AML-MON-005.
AUDIT_LOG_CATEGORIES = ("kube-audit-admin", "guard")

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_COMPUTE_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{1,15}$")
_VM_SIZE = re.compile(r"^Standard_[A-Za-z0-9_]+$")


class RouterExposure(StrEnum):
    """How the Azure ML inference router (``azureml-fe``) is reached. No option gives it a public address."""

    INTERNAL_LOAD_BALANCER = "internalLoadBalancer"
    """An Azure internal load balancer in the AKS subnet. The default."""
    CLUSTER_IP = "clusterIP"
    """Reachable only inside the cluster, for your own ingress controller."""
    NODE_PORT = "nodePort"
    """A port on each node's private IP, for your own load balancer."""


class InferenceTransport(StrEnum):
    """The protocol of the inference endpoints."""

    HTTPS = "https"
    """TLS with your certificate (``sslCname`` and ``sslSecret``). The default."""
    HTTP_INSECURE_FOR_TESTING = "http-insecure-for-testing"
    """Plain HTTP (``allowInsecureConnections=True``): an opt-out for development and tests, asked for by name."""


class OutboundType(StrEnum):
    """How nodes reach the internet (set at creation; AKS cannot change it later)."""

    LOAD_BALANCER = "loadBalancer"
    """The cluster's standard load balancer, zone-redundant. The default."""
    USER_DEFINED_ROUTING = "userDefinedRouting"
    """Through your firewall: the AKS subnet must already have a route table with a default route."""


@dataclass(frozen=True, kw_only=True)
class NodePool:
    """Size and autoscaler range of one node pool (control AML-AKS-008)."""

    vm_size: str
    """VM size, e.g. ``Standard_D4s_v5``."""
    min_count: int
    """Fewest nodes the cluster autoscaler keeps."""
    max_count: int
    """Most nodes the cluster autoscaler adds."""


@dataclass(frozen=True, kw_only=True)
class InferenceTls:
    """The TLS certificate of the inference router (HTTPS endpoints)."""

    cname: str
    """The host name clients call (``sslCname``)."""
    secret_name: str
    """The Kubernetes secret in the ``azureml`` namespace holding ``cert.pem`` and ``key.pem`` (``sslSecret``)."""


@dataclass(frozen=True, kw_only=True)
class InferenceClusterArgs:
    """Inputs of :class:`InferenceCluster`."""

    resource_group_name: pulumi.Input[str]
    """The resource group. Default: none, required."""
    location: str
    """The Azure region; it must have availability zones. Default: none, required (control AML-AKS-001)."""
    subscription_id: pulumi.Input[str]
    """Subscription of the role definitions. Default: none, required."""
    cluster_name: str
    """Name of the cluster: 1-63 characters. Default: none, required (from ``Namer``, abbreviation ``aks``)."""
    subnet_id: pulumi.Input[str]
    """The AKS subnet; nodes of both pools join it. Default: none, required (from the network)."""
    control_plane_identity_id: pulumi.Input[str]
    """The cluster's user-assigned identity. Default: none, required."""
    control_plane_principal_id: pulumi.Input[str]
    """Its principal id; it gets Network Contributor on the subnet. Default: none, required."""
    workspace_name: pulumi.Input[str]
    """The workspace the cluster is attached to. Default: none, required."""
    workspace_id: pulumi.Input[str]
    """Its resource id: the Trusted Access source. Default: none, required."""
    workspace_identity_id: pulumi.Input[str]
    """The workspace's user-assigned identity; also the identity of the attached compute. Default: none,
    required."""
    workspace_principal_id: pulumi.Input[str]
    """Its principal id; it gets the attach roles on the cluster. Default: none, required."""
    log_analytics_workspace_id: pulumi.Input[str]
    """Where Container insights sends its data. Default: none, required (control AML-AKS-007)."""
    system_pool: NodePool = field(default_factory=lambda: NodePool(vm_size="Standard_D4s_v5", min_count=3, max_count=5))
    """System pool. Default: ``Standard_D4s_v5``, 3..5 nodes across zones 1-3 (controls AML-AKS-001,
    AML-AKS-008)."""
    inference_pool: NodePool = field(
        default_factory=lambda: NodePool(vm_size="Standard_D8s_v5", min_count=3, max_count=6)
    )
    """Inference (User) pool. Default: ``Standard_D8s_v5``, 3..6 nodes across zones 1-3; at least 3 with the
    router in HA (controls AML-AKS-001, AML-AKS-008)."""
    compute_name: str = "aks-inference"
    """Name of the attached compute: 2-16 letters, digits and hyphens. Default: ``aks-inference``."""
    namespace: str = "inference"
    """Kubernetes namespace of the inference workloads, created as an AKS managed namespace. Default:
    ``inference``."""
    router_exposure: RouterExposure = RouterExposure.INTERNAL_LOAD_BALANCER
    """How ``azureml-fe`` is reached. Default: an internal load balancer; no option is public (as control
    AML-NET-013 keeps online endpoints private)."""
    transport: InferenceTransport = InferenceTransport.HTTPS
    """Endpoint protocol. Default: HTTPS, which needs ``tls``."""
    tls: InferenceTls | None = None
    """The router's certificate. Default: none; required with HTTPS."""
    router_high_availability: bool = True
    """Three ``azureml-fe`` replicas (needs at least 3 inference nodes). Default: on."""
    admin_group_object_ids: Sequence[str] = ()
    """Entra ID groups that administer the cluster. Default: none (access through Azure RBAC roles)."""
    kubernetes_version: str | None = None
    """Kubernetes version at creation. Default: AKS's default; the ``patch`` channel keeps it patched
    (control AML-AKS-006)."""
    outbound_type: OutboundType = OutboundType.LOAD_BALANCER
    """Node egress. Default: the standard load balancer."""
    pod_cidr: str = "10.244.0.0/16"
    """Overlay pod address space; must not overlap the VNet. Default: ``10.244.0.0/16``."""
    service_cidr: str = "10.0.0.0/16"
    """Kubernetes service address space; must not overlap the VNet. Default: ``10.0.0.0/16``."""
    dns_service_ip: str = "10.0.0.10"
    """The cluster DNS service address, inside ``service_cidr``. Default: ``10.0.0.10``."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


def validate(name: str, args: InferenceClusterArgs) -> None:
    """Raise :class:`InvalidInputError` naming the first bad argument; nothing is registered before."""
    if args.location not in ZONAL_REGIONS:  # AML-AKS-001: pools span zones 1, 2 and 3
        raise InvalidInputError(f"{name}.location", args.location, sorted(ZONAL_REGIONS))
    if not 1 <= len(args.cluster_name) <= 63:
        raise InvalidInputError(f"{name}.cluster_name", args.cluster_name, "1-63 characters")
    for key, pool, lowest in (("system_pool", args.system_pool, 1), ("inference_pool", args.inference_pool, 0)):
        if not isinstance(pool.vm_size, str) or not _VM_SIZE.match(pool.vm_size):
            raise InvalidInputError(f"{name}.{key}.vm_size", pool.vm_size, "a VM size such as Standard_D4s_v5")
        if not lowest <= pool.min_count <= MAX_NODES:
            raise InvalidInputError(f"{name}.{key}.min_count", pool.min_count, f"{lowest}..{MAX_NODES}")
        if not max(pool.min_count, 1) <= pool.max_count <= MAX_NODES:
            raise InvalidInputError(
                f"{name}.{key}.max_count", pool.max_count, f"{max(pool.min_count, 1)}..{MAX_NODES} (>= min_count)"
            )
    if args.router_high_availability and args.inference_pool.min_count < 3:
        raise InvalidInputError(
            f"{name}.inference_pool.min_count",
            args.inference_pool.min_count,
            "3 or more while router_high_availability is on (three azureml-fe replicas)",
        )
    for key, enum in (("router_exposure", RouterExposure), ("transport", InferenceTransport)):
        value = getattr(args, key)
        if value not in {m.value for m in enum}:
            raise InvalidInputError(f"{name}.{key}", value, [m.value for m in enum])
    if args.outbound_type not in {m.value for m in OutboundType}:
        raise InvalidInputError(f"{name}.outbound_type", args.outbound_type, [m.value for m in OutboundType])
    if args.transport == InferenceTransport.HTTPS and args.tls is None:
        raise InvalidInputError(
            f"{name}.tls",
            None,
            "an InferenceTls (cname, secret_name) with HTTPS, or transport "
            f"{InferenceTransport.HTTP_INSECURE_FOR_TESTING.value!r}",
        )
    if not _DNS_LABEL.match(args.namespace) or args.namespace in ("azureml", "kube-system"):
        raise InvalidInputError(
            f"{name}.namespace", args.namespace, "a DNS label (lowercase letters, digits, hyphens; not azureml)"
        )
    if not _COMPUTE_NAME.match(args.compute_name):
        raise InvalidInputError(
            f"{name}.compute_name", args.compute_name, "2-16 letters, digits and hyphens, starting with a letter"
        )
    networks: dict[str, ipaddress.IPv4Network] = {}
    for key in ("pod_cidr", "service_cidr"):
        try:
            networks[key] = ipaddress.IPv4Network(getattr(args, key))
        except ValueError:
            raise InvalidInputError(f"{name}.{key}", getattr(args, key), "an IPv4 CIDR block") from None
    if networks["pod_cidr"].overlaps(networks["service_cidr"]):
        raise InvalidInputError(f"{name}.service_cidr", args.service_cidr, f"a block outside {args.pod_cidr}")
    try:
        dns_ip = ipaddress.IPv4Address(args.dns_service_ip)
    except ValueError:
        dns_ip = None
    if dns_ip is None or dns_ip not in networks["service_cidr"]:
        raise InvalidInputError(f"{name}.dns_service_ip", args.dns_service_ip, f"an address in {args.service_cidr}")


def _extension_settings(args: InferenceClusterArgs) -> dict[str, str]:
    """The Azure ML extension's configuration settings for inference only."""
    internal = args.router_exposure == RouterExposure.INTERNAL_LOAD_BALANCER
    https = args.transport == InferenceTransport.HTTPS
    settings = {
        "enableTraining": "False",
        "enableInference": "True",
        "inferenceRouterServiceType": "loadBalancer" if internal else str(args.router_exposure),
        "allowInsecureConnections": "False" if https else "True",
        "inferenceRouterHA": "True" if args.router_high_availability else "False",
        f"nodeSelector.{WORKLOAD_LABEL[0]}": WORKLOAD_LABEL[1],
    }
    if internal:
        settings["internalLoadBalancerProvider"] = "azure"
    if https and args.tls is not None:
        settings["sslCname"] = args.tls.cname
        settings["sslSecret"] = args.tls.secret_name
    return settings


#: AML-AKS-011: no SSH to nodes (AgentPoolSSHAccess "Disabled"; built-in 28257686 treats unset as LocalUser).
_NODE_SECURITY = containerservice.AgentPoolSecurityProfileArgs(ssh_access=containerservice.AgentPoolSSHAccess.DISABLED)


def _system_pool_profile(
    pool: NodePool, subnet_id: pulumi.Input[str]
) -> containerservice.ManagedClusterAgentPoolProfileArgs:
    return containerservice.ManagedClusterAgentPoolProfileArgs(
        name=SYSTEM_POOL,
        mode=containerservice.AgentPoolMode.SYSTEM,
        type=containerservice.AgentPoolType.VIRTUAL_MACHINE_SCALE_SETS,
        os_type=containerservice.OSType.LINUX,
        vm_size=pool.vm_size,
        availability_zones=list(ZONES),  # AML-AKS-001
        enable_auto_scaling=True,  # AML-AKS-008
        min_count=pool.min_count,
        max_count=pool.max_count,
        count=pool.min_count,
        node_taints=[SYSTEM_TAINT],
        vnet_subnet_id=subnet_id,
        enable_node_public_ip=False,  # AML-AKS-002
        enable_encryption_at_host=True,  # AML-AKS-010 (needs Microsoft.Compute/EncryptionAtHost registered)
        security_profile=_NODE_SECURITY,  # AML-AKS-011
    )


class InferenceCluster(pulumi.ComponentResource):
    """A private, Entra-only, zonal AKS cluster with a tainted inference pool, attached as Kubernetes compute."""

    cluster_id: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    compute_id: pulumi.Output[str]
    compute_name: pulumi.Output[str]

    def __init__(self, name: str, args: InferenceClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate(name, args)
        super().__init__("hardened-aml:index:InferenceCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        # The control-plane identity joins nodes and internal load balancers to the subnet
        # ("Use a managed identity in AKS": bring-your-own subnet with a user-assigned identity).
        self.subnet_role = shared.role_assignment(
            f"{name}-subnet-network-contributor",
            scope=args.subnet_id,
            role_guid=NETWORK_CONTRIBUTOR,
            principal_id=args.control_plane_principal_id,
            principal_type="ServicePrincipal",
            subscription_id=args.subscription_id,
            parent=self,
        )
        self.cluster = containerservice.ManagedCluster(
            f"{name}-aks",
            resource_name_=args.cluster_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            dns_prefix=args.cluster_name[:54].rstrip("-"),
            kubernetes_version=args.kubernetes_version,
            sku=containerservice.ManagedClusterSKUArgs(
                name=containerservice.ManagedClusterSKUName.BASE,
                tier=containerservice.ManagedClusterSKUTier.STANDARD,  # AML-AKS-004: uptime SLA
            ),
            identity=containerservice.ManagedClusterIdentityArgs(
                type=containerservice.ResourceIdentityType.USER_ASSIGNED,
                user_assigned_identities=[args.control_plane_identity_id],
            ),
            # AML-AKS-002: the API server has a private address only, and no public FQDN; command invoke (which
            # runs commands through ARM, around the private API server) is off (built-in 89f2d532).
            api_server_access_profile=containerservice.ManagedClusterAPIServerAccessProfileArgs(
                enable_private_cluster=True,
                enable_private_cluster_public_fqdn=False,
                private_dns_zone="system",
                disable_run_command=True,
            ),
            # AML-AKS-003: Entra ID with Azure RBAC for Kubernetes authorization; no local (static) accounts.
            aad_profile=containerservice.ManagedClusterAADProfileArgs(
                managed=True,
                enable_azure_rbac=True,
                admin_group_object_ids=list(args.admin_group_object_ids),
            ),
            enable_rbac=True,  # AML-AKS-003: Kubernetes RBAC stays on
            disable_local_accounts=True,
            # AML-AKS-005: Azure CNI overlay powered by Cilium; networkPolicy "cilium" needs networkDataplane
            # "cilium" (NetworkPolicy enum docs). Azure Network Policy Manager ("azure") is being retired on
            # Linux (learn.microsoft.com/azure/aks/use-network-policies), so it is never used. The CIDRs are
            # set explicitly: the SDK's Args class fills its own defaults otherwise.
            network_profile=containerservice.ContainerServiceNetworkProfileArgs(
                network_plugin=containerservice.NetworkPlugin.AZURE,
                network_plugin_mode=containerservice.NetworkPluginMode.OVERLAY,
                network_dataplane=containerservice.NetworkDataplane.CILIUM,
                network_policy=containerservice.NetworkPolicy.CILIUM,
                load_balancer_sku=containerservice.LoadBalancerSku.STANDARD,
                outbound_type=str(args.outbound_type),
                pod_cidr=args.pod_cidr,
                service_cidr=args.service_cidr,
                dns_service_ip=args.dns_service_ip,
            ),
            # AML-AKS-006: automatic patch-version upgrades and node-image updates.
            auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel=containerservice.UpgradeChannel.PATCH,
                node_os_upgrade_channel=containerservice.NodeOSUpgradeChannel.NODE_IMAGE,
            ),
            # AML-AKS-007: Container insights to Log Analytics (managed-identity auth) and the Azure Policy add-on.
            # AML-AKS-012: no other add-on (never httpApplicationRouting or kubeDashboard).
            addon_profiles={
                "omsagent": containerservice.ManagedClusterAddonProfileArgs(
                    enabled=True,
                    config={
                        "logAnalyticsWorkspaceResourceID": args.log_analytics_workspace_id,
                        "useAADAuth": "true",
                    },
                ),
                "azurepolicy": containerservice.ManagedClusterAddonProfileArgs(enabled=True),
            },
            # AML-AKS-001, AML-AKS-008: the system pool spans zones 1-3 with the autoscaler on.
            agent_pool_profiles=[_system_pool_profile(args.system_pool, args.subnet_id)],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.subnet_role]),
        )
        # AML-AKS-001, AML-AKS-008: inference runs in its own autoscaled User pool across zones 1-3. The label
        # pins the Azure ML extension and its workloads here; the taint keeps other workloads away (see the
        # module docstring for why it is PreferNoSchedule).
        self.inference_pool = containerservice.AgentPool(
            f"{name}-pool-inference",
            agent_pool_name=INFERENCE_POOL,
            resource_name_=self.cluster.name,
            resource_group_name=args.resource_group_name,
            mode=containerservice.AgentPoolMode.USER,
            type=containerservice.AgentPoolType.VIRTUAL_MACHINE_SCALE_SETS,
            os_type=containerservice.OSType.LINUX,
            vm_size=args.inference_pool.vm_size,
            availability_zones=list(ZONES),
            enable_auto_scaling=True,
            min_count=args.inference_pool.min_count,
            max_count=args.inference_pool.max_count,
            count=max(args.inference_pool.min_count, 1),
            node_labels={WORKLOAD_LABEL[0]: WORKLOAD_LABEL[1]},
            node_taints=[INFERENCE_TAINT],
            vnet_subnet_id=args.subnet_id,
            enable_node_public_ip=False,  # AML-AKS-002
            enable_encryption_at_host=True,  # AML-AKS-010 (needs Microsoft.Compute/EncryptionAtHost registered)
            security_profile=_NODE_SECURITY,  # AML-AKS-011
            tags=tags,
            opts=child,
        )
        # AML-MON-005: the control-plane audit logs (kube-audit-admin, guard) and metrics to Log Analytics.
        self.diagnostics = shared.diagnostics(
            f"{name}-diag-aks",
            resource_id=self.cluster.id,
            log_analytics_workspace_id=args.log_analytics_workspace_id,
            parent=self,
            categories=AUDIT_LOG_CATEGORIES,
        )
        # The compute namespace must exist before the attach; an AKS managed namespace creates it through ARM
        # (the API server is private). Ingress stays open to other namespaces: azureml-fe runs in "azureml".
        self.namespace = containerservice.ManagedNamespace(
            f"{name}-ns",
            managed_namespace_name=args.namespace,
            resource_name_=self.cluster.name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            properties=containerservice.NamespacePropertiesArgs(
                adoption_policy=containerservice.AdoptionPolicy.NEVER,
                delete_policy=containerservice.DeletePolicy.DELETE,
                default_network_policy=containerservice.NetworkPoliciesArgs(
                    ingress=containerservice.PolicyRule.ALLOW_ALL,
                    egress=containerservice.PolicyRule.ALLOW_ALL,
                ),
                labels={"app.kubernetes.io/managed-by": "hardened-aml"},
            ),
            tags=tags,
            opts=child,
        )
        self.extension = kubernetesconfiguration.Extension(
            f"{name}-azureml-ext",
            extension_name="azureml",
            cluster_name=self.cluster.name,
            cluster_resource_name="managedClusters",
            cluster_rp="Microsoft.ContainerService",
            resource_group_name=args.resource_group_name,
            extension_type=EXTENSION_TYPE,
            auto_upgrade_minor_version=True,
            release_train="stable",
            scope=kubernetesconfiguration.ScopeArgs(
                cluster=kubernetesconfiguration.ScopeClusterArgs(release_namespace="azureml")
            ),
            configuration_settings=_extension_settings(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.inference_pool]),
        )
        # Azure ML reaches the cluster (local accounts disabled) through Trusted Access for this workspace.
        self.trusted_access = containerservice.TrustedAccessRoleBinding(
            f"{name}-trusted-access",
            trusted_access_role_binding_name="azureml-workspace",
            resource_name_=self.cluster.name,
            resource_group_name=args.resource_group_name,
            source_resource_id=args.workspace_id,
            roles=[TRUSTED_ACCESS_ROLE],
            opts=child,
        )
        self.attach_roles: list[authorization.RoleAssignment] = [
            shared.role_assignment(
                f"{name}-ws-{label}",
                scope=self.cluster.id,
                role_guid=role,
                principal_id=args.workspace_principal_id,
                principal_type="ServicePrincipal",
                subscription_id=args.subscription_id,
                parent=self,
            )
            for label, role in ATTACH_ROLES
        ]
        # PITFALLS "Attaching AKS fails on identity": the extension, the roles, the Trusted Access binding and
        # the namespace all exist before the attach.
        self.compute = ml.Compute(
            f"{name}-compute",
            compute_name=args.compute_name,
            workspace_name=args.workspace_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            identity=ml.ManagedServiceIdentityArgs(
                type=ml.ManagedServiceIdentityType.USER_ASSIGNED,
                user_assigned_identities=[args.workspace_identity_id],
            ),
            properties=ml.KubernetesArgs(
                compute_type="Kubernetes",
                compute_location=args.location,
                resource_id=self.cluster.id,
                description="Private zonal AKS inference cluster (hardened-aml)",
                disable_local_auth=True,  # AML-IAM-002: Entra ID only
                properties=ml.KubernetesPropertiesArgs(namespace=args.namespace),
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[self.extension, self.trusted_access, self.namespace, *self.attach_roles],
            ),
        )
        self.cluster_id = self.cluster.id
        self.cluster_name = self.cluster.name
        self.compute_id = self.compute.id
        self.compute_name = self.compute.name
        self.register_outputs(
            {
                "cluster_id": self.cluster_id,
                "cluster_name": self.cluster_name,
                "compute_id": self.compute_id,
                "compute_name": self.compute_name,
            }
        )
