"""The catalogue of recommendations: the one place where each control is written down.

Every control has a stable id (``AML-NET-001``), a title, its WAF pillar, where it comes from in the
seed guidance, its severity, its default enforcement level, the Azure Policy built-ins it mirrors and how
the estate implements it. Components cite ids in their defaults, policies are built from entries, and the
documentation is generated from here.

This module is a leaf: it imports only the standard library, so the policy pack can load it from its own
folder (``pulumi preview --policy-pack``) and the library can import it as ``hardened_aml.catalogue``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from aml_catalogue.facts import (
    GEO_ZONE_REDUNDANT_SKUS,
    IDLE_SHUTDOWN_MAX,
    IDLE_SHUTDOWN_MIN,
    IDLE_SHUTDOWN_RANGE_TEXT,
    IMAGE_EPOCH_TAG,
    INTERRUPTIBLE_TAG,
    MANAGED_NETWORK_TAG,
    ZONE_REDUNDANT_SKUS,
    all_ports,
    broad_service_tag,
    parse_duration,
    wildcard_fqdn,
)

__all__ = [
    "ENFORCEMENTS",
    "GEO_ZONE_REDUNDANT_SKUS",
    "IDLE_SHUTDOWN_MAX",
    "IDLE_SHUTDOWN_MIN",
    "IDLE_SHUTDOWN_RANGE_TEXT",
    "IMAGE_EPOCH_TAG",
    "INTERRUPTIBLE_TAG",
    "KINDS",
    "KIND_TITLES",
    "MANAGED_NETWORK_TAG",
    "PILLARS",
    "SEVERITIES",
    "ZONE_REDUNDANT_SKUS",
    "Catalogue",
    "CatalogueError",
    "Control",
    "Evidence",
    "Source",
    "all_ports",
    "broad_service_tag",
    "control",
    "load",
    "parse",
    "parse_duration",
    "wildcard_fqdn",
]

Pillar = Literal["reliability", "security", "cost", "operations", "performance"]
Severity = Literal["critical", "high", "medium", "low"]
Enforcement = Literal["mandatory", "advisory"]
Kind = Literal["policy", "assignment", "manual"]

PILLARS: tuple[Pillar, ...] = ("reliability", "security", "cost", "operations", "performance")
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low")
ENFORCEMENTS: tuple[Enforcement, ...] = ("mandatory", "advisory")
#: (a) a component sets it and a policy flags its absence; (b) the estate assigns the Azure Policy
#: built-in; (c) outside infrastructure-as-code, with the reason and the support the estate gives.
KINDS: tuple[Kind, ...] = ("policy", "assignment", "manual")
KIND_TITLES: Mapping[Kind, str] = {
    "policy": "component default + policy",
    "assignment": "Azure Policy assignment",
    "manual": "outside infrastructure-as-code",
}

ID_PATTERN = re.compile(r"^AML-(NET|IAM|ENC|CMP|INF|AKS|MON|REL|DAT|GOV|COST|OPS)-[0-9]{3}$")
GUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TYPE_PATTERN = re.compile(r"^azure-native:[a-z0-9]+:[A-Z][A-Za-z0-9]+$")
CONTROLS_FILE = Path(__file__).with_name("controls.toml")


class CatalogueError(ValueError):
    """The catalogue file breaks its schema; the message names the entry and the field."""


@dataclass(frozen=True)
class Source:
    """Where a control comes from: a seed document and the section and row or item in it."""

    seed: str
    section: str
    item: str


@dataclass(frozen=True)
class Evidence:
    """What shows a control is implemented, in a form a test checks against the plans and the pack.

    Exactly one of: ``resource`` (a type token's ``module:Type``, e.g. ``storage:BlobContainer``; with ``path``,
    a dotted camelCase input path that must be set, lists searched element by element; with ``equals``, the
    value it must have), ``policy`` (a policy name of the pack), ``builtin`` (a built-in definition GUID that a
    plan assigns) or ``control`` (another control whose own evidence carries this claim).
    """

    resource: str = ""
    path: str = ""
    equals: Any = None
    policy: str = ""
    builtin: str = ""
    control: str = ""

    def describe(self) -> str:
        if self.resource:
            at = f".{self.path}" if self.path else ""
            return f"{self.resource}{at}" + (f" = {self.equals!r}" if self.equals is not None else "")
        return self.policy or self.builtin or self.control


@dataclass(frozen=True)
class Control:
    """One recommendation of the catalogue."""

    id: str
    title: str
    pillar: Pillar
    severity: Severity
    enforcement: Enforcement
    kind: Kind
    implementation: str
    sources: tuple[Source, ...]
    resources: tuple[str, ...] = ()
    builtin: tuple[str, ...] = ()
    advisor: str = ""
    reason: str = ""
    evidence: tuple[Evidence, ...] = ()
    """What in the plans or the pack shows the implementation (checked by ``tests/test_evidence.py``)."""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    """The control's thresholds and allow-lists (e.g. ``allowedVmSizes``): the pack's config defaults and the
    components' defaults both read them here, so the two never disagree."""

    @property
    def slug(self) -> str:
        """The id as it starts policy names: ``aml-net-001``."""
        return self.id.lower()


