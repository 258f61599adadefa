"""One hardened Azure Machine Learning estate: every component of this library, wired together.

Its args, :class:`~hardened_aml.settings.EstateArgs`, are also the stack configuration of this repository (see
``settings.py``): each section is the settings type of the component it configures. The estate only composes:
it checks its args once (every child's settings rules and the estate's own rules run before anything is
registered, so bad input never half-builds an estate), creates the children in order and wires ids between them.

Order of creation (the dependencies the components need): the workspace and its private endpoint first;
compute clusters and instances after the workspace's private endpoint (no-public-IP compute needs it,
PITFALLS: Azure/data-product-analytics #70); the AKS cluster, its attach and the endpoints after the
workspace (they take its name and id); the batch deployment on a ``BatchInference`` cluster of the estate.
The governance assignments are always made, at the resource group.
"""

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_azure_native.managedidentity as managedidentity
import pulumi_azure_native.resources as resources

from aml_catalogue.facts import KMS_KEY_EXPIRY, KMS_ROTATE_BEFORE_EXPIRY
from hardened_aml.access import WorkspaceAccess
from hardened_aml.aks import InferenceCluster
from hardened_aml.alerts import Alerts
from hardened_aml.batch_endpoint import BatchEndpoint
from hardened_aml.budget import Budget
from hardened_aml.compute_cluster import ClusterPurpose, ComputeCluster
from hardened_aml.compute_instance import ComputeInstance
from hardened_aml.container_registry import ContainerRegistry
from hardened_aml.governance import Governance
from hardened_aml.identity_roles import RoleGrant, WorkloadIdentity, WorkspaceIdentityRoles
from hardened_aml.inputs import checked
from hardened_aml.key_vault import KeyVault
from hardened_aml.ml_registry import MlRegistry
from hardened_aml.monitoring import Monitoring
from hardened_aml.naming import Namer
from hardened_aml.network import Network
from hardened_aml.online_endpoint import OnlineEndpoint
from hardened_aml.private_endpoint import PrivateEndpoint, PrivateLink
from hardened_aml.settings import EstateArgs
from hardened_aml.storage import Storage
from hardened_aml.workspace import Workspace


