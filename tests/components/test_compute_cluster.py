from __future__ import annotations

from typing import Any

import pulumi
import pytest
from component_plan import LAW_ID, RG_ID, TAGS, UAI_ID, refused

from hardened_aml.catalogue import MANAGED_NETWORK_TAG
from hardened_aml.compute_cluster import DEFAULT_VM_SIZES, ComputeCluster, ComputeClusterArgs
from hardened_aml.workspace import Workspace, WorkspaceArgs
from tests.pack_check import mandatory, violations

COMPUTE = "azure-native:machinelearningservices:Compute"
SUBNET_ID = RG_ID + "/providers/Microsoft.Network/virtualNetworks/vnet-test/subnets/snet-compute"
# Stack policies about resources outside this test: the workspace's private endpoints are the estate's
# (tests/components/test_estate.py checks them there).
OUTSIDE = ["aml-net-003-workspace-private-endpoint", "aml-net-008-dependency-private-endpoints"]


def _workspace() -> Workspace:
    return Workspace(
        "ws",
        WorkspaceArgs(
            resource_group_name="rg-test",
            location="westeurope",
            workspace_name="mlw-test",
            identity_id=UAI_ID,
            storage_account_id=RG_ID + "/providers/Microsoft.Storage/storageAccounts/sttest",
            key_vault_id=RG_ID + "/providers/Microsoft.KeyVault/vaults/kv-test",
            key_identifier="https://kv-test.vault.azure.net/keys/cmk/0123",
            container_registry_id=RG_ID + "/providers/Microsoft.ContainerRegistry/registries/crtest",
            application_insights_id=RG_ID + "/providers/Microsoft.Insights/components/appi-test",
            log_analytics_workspace_id=LAW_ID,
            tags=TAGS,
        ),
    )


def _args(workspace_name: pulumi.Input[str] = "mlw-test", **overrides: Any) -> ComputeClusterArgs:
    values: dict[str, Any] = dict(
        resource_group_name="rg-test",
        location="westeurope",
        workspace_name=workspace_name,
        name="cpu-train",
        identity_id=UAI_ID,
        vm_size="Standard_D4s_v5",
        max_nodes=4,
        tags=TAGS,
    )
    values.update(overrides)
    return ComputeClusterArgs(**values)