class Catalogue:
    """All controls, in file order, with lookup by id."""

    def __init__(self, controls: tuple[Control, ...]) -> None:
        self.controls = controls
        self._by_id = {c.id: c for c in controls}

    def __iter__(self) -> Iterator[Control]:
        return iter(self.controls)

    def __len__(self) -> int:
        return len(self.controls)

    def __contains__(self, control_id: object) -> bool:
        return control_id in self._by_id

    def __getitem__(self, control_id: str) -> Control:
        try:
            return self._by_id[control_id]
        except KeyError:
            raise KeyError(f"control {control_id!r} is not in the catalogue ({CONTROLS_FILE.name})") from None

    def get(self, control_id: str) -> Control | None:
        return self._by_id.get(control_id)

    def of_kind(self, kind: Kind) -> tuple[Control, ...]:
        return tuple(c for c in self.controls if c.kind == kind)


_FIELDS = {
    "id",
    "title",
    "pillar",
    "severity",
    "enforcement",
    "kind",
    "implementation",
    "sources",
    "resources",
    "builtin",
    "advisor",
    "reason",
    "defaults",
    "evidence",
}
_EVIDENCE_FIELDS = {"resource", "path", "equals", "policy", "builtin", "control"}
_MODULE_TYPE = re.compile(r"^[a-z0-9]+:[A-Z][A-Za-z0-9]+$")


def _evidence(where: str, value: object) -> tuple[Evidence, ...]:
    if not isinstance(value, list) or not value:
        raise CatalogueError(f"{where}: evidence must be a non-empty list of {{resource|policy|builtin|control}}")
    found = []
    for i, e in enumerate(value):
        at = f"{where}: evidence[{i}]"
        if not isinstance(e, dict) or set(e) - _EVIDENCE_FIELDS:
            raise CatalogueError(f"{at} must be a table with fields among {', '.join(sorted(_EVIDENCE_FIELDS))}")
        kinds = [k for k in ("resource", "policy", "builtin", "control") if k in e]
        if len(kinds) != 1:
            raise CatalogueError(f"{at} names exactly one of resource, policy, builtin, control; got {kinds}")
        if ("path" in e or "equals" in e) and "resource" not in e:
            raise CatalogueError(f"{at}: path and equals go with resource")
        if "equals" in e and "path" not in e:
            raise CatalogueError(f"{at}: equals needs a path")
        if "resource" in e and not (isinstance(e["resource"], str) and _MODULE_TYPE.match(e["resource"])):
            raise CatalogueError(f"{at}: resource must be module:Type, e.g. storage:BlobContainer")
        if "builtin" in e and not (isinstance(e["builtin"], str) and GUID_PATTERN.match(e["builtin"])):
            raise CatalogueError(f"{at}: builtin must be a definition GUID")
        if "control" in e and not (isinstance(e["control"], str) and ID_PATTERN.match(e["control"])):
            raise CatalogueError(f"{at}: control must be a control id")
        found.append(Evidence(**e))
    return tuple(found)