class Estate(pulumi.ComponentResource):
    """Resource group, identity, monitoring, Key Vault + CMK, storage, registry, network, workspace, RBAC,
    budget, governance assignments; then the compute, AKS and endpoints the arguments ask for."""

    resource_group_name: pulumi.Output[str]
    """The estate's resource group."""
    workspace_id: pulumi.Output[str]
    """The workspace's ARM id."""
    workspace_name: pulumi.Output[str]
    """The workspace's name."""
    compute_ids: pulumi.Output[dict[str, str]]
    """Compute resource ids by compute name: clusters, instances and the attached AKS compute."""
    dns_zones_to_forward: pulumi.Output[list[str]]
    """The public zones an on-premises or hub DNS resolver forwards to Azure DNS (168.63.129.16) so the
    estate's private endpoints resolve to their private addresses (``Network.dns_zones_to_forward``)."""
    inference_network_policies: str | None
    """The inference namespace's Kubernetes NetworkPolicies as YAML, to apply from inside the network (none without
    an AKS cluster; ``InferenceCluster.network_policy_manifest``, control AML-AKS-101)."""

    def __init__(self, name: str, args: EstateArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        e: Any = checked(EstateArgs, args, name)
        super().__init__("hardened-aml:index:Estate", name, None, opts)
        namer = Namer(pulumi.get_project(), pulumi.get_stack(), e["workload"])
        environment, location = e["environment"], e["location"]
        # AML-COST-002: the cost-allocation tags win over extras of the same name.
        t = e["tags"]
        tags = {**t["extra"], "team": t["team"], "environment": environment.value, "costCentre": t["cost_centre"]}
        child = pulumi.ResourceOptions(parent=self)
        self._tags, self._location, self._environment = tags, location, environment
        self.workload_identities: dict[str, WorkloadIdentity] = {}
        placed: dict[str, Any] = {"location": location, "tags": tags}

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
        here = {"resource_group_name": rg, **placed}
        self.monitoring = Monitoring(
            f"{name}-monitoring",
            _of(
                {
                    "log_analytics_name": namer.name("log"),
                    "application_insights_name": namer.name("appi"),
                    "environment": environment,
                    **here,
                }
            ),
            opts=child,
        )
        law = self.monitoring.log_analytics_workspace_id
        logged = {"log_analytics_workspace_id": law, "environment": environment, **here}
        self.key_vault = KeyVault(
            f"{name}-keyvault",
            _of(
                {
                    "vault_name": namer.name("kv"),
                    "key_name": namer.name("cmk"),
                    "tenant_id": self.identity.tenant_id,
                    "subscription_id": subscription_id,
                    "cmk_principal_id": self.identity.principal_id,
                    **logged,
                }
            ),
            opts=child,
        )

        # AML-ENC-005 / AML-ENC-008: storage and registry are encrypted with the estate's key, each reading it
        # through an identity of its own.
        def key(purpose: str) -> dict[str, Any]:
            return {
                "key_id": self.key_vault.key_id,
                "key_uri": self.key_vault.key_uri_with_version,
                "identity_name": namer.name("id", purpose),
                "subscription_id": subscription_id,
            }

        self.storage = Storage(
            f"{name}-storage",
            _of(
                {
                    "account_name": namer.name("st"),
                    "sku": e.get("storage_sku"),
                    **e["storage"],  # AML-DAT-009: defender_for_storage
                    "checkpoint_lifecycle": e["checkpoints"],  # AML-DAT-006
                    "customer_managed_key": key("st-cmk"),
                    **logged,
                }
            ),
            opts=child,
        )
        self.registry = ContainerRegistry(
            f"{name}-registry",
            _of({**e["registry"], "registry_name": namer.name("cr"), "customer_managed_key": key("cr-cmk"), **logged}),
            opts=child,
        )
        # The identity's roles on the workspace's resources exist before the workspace uses them.
        self.identity_roles = WorkspaceIdentityRoles(
            f"{name}-identity-roles",
            _of(
                {
                    "principal_id": self.identity.principal_id,
                    "subscription_id": subscription_id,
                    "storage_account_id": self.storage.account_id,
                    "key_vault_id": self.key_vault.vault_id,
                    "container_registry_id": self.registry.registry_id,
                    "application_insights_id": self.monitoring.application_insights_id,
                }
            ),
            opts=child,
        )
        self.workspace = Workspace(
            f"{name}-workspace",
            _of(
                {
                    **e["managed_network"],
                    "workspace_name": namer.name("mlw"),
                    "identity_id": self.identity.id,
                    "storage_account_id": self.storage.account_id,
                    "key_vault_id": self.key_vault.vault_id,
                    "key_identifier": self.key_vault.key_uri_with_version,
                    "container_registry_id": self.registry.registry_id,
                    "application_insights_id": self.monitoring.application_insights_id,
                    # AML-NET-015: the registry is private, so images build on a cluster of this workspace.
                    "image_build_compute": image_build_compute(e["compute"]["clusters"]),
                    **logged,
                }
            ),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[r for r in (self.key_vault.key_access, self.identity_roles) if r is not None]
            ),
        )
        self.workspace_contributor = self.identity_roles.on_workspace(self.workspace.workspace_id, parent=self)
        # AML-IAM-011: what workload identities are given, each at its narrowest scope.
        containers = pulumi.Output.concat(self.storage.account_id, "/blobServices/default/containers/")
        default_container = pulumi.Output.concat(containers, self.workspace.default_container_name)
        pull = RoleGrant(label="acr-pull", role="AcrPull", scope=self.registry.registry_id)
        self._grants = {
            # Clusters pull images and read and write the default datastore ("Set up authentication", compute
            # cluster: AcrPull, Storage Blob Data Reader at least; Blob Data Contributor with identity-based
            # system datastores for MLflow and outputs: how-to-disable-local-auth-storage, role table).
            "cluster": [
                pull,
                RoleGrant(label="default-blob", role="Storage Blob Data Contributor", scope=default_container),
            ],
            # Training clusters also write checkpoints (AML-REL-102), to their own container, and nothing else holds
            # a write role there (AML-DAT-007): Storage Blob Data Contributor, the built-in data role that reads,
            # writes and deletes blobs ("Azure built-in roles for Storage", learn.microsoft.com/azure/
            # role-based-access-control/built-in-roles/storage; "Assign an Azure role for access to blob data":
            # scope it to the container, the narrowest scope a data role takes).
            "training": [
                RoleGrant(label="checkpoints", role="Storage Blob Data Contributor", scope=self.storage.checkpoints_id)
            ],
            # Endpoints pull images and read the default datastore ("Access Azure resources from an online
            # endpoint with a managed identity": AcrPull and Storage Blob Data Reader), and write metrics
            # (concept-endpoints-online-auth, "Automatic role assignment for endpoint identity").
            "endpoint": [
                pull,
                RoleGrant(label="default-blob-read", role="Storage Blob Data Reader", scope=default_container),
            ],
            "metrics": [
                RoleGrant(
                    label="metrics-writer", role="AzureML Metrics Writer (preview)", scope=self.workspace.workspace_id
                )
            ],
            "pull": [pull],
        }
        self._subscription_id = subscription_id
        self._private_endpoint_prefix = e["network"]["private_endpoint_subnet_prefix"]
        self.network = Network(
            f"{name}-network",
            _of(
                {
                    **e["network"],
                    "name_stem": namer.name("vnet").removeprefix("vnet-"),
                    "subscription_id": subscription_id,
                    "workspace_managed_network": True,  # the workspace always uses its managed VNet (AML-NET-002)
                    # AML-AKS-025: the AKS subnet gets its egress (NAT gateway or firewall route) for a cluster only.
                    "aks_cluster": bool(e["inference"].get("aks")),
                    "environment": environment,
                    **here,
                }
            ),
            opts=child,
        )
        # AML-REL-011: the Azure ML registry shared with the DR region, when the stack asks for one.
        ml_registry = e.get("ml_registry")
        self.ml_registry = (
            MlRegistry(
                f"{name}-ml-registry",
                _of({**ml_registry, "registry_name": namer.name("mlr"), "environment": environment, **here}),
                opts=child,
            )
            if ml_registry is not None
            else None
        )
        links = [
            link
            for part in (self.workspace, self.storage, self.key_vault, self.registry)
            for link in part.private_links
        ] + (self.ml_registry.private_links if self.ml_registry else [])
        # AML-NET-003 / AML-NET-008: a private endpoint for the workspace and each dependency, as each declares it.
        self.private_endpoints = [self._private_endpoint(name, namer, link, here, link.purpose) for link in links]
        self.access = WorkspaceAccess(
            f"{name}-access",
            _of({**e["access"], "workspace_id": self.workspace.workspace_id, "subscription_id": subscription_id}),
            opts=child,
        )
        self.governance = Governance(
            f"{name}-governance",
            _of(
                {
                    **e["governance"],
                    "environment": environment,
                    "scope": self.resource_group.id,
                    # A registry's login server is "<name>.azurecr.io" (its name is lowercase alphanumerics); a literal
                    # keeps the plan free of unknowns (AML-GOV-001).
                    "registry_login_server": f"{namer.name('cr')}.azurecr.io",
                    "name_suffix": namer.suffix,
                }
            ),
            opts=child,
        )

        in_workspace = {"workspace_name": self.workspace.workspace_name, **here}
        # AML-IAM-011: every cluster runs as an identity of its own, with data-plane roles only.
        self.clusters = {}
        for c in e["compute"]["clusters"]:
            training = c["purpose"] is ClusterPurpose.TRAINING
            identity = self._workload_identity(
                name, namer, f"cl-{c['name']}", self._grants["cluster"] + (self._grants["training"] if training else [])
            )
            # No-public-IP compute waits for the workspace's private endpoint (the first one, "mlw"), and for
            # its identity's roles, so that the first job can pull and write.
            self.clusters[c["name"]] = ComputeCluster(
                f"{name}-cluster-{c['name']}",
                _of({**c, **in_workspace, "identity_id": identity.identity_id}),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.private_endpoints[0], identity]),
            )
        # An instance has no managed identity: its assigned user's own identity and group roles reach data.
        self.instances = {
            i["name"]: ComputeInstance(
                f"{name}-ci-{i['name']}",
                _of({**i, "assigned_user_tenant_id": self.identity.tenant_id, **in_workspace}),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.private_endpoints[0]]),
            )
            for i in e["compute"]["instances"]
        }
        inference = e["inference"]
        self.inference_cluster = self._inference_cluster(name, namer, inference.get("aks"), here, subscription_id)
        online = inference.get("online_endpoint")
        self.online_endpoint = None
        if online:
            identity = self._workload_identity(name, namer, "oe", self._grants["endpoint"] + self._grants["metrics"])
            self.online_endpoint = OnlineEndpoint(
                f"{name}-online",
                _of(
                    {
                        **online,
                        "endpoint_name": _endpoint_name(namer, "oe", online.get("name")),
                        **in_workspace,
                        "identity_id": identity.identity_id,
                        "environment": environment,
                    }
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.workspace, identity]),
            )
        batch = inference.get("batch_endpoint")
        self.batch_endpoint = None
        if batch:
            cluster = self.clusters[batch["cluster"]]
            settings = {k: v for k, v in batch.items() if k != "cluster"}
            # Batch jobs run as their invoker and mount data as the cluster's identity (how-to-authenticate-
            # batch-endpoint); the endpoint's own identity needs no role.
            identity = self._workload_identity(name, namer, "be", [])
            self.batch_endpoint = BatchEndpoint(
                f"{name}-batch",
                _of(
                    {
                        **settings,
                        "endpoint_name": _endpoint_name(namer, "be", batch.get("name")),
                        "compute_id": cluster.compute_id,  # AML-REL-005: a Dedicated batch-inference cluster
                        "environment": environment,
                        "identity_id": identity.identity_id,
                        **in_workspace,
                    }
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.workspace, cluster]),
            )

        # AML-MON-006: alert rules for what the estate has, to one action group that the budget notifies too.
        alerts = e.get("alerts")
        self.alerts = (
            Alerts(f"{name}-alerts", _of(self._alert_wiring(alerts, namer, here)), opts=child)
            if alerts is not None
            else None
        )
        budget = e.get("budget")
        self.budget = (
            Budget(
                f"{name}-budget",
                _of(
                    {
                        **budget,
                        "scope": self.resource_group.id,
                        "budget_name": namer.name("budget"),
                        "action_group_id": self.alerts.action_group_id if self.alerts else None,
                    }
                ),
                opts=child,
            )
            if budget is not None
            else None
        )

        self.resource_group_name = rg
        self.workspace_id = self.workspace.workspace_id
        self.workspace_name = self.workspace.workspace_name
        computes = {
            **{n: c.compute_id for n, c in self.clusters.items()},
            **{n: c.compute_id for n, c in self.instances.items()},
        }
        if self.inference_cluster is not None:
            computes[inference["aks"]["compute_name"]] = self.inference_cluster.compute_id
        self.compute_ids = pulumi.Output.all(**computes) if computes else pulumi.Output.from_input({})
        self.dns_zones_to_forward = self.network.dns_zones_to_forward
        self.inference_network_policies = (
            self.inference_cluster.network_policy_manifest if self.inference_cluster is not None else None
        )
        self.register_outputs(
            {
                **(
                    {"inference_network_policies": self.inference_network_policies}
                    if self.inference_network_policies is not None
                    else {}
                ),
                "resource_group_name": self.resource_group_name,
                "workspace_id": self.workspace_id,
                "workspace_name": self.workspace_name,
                "compute_ids": self.compute_ids,
                "dns_zones_to_forward": self.dns_zones_to_forward,
            }
        )

    def _alert_wiring(self, alerts: Any, namer: Namer, here: Mapping[str, Any]) -> dict[str, Any]:
        """The alerts' settings with the resources they watch: the workspace, its Key Vault, and the endpoint, its
        deployments and the AKS cluster (with its etcd key's vault) when the estate has them."""
        online, aks = self.online_endpoint, self.inference_cluster
        return {
            **alerts,
            "name_stem": namer.name("rg").removeprefix("rg-"),
            "short_name": (namer.workload + namer.suffix)[:12],
            "workspace_id": self.workspace.workspace_id,
            "online_endpoint_id": online.endpoint_id if online else None,
            "deployment_ids": {n: d.id for n, d in online.deployments.items()} if online else {},
            "aks_cluster_id": aks.cluster_id if aks else None,
            "key_vault_ids": {
                "": self.key_vault.vault_id,
                **({"kms": self.kms_vault.vault_id} if aks else {}),
            },
            **here,
        }

    def _workload_identity(self, name: str, namer: Namer, purpose: str, grants: list[RoleGrant]) -> WorkloadIdentity:
        """A user-assigned identity for one workload, with the data-plane roles it needs (AML-IAM-011)."""
        rg = self.resource_group
        identity = WorkloadIdentity(
            f"{name}-wid-{purpose}",
            _of(
                {
                    "identity_name": namer.name("id", purpose),
                    "resource_group_name": rg.name,
                    "location": self._location,
                    "tags": self._tags,
                    "subscription_id": self._subscription_id,
                    "grants": grants,
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.workload_identities[purpose] = identity
        return identity

    def _private_endpoint(
        self, name: str, namer: Namer, link: PrivateLink, here: Mapping[str, Any], purpose: str
    ) -> PrivateEndpoint:
        """A private endpoint in the estate's subnet, with its DNS zones, for one private link a part declares."""
        return PrivateEndpoint(
            f"{name}-pep-{purpose}",
            _of(
                {
                    "private_endpoint_name": namer.name("pep", purpose),
                    "target_resource_id": link.target_resource_id,
                    "group_id": link.group_id,
                    "subnet_id": self.network.private_endpoint_subnet_id,
                    "private_dns_zone_ids": [self.network.private_dns_zone_ids[zone] for zone in link.dns_zones],
                    **here,
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _inference_cluster(
        self, name: str, namer: Namer, aks: Any, here: Mapping[str, Any], subscription_id: pulumi.Input[str]
    ) -> InferenceCluster | None:
        """The AKS cluster with its own control-plane identity, attached to the workspace as Kubernetes compute."""
        self.aks_identity = None
        if not aks:
            return None
        self.aks_identity = managedidentity.UserAssignedIdentity(
            f"{name}-aks-id",
            resource_name_=namer.name("id", "aks"),
            resource_group_name=here["resource_group_name"],
            location=here["location"],
            tags=here["tags"],
            opts=pulumi.ResourceOptions(parent=self),
        )
        # AML-IAM-011: the nodes pull images as a kubelet identity of their own (AcrPull, "Authenticate with ACR
        # from AKS"); the attached compute runs as its own identity (AcrPull and blob read, as an endpoint).
        kubelet = self._workload_identity(name, namer, "aks-kubelet", self._grants["pull"])
        compute = self._workload_identity(name, namer, "aks-compute", self._grants["endpoint"])
        # AML-AKS-014: the node and data disks are encrypted with a key of their own, of the estate's one
        # specification (AML-ENC-009), in the estate's vault.
        disk_key = self.key_vault.add_key(f"{name}-aks-disk-cmk", namer.name("cmk", "aks-disk"), lock=True)
        # AML-AKS-029: etcd secrets are encrypted (KMS) with a key of the same specification in a private vault of
        # its own: AKS needs Key Vault Contributor on that vault, which must reach nothing else. The cluster grants
        # its control plane encrypt/decrypt on the key itself (so that the cluster waits for it); the key rotates at
        # half its lifetime (aml_catalogue.facts.KMS_KEY_EXPIRY).
        self.kms_vault = KeyVault(
            f"{name}-kms",
            _of(
                {
                    "vault_name": namer.name("kv", "kms"),
                    "key_name": namer.name("cmk", "etcd"),
                    "tenant_id": self.identity.tenant_id,
                    "subscription_id": subscription_id,
                    "key_expiry": KMS_KEY_EXPIRY,
                    "rotate_before_expiry": KMS_ROTATE_BEFORE_EXPIRY,
                    "log_analytics_workspace_id": self.monitoring.log_analytics_workspace_id,
                    "environment": self._environment,
                    **here,
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.private_endpoints += [
            self._private_endpoint(name, namer, link, here, f"kms-{link.purpose}")
            for link in self.kms_vault.private_links
        ]
        return InferenceCluster(
            f"{name}-aks",
            _of(
                {
                    **aks,
                    "cluster_name": namer.name("aks"),
                    "subscription_id": subscription_id,
                    "subnet_id": self.network.aks_subnet_id,
                    # AML-AKS-025: the egress the network gave the subnet (or the existing subnet has).
                    "outbound_type": self.network.aks_outbound_type,
                    "route_table_id": self.network.aks_route_table_id,
                    # AML-AKS-026: the namespace's only HTTPS egress goes to the private endpoints' subnet.
                    "private_endpoint_cidrs": [self._private_endpoint_prefix],
                    "control_plane_identity_id": self.aks_identity.id,
                    "control_plane_principal_id": self.aks_identity.principal_id,
                    "workspace_name": self.workspace.workspace_name,
                    "workspace_id": self.workspace.workspace_id,
                    "workspace_principal_id": self.identity.principal_id,
                    "compute_identity_id": compute.identity_id,
                    "kubelet_identity_id": kubelet.identity_id,
                    "kubelet_client_id": kubelet.client_id,
                    "kubelet_principal_id": kubelet.principal_id,
                    "log_analytics_workspace_id": self.monitoring.log_analytics_workspace_id,
                    "key_vault_id": self.key_vault.vault_id,
                    "disk_encryption_key_id": disk_key.id,
                    "disk_encryption_key_url": disk_key.key_uri_with_version,
                    "api_server_subnet_id": self.network.api_server_subnet_id,
                    "kms_key_vault_id": self.kms_vault.vault_id,
                    "kms_key_id": self.kms_vault.key_id,
                    "kms_key_url": self.kms_vault.key_uri_with_version,
                    **here,
                }
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.workspace, kubelet, compute]),
        )


def _of(values: Mapping[str, Any]) -> Any:
    """A child's args: the user's settings for it spread with the wiring (checked by the child)."""
    return values


def image_build_compute(clusters: list[Any]) -> str | None:
    """The cluster that builds images: the first training cluster, else the first cluster (control AML-NET-015).
    With no cluster there is none, and the pack reports that image builds would fail."""
    training = [c["name"] for c in clusters if c["purpose"] is ClusterPurpose.TRAINING]
    names = training or [c["name"] for c in clusters]
    return names[0] if names else None


def _endpoint_name(namer: Namer, kind: str, given: str | None) -> str:
    """``oe-haml-dev-1a2b``: endpoint names are unique in the region (the scoring host name)."""
    return given or "-".join([kind, namer.workload, namer.stack_token, namer.suffix])
