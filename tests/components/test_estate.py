from __future__ import annotations

import datetime as dt
from typing import Any

from component_plan import refused

from hardened_aml.errors import MISSING
from hardened_aml.estate import Estate
from hardened_aml.naming import Namer
from hardened_aml.settings import EstateArgs

NAMER = Namer("hardened-aml", "test", "haml")
TAGS = {"team": "ml-platform", "cost_centre": "cc-1"}


def _args(**overrides: Any) -> EstateArgs:
    values: dict[str, Any] = {"environment": "exploration", "workload": "haml", "location": "westeurope", "tags": TAGS}
    values.update(overrides)
    return values  # type: ignore[return-value]


def test_region_without_zones_is_refused():
    err = refused(lambda: Estate("haml", _args(location="westus")))
    assert err.key == "haml.location" and err.value == "westus"
    assert "availability zones" in err.allowed and "westeurope" in err.allowed


def test_missing_cost_tag_is_refused():
    err = refused(lambda: Estate("haml", _args(tags={"team": "ml-platform"})))
    assert err.key == "haml.tags.cost_centre" and "required" in err.allowed


def test_bad_group_is_refused_before_anything():
    args = _args(access={"reader_group_ids": ["not-a-guid"]})
    assert refused(lambda: Estate("haml", args)).key == "haml.access.reader_group_ids.0"


def test_environment_travels_as_the_enum():
    err = refused(lambda: Estate("haml", _args(environment="prod")))
    assert err.key == "haml.environment" and err.allowed == "one of exploration, production"


def test_production_storage_must_be_geo_zone_redundant():
    err = refused(lambda: Estate("haml", _args(environment="production", storage_sku="Standard_ZRS")))
    assert err.key == "haml.storage_sku" and "Standard_GZRS" in err.allowed


def test_production_keeps_defender_for_storage():
    """AML-DAT-009: the refusal names the stack key (hardened-aml:storage.defenderForStorage)."""
    err = refused(lambda: Estate("haml", _args(environment="production", storage={"defender_for_storage": False})))
    assert (err.key, err.value) == ("haml.storage.defender_for_storage", False)


def test_defender_for_storage_asked_for_by_name_outside_production(plan):
    defender = "azure-native:security:DefenderForStorage"
    assert plan(lambda: Estate("haml", _args())).of_type(defender) == []
    p = plan(lambda: Estate("haml", _args(storage={"defender_for_storage": True})))
    assert p.one(defender).property_dependencies["resourceId"] == [p.one("azure-native:storage:StorageAccount").urn]


def test_estate_wires_workspace_to_its_dependencies(plan):
    p = plan(lambda: Estate("haml", _args()))
    ws = p.one("azure-native:machinelearningservices:Workspace")
    ids = {r.type: r.id for r in p.resources if r.custom}
    assert ws.inputs["storageAccount"] == ids["azure-native:storage:StorageAccount"]
    assert ws.inputs["keyVault"] == ids["azure-native:keyvault:Vault"]
    assert ws.inputs["containerRegistry"] == ids["azure-native:containerregistry:Registry"]
    assert ws.inputs["applicationInsights"] == ids["azure-native:applicationinsights:Component"]
    uai = p.named("haml-id").id
    assert ws.inputs["primaryUserAssignedIdentity"] == uai
    # The identity can use the key before the workspace is created with it.
    key_role = p.named("haml-keyvault-cmk-crypto-user")
    assert key_role.urn in ws.dependencies
    workspace_pe = p.named("haml-pep-mlw-pe")
    assert (
        workspace_pe.inputs["privateLinkServiceConnections"][0]["privateLinkServiceId"]
        == ids["azure-native:machinelearningservices:Workspace"]
    )
    assert ws.urn in workspace_pe.dependencies  # AML-NET-003: the PE depends on the workspace
    names = {r.name for r in p.resources}
    assert {"haml-rg", "haml-id", "haml-monitoring", "haml-keyvault", "haml-storage", "haml-registry",
            "haml-workspace", "haml-network", "haml-access"} <= names  # fmt: skip
    # AML-COST-002: the cost tags and the environment on every resource group.
    assert p.one("azure-native:resources:ResourceGroup").inputs["tags"] == {
        "team": "ml-platform", "costCentre": "cc-1", "environment": "exploration"
    }  # fmt: skip


