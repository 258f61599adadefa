from __future__ import annotations

import pulumi
import pulumi_azure_native.machinelearningservices as ml
import pytest
from component_plan import RG_ID, TAGS, UAI_ID, refused

from hardened_aml.batch_endpoint import BatchDeploymentSpec, BatchEndpoint, BatchEndpointArgs
from hardened_aml.online_endpoint import DeploymentStage
from tests.pack_check import mandatory, violations

MODEL = RG_ID + "/providers/Microsoft.MachineLearningServices/workspaces/mlw-test/models/mnist/versions/1"
COMPUTE_ID = RG_ID + "/providers/Microsoft.MachineLearningServices/workspaces/mlw-test/computes/cpu-batch"
ENDPOINT = "azure-native:machinelearningservices:BatchEndpoint"
DEPLOYMENT = "azure-native:machinelearningservices:BatchDeployment"


def _spec(**overrides: object) -> BatchDeploymentSpec:
    values: dict[str, object] = dict(name="mnist", model=MODEL)
    values.update(overrides)
    return BatchDeploymentSpec(**values)  # type: ignore[arg-type]


def _args(**overrides: object) -> BatchEndpointArgs:
    values: dict[str, object] = dict(
        resource_group_name="rg-test",
        workspace_name="mlw-test",
        location="westeurope",
        endpoint_name="bep-test",
        identity_id=UAI_ID,
        compute_id=COMPUTE_ID,
        deployment=_spec(),
        tags=TAGS,
    )
    values.update(overrides)
    return BatchEndpointArgs(**values)  # type: ignore[arg-type]


def test_children_and_hardened_inputs(plan):
    p = plan(lambda: BatchEndpoint("batch", _args()))
    component = p.one("hardened-aml:index:BatchEndpoint")
    assert p.types() == sorted(["hardened-aml:index:BatchEndpoint", ENDPOINT, DEPLOYMENT])
    endpoint, deployment = p.one(ENDPOINT), p.one(DEPLOYMENT)
    assert (endpoint.name, deployment.name) == ("batch-endpoint", "batch-mnist")
    assert endpoint.parent == component.urn and deployment.parent == component.urn

    e = endpoint.inputs
    assert e["endpointName"] == "bep-test"
    assert e["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [UAI_ID]}
    assert e["properties"] == {"authMode": "AADToken"}  # AML-IAM-007; no default until the deployment exists
    assert e["tags"] == TAGS

    d = deployment.inputs
    assert d["deploymentName"] == "mnist"
    assert d["endpointName"] == "bep-test"
    assert deployment.property_dependencies["endpointName"] == [endpoint.urn]
    assert not set(endpoint.dependencies) & {deployment.urn}
    props = d["properties"]
    assert props["compute"] == COMPUTE_ID  # AML-REL-005
    assert props["model"] == {"referenceType": "Id", "assetId": MODEL}  # camelCase: built with its Args class
    assert props["resources"] == {"instanceCount": 1}
    assert props["retrySettings"] == {"maxRetries": 3, "timeout": "PT30S"}
    assert (props["miniBatchSize"], props["maxConcurrencyPerInstance"], props["errorThreshold"]) == (10, 1, -1)
    assert (props["loggingLevel"], props["outputAction"], props["outputFileName"]) == (
        "Info",
        "AppendRow",
        "predictions.csv",
    )
    assert d["tags"] == TAGS
    assert mandatory(p.resources) == []


def test_existing_deployment_becomes_the_default(plan):
    p = plan(lambda: BatchEndpoint("batch", _args(deployment=_spec(stage=DeploymentStage.EXISTING))))
    assert p.one(ENDPOINT).inputs["properties"]["defaults"] == {"deploymentName": "mnist"}


def test_endpoint_without_deployment(plan):
    p = plan(lambda: BatchEndpoint("batch", _args(deployment=None)))
    assert p.types() == sorted(["hardened-aml:index:BatchEndpoint", ENDPOINT])


def _with_cluster(priority: str) -> None:
    cluster = ml.Compute(
        "cluster",
        compute_name="cpu-batch",
        resource_group_name="rg-test",
        workspace_name="mlw-test",
        location="westeurope",
        properties=ml.AmlComputeArgs(
            compute_type="AmlCompute",
            disable_local_auth=True,
            properties=ml.AmlComputePropertiesArgs(
                vm_priority=priority,
                vm_size="Standard_DS3_v2",
                enable_node_public_ip=False,
                remote_login_port_public_access="Disabled",
                scale_settings=ml.ScaleSettingsArgs(max_node_count=2, min_node_count=0),
            ),
        ),
        tags=TAGS,
    )
    BatchEndpoint("batch", _args(compute_id=cluster.id), opts=pulumi.ResourceOptions())


def test_the_pack_relates_the_deployment_to_its_cluster(plan):
    """The deployment takes the cluster's id: on a Dedicated cluster AML-REL-005 holds, on LowPriority it fails."""
    dedicated = plan(lambda: _with_cluster("Dedicated"))
    found = [d.policy for d in violations(dedicated.resources)]
    assert not [f for f in found if "rel-005" in f]
    low = plan(lambda: _with_cluster("LowPriority"))
    assert any("batch-deployment-dedicated-compute" in d.policy for d in violations(low.resources))


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (dict(endpoint_name="-bad"), "batch.endpoint_name"),
        (dict(compute_id=RG_ID + "/providers/Microsoft.Compute/virtualMachines/vm"), "batch.compute_id"),
        (dict(deployment=_spec(name="no_underscores")), "batch.deployment.name"),
        (dict(deployment=_spec(model="")), "batch.deployment.model"),
        (dict(deployment=_spec(instance_count=0)), "batch.deployment.instance_count"),
        (dict(deployment=_spec(logging_level="Verbose")), "batch.deployment.logging_level"),
        (dict(deployment=_spec(output_action="Overwrite")), "batch.deployment.output_action"),
        (dict(deployment=_spec(retry_timeout="30s")), "batch.deployment.retry_timeout"),
        (dict(deployment=_spec(code_id="azureml:code:1")), "batch.deployment.scoring_script"),
        (dict(deployment=_spec(stage="Live")), "batch.deployment.stage"),
    ],
)
def test_bad_input_is_refused_before_any_resource(change, key):
    assert refused(lambda: BatchEndpoint("batch", _args(**change))).key == key
