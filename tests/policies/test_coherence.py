"""Issue 7's cross-resource and outbound-rule policies: unit tests of each rule (through the CrossGuard
policy objects and property proxies) and, for each, a failing and a passing case over the pack's real gRPC
protocol with ``hardened_aml.testing``.

- AML-NET-014 (extended): FQDN rules for ports 80/443 only; no private-endpoint rule Azure adds itself.
- AML-COST-003: an FQDN rule brings a billed managed firewall (advisory).
- AML-NET-015: a workspace with a private registry names an image-build compute cluster of its own.
- AML-DAT-003 (stack): the key vault holding the workspace's CMK has purge protection and soft delete.
- AML-AKS-009: an AKS cluster attached as Kubernetes compute has the Azure ML extension, and the attach waits.

Resources are related by engine dependency, ARM id or literal name, never by type alone: each rule has a
case where an unrelated resource of the right type does not count.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from aml_policies import aks, coherence, network
from hardened_aml.testing import PolicyPack, Resource, resource
from tests.conftest import ROOT
from tests.policies.harness import run_stack, stack_resource, violations

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg"
KV_ID = f"{SUB}/providers/Microsoft.KeyVault/vaults/kv-cmk"
CR_ID = f"{SUB}/providers/Microsoft.ContainerRegistry/registries/crprivate"
AKS_ID = f"{SUB}/providers/Microsoft.ContainerService/managedClusters/aks-1"
WS_T = "azure-native:machinelearningservices:Workspace"
COMPUTE_T = "azure-native:machinelearningservices:Compute"
VAULT_T = "azure-native:keyvault:Vault"
REGISTRY_T = "azure-native:containerregistry:Registry"
AKS_T = "azure-native:containerservice:ManagedCluster"
EXT_T = "azure-native:kubernetesconfiguration:Extension"


def _rule(module: Any, name: str) -> Any:
    return next(r for r in module.RULES if r.policy_name == name)


NET_014 = _rule(network, "aml-net-014-outbound-rules-coherent")
COST_003 = _rule(network, "aml-cost-003-fqdn-rules-bring-a-firewall")
NET_015 = _rule(coherence, "aml-net-015-private-registry-image-build-compute")
DAT_003 = _rule(coherence, "aml-dat-003-cmk-vault-purge-protection")
AKS_009 = _rule(aks, "aml-aks-009-attached-cluster-ml-extension")


def _ws(rules: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound", "outboundRules": rules},
        "keyVault": KV_ID,
        "storageAccount": f"{SUB}/providers/Microsoft.Storage/storageAccounts/st1",
        "containerRegistry": CR_ID,
        **extra,
    }


# --- AML-NET-014: ports and rules Azure adds -----------------------------------------------------------
@pytest.mark.parametrize(
    "rule",
    [
        {"type": "FQDN", "destination": "pypi.org:8080"},
        {"type": "FQDN", "destination": "pypi.org", "portRanges": "22"},
        {"type": "FQDN", "destination": "pypi.org", "ports": [443, 8443.0]},
    ],
)
def test_fqdn_rule_for_another_port_fails(rule: dict[str, Any]) -> None:
    found = violations(NET_014, WS_T, _ws({"r": rule}))
    assert len(found) == 1 and "ports 80 and 443 only" in found[0]


@pytest.mark.parametrize(
    "rule",
    [
        {"type": "FQDN", "destination": "pypi.org"},
        {"type": "FQDN", "destination": "pypi.org:443"},
        {"type": "FQDN", "destination": "*.pythonhosted.org", "portRanges": "80,443"},
    ],
)
def test_fqdn_rule_for_80_and_443_passes(rule: dict[str, Any]) -> None:
    assert violations(NET_014, WS_T, _ws({"r": rule})) == []


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ({"type": "FQDN", "destination": "*"}, "every host under a top-level domain"),
        ({"type": "FQDN", "destination": "*.com"}, "every host under a top-level domain"),
        ({"type": "fqdn", "destination": "com"}, "every host under a top-level domain"),
        ({"type": "ServiceTag", "destination": {"serviceTag": "Internet"}}, "opens egress to all of it"),
        ({"type": "ServiceTag", "destination": {"serviceTag": "azurecloud.westeurope"}}, "opens egress to all of it"),
        (
            {"type": "ServiceTag", "destination": {"serviceTag": "Storage", "protocol": "*", "portRanges": "*"}},
            "protocol '*' on all ports",
        ),
        (
            {"type": "servicetag", "destination": {"serviceTag": "Storage", "protocol": "*", "portRanges": "1-65535"}},
            "protocol '*' on all ports",
        ),
    ],
)
def test_broad_egress_fails(rule: dict[str, Any], says: str) -> None:
    """Wildcard egress undoes approved outbound (issue 14): flagged whatever the case of the enum values."""
    found = violations(NET_014, WS_T, _ws({"r": rule}))
    assert len(found) == 1 and says in found[0], found


@pytest.mark.parametrize(
    "rule",
    [
        {"type": "ServiceTag", "destination": {"serviceTag": "AzureMonitor", "protocol": "*", "portRanges": "443"}},
        {"type": "ServiceTag", "destination": {"serviceTag": "Storage.westeurope", "portRanges": "443"}},
        {"type": "FQDN", "destination": "*.pypi.org"},
    ],
)
def test_narrow_egress_passes(rule: dict[str, Any]) -> None:
    assert violations(NET_014, WS_T, _ws({"r": rule})) == []


def test_private_endpoint_rule_to_the_workspace_s_own_vault_fails() -> None:
    rule = {
        "type": "PrivateEndpoint",
        "destination": {"serviceResourceId": KV_ID.upper(), "subresourceTarget": "vault"},
    }
    assert violations(NET_014, WS_T, _ws({"kv": rule})) == [
        "[AML-NET-014] managedNetwork.outboundRules.kv is a private-endpoint rule to the workspace's own keyVault; "
        "Azure adds that rule itself, and a second rule for it fails"
    ]


def test_private_endpoint_rule_to_another_vault_passes() -> None:
    other = {
        "type": "PrivateEndpoint",
        "destination": {"serviceResourceId": KV_ID + "-2", "subresourceTarget": "vault"},
    }
    assert violations(NET_014, WS_T, _ws({"kv2": other})) == []


# --- AML-COST-003 -------------------------------------------------------------------------------------
def test_fqdn_rule_warns_of_the_firewall() -> None:
    found = violations(COST_003, WS_T, _ws({"pypi": {"type": "FQDN", "destination": "pypi.org"}}))
    assert len(found) == 1 and "'pypi' is an FQDN rule" in found[0] and "'Standard'" in found[0]
    props = _ws({"pypi": {"type": "FQDN", "destination": "pypi.org"}})
    props["managedNetwork"]["firewallSku"] = "Basic"
    assert "'Basic'" in violations(COST_003, WS_T, props)[0]


def test_no_fqdn_rule_no_warning() -> None:
    tag = {"type": "ServiceTag", "destination": {"serviceTag": "AzureMonitor"}}
    assert violations(COST_003, WS_T, _ws({"monitor": tag})) == []
    assert violations(COST_003, WS_T, {"managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"}}) == []


# --- AML-NET-015 --------------------------------------------------------------------------------------
def _registry(public: str = "Disabled", name: str = "cr") -> Any:
    return stack_resource(REGISTRY_T, name, {"registryName": "crprivate", "publicNetworkAccess": public}, arm_id=CR_ID)


def _image_stack(image_build: str | None, compute_type: str = "AmlCompute", *, related: bool = True) -> list[Any]:
    reg = _registry()
    props: dict[str, Any] = {"workspaceName": "mlw-1", "containerRegistry": CR_ID}
    if image_build is not None:
        props["imageBuildCompute"] = image_build
    ws = stack_resource(WS_T, "ws", props)
    other = stack_resource(WS_T, "ws-other", {"workspaceName": "mlw-2"})
    target = ws if related else other
    compute = stack_resource(
        COMPUTE_T,
        "cluster",
        {"computeName": "cpu-train", "workspaceName": "placeholder", "properties": {"computeType": compute_type}},
        deps={"workspaceName": [target]},
    )
    return [reg, ws, other, compute]


def test_private_registry_with_an_image_build_cluster_passes() -> None:
    assert run_stack(NET_015, *_image_stack("cpu-train")) == []
    assert run_stack(NET_015, *_image_stack("CPU-TRAIN")) == []


def test_private_registry_without_image_build_compute_fails() -> None:
    stack = _image_stack(None)
    found = run_stack(NET_015, *stack)
    assert [urn for _, urn in found] == [stack[1].urn]
    assert "names no imageBuildCompute" in found[0][0]


def test_image_build_compute_of_another_workspace_fails() -> None:
    found = run_stack(NET_015, *_image_stack("cpu-train", related=False))
    assert len(found) == 1 and "is not a compute of that workspace" in found[0][0]


def test_image_build_compute_that_is_not_a_cluster_fails() -> None:
    found = run_stack(NET_015, *_image_stack("cpu-train", "ComputeInstance"))
    assert len(found) == 1 and "is not a compute cluster" in found[0][0]


def test_public_or_unrelated_registry_is_not_judged() -> None:
    ws = stack_resource(WS_T, "ws", {"workspaceName": "mlw-1", "containerRegistry": CR_ID + "-elsewhere"})
    # A private registry of the stack that this workspace does not name: not this workspace's registry.
    assert run_stack(NET_015, ws, _registry()) == []
    ws_public = stack_resource(WS_T, "ws", {"workspaceName": "mlw-1", "containerRegistry": CR_ID})
    assert run_stack(NET_015, ws_public, _registry(public="Enabled")) == []


# --- AML-DAT-003: the CMK's vault ----------------------------------------------------------------------
def _vault(**properties: Any) -> Any:
    return stack_resource(VAULT_T, "kv", {"vaultName": "kv-cmk", "properties": properties}, arm_id=KV_ID)


def _cmk_ws(vault: Any, by_dependency: bool) -> Any:
    props = {"encryption": {"keyVaultProperties": {"keyVaultArmId": "x" if by_dependency else KV_ID}}}
    return stack_resource(WS_T, "ws", props, deps={"encryption": [vault]} if by_dependency else None)


@pytest.mark.parametrize("by_dependency", [True, False])
def test_cmk_vault_with_purge_protection_passes(by_dependency: bool) -> None:
    vault = _vault(enablePurgeProtection=True, enableSoftDelete=True)
    assert run_stack(DAT_003, vault, _cmk_ws(vault, by_dependency)) == []


@pytest.mark.parametrize("by_dependency", [True, False])
def test_cmk_vault_without_purge_protection_or_soft_delete_fails(by_dependency: bool) -> None:
    vault = _vault(enableSoftDelete=False)
    found = run_stack(DAT_003, vault, _cmk_ws(vault, by_dependency))
    assert [urn for _, urn in found] == [vault.urn]
    assert "purge protection is not on" in found[0][0] and "soft delete is off" in found[0][0]


def _key(vault: Any) -> Any:
    return stack_resource(
        "azure-native:keyvault:Key", "cmk", {"keyName": "cmk", "vaultName": "kv-cmk"}, deps={"vaultName": [vault]}
    )


def _encrypted_by_key(kind: str, key: Any, vault: Any) -> Any:
    """Storage names its key's vault URI (an output of the vault), a registry the key's URI, a disk encryption set
    the vault by ARM id: each as a program that wired the estate's key would."""
    if kind == "storage":
        return stack_resource(
            "azure-native:storage:StorageAccount", "st", {"encryption": {"keySource": "Microsoft.Keyvault"}},
            deps={"encryption": [vault]},
        )  # fmt: skip
    if kind == "registry":
        return stack_resource(
            "azure-native:containerregistry:Registry", "cr", {"encryption": {"status": "enabled"}},
            deps={"encryption": [key]},
        )  # fmt: skip
    return stack_resource(
        "azure-native:compute:DiskEncryptionSet", "des", {"activeKey": {"sourceVault": {"id": KV_ID}, "keyUrl": "u"}}
    )