def test_storage_and_registry_use_the_estate_key_through_identities_of_their_own(plan):
    """AML-ENC-005 / AML-ENC-008: the KeyVault component's key, read by one identity per resource (not the
    workspace's), each holding Key Vault Crypto Service Encryption User on that key only."""
    from aml_catalogue.roles import KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER

    p = plan(lambda: Estate("haml", _args()))
    key = p.one("azure-native:keyvault:Key")
    account = p.one("azure-native:storage:StorageAccount")
    registry = p.one("azure-native:containerregistry:Registry")
    st_id, cr_id = p.named("haml-storage-st-cmk-id"), p.named("haml-registry-cr-cmk-id")
    assert len({st_id.id, cr_id.id, p.named("haml-id").id}) == 3
    vault = key.inputs["vaultName"]
    assert account.inputs["encryption"]["keyVaultProperties"] == {
        "keyName": key.inputs["keyName"],
        "keyVaultUri": f"https://{vault}.vault.azure.net/",
    }
    assert account.inputs["encryption"]["encryptionIdentity"]["encryptionUserAssignedIdentity"] == st_id.id
    assert registry.inputs["encryption"]["keyVaultProperties"] == {
        "identity": f"client-of-{cr_id.inputs['resourceName']}",
        "keyIdentifier": f"https://{vault}.vault.azure.net/keys/{key.inputs['keyName']}",
    }
    for resource, identity, role_name in (
        (account, st_id, "haml-storage-st-cmk-crypto-user"),
        (registry, cr_id, "haml-registry-cr-cmk-crypto-user"),
    ):
        role = p.named(role_name)
        assert role.inputs["scope"] == key.id
        assert role.inputs["roleDefinitionId"].endswith(KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER)
        assert role.inputs["principalId"] == f"principal-of-{identity.inputs['resourceName']}"
        assert role.urn in resource.dependencies


def test_each_dependency_declares_its_own_private_endpoints(plan):
    p = plan(lambda: Estate("haml", _args()))
    endpoints = {r.name: r for r in p.of_type("azure-native:network:PrivateEndpoint")}
    groups = {n: r.inputs["privateLinkServiceConnections"][0]["groupIds"] for n, r in endpoints.items()}
    assert groups == {
        "haml-pep-mlw-pe": ["amlworkspace"],
        "haml-pep-blob-pe": ["blob"],
        "haml-pep-file-pe": ["file"],
        "haml-pep-kv-pe": ["vault"],
        "haml-pep-cr-pe": ["registry"],
    }


def test_workspace_identity_roles_are_scoped_to_dependencies(plan):
    from aml_catalogue.roles import CONTRIBUTOR, KEY_VAULT_ADMINISTRATOR, STORAGE_BLOB_DATA_CONTRIBUTOR

    p = plan(lambda: Estate("haml", _args()))
    component = p.named("haml-identity-roles")
    roles = list(p.children_of(component))
    assert len(roles) == 6  # the dependencies' rows of the documented table
    # ... and Contributor on the workspace itself, once it exists (parented to the estate: the workspace waits for
    # the component's assignments, so this one cannot be among them).
    on_workspace = p.named("haml-identity-roles-mlw-contributor")
    assert on_workspace.inputs["scope"] == p.one("azure-native:machinelearningservices:Workspace").id
    assert on_workspace.inputs["roleDefinitionId"].endswith(CONTRIBUTOR)
    uai = p.named("haml-id")
    by_target = {(r.inputs["scope"].split("/providers/")[-1].split("/")[1], r.inputs["roleDefinitionId"][-36:])
                 for r in roles}  # fmt: skip
    assert ("storageAccounts", STORAGE_BLOB_DATA_CONTRIBUTOR) in by_target
    assert ("vaults", KEY_VAULT_ADMINISTRATOR) in by_target
    assert ("registries", CONTRIBUTOR) in by_target and ("components", CONTRIBUTOR) in by_target
    assert all(r.inputs["principalType"] == "ServicePrincipal" for r in roles)
    assert all(r.inputs["principalId"] == f"principal-of-{uai.inputs['resourceName']}" for r in roles)
    ws = p.one("azure-native:machinelearningservices:Workspace")
    assert set(r.urn for r in roles) <= set(ws.dependencies) or component.urn in ws.dependencies
    # AML-IAM-003: at the workspace scope, groups hold job-function roles and only the workspace's own identity
    # holds Contributor (the documented row).
    for r in p.of_type("azure-native:authorization:RoleAssignment"):
        if r.inputs["scope"] == ws.id and r is not on_workspace:
            assert r.inputs["principalType"] == "Group"
            assert r.inputs["roleDefinitionId"][-36:] != CONTRIBUTOR


