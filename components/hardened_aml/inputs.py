"""How a component declares its arguments once, and how they are checked.

Every component takes one args type: a ``TypedDict`` (decorated with :func:`args`) with a docstring under each
field. A field declares, in one place, its type, its default and its allowed range or values::

    @args
    class ComputeClusterSettings(TypedDict):
        max_nodes: Annotated[int, Field(ge=1, le=10)]
        \"\"\"Most nodes. Required (control AML-CMP-003).\"\"\"
        tier: NotRequired[Annotated[VmTier, Field(default=VmTier.DEDICATED)]]
        \"\"\"VM priority. Default: ``Dedicated`` (control AML-REL-005).\"\"\"

The same declaration serves four readers: the component (:func:`checked` fills in defaults and refuses bad
values with one line naming the key, the value and what is allowed), the stack config model (which is composed
of these types, camelCase keys as in ``stacks/``), the component provider's schema for other Pulumi languages
(inferred from the annotations and docstrings) and the generated configuration reference.

Rules that relate several fields are written once, beside the type that owns the fields, with :func:`rule`.
A rule reads the fields it needs from the value being checked or, when it is nested, from the nearest
enclosing args that has them (an online endpoint inside an estate reads the estate's ``environment``).

Values that come from other resources are ``pulumi.Input`` fields marked :data:`Wired`: they are never
judged at construction (they are not known yet); a check given to :class:`Wired` runs when the ``Output``
resolves, and fails the update with the same one-line error.
"""

import ast
import contextvars
import datetime as dt
import inspect
import textwrap
import typing
from collections import ChainMap
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from enum import Enum
from functools import cache
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import pulumi
from pydantic import ConfigDict, TypeAdapter, ValidationError, with_config
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticUndefined, core_schema

from hardened_aml.errors import MISSING, InvalidInputError

__all__ = [
    "MISSING",
    "Input",
    "Path",
    "Problem",
    "Wired",
    "args",
    "checked",
    "config_key",
    "default_of",
    "docstrings",
    "fields",
    "rule",
    "today",
]

T = TypeVar("T")
U = TypeVar("U")

#: ``pulumi.Input`` with ``Output`` as a real class rather than the SDK's forward reference, so that pydantic
#: and the component provider's schema inference can both read it.
Input = Union[U, Awaitable[U], pulumi.Output[U]]  # noqa: UP007

#: Where a value sits: its keys (Python names) and list indexes, from the top of what was checked.
Path = tuple[str | int, ...]
#: What a rule yields: the key's path relative to the value the rule judges, the value given, what is allowed.
Problem = tuple[Path, object, str]
Rule = Callable[[Any, Mapping[str, Any]], Iterator[Problem]]

_CONFIG = ConfigDict(
    extra="forbid",
    alias_generator=to_camel,
    populate_by_name=True,
    use_attribute_docstrings=True,
    arbitrary_types_allowed=True,
    use_enum_values=False,
)
_RULES: dict[type, list[Rule]] = {}
#: The name of the component whose args are being checked, for errors raised later, when an Output resolves.
_WHERE: contextvars.ContextVar[str] = contextvars.ContextVar("where", default="")


def args(cls: type[T]) -> type[T]:
    """Make a ``TypedDict`` an args type: camelCase keys accepted beside Python names, unknown keys refused.

    Its validator is built here, at import: pydantic reads the field docstrings with ``ast.parse``, which
    CPython 3.11 can fail with "AST constructor recursion depth mismatch" when it runs deep inside the engine's
    event loop (where a component is constructed), so no parsing is left for then.
    """
    configured = with_config(_CONFIG)(cls)
    _adapter(typing.cast(Any, configured))
    return configured


def rule(owner: type) -> Callable[[Rule], Rule]:
    """Register a rule over several fields of ``owner`` (and of every args type that extends it)."""

    def register(func: Rule) -> Rule:
        _RULES.setdefault(owner, []).append(func)
        return func

    return register


