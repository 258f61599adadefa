from __future__ import annotations

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