def test_budget_with_actual_and_forecast_alerts(plan):
    budget = {"amount": 500, "contact_emails": ["ops@example.com"], "start_date": "2026-12-01"}
    p = plan(lambda: Estate("haml", _args(budget=budget)))
    b = p.one("azure-native:consumption:Budget")
    assert b.name == "haml-budget-budget"
    assert b.inputs["scope"] == p.one("azure-native:resources:ResourceGroup").id  # AML-COST-001
    assert b.inputs["timeGrain"] == "Monthly" and b.inputs["category"] == "Cost"
    assert {n["thresholdType"] for n in b.inputs["notifications"].values()} == {"Actual", "Forecasted"}


def test_bad_budget_is_refused():
    budget = {"amount": 500, "contact_emails": ["ops@example.com"], "start_date": "2026-12-15"}
    err = refused(lambda: Estate("haml", _args(budget=budget)))
    assert err.key == "haml.budget.start_date"


# --- compute, serving and governance --------------------------------------------------------------------
MODEL = "azureml://registries/azureml/models/distilbert-base-cased/versions/10"


def _serving_args(**overrides: Any) -> EstateArgs:
    compute = {
        "clusters": [
            {"name": "cpu-train", "vm_size": "Standard_D4s_v5", "max_nodes": 2, "tier": "Dedicated"},
            {"name": "cpu-batch", "vm_size": "Standard_D4s_v5", "max_nodes": 2, "purpose": "BatchInference"},
        ],
        "instances": [
            {
                "name": "ci-test-user1",
                "vm_size": "Standard_DS3_v2",
                "assigned_user_object_id": "5f1c2d3e-4b5a-4697-8a8b-9c0d1e2f3a4b",
                "image_epoch": dt.datetime.now(dt.UTC).date().isoformat(),
            }
        ],
    }
    inference: dict[str, Any] = {
        "aks": {"tls": {"cname": "scoring.example.internal", "secret_name": "azureml-fe-tls"}},
        "online_endpoint": {
            "deployments": [
                {"name": "blue", "model": MODEL, "stage": "Existing"},
                {"name": "green", "model": MODEL},
            ],
            "traffic": {"blue": 100},
        },
        "batch_endpoint": {"cluster": "cpu-batch", "deployment": {"name": "batch-v1", "model": MODEL}},
    }
    inference.update(overrides.pop("inference", {}))
    return _args(compute=overrides.pop("compute", compute), inference=inference, **overrides)


