"""The validated configuration of one stack of this repository's estate.

``pulumi config`` values arrive as strings (structured values as JSON); :func:`from_pulumi_config` reads
every key of the project's namespace into :class:`StackSettings`, which refuses unknown keys, wrong types
and invalid values. Each error is one line naming the key, the value given and what is allowed.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, get_args

import pulumi
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from hardened_aml.errors import MISSING, InvalidInputError
from hardened_aml.naming import WORKLOAD_PATTERN
from hardened_aml.regions import REGIONS


class Environment(StrEnum):
    """Exploration and production workspaces are never shared (control AML-REL-003)."""

    EXPLORATION = "exploration"
    PRODUCTION = "production"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


TagValue = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^<>%&\\?/]+$")]


class CostTags(_Strict):
    """Cost-allocation tags applied to every resource, with ``environment`` added from the stack."""

    team: TagValue
    """The owning team."""
    cost_centre: TagValue
    """The cost centre that pays for the estate."""
    extra: dict[str, TagValue] = Field(default_factory=dict)
    """Further tags, e.g. ``dataClassification``."""


class ExistingVnet(_Strict):
    """A virtual network that already exists (hub-and-spoke): the estate adds its subnets to it."""

    resource_group_name: Annotated[str, Field(min_length=1, max_length=90)]
    """The resource group of the existing virtual network."""
    name: Annotated[str, Field(min_length=2, max_length=64)]
    """The name of the existing virtual network."""


Cidr = Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")]
ResourceId = Annotated[str, Field(pattern=r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/.+$")]
ObjectId = Annotated[
    str, Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
]


class NetworkSettings(_Strict):
    """The estate's network: a new VNet (default) or an existing one, and its private DNS zones."""

    existing_vnet: ExistingVnet | None = None
    """Use this VNet instead of creating one."""
    address_space: Cidr = "10.40.0.0/22"
    """Address space of a new VNet (ignored with ``existingVnet``)."""
    private_endpoint_subnet_prefix: Cidr = "10.40.0.0/24"
    """Prefix of the private-endpoint subnet."""
    aks_subnet_prefix: Cidr = "10.40.1.0/24"
    """Prefix of the AKS subnet."""
    compute_subnet_prefix: Cidr = "10.40.2.0/24"
    """Prefix of the compute subnet, created only when the managed VNet is off."""
    private_dns_zone_ids: dict[str, ResourceId] = Field(default_factory=dict)
    """Existing private DNS zones by zone name (hub-and-spoke); zones not listed are created here."""

    @field_validator("address_space", "private_endpoint_subnet_prefix", "aks_subnet_prefix", "compute_subnet_prefix")
    @classmethod
    def _cidr(cls, value: str, info: ValidationInfo) -> str:
        try:
            block = ipaddress.ip_network(value)
        except ValueError:
            raise ValueError("an IPv4 CIDR block with no host bits set, such as 10.40.0.0/24") from None
        space = info.data.get("address_space")
        if info.field_name != "address_space" and space and info.data.get("existing_vnet") is None:
            if not block.subnet_of(ipaddress.ip_network(space)):  # type: ignore[arg-type]
                raise ValueError(f"a block inside addressSpace {space}")
            for other in ("private_endpoint_subnet_prefix", "aks_subnet_prefix"):
                taken = info.data.get(other)
                if other != info.field_name and taken and block.overlaps(ipaddress.ip_network(taken)):
                    raise ValueError(f"a block that does not overlap {taken}")
        return value


class AccessSettings(_Strict):
    """Entra ID groups given least-privilege roles on the workspace (control AML-IAM-003)."""

    data_scientist_group_ids: list[ObjectId] = Field(default_factory=list)
    """Object ids of groups given "AzureML Data Scientist"."""
    compute_operator_group_ids: list[ObjectId] = Field(default_factory=list)
    """Object ids of groups given "AzureML Compute Operator"."""
    reader_group_ids: list[ObjectId] = Field(default_factory=list)
    """Object ids of groups given "Reader"."""


class BudgetSettings(_Strict):
    """A monthly consumption budget with alerts on the estate's resource group (control AML-COST-001)."""

    amount: Annotated[float, Field(gt=0)]
    """Monthly amount in the billing currency."""
    contact_emails: Annotated[list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]], Field(min_length=1)]
    """Who gets the alerts."""
    start_date: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])-01$")]
    """First day of the first budget month, ``YYYY-MM-01``."""


class StackSettings(_Strict):
    """Everything a stack file of this repository may set under the ``hardened-aml:`` namespace."""

    environment: Environment
    """``exploration`` or ``production``: production adds delete locks, GZRS storage and stricter pack
    config."""
    workload: Annotated[str, Field(pattern=WORKLOAD_PATTERN.pattern)]
    """Short workload name used in every resource name: 2-8 lowercase letters and digits, a letter first."""
    location: str
    """The Azure region, e.g. ``westeurope``."""
    tags: CostTags
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    """The estate's network (see :class:`NetworkSettings`)."""
    access: AccessSettings = Field(default_factory=AccessSettings)
    """Entra ID groups and their workspace roles (see :class:`AccessSettings`)."""
    budget: BudgetSettings | None = None
    """The estate's budget (see :class:`BudgetSettings`); none when the subscription has its own."""

    @field_validator("location")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value not in REGIONS:
            raise ValueError("unknown Azure region")
        return value

    @property
    def production(self) -> bool:
        return self.environment is Environment.PRODUCTION


def _allowed(model: type[BaseModel], loc: tuple[Any, ...], error: Mapping[str, Any]) -> str:
    """What is allowed at ``loc``, in words, from the model and the pydantic error."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        target: type[BaseModel] | None = model
        for part in loc[:-1]:
            if target is None:
                break
            fields = target.model_fields
            field = fields.get(part) or next((f for f in fields.values() if f.alias == part), None)
            target = _model_in(field.annotation) if field else None
        if target is not None:
            return "one of " + ", ".join(f.alias or n for n, f in target.model_fields.items())
        return "no other keys"
    if kind == "enum":
        return str(ctx.get("expected", ""))
    if kind == "string_pattern_mismatch":
        return f"a string matching {ctx.get('pattern')}"
    if kind == "missing":
        return "a value (this key is required)"
    if error["msg"].endswith("unknown Azure region"):
        return "one of " + ", ".join(sorted(REGIONS))
    return str(error["msg"]).removeprefix("Value error, ")


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class in an annotation such as ``Model`` or ``Model | None``."""
    candidates = (annotation, *get_args(annotation))
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


def parse(values: Mapping[str, Any], namespace: str = "hardened-aml") -> StackSettings:
    """Validate raw config values (already JSON-decoded); raise one :class:`InvalidInputError` per stack."""
    try:
        return StackSettings.model_validate(values)
    except ValidationError as exc:
        # Unknown keys first: a misspelt key also shows up as a missing one, and the spelling is the cause.
        first = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        loc = tuple(first["loc"])
        key = f"{namespace}:" + ".".join(str(p) for p in loc)
        given = first.get("input") if first["type"] != "missing" else MISSING
        more = f" (and {exc.error_count() - 1} more error(s))" if exc.error_count() > 1 else ""
        raise InvalidInputError(key, given, _allowed(StackSettings, loc, first) + more) from None


def from_pulumi_config(namespace: str | None = None) -> StackSettings:
    """Read every ``namespace:*`` config key of the running stack into :class:`StackSettings`."""
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
