"""The policy pack over its real plugin protocol: started as the CLI starts it, driven over gRPC through
the public test kit ``hardened_aml.testing``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from aml_catalogue import load
from hardened_aml.testing import UNKNOWN, PolicyPack, analysis, resource
from tests.conftest import ROOT

WORKSPACE = "azure-native:machinelearningservices:Workspace"
NET_001 = "aml-net-001-workspace-public-network-access"


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPack]:
    with PolicyPack(ROOT / "policies") as started:
        yield started


@pytest.fixture
def fresh(pack: PolicyPack) -> Iterator[PolicyPack]:
    """The shared pack, with its config reset after the test."""
    yield pack
    pack.configure({})


def _workspace(**overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "publicNetworkAccess": "Disabled",
        "managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"},
        "tags": {"environment": "exploration", "team": "t", "costCentre": "c"},
    }
    props.update(overrides)
    return props


def _policies(found: list[Any]) -> set[str]:
    return {d.policy for d in found}


def test_analyzer_info_lists_every_policy_from_the_catalogue(pack: PolicyPack) -> None:
    info = pack.client.info()
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


def test_analyze_flags_a_public_workspace_and_passes_a_private_one(pack: PolicyPack) -> None:
    flagged = {d.policy: d for d in pack.analyze(resource(WORKSPACE, _workspace(publicNetworkAccess="Enabled")))}
    assert flagged[NET_001].message == "[AML-NET-001] publicNetworkAccess is 'Enabled'; it must be 'Disabled'"
    assert flagged[NET_001].enforcement == "mandatory"
    private = analysis(pack, resource(WORKSPACE, _workspace()))
    assert NET_001 not in _policies(private.diagnostics)
    # rules of other types say they do not apply, over the protocol
    assert "aml-iam-004-key-vault-rbac-authorization" in private.not_applicable


def test_a_missing_setting_fails_where_azure_defaults_to_insecure(pack: PolicyPack) -> None:
    props = _workspace()
    del props["publicNetworkAccess"]
    messages = [d.message for d in pack.analyze(resource(WORKSPACE, props)) if d.policy == NET_001]
    assert messages == [
        "[AML-NET-001] publicNetworkAccess is not set; Azure's default is insecure: set it to 'Disabled'"
    ]


def test_snake_case_keys_are_judged_as_absent(pack: PolicyPack) -> None:
    """A dict given to a union-typed input can reach Azure with its snake_case keys, which Azure ignores."""
    compute = {
        "properties": {
            "computeType": "AmlCompute",
            "disable_local_auth": True,
            "properties": {"enable_node_public_ip": False, "vmSize": "Standard_DS3_v2"},
        },
        "tags": {"environment": "exploration", "team": "t", "costCentre": "c"},
    }
    found = _policies(pack.analyze(resource("azure-native:machinelearningservices:Compute", compute)))
    assert {"aml-net-009-compute-no-public-ip", "aml-iam-002-compute-local-auth-disabled"} <= found


def test_versioned_type_tokens_are_judged(pack: PolicyPack) -> None:
    versioned = resource(
        "azure-native:machinelearningservices/v20240401:Workspace", _workspace(publicNetworkAccess="Enabled")
    )
    assert NET_001 in _policies(pack.analyze(versioned))


def test_an_unknown_value_is_reported_not_passed(pack: PolicyPack) -> None:
    notes = [
        d for d in pack.analyze(resource(WORKSPACE, _workspace(publicNetworkAccess=UNKNOWN))) if d.policy == NET_001
    ]
    assert len(notes) == 1
    assert "during preview" in notes[0].message and notes[0].enforcement == "advisory"


def test_analyze_stack_relates_resources_by_dependency(pack: PolicyPack) -> None:
    workspace = resource(WORKSPACE, _workspace(), name="ws")
    connection = {
        "privateLinkServiceConnections": [{"groupIds": ["amlworkspace"], "name": "c", "privateLinkServiceId": UNKNOWN}]
    }
    endpoint = resource(
        "azure-native:network:PrivateEndpoint",
        connection,
        name="pe",
        depends_on={"privateLinkServiceConnections": [workspace]},
    )
    elsewhere = resource("azure-native:machinelearningservices:Workspace", _workspace(), name="other-ws")
    unrelated = resource(
        "azure-native:network:PrivateEndpoint",
        connection,
        name="other-pe",
        depends_on={"privateLinkServiceConnections": [elsewhere]},
    )
    policy = "aml-net-003-workspace-private-endpoint"
    assert policy not in _policies(pack.analyze_stack([workspace, endpoint]))
    # an endpoint of the right type that points at another workspace does not count
    without = pack.analyze_stack([workspace, elsewhere, unrelated])
    assert [d.urn for d in without if d.policy == policy] == [workspace.urn]


def test_configure_sets_enforcement_and_thresholds(fresh: PolicyPack) -> None:
    deployment = resource(
        "azure-native:machinelearningservices:OnlineDeployment",
        {"sku": {"capacity": 2}, "tags": {"environment": "production"}, "properties": {}},
    )
    policy = "aml-rel-007-online-deployment-min-instances"
    assert [d.enforcement for d in fresh.analyze(deployment) if d.policy == policy] == ["advisory"]  # the default
    fresh.configure({policy: {"enforcementLevel": "mandatory", "minInstances": 2}})
    assert [d for d in fresh.analyze(deployment) if d.policy == policy] == []
    fresh.configure({policy: {"enforcementLevel": "mandatory", "minInstances": 4}})
    assert [d.enforcement for d in fresh.analyze(deployment) if d.policy == policy] == ["mandatory"]


def test_remediation_fixes_what_it_can_and_the_fixed_resource_passes(fresh: PolicyPack) -> None:
    registry = {
        "sku": {"name": "Premium"},
        "adminUserEnabled": True,
        "publicNetworkAccess": "Enabled",
        "networkRuleSet": {"defaultAction": "Allow"},
        "zoneRedundancy": "Enabled",
        "policies": {"retentionPolicy": {"status": "enabled", "days": 7}, "exportPolicy": {"status": "disabled"}},
        "encryption": {
            "status": "enabled",
            "keyVaultProperties": {"keyIdentifier": "https://kv.vault.azure.net/keys/cmk", "identity": "client-id"},
        },
        "tags": {"environment": "production", "team": "t", "costCentre": "c"},
    }
    token = "azure-native:containerregistry:Registry"
    before = _policies(fresh.analyze(resource(token, registry)))
    fixable = {"aml-iam-005-registry-no-admin-or-anonymous-pull", "aml-net-007-registry-private-access"}
    assert fixable <= before
    # remediations run only at the remediate level (pulumi #24647)
    assert fresh.remediate(resource(token, registry)) is None
    fresh.configure({name: {"enforcementLevel": "remediate"} for name in fixable})
    fixed = fresh.remediate(resource(token, registry))
    assert fixed is not None
    assert fixed["adminUserEnabled"] is False and fixed["publicNetworkAccess"] == "Disabled"
    fresh.configure({})
    assert _policies(fresh.analyze(resource(token, fixed))) & before == set()