@pytest.mark.parametrize("kind", ["storage", "registry", "des"])
def test_every_cmk_s_vault_is_purge_protected_not_only_the_workspace_s(kind: str) -> None:
    vault = _vault(enableSoftDelete=True)
    key = _key(vault)
    found = run_stack(DAT_003, vault, key, _encrypted_by_key(kind, key, vault))
    assert [urn for _, urn in found] == [vault.urn] and "purge protection is not on" in found[0][0], found
    protected = _vault(enablePurgeProtection=True)
    key = _key(protected)
    assert run_stack(DAT_003, protected, key, _encrypted_by_key(kind, key, protected)) == []


def test_a_vault_that_holds_no_cmk_is_not_judged_by_the_stack_rule() -> None:
    vault = _vault()  # the per-vault rule judges it; the CMK rule does not
    ws = stack_resource(WS_T, "ws", {"encryption": {"keyVaultProperties": {"keyVaultArmId": KV_ID + "-other"}}})
    assert run_stack(DAT_003, vault, ws) == []


# --- AML-AKS-009 --------------------------------------------------------------------------------------
def _aks_stack(*, extension: str | None = "microsoft.azureml.kubernetes", waits: bool = True) -> list[Any]:
    cluster = stack_resource(AKS_T, "aks", {"resourceName": "aks-1"}, arm_id=AKS_ID)
    found = [cluster]
    deps: dict[str, list[Any]] = {"properties": [cluster]}
    if extension is not None:
        ext = stack_resource(
            EXT_T, "ext", {"extensionType": extension, "clusterName": "aks-1"}, deps={"clusterName": [cluster]}
        )
        found.append(ext)
        if waits:
            deps["__depends_on"] = [ext]
    compute = stack_resource(
        COMPUTE_T, "attach", {"properties": {"computeType": "Kubernetes", "resourceId": "x"}}, deps=deps
    )
    return [*found, compute]


