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

from typing import Annotated

import pulumi
from typing_extensions import TypedDict

from hardened_aml import shared
from hardened_aml.inputs import Input, Wired, args, checked

CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR = "69566ab7-960f-475b-8e7c-b3118f30c6bd"
KEY_VAULT_ADMINISTRATOR = "00482a5a-887f-4fb3-b363-3b7fe8e74483"


@args
class WorkspaceIdentityRolesArgs(TypedDict):
    """Inputs of :class:`WorkspaceIdentityRoles`."""

    principal_id: Annotated[Input[str], Wired()]
    """Principal id of the workspace's user-assigned identity. Required (control AML-IAM-001)."""
    subscription_id: Annotated[Input[str], Wired()]
    """Subscription of the role definitions. Required."""
    storage_account_id: Annotated[Input[str], Wired()]
    """The workspace's storage account. Required (controls AML-IAM-001, AML-IAM-009)."""
    key_vault_id: Annotated[Input[str], Wired()]
    """The workspace's Key Vault (RBAC model). Required (controls AML-IAM-001, AML-IAM-004)."""
    container_registry_id: Annotated[Input[str], Wired()]
    """The workspace's container registry. Required (control AML-IAM-001)."""
    application_insights_id: Annotated[Input[str], Wired()]
    """The workspace's Application Insights. Required (control AML-IAM-001)."""


class WorkspaceIdentityRoles(pulumi.ComponentResource):
    """Role assignments for the workspace identity, one per (resource, role); create them before the workspace."""

    def __init__(self, name: str, args: WorkspaceIdentityRolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(WorkspaceIdentityRolesArgs, args, name)
        super().__init__("hardened-aml:index:WorkspaceIdentityRoles", name, None, opts)
        plan: list[tuple[str, pulumi.Input[str], str]] = [
            ("st-contributor", a["storage_account_id"], CONTRIBUTOR),
            ("st-blob-data", a["storage_account_id"], STORAGE_BLOB_DATA_CONTRIBUTOR),
            ("st-file-data", a["storage_account_id"], STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR),
            ("kv-contributor", a["key_vault_id"], CONTRIBUTOR),
            ("kv-administrator", a["key_vault_id"], KEY_VAULT_ADMINISTRATOR),
            ("cr-contributor", a["container_registry_id"], CONTRIBUTOR),
            ("appi-contributor", a["application_insights_id"], CONTRIBUTOR),
        ]
        self.assignments = [
            shared.role_assignment(
                f"{name}-{label}",
                scope=scope,
                role_guid=role,
                principal_id=a["principal_id"],
                principal_type="ServicePrincipal",
                subscription_id=a["subscription_id"],
                parent=self,
            )
            for label, scope, role in plan
        ]
        self.register_outputs({"assignment_count": len(self.assignments)})
