"""The small machinery every rule of the pack shares.

A rule is data: the catalogue id it enforces, the resource types it judges, an optional pre-condition,
and a check that yields one message per violation. :func:`resource_policy` and :func:`stack_policy` turn a
rule into a CrossGuard policy whose description, enforcement level and severity come from the
catalogue entry, so the pack never restates what the catalogue says.

Properties are read by the camelCase names the engine sends. They arrive as read-only ``Mapping`` /
``Sequence`` proxies (``pulumi_policy/proxy.py``), never as ``dict`` / ``list``: every helper here tests
for the abstract types. Reading a value that is unknown at preview raises ``UnknownValueError``; rules let
it propagate, and the SDK turns it into an advisory "can't run policy during preview" diagnostic, so an
unknown value is never a crash and never a silent pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

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


def get(props: Any, path: str) -> Any:
    """The value at a dotted camelCase path, or :data:`MISSING`; ``UnknownValueError`` when unknown."""
    value: Any = props
    for part in path.split("."):
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
            return MISSING
        if value is None:
            return MISSING
    return value


def number(value: Any) -> Any:
    """Engine numbers arrive as floats (protobuf ``Struct``): ``90.0`` reads as ``90`` in a message."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def items(props: Any, path: str) -> list[Any]:
    """The list at ``path`` (``[]`` when missing)."""
    value = get(props, path)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return []


# --- checks -------------------------------------------------------------------------------------------
# A check takes the resource's properties and the policy's config and yields one message per violation.
Check = Callable[[Props, Config], Iterable[str]]


def equals(path: str, expected: Any, *, missing_fails: bool = True, why: str = "") -> Check:
    """``path`` must equal ``expected``; a missing value fails unless Azure's default is ``expected``."""
    because = f" ({why})" if why else ""

    def check(props: Props, _config: Config) -> Iterator[str]:
        actual = get(props, path)
        if actual is MISSING:
            if missing_fails:
                yield f"{path} is not set; Azure's default is insecure: set it to {expected!r}{because}"
        elif actual != expected:
            yield f"{path} is {number(actual)!r}; it must be {expected!r}{because}"

    return check


def one_of(path: str, allowed: Sequence[Any], *, missing_fails: bool = True, why: str = "") -> Check:
    """``path`` must be one of ``allowed``; a missing value fails unless ``missing_fails=False``."""
    because = f" ({why})" if why else ""
    allowed_text = ", ".join(repr(a) for a in allowed)

    def check(props: Props, _config: Config) -> Iterator[str]:
        actual = get(props, path)
        if actual is MISSING:
            if missing_fails:
                yield f"{path} is not set; it must be one of {allowed_text}{because}"
        elif actual not in allowed:
            yield f"{path} is {number(actual)!r}; it must be one of {allowed_text}{because}"

    return check


def not_equal(path: str, forbidden: Any, *, why: str = "") -> Check:
    """``path`` must not be ``forbidden`` (missing passes: Azure's default is the safe value)."""
    because = f" ({why})" if why else ""

    def check(props: Props, _config: Config) -> Iterator[str]:
        actual = get(props, path)
        if actual is not MISSING and actual == forbidden:
            yield f"{path} is {number(actual)!r}; it must not be{because}"

    return check


def present(path: str, *, why: str = "") -> Check:
    """``path`` must be set (to anything but an empty string, list or map)."""
    because = f" ({why})" if why else ""

    def check(props: Props, _config: Config) -> Iterator[str]:
        actual = get(props, path)
        if actual is MISSING or (isinstance(actual, str | Sequence | Mapping) and len(actual) == 0):
            yield f"{path} is not set{because}"

    return check


def all_of(*checks: Check) -> Check:
    def check(props: Props, config: Config) -> Iterator[str]:
        for c in checks:
            yield from c(props, config)

    return check


Where = Callable[[Props], bool]
#: A stack check yields ``(message, urn)`` per violation.
StackCheck = Callable[["Stack", Config], Iterable[tuple[str, str]]]


def always(_props: Props) -> bool:
    return True


def where_equals(path: str, value: Any) -> Where:
    """A pre-condition: the rule applies only where ``path`` equals ``value`` (e.g. one compute type)."""

    def applies(props: Props) -> bool:
        return bool(get(props, path) == value)

    return applies


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
    description: str
    """What is checked, in one sentence, for the policy reference and ``GetAnalyzerInfo``."""
    where: Where = always
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """JSON schema of each config property, with its default."""
    remediate: Callable[[dict[str, Any], Config], dict[str, Any]] | None = None
    """A safe automatic fix: takes plain props, returns fixed props."""

    @property
    def policy_name(self) -> str:
        return f"{self.control.lower()}-{self.name}"


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
        except UnknownValueError:
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
}
_ARM_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/([^/]+)/providers/.+/([^/]+)$", re.IGNORECASE)


def _literal(props: Props, key: str) -> str:
    """A string input written out in the program ("" when absent or unknown at preview)."""
    try:
        value = get(props, key)
    except UnknownValueError:
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


def resource_policy(rule: ResourceRule) -> ResourceValidationPolicy:
    """A CrossGuard resource policy for ``rule``, described by its catalogue entry."""
    # Tags say, over the protocol (GetAnalyzerInfo), what a policy judges and whether it can fix it.
    extra = [f"resource:{t}" for t in rule.types] + (["remediation"] if rule.remediate else [])
    title, enforcement, severity, tags = _metadata(rule.control, extra)
    types = frozenset(rule.types)

    def applies(args: ResourceValidationArgs) -> bool:
        return type_key(args.resource_type) in types and rule.where(args.props)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not applies(args):
            # Said over the protocol (``not_applicable``), so a report can tell "passed" from "not judged".
            args.not_applicable(f"{type_key(args.resource_type)} is not judged by this policy")
        config = config_with_defaults(rule.config, args.get_config())
        for message in rule.check(args.props, config):
            report(f"[{rule.control}] {message}", None)

    remediate = None
    if rule.remediate is not None:
        fix = rule.remediate

        def remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
            if not applies(args):
                return None
            config = config_with_defaults(rule.config, args.get_config())
            if not any(True for _ in rule.check(args.props, config)):
                return None
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

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        stack = Stack(args.resources)
        config = config_with_defaults(rule.config, args.get_config())
        for message, urn in rule.check(stack, config):
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


def fix(*assignments: tuple[str, Any]) -> Callable[[dict[str, Any], Config], dict[str, Any]]:
    """A remediation that sets each path to its safe value."""

    def remediate(props: dict[str, Any], _config: Config) -> dict[str, Any]:
        for path, value in assignments:
            set_path(props, path, value)
        return props

    return remediate