class Wired:
    """Marks a ``pulumi.Input`` field: passed through as given; ``check`` (if any) judges the resolved value.

    ``check(value)`` returns ``None`` when the value is fine, else what is allowed, in words.
    """

    def __init__(self, check: Callable[[Any], str | None] | None = None) -> None:
        self.check = check

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(self._validate)

    def _validate(self, value: Any, info: core_schema.ValidationInfo) -> Any:
        if self.check is None or value is None or inspect.isawaitable(value) or isinstance(value, pulumi.Output):
            if self.check is not None and isinstance(value, pulumi.Output):
                key = ".".join(p for p in (_WHERE.get(), info.field_name) if p)
                return value.apply(lambda resolved: self._known(key, resolved))
            return value
        allowed = self.check(value)
        if allowed is not None:
            raise ValueError(allowed)
        return value

    def _known(self, key: str, value: Any) -> Any:
        assert self.check is not None
        allowed = self.check(value) if value is not None else None
        if allowed is not None:
            raise InvalidInputError(key, value, allowed)
        return value


@cache
def _adapter(kind: type) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def today() -> dt.date:
    """Today's UTC date, the date rules about "not in the future" compare with."""
    return dt.datetime.now(dt.UTC).date()


def checked(kind: type[T], given: Mapping[str, Any], where: str, *, config: bool = False) -> T:
    """``given`` checked against the args type ``kind``: defaults filled in, enums as enums, every rule run.

    Raises :class:`InvalidInputError` for the first problem, naming the key as the caller wrote it:
    ``<where>.<python_key>`` for a component (``where`` is its name), or ``<where>:<camelCaseKey>`` with
    ``config=True`` (``where`` is the config namespace).
    """
    if not isinstance(given, Mapping):
        names = ", ".join(to_camel(n) if config else n for n in fields(kind))
        raise InvalidInputError(where, given, f"a mapping of {names}")
    token = _WHERE.set(where)
    try:
        value = _adapter(typing.cast(Any, kind)).validate_python(dict(given))
    except ValidationError as exc:
        # Unknown keys first: a misspelt key also shows up as a missing one, and the spelling is the cause.
        first = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        path = _python_path(kind, tuple(first["loc"]))
        value_given = first.get("input") if first["type"] != "missing" else MISSING
        more = f" (and {exc.error_count() - 1} more error(s))" if exc.error_count() > 1 else ""
        raise InvalidInputError(
            _key(where, path, config, kind), value_given, _allowed(kind, path, first, config) + more
        ) from None
    finally:
        _WHERE.reset(token)
    for path, value_given, allowed in _problems(kind, value, (), ChainMap()):
        raise InvalidInputError(_key(where, path, config, kind), value_given, allowed)
    return typing.cast(T, value)


def config_key(path: Path, kind: Any = None) -> str:
    """A path as a stack file writes it: field names camelCased (keys of a map kept as written), list indexes
    as numbers. ``kind`` is the args type the path starts at; without it every name is a field name."""
    parts: list[str] = []
    current: Any = kind
    for part in path:
        current = _strip(current) if current is not None else None
        if isinstance(part, int):
            parts.append(str(part))
            current = _item(current) if current is not None else None
        elif current is None or _is_args(current):
            parts.append(to_camel(part))
            current = fields(current).get(part) if current is not None else None
        else:
            parts.append(part)
            current = _item(current)
    return ".".join(parts)


def _key(where: str, path: Path, config: bool, kind: Any = None) -> str:
    if config:
        return f"{where}:{config_key(path, kind)}"
    return ".".join([where, *(str(p) for p in path)]) if path else where


# --- walking the types --------------------------------------------------------------------------------------


