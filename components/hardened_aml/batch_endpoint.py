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
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native.machinelearningservices as ml

from hardened_aml.errors import InvalidInputError
from hardened_aml.online_endpoint import DeploymentStage

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
_DURATION = re.compile(r"^PT(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?$")
_COMPUTE_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+"
    r"/computes/[^/]+$",
    re.IGNORECASE,
)
LOGGING_LEVELS = ("Info", "Warning", "Debug")
OUTPUT_ACTIONS = ("AppendRow", "SummaryOnly")


@dataclass(frozen=True, kw_only=True)
class BatchDeploymentSpec:
    """The model deployment of the batch endpoint."""

    name: str
    """Deployment name: letters, digits and hyphens, starting with a letter. Default: none, required."""
    model: str
    """Model asset id (the ARM id of a model version, or ``azureml://registries/<registry>/models/<name>/
    versions/<version>``). Default: none, required."""
    stage: DeploymentStage = DeploymentStage.NEW
    """``EXISTING`` once a ``pulumi up`` created it: only then it becomes the endpoint's default.
    Default: ``NEW``."""
    instance_count: int = 1
    """Cluster nodes per job. Default: 1 (Azure's default)."""
    environment_id: str | None = None
    """Environment asset id. Default: none (MLflow models need none)."""
    code_id: str | None = None
    """Code asset id with the scoring script. Default: none."""
    scoring_script: str | None = None
    """Scoring script in the code asset. Default: none."""
    mini_batch_size: int = 10
    """Files (or bytes of records) per mini-batch. Default: 10 (Azure's default)."""
    max_concurrency_per_instance: int = 1
    """Parallel mini-batches per node. Default: 1 (Azure's default)."""
    max_retries: int = 3
    """Retries of a failed mini-batch. Default: 3 (Azure's default)."""
    retry_timeout: str = "PT30S"
    """Timeout of one mini-batch. Default: PT30S (Azure's default)."""
    error_threshold: int = -1
    """Failures tolerated before the job aborts; -1 ignores all. Default: -1 (Azure's default)."""
    logging_level: str = "Info"
    """Info, Warning or Debug. Default: Info."""
    output_action: str = "AppendRow"
    """AppendRow or SummaryOnly. Default: AppendRow."""
    output_file_name: str = "predictions.csv"
    """Output file of AppendRow. Default: predictions.csv."""


