"""Shared fixtures: the repository root, and offline plans run once per test session."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from hardened_aml.testing import Diagnostic, PolicyPack

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the installed ``hardened-aml`` command in a fresh process, as a user does."""
    return subprocess.run(
        [sys.executable, "-m", "hardened_aml_cli.main", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="session")
def plans() -> dict[str, tuple[int, dict[str, Any]]]:
    """``hardened-aml plan --stack S --format json`` for each stack: exit code and report."""
    results = {}
    for stack in ("dev", "prod"):
        done = run_cli("plan", "--stack", stack, "--format", "json", "--quiet")
        assert done.returncode in (0, 1), done.stderr
        results[stack] = (done.returncode, json.loads(done.stdout))
    return results


def plan_stack(stack: str, project_dir: Path = ROOT, main: str = ".") -> subprocess.CompletedProcess[str]:
    """Plan one stack with the engine command in a fresh process (the runtime is process-global)."""
    return subprocess.run(
        [sys.executable, "-m", "hardened_aml_cli.engine", "--project-dir", str(project_dir),
         "--project", "hardened-aml", "--stack", stack, "--main", main, "--config-dir", "stacks"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@cache
def planned(stack: str) -> list[dict[str, Any]]:
    """Every registration of one of this repository's stacks, planned once per test session."""
    result = plan_stack(stack)
    assert result.returncode == 0, result.stderr
    resources: list[dict[str, Any]] = json.loads(result.stdout)["resources"]
    return resources


# --- the pack over its protocol, for the mutation and normalisation tests -----------------------------------
#: Policy config of the mutation tests' pack: quotas, which are not configured by default (AML-CMP-005).
MUTATION_PACK_CONFIG = {"aml-cmp-005-cluster-core-quota": {"dedicatedCoreQuota": 256, "lowPriorityCoreQuota": 64}}


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPack]:
    """The project's pack, started as the Pulumi CLI starts it, once per test module."""
    with PolicyPack(ROOT / "policies", config=MUTATION_PACK_CONFIG) as started:
        yield started


@pytest.fixture(scope="module")
def by_control(pack: PolicyPack) -> dict[str, set[str]]:
    """Control id -> the names of the policies tagged ``control:<id>`` (from ``GetAnalyzerInfo``)."""
    found: dict[str, set[str]] = {}
    for policy in pack.client.info().policies:
        for tag in policy.tags:
            if tag.startswith("control:"):
                found.setdefault(tag.split(":", 1)[1], set()).add(policy.name)
    return found


@pytest.fixture(scope="module")
def baseline(pack: PolicyPack) -> list[Diagnostic]:
    """What the pack reports for the compliant fixture program (nothing, as test_pack_fixtures asserts)."""
    from tests.fixtures.sdk_plan import planned, resources

    return pack.check(resources(planned("compliant")))
