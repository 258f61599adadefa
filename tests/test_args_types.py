"""Every setting is declared once: in its component's args type, which the stack config is composed of."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from hardened_aml.compute_instance import ComputeInstanceSettings
from hardened_aml.inputs import docstrings, fields
from hardened_aml.provider import COMPONENTS
from hardened_aml.settings import EstateArgs, EstateCompute, parse


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
