"""Identities and their roles: the workspace's own identity, and one identity per workload.

**The workspace's user-assigned identity** holds exactly the roles Microsoft documents as required: Azure ML docs,
"Set up authentication between Azure Machine Learning and other services"
(MicrosoftDocs/azure-ai-docs ``articles/machine-learning/how-to-identity-based-service-authentication.md``),
section "User-assigned managed identity" > "Workspace", the ``Resource | Permission`` table that follows "The
following Azure RBAC role assignments are required on your user-assigned managed identity":

=============================== ====================================================================
Azure Machine Learning workspace Contributor
Azure Storage                    Contributor (control plane) + Storage Blob Data Contributor (data plane,
                                 "optional", for data preview in the studio)
Azure Key Vault (RBAC model)     Contributor (control plane) + Key Vault Administrator (data plane)
Azure Container Registry         Contributor
Azure Application Insights       Contributor
=============================== ====================================================================

The workspace role is assigned once the workspace exists (:meth:`WorkspaceIdentityRoles.on_workspace`); the
others before the workspace is created. The key the workspace is encrypted with is reached through Key Vault
Crypto Service Encryption User on that key alone (``KeyVault``, control AML-ENC-001).

**Every workload has an identity of its own** (:class:`WorkloadIdentity`): training and batch clusters, online
endpoints, batch endpoints, the AKS kubelet and the attached Kubernetes compute. A role given to a workload
identity is given to every job and notebook that runs as it, so each holds only data-plane roles, at the
narrowest scope its job needs (a blob container rather than the account), and never a role that administers a
resource, its access or its secrets (``PRIVILEGED_ROLES``; controls AML-IAM-008, AML-IAM-011). The roles each
workload needs are those Microsoft documents for it, cited where the estate grants them.
"""

from collections.abc import Iterator, Mapping
from typing import Annotated, Any

import pulumi
import pulumi_azure_native.managedidentity as managedidentity
from pydantic import Field
from typing_extensions import TypedDict

from aml_catalogue.roles import (
    ACR_PULL,
    AZUREML_METRICS_WRITER,
    CONTRIBUTOR,
    KEY_VAULT_ADMINISTRATOR,
    KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
    KEY_VAULT_SECRETS_USER,
    MANAGED_IDENTITY_OPERATOR,
    NETWORK_CONTRIBUTOR,
    PRIVILEGED_ROLES,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    STORAGE_BLOB_DATA_READER,
)
from hardened_aml import shared
from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule

__all__ = [
    "WORKLOAD_ROLES",
    "RoleGrant",
    "WorkloadIdentity",
    "WorkloadIdentityArgs",
    "WorkspaceIdentityRoles",
    "WorkspaceIdentityRolesArgs",
]

#: The roles a workload identity may be given: data-plane roles, and the two an AKS control plane needs on its
#: own subnet and kubelet identity. Name as the built-in-roles page writes it -> GUID.
WORKLOAD_ROLES: dict[str, str] = {
    "AcrPull": ACR_PULL,
    "Storage Blob Data Reader": STORAGE_BLOB_DATA_READER,
    "Storage Blob Data Contributor": STORAGE_BLOB_DATA_CONTRIBUTOR,
    "Key Vault Crypto Service Encryption User": KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
    "Key Vault Secrets User": KEY_VAULT_SECRETS_USER,
    "AzureML Metrics Writer (preview)": AZUREML_METRICS_WRITER,
    "Network Contributor": NETWORK_CONTRIBUTOR,
    "Managed Identity Operator": MANAGED_IDENTITY_OPERATOR,
}
assert not set(WORKLOAD_ROLES.values()) & set(PRIVILEGED_ROLES), "a privileged role is never a workload role"

#: A user-assigned identity's name: 3-128 letters, digits, hyphens and underscores, a letter or digit first
#: (Microsoft.ManagedIdentity naming rules, learn.microsoft.com/azure/azure-resource-manager/management/
#: resource-name-rules).
IdentityName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")]


@args
class WorkspaceIdentityRolesArgs(TypedDict):
    """Inputs of :class:`WorkspaceIdentityRoles`."""

    principal_id: Annotated[Input[str], Wired()]
    """Principal id of the workspace's user-assigned identity. Required (control AML-IAM-001)."""
    subscription_id: Annotated[Input[str], Wired()]
    """Subscription of the role definitions. Required."""
    storage_account_id: Annotated[Input[str], Wired()]
    """The workspace's storage account. Required (control AML-IAM-001)."""
    key_vault_id: Annotated[Input[str], Wired()]
    """The workspace's Key Vault (RBAC model). Required (controls AML-IAM-001, AML-IAM-004)."""
    container_registry_id: Annotated[Input[str], Wired()]
    """The workspace's container registry. Required (control AML-IAM-001)."""
    application_insights_id: Annotated[Input[str], Wired()]
    """The workspace's Application Insights. Required (control AML-IAM-001)."""


