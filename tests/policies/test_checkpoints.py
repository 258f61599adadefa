"""The checkpoint rules (``aml_policies.checkpoints``): the lifecycle management policy, that it covers the
checkpoints container, and who may write there.

Stack rules get ``PolicyResource`` objects with proxied props, related by property dependency, ARM id or name.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from aml_catalogue import roles
from aml_policies import checkpoints
from aml_policies.core import ResourceRule, StackRule
from tests.policies.harness import DELETE, changed, run_stack, stack_resource, violations

POLICY = "azure-native:storage:ManagementPolicy"
CONTAINER = "azure-native:storage:BlobContainer"
ACCOUNT = "azure-native:storage:StorageAccount"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
COMPUTE = "azure-native:machinelearningservices:Compute"
BATCH = "azure-native:machinelearningservices:BatchDeployment"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
ST_ID = f"{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"
ROLES = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions"
WRITER = f"{ROLES}/{roles.STORAGE_BLOB_DATA_CONTRIBUTOR}"
READER = f"{ROLES}/{roles.STORAGE_BLOB_DATA_READER}"
BLOB_OWNER = f"{ROLES}/{roles.STORAGE_BLOB_DATA_OWNER}"
GROUP = "11111111-1111-1111-1111-111111111111"

RULES = checkpoints.RULES
SHAPE = next(r for r in RULES if r.policy_name == "aml-dat-006-lifecycle-rules-enabled")
COVERED = next(r for r in RULES if r.policy_name == "aml-dat-006-checkpoints-expire")
WRITERS = next(r for r in RULES if r.policy_name == "aml-dat-007-only-training-writes-checkpoints")
assert isinstance(SHAPE, ResourceRule) and isinstance(COVERED, StackRule) and isinstance(WRITERS, StackRule)

RULE: dict[str, Any] = {
    "name": "checkpoints",
    "type": "Lifecycle",
    "enabled": True,
    "definition": {
        "filters": {"blobTypes": ["blockBlob"], "prefixMatch": ["checkpoints/"]},
        "actions": {
            "baseBlob": {
                "tierToCool": {"daysAfterModificationGreaterThan": 30},
                "delete": {"daysAfterModificationGreaterThan": 90},
            },
            "version": {"delete": {"daysAfterCreationGreaterThan": 90}},
        },
    },
}
LIFECYCLE: dict[str, Any] = {"managementPolicyName": "default", "policy": {"rules": [RULE]}}


# --- the management policy alone --------------------------------------------------------------------------------
def test_the_component_shape_passes() -> None:
    assert violations(SHAPE, POLICY, LIFECYCLE) == []
    # enabled left out: Azure's default is true
    assert violations(SHAPE, POLICY, changed(LIFECYCLE, "policy.rules.0.enabled", DELETE)) == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("policy.rules.0.enabled", False, "policy.rules.0 ('checkpoints') is disabled"),
        ("policy.rules.0.enabled", "False", "policy.rules.0 ('checkpoints') is disabled"),
        ("policy.rules.0.type", DELETE, "policy.rules.0.type is not set; it must be 'Lifecycle'"),
        ("policy.rules.0.type", "Retention", "policy.rules.0.type is 'Retention'; it must be 'Lifecycle'"),
        ("policy.rules.0.definition.actions", {}, "policy.rules.0 ('checkpoints') takes no action"),
        ("policy.rules", [], "policy.rules is empty or not set"),
        ("policy", DELETE, "policy.rules is empty or not set"),
    ],
)
def test_a_weak_policy_fails(path: str, value: Any, expected: str) -> None:
    found = violations(SHAPE, POLICY, changed(LIFECYCLE, path, value))
    assert len(found) == 1 and found[0].startswith(f"[AML-DAT-006] {expected}"), found


def test_lowercase_lifecycle_is_lifecycle() -> None:
    assert violations(SHAPE, POLICY, changed(LIFECYCLE, "policy.rules.0.type", "lifecycle")) == []


@pytest.mark.parametrize(
    ("path", "value", "unreadable"),
    [
        ("policy.rules", {"rule": RULE}, "policy.rules is unreadable: expected a list"),
        ("policy.rules.0", "checkpoints", "policy.rules.0 is unreadable: expected an object"),
        ("policy.rules.0.enabled", "yes", "policy.rules.0.enabled is unreadable: expected a boolean"),
        ("policy.rules.0.definition.actions", ["delete"], "policy.rules.0.definition.actions is unreadable"),
        (
            "policy.rules.0.definition.actions.baseBlob.delete.daysAfterModificationGreaterThan",
            -1,
            "policy.rules.0.definition.actions.baseBlob.delete.daysAfterModificationGreaterThan is unreadable: "
            "expected a whole number >= 0, got the number -1",
        ),
        (
            "policy.rules.0.definition.actions.version.delete.daysAfterCreationGreaterThan",
            "ninety",
            "policy.rules.0.definition.actions.version.delete.daysAfterCreationGreaterThan is unreadable",
        ),
    ],
)
def test_a_wrong_shape_is_a_violation_not_a_crash(path: str, value: Any, unreadable: str) -> None:
    found = violations(SHAPE, POLICY, changed(LIFECYCLE, path, value))
    assert len(found) == 1 and found[0].startswith(f"[AML-DAT-006] {unreadable}"), found


# --- the checkpoints container is covered ----------------------------------------------------------------------
def _account() -> PolicyResource:
    return stack_resource(ACCOUNT, "st", {"accountName": "st", "resourceGroupName": "rg"}, arm_id=ST_ID)


def _container(account: PolicyResource | str, name: str = "checkpoints") -> PolicyResource:
    if isinstance(account, str):
        return stack_resource(CONTAINER, name, {"containerName": name, "accountName": account})
    return stack_resource(
        CONTAINER, name, {"containerName": name, "accountName": UNKNOWN_STRING_VALUE}, {"accountName": [account]}
    )


def _lifecycle(account: PolicyResource | str, rules: list[Any] | None = None) -> PolicyResource:
    props = copy.deepcopy(LIFECYCLE)
    if rules is not None:
        props["policy"]["rules"] = rules
    if isinstance(account, str):
        return stack_resource(POLICY, "lifecycle", {**props, "accountName": account})
    return stack_resource(
        POLICY, "lifecycle", {**props, "accountName": UNKNOWN_STRING_VALUE}, {"accountName": [account]}
    )


def _uncovered(container: PolicyResource, where: str = "no rule of its lifecycle management policy") -> tuple[str, str]:
    return (
        f"checkpoint container {container.name!r} is covered by {where}; checkpoints then stay hot and are kept for "
        "ever: give its account a storage ManagementPolicy with an enabled Lifecycle rule whose prefixMatch is "
        "'checkpoints/' (or none), blobTypes include blockBlob, and actions.baseBlob.delete and "
        "actions.version.delete are set (the account keeps versions)",
        container.urn,
    )


def test_a_container_covered_by_dependency_or_by_name_passes() -> None:
    account = _account()
    assert run_stack(COVERED, account, _container(account), _lifecycle(account)) == []
    assert run_stack(COVERED, _container("st"), _lifecycle("ST")) == []  # literal names, as Azure reads them


def test_a_container_without_a_lifecycle_policy_fails() -> None:
    account = _account()
    container = _container(account)
    assert run_stack(COVERED, account, container) == [_uncovered(container, "no lifecycle management policy")]
    # a policy on another account covers nothing here
    other = stack_resource(ACCOUNT, "other", {"accountName": "other"})
    assert run_stack(COVERED, account, other, container, _lifecycle(other)) == [
        _uncovered(container, "no lifecycle management policy")
    ]


def _rule(path: str, value: Any) -> dict[str, Any]:
    return changed(RULE, path, value)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("enabled", False),
        ("enabled", "false"),
        ("type", DELETE),
        ("definition.filters.prefixMatch", ["checkpoints/run-1"]),  # one run only
        ("definition.filters.prefixMatch", ["checkpoints-old/"]),  # another container
        ("definition.filters.blobTypes", ["appendBlob"]),
        ("definition.filters.blobIndexMatch", [{"name": "keep", "op": "==", "value": "no"}]),
        ("definition.actions.baseBlob.delete", DELETE),
        ("definition.actions.version", DELETE),  # previous versions kept for ever
        ("definition.actions.version.delete", {}),
        ("definition.actions", "delete"),  # a wrong shape covers nothing (the resource rule reports it)
        ("definition.filters", ["checkpoints/"]),
    ],
)
def test_a_rule_that_does_not_cover_the_whole_container_fails(path: str, value: Any) -> None:
    account = _account()
    container = _container(account)
    assert run_stack(COVERED, account, container, _lifecycle(account, [_rule(path, value)])) == [_uncovered(container)]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("definition.filters.prefixMatch", DELETE),  # every blob of the account
        ("definition.filters.prefixMatch", []),
        ("definition.filters.prefixMatch", ["checkpoints"]),
        ("definition.filters.prefixMatch", ["other/", "checkpoints/"]),
        ("definition.filters.blobTypes", ["appendBlob", "BlockBlob"]),
        ("definition.actions.baseBlob.delete", {"daysAfterLastAccessTimeGreaterThan": "90"}),
        ("enabled", "True"),
    ],
)
def test_a_rule_that_covers_the_whole_container_passes(path: str, value: Any) -> None:
    account = _account()
    assert run_stack(COVERED, account, _container(account), _lifecycle(account, [_rule(path, value)])) == []


def test_one_covering_rule_is_enough_and_other_containers_are_not_judged() -> None:
    account = _account()
    rules = [_rule("enabled", False), RULE]
    assert run_stack(COVERED, account, _container(account), _lifecycle(account, rules)) == []
    assert run_stack(COVERED, account, _container(account, "datasets")) == []
    # the names come from the config
    data = _container(account, "datasets")
    assert run_stack(COVERED, account, data, config={"checkpointContainers": ["datasets"]}) == [
        (_uncovered(data, "no lifecycle management policy")[0].replace("'checkpoints/'", "'datasets/'"), data.urn)
    ]


# --- only a training identity writes ---------------------------------------------------------------------------
def _identity(name: str, principal_id: str | None = None) -> PolicyResource:
    props: dict[str, Any] = {"resourceName": name}
    if principal_id:
        props["principalId"] = principal_id
    return stack_resource(IDENTITY, name, props)


def _cluster(name: str, identity: PolicyResource, compute_type: str = "AmlCompute") -> PolicyResource:
    props = {
        "computeName": name,
        "identity": {"type": "UserAssigned", "userAssignedIdentities": [UNKNOWN_STRING_VALUE]},
        "properties": {"computeType": compute_type},
    }
    return stack_resource(COMPUTE, name, props, {"identity": [identity]})


def _assignment(
    scope: PolicyResource | str, principal: PolicyResource | str, role: str = WRITER, name: str = "writer"
) -> PolicyResource:
    props = {
        "scope": scope if isinstance(scope, str) else UNKNOWN_STRING_VALUE,
        "principalId": principal if isinstance(principal, str) else UNKNOWN_STRING_VALUE,
        "roleDefinitionId": role,
        "principalType": "ServicePrincipal",
    }
    deps = {}
    if not isinstance(scope, str):
        deps["scope"] = [scope]
    if not isinstance(principal, str):
        deps["principalId"] = [principal]
    return stack_resource(ASSIGNMENT, name, props, deps)


def _stack(*more: PolicyResource) -> tuple[PolicyResource, ...]:
    account = _account()
    return (account, _container(account), *more)


def test_the_training_identity_writes_and_others_read() -> None:
    account, container = _stack()
    train = _identity("id-train", principal_id="77777777-7777-7777-7777-777777777777")
    cluster = _cluster("train", train)
    assert run_stack(WRITERS, account, container, train, cluster, _assignment(container, train)) == []
    # by literal principal id, and an ARM id written out for the scope
    literal = _assignment(f"{ST_ID}/blobServices/default/containers/checkpoints/", train.props["principalId"])
    assert run_stack(WRITERS, account, container, train, cluster, literal) == []
    # anyone may read
    assert run_stack(WRITERS, account, container, _assignment(container, GROUP, READER)) == []
    # a write role elsewhere (the account, another container) is not this rule's concern
    assert run_stack(WRITERS, account, container, _assignment(account, GROUP)) == []
    assert (
        run_stack(WRITERS, account, container, _assignment(f"{ST_ID}/blobServices/default/containers/data", GROUP))
        == []
    )


def _flagged(assignment: PolicyResource, role: str, principal: str, why: str) -> tuple[str, str]:
    return (
        f"role assignment {assignment.name!r} grants {role} on a checkpoint container to {principal}: {why}; only a "
        "training identity writes checkpoints, with Storage Blob Data Contributor, and everyone else reads them "
        "(Storage Blob Data Reader)",
        assignment.urn,
    )


NOT_TRAINING = (
    "it is not the identity of a training cluster of the stack (an AmlCompute that no batch deployment runs on)"
)


def test_a_writer_that_is_not_a_training_identity_fails() -> None:
    account, container = _stack()
    people = _assignment(container, GROUP)
    assert run_stack(WRITERS, account, container, people) == [
        _flagged(people, "Storage Blob Data Contributor", f"principal {GROUP!r}", NOT_TRAINING)
    ]
    # an identity that no cluster runs as, and one whose cluster serves a batch deployment
    loose = _identity("id-loose")
    batch_id = _identity("id-batch")
    batch_cluster = _cluster("batch", batch_id)
    deployment = stack_resource(
        BATCH, "deploy", {"properties": {"compute": UNKNOWN_STRING_VALUE}}, {"properties": [batch_cluster]}
    )
    for holder in (loose, batch_id):
        given = _assignment(container, holder)
        assert run_stack(WRITERS, account, container, holder, batch_cluster, deployment, given) == [
            _flagged(given, "Storage Blob Data Contributor", f"the principal of {holder.name!r}", NOT_TRAINING)
        ]
    # a compute instance is not a training cluster
    instance_id = _identity("id-ci")
    given = _assignment(container, instance_id)
    assert run_stack(WRITERS, account, container, instance_id, _cluster("ci", instance_id, "ComputeInstance"), given)


def test_blob_data_owner_fails_even_for_the_training_identity() -> None:
    account, container = _stack()
    train = _identity("id-train")
    owner = _assignment(container, train, BLOB_OWNER.upper())  # role ids read ignoring case
    assert run_stack(WRITERS, account, container, train, _cluster("train", train), owner) == [
        _flagged(
            owner,
            "Storage Blob Data Owner",
            "the principal of 'id-train'",
            "Storage Blob Data Owner also manages access control lists, more than writing checkpoints needs",
        )
    ]
