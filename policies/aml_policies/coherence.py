"""Stack rules that relate a workspace to the resources it names, for issue 7 ("deploys on the first try").

Resources are related by engine dependency, ARM id or literal name (``Stack.targets``), never by type alone:
a registry or key vault that no workspace names is not judged as a workspace's (PITFALLS: checkov #6388).

- AML-NET-015: a workspace whose container registry is private names an image-build compute cluster of its
  own (``imageBuildCompute``; PITFALLS "Private container registry breaks image builds").
- AML-REL-003: exploration and production never share a stack: every workspace's environment tag is the one
  every other tagged resource of the stack carries.
- AML-GOV-009: in a production stack (a resource tagged environment=production) no Azure Policy assignment has
  an ``enforcementMode`` other than 'Default' (enum ``enforcementMode``: Default, DoNotEnforce, Enroll, default
  Default; REST spec ``Microsoft.Authorization/stable/2025-01-01/policyAssignments.json``, the SDK's API
  version): an effect that is only reported (or waits for enrolment) is an opt-out asked for by name, and it
  never passes silently.
- AML-DAT-003: the key vault that holds a workspace's CMK (``encryption.keyVaultProperties.keyVaultArmId``)
  has purge protection and soft delete ("the key vault must enable soft delete and purge protection":
  azure-docs ``concept-customer-managed-keys``, requirements).
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import PolicyResource

from aml_policies.core import (
    MISSING,
    Config,
    Stack,
    StackRule,
    environment,
    get,
    is_false,
    is_true,
    same,
    type_key,
)

WORKSPACE = "machinelearningservices:Workspace"
COMPUTE = "machinelearningservices:Compute"
REGISTRY = ("containerregistry:Registry",)
VAULT = ("keyvault:Vault",)
CMK_VAULT = "encryption.keyVaultProperties.keyVaultArmId"
POLICY_ASSIGNMENT = ("authorization:PolicyAssignment",)


def _environment(resource: object) -> str | None:
    """A resource's ``environment`` tag, compared ignoring case (tag name and value), or None."""
    return environment(getattr(resource, "props", {}))


