"""Policy-pack config, as ``pulumi preview --policy-pack-config FILE`` takes it, checked before use.

The file maps ``all`` or a policy name to an enforcement level, or to an object with ``enforcementLevel``
and the policy's own properties. Each property is checked against the JSON schema the pack declares for it
(``GetAnalyzerInfo``); the CLI does the same, so a config file that passes here is one the CLI accepts.
Errors are one line naming the key, the value and what is allowed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LEVELS = ("advisory", "mandatory", "remediate", "disabled")


class PolicyConfigError(ValueError):
    """A policy-config file that the pack would refuse."""


def load(path: Path) -> dict[str, dict[str, Any]]:
    """Read a config file into ``{policy: {"enforcementLevel": ..., <property>: ...}}``."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PolicyConfigError(f"{path}: cannot be read as JSON ({exc}); allowed: a JSON policy-config file") from None
    if not isinstance(document, dict):
        raise PolicyConfigError(f"{path}: got {type(document).__name__}; allowed: a JSON object")
    config: dict[str, dict[str, Any]] = {}
    for name, value in document.items():
        if isinstance(value, str):
            config[name] = {"enforcementLevel": value}
        elif isinstance(value, dict):
            config[name] = dict(value)
        else:
            raise PolicyConfigError(f"{name}: got {value!r}; allowed: an enforcement level or an object")
    return config


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return {
        "boolean": isinstance(value, bool),
        "string": isinstance(value, str),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }.get(kind, True)


def _check(key: str, value: Any, schema: Mapping[str, Any]) -> None:
    kind = schema.get("type")
    if isinstance(kind, str) and not _type_ok(value, kind):
        raise PolicyConfigError(f"{key}: got {value!r}; allowed: a JSON {kind}")
    low, high = schema.get("minimum"), schema.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = [f"at least {low:g}"] if low is not None else []
        bounds += [f"at most {high:g}"] if high is not None else []
        article = "an" if str(kind)[:1] in "aeiou" else "a"
        raise PolicyConfigError(f"{key}: got {value!r}; allowed: {article} {kind} {' and '.join(bounds)}")
    if "enum" in schema and value not in schema["enum"]:
        raise PolicyConfigError(f"{key}: got {value!r}; allowed: one of {', '.join(map(repr, schema['enum']))}")
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        raise PolicyConfigError(f"{key}: got {value!r}; allowed: at least {schema['minLength']} character(s)")
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for i, item in enumerate(value):
            _check(f"{key}[{i}]", item, schema["items"])
    if isinstance(value, dict) and isinstance(schema.get("additionalProperties"), Mapping):
        for name, item in value.items():
            _check(f"{key}.{name}", item, schema["additionalProperties"])


def validate(config: Mapping[str, Mapping[str, Any]], schemas: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
    """Check ``config`` against the pack's policies and their config schemas (``{policy: {property: schema}}``)."""
    for name, values in config.items():
        if name != "all" and name not in schemas:
            raise PolicyConfigError(
                f"{name}: not a policy of the pack; allowed: 'all' or a policy name (see docs/policies.md)"
            )
        level = values.get("enforcementLevel")
        if level is not None and level not in LEVELS:
            raise PolicyConfigError(f"{name}.enforcementLevel: got {level!r}; allowed: one of {', '.join(LEVELS)}")
        properties = schemas.get(name, {})
        for key, value in values.items():
            if key == "enforcementLevel":
                continue
            if key not in properties:
                allowed = ", ".join(sorted(properties)) or "only enforcementLevel"
                raise PolicyConfigError(f"{name}.{key}: not a setting of this policy; allowed: {allowed}")
            _check(f"{name}.{key}", value, properties[key])
