"""The inference rules (``aml_policies.inference``): one compliant endpoint and deployment, one change per case."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from aml_policies import inference
from aml_policies.core import ResourceRule, StackRule
from tests.policies.harness import (
    DELETE,
    all_violations,
    changed,
    judges,
    remediated,
    run_stack,
    stack_resource,
    violations,
)

ENDPOINT_TOKEN = "azure-native:machinelearningservices:OnlineEndpoint"
DEPLOYMENT_TOKEN = "azure-native:machinelearningservices:OnlineDeployment"
BATCH_TOKEN = "azure-native:machinelearningservices:BatchDeployment"
COMPUTE_TOKEN = "azure-native:machinelearningservices:Compute"
AUTOSCALE_TOKEN = "azure-native:monitor:AutoscaleSetting"

ENDPOINT: dict[str, Any] = {
    "workspaceName": "ws",
    "endpointName": "score",
    "properties": {"authMode": "AADToken", "publicNetworkAccess": "Disabled", "traffic": {"blue": 100}},
}
DEPLOYMENT: dict[str, Any] = {
    "workspaceName": "ws",
    "endpointName": "score",
    "deploymentName": "blue",
    "sku": {"name": "Default", "capacity": 3},
    "tags": {"environment": "production"},
    "properties": {
        "endpointComputeType": "Managed",
        "instanceType": "Standard_DS3_v2",
        "egressPublicNetworkAccess": "Disabled",
        "appInsightsEnabled": True,
        "livenessProbe": {"initialDelay": "PT10S", "period": "PT10S"},
        "readinessProbe": {"initialDelay": "PT10S", "period": "PT10S"},
    },
}
BATCH: dict[str, Any] = {
    "workspaceName": "ws",
    "endpointName": "nightly",
    "deploymentName": "v1",
    "properties": {"compute": "cpu-cluster", "resources": {"instanceCount": 2}},
}
AUTOSCALE: dict[str, Any] = {
    "enabled": True,
    "profiles": [
        {
            "name": "default",
            "capacity": {"minimum": "3", "maximum": "6", "default": "3"},
            "rules": [{"metricTrigger": {"metricName": "CpuUtilizationPercentage"}, "scaleAction": {}}],
        }
    ],
}

RULES = {rule.policy_name: rule for rule in inference.RULES if isinstance(rule, ResourceRule)}
STACK_RULES = {rule.policy_name: rule for rule in inference.RULES if isinstance(rule, StackRule)}


@pytest.mark.parametrize(
    ("token", "props"),
    [
        (ENDPOINT_TOKEN, ENDPOINT),
        (DEPLOYMENT_TOKEN, DEPLOYMENT),
        (BATCH_TOKEN, BATCH),
        ("azure-native:machinelearningservices/v20240401:OnlineEndpoint", ENDPOINT),
        ("azure-native:machinelearningservices/v20240401:OnlineDeployment", DEPLOYMENT),
    ],
)
def test_happy_resources_pass_every_rule(token: str, props: dict[str, Any]) -> None:
    assert all_violations(RULES.values(), token, props) == []


CASES = [
    # AML-NET-013
    (
        "aml-net-013-online-endpoint-private",
        ENDPOINT_TOKEN,
        ENDPOINT,
        "properties.publicNetworkAccess",
        "Enabled",
        ["[AML-NET-013] properties.publicNetworkAccess is 'Enabled'; it must be 'Disabled'"],
    ),
    (
        "aml-net-013-online-endpoint-private",
        ENDPOINT_TOKEN,
        ENDPOINT,
        "properties.publicNetworkAccess",
        DELETE,
        ["[AML-NET-013] properties.publicNetworkAccess is not set; Azure's default is 'Enabled': set it to 'Disabled'"],
    ),
    (
        "aml-net-013-online-deployment-no-public-egress",
        DEPLOYMENT_TOKEN,
        DEPLOYMENT,
        "properties.egressPublicNetworkAccess",
        "Enabled",
        ["[AML-NET-013] properties.egressPublicNetworkAccess is 'Enabled'; it must be 'Disabled'"],
    ),
    (
        "aml-net-013-online-deployment-no-public-egress",
        DEPLOYMENT_TOKEN,
        DEPLOYMENT,
        "properties.egressPublicNetworkAccess",
        DELETE,
        [
            "[AML-NET-013] properties.egressPublicNetworkAccess is not set; Azure's default is 'Enabled': set it to "
            "'Disabled'"
        ],
    ),
    # AML-IAM-007
    (
        "aml-iam-007-online-endpoint-auth",
        ENDPOINT_TOKEN,
        ENDPOINT,
        "properties.authMode",
        DELETE,
        ["[AML-IAM-007] properties.authMode is not set; it must be one of 'AADToken', 'AMLToken', 'Key'"],
    ),
    (
        "aml-iam-007-online-endpoint-auth",
        ENDPOINT_TOKEN,
        ENDPOINT,
        "properties.authMode",
        "None",
        ["[AML-IAM-007] properties.authMode is 'None'; it must be one of 'AADToken', 'AMLToken', 'Key'"],
    ),
    ("aml-iam-007-online-endpoint-auth", ENDPOINT_TOKEN, ENDPOINT, "properties.authMode", "Key", []),
    # AML-REL-004
    (
        "aml-rel-004-online-endpoint-traffic",
        ENDPOINT_TOKEN,
        ENDPOINT,
        "properties.traffic",
        {"blue": 80, "green": 10},
        ["[AML-REL-004] properties.traffic sums to 90 (blue=80, green=10); it must sum to 100 (or be empty)"],
    ),
    (
        "aml-rel-004-online-endpoint-traffic",
        ENDPOINT_TOKEN,
        ENDPOINT,
        "properties.traffic",
        {"blue": 90, "green": 10},
        [],
    ),
    ("aml-rel-004-online-endpoint-traffic", ENDPOINT_TOKEN, ENDPOINT, "properties.traffic", {}, []),
    ("aml-rel-004-online-endpoint-traffic", ENDPOINT_TOKEN, ENDPOINT, "properties.traffic", DELETE, []),
    ("aml-rel-004-online-endpoint-traffic", ENDPOINT_TOKEN, ENDPOINT, "properties.mirrorTraffic", {"green": 50}, []),
    (
        "aml-rel-004-online-endpoint-traffic",
        ENDPOINT_TOKEN,
        ENDPOINT,
        "properties.mirrorTraffic",
        {"green": 30, "red": 30},
        ["[AML-REL-004] properties.mirrorTraffic sums to 60 (green=30, red=30); it must sum to at most 50"],
    ),
    # AML-REL-007
    (
        "aml-rel-007-online-deployment-min-instances",
        DEPLOYMENT_TOKEN,
        DEPLOYMENT,
        "sku.capacity",
        2,
        ["[AML-REL-007] sku.capacity is 2; it must be at least 3 in production"],
    ),
    (
        "aml-rel-007-online-deployment-min-instances",
        DEPLOYMENT_TOKEN,
        DEPLOYMENT,
        "sku.capacity",
        DELETE,
        ["[AML-REL-007] sku.capacity is not set (Azure's default is 1); it must be at least 3 in production"],
    ),
    # AML-REL-008
    (
        "aml-rel-008-online-deployment-probes",
        DEPLOYMENT_TOKEN,
        DEPLOYMENT,
        "properties.livenessProbe",
        DELETE,
        ["[AML-REL-008] properties.livenessProbe is not set"],
    ),
    (
        "aml-rel-008-online-deployment-probes",
        DEPLOYMENT_TOKEN,
        DEPLOYMENT,
        "properties.readinessProbe",
        {},
        ["[AML-REL-008] properties.readinessProbe is not set"],
    ),
    # AML-MON-004
    (
        "aml-mon-004-online-deployment-app-insights",
        DEPLOYMENT_TOKEN,
        DEPLOYMENT,
        "properties.appInsightsEnabled",
        False,
        ["[AML-MON-004] properties.appInsightsEnabled is False; it must be True"],
    ),
    (
        "aml-mon-004-online-deployment-app-insights",
        DEPLOYMENT_TOKEN,
        DEPLOYMENT,
        "properties.appInsightsEnabled",
        DELETE,
        ["[AML-MON-004] properties.appInsightsEnabled is not set; Azure's default is False: set it to True"],
    ),
]


@pytest.mark.parametrize(("policy", "token", "base", "path", "value", "expected"), CASES)
def test_one_change(policy: str, token: str, base: dict[str, Any], path: str, value: Any, expected: list[str]) -> None:
    assert violations(RULES[policy], token, changed(base, path, value)) == expected


def test_versioned_tokens_are_judged() -> None:
    endpoint = changed(ENDPOINT, "properties.publicNetworkAccess", "Enabled")
    assert violations(
        RULES["aml-net-013-online-endpoint-private"],
        "azure-native:machinelearningservices/v20240401:OnlineEndpoint",
        endpoint,
    ) == ["[AML-NET-013] properties.publicNetworkAccess is 'Enabled'; it must be 'Disabled'"]
    deployment = changed(DEPLOYMENT, "properties.appInsightsEnabled", False)
    assert violations(
        RULES["aml-mon-004-online-deployment-app-insights"],
        "azure-native:machinelearningservices/v20240401:OnlineDeployment",
        deployment,
    ) == ["[AML-MON-004] properties.appInsightsEnabled is False; it must be True"]


def test_kubernetes_deployment_has_no_egress_setting() -> None:
    props = changed(DEPLOYMENT, "properties", {"endpointComputeType": "Kubernetes"})
    assert not judges(RULES["aml-net-013-online-deployment-no-public-egress"], DEPLOYMENT_TOKEN, props)


def test_min_instances_only_in_production_and_configurable() -> None:
    rule = RULES["aml-rel-007-online-deployment-min-instances"]
    assert not judges(rule, DEPLOYMENT_TOKEN, changed(DEPLOYMENT, "tags.environment", "exploration"))
    assert not judges(rule, DEPLOYMENT_TOKEN, changed(DEPLOYMENT, "tags", DELETE))
    assert violations(rule, DEPLOYMENT_TOKEN, DEPLOYMENT, {"minInstances": 5}) == [
        "[AML-REL-007] sku.capacity is 3; it must be at least 5 in production"
    ]


def test_config_schemas_have_type_and_default() -> None:
    for rule in inference.RULES:
        for schema in rule.config.values():
            assert "type" in schema and "default" in schema


REMEDIATIONS = [
    (
        "aml-net-013-online-endpoint-private",
        ENDPOINT_TOKEN,
        ENDPOINT,
        "properties.publicNetworkAccess",
        "Enabled",
        "Disabled",
    ),
    (
        "aml-net-013-online-deployment-no-public-egress",
        DEPLOYMENT_TOKEN,
        DEPLOYMENT,
        "properties.egressPublicNetworkAccess",
        DELETE,
        "Disabled",
    ),
    (
        "aml-mon-004-online-deployment-app-insights",
        DEPLOYMENT_TOKEN,
        DEPLOYMENT,
        "properties.appInsightsEnabled",
        False,
        True,
    ),
]


@pytest.mark.parametrize(("policy", "token", "base", "path", "bad", "good"), REMEDIATIONS)
def test_remediation(policy: str, token: str, base: dict[str, Any], path: str, bad: Any, good: Any) -> None:
    rule = RULES[policy]
    fixed = remediated(rule, token, changed(base, path, bad))
    assert fixed == changed(base, path, good)
    assert violations(rule, token, fixed) == []
    assert remediated(rule, token, base) is None


# --- stack rules -------------------------------------------------------------------------------------
# AML-REL-004: traffic names deployments of that endpoint
TARGETS = "aml-rel-004-online-endpoint-traffic-targets"


def test_traffic_names_existing_deployments() -> None:
    endpoint = stack_resource(ENDPOINT_TOKEN, "score", ENDPOINT)
    blue = stack_resource(DEPLOYMENT_TOKEN, "blue", DEPLOYMENT, {"endpointName": [endpoint]})
    assert run_stack(STACK_RULES[TARGETS], endpoint, blue) == []


def test_traffic_naming_a_missing_deployment_fails() -> None:
    props = changed(ENDPOINT, "properties.traffic", {"blue": 90, "green": 10})
    props = changed(props, "properties.mirrorTraffic", {"red": 10})
    endpoint = stack_resource(ENDPOINT_TOKEN, "score", props)
    blue = stack_resource(DEPLOYMENT_TOKEN, "blue", DEPLOYMENT, {"endpointName": [endpoint]})
    assert run_stack(STACK_RULES[TARGETS], endpoint, blue) == [
        (
            "OnlineEndpoint 'score': properties.traffic names 'green', which is not an OnlineDeployment of this "
            "endpoint (its deployments in this stack: 'blue')",
            endpoint.urn,
        ),
        (
            "OnlineEndpoint 'score': properties.mirrorTraffic names 'red', which is not an OnlineDeployment of this "
            "endpoint (its deployments in this stack: 'blue')",
            endpoint.urn,
        ),
    ]


def test_a_deployment_of_another_endpoint_does_not_count() -> None:
    endpoint = stack_resource(ENDPOINT_TOKEN, "score", ENDPOINT)
    other = stack_resource(ENDPOINT_TOKEN, "other", changed(ENDPOINT, "endpointName", "other"))
    blue = stack_resource(DEPLOYMENT_TOKEN, "blue", DEPLOYMENT, {"endpointName": [other]})
    assert run_stack(STACK_RULES[TARGETS], endpoint, other, blue) == [
        (
            "OnlineEndpoint 'score': properties.traffic names 'blue', which is not an OnlineDeployment of this "
            "endpoint (its deployments in this stack: none)",
            endpoint.urn,
        ),
    ]


def test_empty_traffic_names_nothing() -> None:
    endpoint = stack_resource(ENDPOINT_TOKEN, "score", changed(ENDPOINT, "properties.traffic", DELETE))
    assert run_stack(STACK_RULES[TARGETS], endpoint) == []


# AML-REL-005: batch deployments on dedicated clusters
BATCH_RULE = "aml-rel-005-batch-deployment-dedicated-compute"


def _cluster(priority: str) -> PolicyResource:
    props = {"workspaceName": "ws", "properties": {"computeType": "AmlCompute", "properties": {"vmPriority": priority}}}
    return stack_resource(COMPUTE_TOKEN, f"{priority.lower()}-cluster", props)


def test_batch_on_dedicated_cluster_passes() -> None:
    cluster = _cluster("Dedicated")
    batch = stack_resource(BATCH_TOKEN, "nightly", BATCH, {"properties": [cluster]})
    assert run_stack(STACK_RULES[BATCH_RULE], cluster, batch) == []


def test_batch_on_low_priority_cluster_fails_unless_tagged() -> None:
    cluster = _cluster("LowPriority")
    batch = stack_resource(BATCH_TOKEN, "nightly", BATCH, {"properties": [cluster]})
    assert run_stack(STACK_RULES[BATCH_RULE], cluster, batch) == [
        (
            "BatchDeployment 'nightly': properties.compute is cluster 'lowpriority-cluster', whose vmPriority is "
            "'LowPriority'; batch inference must run on a 'Dedicated' cluster unless the deployment is tagged "
            "hardened-aml/interruptible=true",
            batch.urn,
        ),
    ]
    tagged = stack_resource(
        BATCH_TOKEN,
        "nightly",
        changed(BATCH, "tags", {"hardened-aml/interruptible": "true"}),
        {"properties": [cluster]},
    )
    assert run_stack(STACK_RULES[BATCH_RULE], cluster, tagged) == []


def test_unrelated_low_priority_cluster_is_not_the_batch_compute() -> None:
    dedicated, low = _cluster("Dedicated"), _cluster("LowPriority")
    batch = stack_resource(BATCH_TOKEN, "nightly", BATCH, {"properties": [dedicated]})
    assert run_stack(STACK_RULES[BATCH_RULE], dedicated, low, batch) == []


# AML-CMP-004: autoscale for managed online deployments
AUTOSCALE_RULE = "aml-cmp-004-online-deployment-autoscale"


def test_deployment_with_autoscale_passes() -> None:
    blue = stack_resource(DEPLOYMENT_TOKEN, "blue", DEPLOYMENT)
    scale = stack_resource(AUTOSCALE_TOKEN, "blue-scale", AUTOSCALE, {"targetResourceUri": [blue]})
    assert run_stack(STACK_RULES[AUTOSCALE_RULE], blue, scale) == []


def test_deployment_without_autoscale_fails() -> None:
    blue = stack_resource(DEPLOYMENT_TOKEN, "blue", DEPLOYMENT)
    green = stack_resource(DEPLOYMENT_TOKEN, "green", changed(DEPLOYMENT, "deploymentName", "green"))
    scale = stack_resource(AUTOSCALE_TOKEN, "green-scale", AUTOSCALE, {"targetResourceUri": [green]})
    assert run_stack(STACK_RULES[AUTOSCALE_RULE], blue, green, scale) == [
        ("OnlineDeployment 'blue' has no monitor:AutoscaleSetting whose targetResourceUri refers to it", blue.urn),
    ]


def test_autoscale_by_arm_id_counts() -> None:
    arm_id = (
        "/subscriptions/0/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/"
        "onlineEndpoints/score/deployments/blue"
    )
    blue = stack_resource(DEPLOYMENT_TOKEN, "blue", changed(DEPLOYMENT, "id", arm_id))
    scale = stack_resource(AUTOSCALE_TOKEN, "blue-scale", changed(AUTOSCALE, "targetResourceUri", arm_id))
    assert run_stack(STACK_RULES[AUTOSCALE_RULE], blue, scale) == []


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("enabled", DELETE, "enabled is not true (Azure's default is false)"),
        ("enabled", False, "enabled is not true (Azure's default is false)"),
        ("profiles", [], "profiles is not set"),
        ("profiles.0.capacity", {"default": "3"}, "profiles[0].capacity needs a numeric minimum and maximum"),
        (
            "profiles.0.capacity",
            {"minimum": "5", "maximum": "2", "default": "3"},
            "profiles[0].capacity.minimum is 5; it must not exceed capacity.maximum (2)",
        ),
        ("profiles.0.rules", [], "profiles[0].rules is empty; it needs at least one scale rule"),
    ],
)
def test_weak_autoscale_setting_fails(path: str, value: Any, problem: str) -> None:
    props = copy.deepcopy(AUTOSCALE)
    if path.startswith("profiles.0."):
        leaf = path.removeprefix("profiles.0.")
        if value is DELETE:
            del props["profiles"][0][leaf]
        else:
            props["profiles"][0][leaf] = value
    else:
        props = changed(props, path, value)
    blue = stack_resource(DEPLOYMENT_TOKEN, "blue", DEPLOYMENT)
    scale = stack_resource(AUTOSCALE_TOKEN, "blue-scale", props, {"targetResourceUri": [blue]})
    assert run_stack(STACK_RULES[AUTOSCALE_RULE], blue, scale) == [
        (f"AutoscaleSetting 'blue-scale' of OnlineDeployment 'blue': {problem}", scale.urn)
    ]


def test_kubernetes_deployments_need_no_autoscale_setting() -> None:
    k8s = stack_resource(DEPLOYMENT_TOKEN, "k8s", changed(DEPLOYMENT, "properties.endpointComputeType", "Kubernetes"))
    assert run_stack(STACK_RULES[AUTOSCALE_RULE], k8s) == []


def test_unknown_value_is_never_a_silent_pass() -> None:
    props = changed(ENDPOINT, "properties.traffic", {"blue": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"})
    with pytest.raises(UnknownValueError):
        violations(RULES["aml-rel-004-online-endpoint-traffic"], ENDPOINT_TOKEN, props)


# --- endpointComputeType is the deployment's discriminator ------------------------------------------------
@pytest.mark.parametrize("kind", [DELETE, "Serverless", 3, ["Managed"]])
def test_a_deployment_of_no_known_kind_is_unreadable_not_skipped(kind: Any) -> None:
    props = changed(DEPLOYMENT, "properties.endpointComputeType", kind)
    rule = RULES["aml-net-013-online-deployment-no-public-egress"]
    found = violations(rule, DEPLOYMENT_TOKEN, props)
    assert len(found) == 1 and "unreadable" in found[0] and "properties.endpointComputeType" in found[0]
    expected = "'Managed', 'Kubernetes'" if kind is DELETE or isinstance(kind, str) else "expected a string"
    assert expected in found[0]


def test_the_deployment_kind_is_read_ignoring_case() -> None:
    props = changed(DEPLOYMENT, "properties.endpointComputeType", "managed")
    assert judges(RULES["aml-net-013-online-deployment-no-public-egress"], DEPLOYMENT_TOKEN, props)
    kubernetes = changed(DEPLOYMENT, "properties.endpointComputeType", "KUBERNETES")
    assert violations(RULES["aml-net-013-online-deployment-no-public-egress"], DEPLOYMENT_TOKEN, kubernetes) == []


# --- AML-IAM-012: production endpoints use Entra tokens ---------------------------------------------------
PRODUCTION_ENDPOINT = changed(ENDPOINT, "tags", {"Environment": "Production"})


@pytest.mark.parametrize("mode", ["Key", "key", "AMLToken", "amltoken"])
def test_key_or_aml_token_auth_in_production_is_flagged(mode: str) -> None:
    rule = RULES["aml-iam-012-production-endpoint-entra-auth"]
    found = violations(rule, ENDPOINT_TOKEN, changed(PRODUCTION_ENDPOINT, "properties.authMode", mode))
    assert len(found) == 1 and f"properties.authMode is {mode!r}" in found[0] and "AADToken" in found[0]


def test_entra_auth_in_production_and_key_auth_in_exploration_pass() -> None:
    rule = RULES["aml-iam-012-production-endpoint-entra-auth"]
    assert violations(rule, ENDPOINT_TOKEN, changed(PRODUCTION_ENDPOINT, "properties.authMode", "aadtoken")) == []
    exploration = changed(ENDPOINT, "tags", {"environment": "exploration"})
    assert not judges(rule, ENDPOINT_TOKEN, changed(exploration, "properties.authMode", "Key"))
    # A missing mode is AML-IAM-007's finding, not a second one here.
    assert violations(rule, ENDPOINT_TOKEN, changed(PRODUCTION_ENDPOINT, "properties.authMode", DELETE)) == []
    assert violations(
        RULES["aml-iam-007-online-endpoint-auth"],
        ENDPOINT_TOKEN,
        changed(PRODUCTION_ENDPOINT, "properties.authMode", DELETE),
    )
