"""The small machinery every rule of the pack shares.

A rule is data: the catalogue id it enforces, the resource types it judges, an optional pre-condition,
and a check that yields one message per violation. :func:`resource_policy` and :func:`stack_policy` turn a
rule into a CrossGuard policy whose description, enforcement level and severity come from the
catalogue entry, so the pack never restates what the catalogue says.

A rule names each property path once: the check combinators (:func:`equals`, :func:`one_of`,
:func:`not_equal`, :func:`present`, :func:`all_of`, :func:`depending_on`) return a :class:`DescribedCheck` that
also says what it requires (the rule's description, unless the rule writes its own) and which value fixes the
path (the remediation, for ``remediate=SET_REQUIRED``).

Properties are read by the camelCase names the engine sends. They arrive as read-only ``Mapping`` /
``Sequence`` proxies (``pulumi_policy/proxy.py``), never as ``dict`` / ``list``: every helper here tests
for the abstract types. Reading a value that is unknown at preview raises ``UnknownValueError``; rules let
it propagate, and the SDK turns it into an advisory "can't run policy during preview" diagnostic, so an
unknown value is never a crash and never a silent pass.

Values are judged as Azure reads them, by one normalisation that every comparison goes through
(:func:`same`, :func:`as_bool`, :func:`as_number`, :func:`tag`), never rule by rule:

- enum strings compare ignoring case: Azure's resource providers read ``x-ms-enum`` values with
  ``modelAsString`` (and the free strings this pack compares) case-insensitively, so ``"lowpriority"`` is
  ``LowPriority`` and ``"identity"`` is ``Identity``. Exceptions are compared exactly, by the rule that reads
  them: Kubernetes taint effects and node labels (Kubernetes reads them case-sensitively; ``aks.py``);
- a boolean may arrive as ``"true"`` / ``"false"`` in any case (ARM accepts both spellings), and a number as
  its string form (``"7"``);
- tag names match ignoring case, as Azure treats them ("Use tags to organize your Azure resources":
  tag names are case-insensitive, values case-sensitive); the ``environment`` tag's value is compared ignoring
  case too, so ``Production`` is production.

A value of the wrong shape (a list or string where an object belongs, a map where a boolean belongs) raises
:class:`Unreadable`; :func:`resource_policy` and :func:`stack_policy` report it as a violation of the policy
("unreadable: expected an object"), never as a crash and never as a pass. Any other exception a rule raises is
reported the same way ("could not be judged"): the pack fails closed.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeVar, cast

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

import aml_catalogue

Props = Mapping[str, Any]
T = TypeVar("T")
Config = Mapping[str, Any]


class _Missing:
    """The value of a property the program did not set."""

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final[Any] = _Missing()

_VERSIONED_MODULE = re.compile(r"/v[0-9a-z]+$")


def type_key(token: str) -> str:
    """``azure-native:machinelearningservices/v20231001:Workspace`` -> ``machinelearningservices:Workspace``.

    Explicit API-version modules carry their own tokens (PITFALLS: pulumi-azure-native #3225); a rule that
    matched only the unversioned token would miss them.
    """
    provider, _, rest = token.partition(":")
    if provider != "azure-native":
        return token
    module, _, kind = rest.partition(":")
    return f"{_VERSIONED_MODULE.sub('', module)}:{kind}"


def shape(value: Any) -> str:
    """What a value is, in words, for an "unreadable" message."""
    if value is MISSING:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {show(value)}"
    if isinstance(value, str):
        return f"the string {value[:60]!r}"
    if isinstance(value, int | float):
        return f"the number {number(value)!r}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence):
        return "a list"
    return type(value).__name__


class Unreadable(Exception):
    """A value of the wrong shape where a rule reads: reported as a violation of that rule, never a crash."""

    def __init__(self, path: str, value: Any, expected: str) -> None:
        self.message = f"{path} is unreadable: expected {expected}, got {shape(value)}"
        super().__init__(self.message)


def get(props: Any, path: str) -> Any:
    """The value at a dotted camelCase path, or :data:`MISSING`; ``UnknownValueError`` when unknown;
    :class:`Unreadable` when a value on the way is not an object (or a list, for a numeric part)."""
    value: Any = props
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(value, Mapping):
            if part not in value:
                return MISSING
            value = value[part]
        elif isinstance(value, Sequence) and not isinstance(value, str) and part.isdigit():
            index = int(part)
            if index >= len(value):
                return MISSING
            value = value[index]
        else:
            raise Unreadable(".".join(parts[:i]) or "properties", value, "an object")
        if value is None:
            return MISSING
    return value


def mapping(props: Any, path: str) -> Mapping[str, Any] | None:
    """The object at ``path`` (``None`` when missing); :class:`Unreadable` when it is not an object."""
    value = get(props, path)
    if value is MISSING:
        return None
    if not isinstance(value, Mapping):
        raise Unreadable(path, value, "an object")
    return value


# --- the one normalisation: values as Azure reads them ------------------------------------------------
_TRUE_FALSE: Final = {"true": True, "false": False}


def as_bool(value: Any) -> bool | None:
    """A boolean as ARM reads one: ``true`` / ``false`` or their strings in any case; ``None`` otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _TRUE_FALSE.get(value.strip().lower())
    return None


def is_true(value: Any) -> bool:
    """``value`` reads as true (``True``, ``"true"``, ``"True"``...)."""
    return as_bool(value) is True


def is_false(value: Any) -> bool:
    """``value`` reads as false (``False``, ``"false"``, ``"FALSE"``...)."""
    return as_bool(value) is False


def as_number(value: Any) -> float | None:
    """A finite number, or its string form (``"7"``, ``"1.5"``), as ARM reads one; ``None`` otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number_ = float(value)
    elif isinstance(value, str):
        try:
            number_ = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number_ if math.isfinite(number_) else None


def canonical(value: Any, like: Any, path: str = "value", *, case_sensitive: bool = False) -> Any:
    """``value`` read as a value of ``like``'s kind, in a form to compare: booleans from their strings, numbers
    from theirs, strings case-folded (unless ``case_sensitive``). :class:`Unreadable` when ``value`` cannot be
    read as that kind."""
    if isinstance(like, bool):
        flag = as_bool(value)
        if flag is None:
            raise Unreadable(path, value, "a boolean")
        return flag
    if isinstance(like, int | float):
        found = as_number(value)
        if found is None:
            raise Unreadable(path, value, "a number")
        return found
    if isinstance(like, str):
        if not isinstance(value, str):
            raise Unreadable(path, value, "a string")
        return value if case_sensitive else value.casefold()
    return value


def same(value: Any, expected: Any, path: str = "value", *, case_sensitive: bool = False) -> bool:
    """Whether ``value`` is ``expected`` as Azure reads it (see the module's docstring); :class:`Unreadable`
    when it cannot be read as a value of ``expected``'s kind. :data:`MISSING` is never the same."""
    if value is MISSING:
        return False
    return bool(
        canonical(value, expected, path, case_sensitive=case_sensitive)
        == canonical(expected, expected, path, case_sensitive=case_sensitive)
    )


def same_any(value: Any, allowed: Iterable[Any], path: str = "value") -> bool:
    """Whether ``value`` is one of ``allowed`` as Azure reads it (:func:`same`)."""
    return any(same(value, a, path) for a in allowed)


def tag(props: Any, name: str) -> Any:
    """A tag's value, its name matched ignoring case as Azure matches tag names; :data:`MISSING` when absent.
    :class:`Unreadable` when ``tags`` is not an object."""
    tags = mapping(props, "tags")
    if tags is None:
        return MISSING
    if name in tags:
        return MISSING if tags[name] is None else tags[name]
    for key in tags:
        if isinstance(key, str) and key.lower() == name.lower():
            return MISSING if tags[key] is None else tags[key]
    return MISSING


def environment(props: Any) -> str | None:
    """The ``environment`` tag, lower-cased (``Production`` is production); ``None`` when absent or not a string."""
    value = tag(props, "environment")
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def in_production(props: Any) -> bool:
    return environment(props) == "production"


def number(value: Any) -> Any:
    """Engine numbers arrive as floats (protobuf ``Struct``): ``90.0`` reads as ``90`` in a message."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def items(props: Any, path: str) -> list[Any]:
    """The list at ``path`` (``[]`` when missing); :class:`Unreadable` when it is not a list."""
    value = get(props, path)
    if value is MISSING:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    raise Unreadable(path, value, "a list")


# --- checks -------------------------------------------------------------------------------------------
# A check takes the resource's properties and the policy's config and yields one message per violation.
Check = Callable[[Props, Config], Iterable[str]]
#: A remediation takes plain props and the policy's config and returns the fixed props.
Remediate = Callable[[dict[str, Any], Config], dict[str, Any]]


def show(value: Any) -> str:
    """A value as a description writes it: ``true`` / ``false`` as in JSON, strings quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(number(value))


def _choices(values: Sequence[Any]) -> str:
    shown = [show(v) for v in values]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def _because(why: str) -> str:
    return f" ({why})" if why else ""


def _note(why: str, missing_fails: bool, default: Any, *more: str) -> str:
    """A description's parenthesis: why, and what a missing value means (with Azure's default when known)."""
    missing = "missing fails" if missing_fails else "missing passes"
    if default is not MISSING:
        missing += f": Azure's default is {show(default)}"
    return f" ({'; '.join(part for part in (why, *more, missing) if part)})"


def _default_text(default: Any) -> str:
    return "Azure's default is insecure" if default is MISSING else f"Azure's default is {default!r}"


class DescribedCheck(ABC):
    """A check that also says what it requires, in words (the policy's description), and which
    ``(path, value)`` assignments fix a resource it fails (the remediation, when the rule asks for one)."""

    @abstractmethod
    def __call__(self, props: Props, config: Config) -> Iterator[str]: ...

    @abstractmethod
    def describe(self) -> str | None:
        """What the check requires, without the closing full stop; ``None`` when a part cannot say."""

    def fixes(self, props: Props) -> Iterator[tuple[str, Any]]:
        """The ``(path, safe value)`` assignments that fix ``props``: none unless the check knows one."""
        return iter(())

    @property
    def fixable(self) -> bool:
        return False


def describe(check: Check) -> str | None:
    """What ``check`` requires, in words, if it can say (a :class:`DescribedCheck`)."""
    return check.describe() if isinstance(check, DescribedCheck) else None


@dataclass(frozen=True)
class _Equals(DescribedCheck):
    path: str
    expected: Any
    missing_fails: bool
    why: str
    default: Any

    def __call__(self, props: Props, _config: Config) -> Iterator[str]:
        actual = get(props, self.path)
        because = _because(self.why)
        if actual is MISSING:
            if self.missing_fails:
                yield f"{self.path} is not set; {_default_text(self.default)}: set it to {self.expected!r}{because}"
        elif not same(actual, self.expected, self.path):
            yield f"{self.path} is {number(actual)!r}; it must be {self.expected!r}{because}"

    def describe(self) -> str:
        return f"{self.path} is {show(self.expected)}{_note(self.why, self.missing_fails, self.default)}"

    def fixes(self, props: Props) -> Iterator[tuple[str, Any]]:
        yield self.path, self.expected

    @property
    def fixable(self) -> bool:
        return True


def equals(
    path: str,
    expected: Any,
    *,
    missing_fails: bool | None = None,
    why: str = "",
    default: Any = MISSING,
) -> DescribedCheck:
    """``path`` must equal ``expected`` as Azure reads it (:func:`same`); remediation sets it to ``expected``.

    ``default`` is Azure's value when the program sets none (messages and the description name it); a missing
    value fails unless ``default`` is ``expected`` (or ``missing_fails=False``).
    """
    if missing_fails is None:
        missing_fails = default is MISSING or default != expected
    return _Equals(path, expected, missing_fails, why, default)


@dataclass(frozen=True)
class _OneOf(DescribedCheck):
    path: str
    allowed: tuple[Any, ...]
    missing_fails: bool
    why: str
    default: Any

    def __call__(self, props: Props, _config: Config) -> Iterator[str]:
        actual = get(props, self.path)
        allowed = ", ".join(repr(a) for a in self.allowed)
        because = _because(self.why)
        if actual is MISSING:
            if self.missing_fails:
                default = "" if self.default is MISSING else f" (Azure's default is {self.default!r})"
                yield f"{self.path} is not set{default}; it must be one of {allowed}{because}"
        elif not same_any(actual, self.allowed, self.path):
            yield f"{self.path} is {number(actual)!r}; it must be one of {allowed}{because}"

    def describe(self) -> str:
        return f"{self.path} is {_choices(self.allowed)}{_note(self.why, self.missing_fails, self.default)}"

    def fixes(self, props: Props) -> Iterator[tuple[str, Any]]:
        yield self.path, self.allowed[0]

    @property
    def fixable(self) -> bool:
        return True


def one_of(
    path: str, allowed: Sequence[Any], *, missing_fails: bool | None = None, why: str = "", default: Any = MISSING
) -> DescribedCheck:
    """``path`` must be one of ``allowed``; remediation sets the first. A missing value fails unless ``default``
    (Azure's value when the program sets none) is allowed, or ``missing_fails=False``."""
    if missing_fails is None:
        missing_fails = default is MISSING or default not in allowed
    return _OneOf(path, tuple(allowed), missing_fails, why, default)


@dataclass(frozen=True)
class _NotEqual(DescribedCheck):
    path: str
    forbidden: Any
    why: str
    default: Any

    def __call__(self, props: Props, _config: Config) -> Iterator[str]:
        actual = get(props, self.path)
        if same(actual, self.forbidden, self.path):
            yield f"{self.path} is {number(actual)!r}; it must not be{_because(self.why)}"

    def describe(self) -> str:
        return f"{self.path} is not {show(self.forbidden)}{_note(self.why, False, self.default)}"

    def fixes(self, props: Props) -> Iterator[tuple[str, Any]]:
        if self.fixable:
            yield self.path, not self.forbidden

    @property
    def fixable(self) -> bool:
        return isinstance(self.forbidden, bool)


def not_equal(path: str, forbidden: Any, *, why: str = "", default: Any = MISSING) -> DescribedCheck:
    """``path`` must not be ``forbidden`` (missing passes: Azure's default is the safe value). A boolean flag is
    remediated by setting its opposite."""
    return _NotEqual(path, forbidden, why, default)


@dataclass(frozen=True)
class _Present(DescribedCheck):
    path: str
    why: str

    def __call__(self, props: Props, _config: Config) -> Iterator[str]:
        actual = get(props, self.path)
        if actual is MISSING or (isinstance(actual, str | Sequence | Mapping) and len(actual) == 0):
            yield f"{self.path} is not set{_because(self.why)}"

    def describe(self) -> str:
        return f"{self.path} is set{_because(self.why)}"


def present(path: str, *, why: str = "") -> DescribedCheck:
    """``path`` must be set (to anything but an empty string, list or map); there is no value to remediate with."""
    return _Present(path, why)


@dataclass(frozen=True)
class _Described(DescribedCheck):
    check: Check
    text: str

    def __call__(self, props: Props, config: Config) -> Iterator[str]:
        yield from self.check(props, config)

    def describe(self) -> str:
        return self.text


def described(text: str) -> Callable[[Check], DescribedCheck]:
    """A decorator: a hand-written check that says what it requires (no remediation)."""

    def wrap(check: Check) -> DescribedCheck:
        return _Described(check, text)

    return wrap


@dataclass(frozen=True)
class _AllOf(DescribedCheck):
    checks: tuple[Check, ...]

    def __call__(self, props: Props, config: Config) -> Iterator[str]:
        for check in self.checks:
            yield from check(props, config)

    def describe(self) -> str | None:
        parts = [describe(c) for c in self.checks]
        return None if None in parts else "; ".join(cast(list[str], parts))

    def fixes(self, props: Props) -> Iterator[tuple[str, Any]]:
        for check in self.checks:
            if isinstance(check, DescribedCheck):
                yield from check.fixes(props)

    @property
    def fixable(self) -> bool:
        return any(isinstance(c, DescribedCheck) and c.fixable for c in self.checks)


def all_of(*checks: Check) -> DescribedCheck:
    """Every check; described when each part is, remediated by every part that knows a fix."""
    return _AllOf(checks)


@dataclass(frozen=True)
class _DependingOn(DescribedCheck):
    path: str
    cases: Mapping[Any, Check]

    def _chosen(self, props: Props) -> Check | None:
        actual = get(props, self.path)
        return next((check for value, check in self.cases.items() if same(actual, value, self.path)), None)

    def __call__(self, props: Props, config: Config) -> Iterator[str]:
        chosen = self._chosen(props)
        if chosen is not None:
            yield from chosen(props, config)

    def describe(self) -> str | None:
        parts = {value: describe(check) for value, check in self.cases.items()}
        if None in parts.values():
            return None
        return "; ".join(f"{value}: {text}" for value, text in parts.items())

    def fixes(self, props: Props) -> Iterator[tuple[str, Any]]:
        chosen = self._chosen(props)
        if isinstance(chosen, DescribedCheck):
            yield from chosen.fixes(props)

    @property
    def fixable(self) -> bool:
        return all(isinstance(c, DescribedCheck) and c.fixable for c in self.cases.values())


def depending_on(path: str, cases: Mapping[Any, Check]) -> DescribedCheck:
    """The check of the case that ``path``'s value names (compared as :func:`same` does; none for other values);
    described per case."""
    return _DependingOn(path, cases)


Where = Callable[[Props], bool]
#: A stack check yields ``(message, urn)`` per violation.
StackCheck = Callable[["Stack", Config], Iterable[tuple[str, str]]]


def always(_props: Props) -> bool:
    return True


@dataclass(frozen=True)
class Condition:
    """A described pre-condition: the rule applies only where ``path`` is one of ``values``."""

    path: str
    values: tuple[Any, ...]
    label: str
    """Which resources it selects, in words: the derived description starts with it."""
    known: tuple[Any, ...] = ()
    """When ``path`` is a discriminator: every value it may take. A resource whose value is missing or none of
    these is unreadable (judged, as a violation), never skipped."""

    def __call__(self, props: Props) -> bool:
        actual = get(props, self.path)
        if self.known and not same_any(actual, self.known, self.path):
            expected = f"one of {', '.join(repr(k) for k in self.known)}"
            raise Unreadable(self.path, actual, expected)
        return same_any(actual, self.values, self.path) if actual is not MISSING else False


def where_in(path: str, values: Sequence[Any], label: str = "", *, known: Sequence[Any] = ()) -> Condition:
    """A pre-condition: the rule applies only where ``path`` is one of ``values`` (e.g. some compute types),
    compared as :func:`same` does. ``known``: every value of a discriminator (see :class:`Condition`)."""
    return Condition(path, tuple(values), label or f"where {path} is {_choices(values)}", tuple(known))


def where_equals(path: str, value: Any, label: str = "", *, known: Sequence[Any] = ()) -> Condition:
    """A pre-condition: the rule applies only where ``path`` equals ``value`` (e.g. one compute type)."""
    return where_in(path, (value,), label, known=known)


#: ``ResourceRule(remediate=SET_REQUIRED)``: the remediation sets every path the check names to the value it
#: requires (``equals``' value, ``one_of``'s first, a flag ``not_equal`` forbids turned over).
SET_REQUIRED: Final = "set-required"


# --- rules --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResourceRule:
    """A check of one resource at a time (CrossGuard ``Analyze``)."""

    control: str
    """The catalogue id this rule enforces."""
    name: str
    """What the rule checks, in a few words: the policy is named ``<control slug>-<name>``."""
    types: tuple[str, ...]
    """Type keys without provider or version: ``machinelearningservices:Workspace``."""
    check: Check
    description: str = ""
    """What is checked, in one sentence, for the policy reference and ``GetAnalyzerInfo``; by default what the
    check says it requires (after the label of a :class:`Condition` ``where``)."""
    where: Where = always
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """JSON schema of each config property, with its default."""
    remediate: Remediate | Literal["set-required"] | None = None
    """A safe automatic fix: a function of plain props and config that returns fixed props, or
    :data:`SET_REQUIRED` to set what the check requires."""

    def __post_init__(self) -> None:
        if not self.description:
            text = describe(self.check)
            if text is None:
                raise ValueError(f"{self.policy_name}: give a description, or a check that describes itself")
            if isinstance(self.where, Condition) and not isinstance(self.check, _DependingOn):
                text = f"{self.where.label}: {text}"
            object.__setattr__(self, "description", f"{text}.")
        if self.remediate == SET_REQUIRED and not (isinstance(self.check, DescribedCheck) and self.check.fixable):
            raise ValueError(f"{self.policy_name}: remediate=SET_REQUIRED needs a check that knows a fix")

    @property
    def policy_name(self) -> str:
        return f"{self.control.lower()}-{self.name}"

    @property
    def remediation(self) -> Remediate | None:
        """The remediation as a function (``None`` when the rule has none)."""
        if self.remediate != SET_REQUIRED:
            return self.remediate
        check = cast(DescribedCheck, self.check)

        def set_required(props: dict[str, Any], _config: Config) -> dict[str, Any]:
            for path, value in list(check.fixes(props)):
                set_path(props, path, value)
            return props

        return set_required


@dataclass(frozen=True)
class StackRule:
    """A check that relates resources of the whole stack (CrossGuard ``AnalyzeStack``)."""

    control: str
    name: str
    check: StackCheck
    """Yields ``(message, urn)`` per violation."""
    description: str
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def policy_name(self) -> str:
        return f"{self.control.lower()}-{self.name}"


class Stack:
    """The resources of a stack, grouped by type and related by dependency and ARM id."""

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.resources = list(resources)
        self._by_type: dict[str, list[PolicyResource]] = {}
        for r in self.resources:
            self._by_type.setdefault(type_key(r.resource_type), []).append(r)
        self._by_id: dict[str, PolicyResource] = {}
        for r in self.resources:
            arm_id = _known_string(r.props, "id")
            if arm_id:
                self._by_id[arm_id.lower()] = r

    def of_type(self, *keys: str) -> list[PolicyResource]:
        return [r for k in keys for r in self._by_type.get(k, [])]

    def targets(self, resource: PolicyResource, prop: str, value_path: str = "") -> list[PolicyResource]:
        """The resources that ``resource``'s top-level property ``prop`` refers to.

        A reference is either an engine dependency of that property (an ``Output`` of the other resource
        flowed into it, which is how a program names another resource) or an ARM id string equal to the
        other resource's ``id``. Never by type alone: an unrelated resource of the same type is not a target.
        ``value_path`` (dotted, under ``prop``) narrows the id comparison to one nested field.
        """
        found = list(resource.property_dependencies.get(prop, []))
        texts = self.reference_strings(resource, prop, value_path)
        for text in texts:
            target = self._by_id.get(text.lower())
            if target is not None and target not in found:
                found.append(target)
        if not found:
            # Written out as a literal: an ARM id, or the bare name of a resource the program also declares.
            group = _literal(resource.props, "resourceGroupName")
            for text in texts:
                found += [t for t in self._named(text, group) if t is not resource and t not in found]
        return found

    def named_by(self, text: str) -> list[PolicyResource]:
        """The resources that an ARM id written out as a string names: the one whose ``id`` it is, else those whose
        own name and resource group end it (see :meth:`targets`). A string that is no ARM id names nothing."""
        found = self._by_id.get(text.lower())
        if found is not None:
            return [found]
        return self._named(text, "") if _ARM_ID.match(text) else []

    def _named(self, text: str, group: str) -> list[PolicyResource]:
        """Resources whose own name (and resource group, where both are written out) match ``text``: a bare
        name, or the last segment of an ARM id ``.../resourceGroups/<rg>/providers/.../<name>``."""
        match = _ARM_ID.match(text)
        name, group = (match.group(2), match.group(1)) if match else (text, group)
        if "/" in name or not name:
            return []
        found = []
        for key, name_input in NAME_INPUTS.items():
            for candidate in self._by_type.get(key, []):
                own = _literal(candidate.props, name_input)
                other_group = _literal(candidate.props, "resourceGroupName")
                if own.lower() == name.lower() and (
                    not group or not other_group or group.lower() == other_group.lower()
                ):
                    found.append(candidate)
        return found

    @staticmethod
    def reference_strings(resource: PolicyResource, prop: str, value_path: str = "") -> list[str]:
        """The known strings under a property (ids written out); unknown values are skipped, because the
        engine dependency of the same property already relates the resources at preview."""
        try:
            value = get(resource.props, f"{prop}.{value_path}" if value_path else prop)
        except (UnknownValueError, Unreadable):  # a wrong shape names nothing; the resource's own rules report it
            return []
        return list(_strings(value))

    def referrers(self, target: PolicyResource, keys: Sequence[str], prop: str) -> list[PolicyResource]:
        """Resources of the given types whose property ``prop`` refers to ``target``."""
        return [r for r in self.of_type(*keys) if target in self.targets(r, prop)]


#: The input that holds a resource's own name, per type: how a literal name or ARM id written in another
#: resource's property is matched to a resource of the stack (ARM ids end in ``.../<type>/<name>``).
NAME_INPUTS: Mapping[str, str] = {
    "machinelearningservices:Workspace": "workspaceName",
    "machinelearningservices:Compute": "computeName",
    "machinelearningservices:OnlineEndpoint": "endpointName",
    "machinelearningservices:BatchEndpoint": "endpointName",
    "machinelearningservices:OnlineDeployment": "deploymentName",
    "storage:StorageAccount": "accountName",
    "keyvault:Vault": "vaultName",
    "keyvault:Key": "keyName",
    "containerregistry:Registry": "registryName",
    "containerservice:ManagedCluster": "resourceName",
    "network:PrivateEndpoint": "privateEndpointName",
    "privatedns:PrivateZone": "privateZoneName",
    "operationalinsights:Workspace": "workspaceName",
    "eventgrid:SystemTopic": "systemTopicName",
}
_ARM_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/([^/]+)/providers/.+/([^/]+)$", re.IGNORECASE)


def _literal(props: Props, key: str) -> str:
    """A string input written out in the program ("" when absent or unknown at preview)."""
    try:
        value = get(props, key)
    except (UnknownValueError, Unreadable):
        return ""
    return value if isinstance(value, str) else ""


def _known_string(props: Props, key: str) -> str:
    try:
        value = props.get(key)
    except UnknownValueError:  # an id unknown at preview is simply not an id to match on
        return ""
    return value if isinstance(value, str) else ""


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping | Sequence):
        keys = list(value) if isinstance(value, Mapping) else range(len(value))
        for key in keys:
            try:
                child = value[key]
            except UnknownValueError:  # a nested unknown is skipped too: the property's dependency relates it
                continue
            yield from _strings(child)


# --- turning rules into CrossGuard policies ----------------------------------------------------------
_SEVERITIES: Mapping[str, Severity] = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
}
_ENFORCEMENT: Mapping[str, EnforcementLevel] = {
    "mandatory": EnforcementLevel.MANDATORY,
    "advisory": EnforcementLevel.ADVISORY,
}


