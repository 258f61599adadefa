"""A zonal, private AKS cluster attached to the workspace as ``Kubernetes`` compute for online inference.

Property names and enum values: pulumi-azure-native 3.29.0, ``containerservice`` (REST API 2025-09-01:
``ManagedCluster``, ``AgentPool``, ``TrustedAccessRoleBinding``, ``ManagedNamespace``, ``MaintenanceConfiguration``),
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

Disks (control AML-AKS-014): the node OS disks, and the data disks of the default storage classes, are encrypted
with the estate's own key through a disk encryption set (``compute:DiskEncryptionSet``, REST API 2024-03-02;
``encryptionType`` ``EncryptionAtRestWithCustomerKey``, ``rotationToLatestKeyVersionEnabled`` so the set follows the
key's rotation; ``activeKey.keyUrl`` must name a key version, per the SDK docstring) named by the cluster's
``diskEncryptionSetID`` ("Bring your own keys (BYOK) with Azure managed disks in AKS",
MicrosoftDocs/azure-aks-docs ``azure-disk-customer-managed-keys.md``: the set's identity gets "Key Vault Crypto
Service Encryption User", here on the key alone rather than the vault; the cluster identity needs Reader on the
set; OS disk encryption can only be chosen when the cluster is created). The set's system-assigned identity reaches
the private vault as a trusted service: "Azure Disk Storage, when configured with a Disk Encryption Set" is in the
trusted-services list of Key Vault's network security page, and the vault lets trusted services through
(``networkAcls.bypass = AzureServices``).

Security profile (controls AML-AKS-015..017): Microsoft Defender for Containers' sensor
(``securityProfile.defender``, reporting to the estate's Log Analytics workspace), workload identity with the OIDC
issuer it needs (``securityProfile.workloadIdentity``, ``oidcIssuerProfile``) and Image Cleaner
(``securityProfile.imageCleaner``, every ``imageCleanerIntervalHours``). The Defender profile deploys the sensor;
what Defender for Cloud bills follows the subscription's Defender for Containers plan.
"""

import base64
import ipaddress
import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native.authorization as authorization
import pulumi_azure_native.compute as compute
import pulumi_azure_native.containerservice as containerservice
import pulumi_azure_native.kubernetesconfiguration as kubernetesconfiguration
import pulumi_azure_native.machinelearningservices as ml
from pydantic import AfterValidator, Field
from typing_extensions import TypedDict

from aml_catalogue.diagnostics import AKS_AUDIT_LOGS, AKS_PLATFORM_LOGS
from aml_catalogue.facts import (
    IMAGE_CLEANER_INTERVAL_HOURS,
    MAINTENANCE_WINDOW_HOURS,
    MIN_POOL_NODES,
    SUPPORTED_UPGRADE_CHANNELS,
)
from aml_catalogue.roles import (
    AKS_CLUSTER_ADMIN_ROLE,
    CONTRIBUTOR,
    KEY_VAULT_CONTRIBUTOR,
    KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
    KEY_VAULT_CRYPTO_USER,
    KUBERNETES_EXTENSION_CONTRIBUTOR,
    MANAGED_IDENTITY_OPERATOR,
    NETWORK_CONTRIBUTOR,
    READER,
)
from hardened_aml import network_policies, shared
from hardened_aml.inputs import MISSING, Input, Problem, Wired, args, checked, rule
from hardened_aml.regions import ZONAL_REGIONS

#: The roles the workspace identity holds on the cluster for the attach: the table "Attach to workspace with
#: user-assigned managed identity" of how-to-attach-kubernetes-to-workspace (MicrosoftDocs/azure-ai-docs),
#: in its order. The workspace identity is the workspace's primary identity, not a workload identity: jobs and
#: endpoints on the cluster run as the compute's and the endpoints' own identities (control AML-IAM-011).
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
#: AKS resource-log categories sent to Log Analytics: the control-plane audit trail (kube-audit-admin and guard,
#: control AML-MON-005) and the control plane's own logs (control AML-MON-008); never kube-audit, whose get/list
#: events only add cost (PSRule Azure.AKS.AuditAdmin). Both lists live in aml_catalogue.diagnostics.
LOG_CATEGORIES = (*AKS_AUDIT_LOGS, *AKS_PLATFORM_LOGS)
#: Pods per node (``maxPods``) of both pools: Azure CNI Overlay's default and maximum, 250 ("Azure CNI Overlay
#: networking in AKS", learn.microsoft.com/azure/aks/concepts-network-azure-cni-overlay: pods take addresses from
#: a /24 of the overlay podCidr per node, not from the subnet), written out because the default depends on the
#: network plugin (kubenet 110, Azure CNI node subnet 30: PSRule Azure.AKS.NodeMinPods) and the pack judges the
#: value, not the plugin (control AML-AKS-020, at least MIN_POOL_PODS).
MAX_PODS = 250
#: The AKS planned-maintenance configurations, by their fixed names ("Use Planned Maintenance to schedule and
#: control upgrades for your AKS cluster", learn.microsoft.com/azure/aks/planned-maintenance): the window of the
#: cluster's auto-upgrade channel and that of its node OS channel (control AML-AKS-023).
MAINTENANCE_CONFIGS = ("aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule")

#: Names and addresses, as the stack config model checked them.
VmSize = Annotated[str, Field(pattern=r"^Standard_[A-Za-z0-9_]+$")]
"""An Azure VM size, e.g. ``Standard_D4s_v5``."""
DnsLabel = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
"""A Kubernetes namespace name: 1-63 lowercase letters, digits and hyphens, starting and ending alphanumeric."""
ObjectId = Annotated[
    str, Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
]
"""An Entra ID object id (a GUID)."""
#: Namespaces the cluster's own components use: the Azure ML extension's and Kubernetes' system namespace.
RESERVED_NAMESPACES = ("azureml", "kube-system")


