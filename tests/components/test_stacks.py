"""Whole stacks, planned by the engine command in a fresh process each (the runtime is process-global)."""

from __future__ import annotations

import ipaddress
import itertools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from hardened_aml.errors import InvalidInputError
from hardened_aml.settings import parse
from tests.conftest import plan_stack, planned

ROOT = Path(__file__).resolve().parents[2]
#: Every shipped stack (stacks/Pulumi.<name>.yaml).
STACKS = ("dev", "prod", "prod-dr")
UNTAGGABLE = {
    "azure-native:network:Subnet",
    "azure-native:network:PrivateDnsZoneGroup",
    "azure-native:storage:BlobServiceProperties",
    "azure-native:storage:FileServiceProperties",  # the services, like the blob service, take no tags
    "azure-native:storage:QueueServiceProperties",
    "azure-native:storage:TableServiceProperties",
    "azure-native:security:DefenderForStorage",  # an extension resource: no tags in the SDK's args
    "azure-native:storage:BlobContainer",  # a proxy resource: no tags in its ARM schema
    "azure-native:storage:ManagementPolicy",  # nor has a management policy (the SDK's Args have no tags)
    "azure-native:monitor:DiagnosticSetting",
    "azure-native:authorization:RoleAssignment",
    "azure-native:authorization:ManagementLockByScope",
    "azure-native:consumption:Budget",
    "azure-native:eventgrid:SystemTopicEventSubscription",  # the SDK's Args have no tags (its topic has them)
    # No tags property in their ARM schemas (policyAssignments, extensions, trustedAccessRoleBindings,
    # maintenanceConfigurations: the SDK's MaintenanceConfigurationArgs has no tags).
    "azure-native:authorization:PolicyAssignment",
    "azure-native:kubernetesconfiguration:Extension",
    "azure-native:containerservice:TrustedAccessRoleBinding",
    "azure-native:containerservice:MaintenanceConfiguration",
}
REPLICATION = "azure-native:containerregistry:Replication"
ML_REGISTRY = "azure-native:machinelearningservices:Registry"
STATEFUL = {
    "azure-native:machinelearningservices:Workspace",
    "azure-native:storage:StorageAccount",
    "azure-native:keyvault:Vault",
    "azure-native:keyvault:Key",
    "azure-native:containerregistry:Registry",
}


def _plan(stack: str, project_dir: Path = ROOT, main: str = ".") -> subprocess.CompletedProcess[str]:
    return plan_stack(stack, project_dir, main)


def _custom(stack: str) -> list[dict[str, Any]]:
    return [r for r in planned(stack) if r["custom"]]


@pytest.mark.parametrize("stack", ["dev", "prod", "prod-dr"])
def test_stack_plans_the_whole_estate(stack):
    types = {r["type"] for r in planned(stack)}
    assert {
        "azure-native:resources:ResourceGroup",
        "azure-native:managedidentity:UserAssignedIdentity",
        "azure-native:operationalinsights:Workspace",
        "azure-native:applicationinsights:Component",
        "azure-native:network:VirtualNetwork",
        "azure-native:network:PrivateEndpoint",
        "azure-native:privatedns:PrivateZone",
        "azure-native:consumption:Budget",
        *STATEFUL,
    } <= types
    group_ids = sorted(
        c["groupIds"][0]
        for r in planned(stack)
        if r["type"] == "azure-native:network:PrivateEndpoint"
        for c in r["inputs"]["privateLinkServiceConnections"]
    )
    # prod also reaches its Azure ML registry privately (AML-NET-018); prod-dr shares it. prod's AKS cluster keeps its
    # etcd (KMS) key in a vault of its own, behind a second vault endpoint (AML-AKS-029).
    shared = ["amlregistry"] if stack == "prod" else []
    vaults = ["vault", "vault"] if stack == "prod" else ["vault"]
    assert group_ids == [*shared, "amlworkspace", "blob", "file", "registry", *vaults]
    diag_targets = sorted(
        r["inputs"]["resourceUri"].split("/providers/")[-1].split("/")[1]
        for r in planned(stack)
        if r["type"] == "azure-native:monitor:DiagnosticSetting"
    )
    assert {"workspaces", "vaults", "storageAccounts", "registries"} <= set(diag_targets)