def _schema(config: Mapping[str, Mapping[str, Any]]) -> PolicyConfigSchema | None:
    if not config:
        return None
    return PolicyConfigSchema(properties={k: dict(v) for k, v in config.items()})


def config_with_defaults(schema: Mapping[str, Mapping[str, Any]], given: Config) -> dict[str, Any]:
    """The policy config the engine sent, with each property's schema default filled in."""
    merged = {k: v["default"] for k, v in schema.items() if "default" in v}
    merged.update({k: v for k, v in given.items() if k != "enforcementLevel"})
    return merged


def default(control_id: str, key: str) -> Any:
    """A threshold or allow-list of a control, written once in the catalogue (its ``defaults`` table): the
    default of the policy's config, and of the components' arguments."""
    return aml_catalogue.control(control_id).defaults[key]


def _metadata(control_id: str, extra_tags: Iterable[str] = ()) -> tuple[str, EnforcementLevel, Severity, list[str]]:
    entry = aml_catalogue.control(control_id)
    if entry.kind != "policy":
        raise ValueError(f"{control_id} is a kind={entry.kind!r} control; only kind='policy' controls have policies")
    return (
        entry.title,
        _ENFORCEMENT[entry.enforcement],
        _SEVERITIES[entry.severity],
        [f"control:{entry.id}", f"pillar:{entry.pillar}", *extra_tags],
    )


