"""The pack judges resources this library did not build: a plain ``pulumi_azure_native`` program.

``tests/fixtures/sdk_program.py`` runs under Pulumi's test engine in a subprocess (one per variant, once
per session); every resource it registers goes to the pack over its gRPC protocol, as
``pulumi preview --policy-pack policies`` sends it. The compliant variant draws no diagnostic at all; the
insecure one (defaults left in place) draws exactly the policies listed here, resource by resource.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hardened_aml.testing import Diagnostic, PolicyPack
from tests.conftest import ROOT
from tests.fixtures.sdk_plan import by_resource, planned, resources


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPack]:
    with PolicyPack(ROOT / "policies") as started:
        yield started


@pytest.fixture(scope="module")
def insecure(pack: PolicyPack) -> dict[str, list[Diagnostic]]:
    return by_resource(pack, resources(planned("insecure")))


def _policies(found: list[Diagnostic]) -> set[str]:
    return {d.policy for d in found}


def _messages(found: list[Diagnostic], policy: str) -> list[str]:
    return sorted(d.message for d in found if d.policy == policy)


TAGS = "aml-cost-002-cost-allocation-tags"
BUDGET = "aml-cost-001-budget-with-alerts"
WORKSPACE_POLICIES = {
    TAGS,
    "aml-enc-001-workspace-customer-managed-key",
    "aml-enc-004-workspace-high-business-impact",
    "aml-iam-001-workspace-user-assigned-identity",
    "aml-iam-009-workspace-identity-datastores",
    "aml-mon-001-workspace-resource-logs",
    "aml-net-001-workspace-public-network-access",
    "aml-net-002-workspace-approved-outbound-only",
    "aml-net-012-serverless-compute-no-public-ip",
    "aml-rel-006-production-delete-locks",
    "aml-mon-006-production-alerting",
}

#: Resource name -> the exact set of policies that flag it in the insecure variant (the budget's
#: AML-COST-001 is checked apart: it is filed under the stack's first workspace).
INSECURE: dict[str, set[str]] = {
    "rg": {TAGS},
    "identity": {TAGS},
    "logs": {TAGS},
    "insights": {TAGS, "aml-mon-003-workspace-based-application-insights"},
    "storage": {
        TAGS,
        "aml-dat-001-storage-no-anonymous-blob-access",
        "aml-enc-002-storage-secure-transfer",
        "aml-enc-005-storage-customer-managed-key",
        "aml-enc-006-storage-infrastructure-encryption",
        "aml-enc-007-storage-queue-table-account-key",
        "aml-iam-006-storage-no-shared-key",
        "aml-mon-002-dependency-diagnostics",
        "aml-mon-009-storage-service-logs",
        "aml-net-005-storage-private-access",
        "aml-rel-001-storage-zone-redundant",
        "aml-rel-006-production-delete-locks",
    },
    "blob": {"aml-dat-002-blob-versioning-and-soft-delete"},
    "checkpoints": {"aml-dat-006-checkpoints-expire"},
    "checkpoints-writer": {"aml-dat-007-only-training-writes-checkpoints"},
    "vault": {
        TAGS,
        "aml-dat-003-key-vault-purge-protection",
        "aml-enc-009-key-vault-premium",
        "aml-iam-004-key-vault-rbac-authorization",
        "aml-mon-002-dependency-diagnostics",
        "aml-mon-006-production-alerting",
        "aml-net-006-key-vault-private-access",
        "aml-rel-006-production-delete-locks",
    },
    "cmk": {"aml-enc-003-key-rotation-policy", "aml-enc-009-key-hsm-size-expiry"},
    "registry": {
        TAGS,
        "aml-dat-004-registry-retention-policy",
        "aml-dat-005-registry-exports-disabled",
        "aml-enc-008-registry-customer-managed-key",
        "aml-iam-005-registry-no-admin-or-anonymous-pull",
        "aml-mon-002-dependency-diagnostics",
        "aml-net-007-registry-private-access",
        "aml-rel-002-registry-premium-zone-redundant",
        "aml-rel-006-production-delete-locks",
    },
    "workspace": WORKSPACE_POLICIES | {"aml-net-008-dependency-private-endpoints"},
    # The versioned type token is judged like the unversioned one; it has no private endpoint at all.
    "workspace-v20240401": WORKSPACE_POLICIES | {"aml-net-003-workspace-private-endpoint"},
    "vnet": {TAGS},
    "nsg": {TAGS},
    "subnet-pe": set(),
    **{f"zone-{z}": {TAGS} for z in ("api", "notebooks", "blob", "file", "vaultcore", "azurecr")},
    "pe-workspace": {TAGS, "aml-net-004-workspace-private-dns-zones"},
    "pe-workspace-dns": set(),
    "pe-blob": {TAGS},
    "pe-blob-dns": set(),
    "diag-workspace": set(),
    "ws-contributor": {"aml-iam-003-workspace-least-privilege", "aml-iam-011-no-privileged-workload-identity"},
    "cluster": {
        TAGS,
        "aml-cmp-001-cluster-scale-to-zero",
        "aml-cmp-003-compute-allowed-sizes",
        "aml-iam-002-compute-local-auth-disabled",
        "aml-iam-008-compute-user-assigned-identity",
        "aml-net-009-compute-no-public-ip",
        "aml-net-010-compute-ssh-closed",
        "aml-net-011-compute-in-virtual-network",
        "aml-rel-005-compute-dedicated-priority",
    },
    "instance": {
        TAGS,
        "aml-cmp-002-compute-instance-idle-shutdown",
        "aml-iam-002-compute-local-auth-disabled",
        "aml-iam-010-compute-instance-assigned-user",
        "aml-net-009-compute-no-public-ip",
        "aml-net-011-compute-in-virtual-network",
    },
    "online": {TAGS, "aml-net-013-online-endpoint-private", "aml-mon-006-production-alerting"},
    "online-blue": {
        TAGS,
        "aml-mon-004-online-deployment-app-insights",
        "aml-net-013-online-deployment-no-public-egress",
        "aml-rel-008-online-deployment-probes",
    },
    "online-blue-autoscale": {"aml-cmp-004-online-deployment-autoscale"},
    "batch": {TAGS},
    "batch-main": {TAGS, "aml-rel-005-batch-deployment-dedicated-compute"},
    "aks": {
        TAGS,
        "aml-aks-001-cluster-pool-zones",
        "aml-aks-002-private-api-server",
        "aml-aks-003-entra-rbac-no-local-accounts",
        "aml-aks-004-standard-tier",
        "aml-aks-005-azure-cni-network-policy",
        "aml-aks-006-auto-upgrade",
        "aml-aks-007-monitoring-and-policy-addons",
        "aml-aks-008-cluster-pool-autoscaling",
        "aml-aks-010-cluster-pool-encryption-at-host",
        "aml-aks-011-cluster-pool-ssh-disabled",
        "aml-aks-014-disk-encryption-set",
        "aml-aks-015-defender-profile",
        "aml-aks-016-workload-identity",
        "aml-aks-017-image-cleaner",
        "aml-mon-005-aks-audit-logs",
        "aml-aks-020-cluster-pool-max-pods",
        "aml-aks-023-maintenance-window",
        "aml-aks-029-kms-etcd-encryption",
        "aml-mon-008-aks-platform-logs",
        "aml-aks-025-private-egress",
    },
    "aks-inference": {
        "aml-aks-020-agent-pool-max-pods",
        "aml-aks-001-agent-pool-zones",
        "aml-aks-008-agent-pool-autoscaling",
        "aml-aks-010-agent-pool-encryption-at-host",
        "aml-aks-011-agent-pool-ssh-disabled",
        "aml-aks-018-agent-pool-min-nodes-scale-sets",
    },
    "budget": set(),
    "assign-vnet": {"aml-gov-009-production-assignments-enforced"},
}


def test_the_program_uses_the_sdk_only_and_registers_custom_resources() -> None:
    source = (ROOT / "tests" / "fixtures" / "sdk_program.py").read_text(encoding="utf-8")
    assert "hardened_aml" not in source
    for variant in ("compliant", "insecure"):
        entries = planned(variant)
        assert [e["type"] for e in entries if not e["custom"]] == ["pulumi:pulumi:Stack"]
        assert all(e["type"].startswith("azure-native:") for e in entries if e["custom"])


def test_union_inputs_reach_the_engine_in_camel_case() -> None:
    entries = {e["name"]: e["inputs"] for e in planned("compliant")}
    cluster = entries["cluster"]["properties"]
    assert cluster["computeType"] == "AmlCompute" and cluster["disableLocalAuth"] is True
    assert cluster["properties"]["enableNodePublicIp"] is False
    assert entries["online-blue"]["properties"]["egressPublicNetworkAccess"] == "Disabled"


def test_the_compliant_program_draws_no_diagnostic(pack: PolicyPack) -> None:
    judged = resources(planned("compliant"))
    assert len(judged) > 40
    assert [f"{d.policy}: {d.message}" for d in pack.check(judged)] == []


def test_the_insecure_program_is_flagged_resource_by_resource(insecure: dict[str, list[Diagnostic]]) -> None:
    judged = {r.name for r in resources(planned("insecure"))}
    assert judged == set(INSECURE)
    found = {name: _policies(insecure.get(name, [])) - {BUDGET} for name in judged}
    assert found == INSECURE
    assert "" not in insecure  # every diagnostic names its resource


def test_the_missing_budget_alerts_are_reported_once_on_a_workspace(insecure: dict[str, list[Diagnostic]]) -> None:
    budget = [(name, d) for name, found in insecure.items() for d in found if d.policy == BUDGET]
    assert len(budget) == 1
    name, diagnostic = budget[0]
    assert name in ("workspace", "workspace-v20240401")
    assert diagnostic.message == (
        "[AML-COST-001] the stack builds a workspace but no consumption budget with alert notifications"
    )
    assert diagnostic.enforcement == "advisory"


def test_versioned_type_tokens_are_judged(insecure: dict[str, list[Diagnostic]]) -> None:
    versioned = [r for r in resources(planned("insecure")) if r.name == "workspace-v20240401"]
    assert [r.type for r in versioned] == ["azure-native:machinelearningservices/v20240401:Workspace"]
    assert _messages(insecure["workspace-v20240401"], "aml-net-001-workspace-public-network-access") == [
        "[AML-NET-001] publicNetworkAccess is 'Enabled'; it must be 'Disabled'"
    ]


@pytest.mark.parametrize(
    ("name", "policy", "messages"),
    [
        (
            "workspace",
            "aml-iam-001-workspace-user-assigned-identity",
            [
                "[AML-IAM-001] identity.type is 'SystemAssigned'; it must be 'UserAssigned' (with system-assigned "
                "off, the user-assigned identity is the workspace's primary identity)",
                "[AML-IAM-001] primaryUserAssignedIdentity is not set; name the user-assigned identity that is the "
                "primary",
            ],
        ),
        (
            "workspace",
            "aml-net-008-dependency-private-endpoints",
            [
                "[AML-NET-008] containerRegistry 'registry' of workspace 'workspace' has no private endpoint with "
                "group id 'registry'",
                "[AML-NET-008] keyVault 'vault' of workspace 'workspace' has no private endpoint with group id 'vault'",
                "[AML-NET-008] storageAccount 'storage' of workspace 'workspace' has no private endpoint with group "
                "id 'file'",
            ],
        ),
        (
            "pe-workspace",
            "aml-net-004-workspace-private-dns-zones",
            [
                "[AML-NET-004] private endpoint 'pe-workspace' of workspace 'workspace' has no DNS zone group entry "
                "for privatelink.notebooks.azure.net; both workspace zones are needed (the built-in DINE policy "
                "sets only the first)"
            ],
        ),
        (
            "ws-contributor",
            "aml-iam-003-workspace-least-privilege",
            [
                "[AML-IAM-003] role assignment 'ws-contributor' grants Contributor on a workspace; use AzureML Data "
                "Scientist, AzureML Compute Operator or Reader",
                "[AML-IAM-003] role assignment 'ws-contributor' grants a role to a single user (principalType "
                "'User'); assign roles to Entra ID groups (principalType 'Group')",
            ],
        ),
        (
            "cluster",
            "aml-net-009-compute-no-public-ip",
            # The SDK's AmlComputePropertiesArgs fills in Azure's default: a public IP.
            ["[AML-NET-009] properties.properties.enableNodePublicIp is True; it must be False"],
        ),
        (
            "cluster",
            "aml-net-011-compute-in-virtual-network",
            [
                "[AML-NET-011] Compute 'cluster': properties.properties.subnet is not set and workspace 'workspace' "
                "has managedNetwork.isolationMode not set; it must be in a subnet or in a workspace whose "
                "isolationMode is 'AllowInternetOutbound' or 'AllowOnlyApprovedOutbound'"
            ],
        ),
        (
            "storage",
            "aml-iam-006-storage-no-shared-key",
            [
                "[AML-IAM-006] allowSharedKeyAccess is not set; Azure's default is True: set it to False",
                "[AML-IAM-006] isLocalUserEnabled is not set; Azure's default is insecure: set it to False (no SFTP / "
                "local-user passwords or keys)",
            ],
        ),
        (
            "registry",
            "aml-iam-005-registry-no-admin-or-anonymous-pull",
            [
                "[AML-IAM-005] adminUserEnabled is True; it must not be (use Entra identities, not the shared admin "
                "account)"
            ],
        ),
        (
            "online-blue",
            "aml-net-013-online-deployment-no-public-egress",
            # The SDK's ManagedOnlineDeploymentArgs defaults egress to Enabled.
            ["[AML-NET-013] properties.egressPublicNetworkAccess is 'Enabled'; it must be 'Disabled'"],
        ),
        (
            "online-blue-autoscale",
            "aml-cmp-004-online-deployment-autoscale",
            [
                "[AML-CMP-004] AutoscaleSetting 'online-blue-autoscale' of OnlineDeployment 'online-blue': enabled "
                "is not true (Azure's default is false)"
            ],
        ),
        (
            "aks",
            "aml-aks-002-private-api-server",
            [
                "[AML-AKS-002] apiServerAccessProfile.enablePrivateCluster is not set; Azure's default is insecure: "
                "set it to True",
                "[AML-AKS-002] apiServerAccessProfile.disableRunCommand is not set; Azure's default is False: set "
                "it to True (command invoke bypasses the private API server)",
            ],
        ),
    ],
)
def test_insecure_messages(insecure: dict[str, list[Diagnostic]], name: str, policy: str, messages: list[str]) -> None:
    assert _messages(insecure[name], policy) == sorted(messages)


def test_enforcement_levels_follow_the_catalogue(pack: PolicyPack, insecure: dict[str, list[Diagnostic]]) -> None:
    levels = {p.name: ("mandatory" if p.enforcementLevel == 1 else "advisory") for p in pack.client.info().policies}
    for found in insecure.values():
        for diagnostic in found:
            assert diagnostic.enforcement == levels[diagnostic.policy], diagnostic