@pytest.mark.parametrize("stack", ["dev", "prod", "prod-dr"])
def test_every_taggable_resource_has_cost_tags(stack):  # AML-COST-002
    for r in _custom(stack):
        if r["type"] in UNTAGGABLE:
            continue
        tags = r["inputs"].get("tags") or {}
        assert {"team", "environment", "costCentre"} <= set(tags), r["name"]


def test_dev_is_exploration_without_locks():
    assert {r["inputs"]["tags"]["environment"] for r in _custom("dev") if "tags" in r["inputs"]} == {"exploration"}
    assert not any(r["protect"] for r in planned("dev"))
    assert not any(r["type"].endswith("ManagementLockByScope") for r in planned("dev"))


@pytest.mark.parametrize("stack", ["prod", "prod-dr"])
def test_production_protects_and_locks_stateful_resources(stack):  # AML-REL-006
    resources = planned(stack)
    # The registry's replica (AML-REL-010) is protected too; the registry's lock covers it, a child resource.
    # prod's Azure ML registry (AML-REL-011) is protected and locked like the other stateful resources.
    ml_registry = {ML_REGISTRY} if stack == "prod" else set()
    protected = {r["type"] for r in resources if r["protect"]}
    assert protected == STATEFUL | {REPLICATION} | ml_registry
    locked = {r["inputs"]["scope"] for r in resources if r["type"].endswith("ManagementLockByScope")}
    stateful_ids = {r["id"] for r in resources if r["type"] in STATEFUL | ml_registry}
    assert locked == stateful_ids
    storage = next(r for r in resources if r["type"] == "azure-native:storage:StorageAccount")
    # AML-REL-001 in production: prod asks for read access to its secondary by name; prod-dr keeps the default.
    assert storage["inputs"]["sku"]["name"] == {"prod": "Standard_RAGZRS", "prod-dr": "Standard_GZRS"}[stack]


def test_plans_are_deterministic():
    again = _plan("dev")
    assert again.returncode == 0
    first = [(r["type"], r["name"], r["id"]) for r in planned("dev")]
    second = [(r["type"], r["name"], r["id"]) for r in json.loads(again.stdout)["resources"]]
    assert sorted(first) == sorted(second)


def test_bad_config_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    text = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text().replace("10.40.1.0/24", "10.99.1.0/24")
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(text)
    result = _plan("dev", project_dir=tmp_path, main=str(ROOT))
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "hardened-aml:network.aksSubnetPrefix" in lines[0] and "10.99.1.0/24" in lines[0]


