"""Rules for training checkpoints (issue 16, "training at scale"): who writes them, and when they go.

A checkpoint container is a ``storage:BlobContainer`` whose ``containerName`` is one of ``checkpointContainers``
(default ``checkpoints``, the catalogue's AML-DAT-006 default, which the storage component reads too).

- AML-DAT-006: a lifecycle management policy (``storage:ManagementPolicy``, REST spec
  ``Microsoft.Storage/stable/2024-01-01/storage.json``: ``ManagementPolicySchema.rules`` of ``ManagementPolicyRule``
  ``{name, enabled, type, definition: {filters: {prefixMatch, blobTypes, blobIndexMatch}, actions: {baseBlob,
  snapshot, version}}}``) tiers checkpoints to cool and deletes them.

  - One resource at a time: ``policy.rules`` is a non-empty list ("At least one rule is required in a policy",
    learn.microsoft.com/azure/storage/blobs/lifecycle-management-policy-structure); every rule is enabled (a missing
    ``enabled`` passes: "Default value is true if not set", same page), of type ``Lifecycle`` (the only value of
    ``RuleType``), and names at least one action; every day count is a number of at least 0 (``DateAfterModification``
    and ``DateAfterCreation``: ``minimum: 0``, ``multipleOf: 1``). A value of the wrong shape is a violation.
  - Across the stack: every checkpoint container's account (related by engine dependency, ARM id or literal name)
    has a management policy with an enabled Lifecycle rule that covers the whole container and deletes both current
    blobs (``actions.baseBlob.delete``) and previous versions (``actions.version.delete``). Covering: no prefix, or a
    prefix that ``<container>/`` starts with (a prefix starts with the container's name, the page above;
    ``checkpoints/run-1`` covers one run only); ``blockBlob`` among ``blobTypes``; no blob-index-tag filter, which
    would narrow the rule to tagged blobs. Versions matter because the estate keeps them (AML-DAT-002): deleting a
    current version only makes it a previous one.

- AML-DAT-007: no role assignment scoped to a checkpoint container (by dependency on the container, or an ARM id
  ending ``/blobServices/default/containers/<name>``) grants a role that writes blob data (Storage Blob Data
  Contributor or Owner, ``aml_catalogue.roles.BLOB_DATA_WRITE_ROLES``), unless it is Storage Blob Data Contributor
  held by a training identity: a user-assigned identity that an AmlCompute cluster of the stack runs as
  (``identity.userAssignedIdentities``), where that cluster is not the compute of a batch deployment (batch jobs read
  and score; they do not checkpoint). Storage Blob Data Owner also manages POSIX ACLs and is more than a writer needs,
  so it fails for every principal. Owner and Contributor carry no data actions (and shared keys are off, AML-IAM-006):
  AML-IAM-011 judges them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from aml_catalogue.roles import BLOB_DATA_WRITE_ROLES, STORAGE_BLOB_DATA_CONTRIBUTOR
from aml_policies.access import IDENTITY, ROLE_ASSIGNMENT, _held_by, _principal, _role
from aml_policies.core import (
    MISSING,
    Config,
    Props,
    ResourceRule,
    Stack,
    StackRule,
    Unreadable,
    as_bool,
    as_number,
    default,
    described,
    get,
    items,
    mapping,
    same,
    same_any,
    type_key,
)

MANAGEMENT_POLICY = "storage:ManagementPolicy"
CONTAINER = "storage:BlobContainer"
ACCOUNT = "storage:StorageAccount"
COMPUTE = "machinelearningservices:Compute"
BATCH_DEPLOYMENT = "machinelearningservices:BatchDeployment"
#: The action blocks of a rule, and the actions each may take (``ManagementPolicyAction``, ``...BaseBlob``,
#: ``...SnapShot``, ``...Version`` in the 2024-01-01 spec).
ACTION_BLOCKS = ("baseBlob", "snapshot", "version")
ACTIONS = ("tierToCool", "tierToCold", "tierToArchive", "tierToHot", "delete")
#: The day counts an action may be conditioned on (``DateAfterModification``, ``DateAfterCreation``).
DAY_COUNTS = (
    "daysAfterModificationGreaterThan",
    "daysAfterCreationGreaterThan",
    "daysAfterLastAccessTimeGreaterThan",
    "daysAfterLastTierChangeGreaterThan",
)
_CONTAINERS_SCHEMA: Mapping[str, Any] = {
    "type": "array",
    "items": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"},
    "minItems": 1,
    "default": default("AML-DAT-006", "checkpointContainers"),
    "description": "Names of the blob containers that hold training checkpoints.",
}


def _names(config: Config) -> list[str]:
    listed = config.get("checkpointContainers", [])
    listed = listed if isinstance(listed, Sequence) and not isinstance(listed, str) else []
    return [n.strip().lower() for n in listed if isinstance(n, str) and n.strip()]


def _known(props: Any, path: str) -> str:
    try:
        value = get(props, path)
    except (UnknownValueError, Unreadable):
        return ""
    return value if isinstance(value, str) else ""


def _containers(stack: Stack, names: Sequence[str]) -> list[PolicyResource]:
    """The stack's checkpoint containers: a literal ``containerName`` among ``names``."""
    return [c for c in stack.of_type(CONTAINER) if _known(c.props, "containerName").strip().lower() in names]


