"""Rules for online and batch inference: endpoints, deployments and their autoscale settings.

azure-native nests the endpoint and deployment bodies under ``properties`` (``OnlineEndpointProperties``,
``ManagedOnlineDeployment`` | ``KubernetesOnlineDeployment``, ``BatchDeploymentProperties``); ``sku``,
``endpointName``, ``workspaceName`` and ``tags`` are top-level. Names and enum values: REST spec
``Microsoft.MachineLearningServices/stable/2025-12-01/mfe.json`` (``EndpointAuthMode``: AMLToken, Key,
AADToken; ``PublicNetworkAccessType`` / ``EgressPublicNetworkAccessType``: Enabled, Disabled;
``EndpointComputeType``: Managed, Kubernetes, AzureMLCompute). The SDK's input types default
``publicNetworkAccess`` and ``egressPublicNetworkAccess`` to 'Enabled' and ``appInsightsEnabled`` to false,
so those must be set explicitly.

Traffic: "Traffic values need to sum to 100"; mirror traffic: "Traffic values need to sum to utmost 50"
(``OnlineEndpointProperties.traffic`` / ``mirrorTraffic``, Azure SDK references on learn.microsoft.com).
Autoscale for managed online deployments goes through Azure Monitor (``monitor:AutoscaleSetting`` whose
``targetResourceUri`` is the deployment's id); its ``enabled`` flag defaults to false.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from aml_catalogue import INTERRUPTIBLE_TAG
from aml_policies.core import (
    MISSING,
    SET_REQUIRED,
    Config,
    Props,
    ResourceRule,
    Stack,
    StackRule,
    Unreadable,
    all_of,
    as_number,
    default,
    equals,
    get,
    in_production,
    is_true,
    items,
    mapping,
    number,
    one_of,
    present,
    same,
    tag,
    type_key,
    where_equals,
)

ONLINE_ENDPOINT = "machinelearningservices:OnlineEndpoint"
ONLINE_DEPLOYMENT = "machinelearningservices:OnlineDeployment"
BATCH_DEPLOYMENT = "machinelearningservices:BatchDeployment"
COMPUTE = "machinelearningservices:Compute"
AUTOSCALE_SETTING = "monitor:AutoscaleSetting"

#: ``endpointComputeType`` is the discriminator of ``OnlineDeploymentProperties`` (``ManagedOnlineDeployment`` is
#: "Managed", ``KubernetesOnlineDeployment`` "Kubernetes": mfe.json ``x-ms-discriminator-value``). A deployment
#: with none, or another value, is judged as unreadable, never skipped.
DEPLOYMENT_KINDS = ("Managed", "Kubernetes")
_managed = where_equals("properties.endpointComputeType", "Managed", "managed deployments", known=DEPLOYMENT_KINDS)


# --- AML-REL-004 ------------------------------------------------------------------------------------
def _traffic(props: Props, _config: Config) -> Iterator[str]:
    traffic = mapping(props, "properties.traffic")
    if traffic is not None and len(traffic) > 0:
        total = number(_sum(traffic, "properties.traffic"))
        if total != 100:
            yield f"properties.traffic sums to {total} ({_show(traffic)}); it must sum to 100 (or be empty)"
    mirror = mapping(props, "properties.mirrorTraffic")
    if mirror is not None and len(mirror) > 0:
        total = number(_sum(mirror, "properties.mirrorTraffic"))
        if total > 50:
            yield f"properties.mirrorTraffic sums to {total} ({_show(mirror)}); it must sum to at most 50"


def _sum(shares: Mapping[str, Any], path: str) -> float:
    """The sum of a traffic map's percentages (numbers, or their string form); :class:`Unreadable` otherwise."""
    total = 0.0
    for name, share in shares.items():
        read = as_number(share)
        if read is None:
            raise Unreadable(f"{path}.{name}", share, "a number")
        total += read
    return total


