"""Issue 14: the library passes its own pack when used as documented, from programs outside this repository.

Each project under ``tests/consumers/`` is copied to a temporary folder (outside the repository, as a platform
team's own stack is) and planned with ``hardened-aml plan --project-dir <copy> --policy-pack <repo>/policies``:
the whole estate (the README's component example, taken from README.md), an estate in a hub-and-spoke landing
zone with the hub's subnets and DNS zones passed by resource id in another subscription, and one component alone
on a workspace that already exists. Each plans with zero mandatory violations.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from hardened_aml.network import DNS_ZONES_TO_FORWARD
from tests.conftest import ROOT, run_cli

CONSUMERS = ROOT / "tests" / "consumers"


def _readme_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    return next(block for block in blocks if "from hardened_aml.estate import" in block)


def _plan(shape: str, tmp_path: Path) -> dict[str, Any]:
    project = tmp_path / shape
    shutil.copytree(CONSUMERS / shape, project)
    if shape == "estate":
        (project / "__main__.py").write_text(_readme_example())
    assert not project.resolve().is_relative_to(ROOT)
    done = run_cli(
        "plan", "--project-dir", str(project), "--stack", "prod", "--policy-pack", str(ROOT / "policies"),
        "--format", "json", "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    report: dict[str, Any] = json.loads(done.stdout)
    mandatory = [d for d in report["diagnostics"] if d["enforcement"] == "mandatory"]
    assert mandatory == []
    return report


def _types(report: dict[str, Any]) -> list[str]:
    return [r["type"] for r in report["resources"]]


def test_the_readme_estate_plans_with_no_mandatory_violation(tmp_path: Path) -> None:
    types = _types(_plan("estate", tmp_path))
    assert "azure-native:machinelearningservices:Workspace" in types
    assert "azure-native:network:VirtualNetwork" in types


def test_a_hub_and_spoke_estate_takes_the_hub_s_subnets_and_zones_by_id(tmp_path: Path) -> None:
    report = _plan("hub_spoke", tmp_path)
    types = _types(report)
    assert "azure-native:machinelearningservices:Workspace" in types
    # Nothing of the network is created: the spoke's subnets and the hub's zones are used as they are.
    for kind in ("VirtualNetwork", "Subnet", "NetworkSecurityGroup"):
        assert f"azure-native:network:{kind}" not in types
    assert not any(t.startswith("azure-native:privatedns:") for t in types)
    endpoints = [r for r in report["resources"] if r["type"] == "azure-native:network:PrivateEndpoint"]
    assert endpoints and all(
        e["inputs"]["subnet"]["id"].startswith("/subscriptions/11111111-1111-1111-1111-111111111111/")
        for e in endpoints
    )
    zone_ids = {
        config["privateDnsZoneId"]
        for e in report["resources"]
        if e["type"] == "azure-native:network:PrivateDnsZoneGroup"
        for config in e["inputs"]["privateDnsZoneConfigs"]
    }
    assert zone_ids and all("/resourceGroups/rg-dns/" in z for z in zone_ids)


def test_one_component_alone_on_an_existing_workspace(tmp_path: Path) -> None:
    report = _plan("one_component", tmp_path)
    azure = [t for t in _types(report) if t.startswith("azure-native:")]
    assert azure == ["azure-native:machinelearningservices:Compute"]


def test_the_zones_to_forward_come_from_the_library() -> None:
    program = (CONSUMERS / "hub_spoke" / "__main__.py").read_text()
    assert "estate.dns_zones_to_forward" in program
    main = (ROOT / "__main__.py").read_text()
    assert "estate.dns_zones_to_forward" in main
    assert not any(f'"{zone}"' in main for zone in DNS_ZONES_TO_FORWARD)  # no list of its own
