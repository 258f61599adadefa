"""The policy pack over its real plugin protocol: started as the CLI starts it, driven over gRPC."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from aml_catalogue import load
from hardened_aml.cli.analyzer import PackClient, Resource
from tests.conftest import ROOT

WORKSPACE = "azure-native:machinelearningservices:Workspace"


@pytest.fixture(scope="module")
def pack() -> Iterator[PackClient]:
    with PackClient(ROOT / "policies") as client:
        client.configure({})
        client.configure_stack(project="p", stack="test")
        yield client


def _workspace(**overrides: Any) -> Resource:
    props: dict[str, Any] = {
        "publicNetworkAccess": "Disabled",
        "managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"},
        "tags": {"environment": "exploration", "team": "t", "costCentre": "c"},
    }
    props.update(overrides)
    return Resource(urn=f"urn:pulumi:test::p::{WORKSPACE}::w", type=WORKSPACE, name="w", properties=props)


def test_analyzer_info_lists_every_policy_from_the_catalogue(pack: PackClient) -> None:
    info = pack.info()
    assert info.name == "hardened-aml"
    catalogue = load()
    controls = set()
    for policy in info.policies:
        control = next(t.split(":", 1)[1] for t in policy.tags if t.startswith("control:"))
        entry = catalogue[control]
        controls.add(control)
        assert policy.description.startswith(entry.title + ": ")
        assert policy.enforcementLevel == (1 if entry.enforcement == "mandatory" else 0)  # MANDATORY / ADVISORY
    assert controls == {c.id for c in catalogue.of_kind("policy")}
    schemas = {p.name: p.configSchema for p in info.policies}
    assert "minInstances" in schemas["aml-rel-007-online-deployment-min-instances"].properties


def test_analyze_flags_a_public_workspace_and_passes_a_private_one(pack: PackClient) -> None:
    public = pack.analyze(_workspace(publicNetworkAccess="Enabled"))
    flagged = {d.policy: d for d in public.diagnostics}
    assert flagged["aml-net-001-workspace-public-network-access"].message == (
        "[AML-NET-001] publicNetworkAccess is 'Enabled'; it must be 'Disabled'"
    )
    assert flagged["aml-net-001-workspace-public-network-access"].enforcement == "mandatory"
    private = pack.analyze(_workspace())
    assert "aml-net-001-workspace-public-network-access" not in {d.policy for d in private.diagnostics}
    # rules of other types say they do not apply, over the protocol
    assert "aml-iam-004-key-vault-rbac-authorization" in private.not_applicable


def test_a_missing_setting_fails_where_azure_defaults_to_insecure(pack: PackClient) -> None:
    props = dict(_workspace().properties)
    del props["publicNetworkAccess"]
    analysis = pack.analyze(Resource(urn="urn:x", type=WORKSPACE, name="w", properties=props))
    messages = [d.message for d in analysis.diagnostics if d.policy == "aml-net-001-workspace-public-network-access"]
    assert messages == [
        "[AML-NET-001] publicNetworkAccess is not set; Azure's default is insecure: set it to 'Disabled'"
    ]


def test_versioned_type_tokens_are_judged(pack: PackClient) -> None:
    resource = _workspace(publicNetworkAccess="Enabled")
    versioned = Resource(
        urn=resource.urn,
        type="azure-native:machinelearningservices/v20240401:Workspace",
        name="w",
        properties=resource.properties,
    )
    assert "aml-net-001-workspace-public-network-access" in {d.policy for d in pack.analyze(versioned).diagnostics}


def test_an_unknown_value_is_reported_not_passed(pack: PackClient) -> None:
    analysis = pack.analyze(_workspace(publicNetworkAccess=UNKNOWN_STRING_VALUE))
    notes = [d for d in analysis.diagnostics if d.policy == "aml-net-001-workspace-public-network-access"]
    assert len(notes) == 1
    assert "during preview" in notes[0].message and notes[0].enforcement == "advisory"


def test_analyze_stack_relates_resources_by_dependency(pack: PackClient) -> None:
    workspace = _workspace()
    endpoint = Resource(
        urn="urn:pulumi:test::p::azure-native:network:PrivateEndpoint::pe",
        type="azure-native:network:PrivateEndpoint",
        name="pe",
        properties={"privateLinkServiceConnections": [{"groupIds": ["amlworkspace"], "name": "c"}]},
        property_dependencies={"privateLinkServiceConnections": [workspace.urn]},
        dependencies=[workspace.urn],
    )
    unrelated = Resource(
        urn="urn:pulumi:test::p::azure-native:network:PrivateEndpoint::other",
        type="azure-native:network:PrivateEndpoint",
        name="other",
        properties={"privateLinkServiceConnections": [{"groupIds": ["amlworkspace"], "name": "c"}]},
    )
    policy = "aml-net-003-workspace-private-endpoint"
    with_endpoint = pack.analyze_stack([workspace, endpoint])
    assert policy not in {d.policy for d in with_endpoint.diagnostics}
    # an endpoint of the right type that points elsewhere does not count
    without = pack.analyze_stack([workspace, unrelated])
    assert [d.urn for d in without.diagnostics if d.policy == policy] == [workspace.urn]


def test_configure_sets_enforcement_and_thresholds(pack: PackClient) -> None:
    deployment = Resource(
        urn="urn:d",
        type="azure-native:machinelearningservices:OnlineDeployment",
        name="d",
        properties={"sku": {"capacity": 2}, "tags": {"environment": "production"}, "properties": {}},
    )
    policy = "aml-rel-007-online-deployment-min-instances"
    default = [d for d in pack.analyze(deployment).diagnostics if d.policy == policy]
    assert [d.enforcement for d in default] == ["advisory"]
    try:
        pack.configure({policy: {"enforcementLevel": "mandatory", "minInstances": 2}})
        assert [d for d in pack.analyze(deployment).diagnostics if d.policy == policy] == []
        pack.configure({policy: {"enforcementLevel": "mandatory", "minInstances": 4}})
        assert [d.enforcement for d in pack.analyze(deployment).diagnostics if d.policy == policy] == ["mandatory"]
    finally:
        pack.configure({})
