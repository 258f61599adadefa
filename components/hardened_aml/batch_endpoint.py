"""A batch endpoint with a model deployment on a Dedicated compute cluster.

Property names, enum values and defaults: REST spec ``Microsoft.MachineLearningServices/stable/2025-12-01/
mfe.json`` (the API version pulumi-azure-native 3.29.0 uses): ``BatchEndpoint`` (``authMode``,
``defaults.deploymentName``: "This deployment will end up getting 100% traffic when the endpoint scoring URL
is invoked"), ``BatchDeployment`` (``compute``, ``model``: ``AssetReferenceBase`` with ``referenceType`` Id |
DataPath | OutputPath, ``errorThreshold`` default -1, ``loggingLevel`` Info | Warning | Debug,
``outputAction`` SummaryOnly | AppendRow, ``miniBatchSize`` default 10, ``maxConcurrencyPerInstance``
default 1, ``retrySettings``: ``BatchRetrySettings`` max 3 retries, timeout PT30S, ``resources``:
``DeploymentResourceConfiguration``). ``model`` is a union in the SDK: it is built with
``ml.IdAssetReferenceArgs``.

Authentication: "Currently only Microsoft Entra token-based authentication is supported" for batch
endpoints (learn.microsoft.com "CLI (v2) batch endpoint YAML schema", ``auth_mode: aad_token``), so the mode
is fixed to ``AADToken`` (control AML-IAM-007) rather than offered as a choice.

Compute: the deployment runs on a compute cluster given by id. Batch inference runs on a Dedicated
cluster (control AML-REL-005): pass the id of a cluster built with Dedicated priority (the compute-cluster
component guarantees it); the pack's ``batch-deployment-dedicated-compute`` rule checks the cluster when
it is in the same stack.

Default deployment: like online traffic, ``defaults.deploymentName`` may only name a deployment that
exists, and the endpoint is written before its deployment. So the default is set only when the deployment
is ``DeploymentStage.EXISTING`` (it was created by an earlier ``pulumi up``); on the first update the
endpoint has no default, and jobs name the deployment explicitly until the next update.

Settings and wiring: :class:`BatchEndpointSettings` is what a user chooses (a stack's ``inference.batchEndpoint``
section, which the estate extends with the name of the cluster to run on); :class:`BatchEndpointArgs` adds where
the endpoint goes and the id of that cluster. Whether the deployment's model comes from the governance's allowed
registry is the estate's rule (it relates two sections).
"""

import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native.machinelearningservices as ml
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml.errors import MISSING
from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule
from hardened_aml.online_endpoint import (
    AssetId,
    DeploymentStage,
    ModelId,
    ResourceName,
    code_problems,
    duration_problems,
)
from hardened_aml.shared import Environment, InWorkspace, RunsAs

_COMPUTE_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+"
    r"/computes/[^/]+$",
    re.IGNORECASE,
)


def _compute_id(value: Any) -> str | None:
    """``None`` for the ARM id of a compute of a workspace, else what is allowed."""
    if isinstance(value, str) and _COMPUTE_ID.match(value):
        return None
    return "the ARM id of a compute cluster of the workspace (.../computes/<name>)"


class LoggingLevel(StrEnum):
    """How much a batch job logs (mfe.json ``BatchLoggingLevel``)."""

    INFO = "Info"
    """Informational messages and above. The default."""
    WARNING = "Warning"
    """Warnings and errors only."""
    DEBUG = "Debug"
    """Everything, for troubleshooting."""


class OutputAction(StrEnum):
    """What a batch job writes (mfe.json ``BatchOutputAction``)."""

    APPEND_ROW = "AppendRow"
    """Every prediction, appended to ``output_file_name``. The default."""
    SUMMARY_ONLY = "SummaryOnly"
    """A summary only; the scoring script writes its own outputs."""


