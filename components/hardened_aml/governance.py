"""Azure Policy assignments of the Machine Learning built-ins the catalogue lists (controls AML-GOV-001..008).

What a job may pull, install, run or deploy is decided at run time, where no resource property reaches: the
estate assigns Azure Policy built-in definitions at its resource group instead (catalogue kind
``assignment``). Every parameter name, type, allowed effect and default below was read from the built-in's
definition file in the Azure/azure-policy repository (``built-in-policies/policyDefinitions/Machine
Learning/<file>.json``); the file is cited beside each built-in. Nothing is assigned whose definition was not
found there.

Optional assignments are skipped, not assigned with empty values, when their input is absent:

* AML-GOV-002 (allowed Python package indexes) when ``allowed_python_indexes`` is not given;
* AML-GOV-003 (code signing) when ``code_signing_public_key`` is not given;
* AML-GOV-004 (approval endpoint) when ``approval_endpoint`` is not given;
* AML-GOV-005 (log filters and datastore) when ``log_filters`` / ``log_datastore`` are not given.

AML-GOV-001 (allowed registries), AML-GOV-006 (model deployments from one registry), AML-GOV-007 and the
AML-GOV-008 baseline are always assigned, and so are the runtime counterparts of three pack controls
(AML-NET-002 approved outbound, AML-CMP-002 idle shutdown, AML-MON-001 resource logs): the pack judges what this
stack plans, and these judge what is created outside it, such as a compute made in the studio by a Compute
Operator. In production every built-in that offers the ``Deny`` effect is assigned with it. Built-in f110a506 is
listed by both AML-GOV-007 and AML-GOV-008: it is assigned once, under AML-GOV-007.
"""

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native.authorization as authorization
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml.catalogue import control
from hardened_aml.errors import MISSING
from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule
from hardened_aml.shared import Environment

#: Built-in definitions live at tenant level, under this prefix.
DEFINITION_PREFIX = "/providers/Microsoft.Authorization/policyDefinitions/"
#: The metadata key that ties an assignment to its control.
CONTROL_METADATA_KEY = "hardened-aml/control"
#: Microsoft.Authorization/policyAssignments: "1-64 resource name, 1-24 resource name at management group
#: scope", characters <>*%&:\?.+/ and control characters refused, no trailing period or space
#: (learn.microsoft.com/azure/templates/microsoft.authorization/policyassignments, "name" row; the same
#: limits are in learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
ASSIGNMENT_NAME_LIMIT = 64
#: Public PyPI's simple index: a production estate allows it only when its allow-list names it (AML-GOV-002).
PUBLIC_PYPI = "https://pypi.org/simple"
#: Microsoft's container registry of curated environments and base images (control AML-OPS-005).
MCR = "mcr.microsoft.com"

_RG_SCOPE = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+$", re.IGNORECASE)
_SUFFIX = r"^[a-z0-9][a-z0-9-]{0,39}$"
# A registry login server, optionally with a repository path: "amlrepo.azurecr.io", "amlrepo.azurecr.io/foo".
_REGISTRY = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:[0-9]+)?(/[a-z0-9._/-]+)?$")
_HTTPS_URL = r"^https://[^\s/]+(/\S*)?$"
_DATASTORE = r"^[A-Za-z0-9_]{1,255}$"
# An Azure ML registry name as it appears in azureml://registries/<name>/...; no glob characters, since the
# built-in builds a `like` pattern from it.
_MODEL_REGISTRY = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,32}$"
_MODEL_ASSET = r"^azureml://registries/\S+$"
_PGP_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"


class AssignmentEnforcement(StrEnum):
    """The assignments' ``enforcementMode``."""

    DEFAULT = "Default"
    """Effects are enforced: jobs and deployments that break a setting are refused. The secure default."""
    DO_NOT_ENFORCE = "DoNotEnforce"
    """Effects are evaluated and reported as compliance only: an opt-out, asked for by name."""


def _login_server(value: Any) -> str | None:
    """A registry login server, optionally with a repository path, or what is allowed instead."""
    if value is None or (isinstance(value, str) and _REGISTRY.match(value)):  # None: Wired checks it too
        return None
    return "lowercase login servers, e.g. crx.azurecr.io or crx.azurecr.io/repo"


