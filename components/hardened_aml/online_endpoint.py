"""A managed online endpoint with blue/green deployments, probes, Application Insights and autoscale.

Property names, enum values and defaults: REST spec ``Microsoft.MachineLearningServices/stable/2025-12-01/
mfe.json`` (the API version pulumi-azure-native 3.29.0 uses): ``OnlineEndpoint`` (``authMode``,
``publicNetworkAccess`` default "Enabled", ``traffic`` "Traffic values need to sum to 100", ``mirrorTraffic``
"Traffic values need to sum to utmost 50"), ``OnlineDeployment`` (``egressPublicNetworkAccess`` default
"Enabled", ``appInsightsEnabled`` default false, ``instanceType``, ``livenessProbe``/``readinessProbe``:
``ProbeSettings``, ``requestSettings``: ``OnlineRequestSettings``, ``model``: "The URI path to the model").
``OnlineDeployment.properties`` is a union (Managed | Kubernetes): it is always built with
``ml.ManagedOnlineDeploymentArgs`` so that the engine sends camelCase with ``endpointComputeType: Managed``.

Autoscale (control AML-CMP-004): Azure Monitor autoscale settings whose target is the deployment; metric
``CpuUtilizationPercentage`` of the deployment and ``RequestLatency`` of the endpoint (learn.microsoft.com
"Autoscale online endpoints in Azure Machine Learning", MicrosoftDocs/azure-docs
``articles/machine-learning/how-to-autoscale-endpoints.md``).

Traffic and the order of operations (PITFALLS "Blue/green traffic is a separate step"; azureml-examples
PRs #2905, #3122). Azure needs the endpoint before its deployments (a deployment is a child resource), and
refuses endpoint traffic that names a deployment that does not exist yet. Pulumi cannot give one resource
two writes in one update, and a second resource for the same endpoint is not an option: azure-native
refuses to create a resource that already exists (its create-time existence check, pulumi-azure-native
PR #303), and two writers of one ARM object drift. So:

* the endpoint is the one owner of ``traffic`` and ``mirrorTraffic`` (the policy pack reads them there);
* every deployment takes ``endpointName`` from the endpoint's output, so the engine creates (and updates)
  the endpoint first and the deployments after it;
* a deployment created in this update is ``DeploymentStage.NEW`` and may not be named in traffic or mirror
  traffic: the component refuses it at construction, naming the deployment. After the ``pulumi up`` that
  created it, mark it ``DeploymentStage.EXISTING`` and give it traffic in the next update. A new endpoint
  is therefore created with empty traffic (it serves nothing until the second update), exactly like
  ``az ml online-endpoint create`` followed by ``az ml online-endpoint update --traffic``.
* Removing a deployment and moving its traffic in the same update is in the right order: Pulumi performs
  the endpoint's update (traffic moves away) before it deletes resources that left the program.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pulumi
import pulumi_azure_native.machinelearningservices as ml
import pulumi_azure_native.monitor as monitor

from hardened_aml.catalogue import control
from hardened_aml.errors import InvalidInputError

#: The fewest instances of a production deployment (control AML-REL-007; the pack's default minInstances).
#: The fewest instances of a production deployment: the catalogue's AML-REL-007 default (the pack's too).
PRODUCTION_MIN_INSTANCES: int = control("AML-REL-007").defaults["minInstances"]
#: Mirror traffic may take at most this share in total (mfe.json ``mirrorTraffic``: "sum to utmost 50").
MAX_MIRROR_PERCENT = 50
DEPLOYMENT_METRIC_NAMESPACE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
ENDPOINT_METRIC_NAMESPACE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
_DURATION = re.compile(r"^PT(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?$")


class AuthMode(StrEnum):
    """How clients authenticate to the scoring URI (control AML-IAM-007). There is no anonymous mode."""

    AAD_TOKEN = "AADToken"
    """Microsoft Entra tokens: no shared secret. The default."""
    KEY = "Key"
    """Endpoint keys (retrieved with the ListKeys API)."""


class DeploymentStage(StrEnum):
    """Where a deployment is in its blue/green rollout (see the module docstring)."""

    NEW = "New"
    """Created by this update: it may not receive traffic or mirror traffic yet."""
    EXISTING = "Existing"
    """Created by an earlier update: traffic may name it."""


@dataclass(frozen=True, kw_only=True)
class Probe:
    """A liveness or readiness probe (mfe.json ``ProbeSettings``; durations in ISO 8601)."""

    initial_delay: str = "PT10S"
    """Delay before the first probe. Default: PT10S."""
    period: str = "PT10S"
    """Time between probes. Default: PT10S (Azure's default)."""
    timeout: str = "PT2S"
    """Probe timeout. Default: PT2S (Azure's default)."""
    failure_threshold: int = 30
    """Failures before the container is unhealthy. Default: 30 (Azure's default)."""
    success_threshold: int = 1
    """Successes before it is healthy. Default: 1 (Azure's default)."""


@dataclass(frozen=True, kw_only=True)
class Autoscale:
    """Azure Monitor autoscale of one deployment (control AML-CMP-004)."""

    minimum: int | None = None
    """Fewest instances. Default: the deployment's instance count."""
    maximum: int = 5
    """Most instances. Default: 5."""
    cpu_scale_out_percent: int = 70
    """Add instances when average ``CpuUtilizationPercentage`` over 5 minutes exceeds this. Default: 70."""
    cpu_scale_in_percent: int = 30
    """Remove one instance when it stays below this for 5 minutes. Default: 30."""
    scale_out_step: int = 1
    """Instances added per scale-out. Default: 1."""
    latency_scale_out_ms: int | None = None
    """Also add an instance when the endpoint's average ``RequestLatency`` (ms) over 5 minutes exceeds this.
    Default: none (CPU rules only)."""
    cooldown: str = "PT5M"
    """Wait after a scale action before the next. Default: PT5M."""


@dataclass(frozen=True, kw_only=True)
class OnlineDeploymentSpec:
    """One deployment (``blue``, ``green``...) of the endpoint."""

    name: str
    """Deployment name: letters, digits and hyphens, starting with a letter. Default: none, required."""
    model: str
    """Model asset id, e.g. ``azureml://registries/azureml/models/<name>/versions/<version>`` or the ARM id
    of a workspace model version. Default: none, required."""
    stage: DeploymentStage = DeploymentStage.NEW
    """Rollout stage; only ``EXISTING`` deployments may receive traffic. Default: ``NEW``."""
    instance_type: str = "Standard_DS3_v2"
    """VM size of the instances. Default: Standard_DS3_v2."""
    instance_count: int | None = None
    """Instances (``sku.capacity``). Default: 3 in production (control AML-REL-007), 1 otherwise."""
    environment_id: str | None = None
    """Environment asset id. Default: none (MLflow models and curated registry models bring their own)."""
    code_id: str | None = None
    """Code asset id with the scoring script. Default: none."""
    scoring_script: str | None = None
    """Scoring script in the code asset, e.g. ``score.py``. Default: none."""
    liveness_probe: Probe = field(default_factory=Probe)
    """Liveness probe. Default: :class:`Probe` defaults (control AML-REL-008)."""
    readiness_probe: Probe = field(default_factory=Probe)
    """Readiness probe. Default: :class:`Probe` defaults (control AML-REL-008)."""
    max_concurrent_requests_per_instance: int = 1
    """Concurrent requests per instance. Default: 1 (Azure's default)."""
    request_timeout: str = "PT5S"
    """Scoring timeout. Default: PT5S (Azure's default)."""
    autoscale: Autoscale = field(default_factory=Autoscale)
    """Autoscale of this deployment. Default: :class:`Autoscale` defaults (control AML-CMP-004)."""


@dataclass(frozen=True, kw_only=True)
class OnlineEndpointArgs:
    """Inputs of :class:`OnlineEndpoint`."""

    resource_group_name: pulumi.Input[str]
    """The resource group. Default: none, required."""
    workspace_name: pulumi.Input[str]
    """The workspace. Default: none, required."""
    location: str
    """The workspace's region. Default: none, required."""
    endpoint_name: str
    """Endpoint name (unique in the region). Default: none, required."""
    identity_id: pulumi.Input[str]
    """User-assigned identity of the endpoint (pulls images, reads models). Default: none, required."""
    deployments: Sequence[OnlineDeploymentSpec] = ()
    """The deployments. Default: none."""
    traffic: Mapping[str, int] = field(default_factory=dict)
    """Live traffic in percent per deployment; empty or summing to 100, naming ``EXISTING`` deployments only.
    Default: empty (control AML-REL-004)."""
    mirror_traffic: Mapping[str, int] = field(default_factory=dict)
    """Mirrored (shadow) traffic per deployment, at most 50 in total. Default: empty (control AML-REL-004)."""
    auth_mode: AuthMode = AuthMode.AAD_TOKEN
    """Scoring authentication. Default: ``AADToken`` (control AML-IAM-007)."""
    production: bool = False
    """Production: at least 3 instances per deployment and as autoscale minimum (control AML-REL-007).
    Default: off; also on when ``tags`` say ``environment=production`` (the tag the pack's AML-REL-007
    rule reads), so the two cannot disagree."""
    description: str | None = None
    """Description of the endpoint. Default: none."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


def _check_name(key: str, name: str) -> None:
    if not _NAME.match(name):
        raise InvalidInputError(key, name, "letters, digits and hyphens, starting with a letter")


def _check_duration(key: str, value: str) -> None:
    if not _DURATION.match(value):
        raise InvalidInputError(key, value, "an ISO 8601 duration such as PT10S or PT5M")


def _capacity(spec: OnlineDeploymentSpec, production: bool) -> int:
    if spec.instance_count is not None:
        return spec.instance_count
    return PRODUCTION_MIN_INSTANCES if production else 1


def _check_deployment(key: str, spec: OnlineDeploymentSpec, production: bool) -> None:
    _check_name(f"{key}.name", spec.name)
    if not spec.model:
        raise InvalidInputError(f"{key}.model", spec.model, "a model asset id (azureml://... or an ARM id)")
    try:
        DeploymentStage(spec.stage)
    except ValueError:
        raise InvalidInputError(f"{key}.stage", spec.stage, [s.value for s in DeploymentStage]) from None
    capacity = _capacity(spec, production)
    low = PRODUCTION_MIN_INSTANCES if production else 1
    if capacity < low:
        reason = " in production (control AML-REL-007)" if production else ""
        raise InvalidInputError(f"{key}.instance_count", capacity, f"at least {low}{reason}")
    if (spec.code_id is None) != (spec.scoring_script is None):
        raise InvalidInputError(f"{key}.scoring_script", spec.scoring_script, "code_id and scoring_script together")
    for probe_key, probe in (("liveness_probe", spec.liveness_probe), ("readiness_probe", spec.readiness_probe)):
        for attr in ("initial_delay", "period", "timeout"):
            _check_duration(f"{key}.{probe_key}.{attr}", getattr(probe, attr))
        for attr in ("failure_threshold", "success_threshold"):
            if getattr(probe, attr) < 1:
                raise InvalidInputError(f"{key}.{probe_key}.{attr}", getattr(probe, attr), "a positive integer")
    _check_duration(f"{key}.request_timeout", spec.request_timeout)
    if spec.max_concurrent_requests_per_instance < 1:
        raise InvalidInputError(
            f"{key}.max_concurrent_requests_per_instance", spec.max_concurrent_requests_per_instance, "at least 1"
        )
    scale = spec.autoscale
    minimum = scale.minimum if scale.minimum is not None else capacity
    if minimum < low:
        reason = " in production (control AML-REL-007)" if production else ""
        raise InvalidInputError(f"{key}.autoscale.minimum", minimum, f"at least {low}{reason}")
    if not minimum <= capacity <= scale.maximum:
        raise InvalidInputError(
            f"{key}.autoscale",
            f"minimum={minimum}, instances={capacity}, maximum={scale.maximum}",
            "minimum <= instance_count <= maximum",
        )
    if not 0 < scale.cpu_scale_in_percent < scale.cpu_scale_out_percent <= 100:
        raise InvalidInputError(
            f"{key}.autoscale",
            f"cpu_scale_in_percent={scale.cpu_scale_in_percent}, cpu_scale_out_percent={scale.cpu_scale_out_percent}",
            "0 < cpu_scale_in_percent < cpu_scale_out_percent <= 100",
        )
    if scale.scale_out_step < 1:
        raise InvalidInputError(f"{key}.autoscale.scale_out_step", scale.scale_out_step, "at least 1")
    if scale.latency_scale_out_ms is not None and scale.latency_scale_out_ms < 1:
        raise InvalidInputError(f"{key}.autoscale.latency_scale_out_ms", scale.latency_scale_out_ms, "at least 1 ms")
    _check_duration(f"{key}.autoscale.cooldown", scale.cooldown)


def _check_split(key: str, split: Mapping[str, int], stages: Mapping[str, DeploymentStage]) -> int:
    """Check one traffic map against the declared deployments; return its sum."""
    for name, share in split.items():
        if name not in stages:
            raise InvalidInputError(
                f"{key}.{name}", share, f"a deployment of this endpoint: {', '.join(sorted(stages)) or 'none'}"
            )
        if stages[name] is not DeploymentStage.EXISTING:
            raise InvalidInputError(
                f"{key}.{name}",
                share,
                f"traffic only to deployments that already exist: {name!r} is stage New; create it with "
                "`pulumi up` first, then mark it DeploymentStage.EXISTING and route traffic to it",
            )
        if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= 100:
            raise InvalidInputError(f"{key}.{name}", share, "an integer percentage from 0 to 100")
    return sum(split.values())


def in_production(args: OnlineEndpointArgs) -> bool:
    """The production flag, or the ``environment=production`` tag that the pack reads."""
    return args.production or args.tags.get("environment") == "production"


def validate(args: OnlineEndpointArgs, key: str) -> None:
    """Raise :class:`InvalidInputError` naming the first bad field; nothing is registered before this."""
    _check_name(f"{key}.endpoint_name", args.endpoint_name)
    try:
        AuthMode(args.auth_mode)
    except ValueError:
        raise InvalidInputError(f"{key}.auth_mode", args.auth_mode, [m.value for m in AuthMode]) from None
    names = [d.name for d in args.deployments]
    if len(set(names)) != len(names):
        raise InvalidInputError(f"{key}.deployments", names, "distinct deployment names")
    for i, spec in enumerate(args.deployments):
        _check_deployment(f"{key}.deployments[{i}]", spec, in_production(args))
    stages = {d.name: DeploymentStage(d.stage) for d in args.deployments}
    total = _check_split(f"{key}.traffic", args.traffic, stages)
    if args.traffic and total != 100:
        shown = ", ".join(f"{n}={s}" for n, s in args.traffic.items())
        raise InvalidInputError(f"{key}.traffic", f"{shown} (sum {total})", "empty, or percentages that sum to 100")
    mirrored = _check_split(f"{key}.mirror_traffic", args.mirror_traffic, stages)
    if mirrored > MAX_MIRROR_PERCENT:
        shown = ", ".join(f"{n}={s}" for n, s in args.mirror_traffic.items())
        raise InvalidInputError(
            f"{key}.mirror_traffic",
            f"{shown} (sum {mirrored})",
            f"percentages that sum to at most {MAX_MIRROR_PERCENT}",
        )


def _probe(probe: Probe) -> ml.ProbeSettingsArgs:
    return ml.ProbeSettingsArgs(
        initial_delay=probe.initial_delay,
        period=probe.period,
        timeout=probe.timeout,
        failure_threshold=probe.failure_threshold,
        success_threshold=probe.success_threshold,
    )


def _cpu_rule(deployment_id: pulumi.Input[str], scale: Autoscale, *, out: bool) -> monitor.ScaleRuleArgs:
    return monitor.ScaleRuleArgs(
        metric_trigger=monitor.MetricTriggerArgs(
            metric_name="CpuUtilizationPercentage",
            metric_namespace=DEPLOYMENT_METRIC_NAMESPACE,
            metric_resource_uri=deployment_id,
            operator=monitor.ComparisonOperationType.GREATER_THAN if out else monitor.ComparisonOperationType.LESS_THAN,
            threshold=scale.cpu_scale_out_percent if out else scale.cpu_scale_in_percent,
            statistic=monitor.MetricStatisticType.AVERAGE,
            time_aggregation=monitor.TimeAggregationType.AVERAGE,
            time_grain="PT1M",
            time_window="PT5M",
        ),
        scale_action=monitor.ScaleActionArgs(
            direction=monitor.ScaleDirection.INCREASE if out else monitor.ScaleDirection.DECREASE,
            type=monitor.ScaleType.CHANGE_COUNT,
            value=str(scale.scale_out_step if out else 1),
            cooldown=scale.cooldown,
        ),
    )


def _latency_rule(endpoint_id: pulumi.Input[str], scale: Autoscale, threshold_ms: int) -> monitor.ScaleRuleArgs:
    return monitor.ScaleRuleArgs(
        metric_trigger=monitor.MetricTriggerArgs(
            metric_name="RequestLatency",
            metric_namespace=ENDPOINT_METRIC_NAMESPACE,
            metric_resource_uri=endpoint_id,  # an endpoint metric scales the deployment (how-to-autoscale-endpoints)
            operator=monitor.ComparisonOperationType.GREATER_THAN,
            threshold=threshold_ms,
            statistic=monitor.MetricStatisticType.AVERAGE,
            time_aggregation=monitor.TimeAggregationType.AVERAGE,
            time_grain="PT1M",
            time_window="PT5M",
        ),
        scale_action=monitor.ScaleActionArgs(
            direction=monitor.ScaleDirection.INCREASE,
            type=monitor.ScaleType.CHANGE_COUNT,
            value=str(scale.scale_out_step),
            cooldown=scale.cooldown,
        ),
    )


class OnlineEndpoint(pulumi.ComponentResource):
    """A private managed online endpoint with Entra or key auth, its deployments and their autoscale."""

    endpoint: ml.OnlineEndpoint
    deployments: dict[str, ml.OnlineDeployment]
    autoscale_settings: dict[str, monitor.AutoscaleSetting]
    endpoint_id: pulumi.Output[str]
    endpoint_name: pulumi.Output[str]

    def __init__(self, name: str, args: OnlineEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate(args, name)
        super().__init__("hardened-aml:index:OnlineEndpoint", name, None, opts)
        tags = dict(args.tags)
        production = in_production(args)

        self.endpoint = ml.OnlineEndpoint(
            f"{name}-endpoint",
            endpoint_name=args.endpoint_name,
            resource_group_name=args.resource_group_name,
            workspace_name=args.workspace_name,
            location=args.location,
            identity=ml.ManagedServiceIdentityArgs(type="UserAssigned", user_assigned_identities=[args.identity_id]),
            properties=ml.OnlineEndpointPropertiesArgs(
                auth_mode=AuthMode(args.auth_mode).value,  # AML-IAM-007: Entra token or key, never anonymous
                public_network_access="Disabled",  # AML-NET-013 (mfe.json default: Enabled)
                # AML-REL-004: validated above to sum to 100 (or be empty) and to name existing deployments only.
                traffic=dict(args.traffic),
                mirror_traffic=dict(args.mirror_traffic),
                description=args.description,
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.deployments = {}
        self.autoscale_settings = {}
        for spec in args.deployments:
            capacity = _capacity(spec, production)
            code = (
                ml.CodeConfigurationArgs(code_id=spec.code_id, scoring_script=spec.scoring_script)
                if spec.code_id is not None and spec.scoring_script is not None
                else None
            )
            deployment = ml.OnlineDeployment(
                f"{name}-{spec.name}",
                deployment_name=spec.name,
                # The endpoint's output: the engine orders the deployment after the endpoint, and the pack
                # relates traffic names to this deployment (AML-REL-004).
                endpoint_name=self.endpoint.name,
                resource_group_name=args.resource_group_name,
                workspace_name=args.workspace_name,
                location=args.location,
                # AML-REL-007: sku.capacity is the instance count (at least 3 in production).
                sku=ml.SkuArgs(name="Default", capacity=capacity),
                properties=ml.ManagedOnlineDeploymentArgs(
                    endpoint_compute_type="Managed",
                    model=spec.model,
                    instance_type=spec.instance_type,
                    environment_id=spec.environment_id,
                    code_configuration=code,
                    egress_public_network_access="Disabled",  # AML-NET-013 (the Args class defaults to Enabled)
                    app_insights_enabled=True,  # AML-MON-004 (mfe.json default: false)
                    liveness_probe=_probe(spec.liveness_probe),  # AML-REL-008
                    readiness_probe=_probe(spec.readiness_probe),  # AML-REL-008
                    request_settings=ml.OnlineRequestSettingsArgs(
                        max_concurrent_requests_per_instance=spec.max_concurrent_requests_per_instance,
                        request_timeout=spec.request_timeout,
                    ),
                    # Instances come from sku.capacity; Azure Monitor autoscale changes them (AML-CMP-004).
                    scale_settings=ml.DefaultScaleSettingsArgs(scale_type="Default"),
                ),
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.deployments[spec.name] = deployment

            scale = spec.autoscale
            rules = [_cpu_rule(deployment.id, scale, out=True), _cpu_rule(deployment.id, scale, out=False)]
            if scale.latency_scale_out_ms is not None:
                rules.append(_latency_rule(self.endpoint.id, scale, scale.latency_scale_out_ms))
            minimum = scale.minimum if scale.minimum is not None else capacity
            self.autoscale_settings[spec.name] = monitor.AutoscaleSetting(
                f"{name}-{spec.name}-autoscale",
                autoscale_setting_name=f"autoscale-{args.endpoint_name}-{spec.name}",
                resource_group_name=args.resource_group_name,
                location=args.location,
                target_resource_uri=deployment.id,  # AML-CMP-004: the deployment is the scaled resource
                enabled=True,  # AML-CMP-004 (Azure's default: false)
                profiles=[
                    monitor.AutoscaleProfileArgs(
                        name="default",
                        capacity=monitor.ScaleCapacityArgs(
                            minimum=str(minimum), default=str(capacity), maximum=str(scale.maximum)
                        ),
                        rules=rules,
                    )
                ],
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.endpoint_id = self.endpoint.id
        self.endpoint_name = self.endpoint.name
        self.register_outputs(
            {
                "endpoint_id": self.endpoint_id,
                "endpoint_name": self.endpoint_name,
                "deployment_ids": {n: d.id for n, d in self.deployments.items()},
            }
        )