def _strip(annotation: Any) -> Any:
    """The type under ``Annotated``, ``NotRequired``, ``Required`` and ``X | None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated or origin in (typing.NotRequired, typing.Required):
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _is_args(kind: Any) -> bool:
    return (isinstance(kind, type) and typing.is_typeddict(kind)) or hasattr(kind, "__required_keys__")


@cache
def fields(kind: type) -> Mapping[str, Any]:
    """The fields of an args type, by Python name, with their full annotations."""
    return typing.get_type_hints(kind, include_extras=True)


@cache
def lineage(kind: type) -> tuple[type, ...]:
    """An args type and the args types it extends (a ``TypedDict``'s ``__mro__`` does not list them)."""
    bases = [b for b in getattr(kind, "__orig_bases__", ()) if _is_args(b)]
    return (kind, *(k for b in bases for k in lineage(b)))


def _item(kind: Any) -> Any:
    """The element type of ``list[X]`` / ``Sequence[X]`` / ``tuple[X, ...]`` / ``dict[str, X]``, else ``None``."""
    kind = _strip(kind)
    origin = get_origin(kind)
    if origin in (list, tuple, Sequence, typing.Sequence) and get_args(kind):
        return get_args(kind)[0]
    if origin in (dict, Mapping, typing.Mapping) and len(get_args(kind)) == 2:
        return get_args(kind)[1]
    return None


def _python_path(kind: type, loc: tuple[Any, ...]) -> Path:
    """pydantic's location (aliases, list indexes, union tags) as Python field names and indexes."""
    path: list[str | int] = []
    current: Any = kind
    for part in loc:
        current = _strip(current)
        if isinstance(part, int):
            path.append(part)
            current = _item(current)
            continue
        if _is_args(current):
            hints = fields(current)
            name = part if part in hints else next((n for n in hints if to_camel(n) == part), None)
            if name is None:  # an unknown key: keep it as written
                path.append(part)
                current = None
                continue
            path.append(name)
            current = hints[name]
        elif _item(current) is not None:  # a key of a dict[str, X]
            path.append(part)
            current = _item(current)
        else:
            current = None
    return tuple(path)


def _type_at(kind: type, path: Path) -> Any:
    current: Any = kind
    for part in path:
        current = _strip(current)
        current = _item(current) if isinstance(part, int) or not _is_args(current) else fields(current).get(part)
        if current is None:
            return None
    return current


#: Each string pattern a field declares (``Field(pattern=...)``), in words: what a refusal says is allowed.
#: A refusal never shows a regex; tests/test_args_types.py checks that every declared pattern is listed here.
PATTERN_WORDS: Mapping[str, str] = {
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$": (
        "a GUID, e.g. 3b0e6a4c-2f7d-4c1a-9b8e-1d2c3e4f5a60"
    ),
    r"^Standard_[A-Za-z0-9_]+$": "an Azure VM size, e.g. Standard_D4s_v5",
    r"^([01]\d|2[0-3]):[0-5]\d$": "a time of day HH:mm from 00:00 to 23:59, e.g. 02:30",
    r"^[+-](0\d|1[0-4]):[0-5]\d$": "a UTC offset +HH:mm or -HH:mm, e.g. +01:00 or -05:30",
    r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$": (
        "a DNS label: 1 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit"
    ),
    r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$": "an IPv4 address block in CIDR form, e.g. 10.40.0.0/24",
    r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$": (
        "a host name: up to 253 letters, digits, dots and hyphens, starting and ending with a letter or digit"
    ),
    r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$": (
        "a Kubernetes secret name: up to 253 lowercase letters, digits, dots and hyphens, starting and ending "
        "with a letter or digit"
    ),
    r"^[a-zA-Z][a-zA-Z0-9-]{1,15}$": "2 to 16 letters, digits and hyphens, starting with a letter",
    r"^\d{1,3}(\.\d{1,3}){3}$": "an IPv4 address, e.g. 10.0.0.10",
    r"^\d+\.\d+(\.\d+)?$": "a Kubernetes version, e.g. 1.30 or 1.30.4",
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$": "an email address, e.g. ml-platform@example.com",
    r"^\d{4}-(0[1-9]|1[0-2])-01$": "the first day of a month, written YYYY-MM-01",
    r"^[A-Za-z][A-Za-z0-9-]{2,23}$": "3 to 24 letters, digits and hyphens, starting with a letter",
    r"\S": "a non-blank text",
    r"^\d{4}-\d{2}-\d{2}$": "a date written YYYY-MM-DD",
    r"^[A-Za-z0-9]{5,50}$": "5 to 50 letters and digits",
    r"^https://[^\s/]+(/\S*)?$": "an https:// address, e.g. https://pypi.org/simple",
    r"^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$": (
        "3 to 33 letters, digits, underscores and hyphens, starting with a letter or digit"
    ),
    r"^[A-Za-z0-9][A-Za-z0-9_-]{1,32}$": (
        "2 to 33 letters, digits, underscores and hyphens, starting with a letter or digit"
    ),
    r"^azureml://registries/\S+$": "an asset of a registry, written azureml://registries/<registry>/...",
    r"^[A-Za-z0-9_]{1,255}$": "1 to 255 letters, digits and underscores",
    r"^[a-z0-9][a-z0-9-]{0,39}$": "1 to 40 lowercase letters, digits and hyphens, starting with a letter or digit",
    r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$": (
        "3 to 128 letters, digits, underscores and hyphens, starting with a letter or digit"
    ),
    r"^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$": (
        "3 to 24 letters, digits and hyphens, starting with a letter and ending with a letter or digit"
    ),
    r"^[A-Za-z0-9-]{1,127}$": "1 to 127 letters, digits and hyphens",
    r"^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$": (
        "4 to 63 letters, digits and hyphens, starting and ending with a letter or digit"
    ),
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/.+$": (
        "an Azure resource id: /subscriptions/<id>/resourceGroups/<group>/providers/..."
    ),
    r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,52}[A-Za-z0-9_])?$": (
        "1 to 54 letters, digits, underscores, dots and hyphens, starting with a letter or digit and ending "
        "with a letter, digit or underscore"
    ),
    r"^[A-Za-z][A-Za-z0-9-]{2,31}$": "3 to 32 letters, digits and hyphens, starting with a letter",
    r"^(azureml://\S+|/subscriptions/\S+/models/\S+)$": (
        "a model id: azureml://registries/<registry>/models/<name>/versions/<version>, or the Azure resource id "
        "of a workspace model"
    ),
    r"^(azureml:\S+|/subscriptions/\S+)$": "an asset id: azureml:<name>:<version>, or an Azure resource id",
    r"^[^<>%&\\?/]+$": r"text without any of < > % & \ ? /",
    r"^[a-z][a-z0-9]{1,7}$": "2 to 8 lowercase letters and digits, starting with a letter",
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$": (
        "1 to 64 letters, digits, underscores and hyphens, starting with a letter or digit"
    ),
    r"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$": (
        "a fully qualified domain name, e.g. pypi.org, optionally starting with *. for its subdomains"
    ),
    r"^[a-z0-9]{3,24}$": "3 to 24 lowercase letters and digits",
}