def test_attach_after_the_ml_extension_passes() -> None:
    assert run_stack(AKS_009, *_aks_stack()) == []


def test_attach_without_the_ml_extension_fails() -> None:
    for stack in (_aks_stack(extension=None), _aks_stack(extension="microsoft.flux")):
        found = run_stack(AKS_009, *stack)
        assert [urn for _, urn in found] == [stack[-1].urn]
        assert "has no kubernetesconfiguration Extension" in found[0][0]


def test_attach_that_does_not_wait_for_the_extension_fails() -> None:
    found = run_stack(AKS_009, *_aks_stack(waits=False))
    assert len(found) == 1 and "does not wait" in found[0][0]


def test_extension_on_another_cluster_does_not_count() -> None:
    cluster = stack_resource(AKS_T, "aks", {"resourceName": "aks-1"}, arm_id=AKS_ID)
    other = stack_resource(AKS_T, "aks-2", {"resourceName": "aks-2"})
    ext = stack_resource(EXT_T, "ext", {"extensionType": "microsoft.azureml.kubernetes"}, deps={"clusterName": [other]})
    compute = stack_resource(
        COMPUTE_T, "attach", {"properties": {"computeType": "Kubernetes", "resourceId": AKS_ID}}, deps={"x": [ext]}
    )
    assert len(run_stack(AKS_009, cluster, other, ext, compute)) == 1


