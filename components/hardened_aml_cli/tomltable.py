"""Data tables kept in the repository as TOML and validated by a pydantic model (the peer table, the seed asks).

Errors name the file, the entry as the table numbers it (``rule #3 (CKV_AZURE_1)``), the field, the problem and
the value as written, in one line, and are raised as the caller's own error type.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def parse(
    text: str,
    model: type[M],
    data: Path,
    error: type[Exception],
    label: Callable[[Mapping[str, Any]], str],
) -> M:
    """``model`` from TOML ``text``. ``label`` names an entry of one of the model's arrays of tables."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise error(f"{data}: not valid TOML: {problem}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as invalid:
        problems = []
        for item in invalid.errors():
            where = list(item["loc"])
            entries = raw.get(where[0]) if where and isinstance(where[0], str) else None
            if len(where) >= 2 and isinstance(entries, list) and isinstance(where[1], int):
                entry = entries[where[1]] if where[1] < len(entries) else None
                name = label(entry) if isinstance(entry, Mapping) else ""
                head = f"{where[0]} #{where[1] + 1} ({name})"
                field = ".".join(str(w) for w in where[2:])
            else:
                head, field = "table", ".".join(str(w) for w in where)
            message = item["msg"].removeprefix("Value error, ")
            value = item.get("input")
            if isinstance(value, str | int | float | bool) and item["type"] != "missing":
                message += f" (the value is {value!r})"
            problems.append(f"{head}: {field + ': ' if field else ''}{message}")
        raise error(f"{data}: " + "; ".join(problems)) from None


def load(
    root: Path,
    model: type[M],
    data: Path,
    error: type[Exception],
    label: Callable[[Mapping[str, Any]], str],
) -> M:
    """``model`` from the file ``data`` below ``root``."""
    try:
        text = (root / data).read_text(encoding="utf-8")
    except OSError as problem:
        raise error(f"{data}: cannot be read: {problem.strerror or problem}") from None
    return parse(text, model, data, error, label)