def _resource_group(value: Any) -> str | None:
    """A resource group id, or what is allowed instead."""
    if isinstance(value, str) and _RG_SCOPE.match(value):
        return None
    return "a resource group id: /subscriptions/<id>/resourceGroups/<name>"


HttpsUrl = Annotated[str, Field(pattern=_HTTPS_URL)]
"""An ``https://`` URL."""


@args
class GovernanceSettings(TypedDict):
    """What a user chooses about the Azure Policy assignments: a stack's ``governance`` section (controls
    AML-GOV-001..008; always assigned at the estate's resource group)."""

    allowed_python_indexes: NotRequired[Annotated[list[HttpsUrl], Field(min_length=1)] | None]
    """Python package indexes jobs may install from (``https://`` URLs, at least one), the built-in's
    ``allowedPythonPackageChannels``; the built-in takes indexes, not package names. Default: none, and the
    AML-GOV-002 assignment is skipped; an estate in production requires it (name ``https://pypi.org/simple``
    to allow public PyPI) (control AML-GOV-002)."""
    allowed_model_registry: NotRequired[Annotated[str, Field(default="azureml", pattern=_MODEL_REGISTRY)]]
    """The one Azure ML registry (``azureml://registries/<name>``) models may be deployed from, the
    built-in's ``allowedRegistryName``: the definition takes a single name (letters, digits, ``-`` and ``_``;
    no glob characters), not a list. Default: ``azureml`` (Microsoft's model catalog) (control AML-GOV-006)."""
    restricted_models: NotRequired[
        Annotated[list[Annotated[str, Field(pattern=_MODEL_ASSET)]], Field(default_factory=list)]
    ]
    """Model asset ids (``azureml://registries/...``) refused even from the allowed registry, the built-in's
    ``restrictedModels``. Default: none (control AML-GOV-006)."""
    code_signing_public_key: NotRequired[str | None]
    """The PGP public key (ASCII-armoured) training code must be signed with, the built-in's ``signingKey``.
    Line breaks are sent as the literal ``\\r\\n`` the built-in asks for. Default: none, and the AML-GOV-003
    assignment is skipped (control AML-GOV-003)."""
    approval_endpoint: NotRequired[HttpsUrl | None]
    """An ``https://`` endpoint called to approve each job before it runs, the built-in's
    ``approvalEndpoint``. Default: none, and the AML-GOV-004 assignment is skipped (control AML-GOV-004)."""
    log_filters: NotRequired[Annotated[list[str], Field(min_length=1)] | None]
    """Log filter expressions (regular expressions, e.g. ``^prefix1.*$``; at least one), the built-in's
    ``logFilters``; given together with ``log_datastore``. Default: none, and the AML-GOV-005 assignment is
    skipped (control AML-GOV-005)."""
    log_datastore: NotRequired[Annotated[str, Field(pattern=_DATASTORE)] | None]
    """The workspace datastore that receives the full logs (letters, digits and ``_``), the built-in's
    ``datastore``; given together with ``log_filters``. Default: none, and the AML-GOV-005 assignment is
    skipped (control AML-GOV-005)."""
    enforcement: NotRequired[Annotated[AssignmentEnforcement, Field(default=AssignmentEnforcement.DEFAULT)]]
    """Every assignment's ``enforcementMode``: ``Default`` (enforced) or ``DoNotEnforce`` (compliance
    reporting only). Default: ``Default`` (controls AML-GOV-001..008). The audit-only built-ins (AML-GOV-007,
    AML-GOV-008) always use the Audit effect, whatever this says."""


