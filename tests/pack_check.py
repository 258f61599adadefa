"""Judge what a program registered with the whole policy pack, over its real gRPC protocol.

``violations(resources)`` starts the pack once per test session with ``hardened_aml.testing`` (as
``pulumi preview --policy-pack`` starts it) and returns what ``Analyze`` and ``AnalyzeStack`` report.
Component tests use it to show that a component passes its own pack.
"""

from __future__ import annotations

import atexit
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from hardened_aml.testing import Diagnostic, PolicyPack, Resource
from hardened_aml.testing.engine import PlannedResource
from tests.conftest import ROOT


@cache
def _pack() -> PolicyPack:
    pack = PolicyPack(ROOT / "policies", project="hardened-aml").__enter__()
    atexit.register(pack.__exit__, None, None, None)
    return pack


def violations(
    resources: Sequence[PlannedResource], config: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Diagnostic]:
    """Every diagnostic the pack reports for these registrations (resource and stack policies)."""
    pack = _pack()
    pack.configure(dict(config or {}))
    judged = [
        Resource(
            urn=r.urn,
            type=r.type,
            name=r.name,
            properties=r.inputs,
            parent=r.parent,
            dependencies=r.dependencies,
            property_dependencies=r.property_dependencies,
            protect=r.protect,
        )
        for r in resources
    ]
    found = [d for r, p in zip(judged, resources, strict=True) if p.custom for d in pack.analyze(r)]
    return found + pack.analyze_stack(judged)


def mandatory(resources: Sequence[PlannedResource], ignore: Sequence[str] = ()) -> list[str]:
    """The mandatory violations, as ``"<policy>: <message>"``, except for the policies in ``ignore``."""
    return [
        f"{d.policy}: {d.message}"
        for d in violations(resources)
        if d.enforcement == "mandatory" and d.policy not in ignore
    ]
