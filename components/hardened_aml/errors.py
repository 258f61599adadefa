"""The one error type for bad input: config, component arguments, resource properties."""

from __future__ import annotations

from collections.abc import Iterable


class _Missing:
    def __repr__(self) -> str:
        return "nothing"


#: The value of a required key that was not given.
MISSING: object = _Missing()


class InvalidInputError(ValueError):
    """Bad input, reported before any resource is registered.

    The message is one line that names the key, the value given and what is allowed, so the plan command
    can print it as is (exit code 2) and ``pulumi up`` shows it without a traceback to read.
    """

    def __init__(self, key: str, value: object, allowed: str | Iterable[str]) -> None:
        allowed_text = allowed if isinstance(allowed, str) else "one of " + ", ".join(map(str, allowed))
        self.key, self.value, self.allowed = key, value, allowed_text
        super().__init__(f"{key}: got {value!r}; allowed: {allowed_text}")
