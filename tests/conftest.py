"""Shared fixtures: the repository root, and offline plans run once per test session."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

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
