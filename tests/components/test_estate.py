from __future__ import annotations

import datetime as dt

from component_plan import TAGS, refused

from hardened_aml.estate import Estate, EstateArgs
from hardened_aml.naming import Namer

NAMER = Namer("hardened-aml", "test", "haml")


def test_region_without_zones_is_refused():
    err = refused(lambda: Estate("haml", EstateArgs(namer=NAMER, location="westus", tags=TAGS)))
    assert err.key == "haml.location" and err.value == "westus"


def test_missing_cost_tag_is_refused():
    tags = {k: v for k, v in TAGS.items() if k != "costCentre"}
    err = refused(lambda: Estate("haml", EstateArgs(namer=NAMER, location="westeurope", tags=tags)))
    assert err.key == "haml.tags.costCentre"


def test_bad_group_is_refused_before_anything():
    args = EstateArgs(namer=NAMER, location="westeurope", tags=TAGS, reader_group_ids=("not-a-guid",))
    assert refused(lambda: Estate("haml", args)).key == "haml.reader_group_ids"


def test_estate_wires_workspace_to_its_dependencies(plan):
    p = plan(lambda: Estate("haml", EstateArgs(namer=NAMER, location="westeurope", tags=TAGS)))
    ws = p.one("azure-native:machinelearningservices:Workspace")
    ids = {r.type: r.id for r in p.resources if r.custom}
    assert ws.inputs["storageAccount"] == ids["azure-native:storage:StorageAccount"]
    assert ws.inputs["keyVault"] == ids["azure-native:keyvault:Vault"]
    assert ws.inputs["containerRegistry"] == ids["azure-native:containerregistry:Registry"]
    assert ws.inputs["applicationInsights"] == ids["azure-native:applicationinsights:Component"]
    uai = ids["azure-native:managedidentity:UserAssignedIdentity"]
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


def test_workspace_identity_roles_are_scoped_to_dependencies(plan):
    from hardened_aml.identity_roles import CONTRIBUTOR, KEY_VAULT_ADMINISTRATOR, STORAGE_BLOB_DATA_CONTRIBUTOR

    p = plan(lambda: Estate("haml", EstateArgs(namer=NAMER, location="westeurope", tags=TAGS)))
    component = p.named("haml-identity-roles")
    roles = list(p.children_of(component))
    assert len(roles) == 7
    uai = p.one("azure-native:managedidentity:UserAssignedIdentity")
    by_target = {(r.inputs["scope"].split("/providers/")[-1].split("/")[1], r.inputs["roleDefinitionId"][-36:])
                 for r in roles}  # fmt: skip
    assert ("storageAccounts", STORAGE_BLOB_DATA_CONTRIBUTOR) in by_target
    assert ("vaults", KEY_VAULT_ADMINISTRATOR) in by_target
    assert ("registries", CONTRIBUTOR) in by_target and ("components", CONTRIBUTOR) in by_target
    assert all(r.inputs["principalType"] == "ServicePrincipal" for r in roles)
    assert all(r.inputs["principalId"] == f"principal-of-{uai.inputs['resourceName']}" for r in roles)
    ws = p.one("azure-native:machinelearningservices:Workspace")
    assert set(r.urn for r in roles) <= set(ws.dependencies) or component.urn in ws.dependencies
    # AML-IAM-003: nothing privileged at the workspace scope.
    for r in p.of_type("azure-native:authorization:RoleAssignment"):
        if "/workspaces/" in r.inputs["scope"]:
            assert r.inputs["principalType"] == "Group"
            assert r.inputs["roleDefinitionId"][-36:] != CONTRIBUTOR


def test_budget_with_actual_and_forecast_alerts(plan):
    from hardened_aml.budget import BudgetOptions

    budget = BudgetOptions(amount=500, contact_emails=["ops@example.com"], start_date="2026-12-01")
    p = plan(lambda: Estate("haml", EstateArgs(namer=NAMER, location="westeurope", tags=TAGS, budget=budget)))
    b = p.one("azure-native:consumption:Budget")
    assert b.name == "haml-budget-budget"
    assert b.inputs["scope"] == p.one("azure-native:resources:ResourceGroup").id  # AML-COST-001
    assert b.inputs["timeGrain"] == "Monthly" and b.inputs["category"] == "Cost"
    assert {n["thresholdType"] for n in b.inputs["notifications"].values()} == {"Actual", "Forecasted"}


def test_bad_budget_is_refused():
    from hardened_aml.budget import BudgetOptions

    budget = BudgetOptions(amount=500, contact_emails=["ops@example.com"], start_date="2026-12-15")
    err = refused(lambda: Estate("haml", EstateArgs(namer=NAMER, location="westeurope", tags=TAGS, budget=budget)))
    assert err.key == "haml.budget.start_date"


# --- compute, serving and governance --------------------------------------------------------------------
MODEL = "azureml://registries/azureml/models/distilbert-base-cased/versions/10"


