"""The validated configuration of one stack of this repository: the estate's own args type.

A stack file's ``hardened-aml:*`` keys are the fields of :class:`~hardened_aml.estate.EstateArgs`, camelCased;
each section is the settings type of the component it configures (``hardened-aml:compute`` holds
``ComputeClusterSettings`` and ``ComputeInstanceSettings``, ...). Nothing is declared here a second time: a field
added to a component's settings is settable from stack config at once.

``pulumi config`` values arrive as strings (structured values as JSON); :func:`from_pulumi_config` reads every
key of the project's namespace and checks them with :func:`parse`, which refuses unknown keys, wrong types and
invalid values with one line naming the key as the stack file writes it, the value given and what is allowed.
"""

import json
from collections.abc import Mapping
from typing import Any

import pulumi

from hardened_aml.errors import InvalidInputError
from hardened_aml.estate import EstateArgs
from hardened_aml.inputs import checked

#: The stack configuration: exactly the estate's args (see the module docstring).
StackSettings = EstateArgs


def parse(values: Mapping[str, Any], namespace: str = "hardened-aml") -> EstateArgs:
    """Check raw config values (already JSON-decoded); raise one :class:`InvalidInputError` per stack."""
    return checked(EstateArgs, values, namespace, config=True)


def from_pulumi_config(namespace: str | None = None) -> EstateArgs:
    """Read every ``namespace:*`` config key of the running stack and check it (see :func:`parse`)."""
    namespace = namespace or pulumi.get_project()
    raw = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    values: dict[str, Any] = {}
    for full_key, value in raw.items():
        ns, _, key = full_key.partition(":")
        if ns != namespace:
            continue
        if isinstance(value, str) and value[:1] in "{[":
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise InvalidInputError(full_key, value, "valid JSON for a structured value") from None
        values[key] = value
    return parse(values, namespace)
