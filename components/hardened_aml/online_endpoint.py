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
  created it, mark it ``Existing`` and give it traffic in the next update. A new endpoint
  is therefore created with empty traffic (it serves nothing until the second update), exactly like
  ``az ml online-endpoint create`` followed by ``az ml online-endpoint update --traffic``.
* Removing a deployment and moving its traffic in the same update is in the right order: Pulumi performs
  the endpoint's update (traffic moves away) before it deletes resources that left the program.

Settings and wiring: :class:`OnlineEndpointSettings` is what a user chooses (a stack's ``inference.onlineEndpoint``
section); :class:`OnlineEndpointArgs` adds where the endpoint goes. Production (``environment``, read from the
nearest enclosing args: the estate's, or the endpoint's own) raises the instance minimum to 3 (control
AML-REL-007). Whether a deployment's model comes from the governance's allowed registry is the estate's rule
(it relates two sections).
"""

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native.machinelearningservices as ml
import pulumi_azure_native.monitor as monitor
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml.catalogue import control, parse_duration
from hardened_aml.compute_cluster import vm_size_problems
from hardened_aml.errors import MISSING
from hardened_aml.inputs import Problem, args, checked, rule
from hardened_aml.shared import Environment, InWorkspace, RunsAs

#: The fewest instances of a production deployment: the catalogue's AML-REL-007 default (the pack's too).
PRODUCTION_MIN_INSTANCES: int = control("AML-REL-007").defaults["minInstances"]
#: Mirror traffic may take at most this share in total (mfe.json ``mirrorTraffic``: "sum to utmost 50").
MAX_MIRROR_PERCENT = 50
DEPLOYMENT_METRIC_NAMESPACE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
ENDPOINT_METRIC_NAMESPACE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"

ResourceName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9-]{2,31}$")]
"""An endpoint or deployment name: 3-32 letters, digits and '-', starting with a letter."""
ModelId = Annotated[str, Field(pattern=r"^(azureml://\S+|/subscriptions/\S+/models/\S+)$")]
"""A model asset id: ``azureml://registries/<registry>/models/<name>/versions/<version>`` or an ARM id."""
AssetId = Annotated[str, Field(pattern=r"^(azureml:\S+|/subscriptions/\S+)$")]
"""An environment or code asset id: ``azureml:...`` / ``azureml://...`` or an ARM id."""
Percent = Annotated[int, Field(ge=0, le=100, strict=True)]
"""A whole percentage, 0 to 100."""

_DURATION_TEXT = "an ISO-8601 duration such as PT10S or PT5M"


def in_production(scope: Mapping[str, Any]) -> bool:
    """Production: ``environment`` in scope is ``production``, or ``tags`` say ``environment=production`` (the
    tag the pack's AML-REL-007 rule reads, so that the two cannot disagree)."""
    environment = scope.get("environment")
    if getattr(environment, "value", environment) == Environment.PRODUCTION.value:
        return True
    tags = scope.get("tags")
    return isinstance(tags, Mapping) and tags.get("environment") == Environment.PRODUCTION.value


def duration_problems(key: str, value: str) -> Iterator[Problem]:
    """``value`` is an ISO-8601 duration (the catalogue's reading, as Azure's)."""
    if parse_duration(value) is None:
        yield (key,), value, _DURATION_TEXT


def code_problems(d: Mapping[str, Any]) -> Iterator[Problem]:
    """``code_id`` and ``scoring_script`` come together, or neither (a deployment of an online or batch endpoint)."""
    if (d.get("code_id") is None) != (d.get("scoring_script") is None):
        missing = "scoring_script" if d.get("scoring_script") is None else "code_id"
        yield (missing,), MISSING, "a code asset id and a scoring script given together, or neither"


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


