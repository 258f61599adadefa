from __future__ import annotations

from typing import Any

import pulumi
import pulumi_azure_native.resources as resources
import pytest
from component_plan import LAW_ID, RG_ID, SUB, TAGS, refused

from hardened_aml.aks import (
    AKS_CLUSTER_ADMIN_ROLE,
    CONTRIBUTOR,
    KEY_VAULT_CONTRIBUTOR,
    KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
    KEY_VAULT_CRYPTO_USER,
    KUBERNETES_EXTENSION_CONTRIBUTOR,
    MANAGED_IDENTITY_OPERATOR,
    NETWORK_CONTRIBUTOR,
    READER,
    InferenceCluster,
    InferenceClusterArgs,
    InferenceClusterSettings,
    InferenceTls,
    InferenceTransport,
    MaintenanceWindow,
    NodePool,
    OutboundType,
    RouterExposure,
)
from hardened_aml.errors import MISSING, InvalidInputError
from hardened_aml.inputs import checked
from tests.pack_check import violations

SUBNET_ID = RG_ID + "/providers/Microsoft.Network/virtualNetworks/vnet-test/subnets/snet-aks"
AKS_UAI_ID = RG_ID + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aks"
COMPUTE_UAI_ID = RG_ID + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aks-compute"
KUBELET_UAI_ID = RG_ID + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aks-kubelet"
WS_ID = RG_ID + "/providers/Microsoft.MachineLearningServices/workspaces/mlw-test"
VAULT_ID = RG_ID + "/providers/Microsoft.KeyVault/vaults/kv-test"
DISK_KEY_ID = VAULT_ID + "/keys/cmk-test-aks-disk"
DISK_KEY_URL = "https://kv-test.vault.azure.net/keys/cmk-test-aks-disk/0123456789abcdef0123456789abcdef"
API_SUBNET_ID = RG_ID + "/providers/Microsoft.Network/virtualNetworks/vnet-test/subnets/snet-apiserver"
KMS_VAULT_ID = RG_ID + "/providers/Microsoft.KeyVault/vaults/kv-test-kms"
KMS_KEY_ID = KMS_VAULT_ID + "/keys/cmk-test-etcd"
KMS_KEY_URL = "https://kv-test-kms.vault.azure.net/keys/cmk-test-etcd/fedcba9876543210fedcba9876543210"
AKS_PRINCIPAL = "11111111-1111-1111-1111-111111111111"
WS_PRINCIPAL = "22222222-2222-2222-2222-222222222222"
ROLE_PREFIX = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/"
TLS = InferenceTls(cname="scoring.contoso.internal", secret_name="azureml-fe-tls")

CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
EXTENSION = "azure-native:kubernetesconfiguration:Extension"
BINDING = "azure-native:containerservice:TrustedAccessRoleBinding"
NAMESPACE = "azure-native:containerservice:ManagedNamespace"
COMPUTE = "azure-native:machinelearningservices:Compute"
ROLE = "azure-native:authorization:RoleAssignment"
DIAGNOSTICS = "azure-native:monitor:DiagnosticSetting"
DES = "azure-native:compute:DiskEncryptionSet"
MAINTENANCE = "azure-native:containerservice:MaintenanceConfiguration"
NODE_SECURITY = {"sshAccess": "Disabled"}  # AML-AKS-011


def _args(**overrides: Any) -> InferenceClusterArgs:
    values: dict[str, Any] = dict(
        resource_group_name="rg-test",
        location="westeurope",
        subscription_id=SUB,
        cluster_name="aks-haml-test-1a2b",
        subnet_id=SUBNET_ID,
        control_plane_identity_id=AKS_UAI_ID,
        control_plane_principal_id=AKS_PRINCIPAL,
        workspace_name="mlw-test",
        workspace_id=WS_ID,
        workspace_principal_id=WS_PRINCIPAL,
        compute_identity_id=COMPUTE_UAI_ID,
        kubelet_identity_id=KUBELET_UAI_ID,
        kubelet_client_id="client-of-kubelet",
        kubelet_principal_id="principal-of-kubelet",
        log_analytics_workspace_id=LAW_ID,
        key_vault_id=VAULT_ID,
        disk_encryption_key_id=DISK_KEY_ID,
        disk_encryption_key_url=DISK_KEY_URL,
        api_server_subnet_id=API_SUBNET_ID,
        kms_key_vault_id=KMS_VAULT_ID,
        kms_key_id=KMS_KEY_ID,
        kms_key_url=KMS_KEY_URL,
        tls=TLS,
        tags=TAGS,
        outbound_type=OutboundType.USER_ASSIGNED_NAT_GATEWAY,
        private_endpoint_cidrs=["10.40.0.0/24"],
    )
    values.update(overrides)
    return InferenceClusterArgs(**values)