def test_cluster_outside_the_stack_is_not_judged() -> None:
    compute = stack_resource(COMPUTE_T, "attach", {"properties": {"computeType": "Kubernetes", "resourceId": AKS_ID}})
    assert run_stack(AKS_009, compute) == []


# --- over the protocol, with hardened_aml.testing ---------------------------------------------------------
@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPack]:
    with PolicyPack(ROOT / "policies") as started:
        yield started


def _policies(pack: PolicyPack, items: list[Resource], prefix: str) -> list[str]:
    return [d.policy for d in pack.check(items) if d.policy.startswith(prefix)]


def test_protocol_outbound_rules(pack: PolicyPack) -> None:
    bad = resource(WS_T, _ws({"f": {"type": "FQDN", "destination": "pypi.org:22"}}), name="ws")
    good = resource(WS_T, _ws({"t": {"type": "ServiceTag", "destination": {"serviceTag": "AzureMonitor"}}}), name="ws")
    assert _policies(pack, [bad], "aml-net-014") == ["aml-net-014-outbound-rules-coherent"]
    assert _policies(pack, [good], "aml-net-014") == []


def test_protocol_fqdn_firewall_is_an_advisory_warning(pack: PolicyPack) -> None:
    fqdn = resource(WS_T, _ws({"f": {"type": "FQDN", "destination": "pypi.org"}}), name="ws")
    found = [d for d in pack.check([fqdn]) if d.policy.startswith("aml-cost-003")]
    assert [(d.policy, d.enforcement) for d in found] == [("aml-cost-003-fqdn-rules-bring-a-firewall", "advisory")]
    assert _policies(pack, [resource(WS_T, _ws({}), name="ws")], "aml-cost-003") == []


