"""The components as a Pulumi component provider, for every Pulumi language.

``GetSchema`` is asked over gRPC of the plugin started as the language host starts it (``python <plugin folder>
<engine address>``, which prints a port). ``Construct`` is driven in-process, under the test engine: over gRPC
it needs a live engine to register the children with (its request carries the monitor's address), which only
the Pulumi CLI provides; in-process, the provider's own construct path (input mapping from the schema, enum
conversion, the component's constructor) runs and registers with the test engine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from hardened_aml.provider import COMPONENTS, NAME, component_provider
from hardened_aml.testing.engine import PlannedResource, install, run

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "components" / "provider"


@pytest.fixture(scope="module")
def schema() -> Iterator[dict[str, Any]]:
    process = subprocess.Popen(
        [sys.executable, str(PLUGIN), "127.0.0.1:1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), process.stderr.read() if process.stderr else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            response = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60)
        yield json.loads(response.schema)
    finally:
        process.kill()
        process.wait()


def test_schema_lists_every_public_component(schema: dict[str, Any]) -> None:
    assert schema["name"] == NAME
    tokens = {f"{NAME}:index:{c.__name__}" for c in COMPONENTS}
    assert set(schema["resources"]) == tokens
    assert all(schema["resources"][t]["isComponent"] for t in tokens)
    for token in (f"{NAME}:index:Estate", f"{NAME}:index:ComputeCluster", f"{NAME}:index:InferenceCluster"):
        assert schema["resources"][token]["inputProperties"], token


def _undescribed(schema: dict[str, Any]) -> list[str]:
    missing = []
    for token, resource in schema["resources"].items():
        for prop, spec in resource.get("inputProperties", {}).items():
            if not spec.get("description"):
                missing.append(f"{token}.{prop}")
    for token, kind in schema["types"].items():
        for prop, spec in kind.get("properties", {}).items():
            if not spec.get("description"):
                missing.append(f"{token}.{prop}")
        for member in kind.get("enum", []):
            if not member.get("description"):
                missing.append(f"{token}={member['value']}")
    return missing


def test_every_input_has_a_description(schema: dict[str, Any]) -> None:
    assert _undescribed(schema) == []


def test_enums_are_enums(schema: dict[str, Any]) -> None:
    tier = schema["types"][f"{NAME}:index:VmTier"]
    assert {m["value"] for m in tier["enum"]} == {"Dedicated", "LowPriorityInterruptible"}
    cluster = schema["resources"][f"{NAME}:index:ComputeCluster"]["inputProperties"]
    assert cluster["tier"]["$ref"] == f"#/types/{NAME}:index:VmTier"
    estate = schema["resources"][f"{NAME}:index:Estate"]["inputProperties"]
    assert estate["environment"]["$ref"] == f"#/types/{NAME}:index:Environment"
    # Settings inherited from a settings type keep the docstring written there.
    assert "AML-CMP-003" in cluster["maxNodes"]["description"]
    required = set(schema["resources"][f"{NAME}:index:ComputeCluster"]["requiredInputs"])
    assert {"name", "vmSize", "maxNodes", "workspaceName"} <= required and "tier" not in required


def _registrations(program: Any) -> list[tuple[str, str, str, Any]]:
    monitor = install("hardened-aml", "test", {})
    planned: list[PlannedResource] = run(monitor, program)
    return sorted((r.type, r.name, r.parent, r.inputs) for r in planned if r.type != "pulumi:pulumi:Stack")


CLUSTER = {
    "resourceGroupName": "rg-test",
    "location": "westeurope",
    "workspaceName": "mlw-test",
    "identityId": "/subscriptions/s/resourceGroups/rg-test/providers/Microsoft.ManagedIdentity/"
    "userAssignedIdentities/id",
    "name": "cpu-train",
    "vmSize": "Standard_D4s_v5",
    "maxNodes": 4,
    "tier": "LowPriorityInterruptible",
    "tags": {"team": "ml-platform", "environment": "exploration", "costCentre": "cc-1"},
}


def _construct(token: str, inputs: dict[str, Any]) -> Any:
    provider = component_provider()
    return lambda: provider.construct("x", f"{NAME}:index:{token}", inputs, None)


def test_construct_compute_cluster_registers_what_python_registers() -> None:
    from hardened_aml.compute_cluster import ComputeCluster, VmTier

    python_args: dict[str, Any] = {
        "resource_group_name": CLUSTER["resourceGroupName"],
        "location": CLUSTER["location"],
        "workspace_name": CLUSTER["workspaceName"],
        "identity_id": CLUSTER["identityId"],
        "name": CLUSTER["name"],
        "vm_size": CLUSTER["vmSize"],
        "max_nodes": CLUSTER["maxNodes"],
        "tier": VmTier.LOW_PRIORITY_INTERRUPTIBLE,
        "tags": CLUSTER["tags"],
    }
    by_python = _registrations(lambda: ComputeCluster("x", python_args))  # type: ignore[arg-type]
    by_provider = _registrations(_construct("ComputeCluster", CLUSTER))
    assert by_provider == by_python
    assert any(t == "azure-native:machinelearningservices:Compute" for t, *_ in by_provider)


ESTATE = {
    "environment": "exploration",
    "workload": "haml",
    "location": "westeurope",
    "tags": {"team": "ml-platform", "costCentre": "cc-1"},
    "compute": {
        "clusters": [{"name": "cpu-train", "vmSize": "Standard_D4s_v5", "maxNodes": 4}],
        "instances": [
            {
                "name": "ci-user1",
                "vmSize": "Standard_DS3_v2",
                "assignedUserObjectId": "5f1c2d3e-4b5a-4697-8a8b-9c0d1e2f3a4b",
                "imageEpoch": "2026-11-27",
            }
        ],
    },
}


def test_construct_estate_registers_what_python_registers() -> None:
    from hardened_aml.estate import Estate
    from hardened_aml.settings import parse

    by_python = _registrations(lambda: Estate("x", parse(ESTATE)))
    by_provider = _registrations(_construct("Estate", ESTATE))
    assert by_provider == by_python
    assert len(by_provider) > 40


def test_construct_refuses_bad_input_with_the_components_error() -> None:
    from pulumi.provider.server import ComponentInitError

    monitor = install("hardened-aml", "test", {})
    with pytest.raises(ComponentInitError) as caught:
        run(monitor, _construct("ComputeCluster", {**CLUSTER, "maxNodes": 40}))
    assert "x.max_nodes: got 40" in str(caught.value)
