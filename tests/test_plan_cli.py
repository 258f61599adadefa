"""The main job: ``hardened-aml plan`` of each stack, every format, and exit codes."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from hardened_aml_cli.main import BadInput
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
    assert done.stderr.strip() == "hardened-aml: error: --stack: got 'staging'; allowed: one of dev, prod-dr, prod"


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
    assert len(lines) == 1 and lines[0].startswith(f"hardened-aml: error: --policy-config: {path}: {expected}")


@pytest.mark.parametrize("stack", ["dev", "prod", "prod-dr"])
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
    # An entry is a level, or an object of settings with an optional level (prod sets quotas, AML-CMP-005).
    levels = {k: v if isinstance(v, str) else v.get("enforcementLevel") for k, v in config.items() if k != "all"}
    assert {k: level for k, level in levels.items() if level is not None} == expected


# --- stack files read as the Pulumi CLI reads them (go-yaml v3: see hardened_aml_cli/yamlfile.py) --------------


def test_stack_files_resolve_scalars_as_go_yaml_v3(tmp_path: Path) -> None:
    from hardened_aml_cli.yamlfile import load

    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(
        "config:\n  a: yes\n  b: on\n  c: no\n  d: off\n  e: true\n  f: False\n  g: ~\n  h: 0o17\n  i: 1_000\n"
        "  j: 2026-11-27\n  k: 1.5\n  l: Y\n"
    )
    assert load(path)["config"] == {
        "a": "yes", "b": "on", "c": "no", "d": "off", "e": True, "f": False, "g": None, "h": 15, "i": 1000,
        "j": "2026-11-27", "k": 1.5, "l": "Y",
    }  # fmt: skip


def _engine_error(tmp_path: Path, text: str) -> str:
    from tests.conftest import plan_stack

    (tmp_path / "stacks").mkdir(exist_ok=True)
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks" / "Pulumi.x.yaml").write_text(text)
    done = plan_stack("x", tmp_path, str(ROOT))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


def test_workload_yes_is_the_string_yes(tmp_path: Path) -> None:
    from tests.conftest import plan_stack

    (tmp_path / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    text = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text().replace("workload: haml", "workload: yes")
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(text)
    done = plan_stack("dev", tmp_path, str(ROOT))
    assert done.returncode == 0, done.stderr
    names = [r["name"] for r in json.loads(done.stdout)["resources"]]
    assert "yes-rg" in names and not any("true" in n for n in names)


def test_a_duplicated_section_is_refused(tmp_path: Path) -> None:
    base = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
    line = _engine_error(tmp_path, base + "  hardened-aml:network:\n    addressSpace: 10.50.0.0/22\n")
    first = base.splitlines().index("  hardened-aml:network:") + 1
    assert line.startswith(f"error: stacks/Pulumi.x.yaml, line {len(base.splitlines()) + 1}: hardened-aml:network: ")
    assert f"first at line {first}" in line


def test_a_duplicated_nested_key_is_refused(tmp_path: Path) -> None:
    base = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
    text = base.replace(
        "    aksSubnetPrefix: 10.40.1.0/24\n", "    aksSubnetPrefix: 10.40.1.0/24\n    addressSpace: 10.9.0.0/22\n"
    )
    line = _engine_error(tmp_path, text)
    assert "stacks/Pulumi.x.yaml, line " in line and "hardened-aml:network.addressSpace: written twice" in line


def test_a_namespace_typo_names_the_file_and_the_right_key(tmp_path: Path) -> None:
    text = (
        (ROOT / "stacks" / "Pulumi.dev.yaml").read_text().replace("hardened-aml:governance:", "hardned-aml:governance:")
    )
    line = _engine_error(tmp_path, text)
    assert line.startswith("error: stacks/Pulumi.x.yaml: hardned-aml:governance: got ")
    assert "did you mean hardened-aml:governance" in line


def test_an_invalid_value_names_file_key_value_and_words(tmp_path: Path) -> None:
    text = (
        (ROOT / "stacks" / "Pulumi.dev.yaml")
        .read_text()
        .replace("aksSubnetPrefix: 10.40.1.0/24", "aksSubnetPrefix: ten")
    )
    line = _engine_error(tmp_path, text)
    assert line == (
        "error: stacks/Pulumi.x.yaml: hardened-aml:network.aksSubnetPrefix: got 'ten'; "
        "allowed: an IPv4 address block in CIDR form, e.g. 10.40.0.0/24"
    )


# --- every BadInput path of the command: exit 2, one line, no traceback -----------------------------------------


def _no_pack_project(tmp_path: Path) -> list[str]:
    project = tmp_path / "nopack"
    (project / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    shutil.copy(ROOT / "stacks" / "Pulumi.dev.yaml", project / "stacks" / "Pulumi.dev.yaml")
    return ["--project-dir", str(project)]


def _stack_text(tmp_path: Path, text: str) -> list[str]:
    project = _project_with(tmp_path, text)
    return ["--project-dir", str(project), "--stack", "bad"]


def _policy_config(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "policy-config.json"
    path.write_text(text)
    return ["--policy-config", str(path)]


def _unwritable_out(tmp_path: Path) -> list[str]:
    """A file no one can create, root included: /proc takes no new files."""
    return ["--out", "/proc/hardened-aml-report.json", "--format", "json"]


_DEV = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
BAD_INPUTS: dict[str, tuple[Any, str]] = {
    "unknown stack": (lambda t: ["--stack", "staging"], "--stack: got 'staging'"),
    "bad flag": (lambda t: ["--format", "xml"], "--format"),
    "unknown flag": (lambda t: ["--colour"], "unrecognized arguments"),
    "missing project dir": (lambda t: ["--project-dir", str(t / "nowhere")], "--project-dir: got "),
    "out folder missing": (lambda t: ["--out", str(t / "nowhere" / "r.json")], "--out: got "),
    "out is a folder": (lambda t: ["--out", str(t)], "which is a folder"),
    "out not writable": (_unwritable_out, "--out: cannot write"),
    "missing pack folder": (_no_pack_project, "policy pack: got "),
    "missing --policy-pack": (lambda t: ["--policy-pack", str(t / "nowhere")], "--policy-pack: got "),
    "not a pack": (lambda t: ["--policy-pack", str(t)], "not a policy pack folder"),
    "policy config missing": (lambda t: ["--policy-config", str(t / "nowhere.json")], "--policy-config: "),
    "one policy config for two packs": (
        lambda t: (
            ["--policy-pack", str(ROOT / "policies"), "--policy-pack", str(ONE_POLICY_PACK), *_policy_config(t, "{}")]
        ),
        "got 1 file(s) for 2 policy pack(s)",
    ),
    "two policy configs for one pack": (
        lambda t: _policy_config(t, "{}") + _policy_config(t, "{}"),
        "got 2 file(s) for 1 policy pack(s)",
    ),
    "policy config not JSON": (lambda t: _policy_config(t, "{"), "--policy-config: "),
    "policy config bad level": (lambda t: _policy_config(t, '{"all": "strict"}'), "policy-config.json: all."),
    "policy config bad value": (
        lambda t: _policy_config(t, '{"aml-dat-003-key-vault-purge-protection": {"minSoftDeleteDays": 3}}'),
        "policy-config.json: aml-dat-003",
    ),
    "yaml syntax error": (
        lambda t: _stack_text(t, "config:\n  a: [1\n"),
        "stacks/Pulumi.bad.yaml, line 3: invalid YAML",
    ),
    "yaml tab indent": (lambda t: _stack_text(t, "config:\n\ta: 1\n"), "stacks/Pulumi.bad.yaml, line 2: invalid YAML"),
    "stack file not a mapping": (lambda t: _stack_text(t, "- 1\n"), "stacks/Pulumi.bad.yaml: got a YAML list"),
    "duplicate key": (lambda t: _stack_text(t, _DEV + "  hardened-aml:workload: other\n"), "written twice"),
    "namespace typo": (
        lambda t: _stack_text(t, _DEV.replace("hardened-aml:budget:", "hardend-aml:budget:")),
        "did you mean hardened-aml:budget",
    ),
    "invalid config value": (
        lambda t: _stack_text(t, _DEV.replace("workload: haml", "workload: HAML")),
        "stacks/Pulumi.bad.yaml: hardened-aml:workload: got 'HAML'; allowed: 2 to 8 lowercase",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_every_bad_input_exits_2_with_one_line(tmp_path: Path, case: str) -> None:
    make, expected = BAD_INPUTS[case]
    args = make(tmp_path)
    done = run_cli("plan", "--quiet", *args)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("hardened-aml: error: ") and expected in lines[0], lines[0]


def test_version() -> None:
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.startswith("hardened-aml ")


ONE_POLICY_PACK = ROOT / "bench" / "one_policy_pack"


def test_each_pack_reads_its_own_policy_config(tmp_path: Path) -> None:
    """As ``pulumi preview --policy-pack A --policy-pack-config a.json --policy-pack B --policy-pack-config b.json``:
    the i-th config configures the i-th pack, and is validated against that pack's policies only."""
    from hardened_aml_cli.main import evaluate, find_project
    from tests.fixtures.sdk_plan import planned

    entries = planned("compliant")
    storage = next(e for e in entries if e["type"] == "azure-native:storage:StorageAccount")
    storage["inputs"]["allowBlobPublicAccess"] = True
    ours, theirs = tmp_path / "ours.json", tmp_path / "theirs.json"
    ours.write_text('{"aml-dat-001-storage-no-anonymous-blob-access": "disabled"}')
    theirs.write_text('{"no-public-blobs": "mandatory"}')
    project = find_project(ROOT)
    packs = [ROOT / "policies", ONE_POLICY_PACK]
    configs = [
        (ours, {"aml-dat-001-storage-no-anonymous-blob-access": {"enforcementLevel": "disabled"}}),
        (theirs, {"no-public-blobs": {"enforcementLevel": "mandatory"}}),
    ]
    report = evaluate(project, "dev", entries, configs, packs)
    found = {(d.policy, d.enforcement) for d in report.diagnostics}
    assert found == {("no-public-blobs", "mandatory")}
    # A config naming a policy of the other pack is refused, naming its file and the pack it configures.
    with pytest.raises(BadInput, match=r"theirs\.json: .*no-public-blobs.*it configures the pack in .*policies"):
        evaluate(project, "dev", entries, list(reversed(configs)), packs)
