"""The main job: ``hardened-aml plan`` of each stack, every format, and exit codes."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, run_cli


def test_dev_plans_real_azure_native_resources_with_no_violation(plans: dict[str, tuple[int, dict[str, Any]]]) -> None:
    code, report = plans["dev"]
    assert code == 0
    assert report["stack"] == "dev"
    assert report["diagnostics"] == []
    types = {r["type"] for r in report["resources"]}
    for expected in (
        "azure-native:machinelearningservices:Workspace",
        "azure-native:storage:StorageAccount",
        "azure-native:keyvault:Vault",
        "azure-native:containerregistry:Registry",
        "azure-native:network:PrivateEndpoint",
    ):
        assert expected in types
    workspace = next(r for r in report["resources"] if r["type"] == "azure-native:machinelearningservices:Workspace")
    # camelCase inputs as the engine receives them
    assert workspace["inputs"]["publicNetworkAccess"] == "Disabled"
    assert workspace["inputs"]["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    assert set(workspace) == {"urn", "type", "name", "parent", "inputs", "dependencies", "custom"}
    assert workspace["parent"].startswith("urn:pulumi:dev::hardened-aml::")


def test_prod_plans_with_no_violation(plans: dict[str, tuple[int, dict[str, Any]]]) -> None:
    code, report = plans["prod"]
    assert code == 0, report["diagnostics"]
    assert report["diagnostics"] == []
    # each stack plans in its own process: nothing of dev leaks into prod
    assert all("::dev::" not in r["urn"] and ":dev::" not in r["urn"] for r in report["resources"])


def test_compliance_summary_covers_every_policy_control(plans: dict[str, tuple[int, dict[str, Any]]]) -> None:
    _, report = plans["dev"]
    statuses = {c["control"]: c["status"] for c in report["compliance"]}
    assert statuses["AML-NET-001"] == "pass"
    assert all(s in ("pass", "n/a") for s in statuses.values())


def test_two_plans_of_a_stack_give_identical_names(plans: dict[str, tuple[int, dict[str, Any]]]) -> None:
    done = run_cli("plan", "--stack", "dev", "--format", "json", "--quiet")
    again = json.loads(done.stdout)
    # registration order may vary (the program is asynchronous); names and inputs may not
    assert sorted((r["urn"], json.dumps(r["inputs"], sort_keys=True)) for r in again["resources"]) == sorted(
        (r["urn"], json.dumps(r["inputs"], sort_keys=True)) for r in plans["dev"][1]["resources"]
    )


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.add(tag)
        if tag not in ("meta", "br"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()


@pytest.mark.parametrize("fmt", ["table", "markdown", "html", "sarif"])
def test_every_format_renders(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"report.{fmt}"
    done = run_cli("plan", "--stack", "dev", "--format", fmt, "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "planning stack 'dev'" in done.stderr  # progress while the plan runs
    if fmt == "table":
        assert "machinelearningservices:Workspace" in text and "AML-NET-001" in text
        assert "0 mandatory and 0 advisory violation(s)" in text
    elif fmt == "markdown":
        assert text.startswith("# hardened-aml plan: stack `dev`")
        assert "| AML-NET-001 | pass |" in text
    elif fmt == "html":
        parser = _Html()
        parser.feed(text)
        assert parser.open == [] and {"html", "table", "td"} <= parser.tags
    else:
        sarif = json.loads(text)
        assert sarif["version"] == "2.1.0" and "sarif-2.1.0" in sarif["$schema"]
        run = sarif["runs"][0]
        assert run["tool"]["driver"]["name"] == "hardened-aml"
        assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {"aml-net-001-workspace-public-network-access"}
        assert run["results"] == []


def test_unknown_stack_is_bad_input() -> None:
    done = run_cli("plan", "--stack", "staging")
    assert done.returncode == 2
    assert done.stderr.strip() == "hardened-aml: error: --stack: got 'staging'; allowed: one of dev, prod"


def test_bad_flag_is_bad_input() -> None:
    done = run_cli("plan", "--format", "xml")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--format" in lines[0] and "'sarif'" in lines[0]
    assert "Traceback" not in done.stderr


def _project_with(tmp_path: Path, stack_yaml: str) -> Path:
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", project / "__main__.py")
    (project / "policies").symlink_to(ROOT / "policies")
    (project / "stacks" / "Pulumi.bad.yaml").write_text(stack_yaml)
    return project


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            "  hardened-aml:environment: staging\n",
            "hardened-aml:environment: got 'staging'; allowed: one of exploration, production",
        ),
        ("  hardened-aml:colour: blue\n", "hardened-aml:colour: got 'blue'; allowed: one of "),
        (
            "  hardened-aml:location: westmars\n",
            "hardened-aml:location: got 'westmars'; allowed: a region with availability zones: ",
        ),
    ],
)
def test_invalid_config_is_bad_input(tmp_path: Path, override: str, expected: str) -> None:
    base = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
    key = override.split(":", 2)[0] + ":" + override.split(":", 2)[1] + ":"
    kept = [line for line in base.splitlines(keepends=True) if not line.startswith(key)]
    project = _project_with(tmp_path, "".join(kept) + override)
    done = run_cli("plan", "--stack", "bad", "--project-dir", str(project), "--quiet")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert expected in lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"all": "strict"}, "all.enforcementLevel: got 'strict'; allowed: one of advisory, mandatory, remediate"),
        ({"aml-nope": "mandatory"}, "aml-nope: not a policy of the pack; allowed: 'all' or a policy name"),
        (
            {"aml-rel-007-online-deployment-min-instances": {"minInstances": "three"}},
            "aml-rel-007-online-deployment-min-instances.minInstances: got 'three'; allowed: a JSON integer",
        ),
        (
            {"aml-dat-003-key-vault-purge-protection": {"minSoftDeleteDays": 3}},
            "aml-dat-003-key-vault-purge-protection.minSoftDeleteDays: got 3; "
            "allowed: an integer at least 7 and at most 90",
        ),
        (
            {"aml-cmp-003-compute-allowed-sizes": {"allowedVmSizes": ["Standard_D4s_v5", 4]}},
            "aml-cmp-003-compute-allowed-sizes.allowedVmSizes[1]: got 4; allowed: a JSON string",
        ),
    ],
)
def test_bad_policy_config_is_bad_input(tmp_path: Path, config: dict[str, Any], expected: str) -> None:
    path = tmp_path / "policy-config.json"
    path.write_text(json.dumps(config))
    done = run_cli("plan", "--stack", "dev", "--quiet", "--policy-config", str(path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"hardened-aml: error: --policy-config: {expected}")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_policy_configs_are_valid_and_mandatory_where_it_matters(stack: str) -> None:
    """Production: everything mandatory. Exploration: security and reliability mandatory; cost, operations and
    performance advisory, for every such policy of the pack (a new one must be added to the file)."""
    from aml_catalogue import load
    from aml_policies.pack import rules

    config = json.loads((ROOT / "stacks" / f"policy-config.{stack}.json").read_text())
    assert config["all"] == "mandatory"
    catalogue = load()
    soft = {r.policy_name for r in rules() if catalogue[r.control].pillar in ("cost", "operations", "performance")}
    expected = {name: "advisory" for name in soft} if stack == "dev" else {}
    assert {k: v for k, v in config.items() if k != "all"} == expected
