"""The compute rules (``aml_policies.compute``): one compliant cluster and instance, one change per case."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from aml_catalogue import parse_duration
from aml_policies import compute
from aml_policies.core import ResourceRule, StackRule
from tests.policies.harness import (
    DELETE,
    all_violations,
    changed,
    judges,
    remediated,
    run_stack,
    stack_resource,
    violations,
)

TOKEN = "azure-native:machinelearningservices:Compute"
VERSIONED = "azure-native:machinelearningservices/v20240401:Compute"
UAI = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aml"
SUBNET = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/compute"

CLUSTER: dict[str, Any] = {
    "workspaceName": "ws",
    "computeName": "cpu-cluster",
    "identity": {"type": "UserAssigned", "userAssignedIdentities": [UAI]},
    "properties": {
        "computeType": "AmlCompute",
        "disableLocalAuth": True,
        "properties": {
            "enableNodePublicIp": False,
            "remoteLoginPortPublicAccess": "Disabled",
            "vmSize": "Standard_DS3_v2",
            "vmPriority": "Dedicated",
            "subnet": {"id": SUBNET},
            "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 4, "nodeIdleTimeBeforeScaleDown": "PT15M"},
        },
    },
}

INSTANCE: dict[str, Any] = {
    "workspaceName": "ws",
    "computeName": "ci-alice",
    "properties": {
        "computeType": "ComputeInstance",
        "disableLocalAuth": True,
        "properties": {
            "enableNodePublicIp": False,
            "vmSize": "Standard_DS3_v2",
            "sshSettings": {"sshPublicAccess": "Disabled"},
            "idleTimeBeforeShutdown": "PT60M",
            "personalComputeInstanceSettings": {"assignedUser": {"objectId": "1111", "tenantId": "2222"}},
        },
    },
}

RULES = {rule.policy_name: rule for rule in compute.RULES if isinstance(rule, ResourceRule)}


@pytest.mark.parametrize("base", [CLUSTER, INSTANCE], ids=["cluster", "instance"])
@pytest.mark.parametrize("token", [TOKEN, VERSIONED])
def test_happy_resources_pass_every_rule(base: dict[str, Any], token: str) -> None:
    assert all_violations(RULES.values(), token, base) == []


CASES = [
    # AML-NET-009
    (
        "aml-net-009-compute-no-public-ip",
        CLUSTER,
        "properties.properties.enableNodePublicIp",
        True,
        ["[AML-NET-009] properties.properties.enableNodePublicIp is True; it must be False"],
    ),
    (
        "aml-net-009-compute-no-public-ip",
        CLUSTER,
        "properties.properties.enableNodePublicIp",
        DELETE,
        ["[AML-NET-009] properties.properties.enableNodePublicIp is not set; Azure's default is True: set it to False"],
    ),
    (
        "aml-net-009-compute-no-public-ip",
        INSTANCE,
        "properties.properties.enableNodePublicIp",
        DELETE,
        ["[AML-NET-009] properties.properties.enableNodePublicIp is not set; Azure's default is True: set it to False"],
    ),
    # AML-NET-010
    (
        "aml-net-010-compute-ssh-closed",
        CLUSTER,
        "properties.properties.remoteLoginPortPublicAccess",
        "NotSpecified",
        [
            "[AML-NET-010] properties.properties.remoteLoginPortPublicAccess is 'NotSpecified'; it must be "
            "'Disabled' ('NotSpecified' leaves the SSH port open on every node when no subnet is set)"
        ],
    ),
    (
        "aml-net-010-compute-ssh-closed",
        CLUSTER,
        "properties.properties.remoteLoginPortPublicAccess",
        DELETE,
        [
            "[AML-NET-010] properties.properties.remoteLoginPortPublicAccess is not set; Azure's default is "
            "insecure: set it to 'Disabled' ('NotSpecified' leaves the SSH port open on every node when no subnet "
            "is set)"
        ],
    ),
    (
        "aml-net-010-compute-ssh-closed",
        INSTANCE,
        "properties.properties.sshSettings.sshPublicAccess",
        "Enabled",
        ["[AML-NET-010] properties.properties.sshSettings.sshPublicAccess is 'Enabled'; it must be 'Disabled'"],
    ),
    ("aml-net-010-compute-ssh-closed", INSTANCE, "properties.properties.sshSettings", DELETE, []),
    # AML-IAM-002
    (
        "aml-iam-002-compute-local-auth-disabled",
        CLUSTER,
        "properties.disableLocalAuth",
        False,
        ["[AML-IAM-002] properties.disableLocalAuth is False; it must be True"],
    ),
    (
        "aml-iam-002-compute-local-auth-disabled",
        INSTANCE,
        "properties.disableLocalAuth",
        DELETE,
        ["[AML-IAM-002] properties.disableLocalAuth is not set; Azure's default is insecure: set it to True"],
    ),
    # AML-IAM-008
    (
        "aml-iam-008-compute-user-assigned-identity",
        CLUSTER,
        "identity",
        DELETE,
        ["[AML-IAM-008] identity.type is not set; it must include 'UserAssigned'"],
    ),
    (
        "aml-iam-008-compute-user-assigned-identity",
        CLUSTER,
        "identity",
        {"type": "SystemAssigned"},
        [
            "[AML-IAM-008] identity.type is 'SystemAssigned'; it must include 'UserAssigned'",
            "[AML-IAM-008] identity.userAssignedIdentities is not set; name the cluster's user-assigned identity",
        ],
    ),
    ("aml-iam-008-compute-user-assigned-identity", CLUSTER, "identity.type", "SystemAssigned,UserAssigned", []),
    (
        "aml-iam-008-compute-user-assigned-identity",
        CLUSTER,
        "identity.userAssignedIdentities",
        [],
        ["[AML-IAM-008] identity.userAssignedIdentities is not set; name the cluster's user-assigned identity"],
    ),
    # AML-IAM-010
    (
        "aml-iam-010-compute-instance-assigned-user",
        INSTANCE,
        "properties.properties.personalComputeInstanceSettings",
        DELETE,
        [
            "[AML-IAM-010] properties.properties.personalComputeInstanceSettings.assignedUser.objectId is not set "
            "(a compute instance is assigned to one user)"
        ],
    ),
    # AML-REL-005
    (
        "aml-rel-005-compute-dedicated-priority",
        CLUSTER,
        "properties.properties.vmPriority",
        "LowPriority",
        [
            "[AML-REL-005] properties.properties.vmPriority is 'LowPriority'; it must be 'Dedicated' unless the "
            "cluster is tagged hardened-aml/interruptible=true (its jobs tolerate eviction)"
        ],
    ),
    (
        "aml-rel-005-compute-dedicated-priority",
        changed(CLUSTER, "tags", {"hardened-aml/interruptible": "true"}),
        "properties.properties.vmPriority",
        "LowPriority",
        [],
    ),
    ("aml-rel-005-compute-dedicated-priority", CLUSTER, "properties.properties.vmPriority", DELETE, []),
    # AML-CMP-001
    (
        "aml-cmp-001-cluster-scale-to-zero",
        CLUSTER,
        "properties.properties.scaleSettings.minNodeCount",
        1,
        ["[AML-CMP-001] properties.properties.scaleSettings.minNodeCount is 1; it must be 0 (scale to zero)"],
    ),
    ("aml-cmp-001-cluster-scale-to-zero", CLUSTER, "properties.properties.scaleSettings.minNodeCount", DELETE, []),
    (
        "aml-cmp-001-cluster-scale-to-zero",
        CLUSTER,
        "properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown",
        "PT2H",
        [
            "[AML-CMP-001] properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown is 'PT2H'; it must be at "
            "most PT30M"
        ],
    ),
    (
        "aml-cmp-001-cluster-scale-to-zero",
        CLUSTER,
        "properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown",
        "30 minutes",
        [
            "[AML-CMP-001] properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown is '30 minutes'; it must "
            "be an ISO-8601 duration of at most PT30M"
        ],
    ),
    (
        "aml-cmp-001-cluster-scale-to-zero",
        CLUSTER,
        "properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown",
        DELETE,
        [
            "[AML-CMP-001] properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown is not set; it must be "
            "an ISO-8601 duration of at most PT30M"
        ],
    ),
    # AML-CMP-002
    (
        "aml-cmp-002-compute-instance-idle-shutdown",
        INSTANCE,
        "properties.properties.idleTimeBeforeShutdown",
        DELETE,
        [
            "[AML-CMP-002] properties.properties.idleTimeBeforeShutdown is not set; it must be an ISO-8601 duration "
            "from PT15M to P3D"
        ],
    ),
    (
        "aml-cmp-002-compute-instance-idle-shutdown",
        INSTANCE,
        "properties.properties.idleTimeBeforeShutdown",
        "PT10M",
        [
            "[AML-CMP-002] properties.properties.idleTimeBeforeShutdown is 'PT10M'; it must be an ISO-8601 duration "
            "from PT15M to P3D"
        ],
    ),
    (
        "aml-cmp-002-compute-instance-idle-shutdown",
        INSTANCE,
        "properties.properties.idleTimeBeforeShutdown",
        "P4D",
        [
            "[AML-CMP-002] properties.properties.idleTimeBeforeShutdown is 'P4D'; it must be an ISO-8601 duration "
            "from PT15M to P3D"
        ],
    ),
    ("aml-cmp-002-compute-instance-idle-shutdown", INSTANCE, "properties.properties.idleTimeBeforeShutdown", "P3D", []),
    (
        "aml-cmp-002-compute-instance-idle-shutdown",
        INSTANCE,
        "properties.properties.idleTimeBeforeShutdown",
        "PT15M",
        [],
    ),
    # AML-CMP-003
    (
        "aml-cmp-003-compute-allowed-sizes",
        CLUSTER,
        "properties.properties.vmSize",
        "Standard_HB120rs_v3",
        [
            f"[AML-CMP-003] properties.properties.vmSize is 'Standard_HB120rs_v3'; it must be one of "
            f"{', '.join(compute.DEFAULT_VM_SIZES + compute.DISTRIBUTED_GPU_SIZES)}"
        ],
    ),
    ("aml-cmp-003-compute-allowed-sizes", INSTANCE, "properties.properties.vmSize", "STANDARD_DS3_V2", []),
    (
        "aml-cmp-003-compute-allowed-sizes",
        CLUSTER,
        "properties.properties.scaleSettings.maxNodeCount",
        11,
        ["[AML-CMP-003] properties.properties.scaleSettings.maxNodeCount is 11; it must be at most 10"],
    ),
    (
        "aml-cmp-003-compute-allowed-sizes",
        CLUSTER,
        "properties.properties.scaleSettings.maxNodeCount",
        DELETE,
        ["[AML-CMP-003] properties.properties.scaleSettings.maxNodeCount is not set; it must be at most 10"],
    ),
]


@pytest.mark.parametrize(("policy", "base", "path", "value", "expected"), CASES)
def test_one_change(policy: str, base: dict[str, Any], path: str, value: Any, expected: list[str]) -> None:
    assert violations(RULES[policy], TOKEN, changed(base, path, value)) == expected


def test_versioned_token_is_judged() -> None:
    props = changed(CLUSTER, "properties.properties.enableNodePublicIp", True)
    assert violations(RULES["aml-net-009-compute-no-public-ip"], VERSIONED, props) == [
        "[AML-NET-009] properties.properties.enableNodePublicIp is True; it must be False"
    ]


@pytest.mark.parametrize("kind", ["Kubernetes", "AKS", "VirtualMachine"])
def test_other_compute_types_are_judged_by_local_auth_only(kind: str) -> None:
    props = {"workspaceName": "ws", "properties": {"computeType": kind, "properties": {}}}
    assert [name for name, rule in RULES.items() if judges(rule, TOKEN, props)] == [
        "aml-iam-002-compute-local-auth-disabled"
    ]


@pytest.mark.parametrize("kind", compute.ALL_COMPUTE_TYPES)
def test_local_auth_is_checked_on_every_compute_type(kind: str) -> None:
    """P1 (PSRule Azure.ML.DisableLocalAuth, built-in e96a9a5f): no computeType filter."""
    rule = RULES["aml-iam-002-compute-local-auth-disabled"]
    props = {"workspaceName": "ws", "properties": {"computeType": kind, "disableLocalAuth": True}}
    assert violations(rule, TOKEN, props) == []
    assert violations(rule, TOKEN, changed(props, "properties.disableLocalAuth", DELETE)) == [
        "[AML-IAM-002] properties.disableLocalAuth is not set; Azure's default is insecure: set it to True"
    ]
    assert violations(rule, TOKEN, changed(props, "properties.disableLocalAuth", False)) == [
        "[AML-IAM-002] properties.disableLocalAuth is False; it must be True"
    ]


def test_each_rule_judges_its_compute_types() -> None:
    judged = {
        name: [kind for kind, base in (("cluster", CLUSTER), ("instance", INSTANCE)) if judges(rule, TOKEN, base)]
        for name, rule in RULES.items()
    }
    assert judged == {
        "aml-net-009-compute-no-public-ip": ["cluster", "instance"],
        "aml-net-010-compute-ssh-closed": ["cluster", "instance"],
        "aml-iam-002-compute-local-auth-disabled": ["cluster", "instance"],
        "aml-iam-008-compute-user-assigned-identity": ["cluster"],
        "aml-iam-010-compute-instance-assigned-user": ["instance"],
        "aml-rel-005-compute-dedicated-priority": ["cluster"],
        "aml-cmp-001-cluster-scale-to-zero": ["cluster"],
        "aml-cmp-002-compute-instance-idle-shutdown": ["instance"],
        "aml-cmp-003-compute-allowed-sizes": ["cluster", "instance"],
        "aml-cmp-005-cluster-core-quota": ["cluster"],
    }


def test_config_overrides_defaults() -> None:
    rule = RULES["aml-cmp-003-compute-allowed-sizes"]
    props = changed(CLUSTER, "properties.properties.vmSize", "Standard_NC6s_v3")
    only = {"allowedVmSizes": ["Standard_DS3_v2"], "allowedDistributedGpuSizes": [], "maxNodes": 2}
    assert violations(rule, TOKEN, props, only) == [
        "[AML-CMP-003] properties.properties.vmSize is 'Standard_NC6s_v3'; it must be one of Standard_DS3_v2",
        "[AML-CMP-003] properties.properties.scaleSettings.maxNodeCount is 4; it must be at most 2",
    ]
    idle = RULES["aml-cmp-001-cluster-scale-to-zero"]
    assert violations(idle, TOKEN, CLUSTER, {"maxIdleBeforeScaleDown": "PT10M"}) == [
        "[AML-CMP-001] properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown is 'PT15M'; it must be at "
        "most PT10M"
    ]


def test_config_schemas_have_type_and_default() -> None:
    for rule in compute.RULES:
        for schema in rule.config.values():
            assert "type" in schema and "default" in schema


REMEDIATIONS = [
    ("aml-net-009-compute-no-public-ip", CLUSTER, "properties.properties.enableNodePublicIp", True, False),
    (
        "aml-net-010-compute-ssh-closed",
        CLUSTER,
        "properties.properties.remoteLoginPortPublicAccess",
        "Enabled",
        "Disabled",
    ),
    (
        "aml-net-010-compute-ssh-closed",
        INSTANCE,
        "properties.properties.sshSettings.sshPublicAccess",
        "Enabled",
        "Disabled",
    ),
    ("aml-iam-002-compute-local-auth-disabled", INSTANCE, "properties.disableLocalAuth", DELETE, True),
    (
        "aml-cmp-002-compute-instance-idle-shutdown",
        INSTANCE,
        "properties.properties.idleTimeBeforeShutdown",
        DELETE,
        "PT60M",
    ),
]


@pytest.mark.parametrize(("policy", "base", "path", "bad", "good"), REMEDIATIONS)
def test_remediation(policy: str, base: dict[str, Any], path: str, bad: Any, good: Any) -> None:
    rule = RULES[policy]
    fixed = remediated(rule, TOKEN, changed(base, path, bad))
    assert fixed == changed(base, path, good)
    assert violations(rule, TOKEN, fixed) == []
    assert remediated(rule, TOKEN, base) is None


def test_idle_shutdown_remediation_uses_config() -> None:
    rule = RULES["aml-cmp-002-compute-instance-idle-shutdown"]
    props = changed(INSTANCE, "properties.properties.idleTimeBeforeShutdown", DELETE)
    fixed = remediated(rule, TOKEN, props, {"idleTimeBeforeShutdown": "PT2H"})
    assert fixed["properties"]["properties"]["idleTimeBeforeShutdown"] == "PT2H"


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("PT30M", 30), ("PT1H30M", 90), ("P1D", 1440), ("P1DT1M", 1441), ("PT90S", 1.5), ("pt15m", 15)],
)
def test_parse_duration(text: str, minutes: float) -> None:
    parsed = parse_duration(text)
    assert parsed is not None and parsed.total_seconds() == minutes * 60


@pytest.mark.parametrize("text", ["P", "PT", "30M", "P1M", "PT1H2", "", None, 30])
def test_parse_duration_rejects(text: Any) -> None:
    assert parse_duration(text) is None


# --- AML-NET-011: the stack rule ---------------------------------------------------------------------
NETWORK_RULE = next(r for r in compute.RULES if isinstance(r, StackRule) and r.control == "AML-NET-011")
WS_TOKEN = "azure-native:machinelearningservices:Workspace"


def _workspace(name: str, mode: str | None) -> PolicyResource:
    props: dict[str, Any] = {"workspaceName": name}
    if mode is not None:
        props["managedNetwork"] = {"isolationMode": mode}
    return stack_resource(WS_TOKEN, name, props)


def test_net011_subnet_without_managed_network_passes() -> None:
    ws = _workspace("ws", None)
    cluster = stack_resource(TOKEN, "cpu", CLUSTER, {"workspaceName": [ws]})
    assert run_stack(NETWORK_RULE, ws, cluster) == []


def test_net011_managed_network_without_subnet_passes() -> None:
    ws = _workspace("ws", "AllowOnlyApprovedOutbound")
    instance = stack_resource(VERSIONED, "ci", INSTANCE, {"workspaceName": [ws]})
    assert run_stack(NETWORK_RULE, ws, instance) == []


def test_net011_no_subnet_and_no_managed_network_fails() -> None:
    ws = _workspace("ws", "Disabled")
    cluster = stack_resource(
        TOKEN, "cpu", changed(CLUSTER, "properties.properties.subnet", DELETE), {"workspaceName": [ws]}
    )
    assert run_stack(NETWORK_RULE, ws, cluster) == [
        (
            "Compute 'cpu': properties.properties.subnet is not set and workspace 'ws' has "
            "managedNetwork.isolationMode 'Disabled'; it must be in a subnet or in a workspace whose isolationMode "
            "is 'AllowInternetOutbound' or 'AllowOnlyApprovedOutbound'",
            cluster.urn,
        )
    ]


def test_net011_subnet_and_managed_network_fails() -> None:
    ws = _workspace("ws", "AllowInternetOutbound")
    cluster = stack_resource(TOKEN, "cpu", CLUSTER, {"workspaceName": [ws]})
    assert run_stack(NETWORK_RULE, ws, cluster) == [
        (
            "Compute 'cpu': properties.properties.subnet is set, but workspace 'ws' uses a managed network "
            "(managedNetwork.isolationMode 'AllowInternetOutbound'); compute in a managed VNet takes no subnet",
            cluster.urn,
        )
    ]


def test_net011_unrelated_managed_workspace_does_not_count() -> None:
    managed = _workspace("managed", "AllowOnlyApprovedOutbound")
    plain = _workspace("plain", None)
    cluster = stack_resource(
        TOKEN, "cpu", changed(CLUSTER, "properties.properties.subnet", DELETE), {"workspaceName": [plain]}
    )
    messages = run_stack(NETWORK_RULE, managed, plain, cluster)
    assert [urn for _, urn in messages] == [cluster.urn]
    assert "workspace 'plain' has managedNetwork.isolationMode not set" in messages[0][0]


def test_net011_workspace_named_by_a_literal_name_is_related() -> None:
    """A program may write the workspace's name out instead of passing its output: same name, same group."""
    cluster = stack_resource(TOKEN, "cpu", changed(CLUSTER, "properties.properties.subnet", DELETE))
    assert cluster.props["workspaceName"] == "ws"
    assert run_stack(NETWORK_RULE, _workspace("ws", "AllowOnlyApprovedOutbound"), cluster) == []


