from __future__ import annotations

from typing import Any

import pytest
from component_plan import TAGS, UAI_ID, refused

from hardened_aml.errors import MISSING, InvalidInputError
from hardened_aml.online_endpoint import (
    AuthMode,
    Autoscale,
    DeploymentStage,
    OnlineDeployment,
    OnlineEndpoint,
    OnlineEndpointArgs,
    OnlineEndpointSettings,
    Probe,
)
from hardened_aml.shared import Environment
from tests.pack_check import mandatory, violations

MODEL = "azureml://registries/azureml/models/distilbert-base-uncased/versions/1"
ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
AUTOSCALE = "azure-native:monitor:AutoscaleSetting"
PROD_TAGS = {**TAGS, "environment": "production"}


def _blue(**overrides: Any) -> OnlineDeployment:
    values: dict[str, Any] = dict(name="blue", model=MODEL, stage=DeploymentStage.EXISTING)
    values.update(overrides)
    return OnlineDeployment(**values)


def _args(**overrides: Any) -> OnlineEndpointArgs:
    values: dict[str, Any] = dict(
        resource_group_name="rg-test",
        workspace_name="mlw-test",
        location="westeurope",
        endpoint_name="ep-test",
        identity_id=UAI_ID,
        deployments=[_blue()],
        traffic={"blue": 100},
        tags=TAGS,
    )
    values.update(overrides)
    return OnlineEndpointArgs(**values)


def _blue_green(production: bool = False) -> OnlineEndpointArgs:
    return _args(
        deployments=[_blue(), _blue(name="green", stage=DeploymentStage.NEW)],
        traffic={"blue": 100},
        environment=Environment.PRODUCTION if production else Environment.EXPLORATION,
        tags=PROD_TAGS if production else TAGS,
    )