def test_children_and_hardened_inputs(plan):
    p = plan(lambda: ComputeCluster("train", _args()))
    component = p.one("hardened-aml:index:ComputeCluster")
    compute = p.one(COMPUTE)
    assert p.types() == sorted(["hardened-aml:index:ComputeCluster", COMPUTE])
    assert compute.name == "train-cluster"
    assert compute.parent == component.urn
    i = compute.inputs
    assert (i["computeName"], i["workspaceName"], i["resourceGroupName"]) == ("cpu-train", "mlw-test", "rg-test")
    assert i["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [UAI_ID]}  # AML-IAM-008
    assert i["tags"] == {**TAGS, MANAGED_NETWORK_TAG: "true"}  # its workspace's managed network (AML-NET-011)
    outer = i["properties"]
    assert outer["computeType"] == "AmlCompute"
    assert outer["disableLocalAuth"] is True  # AML-IAM-002
    props = outer["properties"]
    assert props == {
        "vmSize": "Standard_D4s_v5",
        "vmPriority": "Dedicated",  # AML-REL-005
        "osType": "Linux",
        "enableNodePublicIp": False,  # AML-NET-009
        "remoteLoginPortPublicAccess": "Disabled",  # AML-NET-010
        "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 4, "nodeIdleTimeBeforeScaleDown": "PT15M"},
    }
    assert "subnet" not in props  # managed VNet: no subnet
    assert "properties.properties.vmSize" in compute.replace_on_changes
    assert "identity" in compute.replace_on_changes
    assert not any("scaleSettings" in path for path in compute.replace_on_changes)


def test_alone_on_an_existing_managed_vnet_workspace_passes_the_pack(plan):
    """Issue 14: the workspace is outside the program, so the cluster states its managed network by the tag its
    workspace_managed_network input sets, and the pack reads it (AML-NET-011)."""
    p = plan(lambda: ComputeCluster("train", _args()))
    compute = p.one(COMPUTE)
    assert compute.inputs["tags"][MANAGED_NETWORK_TAG] == "true"
    assert mandatory(p.resources) == []
    # Without the statement the pack cannot verify the network, and says how to state it.
    compute.inputs["tags"].pop(MANAGED_NETWORK_TAG)
    flagged = [d for d in violations(p.resources) if d.policy == "aml-net-011-compute-in-virtual-network"]
    assert len(flagged) == 1 and MANAGED_NETWORK_TAG in flagged[0].message


def test_passes_the_whole_pack_in_its_workspace(plan):
    def program() -> None:
        ws = _workspace()
        ComputeCluster("train", _args(workspace_name=ws.workspace_name))

    p = plan(program)
    compute = p.one(COMPUTE)
    assert p.one("azure-native:machinelearningservices:Workspace").urn in compute.property_dependencies["workspaceName"]
    assert mandatory(p.resources, ignore=OUTSIDE) == []
    # Advisory rules (scale to zero, sizes, tier, tags) pass too: nothing at all is reported on the cluster.
    assert [d for d in violations(p.resources) if d.urn == compute.urn] == []


def test_interruptible_low_priority_is_asked_for_by_name_and_tagged(plan):
    p = plan(lambda: ComputeCluster("train", _args(tier="LowPriorityInterruptible")))
    compute = p.one(COMPUTE)
    assert compute.inputs["properties"]["properties"]["vmPriority"] == "LowPriority"
    assert compute.inputs["tags"] == {**TAGS, "hardened-aml/interruptible": "true", MANAGED_NETWORK_TAG: "true"}
    assert [d for d in violations(p.resources) if d.policy.startswith("aml-rel-005")] == []  # accepts the tag


def test_batch_inference_cluster_is_dedicated(plan):
    p = plan(lambda: ComputeCluster("batch", _args(name="cpu-batch", purpose="BatchInference")))
    assert p.one(COMPUTE).inputs["properties"]["properties"]["vmPriority"] == "Dedicated"
    err = refused(lambda: ComputeCluster("batch", _args(purpose="BatchInference", tier="LowPriorityInterruptible")))
    assert (err.key, err.value) == ("batch.tier", "LowPriorityInterruptible")
    assert "batch-inference cluster is never low priority" in err.allowed


def test_customer_vnet_takes_a_subnet_and_waits_for_the_private_endpoint(plan):
    def program() -> None:
        endpoint = pulumi.CustomResource("azure-native:network:PrivateEndpoint", "pep-mlw", {"subnet": None})
        ComputeCluster(
            "train",
            _args(workspace_managed_network=False, subnet_id=SUBNET_ID),
            opts=pulumi.ResourceOptions(depends_on=[endpoint]),
        )

    p = plan(program)
    compute = p.one(COMPUTE)
    assert compute.inputs["properties"]["properties"]["subnet"] == {"id": SUBNET_ID}
    assert p.one("azure-native:network:PrivateEndpoint").urn in compute.dependencies


def test_configurable_idle_time_and_allow_list(plan):
    p = plan(
        lambda: ComputeCluster(
            "train",
            _args(
                vm_size="standard_nc6s_v3",  # Azure compares sizes case-insensitively
                idle_before_scale_down="PT1H",
                max_idle_before_scale_down="PT2H",
                max_nodes=20,
                max_nodes_limit=32,
            ),
        )
    )
    scale = p.one(COMPUTE).inputs["properties"]["properties"]["scaleSettings"]
    assert scale == {"minNodeCount": 0, "maxNodeCount": 20, "nodeIdleTimeBeforeScaleDown": "PT1H"}


def test_default_allow_list_is_the_packs():
    from aml_policies.compute import DEFAULT_VM_SIZES as PACK_SIZES

    assert DEFAULT_VM_SIZES == PACK_SIZES


@pytest.mark.parametrize(
    ("overrides", "key", "value"),
    [
        ({"subnet_id": SUBNET_ID}, "train.subnet_id", SUBNET_ID),
        ({"workspace_managed_network": False}, "train.subnet_id", None),
        ({"vm_size": "Standard_M128s"}, "train.vm_size", "Standard_M128s"),
        ({"max_nodes": 11}, "train.max_nodes", 11),
        ({"max_nodes": 0}, "train.max_nodes", 0),
        ({"idle_before_scale_down": "15 minutes"}, "train.idle_before_scale_down", "15 minutes"),
        ({"idle_before_scale_down": "PT45M"}, "train.idle_before_scale_down", "PT45M"),
        ({"idle_before_scale_down": "PT0S"}, "train.idle_before_scale_down", "PT0S"),
        ({"max_idle_before_scale_down": "soon"}, "train.max_idle_before_scale_down", "soon"),
        ({"tier": "LowPriority"}, "train.tier", "LowPriority"),
        ({"purpose": "Inference"}, "train.purpose", "Inference"),
        ({"name": "1cluster"}, "train.name", "1cluster"),
        ({"name": "cpu-cluster-1"}, "train.name", "cpu-cluster-1"),
        ({"name": "a" * 25}, "train.name", "a" * 25),
        ({"max_nodes": "four"}, "train.max_nodes", "four"),
        ({"colour": "blue"}, "train.colour", "blue"),
        ({"tags": {**TAGS, "hardened-aml/interruptible": "true"}}, "train.tags", "hardened-aml/interruptible"),
    ],
)
def test_bad_input_is_refused_before_any_resource(overrides, key, value):
    err = refused(lambda: ComputeCluster("train", _args(**overrides)))
    assert (err.key, err.value) == (key, value)


def test_managed_vnet_and_subnet_error_names_the_pitfall():
    err = refused(lambda: ComputeCluster("train", _args(subnet_id=SUBNET_ID)))
    assert "compute in a managed VNet takes no subnet" in str(err)


# --- the DistributedGpu profile (issue 16, training at scale) -------------------------------------------------
def test_the_distributed_gpu_profile_takes_an_infiniband_size_and_keeps_the_hardening(plan):
    p = plan(
        lambda: ComputeCluster(
            "gpu", _args(name="gpu-train", profile="DistributedGpu", vm_size="Standard_ND96asr_v4", max_nodes=2)
        )
    )
    compute = p.one(COMPUTE)
    props = compute.inputs["properties"]["properties"]
    assert props["vmSize"] == "Standard_ND96asr_v4" and props["vmPriority"] == "Dedicated"
    assert props["enableNodePublicIp"] is False and props["remoteLoginPortPublicAccess"] == "Disabled"
    assert props["scaleSettings"]["minNodeCount"] == 0
    assert compute.inputs["properties"]["disableLocalAuth"] is True
    assert compute.inputs["identity"]["type"] == "UserAssigned"
    assert mandatory(p.resources) == []


@pytest.mark.parametrize(
    ("overrides", "key", "allowed"),
    [
        ({"vm_size": "Standard_ND96asr_v4"}, "train.vm_size", "only with profile DistributedGpu, by name"),
        ({"profile": "DistributedGpu", "vm_size": "Standard_NC24ads_A100_v4"}, "train.vm_size", "Standard_ND96asr_v4"),
        (
            {"profile": "DistributedGpu", "vm_size": "Standard_ND96asr_v4", "purpose": "BatchInference"},
            "train.purpose",
            "the DistributedGpu profile is for training",
        ),
    ],
)
def test_infiniband_sizes_only_by_name_and_for_training(overrides, key, allowed):
    err = refused(lambda: ComputeCluster("train", _args(**overrides)))
    assert err.key == key and allowed in err.allowed, (err.key, err.allowed)