def test_net011_workspace_outside_the_stack() -> None:
    cluster = stack_resource(TOKEN, "cpu", changed(CLUSTER, "properties.properties.subnet", DELETE))
    assert run_stack(NETWORK_RULE, _workspace("another-ws", "AllowOnlyApprovedOutbound"), cluster) == [
        (
            "Compute 'cpu': properties.properties.subnet is not set and its workspace is not in this stack "
            "(workspaceName neither depends on nor names a Workspace of the stack), so a managed network cannot be "
            "verified; set a subnet, create the compute from the workspace's outputs, or state the workspace's "
            "managed network with tag 'hardened-aml/workspace-managed-network' = 'true' (the components' "
            "workspace_managed_network input)",
            cluster.urn,
        )
    ]
    assert run_stack(NETWORK_RULE, stack_resource(TOKEN, "cpu", CLUSTER)) == []
    # The component's statement of its workspace's managed network (tag names and values read ignoring case).
    stated = changed(
        changed(CLUSTER, "properties.properties.subnet", DELETE),
        "tags",
        {"Hardened-AML/Workspace-Managed-Network": "True"},
    )
    assert run_stack(NETWORK_RULE, stack_resource(TOKEN, "cpu", stated)) == []
    denied = changed(stated, "tags", {"hardened-aml/workspace-managed-network": "false"})
    assert len(run_stack(NETWORK_RULE, stack_resource(TOKEN, "cpu", denied))) == 1


