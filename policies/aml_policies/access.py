"""Rules for role assignments (``authorization:RoleAssignment``, API 2022-04-01), for issue 13 ("least privilege").

- AML-IAM-003: human access goes through Entra ID groups. Every role assignment of the stack states its
  ``principalType`` (when it is missing, Azure looks the principal up itself, and a missing type hides a grant
  to a single user) and none is ``User``; enum strings are compared as Azure reads them, ignoring case. No
  privileged role on a workspace, except Contributor for that workspace's own primary identity, which
  Microsoft documents as required ("Set up authentication between Azure Machine Learning and other
  services", user-assigned managed identity, Workspace: "Azure Machine Learning workspace | Contributor").
- AML-IAM-011: no workload identity holds a privileged role. A role given to a workload identity is given to
  every job and notebook that runs as it; only a workspace's primary identity (which the service itself uses)
  keeps the roles Microsoft documents for it, and break-glass principals named in the policy config may hold them.
- AML-IAM-013: an identity that reads a customer-managed key for a resource (the storage account's
  ``encryption.encryptionIdentity.encryptionUserAssignedIdentity``, the registry's
  ``encryption.keyVaultProperties.identity``, a disk encryption set's own system-assigned identity) holds Key Vault
  Crypto Service Encryption User and nothing else: it exists to wrap and unwrap one key ("Key Vault Crypto Service
  Encryption User": read metadata of keys and perform wrap/unwrap operations, Azure built-in roles). A
  workspace's primary identity also reads the workspace's key but keeps the roles documented for it (AML-IAM-001).

Role GUIDs and names are written once, in ``aml_catalogue.roles`` (``PRIVILEGED_ROLES``: Owner, Contributor,
User Access Administrator, Role Based Access Control Administrator, Key Vault Administrator and the AKS
administrator roles). A role is matched on the last segment of ``roleDefinitionId``, ignoring case, so a bare
GUID and a full ``/subscriptions/.../roleDefinitions/<guid>`` id read the same.

Principals are related as ``Stack.targets`` relates resources: an assignment's ``principalId`` that depends on
(or names by ARM id) the workspace's primary identity, or equals the literal principal id that identity carries
(its ``principalId`` output, once known). Never by type alone: a user-assigned identity that no workspace names
as ``primaryUserAssignedIdentity`` is a workload identity.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from aml_catalogue.roles import CONTRIBUTOR, KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER, PRIVILEGED_ROLES
from aml_policies.core import (
    MISSING,
    Config,
    Stack,
    StackRule,
    get,
    type_key,
)

ROLE_ASSIGNMENT = "authorization:RoleAssignment"
WORKSPACE = "machinelearningservices:Workspace"
IDENTITY = "managedidentity:UserAssignedIdentity"
_WORKSPACE_SCOPE = "/providers/microsoft.machinelearningservices/workspaces/"
#: Roles a workspace's primary identity may hold on its own workspace (Microsoft's documented requirement).
WORKSPACE_IDENTITY_ROLES = frozenset({CONTRIBUTOR})
GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
WHY_WORKLOAD = "a role given to a workload identity is given to every job and notebook that runs as it"


def _role(assignment: PolicyResource) -> str:
    """The role GUID (lowercase) an assignment gives; ``UnknownValueError`` when unknown at preview."""
    value = get(assignment.props, "roleDefinitionId")
    return value.rsplit("/", 1)[-1].strip().lower() if isinstance(value, str) else ""


def _known(props: Any, path: str) -> str:
    """A string written out in the program or known as an output ("" when absent, unknown or not a string)."""
    try:
        value = get(props, path)
    except UnknownValueError:
        return ""
    return value if isinstance(value, str) else ""


def _primary_identities(stack: Stack, workspaces: Sequence[PolicyResource]) -> list[PolicyResource]:
    """The user-assigned identities of the stack that these workspaces name as ``primaryUserAssignedIdentity``."""
    found: list[PolicyResource] = []
    for workspace in workspaces:
        for target in stack.targets(workspace, "primaryUserAssignedIdentity"):
            if type_key(target.resource_type) == IDENTITY and target not in found:
                found.append(target)
    return found


def _held_by(stack: Stack, assignment: PolicyResource, identities: Sequence[PolicyResource]) -> bool:
    """Whether the assignment's principal is one of ``identities``: ``principalId`` depends on or names it, or
    equals the literal principal id it carries."""
    if not identities:
        return False
    if any(target in identities for target in stack.targets(assignment, "principalId")):
        return True
    principal = _known(assignment.props, "principalId").strip().lower()
    return bool(principal) and any(principal == _known(i.props, "principalId").strip().lower() for i in identities)


def _principal(stack: Stack, assignment: PolicyResource) -> str:
    """How a message names the principal: its literal id, or the resource its id comes from."""
    literal = _known(assignment.props, "principalId")
    if literal:
        return f"principal {literal!r}"
    sources = stack.targets(assignment, "principalId")
    return f"the principal of {sources[0].name!r}" if sources else "its principal"


# --- AML-IAM-003 ------------------------------------------------------------------------------------
def _workspaces_in_scope(stack: Stack, assignment: PolicyResource) -> tuple[bool, list[PolicyResource]]:
    """Whether the assignment is scoped to (or under) a workspace, and the workspaces of the stack it names."""
    workspaces = [t for t in stack.targets(assignment, "scope") if type_key(t.resource_type) == WORKSPACE]
    on_workspace = bool(workspaces) or any(
        _WORKSPACE_SCOPE in s.lower() for s in Stack.reference_strings(assignment, "scope")
    )
    return on_workspace, workspaces


def _principal_type(assignment: PolicyResource) -> Iterator[str]:
    """``principalType`` is set and is not ``User`` (compared ignoring case, as Azure reads the enum)."""
    kind = get(assignment.props, "principalType")
    label = f"role assignment {assignment.name!r}"
    if kind is MISSING:
        yield (
            f"{label} sets no principalType; Azure then guesses the principal's type and a missing type hides a grant "
            "to a single user: set 'Group' for people (Entra ID groups) or 'ServicePrincipal' for identities"
        )
    elif not isinstance(kind, str):
        yield (
            f"{label} has principalType {kind!r}, which is unreadable; it must be a string such as 'Group' or "
            "'ServicePrincipal'"
        )
    elif kind.strip().lower() == "user":
        yield (
            f"{label} grants a role to a single user (principalType {kind!r}); assign roles to Entra ID groups "
            "(principalType 'Group')"
        )


def _least_privilege(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    for assignment in stack.of_type(ROLE_ASSIGNMENT):
        on_workspace, workspaces = _workspaces_in_scope(stack, assignment)
        role = _role(assignment) if on_workspace else ""
        # The workspace's own identity: Microsoft documents Contributor on the workspace as required.
        own_identity = role in WORKSPACE_IDENTITY_ROLES and _held_by(
            stack, assignment, _primary_identities(stack, workspaces)
        )
        if role in PRIVILEGED_ROLES and not own_identity:
            yield (
                f"role assignment {assignment.name!r} grants {PRIVILEGED_ROLES[role]} on a workspace; use AzureML "
                "Data Scientist, AzureML Compute Operator or Reader",
                assignment.urn,
            )
        for message in _principal_type(assignment):
            yield message, assignment.urn


# --- AML-IAM-013 ------------------------------------------------------------------------------------
#: Where a resource names the identity that reads its customer-managed key: (type key, top-level property, path).
KEY_READERS: tuple[tuple[str, str, str], ...] = (
    ("storage:StorageAccount", "encryption", "encryptionIdentity.encryptionUserAssignedIdentity"),
    ("containerregistry:Registry", "encryption", "keyVaultProperties.identity"),
)
DISK_ENCRYPTION_SET = "compute:DiskEncryptionSet"


def _key_readers(stack: Stack) -> list[PolicyResource]:
    """The identities that read a customer-managed key for a resource, the workspaces' primary identities excepted;
    a disk encryption set stands for its own system-assigned identity."""
    primaries = _primary_identities(stack, stack.of_type(WORKSPACE))
    readers: list[PolicyResource] = list(stack.of_type(DISK_ENCRYPTION_SET))
    for kind, prop, path in KEY_READERS:
        for resource in stack.of_type(kind):
            readers += [
                t
                for t in stack.targets(resource, prop, path)
                if type_key(t.resource_type) == IDENTITY and t not in primaries and t not in readers
            ]
    return readers


def _key_readers_only_crypto(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    readers = _key_readers(stack)
    for assignment in stack.of_type(ROLE_ASSIGNMENT):
        holders = [r for r in readers if _held_by(stack, assignment, [r])]
        if not holders:
            continue
        role = _role(assignment)
        if role != KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER:
            shown = PRIVILEGED_ROLES.get(role) or (role or "an unreadable role")
            yield (
                f"role assignment {assignment.name!r} grants {shown} to {holders[0].name!r}, which reads a "
                "customer-managed key for its resource; a key-reading identity holds Key Vault Crypto Service "
                "Encryption User (e147488a) and nothing else",
                assignment.urn,
            )


# --- AML-IAM-011 ------------------------------------------------------------------------------------
def _no_privileged_workload_roles(stack: Stack, config: Config) -> Iterator[tuple[str, str]]:
    """Every privileged assignment of the stack is held by a workspace's primary identity or a break-glass
    principal."""
    primaries = _primary_identities(stack, stack.of_type(WORKSPACE))
    listed = config.get("breakGlassPrincipalIds", [])
    listed = listed if isinstance(listed, Sequence) and not isinstance(listed, str) else []
    allowed = {p.strip().lower() for p in listed if isinstance(p, str) and p.strip()}
    for assignment in stack.of_type(ROLE_ASSIGNMENT):
        if _held_by(stack, assignment, primaries):
            continue
        if _known(assignment.props, "principalId").strip().lower() in allowed:
            continue  # a break-glass principal named in the policy config
        role = _role(assignment)
        if role not in PRIVILEGED_ROLES:
            continue
        yield (
            f"role assignment {assignment.name!r} grants {PRIVILEGED_ROLES[role]} to {_principal(stack, assignment)}, "
            f"which is not the primary identity of a workspace of the stack; {WHY_WORKLOAD}: give it data-plane "
            "roles only (e.g. Storage Blob Data Reader, AcrPull), or name a break-glass principal in "
            "breakGlassPrincipalIds",
            assignment.urn,
        )


RULES = (
    StackRule(
        control="AML-IAM-003",
        name="workspace-least-privilege",
        description="every role assignment of the stack sets principalType and it is not 'User' (compared ignoring "
        "case; missing fails: Azure then guesses the principal's type, and a missing type hides a grant to a single "
        "user; a value that is not a string fails); no Owner, Contributor, User Access Administrator, RBAC "
        "Administrator, Key Vault Administrator or AKS administrator assignment on a workspace (role compared on the "
        "last segment of roleDefinitionId, ignoring case), except Contributor for the workspace's own primary "
        "identity.",
        check=_least_privilege,
    ),
    StackRule(
        control="AML-IAM-011",
        name="no-privileged-workload-identity",
        description="no role assignment of the stack gives Owner, Contributor, User Access Administrator, RBAC "
        "Administrator, Key Vault Administrator or an AKS administrator role to a principal other than the "
        "primaryUserAssignedIdentity of a workspace of the stack (related by dependency, ARM id or literal "
        "principal id) or a principal named in breakGlassPrincipalIds.",
        check=_no_privileged_workload_roles,
        config={
            "breakGlassPrincipalIds": {
                "type": "array",
                "items": {"type": "string", "pattern": GUID},
                "default": [],
                "description": "Object ids of break-glass principals that may hold a privileged role (GUIDs).",
            }
        },
    ),
    StackRule(
        control="AML-IAM-013",
        name="key-readers-only-crypto-role",
        description="every role assignment held by an identity that reads a customer-managed key for a storage "
        "account, container registry or disk encryption set (related by dependency, ARM id or principal id) grants "
        "Key Vault Crypto Service Encryption User and nothing else.",
        check=_key_readers_only_crypto,
    ),
)