def failing_closed(found: Iterator[T]) -> Iterator[T | str]:
    """What a check yields, then, if it stops on a value of the wrong shape, that value as one more violation;
    any other exception is a violation too ("could not be judged"), so the pack fails closed and never makes
    ``Analyze`` / ``AnalyzeStack`` raise. ``UnknownValueError`` and the SDK's not-applicable signal propagate:
    the SDK reports the first as "can't run policy during preview"."""
    try:
        yield from found
    except UnknownValueError:
        raise
    except Unreadable as error:
        yield error.message
    except Exception as error:  # fail closed on a bug, naming it
        if type(error).__name__ == "_NotApplicableError":
            raise
        yield f"{COULD_NOT_JUDGE}: {type(error).__name__}: {error}"


#: How a violation for an unexpected exception starts (tests assert the pack never needs it).
COULD_NOT_JUDGE: Final = "could not be judged"


def resource_policy(rule: ResourceRule) -> ResourceValidationPolicy:
    """A CrossGuard resource policy for ``rule``, described by its catalogue entry."""
    # Tags say, over the protocol (GetAnalyzerInfo), what a policy judges and whether it can fix it.
    extra = [f"resource:{t}" for t in rule.types] + (["remediation"] if rule.remediate is not None else [])
    title, enforcement, severity, tags = _metadata(rule.control, extra)
    types = frozenset(rule.types)

    def applies(args: ResourceValidationArgs) -> bool:
        return type_key(args.resource_type) in types and rule.where(args.props)

    def judge(args: ResourceValidationArgs) -> Iterator[str]:
        if not applies(args):
            # Said over the protocol (``not_applicable``), so a report can tell "passed" from "not judged".
            args.not_applicable(f"{type_key(args.resource_type)} is not judged by this policy")
        config = config_with_defaults(rule.config, args.get_config())
        yield from rule.check(args.props, config)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        for message in failing_closed(judge(args)):
            report(f"[{rule.control}] {message}", None)

    remediate = None
    fix = rule.remediation
    if fix is not None:

        def remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
            try:
                if not applies(args):
                    return None
                config = config_with_defaults(rule.config, args.get_config())
                if not any(True for _ in rule.check(args.props, config)):
                    return None
            except Unreadable:
                return None  # nothing safe to set on a value of the wrong shape: validate reports it
            return fix(plain(args.props), config)

    return ResourceValidationPolicy(
        name=rule.policy_name,
        description=f"{title}: {rule.description}",
        validate=validate,
        # The SDK accepts a plain (non-awaitable) mapping from a remediation, though its annotation says
        # Awaitable (pulumi_policy/policy.py, Remediate: ``elif result is not None``).
        remediate=cast(Any, remediate),
        enforcement_level=enforcement,
        severity=severity,
        config_schema=_schema(rule.config),
        tags=tags,
        display_name=f"{rule.control} {title}",
    )


def stack_policy(rule: StackRule) -> StackValidationPolicy:
    """A CrossGuard stack policy for ``rule``, described by its catalogue entry."""
    title, enforcement, severity, tags = _metadata(rule.control, ["resource:stack"])

    def judge(args: StackValidationArgs) -> Iterator[tuple[str, str | None]]:
        stack = Stack(args.resources)
        config = config_with_defaults(rule.config, args.get_config())
        yield from rule.check(stack, config)

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        for found in failing_closed(judge(args)):
            message, urn = found if isinstance(found, tuple) else (found, None)
            report(f"[{rule.control}] {message}", urn)

    return StackValidationPolicy(
        name=rule.policy_name,
        description=f"{title}: {rule.description}",
        validate=validate,
        enforcement_level=enforcement,
        severity=severity,
        config_schema=_schema(rule.config),
        tags=tags,
        display_name=f"{rule.control} {title}",
    )


def plain(value: Any) -> Any:
    """A proxy tree as plain dicts and lists (for remediation, which returns new props)."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [plain(v) for v in value]
    return value


def set_path(props: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set a dotted path in plain props, creating maps on the way; returns ``props``."""
    node = props
    *parents, leaf = path.split(".")
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value
    return props
