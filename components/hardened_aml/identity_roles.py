"""The roles a workspace's user-assigned identity needs on the workspace's own resources.

Source: "Set up authentication between Azure Machine Learning and other services", section "User-assigned
managed identity" (learn.microsoft.com/azure/machine-learning/how-to-identity-based-service-authentication;
MicrosoftDocs/azure-docs PR #221087 "Specify user-assigned identity required role assignments"):
storage: Contributor + Storage Blob Data Contributor; Key Vault with the RBAC model: Contributor + Key Vault
Administrator; container registry: Contributor; Application Insights: Contributor. Identity-based system
datastores (``systemDatastoresAuthMode: Identity``, control AML-IAM-009) also read the file share, hence
Storage File Data Privileged Contributor.

These are service-principal roles scoped to single dependent resources, never to the workspace and never to
people (control AML-IAM-003 concerns human access through groups).

Role GUIDs ("Azure built-in roles", learn.microsoft.com/azure/role-based-access-control/built-in-roles; the
same values in Azure/bicep-registry-modules role maps): Contributor b24988ac-6180-42a0-ab88-20f7382dd24c,
Storage Blob Data Contributor ba92f5b4-2d11-453d-a403-e96b0029c9fe, Storage File Data Privileged
Contributor 69566ab7-960f-475b-8e7c-b3118f30c6bd, Key Vault Administrator
00482a5a-887f-4fb3-b363-3b7fe8e74483.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from hardened_aml import shared

CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR = "69566ab7-960f-475b-8e7c-b3118f30c6bd"
KEY_VAULT_ADMINISTRATOR = "00482a5a-887f-4fb3-b363-3b7fe8e74483"


@dataclass(frozen=True, kw_only=True)
class WorkspaceIdentityRolesArgs:
    """Inputs of :class:`WorkspaceIdentityRoles`."""

    principal_id: pulumi.Input[str]
    """Principal id of the workspace's user-assigned identity. Default: none, required (control AML-IAM-001)."""
    subscription_id: pulumi.Input[str]
    """Subscription of the role definitions. Default: none, required."""
    storage_account_id: pulumi.Input[str]
    """The workspace's storage account. Default: none, required."""
    key_vault_id: pulumi.Input[str]
    """The workspace's Key Vault (RBAC model, control AML-IAM-004). Default: none, required."""
    container_registry_id: pulumi.Input[str]
    """The workspace's container registry. Default: none, required."""
    application_insights_id: pulumi.Input[str]
    """The workspace's Application Insights. Default: none, required."""


class WorkspaceIdentityRoles(pulumi.ComponentResource):
    """Role assignments for the workspace identity, one per (resource, role); create them before the workspace."""

    def __init__(self, name: str, args: WorkspaceIdentityRolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hardened-aml:index:WorkspaceIdentityRoles", name, None, opts)
        plan: list[tuple[str, pulumi.Input[str], str]] = [
            ("st-contributor", args.storage_account_id, CONTRIBUTOR),
            ("st-blob-data", args.storage_account_id, STORAGE_BLOB_DATA_CONTRIBUTOR),
            ("st-file-data", args.storage_account_id, STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR),
            ("kv-contributor", args.key_vault_id, CONTRIBUTOR),
            ("kv-administrator", args.key_vault_id, KEY_VAULT_ADMINISTRATOR),
            ("cr-contributor", args.container_registry_id, CONTRIBUTOR),
            ("appi-contributor", args.application_insights_id, CONTRIBUTOR),
        ]
        self.assignments = [
            shared.role_assignment(
                f"{name}-{label}",
                scope=scope,
                role_guid=role,
                principal_id=args.principal_id,
                principal_type="ServicePrincipal",
                subscription_id=args.subscription_id,
                parent=self,
            )
            for label, scope, role in plan
        ]
        self.register_outputs({"assignment_count": len(self.assignments)})