def test_estate_wires_compute_and_serving(plan):
    p = plan(lambda: Estate("haml", _serving_args()))
    estate = p.named("haml")
    ws = p.one("azure-native:machinelearningservices:Workspace")
    rg = p.one("azure-native:resources:ResourceGroup")
    workspace_pe = p.named("haml-pep-mlw-pe")
    computes = {r.inputs["computeName"]: r for r in p.of_type("azure-native:machinelearningservices:Compute")}
    assert set(computes) == {"cpu-train", "cpu-batch", "ci-test-user1", "aks-inference"}
    # No-public-IP compute waits for the workspace's private endpoint (PITFALLS: data-product-analytics #70).
    for name in ("cpu-train", "cpu-batch", "ci-test-user1"):
        assert workspace_pe.urn in computes[name].dependencies, name
        assert computes[name].inputs["workspaceName"] == ws.inputs["workspaceName"]
    # The components are parented to the estate.
    for component in ("haml-cluster-cpu-train", "haml-ci-ci-test-user1", "haml-aks", "haml-online", "haml-batch",
                      "haml-governance"):  # fmt: skip
        assert p.named(component).parent == estate.urn, component
    # AKS: its own control-plane identity; the attached compute and the kubelet run as identities of their own.
    aks_compute = computes["aks-inference"]
    assert aks_compute.inputs["properties"]["computeType"] == "Kubernetes"
    assert aks_compute.inputs["properties"]["resourceId"] == p.one("azure-native:containerservice:ManagedCluster").id
    identities = {r.name: r.id for r in p.of_type("azure-native:managedidentity:UserAssignedIdentity")}
    assert set(identities) == {
        "haml-id",
        "haml-storage-st-cmk-id",  # AML-ENC-005: reads the key for the storage account only
        "haml-registry-cr-cmk-id",  # AML-ENC-008: reads the key for the registry only
        "haml-aks-id",
        "haml-wid-cl-cpu-train-id",
        "haml-wid-cl-cpu-batch-id",
        "haml-wid-aks-kubelet-id",
        "haml-wid-aks-compute-id",
        "haml-wid-oe-id",
        "haml-wid-be-id",
    }
    assert aks_compute.inputs["identity"]["userAssignedIdentities"] == [identities["haml-wid-aks-compute-id"]]
    for cluster in ("cpu-train", "cpu-batch"):
        assert computes[cluster].inputs["identity"]["userAssignedIdentities"] == [
            identities[f"haml-wid-cl-{cluster}-id"]
        ]
    assert "identity" not in computes["ci-test-user1"].inputs  # the assigned user's own identity
    assert p.one("azure-native:containerservice:ManagedCluster").inputs["identity"]["userAssignedIdentities"] == [
        identities["haml-aks-id"]
    ]
    # Endpoints: after the workspace; the batch deployment runs on the batch cluster.
    endpoint = p.one("azure-native:machinelearningservices:OnlineEndpoint")
    assert endpoint.inputs["properties"]["traffic"] == {"blue": 100}
    assert endpoint.inputs["endpointName"] == f"oe-haml-test-{NAMER.suffix}"
    batch = p.one("azure-native:machinelearningservices:BatchDeployment")
    assert batch.inputs["properties"]["compute"] == computes["cpu-batch"].id
    waits_for = set(batch.dependencies) | {u for urns in batch.property_dependencies.values() for u in urns}
    assert computes["cpu-batch"].urn in waits_for
    # Governance: always, at the resource group, the estate's registry allowed.
    assignments = p.of_type("azure-native:authorization:PolicyAssignment")
    assert assignments and all(a.inputs["scope"] == rg.id for a in assignments)
    gov1 = next(a for a in assignments if a.inputs["metadata"]["hardened-aml/control"] == "AML-GOV-001")
    assert gov1.inputs["parameters"]["allowedACRs"]["value"] == [f"{NAMER.name('cr')}.azurecr.io", "mcr.microsoft.com"]