def _ipv4_block(value: str) -> str:
    try:
        ipaddress.IPv4Network(value)
    except ValueError:
        raise ValueError("an IPv4 CIDR block with no host bits set, such as 10.244.0.0/16") from None
    return value


Cidr = Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$"), AfterValidator(_ipv4_block)]
"""An IPv4 CIDR block with no host bits set, e.g. ``10.244.0.0/16``."""


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


@args
class MaintenanceWindow(TypedDict):
    """A weekly window in which AKS may upgrade the cluster and its node images (control AML-AKS-023). AKS treats
    the window as best effort and may break it for urgent fixes (the planned-maintenance page)."""

    day_of_week: NotRequired[Annotated[shared.WeekDay, Field(default=shared.WeekDay.SUNDAY)]]
    """The day the window opens. Default: ``Sunday``."""
    start_time: NotRequired[Annotated[str, Field(default="00:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]]
    """When it opens, ``HH:mm`` from ``00:00`` to ``23:59`` in ``utcOffset``. Default: ``00:00``."""
    duration_hours: NotRequired[
        Annotated[int, Field(default=8, ge=MAINTENANCE_WINDOW_HOURS[0], le=MAINTENANCE_WINDOW_HOURS[1])]
    ]
    """How long it stays open, 4 to 24 hours (the REST API's range). Default: ``8``."""
    utc_offset: NotRequired[Annotated[str, Field(default="+00:00", pattern=r"^[+-](0\d|1[0-4]):[0-5]\d$")]]
    """The time zone of ``startTime``, ``+HH:mm`` or ``-HH:mm``. Default: ``+00:00`` (UTC)."""


class UpgradeChannel(StrEnum):
    """How AKS upgrades Kubernetes itself, within the maintenance window (control AML-AKS-006)."""

    STABLE = "stable"
    """The latest patch of minor version N-1: always a supported version. The default (Microsoft's recommendation
    for most production workloads, "Automatically upgrade an AKS cluster")."""
    RAPID = "rapid"
    """The latest patch of the latest minor version."""
    PATCH = "patch"
    """Patches only, on the minor version the cluster has: it leaves support unless someone upgrades it. Flagged by
    the pack (control AML-AKS-006); asked for by name."""


#: The channels the pack accepts are the facts' (stable and rapid); the enum adds ``patch`` only as a named choice.
assert {c.value for c in UpgradeChannel} >= set(SUPPORTED_UPGRADE_CHANNELS)
#: Regions without API Server VNet Integration, which KMS with a private vault needs ("API Server VNet Integration",
#: limitations: "available in all GA public cloud regions except qatarcentral").
NO_API_SERVER_VNET_INTEGRATION = frozenset({"qatarcentral"})


class OutboundType(StrEnum):
    """How nodes reach the internet (``networkProfile.outboundType``; enum ``outboundType`` of the REST API
    2025-09-01). AKS can now change it on an existing cluster, with downtime ("Customize cluster egress with
    outbound types", MicrosoftDocs/azure-aks-docs ``egress-outboundtype.md``). Control AML-AKS-025."""

    USER_ASSIGNED_NAT_GATEWAY = "userAssignedNATGateway"
    """Through the NAT gateway on the AKS subnet (the estate's default: the network creates it)."""
    USER_DEFINED_ROUTING = "userDefinedRouting"
    """Through your firewall: the AKS subnet has a route table sending ``0.0.0.0/0`` to a virtual appliance."""
    LOAD_BALANCER = "loadBalancer"
    """Insecure, by name: through the cluster's public load balancer (an AKS-assigned public IP). Refused in
    production."""


@args
class NodePool(TypedDict):
    """Size and autoscaler range of one AKS node pool (controls AML-AKS-001, AML-AKS-008)."""

    vm_size: VmSize
    """VM size, e.g. ``Standard_D4s_v5``; it must support encryption at host. Required (control AML-AKS-010)."""
    min_count: Annotated[int, Field(ge=0, le=MAX_NODES)]
    """Fewest nodes the cluster autoscaler keeps, 0 to 1000: at least 3 (for failover and upgrades, control
    AML-AKS-018) unless the cluster sets ``fewerNodesForExploration``, and then at least 1 in the system pool and 3
    in the inference pool with ``routerHighAvailability``. Required (control AML-AKS-008)."""
    max_count: Annotated[int, Field(ge=1, le=MAX_NODES)]
    """Most nodes the cluster autoscaler adds, 1 to 1000 and at least ``minCount``. Required (control
    AML-AKS-008)."""


@args
class InferenceTls(TypedDict):
    """The inference router's certificate: a Kubernetes secret in the ``azureml`` namespace (HTTPS endpoints)."""

    cname: Annotated[str, Field(pattern=r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")]
    """The host name clients call (``sslCname``). Required."""
    secret_name: NotRequired[Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")] | None]
    """An existing Kubernetes secret in the ``azureml`` namespace holding ``cert.pem`` and ``key.pem``
    (``sslSecret``; see the README, "HTTPS on the AKS inference router"). Default: none; give either this or
    ``certificatePem`` with ``keyPem``."""
    certificate_pem: NotRequired[str | None]
    """The router's certificate chain, PEM (``-----BEGIN CERTIFICATE-----``): the estate hands it to the
    extension as a protected setting, so no secret has to exist first. Keep it in stack config as a secret
    (``pulumi config set --secret``). Default: none; given with ``keyPem``."""
    key_pem: NotRequired[str | None]
    """The certificate's private key, PEM; sent as a protected setting, never in plain configuration.
    Default: none; given with ``certificatePem``."""


@rule(InferenceTls)
def _tls_rules(t: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    cert, key, secret = t.get("certificate_pem"), t.get("key_pem"), t.get("secret_name")
    if (cert is None) != (key is None):
        yield ("key_pem" if key is None else "certificate_pem",), MISSING, "certificatePem and keyPem together"
    if secret is not None and cert is not None:
        yield ("secret_name",), secret, "secretName or certificatePem/keyPem, not both"
    if secret is None and cert is None:
        yield ("secret_name",), MISSING, "secretName of an existing secret, or certificatePem and keyPem"
    if cert is not None and "-----BEGIN CERTIFICATE-----" not in cert:
        yield ("certificate_pem",), cert[:30], "a PEM certificate (-----BEGIN CERTIFICATE-----)"
    if key is not None and not re.search(r"-----BEGIN (RSA |EC )?PRIVATE KEY-----", key):
        yield ("key_pem",), "[secret]", "a PEM private key (-----BEGIN PRIVATE KEY-----)"


@args
class InferenceClusterSettings(TypedDict):
    """What a user chooses about the AKS inference cluster: a stack's ``inference.aks`` section (controls
    AML-AKS-001..012)."""

    system_pool: NotRequired[
        Annotated[
            NodePool,
            Field(default_factory=lambda: NodePool(vm_size="Standard_D4s_v5", min_count=3, max_count=5)),
        ]
    ]
    """System pool, across zones 1-3; at least one node. Default: ``Standard_D4s_v5``, 3 to 5 nodes (controls
    AML-AKS-001, AML-AKS-008)."""
    inference_pool: NotRequired[
        Annotated[
            NodePool,
            Field(default_factory=lambda: NodePool(vm_size="Standard_D8s_v5", min_count=3, max_count=6)),
        ]
    ]
    """Inference (User) pool, across zones 1-3; at least three nodes with ``routerHighAvailability``. Default:
    ``Standard_D8s_v5``, 3 to 6 nodes (controls AML-AKS-001, AML-AKS-008)."""
    compute_name: NotRequired[Annotated[str, Field(default="aks-inference", pattern=r"^[a-zA-Z][a-zA-Z0-9-]{1,15}$")]]
    """Name of the attached compute: 2-16 letters, digits and hyphens, starting with a letter. Default:
    ``aks-inference``."""
    namespace: NotRequired[Annotated[DnsLabel, Field(default="inference")]]
    """Kubernetes namespace of the inference workloads, created as an AKS managed namespace: a DNS label, not
    ``azureml`` or ``kube-system``. Default: ``inference``."""
    transport: NotRequired[Annotated[InferenceTransport, Field(default=InferenceTransport.HTTPS)]]
    """Endpoint protocol: ``https`` (needs ``tls``) or ``http-insecure-for-testing``. Default: ``https``."""
    tls: NotRequired[InferenceTls | None]
    """The router's certificate (``cname``, ``secretName``). Default: none; required with ``https``."""
    router_exposure: NotRequired[Annotated[RouterExposure, Field(default=RouterExposure.INTERNAL_LOAD_BALANCER)]]
    """How the inference router (``azureml-fe``) is reached; no option is public (as control AML-NET-013 keeps
    online endpoints private). Default: ``internalLoadBalancer``."""
    router_high_availability: NotRequired[Annotated[bool, Field(default=True)]]
    """Three ``azureml-fe`` replicas (needs at least three inference nodes). Default: ``true``."""
    pod_cidr: NotRequired[Annotated[Cidr, Field(default="10.244.0.0/16")]]
    """Overlay pod address space; outside the VNet's (control AML-AKS-005). Default: ``10.244.0.0/16``."""
    service_cidr: NotRequired[Annotated[Cidr, Field(default="10.0.0.0/16")]]
    """Kubernetes service address space; outside the VNet's and the pods' (control AML-AKS-005). Default:
    ``10.0.0.0/16``."""
    dns_service_ip: NotRequired[Annotated[str, Field(default="10.0.0.10", pattern=r"^\d{1,3}(\.\d{1,3}){3}$")]]
    """Cluster DNS service address, inside ``serviceCidr``. Default: ``10.0.0.10``."""
    admin_group_object_ids: NotRequired[Annotated[list[ObjectId], Field(default_factory=list)]]
    """Entra ID groups that administer the cluster. Default: none, access through Azure RBAC roles (control
    AML-AKS-003)."""
    fewer_nodes_for_exploration: NotRequired[Annotated[bool, Field(default=False)]]
    """Allow pools of fewer than three nodes (a cheaper exploration cluster, which loses a node's capacity in
    every upgrade and cannot lose a zone). Default: ``false`` (control AML-AKS-018)."""
    image_cleaner_interval_hours: NotRequired[
        Annotated[int, Field(default=168, ge=IMAGE_CLEANER_INTERVAL_HOURS[0], le=IMAGE_CLEANER_INTERVAL_HOURS[1])]
    ]
    """How often Image Cleaner removes unused images with known vulnerabilities from the nodes, in hours: 24 to
    2160. Default: ``168`` (a week, the Azure CLI's default; control AML-AKS-017)."""
    maintenance_window: NotRequired[
        Annotated[
            MaintenanceWindow,
            Field(
                default_factory=lambda: MaintenanceWindow(
                    day_of_week=shared.WeekDay.SUNDAY, start_time="00:00", duration_hours=8, utc_offset="+00:00"
                )
            ),
        ]
    ]
    """The weekly window of both planned-maintenance schedules (Kubernetes patch upgrades and node images).
    Default: Sundays from 00:00 UTC for 8 hours (control AML-AKS-023)."""
    kubernetes_version: NotRequired[Annotated[str, Field(pattern=r"^\d+\.\d+(\.\d+)?$")] | None]
    """Kubernetes version at creation, e.g. ``1.33``. Default: AKS's default; the upgrade channel then keeps it
    supported (control AML-AKS-006)."""
    upgrade_channel: NotRequired[Annotated[UpgradeChannel, Field(default=UpgradeChannel.STABLE)]]
    """How AKS upgrades Kubernetes, in the maintenance window: ``stable``, ``rapid``, or ``patch`` by name (which
    the pack flags: the minor version then leaves support). Default: ``stable`` (control AML-AKS-006)."""


@args
class InferenceClusterArgs(InferenceClusterSettings):
    """Inputs of :class:`InferenceCluster`: the user's settings and what the cluster is wired to."""

    resource_group_name: Annotated[Input[str], Wired()]
    """The resource group. Required."""
    location: str
    """The Azure region; it must have availability zones. Required (control AML-AKS-001)."""
    subscription_id: Annotated[Input[str], Wired()]
    """Subscription of the built-in role definitions. Required."""
    cluster_name: Annotated[str, Field(min_length=1, max_length=63)]
    """Name of the cluster: 1-63 characters (from ``Namer``, abbreviation ``aks``). Required."""
    subnet_id: Annotated[Input[str], Wired()]
    """The AKS subnet; nodes of both pools join it. Required (from the network)."""
    outbound_type: OutboundType
    """Node egress, as the subnet provides it: ``userAssignedNATGateway`` (a NAT gateway on the subnet) or
    ``userDefinedRouting`` (a route table to your firewall); ``loadBalancer`` only by name, refused in production.
    Required: the estate passes the network's ``aks_outbound_type`` (control AML-AKS-025)."""
    route_table_id: NotRequired[Annotated[Input[str] | None, Wired()]]
    """The route table on the AKS subnet, with ``userDefinedRouting``: the control-plane identity gets Network
    Contributor on it, as AKS reads and writes its routes ("AKS service permissions", additional cluster identity
    permissions). Default: none (a route table in another resource group needs that grant from its owner)."""
    private_endpoint_cidrs: NotRequired[Annotated[list[Cidr], Field(default_factory=list)]]
    """Address prefixes of the private endpoints the inference pods reach over HTTPS (registry, storage, workspace):
    the only HTTPS egress the namespace's network policies allow. Default: none, and then no HTTPS egress at all
    (controls AML-AKS-026, AML-AKS-101)."""
    control_plane_identity_id: Annotated[Input[str], Wired()]
    """The cluster's user-assigned identity. Required."""
    control_plane_principal_id: Annotated[Input[str], Wired()]
    """Its principal id; it gets Network Contributor on the subnet. Required."""
    workspace_name: Annotated[Input[str], Wired()]
    """The workspace the cluster is attached to. Required."""
    workspace_id: Annotated[Input[str], Wired()]
    """Its resource id: the Trusted Access source. Required (control AML-AKS-003)."""
    workspace_principal_id: Annotated[Input[str], Wired()]
    """The principal id of the workspace's user-assigned identity; it gets the attach roles on the cluster.
    Required."""
    compute_identity_id: Annotated[Input[str], Wired()]
    """The attached compute's own user-assigned identity (a ``WorkloadIdentity`` with AcrPull and blob read on
    the default datastore), never the workspace's. Required (control AML-IAM-011)."""
    kubelet_identity_id: Annotated[Input[str], Wired()]
    """The kubelet's own user-assigned identity (a ``WorkloadIdentity`` with AcrPull on the registry), used by
    the nodes to pull images. Required (control AML-IAM-011)."""
    kubelet_client_id: Annotated[Input[str], Wired()]
    """Its client id. Required."""
    kubelet_principal_id: Annotated[Input[str], Wired()]
    """Its principal (object) id. Required."""
    log_analytics_workspace_id: Annotated[Input[str], Wired()]
    """Where Container insights, the control-plane audit logs and Defender for Containers' findings go. Required
    (controls AML-AKS-007, AML-AKS-015, AML-MON-005)."""
    key_vault_id: Annotated[Input[str], Wired()]
    """The estate's Key Vault, which holds the disk encryption key. Required (control AML-AKS-014)."""
    disk_encryption_key_id: Annotated[Input[str], Wired()]
    """ARM id of the key that encrypts the node and data disks (made by ``KeyVault.add_key``, the estate's one key
    specification); the disk encryption set's identity gets "Key Vault Crypto Service Encryption User" on it alone.
    Required (control AML-AKS-014)."""
    disk_encryption_key_url: Annotated[Input[str], Wired()]
    """Its URI with the version (the set then follows rotations by itself). Required (control AML-AKS-014)."""
    api_server_subnet_id: Annotated[Input[str], Wired()]
    """The API server's subnet (API Server VNet Integration), delegated to AKS; the control-plane identity gets
    Network Contributor on it. Required (control AML-AKS-029)."""
    kms_key_vault_id: Annotated[Input[str], Wired()]
    """The private vault of the etcd (KMS) key: a vault of its own, since AKS needs Key Vault Contributor on it to
    make its private link. Required (control AML-AKS-029)."""
    kms_key_id: Annotated[Input[str], Wired()]
    """ARM id of the etcd key; the control-plane identity gets "Key Vault Crypto User" (encrypt and decrypt) on it
    alone. Required (control AML-AKS-029)."""
    kms_key_url: Annotated[Input[str], Wired()]
    """The etcd key's URI with its version (KMS names one version; see ``aml_catalogue.facts.KMS_KEY_EXPIRY`` for
    rotation). The control-plane identity encrypts and decrypts with it. Required (control AML-AKS-029)."""
    tags: NotRequired[Annotated[dict[str, str], Field(default_factory=dict)]]
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


@rule(NodePool)
def _pool_rules(p: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    if p["max_count"] < p["min_count"]:
        yield (
            ("max_count",),
            p["max_count"],
            f"a count from {max(p['min_count'], 1)} to {MAX_NODES} (at least minCount)",
        )


@rule(InferenceClusterSettings)
def _settings_rules(s: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    if s["transport"] is InferenceTransport.HTTPS and s.get("tls") is None:
        insecure = InferenceTransport.HTTP_INSECURE_FOR_TESTING.value
        yield ("tls",), s.get("tls", MISSING), f"cname and secretName with transport https, or transport {insecure}"
    if s["system_pool"]["min_count"] < 1:
        yield ("system_pool", "min_count"), s["system_pool"]["min_count"], "1 or more (a System pool)"
    ha_short = s["router_high_availability"] and s["inference_pool"]["min_count"] < 3
    if ha_short:
        yield (
            ("inference_pool", "min_count"),
            s["inference_pool"]["min_count"],
            "3 or more while routerHighAvailability is true (three router replicas)",
        )
    if not s["fewer_nodes_for_exploration"]:  # AML-AKS-018
        # a pool already refused above is not refused twice
        for pool, reported in (("system_pool", s["system_pool"]["min_count"] < 1), ("inference_pool", ha_short)):
            if not reported and s[pool]["min_count"] < MIN_POOL_NODES:
                yield (
                    (pool, "min_count"),
                    s[pool]["min_count"],
                    f"{MIN_POOL_NODES} or more (failover and upgrades), or fewerNodesForExploration: true",
                )
    if s["namespace"] in RESERVED_NAMESPACES:
        yield ("namespace",), s["namespace"], "a DNS label other than " + " and ".join(RESERVED_NAMESPACES)
    pods, services = ipaddress.IPv4Network(s["pod_cidr"]), ipaddress.IPv4Network(s["service_cidr"])
    if pods.overlaps(services):
        yield ("service_cidr",), s["service_cidr"], f"a block that does not overlap podCidr {s['pod_cidr']}"
    try:
        dns_ip: ipaddress.IPv4Address | None = ipaddress.IPv4Address(s["dns_service_ip"])
    except ValueError:
        dns_ip = None
    if dns_ip is None or dns_ip not in services:
        yield ("dns_service_ip",), s["dns_service_ip"], f"an address inside serviceCidr {s['service_cidr']}"


@rule(InferenceClusterArgs)
def _args_rules(a: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    tags = a.get("tags")
    production = isinstance(tags, Mapping) and tags.get("environment") == shared.Environment.PRODUCTION.value
    if a["outbound_type"] is OutboundType.LOAD_BALANCER and production:  # AML-AKS-025
        yield (
            ("outbound_type",),
            a["outbound_type"],
            "userAssignedNATGateway or userDefinedRouting in production: egress never through a public load "
            "balancer (control AML-AKS-025)",
        )
    if a["location"] not in ZONAL_REGIONS:  # AML-AKS-001: pools span zones 1, 2 and 3
        yield (
            ("location",),
            a["location"],
            "a region with availability zones (control AML-AKS-001), one of " + ", ".join(sorted(ZONAL_REGIONS)),
        )
    elif a["location"] in NO_API_SERVER_VNET_INTEGRATION:  # AML-AKS-029
        yield (
            ("location",),
            a["location"],
            "a region with API Server VNet Integration, which etcd encryption with a private key vault needs "
            "(control AML-AKS-029): any zonal region but " + ", ".join(sorted(NO_API_SERVER_VNET_INTEGRATION)),
        )


def _extension_settings(a: InferenceClusterArgs) -> dict[str, str]:
    """The Azure ML extension's configuration settings for inference only."""
    internal = a["router_exposure"] == RouterExposure.INTERNAL_LOAD_BALANCER
    https = a["transport"] == InferenceTransport.HTTPS
    settings = {
        "enableTraining": "False",
        "enableInference": "True",
        "inferenceRouterServiceType": "loadBalancer" if internal else str(a["router_exposure"]),
        "allowInsecureConnections": "False" if https else "True",
        "inferenceRouterHA": "True" if a["router_high_availability"] else "False",
        f"nodeSelector.{WORKLOAD_LABEL[0]}": WORKLOAD_LABEL[1],
    }
    if internal:
        settings["internalLoadBalancerProvider"] = "azure"
    tls = a.get("tls")
    if https and tls is not None:
        settings["sslCname"] = tls["cname"]
        secret = tls.get("secret_name")
        if secret is not None:
            settings["sslSecret"] = secret
    return settings


def _extension_protected_settings(a: InferenceClusterArgs) -> dict[str, Input[str]] | None:
    """The router's certificate and key, base64-encoded, as protected settings (``scoringFe.sslCert``,
    ``scoringFe.sslKey``: the Azure ML extension's ARM template sample in Azure/AML-Kubernetes, the
    counterpart of the CLI's ``sslCertPemFile`` / ``sslKeyPemFile``). Azure drops protected settings an update
    leaves out, so both are sent on every update."""
    tls = a.get("tls")
    if a["transport"] != InferenceTransport.HTTPS or tls is None or tls.get("certificate_pem") is None:
        return None
    cert, key = tls.get("certificate_pem") or "", tls.get("key_pem") or ""
    return {
        "scoringFe.sslCert": pulumi.Output.secret(base64.b64encode(cert.encode()).decode()),
        "scoringFe.sslKey": pulumi.Output.secret(base64.b64encode(key.encode()).decode()),
    }


#: AML-AKS-011: no SSH to nodes (AgentPoolSSHAccess "Disabled"; built-in 28257686 treats unset as LocalUser).
_NODE_SECURITY = containerservice.AgentPoolSecurityProfileArgs(ssh_access=containerservice.AgentPoolSSHAccess.DISABLED)


def _system_pool_profile(pool: NodePool, subnet_id: Input[str]) -> containerservice.ManagedClusterAgentPoolProfileArgs:
    return containerservice.ManagedClusterAgentPoolProfileArgs(
        name=SYSTEM_POOL,
        mode=containerservice.AgentPoolMode.SYSTEM,
        type=containerservice.AgentPoolType.VIRTUAL_MACHINE_SCALE_SETS,  # AML-AKS-018
        os_type=containerservice.OSType.LINUX,
        vm_size=pool["vm_size"],
        availability_zones=list(ZONES),  # AML-AKS-001
        enable_auto_scaling=True,  # AML-AKS-008
        min_count=pool["min_count"],
        max_count=pool["max_count"],
        count=pool["min_count"],
        node_taints=[SYSTEM_TAINT],
        max_pods=MAX_PODS,  # AML-AKS-020
        vnet_subnet_id=subnet_id,
        enable_node_public_ip=False,  # AML-AKS-002
        enable_encryption_at_host=True,  # AML-AKS-010 (needs Microsoft.Compute/EncryptionAtHost registered)
        security_profile=_NODE_SECURITY,  # AML-AKS-011
    )


def _system_principal(identity: Any) -> str:
    """The principal id of a resource's system-assigned identity, which Azure sets on creation."""
    if identity is None or not identity.principal_id:
        raise ValueError("the disk encryption set has no system-assigned identity")
    return str(identity.principal_id)


class InferenceCluster(pulumi.ComponentResource):
    """A private, Entra-only, zonal AKS cluster with a tainted inference pool, attached as Kubernetes compute."""

    cluster_id: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    compute_id: pulumi.Output[str]
    compute_name: pulumi.Output[str]
    network_policy_manifest: str
    """The inference namespace's NetworkPolicies (default deny, and the Azure ML extension's flows), as YAML for
    ``kubectl apply -f`` from inside the network (controls AML-AKS-026, AML-AKS-101)."""

    def __init__(self, name: str, args: InferenceClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(InferenceClusterArgs, args, name)
        super().__init__("hardened-aml:index:InferenceCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(a["tags"])

        def grant(label: str, scope: Input[str], role: str) -> authorization.RoleAssignment:
            """A role of the cluster's control-plane identity, at ``scope``."""
            return shared.role_assignment(
                f"{name}-{label}",
                scope=scope,
                role_guid=role,
                principal_id=a["control_plane_principal_id"],
                principal_type="ServicePrincipal",
                subscription_id=a["subscription_id"],
                parent=self,
            )

        # The control-plane identity joins nodes and internal load balancers to the subnet
        # ("Use a managed identity in AKS": bring-your-own subnet with a user-assigned identity).
        self.subnet_role = grant("subnet-network-contributor", a["subnet_id"], NETWORK_CONTRIBUTOR)
        # AML-AKS-025: with userDefinedRouting AKS reads and writes the routes of the subnet's route table.
        route_table = a.get("route_table_id")
        self.route_table_role = (
            grant("route-table-network-contributor", route_table, NETWORK_CONTRIBUTOR)
            if route_table is not None and a["outbound_type"] is OutboundType.USER_DEFINED_ROUTING
            else None
        )
        # A kubelet identity of its own (AcrPull only) rather than one AKS creates: the control plane assigns it
        # to the nodes, which needs Managed Identity Operator on it ("Use a managed identity in AKS", "Use a
        # pre-created kubelet managed identity").
        self.kubelet_role = grant("kubelet-identity-operator", a["kubelet_identity_id"], MANAGED_IDENTITY_OPERATOR)
        # AML-AKS-014: node OS and data disks encrypted with the estate's key through a disk encryption set.
        self.disk_encryption_set = compute.DiskEncryptionSet(
            f"{name}-des",
            disk_encryption_set_name=f"des-{a['cluster_name']}",
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            identity=compute.EncryptionSetIdentityArgs(type=compute.DiskEncryptionSetIdentityType.SYSTEM_ASSIGNED),
            encryption_type=compute.DiskEncryptionSetType.ENCRYPTION_AT_REST_WITH_CUSTOMER_KEY,
            active_key=compute.KeyForDiskEncryptionSetArgs(
                key_url=a["disk_encryption_key_url"],
                source_vault=compute.SourceVaultArgs(id=a["key_vault_id"]),
            ),
            rotation_to_latest_key_version_enabled=True,
            tags=tags,
            opts=child,
        )
        des_principal = self.disk_encryption_set.identity.apply(_system_principal)
        # The set wraps and unwraps with this one key, nothing else (least privilege: the key, not the vault).
        self.disk_key_role = shared.role_assignment(
            f"{name}-des-crypto-user",
            scope=a["disk_encryption_key_id"],
            role_guid=KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
            principal_id=des_principal,
            principal_type="ServicePrincipal",
            subscription_id=a["subscription_id"],
            parent=self,
        )
        # The cluster identity reads the set (the BYOK page: "needs Reader access to the DiskEncryptionSet").
        self.des_reader = grant("des-reader", self.disk_encryption_set.id, READER)
        # AML-AKS-029: the API server joins its own delegated subnet (API Server VNet Integration), where the
        # control plane needs Network Contributor ("API Server VNet Integration", bring-your-own VNet).
        self.api_server_subnet_role = grant(
            "apiserver-subnet-network-contributor", a["api_server_subnet_id"], NETWORK_CONTRIBUTOR
        )
        # AML-AKS-029: with a private vault, AKS makes its own private link to it, for which the control plane needs
        # Key Vault Contributor on the vault ("Use KMS etcd encryption in AKS", "Assign permissions to create a
        # private link"); the vault holds the etcd key alone, so that role reaches nothing else. The KMS plugin
        # encrypts and decrypts with the key (same page: "Key Vault Crypto User"), on the key alone.
        self.kms_vault_role = grant("kms-vault-contributor", a["kms_key_vault_id"], KEY_VAULT_CONTRIBUTOR)
        self.kms_key_role = grant("kms-crypto-user", a["kms_key_id"], KEY_VAULT_CRYPTO_USER)
        self.cluster = containerservice.ManagedCluster(
            f"{name}-aks",
            resource_name_=a["cluster_name"],
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            dns_prefix=a["cluster_name"][:54].rstrip("-"),
            kubernetes_version=a.get("kubernetes_version"),
            sku=containerservice.ManagedClusterSKUArgs(
                name=containerservice.ManagedClusterSKUName.BASE,
                tier=containerservice.ManagedClusterSKUTier.STANDARD,  # AML-AKS-004: uptime SLA
            ),
            identity=containerservice.ManagedClusterIdentityArgs(
                type=containerservice.ResourceIdentityType.USER_ASSIGNED,
                user_assigned_identities=[a["control_plane_identity_id"]],
            ),
            identity_profile={
                "kubeletidentity": containerservice.UserAssignedIdentityArgs(
                    resource_id=a["kubelet_identity_id"],
                    client_id=a["kubelet_client_id"],
                    object_id=a["kubelet_principal_id"],
                )
            },
            # AML-AKS-002: the API server has a private address only, and no public FQDN; command invoke (which
            # runs commands through ARM, around the private API server) is off (built-in 89f2d532).
            api_server_access_profile=containerservice.ManagedClusterAPIServerAccessProfileArgs(
                enable_private_cluster=True,
                enable_private_cluster_public_fqdn=False,
                private_dns_zone="system",
                disable_run_command=True,
                # AML-AKS-029: the API server in the VNet, which KMS with a private key vault needs.
                enable_vnet_integration=True,
                subnet_id=a["api_server_subnet_id"],
            ),
            # AML-AKS-003: Entra ID with Azure RBAC for Kubernetes authorization; no local (static) accounts.
            aad_profile=containerservice.ManagedClusterAADProfileArgs(
                managed=True,
                enable_azure_rbac=True,
                admin_group_object_ids=list(a["admin_group_object_ids"]),
            ),
            enable_rbac=True,  # AML-AKS-003: Kubernetes RBAC stays on
            disable_local_accounts=True,
            disk_encryption_set_id=self.disk_encryption_set.id,  # AML-AKS-014
            # AML-AKS-016: pods reach Azure as Entra workload identities (federated through the OIDC issuer).
            oidc_issuer_profile=containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=containerservice.ManagedClusterSecurityProfileArgs(
                # AML-AKS-015: Defender for Containers' sensor, reporting to the estate's Log Analytics.
                defender=containerservice.ManagedClusterSecurityProfileDefenderArgs(
                    log_analytics_workspace_resource_id=a["log_analytics_workspace_id"],
                    security_monitoring=containerservice.ManagedClusterSecurityProfileDefenderSecurityMonitoringArgs(
                        enabled=True
                    ),
                ),
                workload_identity=containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(enabled=True),
                # AML-AKS-029: Kubernetes secrets in etcd are encrypted with the estate's key, in a private vault.
                azure_key_vault_kms=containerservice.AzureKeyVaultKmsArgs(
                    enabled=True,
                    key_id=a["kms_key_url"],
                    key_vault_network_access=containerservice.KeyVaultNetworkAccessTypes.PRIVATE,
                    key_vault_resource_id=a["kms_key_vault_id"],
                ),
                # AML-AKS-017: unused images with known vulnerabilities are removed from the nodes.
                image_cleaner=containerservice.ManagedClusterSecurityProfileImageCleanerArgs(
                    enabled=True, interval_hours=a["image_cleaner_interval_hours"]
                ),
            ),
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
                outbound_type=str(a["outbound_type"]),  # AML-AKS-025: a NAT gateway or a firewall, by default
                pod_cidr=a["pod_cidr"],
                service_cidr=a["service_cidr"],
                dns_service_ip=a["dns_service_ip"],
            ),
            # AML-AKS-024: the CSI drivers of Azure disks and files and the snapshot controller stay on (Azure's
            # defaults; built-in c5110b6e flags any set to false). The default storage classes use them with the
            # disk encryption set (AML-AKS-014). The blob driver (off by default) is not used.
            storage_profile=containerservice.ManagedClusterStorageProfileArgs(
                disk_csi_driver=containerservice.ManagedClusterStorageProfileDiskCSIDriverArgs(enabled=True),
                file_csi_driver=containerservice.ManagedClusterStorageProfileFileCSIDriverArgs(enabled=True),
                snapshot_controller=containerservice.ManagedClusterStorageProfileSnapshotControllerArgs(enabled=True),
                blob_csi_driver=containerservice.ManagedClusterStorageProfileBlobCSIDriverArgs(enabled=False),
            ),
            # AML-AKS-006: automatic upgrades that keep Kubernetes on a supported version, and node-image updates.
            auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel=str(a["upgrade_channel"]),
                node_os_upgrade_channel=containerservice.NodeOSUpgradeChannel.NODE_IMAGE,
            ),
            # AML-AKS-007: Container insights to Log Analytics (managed-identity auth) and the Azure Policy add-on.
            # AML-AKS-012: no other add-on (never httpApplicationRouting or kubeDashboard).
            addon_profiles={
                "omsagent": containerservice.ManagedClusterAddonProfileArgs(
                    enabled=True,
                    config={
                        "logAnalyticsWorkspaceResourceID": a["log_analytics_workspace_id"],
                        "useAADAuth": "true",
                    },
                ),
                "azurepolicy": containerservice.ManagedClusterAddonProfileArgs(enabled=True),
            },
            # AML-AKS-001, AML-AKS-008: the system pool spans zones 1-3 with the autoscaler on.
            agent_pool_profiles=[_system_pool_profile(a["system_pool"], a["subnet_id"])],
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[
                    self.subnet_role,
                    self.kubelet_role,
                    self.disk_key_role,
                    self.des_reader,
                    self.api_server_subnet_role,
                    self.kms_vault_role,
                    self.kms_key_role,
                    *([self.route_table_role] if self.route_table_role else []),
                ],
            ),
        )
        # AML-AKS-001, AML-AKS-008: inference runs in its own autoscaled User pool across zones 1-3. The label
        # pins the Azure ML extension and its workloads here; the taint keeps other workloads away (see the
        # module docstring for why it is PreferNoSchedule).
        self.inference_pool = containerservice.AgentPool(
            f"{name}-pool-inference",
            agent_pool_name=INFERENCE_POOL,
            resource_name_=self.cluster.name,
            resource_group_name=a["resource_group_name"],
            mode=containerservice.AgentPoolMode.USER,
            type=containerservice.AgentPoolType.VIRTUAL_MACHINE_SCALE_SETS,  # AML-AKS-018
            os_type=containerservice.OSType.LINUX,
            vm_size=a["inference_pool"]["vm_size"],
            availability_zones=list(ZONES),
            enable_auto_scaling=True,
            min_count=a["inference_pool"]["min_count"],
            max_count=a["inference_pool"]["max_count"],
            count=max(a["inference_pool"]["min_count"], 1),
            node_labels={WORKLOAD_LABEL[0]: WORKLOAD_LABEL[1]},
            node_taints=[INFERENCE_TAINT],
            max_pods=MAX_PODS,  # AML-AKS-020
            vnet_subnet_id=a["subnet_id"],
            enable_node_public_ip=False,  # AML-AKS-002
            enable_encryption_at_host=True,  # AML-AKS-010 (needs Microsoft.Compute/EncryptionAtHost registered)
            security_profile=_NODE_SECURITY,  # AML-AKS-011
            tags=tags,
            opts=child,
        )
        # AML-AKS-023: both automatic upgrades (AML-AKS-006) wait for the same weekly window.
        window = a["maintenance_window"]
        self.maintenance: list[containerservice.MaintenanceConfiguration] = [
            containerservice.MaintenanceConfiguration(
                f"{name}-maintenance-{'upgrade' if config == MAINTENANCE_CONFIGS[0] else 'node-os'}",
                config_name=config,
                resource_name_=self.cluster.name,
                resource_group_name=a["resource_group_name"],
                maintenance_window=containerservice.MaintenanceWindowArgs(
                    schedule=containerservice.ScheduleArgs(
                        weekly=containerservice.WeeklyScheduleArgs(
                            day_of_week=str(window["day_of_week"]), interval_weeks=1
                        )
                    ),
                    start_time=window["start_time"],
                    duration_hours=window["duration_hours"],
                    utc_offset=window["utc_offset"],
                ),
                opts=child,
            )
            for config in MAINTENANCE_CONFIGS
        ]
        # AML-MON-005, AML-MON-008: the control-plane audit and platform logs, and metrics, to Log Analytics.
        self.diagnostics = shared.diagnostics(
            f"{name}-diag-aks",
            resource_id=self.cluster.id,
            resource_type="Microsoft.ContainerService/managedClusters",
            log_analytics_workspace_id=a["log_analytics_workspace_id"],
            parent=self,
            categories=LOG_CATEGORIES,
        )
        # The compute namespace must exist before the attach; an AKS managed namespace creates it through ARM
        # (the API server is private). AML-AKS-026: AKS applies its default network policy, deny all in and out
        # ("Managed namespaces", MicrosoftDocs/azure-aks-docs concepts-managed-namespaces.md; the SDK's defaults are
        # ingress AllowSameNamespace and egress AllowAll); the flows the Azure ML extension needs are allowed by
        # the manifest of network_policies (AML-AKS-101), applied from inside the network.
        self.namespace = containerservice.ManagedNamespace(
            f"{name}-ns",
            managed_namespace_name=a["namespace"],
            resource_name_=self.cluster.name,
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            properties=containerservice.NamespacePropertiesArgs(
                adoption_policy=containerservice.AdoptionPolicy.NEVER,
                delete_policy=containerservice.DeletePolicy.DELETE,
                default_network_policy=containerservice.NetworkPoliciesArgs(
                    ingress=containerservice.PolicyRule.DENY_ALL,
                    egress=containerservice.PolicyRule.DENY_ALL,
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
            resource_group_name=a["resource_group_name"],
            extension_type=EXTENSION_TYPE,
            auto_upgrade_minor_version=True,
            release_train="stable",
            scope=kubernetesconfiguration.ScopeArgs(
                cluster=kubernetesconfiguration.ScopeClusterArgs(release_namespace="azureml")
            ),
            configuration_settings=_extension_settings(a),
            configuration_protected_settings=_extension_protected_settings(a),
            # The extension's own identity (system-assigned); it is given no role (control AML-IAM-011).
            identity=kubernetesconfiguration.IdentityArgs(
                type=kubernetesconfiguration.ResourceIdentityType.SYSTEM_ASSIGNED
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.inference_pool]),
        )
        # Azure ML reaches the cluster (local accounts disabled) through Trusted Access for this workspace.
        self.trusted_access = containerservice.TrustedAccessRoleBinding(
            f"{name}-trusted-access",
            trusted_access_role_binding_name="azureml-workspace",
            resource_name_=self.cluster.name,
            resource_group_name=a["resource_group_name"],
            source_resource_id=a["workspace_id"],
            roles=[TRUSTED_ACCESS_ROLE],
            opts=child,
        )
        self.attach_roles: list[authorization.RoleAssignment] = [
            shared.role_assignment(
                f"{name}-ws-{label}",
                scope=self.cluster.id,
                role_guid=role,
                principal_id=a["workspace_principal_id"],
                principal_type="ServicePrincipal",
                subscription_id=a["subscription_id"],
                parent=self,
            )
            for label, role in ATTACH_ROLES
        ]
        # PITFALLS "Attaching AKS fails on identity": the extension, the roles, the Trusted Access binding and
        # the namespace all exist before the attach.
        self.compute = ml.Compute(
            f"{name}-compute",
            compute_name=a["compute_name"],
            workspace_name=a["workspace_name"],
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            identity=ml.ManagedServiceIdentityArgs(
                type=ml.ManagedServiceIdentityType.USER_ASSIGNED,
                user_assigned_identities=[a["compute_identity_id"]],
            ),
            properties=ml.KubernetesArgs(
                compute_type="Kubernetes",
                compute_location=a["location"],
                resource_id=self.cluster.id,
                description="Private zonal AKS inference cluster (hardened-aml)",
                disable_local_auth=True,  # AML-IAM-002: Entra ID only
                properties=ml.KubernetesPropertiesArgs(namespace=a["namespace"]),
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
        # AML-AKS-101: the namespace's NetworkPolicies, to apply from inside the network (README).
        self.network_policy_manifest = network_policies.manifest(a["namespace"], a["private_endpoint_cidrs"])
        self.register_outputs(
            {
                "cluster_id": self.cluster_id,
                "cluster_name": self.cluster_name,
                "compute_id": self.compute_id,
                "compute_name": self.compute_name,
                "network_policy_manifest": self.network_policy_manifest,
            }
        )
