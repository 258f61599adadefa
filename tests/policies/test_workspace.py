"""The workspace rules (``aml_policies.workspace``): one compliant workspace, one change per case."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from aml_policies import workspace
from aml_policies.core import ResourceRule, type_key
from tests.policies.harness import DELETE, applies, changed, remediated, violations

TOKEN = "azure-native:machinelearningservices:Workspace"
VERSIONED = "azure-native:machinelearningservices/v20241001:Workspace"
APART = "(the two never share a workspace)"
RG = "/subscriptions/0/resourceGroups/rg/providers"
UAI = f"{RG}/Microsoft.ManagedIdentity/userAssignedIdentities/ws-id"
KV = f"{RG}/Microsoft.KeyVault/vaults/kv"
KEY = "https://kv.vault.azure.net/keys/cmk/0123456789abcdef"

WORKSPACE: dict[str, Any] = {
    "workspaceName": "ws",
    "publicNetworkAccess": "Disabled",
    "allowPublicAccessWhenBehindVnet": False,
    "managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"},
    "serverlessComputeSettings": {"serverlessComputeNoPublicIP": True},
    "identity": {"type": "UserAssigned", "userAssignedIdentities": [UAI]},
    "primaryUserAssignedIdentity": UAI,
    "systemDatastoresAuthMode": "Identity",
    "encryption": {
        "status": "Enabled",
        "keyVaultProperties": {"keyVaultArmId": KV, "keyIdentifier": KEY},
        "identity": {"userAssignedIdentity": UAI},
    },
    "hbiWorkspace": True,
    "tags": {"environment": "production"},
}

RULES = {rule.policy_name: rule for rule in workspace.RULES}


@pytest.mark.parametrize("token", [TOKEN, VERSIONED])
def test_happy_workspace_passes_every_rule(token: str) -> None:
    for rule in RULES.values():
        assert applies(rule, token, WORKSPACE), rule.policy_name
        assert violations(rule, token, WORKSPACE) == [], rule.policy_name


def test_every_rule_judges_workspaces_only() -> None:
    for rule in RULES.values():
        assert rule.types == ("machinelearningservices:Workspace",)
        assert not applies(rule, "azure-native:machinelearningservices:Compute", WORKSPACE)
        assert not applies(rule, "azure-native:machinelearningservices:Registry", WORKSPACE)


PRIMARY = "primaryUserAssignedIdentity is not set; name the user-assigned identity that is the primary"

CASES = [
    # AML-NET-001
    (
        "aml-net-001-workspace-public-network-access",
        "publicNetworkAccess",
        "Enabled",
        ["[AML-NET-001] publicNetworkAccess is 'Enabled'; it must be 'Disabled'"],
    ),
    (
        "aml-net-001-workspace-public-network-access",
        "publicNetworkAccess",
        DELETE,
        ["[AML-NET-001] publicNetworkAccess is not set; Azure's default is insecure: set it to 'Disabled'"],
    ),
    (
        "aml-net-001-workspace-public-network-access",
        "allowPublicAccessWhenBehindVnet",
        True,
        ["[AML-NET-001] allowPublicAccessWhenBehindVnet is True; it must not be (public access behind the VNet)"],
    ),
    ("aml-net-001-workspace-public-network-access", "allowPublicAccessWhenBehindVnet", DELETE, []),
    # AML-NET-002
    (
        "aml-net-002-workspace-approved-outbound-only",
        "managedNetwork.isolationMode",
        "AllowInternetOutbound",
        [
            "[AML-NET-002] managedNetwork.isolationMode is 'AllowInternetOutbound'; it must be "
            "'AllowOnlyApprovedOutbound'"
        ],
    ),
    (
        "aml-net-002-workspace-approved-outbound-only",
        "managedNetwork.isolationMode",
        "Disabled",
        ["[AML-NET-002] managedNetwork.isolationMode is 'Disabled'; it must be 'AllowOnlyApprovedOutbound'"],
    ),
    (
        "aml-net-002-workspace-approved-outbound-only",
        "managedNetwork",
        DELETE,
        [
            "[AML-NET-002] managedNetwork.isolationMode is not set; Azure's default is insecure: set it to "
            "'AllowOnlyApprovedOutbound'"
        ],
    ),
    # AML-NET-012
    (
        "aml-net-012-serverless-compute-no-public-ip",
        "serverlessComputeSettings.serverlessComputeNoPublicIP",
        False,
        ["[AML-NET-012] serverlessComputeSettings.serverlessComputeNoPublicIP is False; it must be True"],
    ),
    (
        "aml-net-012-serverless-compute-no-public-ip",
        "serverlessComputeSettings",
        DELETE,
        [
            "[AML-NET-012] serverlessComputeSettings.serverlessComputeNoPublicIP is not set; Azure's default is "
            "insecure: set it to True"
        ],
    ),
    # AML-IAM-001
    (
        "aml-iam-001-workspace-user-assigned-identity",
        "identity.type",
        "SystemAssigned,UserAssigned",
        [
            "[AML-IAM-001] identity.type is 'SystemAssigned,UserAssigned'; it must be 'UserAssigned' (with "
            "system-assigned off, the user-assigned identity is the workspace's primary identity)"
        ],
    ),
    (
        "aml-iam-001-workspace-user-assigned-identity",
        "identity.type",
        "SystemAssigned",
        [
            "[AML-IAM-001] identity.type is 'SystemAssigned'; it must be 'UserAssigned' (with system-assigned off, the "
            "user-assigned identity is the workspace's primary identity)"
        ],
    ),
    (
        "aml-iam-001-workspace-user-assigned-identity",
        "identity",
        DELETE,
        ["[AML-IAM-001] identity is not set; Azure's default is a system-assigned identity: use type 'UserAssigned'"],
    ),
    (
        "aml-iam-001-workspace-user-assigned-identity",
        "primaryUserAssignedIdentity",
        DELETE,
        [f"[AML-IAM-001] {PRIMARY}"],
    ),
    # AML-IAM-009
    (
        "aml-iam-009-workspace-identity-datastores",
        "systemDatastoresAuthMode",
        "AccessKey",
        ["[AML-IAM-009] systemDatastoresAuthMode is 'AccessKey'; it must be 'Identity'"],
    ),
    (
        "aml-iam-009-workspace-identity-datastores",
        "systemDatastoresAuthMode",
        DELETE,
        ["[AML-IAM-009] systemDatastoresAuthMode is not set; Azure's default is 'AccessKey': set it to 'Identity'"],
    ),
    # AML-ENC-001
    (
        "aml-enc-001-workspace-customer-managed-key",
        "encryption.status",
        "Disabled",
        ["[AML-ENC-001] encryption.status is 'Disabled'; it must be 'Enabled'"],
    ),
    (
        "aml-enc-001-workspace-customer-managed-key",
        "encryption.keyVaultProperties.keyIdentifier",
        "",
        ["[AML-ENC-001] encryption.keyVaultProperties.keyIdentifier is not set"],
    ),
    (
        "aml-enc-001-workspace-customer-managed-key",
        "encryption.keyVaultProperties.keyVaultArmId",
        DELETE,
        ["[AML-ENC-001] encryption.keyVaultProperties.keyVaultArmId is not set"],
    ),
    (
        "aml-enc-001-workspace-customer-managed-key",
        "encryption.identity",
        DELETE,
        ["[AML-ENC-001] encryption.identity.userAssignedIdentity is not set (the identity that unwraps the key)"],
    ),
    (
        "aml-enc-001-workspace-customer-managed-key",
        "encryption",
        DELETE,
        [
            "[AML-ENC-001] encryption.status is not set; Azure's default is insecure: set it to 'Enabled'",
            "[AML-ENC-001] encryption.keyVaultProperties.keyVaultArmId is not set",
            "[AML-ENC-001] encryption.keyVaultProperties.keyIdentifier is not set",
            "[AML-ENC-001] encryption.identity.userAssignedIdentity is not set (the identity that unwraps the key)",
        ],
    ),
    # AML-ENC-004
    (
        "aml-enc-004-workspace-high-business-impact",
        "hbiWorkspace",
        False,
        ["[AML-ENC-004] hbiWorkspace is False; it must be True"],
    ),
    (
        "aml-enc-004-workspace-high-business-impact",
        "hbiWorkspace",
        DELETE,
        ["[AML-ENC-004] hbiWorkspace is not set; Azure's default is False: set it to True"],
    ),
    # AML-REL-003
    ("aml-rel-003-workspace-environment-tag", "tags.environment", "exploration", []),
    (
        "aml-rel-003-workspace-environment-tag",
        "tags.environment",
        "dev",
        [f"[AML-REL-003] tags.environment is 'dev'; it must be one of 'exploration', 'production' {APART}"],
    ),
    (
        "aml-rel-003-workspace-environment-tag",
        "tags.environment",
        "Production",
        [],  # the environment tag is compared ignoring case, as every enum-like value
    ),
    (
        "aml-rel-003-workspace-environment-tag",
        "tags",
        DELETE,
        [f"[AML-REL-003] tags.environment is not set; it must be one of 'exploration', 'production' {APART}"],
    ),
]


@pytest.mark.parametrize(("policy", "path", "value", "expected"), CASES)
def test_one_change(policy: str, path: str, value: Any, expected: list[str]) -> None:
    assert violations(RULES[policy], TOKEN, changed(WORKSPACE, path, value)) == expected


def test_only_the_changed_rule_fires() -> None:
    """A case's change breaks its own rule and no other (the happy workspace isolates each rule)."""
    for policy, path, value, _expected in CASES:
        props = changed(WORKSPACE, path, value)
        others = [m for name, r in RULES.items() if name != policy for m in violations(r, TOKEN, props)]
        assert others == [], (policy, path)