def test_children_names_and_parents(plan):
    p = plan(lambda: InferenceCluster("inf", _args()))
    component = p.one("hardened-aml:index:InferenceCluster")
    assert p.types() == sorted(
        ["hardened-aml:index:InferenceCluster", CLUSTER, POOL, EXTENSION, BINDING, NAMESPACE, COMPUTE, DIAGNOSTICS, DES]
        + [ROLE] * 11
        + [MAINTENANCE] * 2
    )
    assert {r.name for r in p.resources if r.type != "hardened-aml:index:InferenceCluster"} == {
        "inf-aks",
        "inf-pool-inference",
        "inf-azureml-ext",
        "inf-trusted-access",
        "inf-ns",
        "inf-compute",
        "inf-diag-aks",
        "inf-maintenance-upgrade",
        "inf-maintenance-node-os",
        "inf-subnet-network-contributor",
        "inf-kubelet-identity-operator",
        "inf-des",
        "inf-des-crypto-user",
        "inf-des-reader",
        "inf-apiserver-subnet-network-contributor",
        "inf-kms-vault-contributor",
        "inf-kms-crypto-user",
        "inf-ws-reader",
        "inf-ws-extension-contributor",
        "inf-ws-cluster-admin",
        "inf-ws-contributor",
    }
    assert all(r.parent == component.urn for r in p.resources if r is not component)


