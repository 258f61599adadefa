"""No input makes the pack raise (issue 14, part 1): arbitrary JSON, and unknown values at every depth, at every
property path the rules read, sent over the real protocol.

For every resource type the pack judges, the compliant fixture sets every path its rules read (it is fully
hardened), so its paths are the ones to attack: each example replaces one of them (or a parent object) with
arbitrary JSON that may hold the engine's unknown sentinel anywhere, then sends the resource through ``Analyze``
and the whole stack through ``AnalyzeStack``. Neither call may raise, and no rule may fall back to the pack's
"could not be judged" safety net (which would hide a bug as a violation).

Floats are finite: the protobuf ``Struct`` the engine sends carries NaN and infinity as ``number_value``, but the
pulumi-policy SDK (1.21.0) fails to serialise a diagnostic or remediation whose properties hold one (its
``json.dumps`` / ``Struct.update`` round trip), outside any rule, so no rule can catch it; the engine never sends
them either (Pulumi properties come from JSON, which has no NaN).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aml_policies.core import COULD_NOT_JUDGE
from hardened_aml.testing import UNKNOWN, PolicyPack
from tests.conftest import ROOT
from tests.fixtures.sdk_plan import planned, resources


def _paths(value: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every path in a JSON tree: objects by key, lists by index (parents before children)."""
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, (*prefix, str(i)))


def _judged_types(pack: PolicyPack) -> set[str]:
    return {
        tag.removeprefix("resource:")
        for policy in pack.client.info().policies
        for tag in policy.tags
        if tag.startswith("resource:") and tag != "resource:stack"
    }


COMPLIANT = {e["name"]: e for e in planned("compliant")}
#: (resource name, path) for every path of every custom resource of the compliant fixture.
TARGETS = sorted(
    (name, path) for name, entry in COMPLIANT.items() if entry["custom"] for path in _paths(entry["inputs"])
)

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from([UNKNOWN, "true", "False", "Disabled", "disabled", "AmlCompute", "production", "FQDN", "*"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _set(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node: Any = tree
    for part in path[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(path[-1])] = value
    else:
        node[path[-1]] = value


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPack]:
    with PolicyPack(ROOT / "policies") as started:
        yield started


def test_the_targets_cover_every_judged_type(pack: PolicyPack) -> None:
    attacked = {COMPLIANT[name]["type"].removeprefix("azure-native:") for name, _ in TARGETS}
    assert sorted(_judged_types(pack) - attacked) == []


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(TARGETS), value=JSON)
def test_no_input_makes_analyze_or_analyze_stack_raise(
    pack: PolicyPack, target: tuple[str, tuple[str, ...]], value: Any
) -> None:
    name, path = target
    entries = copy.deepcopy(COMPLIANT)
    _set(entries[name]["inputs"], path, value)
    listed = resources(entries.values())
    attacked = next(r for r in listed if r.name == name)
    found = pack.analyze(attacked) + pack.analyze_stack(listed)  # a gRPC error here is the failure
    assert [f"{d.policy}: {d.message}" for d in found if COULD_NOT_JUDGE in d.message] == []


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted({n for n, _ in TARGETS})), value=JSON)
def test_arbitrary_properties_never_make_analyze_raise(pack: PolicyPack, name: str, value: Any) -> None:
    """A resource whose whole property bag is arbitrary (an object, as the engine always sends one)."""
    entries = copy.deepcopy(COMPLIANT)
    entries[name]["inputs"] = value if isinstance(value, dict) else {"properties": value, "tags": value}
    listed = resources(entries.values())
    attacked = next(r for r in listed if r.name == name)
    found = pack.analyze(attacked) + pack.analyze_stack(listed)
    assert [f"{d.policy}: {d.message}" for d in found if COULD_NOT_JUDGE in d.message] == []
