"""Replay a plan's custom resources under Pulumi's test engine, with no components and no pack.

``python bench/replay.py PLAN.json --mode sdk`` registers each custom resource of the plan through its
azure-native SDK class (``pulumi_azure_native.<module>.<Type>``), with the same type, name and inputs;
``--mode bare`` registers them as bare ``pulumi.CustomResource`` (the engine floor). It prints
``{"resources": N, "mismatched": M}``: M counts registrations whose inputs differ from the plan's.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pulumi

from hardened_aml.testing.engine import install, run

SKIP = ("pulumi:", "hardened-aml:")


@cache
def _sdk_class(token: str) -> tuple[type[pulumi.CustomResource], dict[str, str]]:
    """The SDK class of a type token, and its constructor's parameter names keyed by camelCase-less form."""
    _, module, kind = token.split(":")
    cls = getattr(importlib.import_module(f"pulumi_azure_native.{module.replace('/', '.')}"), kind)
    params = inspect.signature(cls._internal_init).parameters  # type: ignore[attr-defined]
    names = {p.replace("_", "").lower(): p for p in params if p not in ("self", "resource_name", "opts")}
    return cls, names


def _kwargs(token: str, inputs: dict[str, Any]) -> dict[str, Any]:
    _, names = _sdk_class(token)
    return {names[key.lower()]: value for key, value in inputs.items() if key.lower() in names}


def program(resources: list[dict[str, Any]], mode: str) -> None:
    for r in resources:
        if mode == "bare":
            pulumi.CustomResource(r["type"], r["name"], dict(r["inputs"]))
        else:
            cls, _ = _sdk_class(r["type"])
            cls(r["name"], **_kwargs(r["type"], r["inputs"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("plan", type=Path)
    parser.add_argument("--mode", choices=("sdk", "bare"), required=True)
    args = parser.parse_args(argv)
    plan = json.loads(args.plan.read_text())
    resources = [r for r in plan["resources"] if not r["type"].startswith(SKIP)]
    monitor = install("replay", plan["stack"])
    planned = run(monitor, lambda: program(resources, args.mode))
    replayed = {p.name: p.inputs for p in planned if not p.type.startswith(SKIP)}
    mismatched = sum(1 for r in resources if replayed.get(r["name"]) != r["inputs"])
    json.dump({"resources": len(replayed), "mismatched": mismatched}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