# --- AML-DAT-006: the management policy itself ------------------------------------------------------------------
def _rule_problems(props: Props, at: str) -> Iterator[str]:
    """The problems of the rule at ``at`` (``policy.rules.<i>``); every path is read from the resource's top, so an
    unreadable value is named by its full path."""
    rule = get(props, at)
    if not isinstance(rule, Mapping):
        raise Unreadable(at, rule, "an object")
    label = f"{at} ({rule['name']!r})" if isinstance(rule.get("name"), str) else at
    enabled = get(props, f"{at}.enabled")
    if enabled is not MISSING:
        flag = as_bool(enabled)
        if flag is None:
            raise Unreadable(f"{at}.enabled", enabled, "a boolean")
        if not flag:
            yield f"{label} is disabled; a lifecycle rule that is off keeps what it should tier or delete"
    kind = get(props, f"{at}.type")
    if not same(kind, "Lifecycle", f"{at}.type"):
        found = "is not set" if kind is MISSING else f"is {kind!r}"
        yield f"{at}.type {found}; it must be 'Lifecycle', the only rule type"
    taken = 0
    for block in ACTION_BLOCKS:
        for action in ACTIONS:
            where = f"{at}.definition.actions.{block}.{action}"
            if mapping(props, where) is None:
                continue
            taken += 1
            for count in DAY_COUNTS:
                days = get(props, f"{where}.{count}")
                if days is not MISSING and ((read := as_number(days)) is None or read < 0 or not read.is_integer()):
                    raise Unreadable(f"{where}.{count}", days, "a whole number >= 0")
    if not taken:
        yield f"{label} takes no action (definition.actions has no tier or delete action)"


@described(
    "policy.rules is a non-empty list of rules, each enabled (missing passes: Azure's default is true), of type "
    "'Lifecycle' and with at least one tier or delete action, every day count a whole number of at least 0"
)
def _management_policy(props: Props, _config: Config) -> Iterator[str]:
    rules = items(props, "policy.rules")
    if not rules:
        yield "policy.rules is empty or not set; a lifecycle management policy needs at least one rule"
    for i in range(len(rules)):
        yield from _rule_problems(props, f"policy.rules.{i}")


# --- AML-DAT-006: every checkpoint container is covered ---------------------------------------------------------
def _deletes(actions: Mapping[str, Any] | None, block: str, counts: Sequence[str]) -> bool:
    """Whether ``actions.<block>.delete`` is conditioned on one of ``counts`` with a number of days."""
    condition = get(actions, f"{block}.delete") if actions is not None else MISSING
    return isinstance(condition, Mapping) and any(as_number(get(condition, c)) is not None for c in counts)


def _covers(rule: Any, container: str) -> bool:
    """Whether an enabled Lifecycle rule applies to every block blob of ``container`` and deletes current blobs and
    previous versions. A rule of the wrong shape covers nothing (the management policy's own rule reports it)."""
    try:
        return _applies_and_deletes(rule, container)
    except Unreadable:
        return False


def _applies_and_deletes(rule: Any, container: str) -> bool:
    if not isinstance(rule, Mapping):
        return False
    enabled = get(rule, "enabled")
    if enabled is not MISSING and as_bool(enabled) is not True:
        return False
    kind = get(rule, "type")
    if not isinstance(kind, str) or not same(kind, "Lifecycle"):
        return False
    filters = get(rule, "definition.filters")
    filters = filters if isinstance(filters, Mapping) else {}
    prefixes = items(filters, "prefixMatch")
    if prefixes and not any(isinstance(p, str) and f"{container}/".startswith(p) for p in prefixes):
        return False
    if not any(isinstance(t, str) and same(t, "blockBlob") for t in items(filters, "blobTypes")):
        return False
    if items(filters, "blobIndexMatch"):
        return False
    actions = get(rule, "definition.actions")
    actions = actions if isinstance(actions, Mapping) else None
    # A previous version is deleted by its age (DateAfterCreation.daysAfterCreationGreaterThan, required there).
    return _deletes(actions, "baseBlob", DAY_COUNTS) and _deletes(actions, "version", ("daysAfterCreationGreaterThan",))


def _policies_for(stack: Stack, container: PolicyResource) -> list[PolicyResource]:
    """The management policies of the account that holds ``container``: the same account resource, or the same
    literal account name (storage account names are unique across Azure, so the name alone identifies it)."""
    accounts = [t for t in stack.targets(container, "accountName") if type_key(t.resource_type) == ACCOUNT]
    name = _known(container.props, "accountName").strip().lower()
    found = []
    for policy in stack.of_type(MANAGEMENT_POLICY):
        same_account = any(t in accounts for t in stack.targets(policy, "accountName"))
        same_name = bool(name) and _known(policy.props, "accountName").strip().lower() == name
        if same_account or same_name:
            found.append(policy)
    return found


