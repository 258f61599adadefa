"""Whole stacks, planned by the engine command in a fresh process each (the runtime is process-global)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNTAGGABLE = {
    "azure-native:network:Subnet",
    "azure-native:network:PrivateDnsZoneGroup",
    "azure-native:storage:BlobServiceProperties",
    "azure-native:monitor:DiagnosticSetting",
    "azure-native:authorization:RoleAssignment",
    "azure-native:authorization:ManagementLockByScope",
    "azure-native:consumption:Budget",
}
STATEFUL = {
    "azure-native:machinelearningservices:Workspace",
    "azure-native:storage:StorageAccount",
    "azure-native:keyvault:Vault",
    "azure-native:keyvault:Key",
    "azure-native:containerregistry:Registry",
}


def _plan(stack: str, project_dir: Path = ROOT, main: str = ".") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hardened_aml.cli.engine", "--project-dir", str(project_dir),
         "--project", "hardened-aml", "--stack", stack, "--main", main, "--config-dir", "stacks"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@cache
def planned(stack: str) -> list[dict[str, Any]]:
    result = _plan(stack)
    assert result.returncode == 0, result.stderr
    resources: list[dict[str, Any]] = json.loads(result.stdout)["resources"]
    return resources


def _custom(stack: str) -> list[dict[str, Any]]:
    return [r for r in planned(stack) if r["custom"]]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_plans_the_whole_estate(stack):
    types = {r["type"] for r in planned(stack)}
    assert {
        "azure-native:resources:ResourceGroup",
        "azure-native:managedidentity:UserAssignedIdentity",
        "azure-native:operationalinsights:Workspace",
        "azure-native:applicationinsights:Component",
        "azure-native:network:VirtualNetwork",
        "azure-native:network:PrivateEndpoint",
        "azure-native:privatedns:PrivateZone",
        "azure-native:consumption:Budget",
        *STATEFUL,
    } <= types
    group_ids = sorted(
        c["groupIds"][0]
        for r in planned(stack)
        if r["type"] == "azure-native:network:PrivateEndpoint"
        for c in r["inputs"]["privateLinkServiceConnections"]
    )
    assert group_ids == ["amlworkspace", "blob", "file", "registry", "vault"]
    diag_targets = sorted(
        r["inputs"]["resourceUri"].split("/providers/")[-1].split("/")[1]
        for r in planned(stack)
        if r["type"] == "azure-native:monitor:DiagnosticSetting"
    )
    assert {"workspaces", "vaults", "storageAccounts", "registries"} <= set(diag_targets)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_taggable_resource_has_cost_tags(stack):  # AML-COST-002
    for r in _custom(stack):
        if r["type"] in UNTAGGABLE:
            continue
        tags = r["inputs"].get("tags") or {}
        assert {"team", "environment", "costCentre"} <= set(tags), r["name"]


def test_dev_is_exploration_without_locks():
    assert {r["inputs"]["tags"]["environment"] for r in _custom("dev") if "tags" in r["inputs"]} == {"exploration"}
    assert not any(r["protect"] for r in planned("dev"))
    assert not any(r["type"].endswith("ManagementLockByScope") for r in planned("dev"))


def test_prod_protects_and_locks_stateful_resources():  # AML-REL-006
    resources = planned("prod")
    protected = {r["type"] for r in resources if r["protect"]}
    assert protected == STATEFUL
    locked = {r["inputs"]["scope"] for r in resources if r["type"].endswith("ManagementLockByScope")}
    stateful_ids = {r["id"] for r in resources if r["type"] in STATEFUL}
    assert locked == stateful_ids
    storage = next(r for r in resources if r["type"] == "azure-native:storage:StorageAccount")
    assert storage["inputs"]["sku"]["name"] == "Standard_GZRS"  # AML-REL-001 in production


def test_plans_are_deterministic():
    again = _plan("dev")
    assert again.returncode == 0
    first = [(r["type"], r["name"], r["id"]) for r in planned("dev")]
    second = [(r["type"], r["name"], r["id"]) for r in json.loads(again.stdout)["resources"]]
    assert sorted(first) == sorted(second)


def test_bad_config_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    text = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text().replace("10.40.1.0/24", "10.99.1.0/24")
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(text)
    result = _plan("dev", project_dir=tmp_path, main=str(ROOT))
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "hardened-aml:network.aksSubnetPrefix" in lines[0] and "10.99.1.0/24" in lines[0]


def test_missing_cost_tag_is_refused(tmp_path):
    (tmp_path / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    text = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text().replace("    costCentre: cc-1234\n", "")
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(text)
    result = _plan("dev", project_dir=tmp_path, main=str(ROOT))
    assert result.returncode == 2, result.stderr
    assert "hardened-aml:tags.costCentre" in result.stderr


def test_role_assignment_names_differ_between_stacks():
    def names(stack: str) -> set[str]:
        return {
            r["inputs"]["roleAssignmentName"]
            for r in planned(stack)
            if r["type"] == "azure-native:authorization:RoleAssignment"
        }

    assert names("dev") and names("prod") and not names("dev") & names("prod")