def test_net011_ignores_other_compute_types() -> None:
    aks = stack_resource(TOKEN, "aks", {"workspaceName": "ws", "properties": {"computeType": "Kubernetes"}})
    assert run_stack(NETWORK_RULE, aks) == []


UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's "unknown at preview" sentinel


def test_unknown_value_is_never_a_silent_pass() -> None:
    props = changed(CLUSTER, "properties.properties.enableNodePublicIp", UNKNOWN)
    with pytest.raises(UnknownValueError):
        violations(RULES["aml-net-009-compute-no-public-ip"], TOKEN, props)
    ws = stack_resource(WS_TOKEN, "ws", {"workspaceName": "ws", "managedNetwork": {"isolationMode": UNKNOWN}})
    cluster = stack_resource(
        TOKEN, "cpu", changed(CLUSTER, "properties.properties.subnet", DELETE), {"workspaceName": [ws]}
    )
    with pytest.raises(UnknownValueError):
        run_stack(NETWORK_RULE, ws, cluster)


# --- AML-CMP-003: InfiniBand sizes for clusters only --------------------------------------------------------
def test_an_rdma_size_is_allowed_on_a_cluster_not_on_an_instance() -> None:
    rule = RULES["aml-cmp-003-compute-allowed-sizes"]
    assert violations(rule, TOKEN, changed(CLUSTER, "properties.properties.vmSize", "standard_nd96isr_h100_v5")) == []
    found = violations(rule, TOKEN, changed(INSTANCE, "properties.properties.vmSize", "Standard_ND96asr_v4"))
    assert len(found) == 1 and "'Standard_ND96asr_v4'" in found[0]