def test_missing_cost_tag_is_refused(tmp_path):
    (tmp_path / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    text = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text().replace("    costCentre: cc-1234\n", "")
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(text)
    result = _plan("dev", project_dir=tmp_path, main=str(ROOT))
    assert result.returncode == 2, result.stderr
    assert "hardened-aml:tags.costCentre" in result.stderr


def test_role_assignment_names_differ_between_stacks():
    def names(stack: str) -> set[str]:
        return {
            r["inputs"]["roleAssignmentName"]
            for r in planned(stack)
            if r["type"] == "azure-native:authorization:RoleAssignment"
        }

    assert names("dev") and names("prod") and not names("dev") & names("prod")
    assert names("prod-dr") and not names("prod-dr") & (names("prod") | names("dev"))


# --- compute, serving and governance in the stacks -------------------------------------------------------
COMPUTE = "azure-native:machinelearningservices:Compute"


def _one(stack: str, type_: str, **inputs: Any) -> dict[str, Any]:
    found = [
        r for r in planned(stack) if r["type"] == type_ and all(r["inputs"].get(k) == v for k, v in inputs.items())
    ]
    assert len(found) == 1, (type_, inputs, len(found))
    return found[0]


def test_prod_plans_every_production_component():
    types = {r["type"] for r in planned("prod")}
    assert {
        "hardened-aml:index:ComputeCluster",
        "hardened-aml:index:InferenceCluster",
        "hardened-aml:index:OnlineEndpoint",
        "hardened-aml:index:BatchEndpoint",
        "hardened-aml:index:Governance",
        "hardened-aml:index:Budget",
        "azure-native:containerservice:ManagedCluster",
        "azure-native:containerservice:AgentPool",
        "azure-native:kubernetesconfiguration:Extension",
        "azure-native:machinelearningservices:OnlineDeployment",
        "azure-native:monitor:AutoscaleSetting",
        "azure-native:machinelearningservices:BatchDeployment",
        "azure-native:authorization:PolicyAssignment",
    } <= types
    assert "hardened-aml:index:ComputeInstance" not in types  # personal instances are for exploration


def test_prod_clusters_are_dedicated():  # AML-REL-005
    for name, purpose in (("cpu-train", "Training"), ("cpu-batch", "BatchInference")):
        cluster = _one("prod", COMPUTE, computeName=name)
        props = cluster["inputs"]["properties"]
        assert props["computeType"] == "AmlCompute" and purpose in props["description"]
        assert props["properties"]["vmPriority"] == "Dedicated"
        assert props["properties"]["enableNodePublicIp"] is False
        assert props["properties"]["scaleSettings"]["minNodeCount"] == 0


def test_prod_plans_the_checkpoints_container_and_only_training_writes_it():  # AML-DAT-006, AML-DAT-007
    container = _one("prod", "azure-native:storage:BlobContainer", containerName="checkpoints")
    assert container["inputs"]["publicAccess"] == "None"
    account = _one("prod", "azure-native:storage:StorageAccount")
    assert container["inputs"]["accountName"] == account["inputs"]["accountName"]
    lifecycle = _one("prod", "azure-native:storage:ManagementPolicy")
    assert lifecycle["inputs"]["accountName"] == account["inputs"]["accountName"]
    assert lifecycle["inputs"]["managementPolicyName"] == "default"
    (rule,) = lifecycle["inputs"]["policy"]["rules"]
    assert rule["enabled"] is True and rule["type"] == "Lifecycle"
    assert rule["definition"]["filters"] == {"prefixMatch": ["checkpoints/"], "blobTypes": ["blockBlob"]}
    actions = rule["definition"]["actions"]
    # the stack's own days (hardened-aml:checkpoints), for current blobs and previous versions alike
    assert actions["baseBlob"] == {
        "tierToCool": {"daysAfterModificationGreaterThan": 30},
        "delete": {"daysAfterModificationGreaterThan": 180},
    }
    assert actions["version"] == {
        "tierToCool": {"daysAfterCreationGreaterThan": 30},
        "delete": {"daysAfterCreationGreaterThan": 180},
    }
    dev_rule = _one("dev", "azure-native:storage:ManagementPolicy")["inputs"]["policy"]["rules"][0]
    assert dev_rule["definition"]["actions"]["baseBlob"]["delete"] == {"daysAfterModificationGreaterThan": 90}
    # writers of the container: the two training clusters' identities, each with Storage Blob Data Contributor
    writers = [
        r
        for r in planned("prod")
        if r["type"] == "azure-native:authorization:RoleAssignment" and r["inputs"]["scope"] == container["id"]
    ]
    assert sorted(w["inputs"]["principalId"].split("-cl-")[-1] for w in writers) == ["cpu-train", "gpu-train"]
    assert {w["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1] for w in writers} == {
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
    }


def test_prod_attaches_zonal_aks():  # AML-AKS-001
    attach = _one("prod", COMPUTE, computeName="aks-inference")
    aks = _one("prod", "azure-native:containerservice:ManagedCluster")
    assert attach["inputs"]["properties"]["computeType"] == "Kubernetes"
    assert attach["inputs"]["properties"]["resourceId"] == aks["id"]
    assert aks["inputs"]["apiServerAccessProfile"]["enablePrivateCluster"] is True
    pools = [*aks["inputs"]["agentPoolProfiles"], _one("prod", "azure-native:containerservice:AgentPool")["inputs"]]
    assert all(p["availabilityZones"] == ["1", "2", "3"] and p["minCount"] >= 3 for p in pools)


def test_prod_online_endpoint_blue_green_with_autoscale():
    endpoint = _one("prod", "azure-native:machinelearningservices:OnlineEndpoint")
    assert endpoint["inputs"]["properties"]["traffic"] == {"blue": 90, "green": 10}  # AML-REL-004
    assert endpoint["inputs"]["properties"]["publicNetworkAccess"] == "Disabled"  # AML-NET-013
    assert endpoint["inputs"]["properties"]["authMode"] == "AADToken"  # AML-IAM-007
    deployments = {
        r["inputs"]["deploymentName"]: r
        for r in planned("prod")
        if r["type"] == "azure-native:machinelearningservices:OnlineDeployment"
    }
    assert set(deployments) == {"blue", "green"}
    for d in deployments.values():
        assert d["inputs"]["sku"]["capacity"] >= 3  # AML-REL-007
        assert d["inputs"]["properties"]["model"].startswith("azureml://registries/azureml/models/")
    targets = {
        r["inputs"]["targetResourceUri"]
        for r in planned("prod")
        if r["type"] == "azure-native:monitor:AutoscaleSetting"
    }
    assert targets == {d["id"] for d in deployments.values()}  # AML-CMP-004


def test_prod_batch_endpoint_runs_on_the_batch_cluster():
    deployment = _one("prod", "azure-native:machinelearningservices:BatchDeployment")
    assert deployment["inputs"]["properties"]["compute"] == _one("prod", COMPUTE, computeName="cpu-batch")["id"]
    endpoint = _one("prod", "azure-native:machinelearningservices:BatchEndpoint")
    assert endpoint["inputs"]["properties"]["defaults"] == {"deploymentName": "batch-v1"}


@pytest.mark.parametrize("stack", ["dev", "prod", "prod-dr"])
def test_governance_is_assigned_at_the_resource_group(stack):
    rg = _one(stack, "azure-native:resources:ResourceGroup")
    assignments = [r for r in planned(stack) if r["type"] == "azure-native:authorization:PolicyAssignment"]
    controls = {a["inputs"]["metadata"]["hardened-aml/control"] for a in assignments}
    assert {"AML-GOV-001", "AML-GOV-002", "AML-GOV-006", "AML-GOV-007", "AML-GOV-008"} <= controls
    assert all(a["inputs"]["scope"] == rg["id"] and a["inputs"]["enforcementMode"] == "Default" for a in assignments)


def test_dev_has_an_idle_shutdown_instance_and_a_cluster_that_scales_to_zero():
    instance = _one("dev", COMPUTE, computeName="ci-haml-dev-user1")["inputs"]
    assert instance["properties"]["computeType"] == "ComputeInstance"
    assert instance["properties"]["properties"]["idleTimeBeforeShutdown"] == "PT60M"  # AML-CMP-002
    assert instance["tags"]["hardened-aml/image-epoch"] == "2026-11-27"  # AML-GOV-007
    cluster = _one("dev", COMPUTE, computeName="cpu-train")["inputs"]
    assert cluster["properties"]["properties"]["scaleSettings"]["minNodeCount"] == 0  # AML-CMP-001
    assert cluster["properties"]["properties"]["vmPriority"] == "LowPriority"
    assert cluster["tags"]["hardened-aml/interruptible"] == "true"  # AML-REL-005: asked for by name
    assert not any(r["type"] == "azure-native:containerservice:ManagedCluster" for r in planned("dev"))


# Bad config: the whole program, exit 2 and one line naming the key and what is allowed (one per section) ...
@pytest.mark.parametrize(
    ("old", "new", "key", "allowed"),
    [
        ("        vmSize: Standard_D4s_v5\n", "        vmSize: Standard_M128s\n", "compute.clusters.1.vmSize",
         "Standard_D4s_v5"),
        ("        blue: 90\n", "        blue: 85\n", "inference.onlineEndpoint.traffic", "sum to 100"),
        ("    enforcement: Default\n", "    enforcement: Audit\n", "governance.enforcement",
         "one of Default, DoNotEnforce"),
    ],
    ids=["compute", "inference", "governance"],
)  # fmt: skip
def test_bad_section_is_one_line_and_exit_2(tmp_path, old, new, key, allowed):
    (tmp_path / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    text = (ROOT / "stacks" / "Pulumi.prod.yaml").read_text()
    assert old in text
    (tmp_path / "stacks" / "Pulumi.prod.yaml").write_text(text.replace(old, new, 1))
    result = _plan("prod", project_dir=tmp_path, main=str(ROOT))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"hardened-aml:{key}:" in lines[0] and allowed in lines[0], lines


# ... and the rules of each key, on the parsed stack file (no engine needed).
def _values(stack: str) -> dict[str, Any]:
    config = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k.partition(":")[2]: v for k, v in config.items() if k.startswith("hardened-aml:")}


def _refused(stack: str, edit: Any) -> InvalidInputError:
    values = _values(stack)
    edit(values)
    with pytest.raises(InvalidInputError) as caught:
        parse(values)
    assert "\n" not in str(caught.value)
    return caught.value


@pytest.mark.parametrize("stack", ["dev", "prod", "prod-dr"])
def test_stack_files_parse(stack):
    settings = parse(_values(stack))
    assert settings["compute"]["clusters"]  # type: ignore[typeddict-item]


def _set(path: str, value: Any) -> Any:
    def edit(values: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = values
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return edit


@pytest.mark.parametrize(
    ("stack", "path", "value", "key", "allowed"),
    [
        ("dev", "compute.clusters.0.tier", "Spot", "compute.clusters.0.tier",
         "one of Dedicated, LowPriorityInterruptible"),
        ("dev", "compute.clusters.0.maxNodes", 50, "compute.clusters.0.maxNodes", "an integer from 1 to 10"),
        ("dev", "compute.clusters.0.idleBeforeScaleDown", "PT2H", "compute.clusters.0.idleBeforeScaleDown", "PT30M"),
        ("dev", "compute.clusters.0.gpu", True, "compute.clusters.0.gpu", "one of name, vmSize"),
        ("dev", "compute.instances.0.imageEpoch", "2999-01-01", "compute.instances.0.imageEpoch", "AML-GOV-007"),
        ("dev", "compute.instances.0.idleTimeBeforeShutdown", "PT5M", "compute.instances.0.idleTimeBeforeShutdown",
         "PT15M to P3D"),
        ("dev", "compute.instances.0.name", "cpu-train", "compute.instances.0.name", "not used by another"),
        ("prod", "inference.aks.podCidr", "10.41.0.0/16", "inference.aks.podCidr", "network.addressSpace"),
        ("prod", "inference.aks.serviceCidr", "10.244.0.0/20", "inference.aks.serviceCidr", "podCidr"),
        ("prod", "inference.aks.transport", "http", "inference.aks.transport",
         "one of https, http-insecure-for-testing"),
        ("prod", "inference.aks.tls", None, "inference.aks.tls", "cname and secretName"),
        ("prod", "inference.aks.routerExposure", "public", "inference.aks.routerExposure", "internalLoadBalancer"),
        ("prod", "inference.aks.inferencePool.minCount", 1, "inference.aks.inferencePool.minCount", "3 or more"),
        ("prod", "inference.onlineEndpoint.authMode", "None", "inference.onlineEndpoint.authMode",
         "one of AADToken, Key"),
        ("prod", "inference.onlineEndpoint.traffic", {"blue": 90, "purple": 10},
         "inference.onlineEndpoint.traffic.purple", "blue, green"),
        ("prod", "inference.onlineEndpoint.deployments.1.stage", "New", "inference.onlineEndpoint.traffic.green",
         "stage Existing"),
        ("prod", "inference.onlineEndpoint.deployments.0.instanceCount", 2,
         "inference.onlineEndpoint.deployments.0.instanceCount", "3 or more"),
        ("prod", "inference.onlineEndpoint.deployments.0.model", "azureml://registries/other/models/m/versions/1",
         "inference.onlineEndpoint.deployments.0.model", "governance.allowedModelRegistry"),
        ("prod", "inference.batchEndpoint.cluster", "cpu-train", "inference.batchEndpoint.cluster", "cpu-batch"),
        ("prod", "governance.allowedPythonIndexes", ["http://pypi.org/simple"], "governance.allowedPythonIndexes.0",
         "https"),
        ("prod", "governance.enforcement", "Off", "governance.enforcement", "one of Default, DoNotEnforce"),
        ("prod", "checkpoints.deleteAfterDays", 30, "checkpoints.deleteAfterDays",
         "more days than the 30 after which checkpoints cool"),
        ("prod", "checkpoints.coolAfterDays", 0, "checkpoints.coolAfterDays", "1"),
        ("prod", "checkpoints.keepDays", 7, "checkpoints.keepDays", "coolAfterDays"),
        ("dev", "compute.clusters.0.tier", "LowPriority", "compute.clusters.0.tier",
         "one of Dedicated, LowPriorityInterruptible"),
    ],
)  # fmt: skip
def test_bad_key_is_named_with_what_is_allowed(stack, path, value, key, allowed):
    err = _refused(stack, _set(path, value))
    assert err.key == f"hardened-aml:{key}", str(err)
    assert allowed in err.allowed, str(err)


def test_traffic_must_sum_to_100():
    err = _refused("prod", _set("inference.onlineEndpoint.traffic", {"blue": 90, "green": 5}))
    assert err.key == "hardened-aml:inference.onlineEndpoint.traffic" and "sum to 100" in err.allowed


def test_defender_for_storage_is_named_by_its_stack_key():
    """AML-DAT-009: never off in production; a boolean, not a word, elsewhere."""
    err = _refused("prod", lambda values: values.update(storage={"defenderForStorage": False}))
    assert err.key == "hardened-aml:storage.defenderForStorage" and "AML-DAT-009" in err.allowed
    err = _refused("dev", lambda values: values.update(storage={"defenderForStorage": "sometimes"}))
    assert err.key == "hardened-aml:storage.defenderForStorage"
    err = _refused("dev", lambda values: values.update(storage={"defender": True}))
    assert err.key.startswith("hardened-aml:storage")
    assert parse({**_values("dev"), "storage": {"defenderForStorage": True}})["storage"] == {
        "defender_for_storage": True
    }


def test_mirror_traffic_at_most_50():
    err = _refused("prod", _set("inference.onlineEndpoint.mirrorTraffic", {"green": 60}))
    assert err.key.startswith("hardened-aml:inference.onlineEndpoint.mirrorTraffic")


# --- issue 7: the first `pulumi up` of the shipped stacks -------------------------------------------------
WORKSPACE = "azure-native:machinelearningservices:Workspace"


@pytest.mark.parametrize("stack", ["dev", "prod", "prod-dr"])
def test_stack_provisions_the_managed_network_with_the_private_workspace(stack):  # AML-NET-002
    ws = _one(stack, WORKSPACE)["inputs"]
    assert ws["provisionNetworkNow"] is True and ws["publicNetworkAccess"] == "Disabled"
    # No FQDN rule in the shipped stacks: no billed firewall (AML-COST-003).
    assert "outboundRules" not in ws["managedNetwork"]


@pytest.mark.parametrize("stack", ["dev", "prod", "prod-dr"])
def test_stack_builds_images_on_its_training_cluster(stack):  # AML-NET-015
    ws = _one(stack, WORKSPACE)
    cluster = _one(stack, COMPUTE, computeName=ws["inputs"]["imageBuildCompute"])
    assert cluster["inputs"]["properties"]["computeType"] == "AmlCompute"
    assert cluster["inputs"]["workspaceName"] == ws["inputs"]["workspaceName"]


def test_prod_attaches_aks_after_its_ml_extension():  # AML-AKS-009
    attach = _one("prod", COMPUTE, computeName="aks-inference")
    extension = _one("prod", "azure-native:kubernetesconfiguration:Extension")
    assert extension["urn"] in attach["dependencies"]


@pytest.mark.parametrize("stack", ["dev", "prod", "prod-dr"])
def test_stack_resource_options_carry_the_replacement_decisions(stack):
    ws = _one(stack, WORKSPACE)
    assert "hbiWorkspace" in ws["replace_on_changes"]
    for compute in (r for r in _custom(stack) if r["type"] == COMPUTE):
        kind = compute["inputs"]["properties"]["computeType"]
        if kind in ("AmlCompute", "ComputeInstance"):
            assert "properties.properties.vmSize" in compute["replace_on_changes"], compute["name"]


# --- issue 16: disaster recovery in the paired region ------------------------------------------------------------
def test_prod_dr_is_prod_in_the_paired_region_on_its_own_addresses():  # AML-REL-106
    from hardened_aml.regions import paired_region

    prod, dr = _values("prod"), _values("prod-dr")
    assert dr["environment"] == prod["environment"] == "production"
    assert dr["location"] == paired_region(prod["location"]) == "northeurope"
    assert _one("prod-dr", WORKSPACE)["inputs"]["location"] == "northeurope"
    spaces = {stack: ipaddress.ip_network(_values(stack)["network"]["addressSpace"]) for stack in STACKS}
    for a, b in itertools.combinations(STACKS, 2):
        assert not spaces[a].overlaps(spaces[b]), (a, b)
    # Smaller clusters than prod's, and no second Azure ML registry (prod's spans both regions).
    sizes = {c["name"]: c["maxNodes"] for c in prod["compute"]["clusters"]}
    assert all(c["maxNodes"] <= sizes[c["name"]] for c in dr["compute"]["clusters"])
    assert "mlRegistry" not in dr
    assert not [r for r in planned("prod-dr") if r["type"] == ML_REGISTRY]


@pytest.mark.parametrize(("stack", "replica"), [("prod", "northeurope"), ("prod-dr", "westeurope")])
def test_production_registry_replicates_into_the_paired_region(stack, replica):  # AML-REL-010, AML-REL-012
    registry = _one(stack, "azure-native:containerregistry:Registry")
    (replication,) = [r for r in planned(stack) if r["type"] == REPLICATION]
    assert replication["inputs"]["location"] == replica
    assert replication["inputs"]["zoneRedundancy"] == "Enabled" and replication["inputs"]["regionEndpointEnabled"]
    assert replication["inputs"]["registryName"] == registry["inputs"]["registryName"]


def test_prod_ml_registry_spans_both_regions_privately():  # AML-REL-011, AML-NET-017, AML-NET-018
    registry = _one("prod", ML_REGISTRY)
    inputs = registry["inputs"]
    assert inputs["publicNetworkAccess"] == "Disabled"
    assert [d["location"] for d in inputs["regionDetails"]] == ["westeurope", "northeurope"]
    for details in inputs["regionDetails"]:
        (storage,) = details["storageAccountDetails"]
        assert storage["systemCreatedStorageAccount"]["allowBlobPublicAccess"] is False
        (acr,) = details["acrDetails"]
        assert acr["systemCreatedAcrAccount"]["acrAccountSku"] == "Premium"
    (endpoint,) = [
        r
        for r in planned("prod")
        if r["type"] == "azure-native:network:PrivateEndpoint"
        and r["inputs"]["privateLinkServiceConnections"][0]["groupIds"] == ["amlregistry"]
    ]
    assert endpoint["inputs"]["privateLinkServiceConnections"][0]["privateLinkServiceId"] == registry["id"]
    (group,) = [
        r
        for r in planned("prod")
        if r["type"] == "azure-native:network:PrivateDnsZoneGroup"
        and r["inputs"]["privateEndpointName"] == endpoint["inputs"]["privateEndpointName"]
    ]
    zone = _one("prod", "azure-native:privatedns:PrivateZone", privateZoneName="privatelink.api.azureml.ms")
    assert [c["privateDnsZoneId"] for c in group["inputs"]["privateDnsZoneConfigs"]] == [zone["id"]]


@pytest.mark.parametrize(
    ("section", "value", "key", "allowed"),
    [
        ("registry", {"replicaLocations": ["westeurope"]}, "registry.replicaLocations.0", "other than"),
        ("registry", {"replicaLocations": ["francesouth"]}, "registry.replicaLocations.0", "northeurope"),
        ("registry", {"replicaLocations": ["northeurope", "northeurope"]}, "registry.replicaLocations.1",
         "not already listed"),
        ("mlRegistry", {"replicaLocations": ["atlantis"]}, "mlRegistry.replicaLocations.0", "an Azure region"),
        ("mlRegistry", {"replicaLocations": ["westeurope"]}, "mlRegistry.replicaLocations.0", "other than"),
        ("mlRegistry", {"regions": ["northeurope"]}, "mlRegistry.regions", "replicaLocations"),
    ],
)  # fmt: skip
def test_bad_dr_settings_are_refused_in_words(section, value, key, allowed):
    err = _refused("prod", _set(section, value))
    assert err.key == f"hardened-aml:{key}" and allowed in str(err), str(err)


def test_an_ml_registry_in_a_region_without_a_pair_names_its_second_region():
    def edit(values: dict[str, Any]) -> None:
        values.update(location="italynorth", mlRegistry={})
        values.pop("registry")

    err = _refused("prod", edit)
    assert err.key == "hardened-aml:mlRegistry.replicaLocations" and "no paired region" in str(err)