def test_alerts_watch_what_the_estate_has_and_the_budget_notifies_them(plan):  # AML-MON-006
    alerts = {"email_receivers": [{"name": "ml-platform", "address": "ml-platform@example.com"}]}
    budget = {"amount": 500, "contact_emails": ["ops@example.com"], "start_date": "2026-12-01"}
    p = plan(lambda: Estate("haml", _serving_args(alerts=alerts, budget=budget)))
    group = p.one("azure-native:monitor:ActionGroup")
    assert group.inputs["actionGroupName"] == f"ag-haml-test-{NAMER.suffix}"
    assert group.inputs["groupShortName"] == f"haml{NAMER.suffix}"
    assert p.named("haml-alerts").parent == p.named("haml").urn
    scopes = {
        r.inputs["ruleName"].removeprefix(f"alert-haml-test-{NAMER.suffix}-"): r.inputs["scopes"]
        for t in ("azure-native:monitor:MetricAlert", "azure-native:monitor:ScheduledQueryRule")
        for r in p.of_type(t)
    }
    endpoint = p.one("azure-native:machinelearningservices:OnlineEndpoint")
    deployments = {
        d.inputs["deploymentName"]: d for d in p.of_type("azure-native:machinelearningservices:OnlineDeployment")
    }
    cluster = p.one("azure-native:containerservice:ManagedCluster")
    ws = p.one("azure-native:machinelearningservices:Workspace")
    assert scopes["endpoint-latency-ms"] == [endpoint.id]
    assert scopes["deployment-cpu-percent-green"] == [deployments["green"].id]
    assert scopes["aks-not-ready-nodes"] == scopes["aks-container-restarts"] == [cluster.id]
    assert scopes["failed-jobs"] == scopes["quota-percent"] == [ws.id]
    assert len(scopes) == 2 + 3 * 2 + 3 + 2
    # Both vaults that hold keys (the estate's, and the etcd key's) alert before a key expires.
    vaults = {v.inputs["vaultName"]: v.id for v in p.of_type("azure-native:keyvault:Vault")}
    assert {t.inputs["source"] for t in p.of_type("azure-native:eventgrid:SystemTopic")} == set(vaults.values())
    assert len(vaults) == 2
    b = p.one("azure-native:consumption:Budget")
    assert {tuple(n["contactGroups"]) for n in b.inputs["notifications"].values()} == {(group.id,)}


def test_an_estate_without_alerts_makes_no_action_group(plan):
    budget = {"amount": 500, "contact_emails": ["ops@example.com"], "start_date": "2026-12-01"}
    p = plan(lambda: Estate("haml", _args(budget=budget)))
    assert p.of_type("azure-native:monitor:ActionGroup") == []
    assert all(
        "contactGroups" not in n for n in p.one("azure-native:consumption:Budget").inputs["notifications"].values()
    )


def test_bad_alert_receivers_are_refused_before_anything():
    alerts = {"webhook_receivers": [{"name": "hook", "uri": "http://hooks.example.com/x"}]}
    err = refused(lambda: Estate("haml", _args(alerts=alerts)))
    assert (err.key, err.value) == ("haml.alerts.webhook_receivers.0.uri", "http://hooks.example.com/x")


def test_estate_without_serving_still_assigns_governance(plan):
    p = plan(lambda: Estate("haml", _args()))
    assert p.of_type("azure-native:authorization:PolicyAssignment")
    assert not p.of_type("azure-native:machinelearningservices:Compute")


def test_batch_endpoint_on_a_training_cluster_is_refused():
    args = _serving_args(inference={"batch_endpoint": {"cluster": "cpu-train"}})
    err = refused(lambda: Estate("haml", args))
    assert err.key == "haml.inference.batch_endpoint.cluster" and "cpu-batch" in err.allowed


def test_bad_part_is_refused_before_anything():
    bad = {"clusters": [{"name": "cpu-train", "vm_size": "Standard_M128s", "max_nodes": 2}]}
    err = refused(lambda: Estate("haml", _serving_args(compute=bad, inference={"batch_endpoint": None})))
    assert err.key == "haml.compute.clusters.0.vm_size" and err.value == "Standard_M128s"


def test_traffic_to_a_new_deployment_is_refused_before_anything():
    online = {"deployments": [{"name": "blue", "model": MODEL}], "traffic": {"blue": 100}}
    err = refused(lambda: Estate("haml", _serving_args(inference={"online_endpoint": online})))
    assert err.key == "haml.inference.online_endpoint.traffic.blue"


def test_production_online_deployments_need_three_instances_before_anything():
    # The endpoint's rule reads the estate's environment.
    online = {"deployments": [{"name": "blue", "model": MODEL, "instance_count": 1}]}
    feed = {"allowed_python_indexes": ["https://pkgs.example.com/pypi/simple/"]}
    err = refused(
        lambda: Estate(
            "haml",
            _serving_args(environment="production", governance=feed, inference={"online_endpoint": online}),
        )
    )
    assert err.key.startswith("haml.inference.online_endpoint.deployments.0") and "3" in err.allowed


