from __future__ import annotations

from typing import Any

import pulumi
import pulumi_azure_native.machinelearningservices as ml
import pytest
from component_plan import RG_ID, TAGS, UAI_ID, refused

from hardened_aml.batch_endpoint import BatchDeployment, BatchEndpoint, BatchEndpointArgs, LoggingLevel, OutputAction
from hardened_aml.errors import MISSING
from hardened_aml.online_endpoint import DeploymentStage
from hardened_aml.testing.engine import install, run
from tests.pack_check import mandatory, violations

MODEL = RG_ID + "/providers/Microsoft.MachineLearningServices/workspaces/mlw-test/models/mnist/versions/1"
COMPUTE_ID = RG_ID + "/providers/Microsoft.MachineLearningServices/workspaces/mlw-test/computes/cpu-batch"
ENDPOINT = "azure-native:machinelearningservices:BatchEndpoint"
DEPLOYMENT = "azure-native:machinelearningservices:BatchDeployment"


def _spec(**overrides: Any) -> BatchDeployment:
    values: dict[str, Any] = dict(name="mnist", model=MODEL)
    values.update(overrides)
    return BatchDeployment(**values)


def _args(**overrides: Any) -> BatchEndpointArgs:
    values: dict[str, Any] = dict(
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
    return BatchEndpointArgs(**values)


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


def test_every_deployment_setting_reaches_the_plan(plan):
    spec = _spec(
        stage=DeploymentStage.EXISTING,
        instance_count=2,
        mini_batch_size=5,
        max_concurrency_per_instance=2,
        environment_id="azureml:env:1",
        code_id="azureml:code:1",
        scoring_script="score.py",
        max_retries=1,
        retry_timeout="PT60S",
        error_threshold=5,
        logging_level=LoggingLevel.DEBUG,
        output_action=OutputAction.SUMMARY_ONLY,
        output_file_name="o.csv",
    )
    p = plan(lambda: BatchEndpoint("batch", _args(deployment=spec, description="nightly scoring")))
    assert p.one(ENDPOINT).inputs["properties"]["description"] == "nightly scoring"
    props = p.one(DEPLOYMENT).inputs["properties"]
    assert props["codeConfiguration"] == {"codeId": "azureml:code:1", "scoringScript": "score.py"}
    assert props["environmentId"] == "azureml:env:1"
    assert props["resources"] == {"instanceCount": 2}
    assert props["retrySettings"] == {"maxRetries": 1, "timeout": "PT60S"}
    assert (props["miniBatchSize"], props["maxConcurrencyPerInstance"], props["errorThreshold"]) == (5, 2, 5)
    assert (props["loggingLevel"], props["outputAction"], props["outputFileName"]) == ("Debug", "SummaryOnly", "o.csv")


def test_name_wins_over_the_estate_endpoint_name(plan):
    p = plan(lambda: BatchEndpoint("batch", _args(name="bep-chosen")))
    assert p.one(ENDPOINT).inputs["endpointName"] == "bep-chosen"


def test_an_endpoint_name_is_required():
    err = refused(lambda: BatchEndpoint("batch", _args(endpoint_name=None)))
    assert (err.key, err.value) == ("batch.name", MISSING)


def test_code_and_scoring_script_together():
    err = refused(lambda: BatchEndpoint("batch", _args(deployment=_spec(code_id="azureml:code:1"))))
    assert (err.key, err.value) == ("batch.deployment.scoring_script", MISSING)
    assert "together, or neither" in err.allowed


def test_a_compute_id_known_at_deployment_is_checked_when_it_resolves():
    """A wired compute id is judged when its value is known: the update fails with the same one-line error."""
    vm = RG_ID + "/providers/Microsoft.Compute/virtualMachines/vm"
    monitor = install("hardened-aml", "test", {})
    with pytest.raises(Exception) as caught:
        run(monitor, lambda: BatchEndpoint("batch", _args(compute_id=pulumi.Output.from_input(vm))))
    assert f"compute_id: got {vm!r}; allowed: the ARM id of a compute cluster" in str(caught.value)


@pytest.mark.parametrize(
    ("change", "key", "value"),
    [
        (dict(endpoint_name="-bad"), "batch.endpoint_name", "-bad"),
        (dict(compute_id=RG_ID + "/providers/Microsoft.Compute/virtualMachines/vm"), "batch.compute_id",
         RG_ID + "/providers/Microsoft.Compute/virtualMachines/vm"),
        (dict(environment="staging"), "batch.environment", "staging"),
        (dict(deployment=_spec(name="no_underscores")), "batch.deployment.name", "no_underscores"),
        (dict(deployment=_spec(model="")), "batch.deployment.model", ""),
        (dict(deployment=_spec(instance_count=0)), "batch.deployment.instance_count", 0),
        (dict(deployment=_spec(mini_batch_size=0)), "batch.deployment.mini_batch_size", 0),
        (dict(deployment=_spec(max_concurrency_per_instance=0)), "batch.deployment.max_concurrency_per_instance", 0),
        (dict(deployment=_spec(max_retries=-1)), "batch.deployment.max_retries", -1),
        (dict(deployment=_spec(error_threshold=-2)), "batch.deployment.error_threshold", -2),
        (dict(deployment=_spec(logging_level="Verbose")), "batch.deployment.logging_level", "Verbose"),
        (dict(deployment=_spec(output_action="Overwrite")), "batch.deployment.output_action", "Overwrite"),
        (dict(deployment=_spec(retry_timeout="30s")), "batch.deployment.retry_timeout", "30s"),
        (dict(deployment=_spec(stage="Live")), "batch.deployment.stage", "Live"),
        (dict(deployment=_spec(cluster="cpu-batch")), "batch.deployment.cluster", "cpu-batch"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_before_any_resource(change, key, value):
    err = refused(lambda: BatchEndpoint("batch", _args(**change)))
    assert (err.key, err.value) == (key, value)