def _choice(where: str, key: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise CatalogueError(f"{where}: {key}={value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _text(where: str, key: str, value: object, *, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise CatalogueError(f"{where}: {key} must be a non-empty string, got {value!r}")
    return value.strip()


def _strings(where: str, key: str, value: object, pattern: re.Pattern[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and pattern.match(v) for v in value):
        raise CatalogueError(f"{where}: {key} must be a list of strings matching {pattern.pattern}, got {value!r}")
    return tuple(value)


def _defaults(where: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise CatalogueError(f"{where}: defaults must be a table of named values, got {value!r}")
    return MappingProxyType(dict(value))


def _parse(raw: Mapping[str, Any], position: int) -> Control:
    where = f"control #{position} ({raw.get('id', '?')})"
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise CatalogueError(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_FIELDS))}")
    control_id = _text(where, "id", raw.get("id"))
    if not ID_PATTERN.match(control_id):
        raise CatalogueError(f"{where}: id must match {ID_PATTERN.pattern}")
    kind = cast(Kind, _choice(where, "kind", raw.get("kind"), KINDS))
    sources_raw = raw.get("sources")
    if not isinstance(sources_raw, list) or not sources_raw:
        raise CatalogueError(f"{where}: sources must be a non-empty list of {{seed, section, item}}")
    sources = tuple(
        Source(
            seed=_text(where, "sources.seed", s.get("seed")),
            section=_text(where, "sources.section", s.get("section")),
            item=_text(where, "sources.item", s.get("item")),
        )
        for s in sources_raw
    )
    resources = _strings(where, "resources", raw.get("resources", []), TYPE_PATTERN)
    reason = _text(where, "reason", raw.get("reason", ""), required=False)
    if kind == "policy" and not resources:
        raise CatalogueError(f"{where}: a kind='policy' control names the resource types its policy judges")
    if kind != "policy" and resources:
        raise CatalogueError(f"{where}: only kind='policy' controls name resources")
    if kind == "manual" and not reason:
        raise CatalogueError(f"{where}: a kind='manual' control gives the reason it is outside IaC")
    if kind == "assignment" and not raw.get("builtin"):
        raise CatalogueError(f"{where}: a kind='assignment' control names the built-in definition it assigns")
    return Control(
        id=control_id,
        title=_text(where, "title", raw.get("title")),
        pillar=cast(Pillar, _choice(where, "pillar", raw.get("pillar"), PILLARS)),
        severity=cast(Severity, _choice(where, "severity", raw.get("severity"), SEVERITIES)),
        enforcement=cast(Enforcement, _choice(where, "enforcement", raw.get("enforcement"), ENFORCEMENTS)),
        kind=kind,
        implementation=_text(where, "implementation", raw.get("implementation")),
        sources=sources,
        resources=resources,
        builtin=_strings(where, "builtin", raw.get("builtin", []), GUID_PATTERN),
        advisor=_text(where, "advisor", raw.get("advisor", ""), required=False),
        reason=reason,
        defaults=_defaults(where, raw.get("defaults", {})),
        evidence=_evidence(where, raw["evidence"]) if "evidence" in raw else (),
    )


def parse(text: str) -> Catalogue:
    """Parse and check catalogue TOML text; raise :class:`CatalogueError` naming the first fault."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{CONTROLS_FILE.name}: {exc}") from None
    entries = data.get("control")
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(f"{CONTROLS_FILE.name}: no [[control]] entries")
    controls = tuple(_parse(raw, i) for i, raw in enumerate(entries, start=1))
    seen: set[str] = set()
    for c in controls:
        if c.id in seen:
            raise CatalogueError(f"{CONTROLS_FILE.name}: id {c.id} appears twice")
        seen.add(c.id)
    return Catalogue(controls)


@cache
def load() -> Catalogue:
    """The catalogue shipped beside this module (parsed once per process)."""
    return parse(CONTROLS_FILE.read_text(encoding="utf-8"))


def control(control_id: str) -> Control:
    """The control with this id; a ``KeyError`` naming the id when it is not in the catalogue."""
    return load()[control_id]