def test_production_names_its_python_package_index():
    """AML-GOV-002: production does not default to all of public PyPI; public PyPI is allowed by its address."""
    err = refused(lambda: Estate("haml", _args(environment="production")))
    assert (err.key, err.value) == ("haml.governance.allowed_python_indexes", MISSING)
    assert "https://pypi.org/simple" in err.allowed


def test_models_come_from_the_allowed_registry():
    online = {
        "deployments": [{"name": "blue", "model": MODEL.replace("registries/azureml", "registries/other")}],
    }
    err = refused(lambda: Estate("haml", _serving_args(inference={"online_endpoint": online})))
    assert err.key == "haml.inference.online_endpoint.deployments.0.model" and "AML-GOV-006" in err.allowed


def test_duplicate_compute_names_are_refused():
    aks = {"compute_name": "cpu-train", "tls": {"cname": "s.example.internal", "secret_name": "tls"}}
    err = refused(lambda: Estate("haml", _serving_args(inference={"aks": aks})))
    assert err.key == "haml.inference.aks.compute_name" and err.value == "cpu-train"


def test_aks_overlay_addresses_stay_outside_the_vnet():
    aks = {"pod_cidr": "10.40.0.0/16", "tls": {"cname": "s.example.internal", "secret_name": "tls"}}
    err = refused(lambda: Estate("haml", _serving_args(inference={"aks": aks})))
    assert err.key == "haml.inference.aks.pod_cidr" and "network.addressSpace" in err.allowed


def test_an_inference_cluster_needs_an_aks_subnet_among_existing_subnets():
    vnet = "/subscriptions/1/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub"
    aks = {"tls": {"cname": "s.example.internal", "secret_name": "tls"}}
    network = {"existing_subnets": {"private_endpoint": vnet + "/subnets/pe"}}
    err = refused(lambda: Estate("haml", _serving_args(inference={"aks": aks}, network=network)))
    assert err.key == "haml.network.existing_subnets.aks" and "since the estate has an inference cluster" in err.allowed
    network = {"existing_subnets": {"private_endpoint": vnet + "/subnets/pe", "aks": vnet + "/subnets/aks"}}
    err = refused(lambda: Estate("haml", _serving_args(inference={"aks": aks}, network=network)))
    assert err.key == "haml.network.existing_subnets.api_server" and "delegated to" in err.allowed


def test_the_etcd_key_lives_in_a_vault_of_its_own_read_only_by_the_cluster(plan):
    aks = {"tls": {"cname": "s.example.internal", "secret_name": "tls"}}
    p = plan(lambda: Estate("haml", _serving_args(inference={"aks": aks})))
    vaults = p.of_type("azure-native:keyvault:Vault")
    assert sorted(v.name for v in vaults) == ["haml-keyvault-kv", "haml-kms-kv"]
    kms_key = next(k for k in p.of_type("azure-native:keyvault:Key") if k.name == "haml-kms-cmk")
    cluster = p.one("azure-native:containerservice:ManagedCluster").inputs
    kms = cluster["securityProfile"]["azureKeyVaultKms"]
    assert kms["keyVaultResourceId"] == p.named("haml-kms-kv").id
    assert kms["keyVaultNetworkAccess"] == "Private" and kms["enabled"] is True
    assert cluster["apiServerAccessProfile"]["subnetId"] == p.named("haml-network-snet-apiserver").id
    # the vault has a private endpoint of its own, in the estate's subnet
    targets = [
        e.inputs["privateLinkServiceConnections"][0]["privateLinkServiceId"]
        for e in p.of_type("azure-native:network:PrivateEndpoint")
    ]
    assert p.named("haml-kms-kv").id in targets
    # the one role on the key is the control plane's encrypt/decrypt role, and the cluster waits for it
    [on_key] = [r for r in p.of_type("azure-native:authorization:RoleAssignment") if r.inputs["scope"] == kms_key.id]
    assert on_key.inputs["roleDefinitionId"].endswith("/12338af0-0e69-4776-bea7-57ae8d297424")
    assert on_key.urn in p.one("azure-native:containerservice:ManagedCluster").dependencies