#: pydantic's type errors, in words (its own messages name Python types).
TYPE_WORDS: Mapping[str, str] = {
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "typed_dict_type": "a mapping of keys to values",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "string_type": "a text value",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "none_required": "nothing (null)",
}


def pattern_words(pattern: object) -> str:
    """What a declared pattern allows, in words (never the regex)."""
    return PATTERN_WORDS.get(str(pattern), "a value of the form this key documents (see docs/configuration.md)")


def _allowed(kind: type, path: Path, error: Mapping[str, Any], config: bool) -> str:
    """What is allowed at ``path``, in words."""
    reason = error["type"]
    ctx = error.get("ctx") or {}
    if reason == "extra_forbidden":
        owner = _strip(_type_at(kind, path[:-1])) if len(path) > 1 else kind
        if _is_args(owner):
            names = fields(owner)
            return "one of " + ", ".join(to_camel(n) if config else n for n in names)
        return "no other keys"
    target = _strip(_type_at(kind, path))
    if reason in ("enum", "literal_error"):
        if isinstance(target, type) and issubclass(target, Enum):
            return "one of " + ", ".join(str(m.value) for m in target)
        return str(ctx.get("expected", ""))
    if reason == "string_pattern_mismatch":
        return pattern_words(ctx.get("pattern"))
    if reason == "missing":
        return "a value (this key is required)"
    if reason in TYPE_WORDS:
        return TYPE_WORDS[reason]
    if reason == "too_short":
        return (
            f"at least {ctx.get('min_length')} item(s)"
            if "List" in error["msg"]
            else f"at least {ctx.get('min_length')} character(s)"
        )
    if reason == "too_long":
        return (
            f"at most {ctx.get('max_length')} item(s)"
            if "List" in error["msg"]
            else f"at most {ctx.get('max_length')} character(s)"
        )
    if reason in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return _range(kind, path, ctx)
    return str(error["msg"]).removeprefix("Value error, ")