def test_versioned_token_is_judged() -> None:
    props = changed(WORKSPACE, "publicNetworkAccess", "Enabled")
    assert violations(RULES["aml-net-001-workspace-public-network-access"], VERSIONED, props) == [
        "[AML-NET-001] publicNetworkAccess is 'Enabled'; it must be 'Disabled'"
    ]
    assert type_key(VERSIONED) == "machinelearningservices:Workspace"


def test_rules_without_remediation_are_not_fixed_automatically() -> None:
    with_fix = sorted(name for name, rule in RULES.items() if rule.remediate is not None)
    assert with_fix == [
        "aml-iam-009-workspace-identity-datastores",
        "aml-net-001-workspace-public-network-access",
        "aml-net-012-serverless-compute-no-public-ip",
    ]


REMEDIATIONS = [
    ("aml-net-001-workspace-public-network-access", "publicNetworkAccess", "Enabled", "Disabled"),
    ("aml-net-001-workspace-public-network-access", "publicNetworkAccess", DELETE, "Disabled"),
    ("aml-net-001-workspace-public-network-access", "allowPublicAccessWhenBehindVnet", True, False),
    (
        "aml-net-012-serverless-compute-no-public-ip",
        "serverlessComputeSettings.serverlessComputeNoPublicIP",
        False,
        True,
    ),
    ("aml-iam-009-workspace-identity-datastores", "systemDatastoresAuthMode", DELETE, "Identity"),
]


