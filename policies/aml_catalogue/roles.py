"""Azure built-in role definitions the estate assigns or the pack judges: each GUID written once, here.

Source of every GUID: "Azure built-in roles" (learn.microsoft.com/azure/role-based-access-control/built-in-roles
and its per-category pages: general, storage, security, containers, ai-machine-learning, networking,
identity, monitor); the same values are in the role maps of Azure/bicep-registry-modules.

Standard library only (the pack's leaf package).
"""

from __future__ import annotations

from types import MappingProxyType

# ---- general --------------------------------------------------------------------------------------------------
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
# ---- storage --------------------------------------------------------------------------------------------------
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
STORAGE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR = "69566ab7-960f-475b-8e7c-b3118f30c6bd"
# ---- security -------------------------------------------------------------------------------------------------
KEY_VAULT_ADMINISTRATOR = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
#: Encrypt and decrypt with keys: what AKS's KMS plugin does with the etcd key ("Use Key Management Service (KMS)
#: etcd encryption in AKS", MicrosoftDocs/azure-aks-docs use-kms-etcd-encryption.md, "Key Vault Crypto User").
KEY_VAULT_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
#: Manage vaults but not their data: what AKS needs on a private KMS vault to create its private link (same page,
#: "Assign permissions to create a private link").
KEY_VAULT_CONTRIBUTOR = "f25e0fa2-a7c8-4377-a976-54943a77a395"
# ---- containers -----------------------------------------------------------------------------------------------
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
KUBERNETES_EXTENSION_CONTRIBUTOR = "85cb6faf-e071-4c9b-8136-154b5a04f717"
AKS_CLUSTER_ADMIN_ROLE = "0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8"
AKS_CLUSTER_USER_ROLE = "4abbcc35-e782-43d8-92c5-2d3f1bd2253f"
AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
AKS_RBAC_ADMIN = "3498e952-d568-435e-9b2c-8d77e338d7f7"
AKS_CONTRIBUTOR_ROLE = "ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8"
# ---- AI + machine learning ------------------------------------------------------------------------------------
AZUREML_DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
AZUREML_COMPUTE_OPERATOR = "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815"
AZUREML_METRICS_WRITER = "635dd51f-9968-44d3-b7fb-6d9a6bd613ae"
# ---- networking, identity, monitor ----------------------------------------------------------------------------
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
MANAGED_IDENTITY_OPERATOR = "f1a07417-d97a-45cb-824c-7a7467783830"

#: Roles that administer a resource, its access or its secrets: a workload identity never holds one
#: (controls AML-IAM-003, AML-IAM-011). GUID -> role name as the built-in-roles page writes it.
PRIVILEGED_ROLES: MappingProxyType[str, str] = MappingProxyType(
    {
        OWNER: "Owner",
        CONTRIBUTOR: "Contributor",
        USER_ACCESS_ADMINISTRATOR: "User Access Administrator",
        RBAC_ADMINISTRATOR: "Role Based Access Control Administrator",
        KEY_VAULT_ADMINISTRATOR: "Key Vault Administrator",
        AKS_CLUSTER_ADMIN_ROLE: "Azure Kubernetes Service Cluster Admin Role",
        AKS_RBAC_CLUSTER_ADMIN: "Azure Kubernetes Service RBAC Cluster Admin",
        AKS_RBAC_ADMIN: "Azure Kubernetes Service RBAC Admin",
        AKS_CONTRIBUTOR_ROLE: "Azure Kubernetes Service Contributor Role",
    }
)

#: Roles that write blob data (their data actions include ``.../containers/blobs/write`` or ``.../blobs/delete``):
#: only the training identity holds one on the checkpoints container (control AML-DAT-007). Owner and Contributor
#: carry no data actions (and shared keys are off, AML-IAM-006), so they are judged as privileged roles instead.
BLOB_DATA_WRITE_ROLES: MappingProxyType[str, str] = MappingProxyType(
    {
        STORAGE_BLOB_DATA_CONTRIBUTOR: "Storage Blob Data Contributor",
        STORAGE_BLOB_DATA_OWNER: "Storage Blob Data Owner",
    }
)