@args
class GovernanceArgs(GovernanceSettings):
    """Inputs of :class:`Governance`: the user's settings, where the assignments go and what they allow."""

    scope: Annotated[Input[str], Wired(_resource_group)]
    """The resource group id the built-ins are assigned at (``/subscriptions/<sub>/resourceGroups/<rg>``).
    Required (controls AML-GOV-001..008)."""
    registry_login_server: NotRequired[Annotated[Input[str] | None, Wired(_login_server)]]
    """The estate's own container registry login server (``<name>.azurecr.io``). Default: none; required
    when ``allowed_registries`` is not given (control AML-GOV-001)."""
    allowed_registries: NotRequired[
        Annotated[list[Annotated[Input[str], Wired(_login_server)]], Field(min_length=1)] | None
    ]
    """Container registries jobs may pull images from (lowercase login servers, optionally with a repository
    path: ``amlrepo.azurecr.io/foo``; at least one), the built-in's ``allowedACRs``. Default:
    ``registry_login_server`` and ``mcr.microsoft.com`` (curated environments, AML-OPS-005); a list given
    replaces that default whole (``registry_login_server`` is then not added) (control AML-GOV-001)."""
    environment: NotRequired[Annotated[Environment, Field(default=Environment.EXPLORATION)]]
    """The estate's environment: in production every built-in that offers the ``Deny`` effect is assigned with it
    (the rest audit). Default: ``exploration`` (controls AML-GOV-008, AML-NET-002, AML-CMP-002)."""
    name_suffix: NotRequired[Annotated[str, Field(pattern=_SUFFIX)] | None]
    """Suffix of the assignment names (``aml-gov-001-<suffix>``): lowercase letters, digits, hyphens, at most
    40. Default: the first 4 hex digits of SHA-256 of ``<project>/<stack>``, as ``Namer.suffix`` (controls
    AML-GOV-001..008)."""