class WorkspaceIdentityRoles(pulumi.ComponentResource):
    """The documented roles of the workspace identity on its dependent resources (create them before the
    workspace), and on the workspace once it exists (:meth:`on_workspace`)."""

    def __init__(self, name: str, args: WorkspaceIdentityRolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(WorkspaceIdentityRolesArgs, args, name)
        super().__init__("hardened-aml:index:WorkspaceIdentityRoles", name, None, opts)
        self._name, self._principal_id, self._subscription_id = name, a["principal_id"], a["subscription_id"]
        # The "Workspace" table of how-to-identity-based-service-authentication (see the module docstring).
        plan: list[tuple[str, pulumi.Input[str], str]] = [
            ("st-contributor", a["storage_account_id"], CONTRIBUTOR),
            ("st-blob-data", a["storage_account_id"], STORAGE_BLOB_DATA_CONTRIBUTOR),
            ("kv-contributor", a["key_vault_id"], CONTRIBUTOR),
            ("kv-administrator", a["key_vault_id"], KEY_VAULT_ADMINISTRATOR),
            ("cr-contributor", a["container_registry_id"], CONTRIBUTOR),
            ("appi-contributor", a["application_insights_id"], CONTRIBUTOR),
        ]
        self.assignments = [self._assign(label, scope, role) for label, scope, role in plan]
        self.register_outputs({"assignment_count": len(self.assignments)})

    def _assign(
        self, label: str, scope: pulumi.Input[str], role: str, parent: pulumi.Resource | None = None
    ) -> pulumi.Resource:
        return shared.role_assignment(
            f"{self._name}-{label}",
            scope=scope,
            role_guid=role,
            principal_id=self._principal_id,
            principal_type="ServicePrincipal",
            subscription_id=self._subscription_id,
            parent=parent or self,
        )

    def on_workspace(self, workspace_id: pulumi.Input[str], parent: pulumi.Resource) -> pulumi.Resource:
        """Contributor on the workspace itself (the table's first row), once the workspace exists.

        ``parent`` is not this component: the workspace waits for this component's assignments, so an
        assignment that waits for the workspace must live elsewhere (the estate).
        """
        return self._assign("mlw-contributor", workspace_id, CONTRIBUTOR, parent)


@args
class RoleGrant(TypedDict):
    """One role a workload identity holds, and where."""

    label: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    """Tells the grants of one identity apart in logical names: lowercase letters, digits and hyphens.
    Required."""
    role: str
    """The role, by its built-in name: one of ``WORKLOAD_ROLES`` (data-plane roles; never Owner, Contributor,
    User Access Administrator, RBAC Administrator, Key Vault Administrator or an AKS admin role). Required
    (control AML-IAM-011)."""
    scope: Annotated[Input[str], Wired()]
    """The narrowest resource the role is needed on: a blob container, a registry, a subnet. Required."""


@args
class WorkloadIdentityArgs(TypedDict):
    """Inputs of :class:`WorkloadIdentity`."""

    identity_name: IdentityName
    """Name of the user-assigned identity (3-128 letters, digits, ``-`` and ``_``). Required."""
    resource_group_name: Annotated[Input[str], Wired()]
    """Resource group of the identity. Required."""
    location: str
    """Region of the identity. Required."""
    tags: Annotated[dict[str, str], Field(default_factory=dict)]
    """Tags of the identity. Default: none."""
    subscription_id: Annotated[Input[str], Wired()]
    """Subscription of the role definitions. Required."""
    grants: Annotated[list[RoleGrant], Field(default_factory=list)]
    """The data-plane roles the workload's job needs, each at its narrowest scope. Default: none (control
    AML-IAM-011)."""


@rule(WorkloadIdentityArgs)
def _grant_rules(a: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, grant in enumerate(a["grants"]):
        if grant["role"] not in WORKLOAD_ROLES:
            yield ("grants", i, "role"), grant["role"], "one of " + ", ".join(WORKLOAD_ROLES)
        if grant["label"] in seen:
            yield ("grants", i, "label"), grant["label"], "a label not used by another grant"
        seen.add(grant["label"])


class WorkloadIdentity(pulumi.ComponentResource):
    """A user-assigned identity for one workload, with data-plane roles only (control AML-IAM-011)."""

    identity_id: pulumi.Output[str]
    """The identity's ARM id."""
    principal_id: pulumi.Output[str]
    """Its service principal's object id."""
    client_id: pulumi.Output[str]
    """Its client (application) id."""

    def __init__(self, name: str, args: WorkloadIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(WorkloadIdentityArgs, args, name)
        super().__init__("hardened-aml:index:WorkloadIdentity", name, None, opts)
        self.identity = managedidentity.UserAssignedIdentity(
            f"{name}-id",
            resource_name_=a["identity_name"],
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            tags=dict(a["tags"]),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.assignments = [
            shared.role_assignment(
                f"{name}-{grant['label']}",
                scope=grant["scope"],
                role_guid=WORKLOAD_ROLES[grant["role"]],
                principal_id=self.identity.principal_id,
                principal_type="ServicePrincipal",
                subscription_id=a["subscription_id"],
                parent=self,
            )
            for grant in a["grants"]
        ]
        self.identity_id = self.identity.id
        self.principal_id = self.identity.principal_id
        self.client_id = self.identity.client_id
        self.register_outputs(
            {"identity_id": self.identity_id, "principal_id": self.principal_id, "client_id": self.client_id}
        )