@pytest.mark.parametrize(("policy", "path", "bad", "good"), REMEDIATIONS)
def test_remediation(policy: str, path: str, bad: Any, good: Any) -> None:
    rule = RULES[policy]
    fixed = remediated(rule, TOKEN, changed(WORKSPACE, path, bad))
    assert fixed == changed(WORKSPACE, path, good)
    assert violations(rule, TOKEN, fixed) == []
    assert remediated(rule, TOKEN, WORKSPACE) is None


def test_remediation_of_a_bare_workspace_sets_both_public_access_fields() -> None:
    rule = RULES["aml-net-001-workspace-public-network-access"]
    fixed = remediated(rule, TOKEN, {"workspaceName": "ws"})
    assert fixed == {"workspaceName": "ws", "publicNetworkAccess": "Disabled", "allowPublicAccessWhenBehindVnet": False}
    assert violations(rule, TOKEN, fixed) == []


def test_unknown_value_is_never_a_silent_pass() -> None:
    props = changed(WORKSPACE, "publicNetworkAccess", UNKNOWN_STRING_VALUE)
    with pytest.raises(UnknownValueError):
        violations(RULES["aml-net-001-workspace-public-network-access"], TOKEN, props)


def test_rules_are_plain_resource_rules() -> None:
    assert all(isinstance(rule, ResourceRule) for rule in workspace.RULES)