def _range(kind: type, path: Path, ctx: Mapping[str, Any]) -> str:
    low = high = above = below = None
    annotation = _type_at(kind, path)
    annotation = _strip_optional_annotated(annotation)
    while get_origin(annotation) in (Annotated, typing.NotRequired, typing.Required):
        for meta in get_args(annotation)[1:] if get_origin(annotation) is Annotated else ():
            for m in getattr(meta, "metadata", ()):
                low = getattr(m, "ge", low)
                high = getattr(m, "le", high)
                above = getattr(m, "gt", above)
                below = getattr(m, "lt", below)
        annotation = get_args(annotation)[0]
    if above is not None or below is not None:
        # Every bound, whatever order the constraints were declared in: "more than 0 and at most 100".
        bounds = [f"more than {above}"] if above is not None else [f"at least {low}"] if low is not None else []
        bounds += [f"less than {below}"] if below is not None else [f"at most {high}"] if high is not None else []
        return " and ".join(bounds)
    if low is not None and high is not None:
        return f"a number from {low} to {high}"
    if low is not None:
        return f"{low} or more"
    if high is not None:
        return f"at most {high}"
    return "a number in range: " + ", ".join(f"{k} {v}" for k, v in ctx.items())


def _strip_optional_annotated(annotation: Any) -> Any:
    """``NotRequired[Annotated[T, ...] | None]`` -> ``Annotated[T, ...]``, where a range is declared."""
    if get_origin(annotation) in (typing.NotRequired, typing.Required):
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (typing.Union, __import__("types").UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _problems(kind: Any, value: Any, at: Path, scope: ChainMap[str, Any]) -> Iterator[Problem]:
    """Every rule of every args type met while walking ``value`` (of type ``kind``), with absolute paths."""
    if value is None:
        return
    kind = _strip(kind)
    if _is_args(kind) and isinstance(value, Mapping):
        inner = scope.new_child(dict(value))
        for owner in lineage(kind):
            for check in _RULES.get(owner, ()):
                for path, given, allowed in check(value, inner):
                    yield (*at, *path), given, allowed
        for name, annotation in fields(kind).items():
            if name in value:
                yield from _problems(annotation, value[name], (*at, name), inner)
        return
    item = _item(kind)
    if item is None:
        return
    if isinstance(value, Mapping):
        for key, element in value.items():
            yield from _problems(item, element, (*at, key), scope)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for index, element in enumerate(value):
            yield from _problems(item, element, (*at, index), scope)


@cache
def docstrings(kind: type) -> Mapping[str, str]:
    """The docstring under each field of an args type, inherited fields included."""
    found: dict[str, str] = {}
    for owner in reversed(lineage(kind)):
        body = ast.parse(textwrap.dedent(inspect.getsource(owner))).body[0]
        assert isinstance(body, ast.ClassDef)
        for node, after in zip(body.body, body.body[1:], strict=False):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                found[node.target.id] = inspect.cleandoc(after.value.value)
    return found


def default_of(annotation: Any) -> tuple[bool, Any]:
    """Whether a field declares a default, and the default (factories called)."""
    while True:
        origin = get_origin(annotation)
        if origin in (typing.NotRequired, typing.Required):
            annotation = get_args(annotation)[0]
            continue
        if origin is Annotated:
            for meta in get_args(annotation)[1:]:
                factory = getattr(meta, "default_factory", None)
                if factory is not None:
                    return True, factory()
                value = getattr(meta, "default", PydanticUndefined)
                if value is not PydanticUndefined and hasattr(meta, "default_factory"):
                    return True, value
            annotation = get_args(annotation)[0]
            continue
        return False, None