@dataclass(frozen=True, kw_only=True)
class BatchEndpointArgs:
    """Inputs of :class:`BatchEndpoint`."""

    resource_group_name: pulumi.Input[str]
    """The resource group. Default: none, required."""
    workspace_name: pulumi.Input[str]
    """The workspace. Default: none, required."""
    location: str
    """The workspace's region. Default: none, required."""
    endpoint_name: str
    """Endpoint name (unique in the region). Default: none, required."""
    identity_id: pulumi.Input[str]
    """User-assigned identity of the endpoint. Default: none, required."""
    compute_id: pulumi.Input[str]
    """ARM id of the Dedicated compute cluster the deployment runs on. Default: none, required
    (control AML-REL-005)."""
    deployment: BatchDeploymentSpec | None = None
    """The model deployment. Default: none (an endpoint without deployments)."""
    production: bool = False
    """Production estate. Default: off. (Batch deployments have no instance minimum; kept for a uniform
    interface and tags.)"""
    description: str | None = None
    """Description of the endpoint. Default: none."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


def validate(args: BatchEndpointArgs, key: str) -> None:
    """Raise :class:`InvalidInputError` naming the first bad field; nothing is registered before this."""
    if not _NAME.match(args.endpoint_name):
        raise InvalidInputError(
            f"{key}.endpoint_name", args.endpoint_name, "letters, digits and hyphens, starting with a letter"
        )
    if isinstance(args.compute_id, str) and not _COMPUTE_ID.match(args.compute_id):
        raise InvalidInputError(
            f"{key}.compute_id",
            args.compute_id,
            "the ARM id of a compute cluster of the workspace (.../computes/<name>)",
        )
    spec = args.deployment
    if spec is None:
        return
    d = f"{key}.deployment"
    if not _NAME.match(spec.name):
        raise InvalidInputError(f"{d}.name", spec.name, "letters, digits and hyphens, starting with a letter")
    if not spec.model:
        raise InvalidInputError(f"{d}.model", spec.model, "a model asset id (azureml://... or an ARM id)")
    try:
        DeploymentStage(spec.stage)
    except ValueError:
        raise InvalidInputError(f"{d}.stage", spec.stage, [s.value for s in DeploymentStage]) from None
    if (spec.code_id is None) != (spec.scoring_script is None):
        raise InvalidInputError(f"{d}.scoring_script", spec.scoring_script, "code_id and scoring_script together")
    for attr in ("instance_count", "mini_batch_size", "max_concurrency_per_instance"):
        if getattr(spec, attr) < 1:
            raise InvalidInputError(f"{d}.{attr}", getattr(spec, attr), "at least 1")
    if spec.max_retries < 0:
        raise InvalidInputError(f"{d}.max_retries", spec.max_retries, "0 or more")
    if spec.error_threshold < -1:
        raise InvalidInputError(f"{d}.error_threshold", spec.error_threshold, "-1 (ignore all) or more")
    if not _DURATION.match(spec.retry_timeout):
        raise InvalidInputError(f"{d}.retry_timeout", spec.retry_timeout, "an ISO 8601 duration such as PT30S")
    if spec.logging_level not in LOGGING_LEVELS:
        raise InvalidInputError(f"{d}.logging_level", spec.logging_level, LOGGING_LEVELS)
    if spec.output_action not in OUTPUT_ACTIONS:
        raise InvalidInputError(f"{d}.output_action", spec.output_action, OUTPUT_ACTIONS)


class BatchEndpoint(pulumi.ComponentResource):
    """A batch endpoint with Entra authentication and a model deployment on a Dedicated cluster."""

    endpoint: ml.BatchEndpoint
    deployment: ml.BatchDeployment | None
    endpoint_id: pulumi.Output[str]
    endpoint_name: pulumi.Output[str]

    def __init__(self, name: str, args: BatchEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate(args, name)
        super().__init__("hardened-aml:index:BatchEndpoint", name, None, opts)
        tags = dict(args.tags)
        spec = args.deployment
        default = (
            ml.BatchEndpointDefaultsArgs(deployment_name=spec.name)
            if spec is not None and DeploymentStage(spec.stage) is DeploymentStage.EXISTING
            else None
        )

        self.endpoint = ml.BatchEndpoint(
            f"{name}-endpoint",
            endpoint_name=args.endpoint_name,
            resource_group_name=args.resource_group_name,
            workspace_name=args.workspace_name,
            location=args.location,
            identity=ml.ManagedServiceIdentityArgs(type="UserAssigned", user_assigned_identities=[args.identity_id]),
            properties=ml.BatchEndpointPropertiesArgs(
                auth_mode=ml.EndpointAuthMode.AAD_TOKEN,  # AML-IAM-007: the only mode batch endpoints support
                defaults=default,  # only a deployment that already exists (see the module docstring)
                description=args.description,
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.deployment = None
        if spec is not None:
            code = (
                ml.CodeConfigurationArgs(code_id=spec.code_id, scoring_script=spec.scoring_script)
                if spec.code_id is not None and spec.scoring_script is not None
                else None
            )
            self.deployment = ml.BatchDeployment(
                f"{name}-{spec.name}",
                deployment_name=spec.name,
                endpoint_name=self.endpoint.name,  # ordered after the endpoint
                resource_group_name=args.resource_group_name,
                workspace_name=args.workspace_name,
                location=args.location,
                properties=ml.BatchDeploymentPropertiesArgs(
                    compute=args.compute_id,  # AML-REL-005: a Dedicated cluster
                    model=ml.IdAssetReferenceArgs(reference_type="Id", asset_id=spec.model),
                    environment_id=spec.environment_id,
                    code_configuration=code,
                    resources=ml.DeploymentResourceConfigurationArgs(instance_count=spec.instance_count),
                    mini_batch_size=spec.mini_batch_size,
                    max_concurrency_per_instance=spec.max_concurrency_per_instance,
                    retry_settings=ml.BatchRetrySettingsArgs(max_retries=spec.max_retries, timeout=spec.retry_timeout),
                    error_threshold=spec.error_threshold,
                    logging_level=spec.logging_level,
                    output_action=spec.output_action,
                    output_file_name=spec.output_file_name,
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