def test_protocol_image_build_compute(pack: PolicyPack) -> None:
    reg = resource(REGISTRY_T, {"registryName": "crprivate", "publicNetworkAccess": "Disabled"}, name="cr")

    def stack(image_build: str | None) -> list[Resource]:
        props: dict[str, Any] = {"workspaceName": "mlw-1"}
        if image_build:
            props["imageBuildCompute"] = image_build
        ws = resource(WS_T, props, name="ws", depends_on={"containerRegistry": [reg]})
        cluster = resource(
            COMPUTE_T,
            {"computeName": "cpu-train", "properties": {"computeType": "AmlCompute"}},
            name="cluster",
            depends_on={"workspaceName": [ws]},
        )
        return [reg, ws, cluster]

    assert _policies(pack, stack(None), "aml-net-015") == ["aml-net-015-private-registry-image-build-compute"]
    assert _policies(pack, stack("cpu-train"), "aml-net-015") == []


def test_protocol_cmk_vault(pack: PolicyPack) -> None:
    def stack(purge: bool) -> list[Resource]:
        vault = resource(VAULT_T, {"vaultName": "kv-cmk", "properties": {"enablePurgeProtection": purge}}, name="kv")
        ws = resource(WS_T, {"encryption": {"keyVaultProperties": {}}}, name="ws", depends_on={"encryption": [vault]})
        return [vault, ws]

    assert "aml-dat-003-cmk-vault-purge-protection" in _policies(pack, stack(False), "aml-dat-003")
    assert _policies(pack, stack(True), "aml-dat-003") == []


def test_protocol_ml_extension(pack: PolicyPack) -> None:
    cluster = resource(AKS_T, {"resourceName": "aks-1"}, name="aks")
    ext = resource(
        EXT_T, {"extensionType": "microsoft.azureml.kubernetes"}, name="ext", depends_on={"clusterName": [cluster]}
    )

    def attach(*extra: Resource) -> Resource:
        deps = {"properties": [cluster], **({"x": list(extra)} if extra else {})}
        return resource(COMPUTE_T, {"properties": {"computeType": "Kubernetes"}}, name="attach", depends_on=deps)

    assert _policies(pack, [cluster, attach()], "aml-aks-009") == ["aml-aks-009-attached-cluster-ml-extension"]
    assert _policies(pack, [cluster, ext, attach(ext)], "aml-aks-009") == []


# --- AML-GOV-009: production assignments are enforced ----------------------------------------------------
GOV_009 = next(r for r in coherence.RULES if r.name == "production-assignments-enforced")
ASSIGNMENT_T = "azure-native:authorization:PolicyAssignment"


def _assignment_stack(mode: Any, environment: str | None = "production") -> list[Any]:
    props: dict[str, Any] = {"policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/x"}
    if mode is not None:
        props["enforcementMode"] = mode
    tags = {"Environment": environment} if environment else {}
    return [
        stack_resource(WS_T, "ws", {"workspaceName": "mlw-1", "tags": tags}),
        stack_resource(ASSIGNMENT_T, "a", props),
    ]


@pytest.mark.parametrize("mode", ["DoNotEnforce", "donotenforce", "Enroll"])
def test_an_unenforced_assignment_in_production_is_flagged(mode: str) -> None:
    stack = _assignment_stack(mode)
    found = run_stack(GOV_009, *stack)
    assert [urn for _, urn in found] == [stack[1].urn]
    assert f"enforcementMode {mode!r}" in found[0][0] and "advisory" in found[0][0]


@pytest.mark.parametrize("mode", ["Default", "default", None])
def test_an_enforced_assignment_in_production_passes(mode: str | None) -> None:
    assert run_stack(GOV_009, *_assignment_stack(mode)) == []


def test_an_unenforced_assignment_outside_production_passes() -> None:
    assert run_stack(GOV_009, *_assignment_stack("DoNotEnforce", "exploration")) == []
    assert run_stack(GOV_009, *_assignment_stack("DoNotEnforce", None)) == []