def test_children_and_hardened_inputs(plan):
    p = plan(lambda: OnlineEndpoint("inf", _args()))
    component = p.one("hardened-aml:index:OnlineEndpoint")
    assert p.types() == sorted(["hardened-aml:index:OnlineEndpoint", ENDPOINT, DEPLOYMENT, AUTOSCALE])
    endpoint, deployment, autoscale = p.one(ENDPOINT), p.one(DEPLOYMENT), p.one(AUTOSCALE)
    assert (endpoint.name, deployment.name, autoscale.name) == ("inf-endpoint", "inf-blue", "inf-blue-autoscale")
    assert {endpoint.parent, deployment.parent, autoscale.parent} == {component.urn}

    e = endpoint.inputs
    assert e["endpointName"] == "ep-test"
    assert e["workspaceName"] == "mlw-test"
    assert e["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [UAI_ID]}
    assert e["properties"]["authMode"] == "AADToken"  # AML-IAM-007
    assert e["properties"]["publicNetworkAccess"] == "Disabled"  # AML-NET-013
    assert e["properties"]["traffic"] == {"blue": 100}  # AML-REL-004
    assert e["tags"] == TAGS

    d = deployment.inputs
    assert d["deploymentName"] == "blue"
    assert d["endpointName"] == "ep-test"
    assert d["sku"] == {"name": "Default", "capacity": 1}
    props = d["properties"]
    assert props["endpointComputeType"] == "Managed"  # camelCase: the union was built with its Args class
    assert props["egressPublicNetworkAccess"] == "Disabled"  # AML-NET-013
    assert props["appInsightsEnabled"] is True  # AML-MON-004
    assert props["model"] == MODEL
    assert props["instanceType"] == "Standard_DS3_v2"
    probe = {
        "initialDelay": "PT10S",
        "period": "PT10S",
        "timeout": "PT2S",
        "failureThreshold": 30,
        "successThreshold": 1,
    }
    assert props["livenessProbe"] == probe and props["readinessProbe"] == probe  # AML-REL-008
    # maxQueueWait is filled by the SDK's Args class (deprecated for managed endpoints; harmless).
    assert props["requestSettings"] == {
        "maxConcurrentRequestsPerInstance": 1,
        "requestTimeout": "PT5S",
        "maxQueueWait": "PT0.5S",
    }
    assert props["scaleSettings"] == {"scaleType": "Default"}
    assert d["tags"] == TAGS

    a = autoscale.inputs
    assert a["enabled"] is True  # AML-CMP-004
    assert a["targetResourceUri"].endswith("/workspaces/mlw-test/onlineEndpoints/ep-test/deployments/blue")
    [profile] = a["profiles"]
    assert profile["capacity"] == {"minimum": "1", "default": "1", "maximum": "5"}
    out, in_ = profile["rules"]
    assert out["metricTrigger"]["metricName"] == "CpuUtilizationPercentage"
    assert out["metricTrigger"]["metricNamespace"] == (
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
    )
    assert out["metricTrigger"]["metricResourceUri"] == a["targetResourceUri"]
    assert (out["metricTrigger"]["operator"], out["metricTrigger"]["threshold"]) == ("GreaterThan", 70)
    assert out["scaleAction"] == {"direction": "Increase", "type": "ChangeCount", "value": "1", "cooldown": "PT5M"}
    assert (in_["metricTrigger"]["operator"], in_["metricTrigger"]["threshold"]) == ("LessThan", 30)
    assert in_["scaleAction"]["direction"] == "Decrease"
    assert a["tags"] == TAGS


def test_order_endpoint_then_deployments_then_autoscale(plan):
    p = plan(lambda: OnlineEndpoint("inf", _blue_green()))
    endpoint = p.one(ENDPOINT)
    deployments = p.of_type(DEPLOYMENT)
    assert sorted(d.name for d in deployments) == ["inf-blue", "inf-green"]
    # The endpoint depends on no deployment (Azure needs it first) ...
    assert not {d.urn for d in deployments} & set(endpoint.dependencies)
    for deployment in deployments:
        # ... and every deployment takes its endpointName from the endpoint, so it is created after it.
        assert deployment.property_dependencies["endpointName"] == [endpoint.urn]
    for setting in p.of_type(AUTOSCALE):
        target = p.named(setting.name.removesuffix("-autoscale"))
        assert setting.property_dependencies["targetResourceUri"] == [target.urn]
    # The new deployment gets no traffic in the update that creates it.
    assert endpoint.inputs["properties"]["traffic"] == {"blue": 100}


def test_production_blue_green_passes_the_pack(plan):
    p = plan(lambda: OnlineEndpoint("inf", _blue_green(production=True)))
    for deployment in p.of_type(DEPLOYMENT):
        assert deployment.inputs["sku"]["capacity"] == 3  # AML-REL-007
        assert deployment.inputs["tags"]["environment"] == "production"
    for setting in p.of_type(AUTOSCALE):
        assert setting.inputs["profiles"][0]["capacity"] == {"minimum": "3", "default": "3", "maximum": "5"}
    assert mandatory(p.resources) == []
    # Not even an advisory finding: autoscale (AML-CMP-004) is advisory in the pack, and it is met.
    assert [f"{d.policy}: {d.message}" for d in violations(p.resources)] == []


def test_split_and_mirror_pass_the_pack(plan):
    args = _args(
        deployments=[_blue(), _blue(name="green")],
        traffic={"blue": 90, "green": 10},
        mirror_traffic={"green": 20},
        auth_mode=AuthMode.KEY,
    )
    p = plan(lambda: OnlineEndpoint("inf", args))
    props = p.one(ENDPOINT).inputs["properties"]
    assert props["traffic"] == {"blue": 90, "green": 10}
    assert props["mirrorTraffic"] == {"green": 20}
    assert props["authMode"] == "Key"
    assert mandatory(p.resources) == []


def test_new_endpoint_is_created_with_empty_traffic(plan):
    args = _args(deployments=[_blue(stage=DeploymentStage.NEW)], traffic={})
    p = plan(lambda: OnlineEndpoint("inf", args))
    assert p.one(ENDPOINT).inputs["properties"]["traffic"] == {}
    assert mandatory(p.resources) == []


def test_latency_rule_scales_on_the_endpoint_metric(plan):
    args = _args(deployments=[_blue(autoscale=Autoscale(latency_scale_out_ms=200, maximum=8, scale_out_step=2))])
    p = plan(lambda: OnlineEndpoint("inf", args))
    rules = p.one(AUTOSCALE).inputs["profiles"][0]["rules"]
    latency = rules[2]["metricTrigger"]
    assert latency["metricName"] == "RequestLatency"
    assert latency["metricNamespace"] == "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
    assert latency["metricResourceUri"].endswith("/onlineEndpoints/ep-test")
    assert latency["threshold"] == 200
    assert rules[0]["scaleAction"]["value"] == "2"


def test_traffic_must_sum_to_100():
    err = refused(
        lambda: OnlineEndpoint(
            "inf", _args(deployments=[_blue(), _blue(name="green")], traffic={"blue": 80, "green": 10})
        )
    )
    assert err.key == "inf.traffic"
    assert err.value == "blue=80, green=10 (sum 90)"
    assert "sum to 100" in err.allowed


def test_traffic_must_name_a_declared_deployment():
    err = refused(lambda: OnlineEndpoint("inf", _args(traffic={"blue": 50, "red": 50})))
    assert err.key == "inf.traffic.red"
    assert "blue" in err.allowed


def test_traffic_to_a_new_deployment_is_refused_with_the_two_step():
    err = refused(lambda: OnlineEndpoint("inf", _args(deployments=[_blue(stage=DeploymentStage.NEW)])))
    assert (err.key, err.value) == ("inf.traffic.blue", 100)
    assert "stage Existing" in err.allowed and "DeploymentStage.EXISTING" in err.allowed


def test_mirror_traffic_at_most_50():
    args = _args(deployments=[_blue(), _blue(name="green")], mirror_traffic={"green": 60})
    err = refused(lambda: OnlineEndpoint("inf", args))
    assert err.key == "inf.mirror_traffic"
    assert err.value == "green=60 (sum 60)"
    assert "at most 50" in err.allowed


def test_mirror_traffic_only_to_existing_deployments():
    args = _args(deployments=[_blue(), _blue(name="green", stage=DeploymentStage.NEW)], mirror_traffic={"green": 10})
    err = refused(lambda: OnlineEndpoint("inf", args))
    assert (err.key, err.value) == ("inf.mirror_traffic.green", 10)
    assert "stage Existing" in err.allowed


def test_production_needs_three_instances():
    args = _args(deployments=[_blue(instance_count=2)], environment=Environment.PRODUCTION, tags=PROD_TAGS)
    err = refused(lambda: OnlineEndpoint("inf", args))
    assert (err.key, err.value) == ("inf.deployments.0.instance_count", 2)
    assert "3 or more" in err.allowed and "AML-REL-007" in err.allowed


def test_production_environment_alone_raises_the_minimum(plan):
    """``environment`` without the tag: the component's own production flag."""
    p = plan(lambda: OnlineEndpoint("inf", _args(environment="production")))
    assert p.one(DEPLOYMENT).inputs["sku"]["capacity"] == 3
    [profile] = p.one(AUTOSCALE).inputs["profiles"]
    assert profile["capacity"] == {"minimum": "3", "default": "3", "maximum": "5"}


def test_production_autoscale_minimum_at_least_three():
    args = _args(deployments=[_blue(autoscale=Autoscale(minimum=1))], environment="production", tags=PROD_TAGS)
    err = refused(lambda: OnlineEndpoint("inf", args))
    assert (err.key, err.value) == ("inf.deployments.0.autoscale.minimum", 1)
    assert "AML-REL-007" in err.allowed


def test_autoscale_minimum_at_most_the_instance_count():
    err = refused(lambda: OnlineEndpoint("inf", _args(deployments=[_blue(autoscale=Autoscale(minimum=2))])))
    assert (err.key, err.value) == ("inf.deployments.0.autoscale.minimum", 2)
    assert "at most the instance count (1)" in err.allowed


def test_autoscale_maximum_at_least_the_instance_count():
    args = _args(deployments=[_blue(instance_count=4, autoscale=Autoscale(maximum=3))])
    err = refused(lambda: OnlineEndpoint("inf", args))
    assert (err.key, err.value) == ("inf.deployments.0.autoscale.maximum", 3)
    assert "at least the instance count (4)" in err.allowed


def test_cpu_scale_in_below_scale_out():
    args = _args(deployments=[_blue(autoscale=Autoscale(cpu_scale_out_percent=50, cpu_scale_in_percent=50))])
    err = refused(lambda: OnlineEndpoint("inf", args))
    assert (err.key, err.value) == ("inf.deployments.0.autoscale.cpu_scale_in_percent", 50)
    assert "below the scale-out percentage (50)" in err.allowed


def test_deployment_names_are_distinct():
    err = refused(lambda: OnlineEndpoint("inf", _args(deployments=[_blue(), _blue()])))
    assert (err.key, err.value) == ("inf.deployments.1.name", "blue")
    assert "not used by another deployment" in err.allowed


def test_code_and_scoring_script_together():
    err = refused(lambda: OnlineEndpoint("inf", _args(deployments=[_blue(scoring_script="score.py")])))
    assert (err.key, err.value) == ("inf.deployments.0.code_id", MISSING)
    assert "together, or neither" in err.allowed


def test_instance_type_from_the_allow_list():
    err = refused(lambda: OnlineEndpoint("inf", _args(deployments=[_blue(instance_type="Standard_M128s")])))
    assert (err.key, err.value) == ("inf.deployments.0.instance_type", "Standard_M128s")
    assert "Standard_DS3_v2" in err.allowed and "AML-CMP-003" in err.allowed


def test_an_endpoint_name_is_required():
    err = refused(lambda: OnlineEndpoint("inf", _args(endpoint_name=None)))
    assert (err.key, err.value) == ("inf.name", MISSING)


def test_name_wins_over_the_estate_endpoint_name(plan):
    p = plan(lambda: OnlineEndpoint("inf", _args(name="ep-chosen")))
    assert p.one(ENDPOINT).inputs["endpointName"] == "ep-chosen"
    assert p.one(AUTOSCALE).inputs["autoscaleSettingName"] == "autoscale-ep-chosen-blue"


def test_probes_and_request_settings_are_settable(plan):
    deployment = _blue(
        liveness_probe=Probe(initial_delay="PT30S", failure_threshold=5),
        max_concurrent_requests_per_instance=4,
        request_timeout="PT10S",
        autoscale=Autoscale(cooldown="PT10M"),
    )
    p = plan(lambda: OnlineEndpoint("inf", _args(deployments=[deployment])))
    props = p.one(DEPLOYMENT).inputs["properties"]
    assert props["livenessProbe"] == {
        "initialDelay": "PT30S",
        "period": "PT10S",
        "timeout": "PT2S",
        "failureThreshold": 5,
        "successThreshold": 1,
    }
    assert props["readinessProbe"]["failureThreshold"] == 30
    assert props["requestSettings"]["maxConcurrentRequestsPerInstance"] == 4
    assert props["requestSettings"]["requestTimeout"] == "PT10S"
    assert p.one(AUTOSCALE).inputs["profiles"][0]["rules"][0]["scaleAction"]["cooldown"] == "PT10M"


@pytest.mark.parametrize(
    ("change", "key", "value"),
    [
        (dict(auth_mode="AMLToken"), "inf.auth_mode", "AMLToken"),
        (dict(auth_mode="Anonymous"), "inf.auth_mode", "Anonymous"),
        (dict(endpoint_name="1-bad"), "inf.endpoint_name", "1-bad"),
        (dict(name="x"), "inf.name", "x"),
        (dict(environment="staging"), "inf.environment", "staging"),
        (dict(deployments=[_blue(name="no_underscores")]), "inf.deployments.0.name", "no_underscores"),
        (dict(deployments=[_blue(model="")]), "inf.deployments.0.model", ""),
        (dict(deployments=[_blue(stage="Live")]), "inf.deployments.0.stage", "Live"),
        (dict(deployments=[_blue(instance_count=0)]), "inf.deployments.0.instance_count", 0),
        (dict(deployments=[_blue(autoscale=Autoscale(maximum=0))]), "inf.deployments.0.autoscale.maximum", 0),
        (dict(deployments=[_blue(autoscale=Autoscale(cpu_scale_out_percent=101))]),
         "inf.deployments.0.autoscale.cpu_scale_out_percent", 101),
        (dict(deployments=[_blue(autoscale=Autoscale(cooldown="5m"))]), "inf.deployments.0.autoscale.cooldown", "5m"),
        (dict(deployments=[_blue(request_timeout="5s")]), "inf.deployments.0.request_timeout", "5s"),
        (dict(deployments=[_blue(liveness_probe=Probe(period="10s"))]), "inf.deployments.0.liveness_probe.period",
         "10s"),
        (dict(deployments=[_blue(readiness_probe=Probe(success_threshold=0))]),
         "inf.deployments.0.readiness_probe.success_threshold", 0),
        (dict(deployments=[_blue(environment_id="env:1")]), "inf.deployments.0.environment_id", "env:1"),
        (dict(traffic={"blue": 100.0}), "inf.traffic.blue", 100.0),
        (dict(traffic={"blue": 101}), "inf.traffic.blue", 101),
        (dict(colour="blue"), "inf.colour", "blue"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_before_any_resource(change, key, value):
    err = refused(lambda: OnlineEndpoint("inf", _args(**change)))
    assert (err.key, err.value) == (key, value)


def test_production_tag_alone_raises_the_minimum(plan):
    """The pack judges AML-REL-007 by the environment tag: the component follows the same tag."""
    p = plan(lambda: OnlineEndpoint("inf", _args(tags=PROD_TAGS)))
    assert p.one(DEPLOYMENT).inputs["sku"]["capacity"] == 3
    assert mandatory(p.resources) == []


def test_settings_rules_read_the_environment_from_the_enclosing_args():
    """Nested in the estate's config, the endpoint's rules read the estate's ``environment``."""
    from typing_extensions import TypedDict

    from hardened_aml.inputs import args, checked

    @args
    class Outer(TypedDict):
        environment: Environment
        online_endpoint: OnlineEndpointSettings

    endpoint = {"deployments": [{"name": "blue", "model": MODEL, "instanceCount": 2}]}
    checked(Outer, {"environment": "exploration", "onlineEndpoint": endpoint}, "cfg", config=True)
    with pytest.raises(InvalidInputError) as caught:
        checked(Outer, {"environment": "production", "onlineEndpoint": endpoint}, "cfg", config=True)
    assert (caught.value.key, caught.value.value) == ("cfg:onlineEndpoint.deployments.0.instanceCount", 2)
