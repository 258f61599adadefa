"""The README's examples are kept correct: the component import example plans an estate under the test engine,
and the test-kit example runs against a real pack (the benchmark's one-policy pack stands in for "my-policies")."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.conftest import ROOT

RUNNER = """
import json, sys
from hardened_aml.testing.engine import install, run
monitor = install("readme", "prod")
planned = run(monitor, lambda: exec(sys.stdin.read(), {"__name__": "__main__"}))
json.dump([{"type": p.type, "name": p.name} for p in planned], sys.stdout)
"""


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_the_component_import_example_plans_an_estate() -> None:
    example = next(block for block in _python_blocks() if "from hardened_aml.estate import" in block)
    done = subprocess.run(
        [sys.executable, "-c", RUNNER], input=example, capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    types = {r["type"] for r in json.loads(done.stdout)}
    assert {"hardened-aml:index:Estate", "azure-native:machinelearningservices:Workspace"} <= types


def test_the_testing_kit_example_runs_against_a_pack() -> None:
    example = next(block for block in _python_blocks() if "hardened_aml.testing" in block)
    assert '"my-policies"' in example and '"my-no-public-blobs"' in example
    runnable = example.replace('"my-policies"', repr(str(ROOT / "bench" / "one_policy_pack"))).replace(
        '"my-no-public-blobs"', '"no-public-blobs"'
    )
    exec(compile(runnable, "README.md", "exec"), {"__name__": "readme"})  # its assert is the check


def test_the_engine_example_plans_a_cluster() -> None:
    example = next(block for block in _python_blocks() if "hardened_aml.testing.engine" in block)
    done = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
