"""The pack judges values as Azure reads them (issue 14, part 1), over the real protocol.

Each row starts from the compliant fixture (as ``test_pack_mutations`` does), writes one value the way Azure
still accepts it (another case, a boolean or number as a string, a tag in another case) or of the wrong shape,
and asserts which policies the new diagnostics come from: an insecure value is flagged by exactly its control's
policies, a secure one by none, and a value of the wrong shape is a violation named by its policy, never a crash.
"""

from __future__ import annotations

import pytest

from aml_policies.core import COULD_NOT_JUDGE
from hardened_aml.testing import Diagnostic, PolicyPack
from tests.test_pack_mutations import Mutation, both, delete, new_diagnostics, set_

COMPUTE_POLICIES = {
    "aml-net-009-compute-no-public-ip",
    "aml-net-010-compute-ssh-closed",
    "aml-iam-002-compute-local-auth-disabled",
    "aml-iam-008-compute-user-assigned-identity",
    "aml-rel-005-compute-dedicated-priority",
    "aml-cmp-001-cluster-scale-to-zero",
    "aml-cmp-003-compute-allowed-sizes",
}

#: (what is written, the change, the controls whose policies must flag it; empty: nothing is flagged).
INSECURE: list[tuple[str, Mutation, set[str]]] = [
    ("registry adminUserEnabled 'true'", set_("registry", "adminUserEnabled", "true"), {"AML-IAM-005"}),
    ("storage enableHttpsTrafficOnly 'false'", set_("storage", "enableHttpsTrafficOnly", "false"), {"AML-ENC-002"}),
    ("key vault enableSoftDelete 'false'", set_("vault", "properties.enableSoftDelete", "false"), {"AML-DAT-003"}),
    (
        "workspace allowPublicAccessWhenBehindVnet 'True'",
        set_("workspace", "allowPublicAccessWhenBehindVnet", "True"),
        {"AML-NET-001"},
    ),
    (
        "AKS enableRBAC 'false' and disableLocalAccounts 'FALSE'",
        both(set_("aks", "enableRBAC", "false"), set_("aks", "disableLocalAccounts", "FALSE")),
        {"AML-AKS-003"},
    ),
    (
        "cluster vmPriority 'lowpriority'",
        set_("cluster", "properties.properties.vmPriority", "lowpriority"),
        {"AML-REL-005"},
    ),
    (
        "computeType 'amlcompute' with a public IP",
        both(
            set_("cluster", "properties.computeType", "amlcompute"),
            set_("cluster", "properties.properties.enableNodePublicIp", True),
        ),
        {"AML-NET-009"},
    ),
    (
        "computeType 'amlcompute' with open SSH and local auth",
        both(
            set_("cluster", "properties.computeType", "amlcompute"),
            set_("cluster", "properties.properties.remoteLoginPortPublicAccess", "enabled"),
            set_("cluster", "properties.disableLocalAuth", "false"),
        ),
        {"AML-NET-010", "AML-IAM-002"},
    ),
    (
        "environment tag 'Production' on zone-redundant (not geo) storage",
        both(set_("storage", "tags.environment", "Production"), set_("storage", "sku.name", "standard_zrs")),
        {"AML-REL-001"},
    ),
    (
        "cluster minNodeCount '1'",
        set_("cluster", "properties.properties.scaleSettings.minNodeCount", "1"),
        {"AML-CMP-001"},
    ),
    (
        "registry publicNetworkAccess 'enabled'",
        set_("registry", "publicNetworkAccess", "enabled"),
        {"AML-NET-007"},
    ),
]

