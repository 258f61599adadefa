"""Helpers for component tests: run a component under the offline engine and look at what it registered."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from hardened_aml.errors import InvalidInputError
from hardened_aml.testing.engine import PlannedResource, install, run

SUB = "00000000-0000-0000-0000-000000000000"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg-test"
LAW_ID = RG_ID + "/providers/Microsoft.OperationalInsights/workspaces/log-test"
UAI_ID = RG_ID + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-test"
TAGS = {"team": "ml-platform", "environment": "exploration", "costCentre": "cc-1"}


class Plan:
    """What one program registered, with small finders."""

    def __init__(self, resources: list[PlannedResource]) -> None:
        self.resources = resources

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> PlannedResource:
        found = self.of_type(type_)
        assert len(found) == 1, f"{len(found)} resources of type {type_}"
        return found[0]

    def named(self, name: str) -> PlannedResource:
        return next(r for r in self.resources if r.name == name)

    def types(self) -> list[str]:
        return sorted(r.type for r in self.resources)

    def children_of(self, parent: PlannedResource) -> Iterable[PlannedResource]:
        return [r for r in self.resources if r.parent == parent.urn]


@pytest.fixture
def plan() -> Callable[[Callable[[], Any]], Plan]:
    """``plan(lambda: Component(...))`` runs the component under a fresh engine and returns the Plan."""

    def _plan(program: Callable[[], Any]) -> Plan:
        monitor = install("hardened-aml", "test", {})
        return Plan([r for r in run(monitor, program) if r.type != "pulumi:pulumi:Stack"])

    return _plan


def refused(program: Callable[[], Any]) -> InvalidInputError:
    """Run a program that must be refused: return its error, after checking that nothing was registered."""
    monitor = install("hardened-aml", "test", {})
    with pytest.raises(InvalidInputError) as caught:
        run(monitor, program)
    registered = [r.type for r in monitor.planned if r.type != "pulumi:pulumi:Stack"]
    assert registered == [], f"registered before refusing: {registered}"
    return caught.value