@rule(GovernanceSettings)
def _settings_rules(g: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    key = g.get("code_signing_public_key")
    if key is not None and _PGP_BEGIN not in key:
        yield ("code_signing_public_key",), key[:40], f"an ASCII-armoured key ({_PGP_BEGIN})"
    filters, datastore = g.get("log_filters"), g.get("log_datastore")
    if (filters is None) != (datastore is None):
        missing = "log_datastore" if datastore is None else "log_filters"
        yield (missing,), MISSING, "log_filters and log_datastore given together, or neither"
    for expression in filters or ():
        try:
            re.compile(expression)
        except re.error:
            yield ("log_filters",), expression, "regular expressions"


@rule(GovernanceArgs)
def _registry_rule(g: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    if g.get("allowed_registries") is None and g.get("registry_login_server") is None:
        yield (
            ("registry_login_server",),
            None,
            "the estate registry's login server when allowed_registries is not given",
        )


@dataclass(frozen=True)
class _Builtin:
    """One built-in definition to assign, as its definition file declares it."""

    control_id: str
    guid: str
    source: str  # path in Azure/azure-policy
    display_name: str  # the definition's displayName, for the assignments of multi-definition controls
    parameters: Mapping[str, Any]

    @property
    def definition_id(self) -> str:
        return DEFINITION_PREFIX + self.guid


_ML_DIR = "built-in-policies/policyDefinitions/Machine Learning/"

# AML-GOV-008: the Machine Learning built-ins of the security baseline. Each declares one parameter, "effect"
# (String), default "Audit", whose allowed values are Audit | Deny | Disabled where the last field is True and
# Audit | Disabled where it is False (read from each definition file).
_BASELINE: tuple[tuple[str, str, str, bool], ...] = (
    (
        "438c38d2-3772-465a-a9cc-7a6666a275ce",
        "Workspace_PublicNetworkAccessDisabled_Audit.json",
        "Workspaces should disable public network access",
        True,
    ),
    (
        "45e05259-1eb5-4f70-9574-baf73e9d219b",
        "Workspace_PrivateEndpoint_Audit_V2.json",
        "Workspaces should use private link",
        False,
    ),
    (
        "ba769a63-b8cc-4b2d-abf6-ac33c7204be8",
        "Workspace_CMKEnabled_Audit.json",
        "Workspaces should be encrypted with a customer-managed key",
        True,
    ),
    (
        "5f0c7d88-c7de-45b8-ac49-db49e72eaa78",
        "Workspace_UAIEnabled_Audit.json",
        "Workspaces should use user-assigned managed identity",
        True,
    ),
    (
        "7804b5c7-01dc-4723-969b-ae300cc07ff1",
        "MachineLearningServices_Vnet_Audit.json",
        "Compute clusters and instances should be behind a virtual network",
        False,
    ),
    (
        "e96a9a5f-07ca-471b-9bc5-6a0f33cbd68f",
        "MachineLearningServices_DisableLocalAuth_Audit.json",
        "Computes should have local authentication methods disabled",
        True,
    ),
    # f110a506 (latest software updates) is also in the baseline: assigned once, under AML-GOV-007.
)


def _pgp_parameter(key: str) -> str:
    """A PGP public key as the built-in wants it: line breaks written as the literal characters ``\\r\\n``."""
    lines = key.strip().splitlines()
    return "\\r\\n".join(line.rstrip() for line in lines)


def _builtins(a: Mapping[str, Any], allowed_registries: Sequence[Input[str]]) -> list[_Builtin]:
    """The built-ins to assign, with their parameters; optional ones only when their input is given."""
    enforce = "enforceSetting"  # the AML "Data" built-ins' effect: enforceSetting | disabled
    production = a["environment"] is Environment.PRODUCTION
    audit_or_deny = "Deny" if production else "Audit"  # for built-ins whose effect is Audit | Deny | Disabled
    found: list[_Builtin] = [
        # AML-GOV-001. Parameters: computeNames (Array, []), computeType (String, MachineLearningCompute|Any,
        # "Any"), isIsolatedNetwork (String, Yes|No|Any, "Any"), trustIPProtectedComponent (String,
        # Yes|No|None, "None"), allowedACRs (Array, []), tags (Array, []), effect (String,
        # enforceSetting|disabled, "enforceSetting"). Source: AllowedACRs_EnforceSetting.json (5.0.0-preview).
        _Builtin(
            "AML-GOV-001",
            "5853517a-63de-11ea-bc55-0242ac130003",
            _ML_DIR + "AllowedACRs_EnforceSetting.json",
            "Allowed registries for Machine Learning computes",
            {"allowedACRs": list(allowed_registries), "effect": enforce},
        ),
    ]
    if a.get("allowed_python_indexes") is not None:
        # AML-GOV-002. Parameters: computeNames (Array, []), computeType (String,
        # MachineLearningCompute|SynapseSpark|Any, "Any"), isIsolatedNetwork (String, Yes|No|Any, "Any"),
        # allowedPythonPackageChannels (Array, []: "List of allowed Python package indexes"), tags (Array, []),
        # effect (String, enforceSetting|disabled, "enforceSetting").
        # Source: AllowedPythonPackageChannels_EnforceSetting.json (5.1.0-preview).
        found.append(
            _Builtin(
                "AML-GOV-002",
                "77eeea86-7e81-4a7d-9067-de844d096752",
                _ML_DIR + "AllowedPythonPackageChannels_EnforceSetting.json",
                "Allowed Python package indexes for Machine Learning computes",
                {"allowedPythonPackageChannels": list(a["allowed_python_indexes"]), "effect": enforce},
            )
        )
    if a.get("code_signing_public_key") is not None:
        # AML-GOV-003. Parameters: computeNames (Array, []), computeType (String, MachineLearningCompute|
        # AzureDataFactory|HDInsight|SynapseSpark|Any, "Any"), isIsolatedNetwork (String, Yes|No|Any, "Any"),
        # trustIPProtectedComponent (String, Yes|No|None, "None"), signingKey (String, no default: required),
        # optionalSecondSigningKey (String, ""), tags (Array, []), effect (String, enforceSetting|disabled,
        # "enforceSetting"). Source: AllowedSigningKey_EnforceSetting.json (6.1.0-preview).
        found.append(
            _Builtin(
                "AML-GOV-003",
                "6a6f7384-63de-11ea-bc55-0242ac130003",
                _ML_DIR + "AllowedSigningKey_EnforceSetting.json",
                "Code signing for training code",
                {"signingKey": _pgp_parameter(a["code_signing_public_key"]), "effect": enforce},
            )
        )
    if a.get("approval_endpoint") is not None:
        # AML-GOV-004. Parameters: computeNames (Array, []), computeType (String, MachineLearningCompute|
        # AzureDataFactory|HDInsight|Any, "Any"), isIsolatedNetwork (String, Yes|No|Any, "Any"),
        # approvalEndpoint (String, no default: required), tags (Array, []), effect (String,
        # enforceSetting|disabled, "enforceSetting"). Source: ApprovalEndpoint_EnforceSetting.json (5.0.0-preview).
        found.append(
            _Builtin(
                "AML-GOV-004",
                "3948394e-63de-11ea-bc55-0242ac130003",
                _ML_DIR + "ApprovalEndpoint_EnforceSetting.json",
                "Approval endpoint called before jobs run",
                {"approvalEndpoint": a["approval_endpoint"], "effect": enforce},
            )
        )
    if a.get("log_filters") is not None and a.get("log_datastore") is not None:
        # AML-GOV-005. Parameters: computeNames (Array, []), computeType (String, MachineLearningCompute|
        # SynapseSpark|Any, "Any"), isIsolatedNetwork (String, Yes|No|Any, "Any"), logFilters (Array, []),
        # datastore (String, no default: required), tags (Array, []), effect (String, enforceSetting|disabled,
        # "enforceSetting"). Source: AllowedLogFilter_EnforceSetting.json (5.1.0-preview).
        found.append(
            _Builtin(
                "AML-GOV-005",
                "1d413020-63de-11ea-bc55-0242ac130003",
                _ML_DIR + "AllowedLogFilter_EnforceSetting.json",
                "Log filters and datastore for full logs",
                {"logFilters": list(a["log_filters"]), "datastore": a["log_datastore"], "effect": enforce},
            )
        )
    # AML-GOV-006. Parameters: allowedRegistryName (String, "": all registry models refused), restrictedModels
    # (Array, []), effect (string, Deny|Disabled, no default: required). Deny: with enforcementMode
    # DoNotEnforce it is reported, not enforced. Source: OnlyDeployAllowedRegistryModels_Deny.json
    # (1.0.0-preview).
    found.append(
        _Builtin(
            "AML-GOV-006",
            "19539b54-c61e-4196-9a38-67598701be90",
            _ML_DIR + "OnlyDeployAllowedRegistryModels_Deny.json",
            "Model deployments restricted to one registry",
            {
                "allowedRegistryName": a["allowed_model_registry"],
                "restrictedModels": list(a["restricted_models"]),
                "effect": "Deny",
            },
        )
    )
    # AML-GOV-007 (also in the AML-GOV-008 baseline). Effect Audit | Disabled, default "Audit". No parameter
    # is passed: the stored versions disagree on its name (MachineLearningServices_ComputeInstanceUpdates_Audit
    # .json declares "effects"; ComputeInstanceUpdates_Audit.json 1.0.3 declares "effect" but its rule reads
    # parameters('effects')), and an undeclared name fails the assignment. Every version defaults to Audit,
    # and Audit is the only effect this control uses. Source: ComputeInstanceUpdates_Audit.json (1.0.3).
    found.append(
        _Builtin(
            "AML-GOV-007",
            "f110a506-2dcb-422e-bcea-d533fc8c35e2",
            _ML_DIR + "ComputeInstanceUpdates_Audit.json",
            "Compute instances recreated for the latest software updates",
            {},
        )
    )
    # AML-GOV-008: the baseline built-ins (sources and allowed effects in _BASELINE): Deny in production where the
    # definition offers it, Audit otherwise.
    found.extend(
        _Builtin(
            "AML-GOV-008",
            guid,
            _ML_DIR + file,
            title,
            {"effect": audit_or_deny if offers_deny else "Audit"},
        )
        for guid, file, title, offers_deny in _BASELINE
    )
    # Runtime counterparts of three pack controls, so that what is created outside this stack (a compute made in
    # the studio by a Compute Operator, a workspace made by hand) is judged too. Read from Azure/azure-policy:
    # - AML-NET-002: ManagedNetworkIsolationMode_Audit.json (1.0.0). Parameters isolationMode (String,
    #   AllowInternetOutbound | AllowOnlyApprovedOutbound | Disabled, default "Disabled": unset, it would flag
    #   every workspace that is NOT Disabled) and effect (Audit | Deny | Disabled, default Audit).
    found.append(
        _Builtin(
            "AML-NET-002",
            "6ddb1705-c8cf-450e-aa4b-19ad6703c440",
            _ML_DIR + "ManagedNetworkIsolationMode_Audit.json",
            "Workspaces use the Allow Only Approved Outbound managed VNet mode",
            {"isolationMode": "AllowOnlyApprovedOutbound", "effect": audit_or_deny},
        )
    )
    # - AML-CMP-002: IdleShutdown_Audit.json (1.0.0). One parameter, effect (Audit | Deny | Disabled, default
    #   Audit); the rule flags a compute instance with no idleTimeBeforeShutdown.
    found.append(
        _Builtin(
            "AML-CMP-002",
            "679ddf89-ab8f-48a5-9029-e76054077449",
            _ML_DIR + "IdleShutdown_Audit.json",
            "Compute instances have idle shutdown",
            {"effect": audit_or_deny},
        )
    )
    # - AML-MON-001: AuditDiagnosticLog_Audit.json (1.0.1). Parameters effect (AuditIfNotExists | Disabled,
    #   default AuditIfNotExists; no Deny) and requiredRetentionDays (String, default "365": only read for
    #   settings that archive to a storage account with a retention policy; the estate's go to Log Analytics).
    found.append(
        _Builtin(
            "AML-MON-001",
            "afe0c3be-ba3b-4544-ba52-0c99672a8ad6",
            _ML_DIR + "AuditDiagnosticLog_Audit.json",
            "Resource logs of workspaces are enabled",
            {"effect": "AuditIfNotExists"},
        )
    )
    return found


class Governance(pulumi.ComponentResource):
    """Azure Policy assignments of the Machine Learning built-ins at the estate's resource group."""

    assignment_ids: pulumi.Output[dict[str, str]]
    """Assignment ids by assignment name."""

    def __init__(self, name: str, args: GovernanceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(GovernanceArgs, args, name)
        super().__init__("hardened-aml:index:Governance", name, None, opts)
        # AML-GOV-001: the registries given, else the estate's own and MCR (the rule requires one or the other).
        given, own = a.get("allowed_registries"), a.get("registry_login_server")
        registries: list[Input[str]] = list(given) if given is not None else [own, MCR] if own is not None else [MCR]
        enforcement: AssignmentEnforcement = a["enforcement"]
        suffix = (
            a.get("name_suffix")
            or hashlib.sha256(f"{pulumi.get_project()}/{pulumi.get_stack()}".encode()).hexdigest()[:4]
        )
        child = pulumi.ResourceOptions(parent=self)

        self.assignments: dict[str, authorization.PolicyAssignment] = {}
        for builtin in _builtins(a, registries):
            entry = control(builtin.control_id)
            several = len(entry.builtin) > 1
            # aml-gov-001-<suffix>; aml-gov-008-<suffix>-<guid[:8]>: at most 11 + 1 + 40 + 1 + 8 = 61 characters.
            assignment_name = f"{entry.slug}-{suffix}" + (f"-{builtin.guid[:8]}" if several else "")
            display_name = f"{entry.title}: {builtin.display_name}" if several else entry.title
            self.assignments[assignment_name] = authorization.PolicyAssignment(
                f"{name}-{entry.slug}" + (f"-{builtin.guid[:8]}" if several else ""),
                policy_assignment_name=assignment_name,
                scope=a["scope"],
                policy_definition_id=builtin.definition_id,
                display_name=display_name[:128],
                description=(
                    f"control:{entry.id} {entry.title}. Built-in {builtin.guid} "
                    f"(Azure/azure-policy {builtin.source}), assigned by hardened-aml."
                )[:512],
                metadata={CONTROL_METADATA_KEY: entry.id},
                enforcement_mode=enforcement.value,
                parameters={
                    key: authorization.ParameterValuesValueArgs(value=value)
                    for key, value in builtin.parameters.items()
                }
                or None,
                opts=child,
            )

        self.assignment_ids = pulumi.Output.all(
            **{assignment_name: a.id for assignment_name, a in self.assignments.items()}
        )
        self.register_outputs({"assignment_ids": self.assignment_ids})