@args
class BatchDeployment(TypedDict):
    """The model deployment of the batch endpoint."""

    name: ResourceName
    """Deployment name: 3-32 letters, digits and '-', starting with a letter. Required."""
    model: ModelId
    """Model asset id: the ARM id of a model version, or ``azureml://registries/<registry>/models/<name>/
    versions/<version>``. Required (control AML-GOV-006)."""
    stage: NotRequired[Annotated[DeploymentStage, Field(default=DeploymentStage.NEW)]]
    """``Existing`` once a ``pulumi up`` created it: only then it is the endpoint's default. Default: ``New``."""
    instance_count: NotRequired[Annotated[int, Field(default=1, ge=1)]]
    """Cluster nodes per job. Default: 1 (Azure's default)."""
    mini_batch_size: NotRequired[Annotated[int, Field(default=10, ge=1)]]
    """Files (or bytes of records) per mini-batch. Default: 10 (Azure's default)."""
    max_concurrency_per_instance: NotRequired[Annotated[int, Field(default=1, ge=1)]]
    """Parallel mini-batches per node. Default: 1 (Azure's default)."""
    environment_id: NotRequired[AssetId | None]
    """Environment asset id. Default: none (MLflow and curated registry models bring their own)."""
    code_id: NotRequired[AssetId | None]
    """Code asset id with the scoring script; given with ``scoring_script``. Default: none."""
    scoring_script: NotRequired[Annotated[str, Field(min_length=1)] | None]
    """Scoring script in the code asset, e.g. ``score.py``; given with ``code_id``. Default: none."""
    max_retries: NotRequired[Annotated[int, Field(default=3, ge=0)]]
    """Retries of a failed mini-batch. Default: 3 (Azure's default)."""
    retry_timeout: NotRequired[Annotated[str, Field(default="PT30S")]]
    """Timeout of one mini-batch: an ISO-8601 duration. Default: ``PT30S`` (Azure's default)."""
    error_threshold: NotRequired[Annotated[int, Field(default=-1, ge=-1)]]
    """Failures tolerated before the job aborts; -1 ignores all. Default: -1 (Azure's default)."""
    logging_level: NotRequired[Annotated[LoggingLevel, Field(default=LoggingLevel.INFO)]]
    """``Info``, ``Warning`` or ``Debug``. Default: ``Info``."""
    output_action: NotRequired[Annotated[OutputAction, Field(default=OutputAction.APPEND_ROW)]]
    """``AppendRow`` or ``SummaryOnly``. Default: ``AppendRow``."""
    output_file_name: NotRequired[Annotated[str, Field(default="predictions.csv", min_length=1)]]
    """Output file of ``AppendRow``. Default: ``predictions.csv``."""


