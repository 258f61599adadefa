"""Every setting is declared once: in its component's args type, which the stack config is composed of."""

from __future__ import annotations

import copy
import re
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml

from hardened_aml.compute_instance import ComputeInstanceSettings
from hardened_aml.errors import InvalidInputError
from hardened_aml.inputs import docstrings, fields
from hardened_aml.provider import COMPONENTS
from hardened_aml.settings import EstateArgs, EstateCompute, parse

ROOT = Path(__file__).resolve().parents[1]


def _args_types(annotation: Any, seen: set[Any]) -> None:
    if (typing.is_typeddict(annotation) or hasattr(annotation, "__required_keys__")) and annotation not in seen:
        seen.add(annotation)
        for inner in fields(annotation).values():
            _args_types(inner, seen)
        return
    for inner in typing.get_args(annotation):
        _args_types(inner, seen)


def _every_args_type() -> list[Any]:
    seen: set[Any] = set()
    for component in COMPONENTS:
        _args_types(typing.get_type_hints(component.__init__)["args"], seen)
    return sorted(seen, key=lambda t: t.__name__)


@pytest.mark.parametrize("kind", _every_args_type(), ids=lambda t: t.__name__)
def test_every_field_says_its_default_or_that_it_is_required(kind: Any) -> None:
    notes = docstrings(kind)
    missing = [name for name in fields(kind) if not notes.get(name)]
    assert missing == []
    vague = [n for n in fields(kind) if "Default" not in notes[n] and "Required" not in notes[n]]
    assert vague == [], f"{kind.__name__}: say 'Default: ...' or 'Required.' for {vague}"


def test_the_stack_config_is_composed_of_the_components_settings_types() -> None:
    instances = typing.get_args(typing.get_args(fields(EstateCompute)["instances"])[0])[0]
    assert typing.get_args(instances)[0] is ComputeInstanceSettings
    assert "compute" in fields(EstateArgs)


def test_every_instance_setting_is_settable_from_stack_config() -> None:
    # A field added to the instance's settings reaches the stack file with no other edit: each one is accepted
    # under its camelCase key, and an unknown one is refused naming the keys there are.
    instance = {
        "name": "ci-user1",
        "vmSize": "Standard_DS3_v2",
        "assignedUserObjectId": "5f1c2d3e-4b5a-4697-8a8b-9c0d1e2f3a4b",
        "imageEpoch": "2026-11-27",
        "maxImageAgeDays": 10,
        "idleTimeBeforeShutdown": "PT30M",
        "schedules": [{"action": "Stop", "cron": "0 19 * * 1-5"}],
    }
    base = {"environment": "exploration", "workload": "haml", "location": "westeurope",
            "tags": {"team": "t", "costCentre": "c"}}  # fmt: skip
    from pydantic.alias_generators import to_camel

    assert {to_camel(f) for f in fields(ComputeInstanceSettings)} == set(instance)
    settings = parse({**base, "compute": {"instances": [instance]}})
    assert settings["compute"]["instances"][0]["schedules"][0]["cron"] == "0 19 * * 1-5"  # type: ignore[typeddict-item]
    from hardened_aml.errors import InvalidInputError

    with pytest.raises(InvalidInputError) as caught:
        parse({**base, "compute": {"instances": [{**instance, "gpuCount": 1}]}})
    assert caught.value.key == "hardened-aml:compute.instances.0.gpuCount"
    assert "schedules" in caught.value.allowed


def test_args_that_are_not_a_mapping_are_refused_in_one_line() -> None:
    from hardened_aml.errors import InvalidInputError
    from hardened_aml.inputs import checked

    with pytest.raises(InvalidInputError) as caught:
        checked(EstateArgs, ["not", "a", "mapping"], "hardened-aml", config=True)  # type: ignore[arg-type]
    assert caught.value.key == "hardened-aml" and "workload" in caught.value.allowed


# --- refusals in words: never a regex, never a Python class name ------------------------------------------------


def _patterns(annotation: Any, found: set[str]) -> None:
    for meta in getattr(annotation, "__metadata__", ()):
        for constraint in [meta, *getattr(meta, "metadata", ())]:
            pattern = getattr(constraint, "pattern", None)
            if isinstance(pattern, str):
                found.add(pattern)
    for inner in typing.get_args(annotation):
        _patterns(inner, found)


def test_every_declared_pattern_is_described_in_words() -> None:
    from hardened_aml.inputs import PATTERN_WORDS

    found: set[str] = set()
    for kind in {*_every_args_type(), EstateArgs}:
        for annotation in fields(kind).values():
            _patterns(annotation, found)
    assert found, "no pattern found: the walk is broken"
    assert sorted(found - set(PATTERN_WORDS)) == []


_LEAKS = re.compile(r"\^\[|\^\\|\^\(|\$$|\]\{|\\[dsS]|Input should|instance of|[A-Z][a-z]+(Settings|Args)\b|TypedDict")
_BAD_VALUES = ["x", "^[a]$", 12345, -1, 2.5, True, None, [1], {"a": 1}, "a" * 300, ""]


def _stack_values(stack: str) -> dict[str, Any]:
    config = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k.partition(":")[2]: v for k, v in config.items() if k.startswith("hardened-aml:")}


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at] if at else []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        found += _paths(inner, (*at, key))
    return found


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_refusal_shows_a_regex_or_a_class_name(stack: str) -> None:
    """Every key of the shipped stack files (every field type they use), set to values of every wrong kind."""
    base = _stack_values(stack)
    refusals = 0
    for path in _paths(base):
        for bad in _BAD_VALUES:
            values = copy.deepcopy(base)
            target: Any = values
            for part in path[:-1]:
                target = target[part]
            target[path[-1]] = bad
            try:
                parse(values)
            except InvalidInputError as exc:
                refusals += 1
                assert "\n" not in str(exc)
                assert exc.key.startswith("hardened-aml:"), str(exc)
                assert not _LEAKS.search(exc.allowed), str(exc)
    assert refusals > 200


def test_an_unknown_key_inside_a_known_section_is_refused_with_the_allowed_keys() -> None:
    values = _stack_values("dev")
    values["network"]["computeSubnetPrefx"] = "10.40.2.0/24"
    with pytest.raises(InvalidInputError) as caught:
        parse(values)
    assert caught.value.key == "hardened-aml:network.computeSubnetPrefx"
    assert "computeSubnetPrefix" in caught.value.allowed and caught.value.allowed.startswith("one of ")


@pytest.mark.parametrize(
    ("key", "refused"),
    [
        ("hardned-aml:governance", True),
        ("hardened_aml:budget", True),
        ("Hardened-AML:managedNetwork", True),
        ("azure-native:location", False),
        ("pulumi:tags", False),
        ("myorg:owner", False),
    ],
)
def test_a_namespace_close_to_the_projects_is_refused(key: str, refused: bool) -> None:
    from hardened_aml.settings import check_namespace

    if not refused:
        check_namespace(key, "x", "hardened-aml")
        return
    with pytest.raises(InvalidInputError) as caught:
        check_namespace(key, "x", "hardened-aml")
    assert f"did you mean hardened-aml:{key.partition(':')[2]}" in str(caught.value)