def _one_environment(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """AML-REL-003: exploration and production never share a stack, so never a workspace or its dependencies.
    Every workspace's environment tag is the one every other tagged resource of the stack carries."""
    tagged = [(r, env) for r in stack.resources if (env := _environment(r)) is not None]
    for workspace in stack.of_type(WORKSPACE):
        mine = _environment(workspace)
        others = sorted({env for r, env in tagged if env != mine and r is not workspace})
        if mine is not None and others:
            yield (
                f"workspace {workspace.name!r} is tagged environment {mine!r} but the stack also holds resources "
                f"tagged {', '.join(repr(o) for o in others)}; exploration and production never share a stack "
                "(nor, therefore, a workspace, its storage, Key Vault or registry)",
                workspace.urn,
            )


def _assignments_enforced(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """AML-GOV-009: a production stack enforces its policy assignments."""
    production = [r for r in stack.resources if _environment(r) == "production"]
    if not production:
        return
    for assignment in stack.of_type(*POLICY_ASSIGNMENT):
        mode = get(assignment.props, "enforcementMode")
        if mode is not MISSING and not same(mode, "Default", "enforcementMode"):
            yield (
                f"policy assignment {assignment.name!r} has enforcementMode {mode!r} in a production stack "
                f"(resources tagged environment=production, e.g. {production[0].name!r}); its effects are only "
                "reported, never enforced: set it to 'Default', or accept the opt-out for this stack by setting "
                "this policy to advisory in the policy config",
                assignment.urn,
            )


def _image_build_compute(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """A workspace whose registry is private names a compute cluster of its own for image builds (PITFALLS:
    "Private container registry breaks image builds"). Related by id, dependency or literal name only."""
    for workspace in stack.of_type(WORKSPACE):
        private = [
            r
            for r in stack.targets(workspace, "containerRegistry")
            if type_key(r.resource_type) == REGISTRY[0]
            and same(get(r.props, "publicNetworkAccess"), "Disabled", "publicNetworkAccess")
        ]
        if not private:
            continue  # no private registry of this stack: nothing breaks image builds
        label = f"workspace {workspace.name!r} uses private registry {private[0].name!r}"
        name = get(workspace.props, "imageBuildCompute")
        if name is MISSING or not isinstance(name, str) or not name:
            yield (
                f"{label} but names no imageBuildCompute; image builds fail (409) until it names a compute cluster",
                workspace.urn,
            )
            continue
        clusters = [
            c
            for c in stack.of_type(COMPUTE)
            if str(get(c.props, "computeName")).lower() == name.lower()
            and workspace in stack.targets(c, "workspaceName")
        ]
        if not clusters:
            yield (f"{label}; its imageBuildCompute {name!r} is not a compute of that workspace", workspace.urn)
        elif not any(same(get(c.props, "properties.computeType"), "AmlCompute") for c in clusters):
            yield (f"{label}; its imageBuildCompute {name!r} is not a compute cluster (AmlCompute)", workspace.urn)


#: Where each encrypted resource names its customer-managed key: (type key, top-level property, path of an ARM id
#: under it, what it is). The property refers to the vault or to the key (by engine dependency or ARM id).
CMK_REFERENCES: tuple[tuple[str, str, str, str], ...] = (
    (WORKSPACE, "encryption", "keyVaultProperties.keyVaultArmId", "workspace"),
    ("storage:StorageAccount", "encryption", "", "storage account"),
    ("containerregistry:Registry", "encryption", "", "container registry"),
    ("compute:DiskEncryptionSet", "activeKey", "sourceVault.id", "disk encryption set"),
    ("containerservice:ManagedCluster", "securityProfile", "azureKeyVaultKms.keyVaultResourceId", "AKS cluster (KMS)"),
)
KEY = "keyvault:Key"


def _key_vaults(stack: Stack, resource: PolicyResource, prop: str, value_path: str) -> list[PolicyResource]:
    """The vaults a resource's CMK reference names: a vault directly, or the vault of a key it names."""
    vaults: list[PolicyResource] = []
    for target in stack.targets(resource, prop, value_path):
        kind = type_key(target.resource_type)
        found = [target] if kind == VAULT[0] else stack.targets(target, "vaultName") if kind == KEY else []
        vaults += [v for v in found if type_key(v.resource_type) == VAULT[0] and v not in vaults]
    return vaults


def _cmk_vault(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """The vault that holds a customer-managed key of the workspace, its storage account, its registry or the AKS
    disk encryption set: purge protection on and soft delete not off ("the key vault must enable soft delete and
    purge protection": azure-docs concept-customer-managed-keys, requirements; the same holds for storage, ACR and
    disk encryption sets, whose data is unreadable once the key is gone)."""
    for kind, prop, value_path, label in CMK_REFERENCES:
        for resource in stack.of_type(kind):
            for vault in _key_vaults(stack, resource, prop, value_path):
                problems = []
                if not is_true(get(vault.props, "properties.enablePurgeProtection")):
                    problems.append("purge protection is not on (properties.enablePurgeProtection)")
                if is_false(get(vault.props, "properties.enableSoftDelete")):
                    problems.append("soft delete is off (properties.enableSoftDelete)")
                if problems:
                    yield (
                        f"key vault {vault.name!r} holds the customer-managed key of {label} "
                        f"{resource.name!r} ({prop}) but {' and '.join(problems)}; losing the key makes its data "
                        "unreadable",
                        vault.urn,
                    )


RULES = (
    StackRule(
        control="AML-REL-003",
        name="one-environment-per-stack",
        description="every workspace's tags.environment (compared ignoring case) is the one every other tagged "
        "resource of the stack carries.",
        check=_one_environment,
    ),
    StackRule(
        control="AML-NET-015",
        name="private-registry-image-build-compute",
        description="a workspace whose containerRegistry has publicNetworkAccess 'Disabled' names an "
        "imageBuildCompute that is a compute cluster (AmlCompute) of that workspace.",
        check=_image_build_compute,
    ),
    StackRule(
        control="AML-GOV-009",
        name="production-assignments-enforced",
        description="in a stack holding resources tagged environment=production, every Azure Policy assignment's "
        "enforcementMode (compared ignoring case) is 'Default' or unset (Azure's default), never 'DoNotEnforce' "
        "or 'Enroll'.",
        check=_assignments_enforced,
    ),
    StackRule(
        control="AML-DAT-003",
        name="cmk-vault-purge-protection",
        description="the key vault of every customer-managed key a workspace, storage account, container registry, "
        "disk encryption set or AKS cluster's KMS (etcd) of the stack uses (named by its encryption, activeKey or "
        "securityProfile.azureKeyVaultKms property, directly or "
        "through the key) has purge protection on and soft delete not off.",
        check=_cmk_vault,
    ),
)