def _checkpoints_expire(stack: Stack, config: Config) -> Iterator[tuple[str, str]]:
    for container in _containers(stack, _names(config)):
        name = _known(container.props, "containerName").strip().lower()
        policies = _policies_for(stack, container)
        rules = [r for p in policies for r in _rules_or_none(p)]
        if any(_covers(r, name) for r in rules):
            continue
        where = "no lifecycle management policy" if not policies else "no rule of its lifecycle management policy"
        yield (
            f"checkpoint container {container.name!r} is covered by {where}; checkpoints then stay hot and are "
            f"kept for ever: give its account a storage ManagementPolicy with an enabled Lifecycle rule whose "
            f"prefixMatch is '{name}/' (or none), blobTypes include blockBlob, and actions.baseBlob.delete and "
            "actions.version.delete are set (the account keeps versions)",
            container.urn,
        )


def _rules_or_none(policy: PolicyResource) -> list[Any]:
    try:
        return items(policy.props, "policy.rules")
    except Unreadable:  # the management policy's own rule reports the shape
        return []


# --- AML-DAT-007 ------------------------------------------------------------------------------------------------
def _on_checkpoints(
    stack: Stack, assignment: PolicyResource, containers: Sequence[PolicyResource], names: Sequence[str]
) -> bool:
    if any(t in containers for t in stack.targets(assignment, "scope")):
        return True
    scopes = [s.rstrip("/").lower() for s in Stack.reference_strings(assignment, "scope")]
    return any(s.endswith(f"/blobservices/default/containers/{n}") for s in scopes for n in names)


def _training_identities(stack: Stack) -> list[PolicyResource]:
    """The user-assigned identities AmlCompute clusters of the stack run as, batch deployments' clusters excepted."""
    batch: list[PolicyResource] = []
    for deployment in stack.of_type(BATCH_DEPLOYMENT):
        batch += [t for t in stack.targets(deployment, "properties") if type_key(t.resource_type) == COMPUTE]
    found: list[PolicyResource] = []
    for compute in stack.of_type(COMPUTE):
        if compute in batch or not same_any(_known(compute.props, "properties.computeType"), ("AmlCompute",)):
            continue
        found += [t for t in stack.targets(compute, "identity") if type_key(t.resource_type) == IDENTITY]
    return found


def _only_training_writes(stack: Stack, config: Config) -> Iterator[tuple[str, str]]:
    names = _names(config)
    containers = _containers(stack, names)
    training = _training_identities(stack)
    for assignment in stack.of_type(ROLE_ASSIGNMENT):
        if not _on_checkpoints(stack, assignment, containers, names):
            continue
        role = _role(assignment)
        if role not in BLOB_DATA_WRITE_ROLES:
            continue
        if role == STORAGE_BLOB_DATA_CONTRIBUTOR and _held_by(stack, assignment, training):
            continue
        why = (
            "Storage Blob Data Owner also manages access control lists, more than writing checkpoints needs"
            if role != STORAGE_BLOB_DATA_CONTRIBUTOR
            else "it is not the identity of a training cluster of the stack (an AmlCompute that no batch deployment "
            "runs on)"
        )
        yield (
            f"role assignment {assignment.name!r} grants {BLOB_DATA_WRITE_ROLES[role]} on a checkpoint container to "
            f"{_principal(stack, assignment)}: {why}; only a training identity writes checkpoints, with Storage Blob "
            "Data Contributor, and everyone else reads them (Storage Blob Data Reader)",
            assignment.urn,
        )


RULES = (
    ResourceRule(
        control="AML-DAT-006",
        name="lifecycle-rules-enabled",
        types=(MANAGEMENT_POLICY,),
        check=_management_policy,
    ),
    StackRule(
        control="AML-DAT-006",
        name="checkpoints-expire",
        description="every checkpoint container (a BlobContainer named in checkpointContainers) has, on its storage "
        "account (related by dependency, ARM id or literal name), a ManagementPolicy with an enabled 'Lifecycle' "
        "rule covering the whole container (no prefixMatch, or one that '<container>/' starts with; blockBlob among "
        "blobTypes; no blobIndexMatch) that sets actions.baseBlob.delete and actions.version.delete.",
        check=_checkpoints_expire,
        config={"checkpointContainers": _CONTAINERS_SCHEMA},
    ),
    StackRule(
        control="AML-DAT-007",
        name="only-training-writes-checkpoints",
        description="no role assignment scoped to a checkpoint container (a BlobContainer named in "
        "checkpointContainers, by dependency or an ARM id ending /blobServices/default/containers/<name>) grants "
        "Storage Blob Data Owner, nor Storage Blob Data Contributor to a principal other than the user-assigned "
        "identity of an AmlCompute cluster of the stack that no BatchDeployment runs on (related by dependency, ARM "
        "id or literal principal id).",
        check=_only_training_writes,
        config={"checkpointContainers": _CONTAINERS_SCHEMA},
    ),
)