def _serving_args(**overrides: object) -> EstateArgs:
    from hardened_aml.aks import InferenceTls
    from hardened_aml.batch_endpoint import BatchDeploymentSpec
    from hardened_aml.compute_cluster import ClusterPurpose, VmTier
    from hardened_aml.estate import (
        AksOptions,
        BatchEndpointOptions,
        ClusterOptions,
        ComputeOptions,
        InstanceOptions,
        OnlineEndpointOptions,
    )
    from hardened_aml.online_endpoint import DeploymentStage, OnlineDeploymentSpec

    values: dict[str, object] = dict(
        namer=NAMER,
        location="westeurope",
        tags=TAGS,
        compute=ComputeOptions(
            clusters=(
                ClusterOptions(name="cpu-train", vm_size="Standard_D4s_v5", max_nodes=2, tier=VmTier.DEDICATED),
                ClusterOptions(
                    name="cpu-batch", vm_size="Standard_D4s_v5", max_nodes=2, purpose=ClusterPurpose.BATCH_INFERENCE
                ),
            ),
            instances=(
                InstanceOptions(
                    name="ci-test-user1",
                    vm_size="Standard_DS3_v2",
                    assigned_user_object_id="5f1c2d3e-4b5a-4697-8a8b-9c0d1e2f3a4b",
                    image_epoch=dt.datetime.now(dt.UTC).date().isoformat(),
                ),
            ),
        ),
        aks=AksOptions(tls=InferenceTls(cname="scoring.example.internal", secret_name="azureml-fe-tls")),
        online_endpoint=OnlineEndpointOptions(
            deployments=(
                OnlineDeploymentSpec(name="blue", model=MODEL, stage=DeploymentStage.EXISTING),
                OnlineDeploymentSpec(name="green", model=MODEL),
            ),
            traffic={"blue": 100},
        ),
        batch_endpoint=BatchEndpointOptions(
            cluster="cpu-batch",
            deployment=BatchDeploymentSpec(name="batch-v1", model=MODEL),
        ),
    )
    values.update(overrides)
    return EstateArgs(**values)  # type: ignore[arg-type]


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
    # AKS: its own control-plane identity; attached to the workspace with the workspace's identity.
    aks_compute = computes["aks-inference"]
    assert aks_compute.inputs["properties"]["computeType"] == "Kubernetes"
    assert aks_compute.inputs["properties"]["resourceId"] == p.one("azure-native:containerservice:ManagedCluster").id
    identities = {r.name: r.id for r in p.of_type("azure-native:managedidentity:UserAssignedIdentity")}
    assert set(identities) == {"haml-id", "haml-aks-id"}
    assert aks_compute.inputs["identity"]["userAssignedIdentities"] == [identities["haml-id"]]
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


def test_estate_without_serving_still_assigns_governance(plan):
    p = plan(lambda: Estate("haml", EstateArgs(namer=NAMER, location="westeurope", tags=TAGS)))
    assert p.of_type("azure-native:authorization:PolicyAssignment")
    assert not p.of_type("azure-native:machinelearningservices:Compute")


def test_batch_endpoint_on_a_training_cluster_is_refused():
    from hardened_aml.estate import BatchEndpointOptions

    args = _serving_args(batch_endpoint=BatchEndpointOptions(cluster="cpu-train"))
    err = refused(lambda: Estate("haml", args))
    assert err.key == "haml.batch_endpoint.cluster" and "cpu-batch" in err.allowed


def test_bad_part_is_refused_before_anything():
    from hardened_aml.estate import ClusterOptions, ComputeOptions

    bad = ComputeOptions(clusters=(ClusterOptions(name="cpu-train", vm_size="Standard_M128s", max_nodes=2),))
    err = refused(lambda: Estate("haml", _serving_args(compute=bad, batch_endpoint=None)))
    assert err.key == "haml-cluster-cpu-train.vm_size" and err.value == "Standard_M128s"


def test_traffic_to_a_new_deployment_is_refused_before_anything():
    from hardened_aml.estate import OnlineEndpointOptions
    from hardened_aml.online_endpoint import OnlineDeploymentSpec

    online = OnlineEndpointOptions(deployments=(OnlineDeploymentSpec(name="blue", model=MODEL),), traffic={"blue": 100})
    err = refused(lambda: Estate("haml", _serving_args(online_endpoint=online)))
    assert err.key == "haml-online.traffic.blue"


def test_duplicate_compute_names_are_refused():
    from hardened_aml.aks import InferenceTls
    from hardened_aml.estate import AksOptions

    aks = AksOptions(compute_name="cpu-train", tls=InferenceTls(cname="s.example.internal", secret_name="tls"))
    err = refused(lambda: Estate("haml", _serving_args(aks=aks)))
    assert err.key == "haml.compute" and err.value == "cpu-train"