# --- ordering Azure needs (issue 7), through the recorded dependencies ------------------------------------
def _waits_for(r) -> set[str]:
    """Everything a registration waits on: its dependencies and those of its properties."""
    return set(r.dependencies) | {u for urns in r.property_dependencies.values() for u in urns}


def test_managed_network_is_provisioned_with_the_private_workspace(plan):  # AML-NET-002
    ws = plan(lambda: Estate("haml", _serving_args())).one("azure-native:machinelearningservices:Workspace")
    assert ws.inputs["provisionNetworkNow"] is True and ws.inputs["publicNetworkAccess"] == "Disabled"


def test_no_public_ip_compute_waits_for_the_workspace_private_endpoint(plan):
    p = plan(lambda: Estate("haml", _serving_args()))
    workspace_pe = p.named("haml-pep-mlw-pe")
    no_public_ip = [
        r
        for r in p.of_type("azure-native:machinelearningservices:Compute")
        if r.inputs["properties"]["computeType"] in ("AmlCompute", "ComputeInstance")
    ]
    assert len(no_public_ip) == 3
    for compute in no_public_ip:
        assert compute.inputs["properties"]["properties"]["enableNodePublicIp"] is False
        assert workspace_pe.urn in compute.dependencies, compute.name


def test_aks_is_attached_after_the_ml_extension_and_its_role_assignments(plan):
    p = plan(lambda: Estate("haml", _serving_args()))
    attach = p.named("haml-aks-compute")
    extension = p.one("azure-native:kubernetesconfiguration:Extension")
    assert extension.inputs["extensionType"] == "microsoft.azureml.kubernetes"
    cluster = p.one("azure-native:containerservice:ManagedCluster")
    assert cluster.urn in extension.property_dependencies["clusterName"]  # installed on that cluster
    roles = [p.named(f"haml-aks-ws-{label}") for label in ("reader", "extension-contributor", "cluster-admin")]
    waits = _waits_for(attach)
    assert extension.urn in waits
    assert all(role.urn in waits for role in roles)
    assert attach.inputs["properties"]["resourceId"] == cluster.id


def test_deployments_exist_before_the_traffic_that_names_them(plan):
    p = plan(lambda: Estate("haml", _serving_args()))
    endpoint = p.one("azure-native:machinelearningservices:OnlineEndpoint")
    deployments = {
        d.inputs["deploymentName"]: d for d in p.of_type("azure-native:machinelearningservices:OnlineDeployment")
    }
    # Each deployment is created (and updated) after the endpoint: its endpointName is the endpoint's output.
    for deployment in deployments.values():
        assert endpoint.urn in deployment.property_dependencies["endpointName"]
    # Traffic names only deployments that existed before this update (stage EXISTING): "blue", not "green".
    assert set(endpoint.inputs["properties"]["traffic"]) == {"blue"} <= set(deployments)


def test_image_builds_run_on_the_training_cluster(plan):  # AML-NET-015
    from tests.pack_check import violations

    p = plan(lambda: Estate("haml", _serving_args()))
    ws = p.one("azure-native:machinelearningservices:Workspace")
    assert ws.inputs["imageBuildCompute"] == "cpu-train"
    assert [
        d for d in violations(p.resources) if d.policy.startswith(("aml-net-015", "aml-aks-009", "aml-dat-003"))
    ] == []


def test_an_estate_without_clusters_names_no_image_build_compute(plan):
    from hardened_aml.compute_cluster import ClusterPurpose
    from hardened_aml.estate import image_build_compute

    assert image_build_compute([]) is None
    assert image_build_compute([{"name": "b", "purpose": ClusterPurpose.BATCH_INFERENCE}]) == "b"


def test_outbound_rules_are_checked_before_anything_is_registered():
    rule = {"type": "FQDN", "name": "pypi", "destination": "pypi.org"}
    managed = {"isolation_mode": "AllowInternetOutbound", "outbound_rules": [rule]}
    err = refused(lambda: Estate("haml", _serving_args(managed_network=managed)))
    assert err.key == "haml.managed_network.outbound_rules.0.type"
    own_vault = f"/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/{NAMER.name('kv')}"
    pe = {"type": "PrivateEndpoint", "name": "kv", "service_resource_id": own_vault, "subresource_target": "vault"}
    err = refused(lambda: Estate("haml", _serving_args(managed_network={"outbound_rules": [pe]})))
    assert err.key == "haml.managed_network.outbound_rules.0.service_resource_id"