# --- AML-CMP-005: core quota --------------------------------------------------------------------------------
QUOTA = RULES["aml-cmp-005-cluster-core-quota"]
QUOTAS = {"dedicatedCoreQuota": 200, "lowPriorityCoreQuota": 40}


def _sized(size: str, nodes: Any, priority: str = "Dedicated") -> dict[str, Any]:
    props = changed(CLUSTER, "properties.properties.vmSize", size)
    props = changed(props, "properties.properties.scaleSettings.maxNodeCount", nodes)
    return changed(props, "properties.properties.vmPriority", priority)


def test_a_cluster_within_its_quota_passes() -> None:
    assert violations(QUOTA, TOKEN, _sized("Standard_ND96asr_v4", 2), QUOTAS) == []  # 192 <= 200
    assert violations(QUOTA, TOKEN, _sized("Standard_D8s_v5", "5", "lowpriority"), QUOTAS) == []  # 40 <= 40


@pytest.mark.parametrize(
    ("props", "says"),
    [
        (_sized("standard_nd96asr_v4", 3), "= 288 vCPUs, above the configured dedicatedCoreQuota of 200"),
        (_sized("Standard_D8s_v5", 6, "LowPriority"), "= 48 vCPUs, above the configured lowPriorityCoreQuota of 40"),
        (_sized("Standard_HB120rs_v3", 1), "has no vCPU count in vmSizeCores"),
    ],
)
def test_a_cluster_over_its_quota_is_reported(props: dict[str, Any], says: str) -> None:
    found = violations(QUOTA, TOKEN, props, QUOTAS)
    assert len(found) == 1 and says in found[0], found


def test_no_quota_configured_judges_nothing_and_sizes_can_be_added() -> None:
    assert violations(QUOTA, TOKEN, _sized("Standard_ND96asr_v4", 10), None) == []
    extra = {**QUOTAS, "vmSizeCores": {"Standard_HB120rs_v3": 120}}
    assert "= 240 vCPUs" in violations(QUOTA, TOKEN, _sized("Standard_HB120rs_v3", 2), extra)[0]