@args
class Probe(TypedDict):
    """A liveness or readiness probe (mfe.json ``ProbeSettings``; durations in ISO 8601)."""

    initial_delay: NotRequired[Annotated[str, Field(default="PT10S")]]
    """Delay before the first probe. Default: ``PT10S`` (control AML-REL-008)."""
    period: NotRequired[Annotated[str, Field(default="PT10S")]]
    """Time between probes. Default: ``PT10S``, Azure's default (control AML-REL-008)."""
    timeout: NotRequired[Annotated[str, Field(default="PT2S")]]
    """Probe timeout. Default: ``PT2S``, Azure's default (control AML-REL-008)."""
    failure_threshold: NotRequired[Annotated[int, Field(default=30, ge=1)]]
    """Failures before the container is unhealthy. Default: 30, Azure's default (control AML-REL-008)."""
    success_threshold: NotRequired[Annotated[int, Field(default=1, ge=1)]]
    """Successes before it is healthy. Default: 1, Azure's default (control AML-REL-008)."""


@rule(Probe)
def _probe_rules(p: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    for key in ("initial_delay", "period", "timeout"):
        yield from duration_problems(key, p[key])


@args
class Autoscale(TypedDict):
    """Azure Monitor autoscale of one online deployment (control AML-CMP-004)."""

    minimum: NotRequired[Annotated[int, Field(ge=1)] | None]
    """Fewest instances, at most ``instance_count``; at least 3 in production. Default: the deployment's
    ``instance_count`` (controls AML-CMP-004, AML-REL-007)."""
    maximum: NotRequired[Annotated[int, Field(default=5, ge=1)]]
    """Most instances, at least ``instance_count``. Default: 5 (control AML-CMP-004)."""
    cpu_scale_out_percent: NotRequired[Annotated[int, Field(default=70, ge=1, le=100)]]
    """Add instances when the average ``CpuUtilizationPercentage`` over 5 minutes is above this. Default: 70
    (control AML-CMP-004)."""
    cpu_scale_in_percent: NotRequired[Annotated[int, Field(default=30, ge=1, le=99)]]
    """Remove one instance when it stays below this for 5 minutes; below ``cpu_scale_out_percent``. Default: 30
    (control AML-CMP-004)."""
    latency_scale_out_ms: NotRequired[Annotated[int, Field(ge=1)] | None]
    """Also add instances when the endpoint's average ``RequestLatency`` (ms) over 5 minutes is above this.
    Default: none, CPU rules only (control AML-CMP-004)."""
    scale_out_step: NotRequired[Annotated[int, Field(default=1, ge=1)]]
    """Instances added per scale-out. Default: 1 (control AML-CMP-004)."""
    cooldown: NotRequired[Annotated[str, Field(default="PT5M")]]
    """Wait after a scale action before the next: an ISO-8601 duration. Default: ``PT5M`` (control
    AML-CMP-004)."""


@rule(Autoscale)
def _autoscale_rules(s: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    if s["cpu_scale_in_percent"] >= s["cpu_scale_out_percent"]:
        yield (
            ("cpu_scale_in_percent",),
            s["cpu_scale_in_percent"],
            f"a percentage below the scale-out percentage ({s['cpu_scale_out_percent']})",
        )
    yield from duration_problems("cooldown", s["cooldown"])


@args
class OnlineDeployment(TypedDict):
    """One blue/green deployment (``blue``, ``green``...) of the online endpoint."""

    name: ResourceName
    """Deployment name, e.g. ``blue``: 3-32 letters, digits and '-', starting with a letter, unique in the
    endpoint. Required."""
    model: ModelId
    """Model asset id: ``azureml://registries/<registry>/models/<name>/versions/<version>`` or the ARM id of a
    workspace model version. Required (control AML-GOV-006)."""
    stage: NotRequired[Annotated[DeploymentStage, Field(default=DeploymentStage.NEW)]]
    """``New`` on the update that creates it; ``Existing`` afterwards (only then may traffic name it).
    Default: ``New`` (control AML-REL-004)."""
    instance_type: NotRequired[Annotated[str, Field(default="Standard_DS3_v2")]]
    """VM size of the instances, from the allow-list (``allowedVmSizes``). Default: ``Standard_DS3_v2``
    (control AML-CMP-003)."""
    instance_count: NotRequired[Annotated[int, Field(ge=1)] | None]
    """Instances (``sku.capacity``); at least 3 in production. Default: none, meaning 3 in production and 1
    otherwise (control AML-REL-007)."""
    autoscale: NotRequired[Annotated[Autoscale, Field(default_factory=dict, validate_default=True)]]
    """Autoscale of this deployment. Default: the :class:`Autoscale` defaults (control AML-CMP-004)."""
    environment_id: NotRequired[AssetId | None]
    """Environment asset id. Default: none (MLflow models and curated registry models bring their own)."""
    code_id: NotRequired[AssetId | None]
    """Code asset id with the scoring script; given with ``scoring_script``. Default: none."""
    scoring_script: NotRequired[Annotated[str, Field(min_length=1)] | None]
    """Scoring script in the code asset, e.g. ``score.py``; given with ``code_id``. Default: none."""
    liveness_probe: NotRequired[Annotated[Probe, Field(default_factory=dict, validate_default=True)]]
    """Liveness probe. Default: the :class:`Probe` defaults (control AML-REL-008)."""
    readiness_probe: NotRequired[Annotated[Probe, Field(default_factory=dict, validate_default=True)]]
    """Readiness probe. Default: the :class:`Probe` defaults (control AML-REL-008)."""
    max_concurrent_requests_per_instance: NotRequired[Annotated[int, Field(default=1, ge=1)]]
    """Concurrent requests per instance. Default: 1 (Azure's default)."""
    request_timeout: NotRequired[Annotated[str, Field(default="PT5S")]]
    """Scoring timeout: an ISO-8601 duration. Default: ``PT5S`` (Azure's default)."""


def _capacity(d: Mapping[str, Any], production: bool) -> int:
    """The deployment's instances: ``instance_count``, else 3 in production and 1 otherwise."""
    count = d.get("instance_count")
    if count is not None:
        return int(count)
    return PRODUCTION_MIN_INSTANCES if production else 1


@rule(OnlineDeployment)
def _deployment_rules(d: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    yield from code_problems(d)
    yield from vm_size_problems("instance_type", d["instance_type"], scope)
    production = in_production(scope)
    low = PRODUCTION_MIN_INSTANCES if production else 1
    count = _capacity(d, production)
    scale = d["autoscale"]
    minimum = scale.get("minimum") if scale.get("minimum") is not None else count
    if count < low:
        yield ("instance_count",), count, f"{low} or more in production (control AML-REL-007)"
    if minimum < low:
        yield ("autoscale", "minimum"), minimum, f"{low} or more in production (control AML-REL-007)"
    elif minimum > count:
        yield ("autoscale", "minimum"), minimum, f"at most the instance count ({count})"
    if scale["maximum"] < max(count, minimum):
        yield (
            ("autoscale", "maximum"),
            scale["maximum"],
            f"at least the instance count ({count}) and the autoscale minimum ({minimum})",
        )
    yield from duration_problems("request_timeout", d["request_timeout"])


@args
class OnlineEndpointSettings(TypedDict):
    """What a user chooses about the online endpoint: a stack's ``inference.onlineEndpoint`` section, a private
    managed online endpoint with blue/green deployments (controls AML-REL-004, AML-NET-013)."""

    name: NotRequired[ResourceName | None]
    """Endpoint name, unique in the region: 3-32 letters, digits and '-', starting with a letter. Default:
    ``endpoint_name`` (the estate derives it from the workload and stack)."""
    auth_mode: NotRequired[Annotated[AuthMode, Field(default=AuthMode.AAD_TOKEN)]]
    """``AADToken`` or ``Key``; never anonymous. Default: ``AADToken`` (control AML-IAM-007)."""
    deployments: NotRequired[Annotated[list[OnlineDeployment], Field(default_factory=list)]]
    """The deployments, with distinct names. Default: none."""
    traffic: NotRequired[Annotated[dict[str, Percent], Field(default_factory=dict)]]
    """Live traffic in percent per ``Existing`` deployment; empty or summing to 100. Default: empty (control
    AML-REL-004)."""
    mirror_traffic: NotRequired[Annotated[dict[str, Percent], Field(default_factory=dict)]]
    """Mirrored (shadow) traffic in percent per ``Existing`` deployment; at most 50 in total. Default: empty
    (control AML-REL-004)."""


def _shares(split: Mapping[str, int]) -> str:
    return ", ".join(f"{n}={s}" for n, s in split.items()) + f" (sum {sum(split.values())})"


@rule(OnlineEndpointSettings)
def _endpoint_rules(e: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    stages: dict[str, DeploymentStage] = {}
    for i, d in enumerate(e["deployments"]):
        if d["name"] in stages:
            yield (
                ("deployments", i, "name"),
                d["name"],
                "a deployment name not used by another deployment of this endpoint",
            )
        stages[d["name"]] = d["stage"]
    for key in ("traffic", "mirror_traffic"):
        for name, share in e[key].items():
            if name not in stages:
                yield (key, name), share, "a deployment of this endpoint: " + (", ".join(stages) or "none")
            elif stages[name] is not DeploymentStage.EXISTING:
                yield (
                    (key, name),
                    share,
                    f"traffic only to deployments with stage Existing: {name!r} is stage New; create it with "
                    "`pulumi up` first, then set it to Existing (DeploymentStage.EXISTING) and give it traffic in "
                    "the next update",
                )
    if e["traffic"] and sum(e["traffic"].values()) != 100:
        yield ("traffic",), _shares(e["traffic"]), "empty, or percentages that sum to 100"
    if sum(e["mirror_traffic"].values()) > MAX_MIRROR_PERCENT:
        yield ("mirror_traffic",), _shares(e["mirror_traffic"]), f"percentages that sum to at most {MAX_MIRROR_PERCENT}"


@args
class OnlineEndpointArgs(OnlineEndpointSettings, InWorkspace, RunsAs):
    """Inputs of :class:`OnlineEndpoint`: the user's settings and where the endpoint goes."""

    endpoint_name: NotRequired[ResourceName | None]
    """The endpoint's name when ``name`` is unset: the estate passes one derived from the workload and stack.
    Default: none (then ``name`` is required)."""
    environment: NotRequired[Annotated[Environment, Field(default=Environment.EXPLORATION)]]
    """``production``: at least 3 instances per deployment and as autoscale minimum. Also production when
    ``tags`` say ``environment=production`` (the tag the pack's AML-REL-007 rule reads), so the two cannot
    disagree. Default: ``exploration`` (control AML-REL-007)."""
    description: NotRequired[str | None]
    """Description of the endpoint. Default: none."""
    tags: NotRequired[Annotated[dict[str, str], Field(default_factory=dict)]]
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


@rule(OnlineEndpointArgs)
def _endpoint_args_rules(e: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    if e.get("name") is None and e.get("endpoint_name") is None:
        yield ("name",), MISSING, "an endpoint name (name, or the estate's endpoint_name)"


def _probe(probe: Mapping[str, Any]) -> ml.ProbeSettingsArgs:
    return ml.ProbeSettingsArgs(
        initial_delay=probe["initial_delay"],
        period=probe["period"],
        timeout=probe["timeout"],
        failure_threshold=probe["failure_threshold"],
        success_threshold=probe["success_threshold"],
    )


def _cpu_rule(deployment_id: pulumi.Input[str], scale: Mapping[str, Any], *, out: bool) -> monitor.ScaleRuleArgs:
    return monitor.ScaleRuleArgs(
        metric_trigger=monitor.MetricTriggerArgs(
            metric_name="CpuUtilizationPercentage",
            metric_namespace=DEPLOYMENT_METRIC_NAMESPACE,
            metric_resource_uri=deployment_id,
            operator=monitor.ComparisonOperationType.GREATER_THAN if out else monitor.ComparisonOperationType.LESS_THAN,
            threshold=scale["cpu_scale_out_percent"] if out else scale["cpu_scale_in_percent"],
            statistic=monitor.MetricStatisticType.AVERAGE,
            time_aggregation=monitor.TimeAggregationType.AVERAGE,
            time_grain="PT1M",
            time_window="PT5M",
        ),
        scale_action=monitor.ScaleActionArgs(
            direction=monitor.ScaleDirection.INCREASE if out else monitor.ScaleDirection.DECREASE,
            type=monitor.ScaleType.CHANGE_COUNT,
            value=str(scale["scale_out_step"] if out else 1),
            cooldown=scale["cooldown"],
        ),
    )


def _latency_rule(endpoint_id: pulumi.Input[str], scale: Mapping[str, Any], threshold_ms: int) -> monitor.ScaleRuleArgs:
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
            value=str(scale["scale_out_step"]),
            cooldown=scale["cooldown"],
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
        a = checked(OnlineEndpointArgs, args, name)
        super().__init__("hardened-aml:index:OnlineEndpoint", name, None, opts)
        tags = dict(a["tags"])
        production = in_production(a)
        endpoint_name = str(a.get("name") or a.get("endpoint_name"))  # one of them: checked above

        self.endpoint = ml.OnlineEndpoint(
            f"{name}-endpoint",
            endpoint_name=endpoint_name,
            resource_group_name=a["resource_group_name"],
            workspace_name=a["workspace_name"],
            location=a["location"],
            identity=ml.ManagedServiceIdentityArgs(type="UserAssigned", user_assigned_identities=[a["identity_id"]]),
            properties=ml.OnlineEndpointPropertiesArgs(
                auth_mode=a["auth_mode"].value,  # AML-IAM-007: Entra token or key, never anonymous
                public_network_access="Disabled",  # AML-NET-013 (mfe.json default: Enabled)
                # AML-REL-004: checked to sum to 100 (or be empty) and to name existing deployments only.
                traffic=dict(a["traffic"]),
                mirror_traffic=dict(a["mirror_traffic"]),
                description=a.get("description"),
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.deployments = {}
        self.autoscale_settings = {}
        for spec in a["deployments"]:
            capacity = _capacity(spec, production)
            code_id, script = spec.get("code_id"), spec.get("scoring_script")
            code = (
                ml.CodeConfigurationArgs(code_id=code_id, scoring_script=script)
                if code_id is not None and script is not None
                else None
            )
            deployment = ml.OnlineDeployment(
                f"{name}-{spec['name']}",
                deployment_name=spec["name"],
                # The endpoint's output: the engine orders the deployment after the endpoint, and the pack
                # relates traffic names to this deployment (AML-REL-004).
                endpoint_name=self.endpoint.name,
                resource_group_name=a["resource_group_name"],
                workspace_name=a["workspace_name"],
                location=a["location"],
                # AML-REL-007: sku.capacity is the instance count (at least 3 in production).
                sku=ml.SkuArgs(name="Default", capacity=capacity),
                properties=ml.ManagedOnlineDeploymentArgs(
                    endpoint_compute_type="Managed",
                    model=spec["model"],
                    instance_type=spec["instance_type"],
                    environment_id=spec.get("environment_id"),
                    code_configuration=code,
                    egress_public_network_access="Disabled",  # AML-NET-013 (the Args class defaults to Enabled)
                    app_insights_enabled=True,  # AML-MON-004 (mfe.json default: false)
                    liveness_probe=_probe(spec["liveness_probe"]),  # AML-REL-008
                    readiness_probe=_probe(spec["readiness_probe"]),  # AML-REL-008
                    request_settings=ml.OnlineRequestSettingsArgs(
                        max_concurrent_requests_per_instance=spec["max_concurrent_requests_per_instance"],
                        request_timeout=spec["request_timeout"],
                    ),
                    # Instances come from sku.capacity; Azure Monitor autoscale changes them (AML-CMP-004).
                    scale_settings=ml.DefaultScaleSettingsArgs(scale_type="Default"),
                ),
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.deployments[spec["name"]] = deployment

            scale = spec["autoscale"]
            rules = [_cpu_rule(deployment.id, scale, out=True), _cpu_rule(deployment.id, scale, out=False)]
            latency = scale.get("latency_scale_out_ms")
            if latency is not None:
                rules.append(_latency_rule(self.endpoint.id, scale, latency))
            minimum = scale.get("minimum") if scale.get("minimum") is not None else capacity
            self.autoscale_settings[spec["name"]] = monitor.AutoscaleSetting(
                f"{name}-{spec['name']}-autoscale",
                autoscale_setting_name=f"autoscale-{endpoint_name}-{spec['name']}",
                resource_group_name=a["resource_group_name"],
                location=a["location"],
                target_resource_uri=deployment.id,  # AML-CMP-004: the deployment is the scaled resource
                enabled=True,  # AML-CMP-004 (Azure's default: false)
                profiles=[
                    monitor.AutoscaleProfileArgs(
                        name="default",
                        capacity=monitor.ScaleCapacityArgs(
                            minimum=str(minimum), default=str(capacity), maximum=str(scale["maximum"])
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