@rule(BatchDeployment)
def _deployment_rules(d: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    yield from code_problems(d)
    yield from duration_problems("retry_timeout", d["retry_timeout"])


@args
class BatchEndpointSettings(TypedDict):
    """What a user chooses about the batch endpoint: a stack's ``inference.batchEndpoint`` section (the estate
    adds which of its ``BatchInference`` clusters it runs on)."""

    name: NotRequired[ResourceName | None]
    """Endpoint name, unique in the region: 3-32 letters, digits and '-', starting with a letter. Default:
    ``endpoint_name`` (the estate derives it from the workload and stack)."""
    deployment: NotRequired[BatchDeployment | None]
    """The model deployment. Default: none (an endpoint without deployments)."""


@args
class BatchEndpointArgs(BatchEndpointSettings, InWorkspace, RunsAs):
    """Inputs of :class:`BatchEndpoint`: the user's settings and where the endpoint goes."""

    endpoint_name: NotRequired[ResourceName | None]
    """The endpoint's name when ``name`` is unset: the estate passes one derived from the workload and stack.
    Default: none (then ``name`` is required)."""
    compute_id: Annotated[Input[str], Wired(_compute_id)]
    """ARM id of the Dedicated compute cluster the deployment runs on (``.../computes/<name>``). Required
    (control AML-REL-005)."""
    environment: NotRequired[Annotated[Environment, Field(default=Environment.EXPLORATION)]]
    """What the estate is for. Default: ``exploration`` (batch deployments have no instance minimum; it is here
    for an interface uniform with the other components)."""
    description: NotRequired[str | None]
    """Description of the endpoint. Default: none."""
    tags: NotRequired[Annotated[dict[str, str], Field(default_factory=dict)]]
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


@rule(BatchEndpointArgs)
def _endpoint_args_rules(e: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    if e.get("name") is None and e.get("endpoint_name") is None:
        yield ("name",), MISSING, "an endpoint name (name, or the estate's endpoint_name)"


class BatchEndpoint(pulumi.ComponentResource):
    """A batch endpoint with Entra authentication and a model deployment on a Dedicated cluster."""

    endpoint: ml.BatchEndpoint
    deployment: ml.BatchDeployment | None
    endpoint_id: pulumi.Output[str]
    endpoint_name: pulumi.Output[str]

    def __init__(self, name: str, args: BatchEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(BatchEndpointArgs, args, name)
        super().__init__("hardened-aml:index:BatchEndpoint", name, None, opts)
        tags = dict(a["tags"])
        spec = a.get("deployment")
        endpoint_name = str(a.get("name") or a.get("endpoint_name"))  # one of them: checked above
        default = (
            ml.BatchEndpointDefaultsArgs(deployment_name=spec["name"])
            if spec is not None and spec["stage"] is DeploymentStage.EXISTING
            else None
        )

        self.endpoint = ml.BatchEndpoint(
            f"{name}-endpoint",
            endpoint_name=endpoint_name,
            resource_group_name=a["resource_group_name"],
            workspace_name=a["workspace_name"],
            location=a["location"],
            identity=ml.ManagedServiceIdentityArgs(type="UserAssigned", user_assigned_identities=[a["identity_id"]]),
            properties=ml.BatchEndpointPropertiesArgs(
                auth_mode=ml.EndpointAuthMode.AAD_TOKEN,  # AML-IAM-007: the only mode batch endpoints support
                defaults=default,  # only a deployment that already exists (see the module docstring)
                description=a.get("description"),
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.deployment = None
        if spec is not None:
            code_id, script = spec.get("code_id"), spec.get("scoring_script")
            code = (
                ml.CodeConfigurationArgs(code_id=code_id, scoring_script=script)
                if code_id is not None and script is not None
                else None
            )
            self.deployment = ml.BatchDeployment(
                f"{name}-{spec['name']}",
                deployment_name=spec["name"],
                endpoint_name=self.endpoint.name,  # ordered after the endpoint
                resource_group_name=a["resource_group_name"],
                workspace_name=a["workspace_name"],
                location=a["location"],
                properties=ml.BatchDeploymentPropertiesArgs(
                    compute=a["compute_id"],  # AML-REL-005: a Dedicated cluster
                    model=ml.IdAssetReferenceArgs(reference_type="Id", asset_id=spec["model"]),
                    environment_id=spec.get("environment_id"),
                    code_configuration=code,
                    resources=ml.DeploymentResourceConfigurationArgs(instance_count=spec["instance_count"]),
                    mini_batch_size=spec["mini_batch_size"],
                    max_concurrency_per_instance=spec["max_concurrency_per_instance"],
                    retry_settings=ml.BatchRetrySettingsArgs(
                        max_retries=spec["max_retries"], timeout=spec["retry_timeout"]
                    ),
                    error_threshold=spec["error_threshold"],
                    logging_level=spec["logging_level"].value,
                    output_action=spec["output_action"].value,
                    output_file_name=spec["output_file_name"],
                ),
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.endpoint_id = self.endpoint.id
        self.endpoint_name = self.endpoint.name
        outputs: dict[str, pulumi.Input[str]] = {"endpoint_id": self.endpoint_id, "endpoint_name": self.endpoint_name}
        if self.deployment is not None:
            outputs["deployment_id"] = self.deployment.id
        self.register_outputs(outputs)
