"""The catalogue claims only what the plans and the pack show.

Every shipped stack is planned (in fresh processes, as the CLI does); every control's ``evidence`` must be found:
a planned resource of the type, with the input path set (and equal to the value given), a policy of the pack, a
built-in definition that a plan assigns, or another control whose evidence holds. The same plans are checked
for least privilege (no workload runs as the workspace identity; no workload identity holds a privileged role)
and for diagnostic settings that name only the categories their resource type supports.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from aml_catalogue import Control, Evidence, load
from aml_catalogue.diagnostics import categories_of
from aml_catalogue.roles import PRIVILEGED_ROLES
from aml_policies.pack import policies
from tests.conftest import planned

STACKS = ("dev", "prod", "prod-dr")
#: Assignments no shipped stack makes, because their input is a service outside the estate; the governance
#: component test shows each is assigned when its input is given (test_every_input_given_assigns_every_builtin).
ASSIGNED_WHEN_CONFIGURED = {"AML-GOV-004": "an approval endpoint (hardened-aml:governance.approvalEndpoint)"}
_MISSING = object()


def _values(node: Any, parts: list[str]) -> Iterator[Any]:
    """Every value at a dotted path; a list on the way is searched element by element."""
    if isinstance(node, list):
        for item in node:
            yield from _values(item, parts)
        return
    if not parts:
        yield node
        return
    if isinstance(node, dict) and parts[0] in node:
        yield from _values(node[parts[0]], parts[1:])


def _same(found: Any, wanted: Any) -> bool:
    if isinstance(found, list) and not isinstance(wanted, list):
        return any(_same(f, wanted) for f in found)
    if isinstance(found, str) and isinstance(wanted, str):
        return found.lower() == wanted.lower()  # Azure reads enum values case-insensitively
    return bool(found == wanted)


@cache
def _all_resources() -> list[dict[str, Any]]:
    return [r for stack in STACKS for r in planned(stack)]


@cache
def _policy_names() -> set[str]:
    return {p.name for p in policies()}


def _found(e: Evidence, seen: frozenset[str] = frozenset()) -> bool:
    if e.resource:
        of_type = [r for r in _all_resources() if r["type"].split(":", 1)[1] == e.resource]
        if not e.path:
            return bool(of_type)
        values = [v for r in of_type for v in _values(r["inputs"], e.path.split("."))]
        if e.equals is None:
            return any(v is not None for v in values)
        return any(_same(v, e.equals) for v in values)
    if e.policy:
        return e.policy in _policy_names()
    if e.builtin:
        return any(
            str(r["inputs"].get("policyDefinitionId", "")).lower().endswith(e.builtin)
            for r in _all_resources()
            if r["type"] == "azure-native:authorization:PolicyAssignment"
        )
    other = load().get(e.control)
    return other is not None and e.control not in seen and _holds(other, seen | {e.control})


def _holds(c: Control, seen: frozenset[str] = frozenset()) -> bool:
    return bool(c.evidence) and all(_found(e, seen | {c.id}) for e in c.evidence)


@pytest.mark.parametrize("control", load().controls, ids=lambda c: c.id)
def test_every_control_names_evidence_that_the_plans_or_the_pack_show(control: Control) -> None:
    assert control.evidence, f"{control.id} names no evidence"
    missing = [e.describe() for e in control.evidence if not _found(e, frozenset({control.id}))]
    assert not missing, f"{control.id}: not found in the shipped stacks' plans or the pack: {missing}"
    if control.kind == "policy":
        # A component default and a policy: both are shown.
        assert any(e.policy for e in control.evidence), f"{control.id} names no policy"
        assert any(e.resource for e in control.evidence), f"{control.id} names no planned resource"
        prefix = control.slug + "-"
        assert all(e.policy.startswith(prefix) for e in control.evidence if e.policy)
    if control.kind == "assignment" and control.id not in ASSIGNED_WHEN_CONFIGURED:
        assert {e.builtin for e in control.evidence if e.builtin} >= set(control.builtin)


def test_evidence_that_is_not_there_fails() -> None:
    """The checker can fail: a container no plan has, a value no input holds, a policy the pack lacks."""
    assert not _found(Evidence(resource="storage:BlobContainer", path="containerName", equals="no-such-container"))
    assert not _found(Evidence(resource="storage:Queue"))
    assert not _found(Evidence(policy="aml-net-001-no-such-policy"))
    assert not _found(Evidence(builtin="00000000-0000-0000-0000-000000000000"))
    assert _found(Evidence(resource="storage:BlobContainer", path="containerName", equals="checkpoints"))


# --- least privilege in the plans --------------------------------------------------------------------------------
def _identity_ids(resource: dict[str, Any]) -> list[str]:
    ids = (resource["inputs"].get("identity") or {}).get("userAssignedIdentities") or []
    return [i.lower() for i in ids]


@pytest.mark.parametrize("stack", STACKS)
def test_no_workload_runs_as_the_workspace_identity(stack: str) -> None:
    resources = planned(stack)
    (workspace,) = [r for r in resources if r["type"] == "azure-native:machinelearningservices:Workspace"]
    primary = workspace["inputs"]["primaryUserAssignedIdentity"].lower()
    workloads = [
        r
        for r in resources
        if r["custom"]
        and r["type"] != "azure-native:machinelearningservices:Workspace"
        and (r["inputs"].get("identity") or {}).get("userAssignedIdentities")
    ]
    kinds = {r["type"].rsplit(":", 1)[1] for r in workloads}
    # Every workload kind a stack plans is checked: dev has clusters only, prod-dr no AKS (a warm standby).
    expected = {"dev": {"Compute"}, "prod-dr": {"Compute", "OnlineEndpoint", "BatchEndpoint"}}.get(
        stack, {"Compute", "OnlineEndpoint", "BatchEndpoint", "ManagedCluster"}
    )
    assert expected <= kinds
    for r in workloads:
        assert primary not in _identity_ids(r), r["name"]


@pytest.mark.parametrize("stack", STACKS)
def test_no_workload_identity_holds_a_privileged_role(stack: str) -> None:
    resources = planned(stack)
    (workspace,) = [r for r in resources if r["type"] == "azure-native:machinelearningservices:Workspace"]
    identities = {r["id"].lower(): r for r in resources if r["type"].endswith(":UserAssignedIdentity")}
    primary = identities[workspace["inputs"]["primaryUserAssignedIdentity"].lower()]
    primary_principal = f"principal-of-{primary['inputs']['resourceName']}"
    assignments = [r for r in resources if r["type"] == "azure-native:authorization:RoleAssignment"]
    assert assignments
    privileged = [
        r
        for r in assignments
        if r["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1].lower() in PRIVILEGED_ROLES
        and r["inputs"]["principalId"] != primary_principal
    ]
    assert privileged == [], [r["name"] for r in privileged]
    for r in assignments:
        assert r["inputs"].get("principalType") in ("ServicePrincipal", "Group"), r["name"]


# --- diagnostics in the plans ------------------------------------------------------------------------------------
@pytest.mark.parametrize("stack", STACKS)
def test_every_diagnostic_setting_names_supported_categories(stack: str) -> None:
    settings = [r for r in planned(stack) if r["type"] == "azure-native:monitor:DiagnosticSetting"]
    assert settings
    services = set()
    for s in settings:
        found = categories_of(s["inputs"]["resourceUri"])
        assert found is not None, f"{s['name']}: no category table for {s['inputs']['resourceUri']}"
        kind, allowed = found
        services.add(kind)
        for log in s["inputs"].get("logs", []):
            if "categoryGroup" in log:
                assert log["categoryGroup"] in allowed.groups, (s["name"], log)
            else:
                assert log["category"] in allowed.logs, (s["name"], log)
        metrics = [m["category"] for m in s["inputs"].get("metrics", [])]
        assert metrics and set(metrics) <= set(allowed.metrics), (s["name"], metrics)
        if kind.startswith("Microsoft.Storage/"):
            assert "AllMetrics" not in metrics
    # AML-MON-002: the blob service (datastores) and the file service (notebooks, code) are both logged.
    assert {
        "Microsoft.Storage/storageAccounts/blobServices",
        "Microsoft.Storage/storageAccounts/fileServices",
    } <= services