# --- what an update does ----------------------------------------------------------------------------------
def test_resource_options_carry_the_replacement_decisions(plan):
    from hardened_aml.compute_cluster import REPLACE_ON_CHANGES as CLUSTER
    from hardened_aml.compute_instance import REPLACE_ON_CHANGES as INSTANCE
    from hardened_aml.workspace import REPLACE_ON_CHANGES as WORKSPACE

    p = plan(lambda: Estate("haml", _serving_args()))
    computes = {r.inputs["computeName"]: r for r in p.of_type("azure-native:machinelearningservices:Compute")}
    for name in ("cpu-train", "cpu-batch"):
        assert set(computes[name].replace_on_changes) == set(CLUSTER), name
        assert "properties.properties.vmSize" in computes[name].replace_on_changes
        # Scale settings update in place.
        assert not any("scaleSettings" in f for f in computes[name].replace_on_changes)
    instance = computes["ci-test-user1"].replace_on_changes
    assert set(instance) == set(INSTANCE)
    # Azure ignores these on an update of an existing instance (bicep-types-az #2543): a change replaces it.
    assert {"properties.properties.schedules", "properties.properties.idleTimeBeforeShutdown"} <= set(instance)
    ws = p.one("azure-native:machinelearningservices:Workspace")
    assert (
        set(ws.replace_on_changes)
        == set(WORKSPACE)
        == {
            "hbiWorkspace",
            "encryption.keyVaultProperties.keyVaultArmId",
            "storageAccount",
        }
    )


def test_aks_egress_follows_the_network_and_the_namespace_policies_are_an_output(plan):
    """AML-AKS-025: a NAT gateway on the AKS subnet by default, a firewall route with egressFirewallIp; AML-AKS-101:
    the NetworkPolicies allow HTTPS to the private-endpoint subnet only."""
    import yaml

    seen: dict[str, Any] = {}
    p = plan(lambda: seen.setdefault("estate", Estate("haml", _serving_args())))
    cluster = p.one("azure-native:containerservice:ManagedCluster")
    assert cluster.inputs["networkProfile"]["outboundType"] == "userAssignedNATGateway"
    nat = p.one("azure-native:network:NatGateway")
    aks_subnet = p.named("haml-network-snet-aks")
    assert aks_subnet.inputs["natGateway"] == {"id": nat.id}
    docs = [d for d in yaml.safe_load_all(seen["estate"].inference_network_policies) if d]
    https = next(d for d in docs if d["metadata"]["name"] == "allow-private-endpoints-https")
    assert https["spec"]["egress"][0]["to"] == [{"ipBlock": {"cidr": "10.40.0.0/24"}}]

    p = plan(lambda: Estate("haml", _serving_args(network={"egress_firewall_ip": "10.0.1.4"})))
    cluster = p.one("azure-native:containerservice:ManagedCluster")
    assert cluster.inputs["networkProfile"]["outboundType"] == "userDefinedRouting"
    table = p.one("azure-native:network:RouteTable")
    grant = p.named("haml-aks-route-table-network-contributor")
    assert grant.inputs["scope"] == table.id and p.of_type("azure-native:network:NatGateway") == []


def test_an_estate_without_aks_pays_for_no_nat_gateway(plan):
    p = plan(lambda: Estate("haml", _args()))
    assert p.of_type("azure-native:network:NatGateway") == []
    assert p.of_type("azure-native:network:PublicIPAddress") == []


def test_a_public_load_balancer_is_refused_in_production():
    feed = {"allowed_python_indexes": ["https://pkgs.example.com/pypi/simple/"]}
    production = {"environment": "production", "governance": feed, "inference": {"online_endpoint": None}}
    err = refused(lambda: Estate("haml", _serving_args(network={"aks_egress": "publicLoadBalancer"}, **production)))
    assert err.key == "haml.network.aks_egress" and "in production" in err.allowed
