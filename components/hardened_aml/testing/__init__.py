"""A test kit for policy packs: run any Python CrossGuard pack over its real plugin protocol.

Platform teams extend packs; their policies deserve the same tests as ours, without hand-made fakes of
the runtime (pulumi-policy #445, #12). :class:`PolicyPack` starts a pack folder as the Pulumi CLI does
(``python -m pulumi.policy ADDRESS FOLDER``), then sends resources over gRPC (``Analyze`` per resource,
``AnalyzeStack`` for a stack) and returns the diagnostics::

    from hardened_aml.testing import PolicyPack, resource

    with PolicyPack("policies") as pack:
        found = pack.analyze(resource("azure-native:storage:StorageAccount", {"allowBlobPublicAccess": True}))
        assert "aml-dat-001-storage-no-anonymous-blob-access" in {d.policy for d in found}

Values unknown at preview are written :data:`UNKNOWN`; a resource refers to another through
``depends_on={"property": [other]}``, as an ``Output`` of the other flowing into that property does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hardened_aml.testing.pack import Analysis, Diagnostic, PackClient, Resource

__all__ = ["UNKNOWN", "Analysis", "Diagnostic", "PolicyPack", "Resource", "resource"]

#: The engine's sentinel for a value that is not known until the update (``pulumi/runtime/rpc.py``).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def resource(
    type_token: str,
    properties: Mapping[str, Any],
    *,
    name: str = "r",
    project: str = "test",
    stack: str = "test",
    depends_on: Mapping[str, Sequence[Resource]] | None = None,
    parent: Resource | None = None,
) -> Resource:
    """A resource as the engine sends it: type token, camelCase properties, URN and relations."""
    property_dependencies = {key: [r.urn for r in rs] for key, rs in (depends_on or {}).items()}
    return Resource(
        urn=f"urn:pulumi:{stack}::{project}::{type_token}::{name}",
        type=type_token,
        name=name,
        properties=dict(properties),
        parent=parent.urn if parent else "",
        dependencies=sorted({urn for urns in property_dependencies.values() for urn in urns}),
        property_dependencies=property_dependencies,
    )


class PolicyPack:
    """A policy pack folder started as the CLI starts it; use as a context manager."""

    def __init__(
        self,
        folder: str | Path,
        *,
        config: Mapping[str, Mapping[str, Any]] | None = None,
        project: str = "test",
        stack: str = "test",
    ) -> None:
        self.client = PackClient(Path(folder))
        self._config = dict(config or {})
        self._project, self._stack = project, stack

    def __enter__(self) -> PolicyPack:
        self.client.start()
        self.configure(self._config)
        self.client.configure_stack(project=self._project, stack=self._stack)
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def configure(self, config: Mapping[str, Mapping[str, Any]]) -> None:
        """Policy config as ``--policy-pack-config`` gives it: ``{policy: {"enforcementLevel": ..., ...}}``."""
        self.client.configure(config)

    @property
    def policies(self) -> list[str]:
        """The names of the pack's policies (``GetAnalyzerInfo``)."""
        return [p.name for p in self.client.info().policies]

    def analyze(self, item: Resource) -> list[Diagnostic]:
        """``Analyze`` one resource; its diagnostics."""
        return self.client.analyze(item).diagnostics

    def analyze_stack(self, items: Iterable[Resource]) -> list[Diagnostic]:
        """``AnalyzeStack`` over these resources; the stack policies' diagnostics."""
        return self.client.analyze_stack(items).diagnostics

    def check(self, items: Iterable[Resource]) -> list[Diagnostic]:
        """What ``pulumi preview --policy-pack`` reports: ``Analyze`` each resource, then ``AnalyzeStack``."""
        listed = list(items)
        return [d for r in listed for d in self.analyze(r)] + self.analyze_stack(listed)

    def remediate(self, item: Resource) -> dict[str, Any] | None:
        """``Remediate`` one resource: its properties after every applicable fix, or ``None`` when none applied."""
        fixed: dict[str, Any] | None = None
        for _policy, properties in self.client.remediate(item):
            fixed = properties
        return fixed


def analysis(pack: PolicyPack, item: Resource) -> Analysis:
    """The full ``Analyze`` answer, with the policies that said they do not apply."""
    return pack.client.analyze(item)
