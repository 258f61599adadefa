"""Rules for the Azure ML workspace (``machinelearningservices:Workspace``).

The workspace's ARM properties are flattened by azure-native: the engine receives ``publicNetworkAccess``,
``managedNetwork``, ``encryption`` … at the top level. Property names and enum values: REST spec
``Microsoft.MachineLearningServices/stable/2025-12-01/workspaceRP.json`` (``WorkspaceProperties``,
``ManagedNetworkSettings``, ``EncryptionProperty``, ``ServerlessComputeSettings``), the API version
pulumi-azure-native 3.29.0 uses.
"""

from __future__ import annotations

from collections.abc import Iterator

from aml_policies.core import (
    MISSING,
    SET_REQUIRED,
    Config,
    Props,
    ResourceRule,
    all_of,
    equals,
    get,
    not_equal,
    one_of,
    present,
    same,
)

WORKSPACE = ("machinelearningservices:Workspace",)


def _user_assigned_only(props: Props, _config: Config) -> Iterator[str]:
    kind = get(props, "identity.type")
    if kind is MISSING:
        yield "identity is not set; Azure's default is a system-assigned identity: use type 'UserAssigned'"
    elif not same(kind, "UserAssigned", "identity.type"):
        yield (
            f"identity.type is {kind!r}; it must be 'UserAssigned' (with system-assigned off, the user-assigned "
            "identity is the workspace's primary identity)"
        )
    if get(props, "primaryUserAssignedIdentity") is MISSING:
        yield "primaryUserAssignedIdentity is not set; name the user-assigned identity that is the primary"


RULES = (
    ResourceRule(
        control="AML-NET-001",
        name="workspace-public-network-access",
        types=WORKSPACE,
        check=all_of(
            equals("publicNetworkAccess", "Disabled"),
            not_equal("allowPublicAccessWhenBehindVnet", True, why="public access behind the VNet"),
        ),
        remediate=SET_REQUIRED,
    ),
    ResourceRule(
        control="AML-NET-002",
        name="workspace-approved-outbound-only",
        types=WORKSPACE,
        check=equals("managedNetwork.isolationMode", "AllowOnlyApprovedOutbound"),
    ),
    ResourceRule(
        control="AML-NET-012",
        name="serverless-compute-no-public-ip",
        types=WORKSPACE,
        check=equals("serverlessComputeSettings.serverlessComputeNoPublicIP", True),
        remediate=SET_REQUIRED,
    ),
    ResourceRule(
        control="AML-IAM-001",
        name="workspace-user-assigned-identity",
        types=WORKSPACE,
        description="identity.type is 'UserAssigned' and primaryUserAssignedIdentity is set.",
        check=_user_assigned_only,
    ),
    ResourceRule(
        control="AML-IAM-009",
        name="workspace-identity-datastores",
        types=WORKSPACE,
        check=equals("systemDatastoresAuthMode", "Identity", default="AccessKey"),
        remediate=SET_REQUIRED,
    ),
    ResourceRule(
        control="AML-ENC-001",
        name="workspace-customer-managed-key",
        types=WORKSPACE,
        check=all_of(
            equals("encryption.status", "Enabled"),
            present("encryption.keyVaultProperties.keyVaultArmId"),
            present("encryption.keyVaultProperties.keyIdentifier"),
            present("encryption.identity.userAssignedIdentity", why="the identity that unwraps the key"),
        ),
    ),
    ResourceRule(
        control="AML-ENC-004",
        name="workspace-high-business-impact",
        types=WORKSPACE,
        check=equals("hbiWorkspace", True, default=False),
    ),
    ResourceRule(
        control="AML-REL-003",
        name="workspace-environment-tag",
        types=WORKSPACE,
        check=one_of("tags.environment", ("exploration", "production"), why="the two never share a workspace"),
    ),
)