SECURE: list[tuple[str, Mutation]] = [
    ("systemDatastoresAuthMode 'identity'", set_("workspace", "systemDatastoresAuthMode", "identity")),
    ("computeType 'amlcompute', otherwise compliant", set_("cluster", "properties.computeType", "amlcompute")),
    ("storage enableHttpsTrafficOnly 'TRUE'", set_("storage", "enableHttpsTrafficOnly", "TRUE")),
    ("registry adminUserEnabled 'False'", set_("registry", "adminUserEnabled", "False")),
    (
        "storage sku 'standard_gzrs' tagged 'PRODUCTION'",
        both(set_("storage", "sku.name", "standard_gzrs"), set_("storage", "tags.environment", "PRODUCTION")),
    ),
    ("workspace publicNetworkAccess 'disabled'", set_("workspace", "publicNetworkAccess", "disabled")),
    (
        "key-expiry alert written in other cases, filtered to no event type (all of them)",
        both(
            set_("key-expiry-topic", "topicType", "microsoft.keyvault.VAULTS"),
            set_("key-expiry", "eventDeliverySchema", "cloudeventschemav1_0"),
            set_("key-expiry", "destination.endpointType", "monitoralert"),
            delete("key-expiry", "filter"),
        ),
    ),
]

#: (what is written, the change, the policies that must report it as unreadable).
UNREADABLE: list[tuple[str, Mutation, set[str]]] = [
    *[
        (
            f"outboundRules as {kind}",
            set_("workspace", "managedNetwork.outboundRules", value),
            {"aml-net-014-outbound-rules-coherent", "aml-cost-003-fqdn-rules-bring-a-firewall"},
        )
        for kind, value in (("a list", [{"type": "FQDN"}]), ("a string", "x"), ("a number", 3), ("a bool", True))
    ],
    (
        "an outbound rule that is a string",
        set_("workspace", "managedNetwork.outboundRules", {"r": "pypi.org"}),
        {"aml-net-014-outbound-rules-coherent", "aml-cost-003-fqdn-rules-bring-a-firewall"},
    ),
    ("a compute without computeType", delete("cluster", "properties.computeType"), COMPUTE_POLICIES),
    ("a compute of an unknown type", set_("cluster", "properties.computeType", "Quantum"), COMPUTE_POLICIES),
    ("managedNetwork as a string", set_("workspace", "managedNetwork", "AllowOnlyApprovedOutbound"), set()),
    (
        "a key-expiry subscription whose schema is a number",
        set_("key-expiry", "eventDeliverySchema", 1),
        {"aml-mon-006-production-alerting"},
    ),
]


def _new(pack: PolicyPack, baseline: list[Diagnostic], mutation: Mutation) -> list[Diagnostic]:
    found = new_diagnostics(pack, baseline, mutation)
    assert not [d for d in found if COULD_NOT_JUDGE in d.message], "a rule raised instead of judging"
    return found


@pytest.mark.parametrize(("what", "mutation", "controls"), INSECURE, ids=[w for w, _, _ in INSECURE])
def test_an_insecure_value_written_as_azure_reads_it_is_flagged(
    pack: PolicyPack,
    baseline: list[Diagnostic],
    by_control: dict[str, set[str]],
    what: str,
    mutation: Mutation,
    controls: set[str],
) -> None:
    new = _new(pack, baseline, mutation)
    expected = set().union(*(by_control[c] for c in controls))
    assert {d.policy for d in new} == expected, [f"{d.policy}: {d.message}" for d in new]


@pytest.mark.parametrize(("what", "mutation"), SECURE, ids=[w for w, _ in SECURE])
def test_a_secure_value_in_another_case_passes(
    pack: PolicyPack, baseline: list[Diagnostic], what: str, mutation: Mutation
) -> None:
    assert [f"{d.policy}: {d.message}" for d in _new(pack, baseline, mutation)] == []


@pytest.mark.parametrize(("what", "mutation", "policies"), UNREADABLE, ids=[w for w, _, _ in UNREADABLE])
def test_a_value_of_the_wrong_shape_is_a_violation_named_by_its_policy(
    pack: PolicyPack, baseline: list[Diagnostic], what: str, mutation: Mutation, policies: set[str]
) -> None:
    new = _new(pack, baseline, mutation)
    unreadable = {d.policy for d in new if "unreadable: expected" in d.message}
    assert policies <= unreadable, [f"{d.policy}: {d.message}" for d in new]
    assert new, "a wrong shape is never a silent pass"