def _show(traffic: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={number(share)}" for name, share in traffic.items())


def _deployment_name(deployment: PolicyResource) -> str:
    name = get(deployment.props, "deploymentName")
    return str(name) if name is not MISSING else deployment.name


def _traffic_names_deployments(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """Every name in an endpoint's traffic and mirrorTraffic is an OnlineDeployment of that endpoint."""
    for endpoint in stack.of_type(ONLINE_ENDPOINT):
        named = {
            str(name): path
            for path in ("properties.traffic", "properties.mirrorTraffic")
            for name in (mapping(endpoint.props, path) or {})
        }
        if not named:
            continue
        deployments = stack.referrers(endpoint, (ONLINE_DEPLOYMENT,), "endpointName")
        existing = sorted(_deployment_name(d) for d in deployments)
        known = {name.lower() for name in existing}
        listed = ", ".join(repr(n) for n in existing) or "none"
        for name, path in named.items():
            if name.lower() not in known:
                yield (
                    f"OnlineEndpoint {endpoint.name!r}: {path} names {name!r}, which is not an "
                    f"OnlineDeployment of this endpoint (its deployments in this stack: {listed})",
                    endpoint.urn,
                )


# --- AML-REL-005 (batch) -----------------------------------------------------------------------------
def _batch_on_dedicated(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """A batch deployment runs on a Dedicated cluster unless the deployment itself tolerates eviction."""
    for deployment in stack.of_type(BATCH_DEPLOYMENT):
        if is_true(tag(deployment.props, INTERRUPTIBLE_TAG)):
            continue
        for compute in stack.targets(deployment, "properties", "compute"):
            if type_key(compute.resource_type) != COMPUTE:
                continue
            if same(get(compute.props, "properties.properties.vmPriority"), "LowPriority"):
                yield (
                    f"BatchDeployment {deployment.name!r}: properties.compute is cluster {compute.name!r}, "
                    "whose vmPriority is 'LowPriority'; batch inference must run on a 'Dedicated' cluster "
                    f"unless the deployment is tagged {INTERRUPTIBLE_TAG}=true",
                    deployment.urn,
                )


# --- AML-REL-007 ------------------------------------------------------------------------------------
def _min_instances(props: Props, config: Config) -> Iterator[str]:
    minimum = config["minInstances"]
    capacity = get(props, "sku.capacity")
    if capacity is MISSING:
        yield f"sku.capacity is not set (Azure's default is 1); it must be at least {minimum} in production"
    elif (read := as_number(capacity)) is None or read < minimum:
        yield f"sku.capacity is {number(capacity)!r}; it must be at least {minimum} in production"


# --- AML-CMP-004 ------------------------------------------------------------------------------------
def _capacity(value: Any) -> int | None:
    """Autoscale capacities are strings in the spec (``ScaleCapacity``: "minimum": "1"); numbers are read too."""
    read = as_number(value)
    return int(read) if read is not None else None


def _autoscale_problems(setting: PolicyResource) -> Iterator[str]:
    if not is_true(get(setting.props, "enabled")):
        yield "enabled is not true (Azure's default is false)"
    profiles = items(setting.props, "profiles")
    if not profiles:
        yield "profiles is not set"
    for i, profile in enumerate(profiles):
        low = _capacity(get(profile, "capacity.minimum"))
        high = _capacity(get(profile, "capacity.maximum"))
        if low is None or high is None:
            yield f"profiles[{i}].capacity needs a numeric minimum and maximum"
        elif low > high:
            yield f"profiles[{i}].capacity.minimum is {low}; it must not exceed capacity.maximum ({high})"
        if not items(profile, "rules"):
            yield f"profiles[{i}].rules is empty; it needs at least one scale rule"


def _autoscaled(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    for deployment in stack.of_type(ONLINE_DEPLOYMENT):
        if not same(get(deployment.props, "properties.endpointComputeType"), "Managed"):
            continue
        settings = stack.referrers(deployment, (AUTOSCALE_SETTING,), "targetResourceUri")
        if not settings:
            yield (
                f"OnlineDeployment {deployment.name!r} has no {AUTOSCALE_SETTING} whose targetResourceUri refers to it",
                deployment.urn,
            )
        for setting in settings:
            for problem in _autoscale_problems(setting):
                yield (
                    f"AutoscaleSetting {setting.name!r} of OnlineDeployment {deployment.name!r}: {problem}",
                    setting.urn,
                )


RULES: tuple[ResourceRule | StackRule, ...] = (
    ResourceRule(
        control="AML-NET-013",
        name="online-endpoint-private",
        types=(ONLINE_ENDPOINT,),
        check=equals("properties.publicNetworkAccess", "Disabled", default="Enabled"),
        remediate=SET_REQUIRED,
    ),
    ResourceRule(
        control="AML-NET-013",
        name="online-deployment-no-public-egress",
        types=(ONLINE_DEPLOYMENT,),
        where=_managed,
        check=equals("properties.egressPublicNetworkAccess", "Disabled", default="Enabled"),
        remediate=SET_REQUIRED,
    ),
    ResourceRule(
        control="AML-IAM-007",
        name="online-endpoint-auth",
        types=(ONLINE_ENDPOINT,),
        check=one_of("properties.authMode", ("AADToken", "AMLToken", "Key")),
    ),
    ResourceRule(
        control="AML-IAM-012",
        name="production-endpoint-entra-auth",
        types=(ONLINE_ENDPOINT,),
        where=in_production,
        description="online endpoints tagged environment=production authenticate with Microsoft Entra tokens: "
        "properties.authMode is 'AADToken' (a key or an AML token is an insecure choice asked for by name; "
        "accept it per stack by setting this policy to advisory in the policy config).",
        # A missing authMode is AML-IAM-007's finding; this rule judges the mode that was chosen.
        check=equals(
            "properties.authMode",
            "AADToken",
            missing_fails=False,
            why="keys and AML tokens are long-lived shared secrets, not identities",
        ),
        remediate=SET_REQUIRED,
    ),
    ResourceRule(
        control="AML-REL-004",
        name="online-endpoint-traffic",
        types=(ONLINE_ENDPOINT,),
        description="properties.traffic is empty or sums to 100; properties.mirrorTraffic sums to at most 50.",
        check=_traffic,
    ),
    StackRule(
        control="AML-REL-004",
        name="online-endpoint-traffic-targets",
        check=_traffic_names_deployments,
        description="every name in an endpoint's traffic and mirrorTraffic is an OnlineDeployment whose "
        "endpointName depends on that endpoint.",
    ),
    StackRule(
        control="AML-REL-005",
        name="batch-deployment-dedicated-compute",
        check=_batch_on_dedicated,
        description="a BatchDeployment whose properties.compute refers to a 'LowPriority' cluster is tagged "
        f"{INTERRUPTIBLE_TAG}=true.",
    ),
    ResourceRule(
        control="AML-REL-007",
        name="online-deployment-min-instances",
        types=(ONLINE_DEPLOYMENT,),
        description="deployments tagged environment=production have sku.capacity of at least the configured "
        "minInstances.",
        where=in_production,
        check=_min_instances,
        config={
            "minInstances": {
                "type": "integer",
                "minimum": 1,
                "default": default("AML-REL-007", "minInstances"),
                "description": "The fewest instances a production online deployment may run.",
            }
        },
    ),
    ResourceRule(
        control="AML-REL-008",
        name="online-deployment-probes",
        types=(ONLINE_DEPLOYMENT,),
        check=all_of(present("properties.livenessProbe"), present("properties.readinessProbe")),
    ),
    ResourceRule(
        control="AML-MON-004",
        name="online-deployment-app-insights",
        types=(ONLINE_DEPLOYMENT,),
        check=equals("properties.appInsightsEnabled", True, default=False),
        remediate=SET_REQUIRED,
    ),
    StackRule(
        control="AML-CMP-004",
        name="online-deployment-autoscale",
        check=_autoscaled,
        description=f"every managed OnlineDeployment has an enabled {AUTOSCALE_SETTING} whose "
        "targetResourceUri refers to it, each profile with a capacity minimum and maximum and a rule.",
    ),
)
