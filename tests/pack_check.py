"""Judge what a program registered with the whole policy pack, over its real gRPC protocol.

``violations(resources)`` starts the pack once per test session (as ``pulumi preview --policy-pack`` starts
it), sends ``Analyze`` for every custom resource and ``AnalyzeStack`` for all of them, and returns the
diagnostics. Component tests use it to show that a component passes its own pack.
"""

from __future__ import annotations

import atexit
from collections.abc import Mapping, Sequence
from typing import Any

from hardened_aml.cli.analyzer import Diagnostic, PackClient, Resource
from hardened_aml.cli.engine import PlannedResource
from tests.conftest import ROOT

_client: PackClient | None = None


def _pack() -> PackClient:
    global _client
    if _client is None:
        _client = PackClient(ROOT / "policies")
        _client.start()
        atexit.register(_client.close)
    return _client


def violations(
    resources: Sequence[PlannedResource], config: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Diagnostic]:
    """Every diagnostic the pack reports for these registrations (resource and stack policies)."""
    pack = _pack()
    pack.configure(dict(config or {}))
    pack.configure_stack(project="hardened-aml", stack="test")
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
    found = [d for r, p in zip(judged, resources, strict=True) if p.custom for d in pack.analyze(r).diagnostics]
    return found + pack.analyze_stack(judged).diagnostics


def mandatory(resources: Sequence[PlannedResource], ignore: Sequence[str] = ()) -> list[str]:
    """The mandatory violations, as ``"<policy>: <message>"``, except for the policies in ``ignore``."""
    return [
        f"{d.policy}: {d.message}"
        for d in violations(resources)
        if d.enforcement == "mandatory" and d.policy not in ignore
    ]