def test_cluster_is_private_entra_only_standard_cilium_and_monitored(plan):
    p = plan(lambda: InferenceCluster("inf", _args()))
    i = p.one(CLUSTER).inputs
    assert i["resourceName"] == "aks-haml-test-1a2b"
    assert i["location"] == "westeurope"
    assert i["apiServerAccessProfile"] == {  # AML-AKS-002
        "enablePrivateCluster": True,
        "enablePrivateClusterPublicFQDN": False,
        "privateDNSZone": "system",
        "disableRunCommand": True,
        "enableVnetIntegration": True,  # AML-AKS-029
        "subnetId": API_SUBNET_ID,
    }
    assert i["aadProfile"] == {"managed": True, "enableAzureRBAC": True, "adminGroupObjectIDs": []}  # AML-AKS-003
    assert i["disableLocalAccounts"] is True
    assert i["enableRBAC"] is True
    assert i["sku"] == {"name": "Base", "tier": "Standard"}  # AML-AKS-004
    assert i["networkProfile"] == {  # AML-AKS-005
        "networkPlugin": "azure",
        "networkPluginMode": "overlay",
        "networkDataplane": "cilium",
        "networkPolicy": "cilium",
        "loadBalancerSku": "standard",
        "outboundType": "userAssignedNATGateway",  # AML-AKS-025
        "podCidr": "10.244.0.0/16",
        "serviceCidr": "10.0.0.0/16",
        "dnsServiceIP": "10.0.0.10",
    }
    assert i["autoUpgradeProfile"] == {"upgradeChannel": "stable", "nodeOSUpgradeChannel": "NodeImage"}  # AML-AKS-006
    assert i["addonProfiles"] == {  # AML-AKS-007
        "omsagent": {"enabled": True, "config": {"logAnalyticsWorkspaceResourceID": LAW_ID, "useAADAuth": "true"}},
        "azurepolicy": {"enabled": True},
    }
    assert i["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [AKS_UAI_ID]}
    assert i["tags"] == TAGS
    assert i["diskEncryptionSetID"] == p.one(DES).id  # AML-AKS-014
    assert i["oidcIssuerProfile"] == {"enabled": True}  # AML-AKS-016
    assert i["securityProfile"] == {
        "defender": {  # AML-AKS-015
            "logAnalyticsWorkspaceResourceId": LAW_ID,
            "securityMonitoring": {"enabled": True},
        },
        "workloadIdentity": {"enabled": True},  # AML-AKS-016
        "imageCleaner": {"enabled": True, "intervalHours": 168},  # AML-AKS-017
        "azureKeyVaultKms": {  # AML-AKS-029
            "enabled": True,
            "keyId": KMS_KEY_URL,
            "keyVaultNetworkAccess": "Private",
            "keyVaultResourceId": KMS_VAULT_ID,
        },
    }
    assert i["storageProfile"] == {  # AML-AKS-024
        "diskCSIDriver": {"enabled": True},
        "fileCSIDriver": {"enabled": True},
        "snapshotController": {"enabled": True},
        "blobCSIDriver": {"enabled": False},
    }
    assert "kubernetesVersion" not in i  # AKS's default, kept supported (AML-AKS-006); pools follow it (AML-AKS-022)
    [system] = i["agentPoolProfiles"]
    assert system == {  # AML-AKS-001, AML-AKS-008
        "name": "system",
        "mode": "System",
        "type": "VirtualMachineScaleSets",
        "osType": "Linux",
        "vmSize": "Standard_D4s_v5",
        "availabilityZones": ["1", "2", "3"],
        "enableAutoScaling": True,
        "minCount": 3,
        "maxCount": 5,
        "count": 3,
        "nodeTaints": ["CriticalAddonsOnly=true:NoSchedule"],
        "maxPods": 250,  # AML-AKS-020
        "vnetSubnetID": SUBNET_ID,
        "enableNodePublicIP": False,  # AML-AKS-002
        "enableEncryptionAtHost": True,  # AML-AKS-010
        "securityProfile": NODE_SECURITY,
    }


def test_inference_pool_is_a_separate_zonal_autoscaled_tainted_user_pool(plan):
    p = plan(
        lambda: InferenceCluster(
            "inf", _args(inference_pool=NodePool(vm_size="Standard_NC8as_T4_v3", min_count=3, max_count=9))
        )
    )
    pool = p.one(POOL)
    i = pool.inputs
    assert i["agentPoolName"] == "inference"
    assert i["resourceName"] == "aks-haml-test-1a2b"
    assert i["mode"] == "User"
    assert i["availabilityZones"] == ["1", "2", "3"]  # AML-AKS-001
    assert (i["enableAutoScaling"], i["minCount"], i["maxCount"], i["count"]) == (True, 3, 9, 3)  # AML-AKS-008
    assert i["vmSize"] == "Standard_NC8as_T4_v3"
    assert i["nodeTaints"] == ["workload=inference:PreferNoSchedule"]
    assert i["nodeLabels"] == {"workload": "inference"}
    assert i["vnetSubnetID"] == SUBNET_ID
    assert i["enableNodePublicIP"] is False  # AML-AKS-002
    assert i["enableEncryptionAtHost"] is True  # AML-AKS-010
    assert i["securityProfile"] == NODE_SECURITY
    assert i["maxPods"] == 250  # AML-AKS-020
    assert "orchestratorVersion" not in i  # AML-AKS-022: the pool follows the control plane
    assert p.one(CLUSTER).urn in pool.dependencies


def test_control_plane_audit_and_platform_logs_go_to_log_analytics(plan):
    p = plan(lambda: InferenceCluster("inf", _args()))
    setting = p.one(DIAGNOSTICS)
    i = setting.inputs
    assert i == {  # AML-MON-005, AML-MON-008
        "name": "diag-aks",
        "resourceUri": i["resourceUri"],
        "workspaceId": LAW_ID,
        "logAnalyticsDestinationType": "Dedicated",
        "logs": [
            {"category": "kube-audit-admin", "enabled": True},
            {"category": "guard", "enabled": True},
            {"category": "cluster-autoscaler", "enabled": True},
            {"category": "kube-apiserver", "enabled": True},
            {"category": "kube-controller-manager", "enabled": True},
            {"category": "kube-scheduler", "enabled": True},
        ],
        "metrics": [{"category": "AllMetrics", "enabled": True}],
    }
    assert p.one(CLUSTER).urn in setting.property_dependencies["resourceUri"]


def test_extension_is_inference_only_https_internal_and_pinned_to_the_pool(plan):
    p = plan(lambda: InferenceCluster("inf", _args()))
    ext = p.one(EXTENSION)
    i = ext.inputs
    assert i["extensionType"] == "microsoft.azureml.kubernetes"
    assert (i["clusterRp"], i["clusterResourceName"], i["clusterName"]) == (
        "Microsoft.ContainerService",
        "managedClusters",
        "aks-haml-test-1a2b",
    )
    assert i["scope"] == {"cluster": {"releaseNamespace": "azureml"}}
    assert i["configurationSettings"] == {
        "enableTraining": "False",
        "enableInference": "True",
        "inferenceRouterServiceType": "loadBalancer",
        "internalLoadBalancerProvider": "azure",
        "allowInsecureConnections": "False",
        "sslCname": "scoring.contoso.internal",
        "sslSecret": "azureml-fe-tls",
        "inferenceRouterHA": "True",
        "nodeSelector.workload": "inference",
    }
    assert p.one(POOL).urn in ext.dependencies


def test_insecure_http_and_cluster_ip_only_by_name(plan):
    args = _args(
        tls=None,
        transport=InferenceTransport.HTTP_INSECURE_FOR_TESTING,
        router_exposure=RouterExposure.CLUSTER_IP,
        router_high_availability=False,
        inference_pool=NodePool(vm_size="Standard_D4s_v5", min_count=0, max_count=2),
        fewer_nodes_for_exploration=True,
    )
    p = plan(lambda: InferenceCluster("inf", args))
    settings = p.one(EXTENSION).inputs["configurationSettings"]
    assert settings["allowInsecureConnections"] == "True"
    assert settings["inferenceRouterServiceType"] == "clusterIP"
    assert settings["inferenceRouterHA"] == "False"
    assert not {"internalLoadBalancerProvider", "sslCname", "sslSecret"} & set(settings)
    assert p.one(POOL).inputs["minCount"] == 0


def test_roles_trusted_access_and_namespace(plan):
    p = plan(lambda: InferenceCluster("inf", _args()))
    cluster_name = p.one(CLUSTER).inputs["resourceName"]
    roles = {r.name: r.inputs for r in p.of_type(ROLE)}
    subnet = roles.pop("inf-subnet-network-contributor")
    assert subnet["scope"] == SUBNET_ID
    assert subnet["principalId"] == AKS_PRINCIPAL
    assert subnet["roleDefinitionId"] == ROLE_PREFIX + NETWORK_CONTRIBUTOR
    # The control plane assigns the pre-created kubelet identity to the nodes: Managed Identity Operator on it.
    kubelet = roles.pop("inf-kubelet-identity-operator")
    assert (kubelet["scope"], kubelet["principalId"]) == (KUBELET_UAI_ID, AKS_PRINCIPAL)
    assert kubelet["roleDefinitionId"] == ROLE_PREFIX + MANAGED_IDENTITY_OPERATOR
    assert p.one(CLUSTER).inputs["identityProfile"] == {
        "kubeletidentity": {
            "resourceId": KUBELET_UAI_ID,
            "clientId": "client-of-kubelet",
            "objectId": "principal-of-kubelet",
        }
    }
    assert p.named("inf-kubelet-identity-operator").urn in p.one(CLUSTER).dependencies
    # AML-AKS-014: the set's identity wraps with the disk key alone; the cluster identity reads the set.
    des_key = roles.pop("inf-des-crypto-user")
    assert (des_key["scope"], des_key["roleDefinitionId"]) == (
        DISK_KEY_ID,
        ROLE_PREFIX + KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
    )
    assert des_key["principalType"] == "ServicePrincipal"
    assert des_key["principalId"] == "principal-of-inf-des"  # the set's system-assigned identity
    des_reader = roles.pop("inf-des-reader")
    assert des_reader["scope"] == p.one(DES).id and des_reader["principalId"] == AKS_PRINCIPAL
    assert des_reader["roleDefinitionId"] == ROLE_PREFIX + READER
    # AML-AKS-029: the API server's subnet, the KMS vault and key (test_etcd_is_encrypted_...).
    kms_grants = ("inf-apiserver-subnet-network-contributor", "inf-kms-vault-contributor", "inf-kms-crypto-user")
    assert {roles.pop(n)["scope"] for n in kms_grants} == {API_SUBNET_ID, KMS_VAULT_ID, KMS_KEY_ID}
    # The extension has an identity of its own, and no role.
    assert p.one(EXTENSION).inputs["identity"] == {"type": "SystemAssigned"}
    assert {n: r["roleDefinitionId"].removeprefix(ROLE_PREFIX) for n, r in roles.items()} == {
        "inf-ws-reader": READER,
        "inf-ws-extension-contributor": KUBERNETES_EXTENSION_CONTRIBUTOR,
        "inf-ws-cluster-admin": AKS_CLUSTER_ADMIN_ROLE,
        "inf-ws-contributor": CONTRIBUTOR,
    }
    for r in roles.values():
        assert r["principalId"] == WS_PRINCIPAL and r["principalType"] == "ServicePrincipal"
        assert r["scope"].endswith(f"/managedClusters/{cluster_name}")
    binding = p.one(BINDING).inputs
    assert binding["sourceResourceId"] == WS_ID
    assert binding["roles"] == ["Microsoft.MachineLearningServices/workspaces/mlworkload"]
    assert binding["resourceName"] == cluster_name
    ns = p.one(NAMESPACE).inputs
    assert ns["managedNamespaceName"] == "inference"
    assert ns["properties"]["adoptionPolicy"] == "Never"
    assert p.one(CLUSTER).urn in p.one(BINDING).dependencies
    # the subnet role exists before the cluster joins the subnet
    assert p.named("inf-subnet-network-contributor").urn in p.one(CLUSTER).dependencies


def test_attach_is_kubernetes_compute_after_extension_roles_binding_and_namespace(plan):
    p = plan(lambda: InferenceCluster("inf", _args()))
    compute = p.one(COMPUTE)
    i = compute.inputs
    assert i["computeName"] == "aks-inference"
    assert i["workspaceName"] == "mlw-test"
    # AML-IAM-011: the attached compute runs as its own identity, not the workspace's.
    assert i["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [COMPUTE_UAI_ID]}
    assert i["tags"] == TAGS
    props = i["properties"]
    assert props["computeType"] == "Kubernetes"
    assert props["disableLocalAuth"] is True  # AML-IAM-002
    assert props["resourceId"].endswith("/managedClusters/aks-haml-test-1a2b")
    assert props["computeLocation"] == "westeurope"
    assert props["properties"] == {"namespace": "inference"}
    # PITFALLS "Attaching AKS fails on identity": everything the attach needs comes first.
    needed = [p.one(EXTENSION), p.one(BINDING), p.one(NAMESPACE), *p.of_type(ROLE)]
    before_cluster = (
        "inf-subnet-network-contributor",
        "inf-kubelet-identity-operator",
        "inf-des-crypto-user",
        "inf-des-reader",
        "inf-apiserver-subnet-network-contributor",
        "inf-kms-vault-contributor",
        "inf-kms-crypto-user",
    )
    needed = [r for r in needed if r.name not in before_cluster]
    assert len(needed) == 7
    for r in needed:
        assert r.urn in compute.dependencies, r.name


def test_passes_the_pack(plan):
    p = plan(lambda: InferenceCluster("inf", _args()))
    # The workspace is outside this program, so the pack cannot see that WS_PRINCIPAL is its primary identity
    # (the attach roles are the workspace identity's): the policy config names it (control AML-IAM-011).
    flagged = {d.policy for d in violations(p.resources)}
    assert "aml-iam-011-no-privileged-workload-identity" in flagged
    config = {"aml-iam-011-no-privileged-workload-identity": {"breakGlassPrincipalIds": [WS_PRINCIPAL]}}
    assert [d for d in violations(p.resources, config) if d.enforcement == "mandatory"] == []
    aks_rules = [d for d in violations(p.resources) if d.policy.startswith(("aml-aks-", "aml-mon-005", "aml-mon-006"))]
    assert aks_rules == []


POOL_D4 = "Standard_D4s_v5"


@pytest.mark.parametrize(
    ("overrides", "key", "value", "allowed"),
    [
        ({"location": "westus"}, "inf.location", "westus", "availability zones"),  # no availability zones
        ({"location": "mars"}, "inf.location", "mars", "westeurope"),
        ({"cluster_name": ""}, "inf.cluster_name", "", "at least 1 character"),
        ({"cluster_name": "a" * 64}, "inf.cluster_name", "a" * 64, "at most 63 characters"),
        (
            {"system_pool": NodePool(vm_size="", min_count=1, max_count=3)},
            "inf.system_pool.vm_size",
            "",
            "an Azure VM size, e.g. Standard_D4s_v5",
        ),
        (
            {"system_pool": NodePool(vm_size=POOL_D4, min_count=0, max_count=3)},
            "inf.system_pool.min_count",
            0,
            "1 or more (a System pool)",
        ),
        (
            {"system_pool": NodePool(vm_size=POOL_D4, min_count=4, max_count=3)},
            "inf.system_pool.max_count",
            3,
            "a count from 4 to 1000 (at least minCount)",
        ),
        (
            {"inference_pool": NodePool(vm_size=POOL_D4, min_count=3, max_count=1001)},
            "inf.inference_pool.max_count",
            1001,
            "a number from 1 to 1000",
        ),
        (
            {"inference_pool": NodePool(vm_size=POOL_D4, min_count=-1, max_count=3)},
            "inf.inference_pool.min_count",
            -1,
            "a number from 0 to 1000",
        ),
        (
            {"inference_pool": NodePool(vm_size=POOL_D4, min_count=2, max_count=4)},
            "inf.inference_pool.min_count",
            2,
            "3 or more while routerHighAvailability is true",
        ),
        ({"tls": None}, "inf.tls", None, "cname and secretName with transport https"),
        ({"tls": {"cname": "-bad", "secret_name": "azureml-fe-tls"}}, "inf.tls.cname", "-bad", "a host name"),
        ({"namespace": "Inference"}, "inf.namespace", "Inference", "a DNS label"),
        ({"namespace": "azureml"}, "inf.namespace", "azureml", "other than azureml and kube-system"),
        ({"namespace": "kube-system"}, "inf.namespace", "kube-system", "other than azureml and kube-system"),
        (
            {"compute_name": "a-much-too-long-compute-name"},
            "inf.compute_name",
            "a-much-too-long-compute-name",
            "2 to 16 letters, digits and hyphens",
        ),
        (
            {"router_exposure": "publicLoadBalancer"},
            "inf.router_exposure",
            "publicLoadBalancer",
            "one of internalLoadBalancer, clusterIP, nodePort",
        ),
        ({"transport": "http"}, "inf.transport", "http", "one of https, http-insecure-for-testing"),
        (
            {"outbound_type": "none"},
            "inf.outbound_type",
            "none",
            "one of userAssignedNATGateway, userDefinedRouting, loadBalancer",
        ),
        (
            {"outbound_type": "loadBalancer", "tags": {**TAGS, "environment": "production"}},
            "inf.outbound_type",
            OutboundType.LOAD_BALANCER,
            "userAssignedNATGateway or userDefinedRouting in production",
        ),
        ({"private_endpoint_cidrs": ["10.40.0.1/24"]}, "inf.private_endpoint_cidrs.0", "10.40.0.1/24", "no host bits"),
        ({"service_cidr": "10.244.0.0/20"}, "inf.service_cidr", "10.244.0.0/20", "does not overlap podCidr"),
        ({"dns_service_ip": "10.1.0.10"}, "inf.dns_service_ip", "10.1.0.10", "inside serviceCidr 10.0.0.0/16"),
        ({"dns_service_ip": "10.0.0.999"}, "inf.dns_service_ip", "10.0.0.999", "inside serviceCidr"),
        ({"pod_cidr": "not-a-cidr"}, "inf.pod_cidr", "not-a-cidr", "CIDR form"),
        ({"pod_cidr": "10.244.0.1/16"}, "inf.pod_cidr", "10.244.0.1/16", "an IPv4 CIDR block with no host bits"),
        ({"kubernetes_version": "latest"}, "inf.kubernetes_version", "latest", "a Kubernetes version"),
        ({"upgrade_channel": "none"}, "inf.upgrade_channel", "none", "one of stable, rapid, patch"),
        ({"location": "qatarcentral"}, "inf.location", "qatarcentral", "API Server VNet Integration"),
        ({"admin_group_object_ids": ["admins"]}, "inf.admin_group_object_ids.0", "admins", "a GUID"),
        ({"public_fqdn": True}, "inf.public_fqdn", True, "one of system_pool"),
        ({"maintenance_window": {"day_of_week": "Sun"}}, "inf.maintenance_window.day_of_week", "Sun", "Sunday"),
        ({"maintenance_window": {"start_time": "24:00"}}, "inf.maintenance_window.start_time", "24:00", "HH:mm"),
        ({"maintenance_window": {"duration_hours": 3}}, "inf.maintenance_window.duration_hours", 3, "from 4 to 24"),
        ({"maintenance_window": {"duration_hours": 25}}, "inf.maintenance_window.duration_hours", 25, "from 4 to 24"),
        ({"maintenance_window": {"utc_offset": "+5"}}, "inf.maintenance_window.utc_offset", "+5", "+HH:mm"),
    ],
)
def test_bad_input_is_refused(overrides, key, value, allowed):
    err = refused(lambda: InferenceCluster("inf", _args(**overrides)))
    assert (err.key, err.value) == (key, value), str(err)
    assert allowed in err.allowed, str(err)


def test_missing_tls_is_named_as_missing():
    values = dict(_args())
    del values["tls"]
    err = refused(lambda: InferenceCluster("inf", InferenceClusterArgs(**values)))
    assert (err.key, err.value) == ("inf.tls", MISSING)


def test_zoneless_region_error_names_the_region():
    err = refused(lambda: InferenceCluster("inf", _args(location="westus")))
    assert err.value == "westus" and "westeurope" in err.allowed


def test_settings_defaults_and_rules_read_as_stack_config():
    where = "hardened-aml:inference.aks"
    tls = {"cname": "scoring.contoso.internal", "secretName": "azureml-fe-tls"}
    s = checked(InferenceClusterSettings, {"tls": tls}, where, config=True)
    assert s["system_pool"] == {"vm_size": "Standard_D4s_v5", "min_count": 3, "max_count": 5}
    assert s["inference_pool"] == {"vm_size": "Standard_D8s_v5", "min_count": 3, "max_count": 6}
    assert (s["compute_name"], s["namespace"]) == ("aks-inference", "inference")
    assert s["transport"] is InferenceTransport.HTTPS
    assert s["router_exposure"] is RouterExposure.INTERNAL_LOAD_BALANCER
    assert s["router_high_availability"] is True
    assert "outbound_type" not in s  # the network decides it (AML-AKS-025)
    assert (s["pod_cidr"], s["service_cidr"], s["dns_service_ip"]) == ("10.244.0.0/16", "10.0.0.0/16", "10.0.0.10")
    assert s["admin_group_object_ids"] == []
    assert s.get("kubernetes_version") is None
    with pytest.raises(InvalidInputError) as caught:
        checked(InferenceClusterSettings, {}, where, config=True)
    assert caught.value.key == f"{where}:tls"
    with pytest.raises(InvalidInputError) as caught:
        pool = {"vmSize": "Standard_D4s_v5", "minCount": 0, "maxCount": 2}
        checked(InferenceClusterSettings, {"tls": tls, "systemPool": pool}, where, config=True)
    assert (caught.value.key, caught.value.value) == (f"{where}:systemPool.minCount", 0)


def test_camel_case_keys_are_accepted(plan):
    args = dict(_args())
    args.update(podCidr="192.168.0.0/16", routerHighAvailability=False)
    p = plan(lambda: InferenceCluster("inf", args))
    assert p.one(CLUSTER).inputs["networkProfile"]["podCidr"] == "192.168.0.0/16"
    assert p.one(EXTENSION).inputs["configurationSettings"]["inferenceRouterHA"] == "False"


def test_depends_on_of_the_component_stays_on_the_component(plan):
    def program() -> None:
        rg = resources.ResourceGroup("rg", resource_group_name="rg-test")
        InferenceCluster("inf", _args(), opts=pulumi.ResourceOptions(depends_on=[rg]))

    p = plan(program)
    rg_urn = p.one("azure-native:resources:ResourceGroup").urn
    assert rg_urn in p.one("hardened-aml:index:InferenceCluster").dependencies


CERT = "-----BEGIN CERTIFICATE-----\nMIIBexample\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nMIIEexample\n-----END PRIVATE KEY-----\n"


def test_router_certificate_given_inline_goes_to_protected_settings(plan):
    """The estate provides the router's certificate itself: no Kubernetes secret has to exist first."""
    tls = InferenceTls(cname="scoring.example.internal", certificate_pem=CERT, key_pem=KEY)
    p = plan(lambda: InferenceCluster("inf", _args(tls=tls)))
    ext = p.one(EXTENSION).inputs
    assert ext["configurationSettings"]["sslCname"] == "scoring.example.internal"
    assert "sslSecret" not in ext["configurationSettings"]
    # Both values are secrets: never in plain state or logs.
    assert ext["configurationProtectedSettings"] == {"scoringFe.sslCert": "[secret]", "scoringFe.sslKey": "[secret]"}


@pytest.mark.parametrize(
    ("tls", "key", "allowed"),
    [
        ({"cname": "a.example", "certificate_pem": CERT}, "inf.tls.key_pem", "certificatePem and keyPem together"),
        ({"cname": "a.example"}, "inf.tls.secret_name", "secretName of an existing secret"),
        (
            {"cname": "a.example", "secret_name": "s", "certificate_pem": CERT, "key_pem": KEY},
            "inf.tls.secret_name",
            "not both",
        ),
        ({"cname": "a.example", "certificate_pem": "x", "key_pem": KEY}, "inf.tls.certificate_pem", "PEM"),
    ],
)
def test_router_certificate_is_given_one_way(tls: dict[str, Any], key: str, allowed: str) -> None:
    err = refused(lambda: InferenceCluster("inf", _args(tls=tls)))
    assert err.key == key and allowed in err.allowed


def test_disk_encryption_set_follows_the_estate_key(plan):
    p = plan(lambda: InferenceCluster("inf", _args()))
    des = p.one(DES)
    assert des.inputs == {  # AML-AKS-014
        "diskEncryptionSetName": "des-aks-haml-test-1a2b",
        "resourceGroupName": "rg-test",
        "location": "westeurope",
        "identity": {"type": "SystemAssigned"},
        "encryptionType": "EncryptionAtRestWithCustomerKey",
        "activeKey": {"keyUrl": DISK_KEY_URL, "sourceVault": {"id": VAULT_ID}},
        "rotationToLatestKeyVersionEnabled": True,
        "tags": TAGS,
    }
    # both grants exist before the cluster uses the set
    deps = p.one(CLUSTER).dependencies
    assert p.named("inf-des-crypto-user").urn in deps and p.named("inf-des-reader").urn in deps


def test_etcd_is_encrypted_with_the_kms_key_through_the_api_server_subnet(plan):
    p = plan(lambda: InferenceCluster("inf", _args()))
    cluster = p.one(CLUSTER).inputs
    assert cluster["securityProfile"]["azureKeyVaultKms"] == {  # AML-AKS-029
        "enabled": True,
        "keyId": KMS_KEY_URL,
        "keyVaultNetworkAccess": "Private",
        "keyVaultResourceId": KMS_VAULT_ID,
    }
    api = cluster["apiServerAccessProfile"]
    assert (api["enableVnetIntegration"], api["subnetId"]) == (True, API_SUBNET_ID)
    roles = {
        r.name: (r.inputs["scope"], r.inputs["roleDefinitionId"].rsplit("/", 1)[-1], r.inputs["principalId"])
        for r in p.of_type(ROLE)
    }
    assert roles["inf-apiserver-subnet-network-contributor"] == (API_SUBNET_ID, NETWORK_CONTRIBUTOR, AKS_PRINCIPAL)
    assert roles["inf-kms-vault-contributor"] == (KMS_VAULT_ID, KEY_VAULT_CONTRIBUTOR, AKS_PRINCIPAL)
    assert roles["inf-kms-crypto-user"] == (KMS_KEY_ID, KEY_VAULT_CRYPTO_USER, AKS_PRINCIPAL)
    assert KEY_VAULT_CRYPTO_USER == "12338af0-0e69-4776-bea7-57ae8d297424"
    deps = set(p.one(CLUSTER).dependencies)
    granted = ("inf-apiserver-subnet-network-contributor", "inf-kms-vault-contributor", "inf-kms-crypto-user")
    assert {p.named(n).urn for n in granted} <= deps


def test_upgrades_keep_a_supported_version_and_patch_only_by_name(plan):
    p = plan(lambda: InferenceCluster("inf", _args()))
    assert p.one(CLUSTER).inputs["autoUpgradeProfile"]["upgradeChannel"] == "stable"  # AML-AKS-006
    q = plan(lambda: InferenceCluster("inf", _args(upgrade_channel="patch")))
    assert q.one(CLUSTER).inputs["autoUpgradeProfile"]["upgradeChannel"] == "patch"
    assert "aml-aks-006-auto-upgrade" in {d.policy for d in violations(q.resources)}


def test_image_cleaner_interval_is_configurable_within_azure_range(plan):
    p = plan(lambda: InferenceCluster("inf", _args(image_cleaner_interval_hours=24)))
    assert p.one(CLUSTER).inputs["securityProfile"]["imageCleaner"] == {"enabled": True, "intervalHours": 24}
    for hours in (23, 2161):
        err = refused(lambda hours=hours: InferenceCluster("inf", _args(image_cleaner_interval_hours=hours)))
        assert (err.key, err.value) == ("inf.image_cleaner_interval_hours", hours)


def test_pools_of_fewer_than_three_nodes_only_by_name(plan):
    small = NodePool(vm_size=POOL_D4, min_count=1, max_count=3)
    err = refused(lambda: InferenceCluster("inf", _args(system_pool=small)))
    assert (err.key, err.value) == ("inf.system_pool.min_count", 1)
    assert err.allowed == "3 or more (failover and upgrades), or fewerNodesForExploration: true"
    err = refused(lambda: InferenceCluster("inf", _args(router_high_availability=False, inference_pool=small)))
    assert (err.key, err.value) == ("inf.inference_pool.min_count", 1)
    p = plan(lambda: InferenceCluster("inf", _args(system_pool=small, fewer_nodes_for_exploration=True)))
    assert p.one(CLUSTER).inputs["agentPoolProfiles"][0]["minCount"] == 1
    assert p.one(POOL).inputs["type"] == "VirtualMachineScaleSets"  # AML-AKS-018


def test_both_upgrades_wait_for_one_weekly_window(plan):
    p = plan(lambda: InferenceCluster("inf", _args()))
    configs = {r.inputs["configName"]: r for r in p.of_type(MAINTENANCE)}
    assert sorted(configs) == ["aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"]  # AML-AKS-023
    for config in configs.values():
        assert config.inputs["resourceName"] == "aks-haml-test-1a2b"
        assert config.inputs["maintenanceWindow"] == {
            "schedule": {"weekly": {"dayOfWeek": "Sunday", "intervalWeeks": 1}},
            "startTime": "00:00",
            "durationHours": 8,
            "utcOffset": "+00:00",
        }
        assert p.one(CLUSTER).urn in config.dependencies
    window = MaintenanceWindow(day_of_week="Wednesday", start_time="21:30", duration_hours=4, utc_offset="-05:00")
    p = plan(lambda: InferenceCluster("inf", _args(maintenance_window=window)))
    assert {r.inputs["maintenanceWindow"]["startTime"] for r in p.of_type(MAINTENANCE)} == {"21:30"}
    assert p.of_type(MAINTENANCE)[0].inputs["maintenanceWindow"] == {
        "schedule": {"weekly": {"dayOfWeek": "Wednesday", "intervalWeeks": 1}},
        "startTime": "21:30",
        "durationHours": 4,
        "utcOffset": "-05:00",
    }


def test_the_namespace_denies_by_default_and_its_network_policies_are_an_output(plan):
    """AML-AKS-026 through ARM; AML-AKS-101: the allow rules as a manifest to apply from inside the network."""
    import yaml

    from hardened_aml.network_policies import FLOWS

    seen: dict[str, Any] = {}

    def build() -> None:
        seen["cluster"] = InferenceCluster("inf", _args(namespace="scoring"))

    p = plan(build)
    policy = p.one(NAMESPACE).inputs["properties"]["defaultNetworkPolicy"]
    assert policy == {"ingress": "DenyAll", "egress": "DenyAll"}
    docs = [d for d in yaml.safe_load_all(seen["cluster"].network_policy_manifest) if d]
    assert [d["metadata"]["name"] for d in docs] == ["default-deny", *(f.name for f in FLOWS)]
    assert all(d["kind"] == "NetworkPolicy" and d["metadata"]["namespace"] == "scoring" for d in docs)
    assert docs[0]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    by_name = {d["metadata"]["name"]: d["spec"] for d in docs}
    dns = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert by_name["allow-dns"]["egress"][0]["ports"] == dns
    https = by_name["allow-private-endpoints-https"]["egress"][0]
    assert https == {"to": [{"ipBlock": {"cidr": "10.40.0.0/24"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    assert by_name["allow-from-azureml"]["ingress"][0]["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "azureml"}}}
    ]


def test_no_private_endpoint_prefix_means_no_https_egress_rather_than_any():
    from hardened_aml.network_policies import policies

    names = [d["metadata"]["name"] for d in policies("inference", [])]
    assert "allow-private-endpoints-https" not in names and names[0] == "default-deny"
    assert all("ipBlock" not in str(d) for d in policies("inference", []))


def test_user_defined_routing_grants_the_route_table(plan):
    """AML-AKS-025: AKS reads and writes the routes of the subnet's route table (AKS service permissions)."""
    table = RG_ID + "/providers/Microsoft.Network/routeTables/rt-aks"
    p = plan(
        lambda: InferenceCluster("inf", _args(outbound_type=OutboundType.USER_DEFINED_ROUTING, route_table_id=table))
    )
    assert p.one(CLUSTER).inputs["networkProfile"]["outboundType"] == "userDefinedRouting"
    role = p.named("inf-route-table-network-contributor")
    assert (role.inputs["scope"], role.inputs["principalId"]) == (table, AKS_PRINCIPAL)
    assert role.inputs["roleDefinitionId"] == ROLE_PREFIX + NETWORK_CONTRIBUTOR
    assert role.urn in p.one(CLUSTER).dependencies
    # a NAT gateway needs no grant beyond the subnet's
    p = plan(lambda: InferenceCluster("inf", _args(route_table_id=table)))
    assert "inf-route-table-network-contributor" not in {r.name for r in p.of_type(ROLE)}


def test_a_public_load_balancer_only_by_name_and_outside_production(plan):
    p = plan(lambda: InferenceCluster("inf", _args(outbound_type="loadBalancer")))
    assert p.one(CLUSTER).inputs["networkProfile"]["outboundType"] == "loadBalancer"
    assert {d.policy for d in violations(p.resources)} >= {"aml-aks-025-private-egress"}
