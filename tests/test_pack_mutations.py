"""Mutation tests: one insecure change to the compliant fixture, flagged by exactly the control's policies.

Each row of :data:`MUTATIONS` starts from the resources ``tests/fixtures/sdk_program.py`` registers in its
compliant variant (which draw no diagnostic), applies one change (set or delete a property, or remove or
alter a related resource for the stack rules), sends every resource through the pack over its gRPC protocol
(``Analyze`` each, then ``AnalyzeStack``) and asserts that the policies of the new diagnostics are exactly
the policies tagged ``control:<id>`` for that control: the change is caught, by the right rule, and by no
other. The table must cover every kind="policy" control of the catalogue.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from aml_catalogue import load, roles
from hardened_aml.testing import Diagnostic, PolicyPack
from tests.fixtures.sdk_plan import planned, resources

Entries = dict[str, dict[str, Any]]
"""The compliant registrations by resource name (``urn, type, name, inputs, property_dependencies, ...``)."""
Mutation = Callable[[Entries], None]

SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"
ROLE_DEFINITIONS = SUBSCRIPTION + "/providers/Microsoft.Authorization/roleDefinitions/"
STORAGE_ID = SUBSCRIPTION + "/resourceGroups/rg-sdk/providers/Microsoft.Storage/storageAccounts/stsdk"
WORKLOAD_PRINCIPAL = "55555555-5555-5555-5555-555555555555"  # a workload identity's service principal
SUBNET_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-sdk/providers/Microsoft.Network/"
    "virtualNetworks/vnet-sdk/subnets/compute"
)


# --- mutations ---------------------------------------------------------------------------------------
def _walk(node: Any, parts: Sequence[str]) -> Any:
    for part in parts:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    return node


def set_(name: str, path: str, value: Any, *, deps: Sequence[str] | None = None) -> Mutation:
    """Set ``path`` (dotted, list indices as numbers) in ``name``'s inputs to ``value`` (or to what
    ``value(entries)`` returns); ``deps`` replaces the engine dependencies of the top-level property with
    those resources, as a program that wrote this value would have them."""

    def mutate(entries: Entries) -> None:
        entry = entries[name]
        new = value(entries) if callable(value) else value
        *parents, leaf = path.split(".")
        node = _walk(entry["inputs"], parents)
        if isinstance(node, list):
            node[int(leaf)] = copy.deepcopy(new)
        else:
            node[leaf] = copy.deepcopy(new)
        if deps is not None:
            entry["property_dependencies"][path.split(".")[0]] = [entries[d]["urn"] for d in deps]

    return mutate


def delete(name: str, path: str) -> Mutation:
    """Delete ``path`` from ``name``'s inputs (the property is left unset; its dependencies go with it)."""

    def mutate(entries: Entries) -> None:
        entry = entries[name]
        *parents, leaf = path.split(".")
        node = _walk(entry["inputs"], parents)
        del node[leaf]
        if not parents:
            entry["property_dependencies"].pop(leaf, None)

    return mutate


def remove(*names: str) -> Mutation:
    """Remove resources from the stack, as a program that never created them."""

    def mutate(entries: Entries) -> None:
        for name in names:
            del entries[name]

    return mutate


def retype(name: str, type_token: str) -> Mutation:
    """Register ``name`` under another type token (e.g. an explicit API-version module's)."""

    def mutate(entries: Entries) -> None:
        entries[name]["type"] = type_token

    return mutate


def both(*mutations: Mutation) -> Mutation:
    """One change made in several places (a control whose policies judge different resource types)."""

    def mutate(entries: Entries) -> None:
        for mutation in mutations:
            mutation(entries)

    return mutate


def _aks_logs(*audit: str, platform: bool = True) -> list[dict[str, Any]]:
    """An AKS diagnostic setting's logs: the given audit categories, and the platform ones unless told not to."""
    categories = [
        *audit,
        *(("kube-apiserver", "kube-controller-manager", "kube-scheduler", "cluster-autoscaler") if platform else ()),
    ]
    return [{"category": c, "enabled": True} for c in categories]


#: (control, what the careless change is, the change). At least one row per kind="policy" control.
MUTATIONS: list[tuple[str, str, Mutation]] = [
    # --- network -------------------------------------------------------------------------------------
    ("AML-NET-001", "workspace reachable from the internet", set_("workspace", "publicNetworkAccess", "Enabled")),
    (
        "AML-NET-001",
        "public access behind the VNet, on a versioned type token",
        both(
            retype("workspace", "azure-native:machinelearningservices/v20240401:Workspace"),
            set_("workspace", "allowPublicAccessWhenBehindVnet", True),
        ),
    ),
    (
        "AML-NET-002",
        "managed VNet allows internet outbound",
        set_("workspace", "managedNetwork.isolationMode", "AllowInternetOutbound"),
    ),
    ("AML-NET-003", "no private endpoint for the workspace", remove("pe-workspace", "pe-workspace-dns")),
    (
        "AML-NET-003",
        "the workspace's endpoint targets another sub-resource",
        set_("pe-workspace", "privateLinkServiceConnections.0.groupIds", ["notebooks"]),
    ),
    (
        "AML-NET-004",
        "only the first workspace DNS zone (the built-in DINE policy's)",
        set_(
            "pe-workspace-dns",
            "privateDnsZoneConfigs",
            lambda entries: entries["pe-workspace-dns"]["inputs"]["privateDnsZoneConfigs"][:1],
            deps=["zone-api"],
        ),
    ),
    ("AML-NET-004", "no DNS zone group for the workspace endpoint", remove("pe-workspace-dns")),
    ("AML-NET-005", "storage firewall allows by default", set_("storage", "networkRuleSet.defaultAction", "Allow")),
    ("AML-NET-005", "storage public network access unset", delete("storage", "publicNetworkAccess")),
    ("AML-NET-005", "cross-tenant object replication allowed", set_("storage", "allowCrossTenantReplication", True)),
    ("AML-NET-005", "trusted services shut out", set_("storage", "networkRuleSet.bypass", "Logging, Metrics")),
    (
        "AML-NET-016",
        "an address range let in beside the storage's private endpoints",
        set_("storage", "networkRuleSet.ipRules", [{"iPAddressOrRange": "203.0.113.0/24", "action": "Allow"}]),
    ),
    (
        "AML-NET-016",
        "a resource instance let in beside the storage's private endpoints",
        set_(
            "storage",
            "networkRuleSet.resourceAccessRules",
            [
                {
                    "tenantId": "11111111-1111-1111-1111-111111111111",
                    "resourceId": SUBSCRIPTION + "/resourceGroups/rg-other/providers/Microsoft.Synapse/workspaces/syn",
                }
            ],
        ),
    ),
    ("AML-NET-006", "key vault reachable publicly", set_("vault", "properties.publicNetworkAccess", "enabled")),
    ("AML-NET-007", "registry reachable publicly", set_("registry", "publicNetworkAccess", "Enabled")),
    ("AML-NET-008", "no file endpoint for the workspace storage", remove("pe-file", "pe-file-dns")),
    ("AML-NET-008", "no endpoint for the registry", remove("pe-registry", "pe-registry-dns")),
    (
        "AML-NET-009",
        "compute instance with a public IP",
        set_("instance", "properties.properties.enableNodePublicIp", True),
    ),
    (
        "AML-NET-009",
        "cluster public IP left to the default",
        delete("cluster", "properties.properties.enableNodePublicIp"),
    ),
    (
        "AML-NET-010",
        "cluster SSH port left NotSpecified",
        set_("cluster", "properties.properties.remoteLoginPortPublicAccess", "NotSpecified"),
    ),
    (
        "AML-NET-010",
        "compute instance SSH open",
        set_("instance", "properties.properties.sshSettings.sshPublicAccess", "Enabled"),
    ),
    (
        "AML-NET-011",
        "a subnet on compute in a managed VNet",
        set_("cluster", "properties.properties.subnet", {"id": SUBNET_ID}),
    ),
    (
        "AML-NET-012",
        "serverless compute with public IPs",
        set_("workspace", "serverlessComputeSettings.serverlessComputeNoPublicIP", False),
    ),
    (
        "AML-NET-013",
        "public online endpoint and deployment egress",
        both(
            set_("online", "properties.publicNetworkAccess", "Enabled"),
            set_("online-blue", "properties.egressPublicNetworkAccess", "Enabled"),
        ),
    ),
    (
        "AML-NET-014",
        "a service-tag rule to the Internet",
        set_(
            "workspace",
            "managedNetwork.outboundRules",
            {"web": {"type": "ServiceTag", "destination": {"serviceTag": "Internet", "portRanges": "443"}}},
        ),
    ),
    (
        "AML-NET-014",
        "a service-tag rule on protocol any and all ports",
        set_(
            "workspace",
            "managedNetwork.outboundRules",
            {
                "all": {
                    "type": "ServiceTag",
                    "destination": {"serviceTag": "Storage", "protocol": "*", "portRanges": "0-65535"},
                }
            },
        ),
    ),
    (
        "AML-NET-014",
        "two outbound rules to the same destination",
        set_(
            "workspace",
            "managedNetwork.outboundRules",
            {
                "monitor": {"type": "ServiceTag", "destination": {"serviceTag": "AzureMonitor", "portRanges": "443"}},
                "monitor-again": {
                    "type": "ServiceTag",
                    "destination": {"serviceTag": "AzureMonitor", "portRanges": "443"},
                },
            },
        ),
    ),
    (
        "AML-NET-014",
        "a private-endpoint rule Azure adds itself (the workspace's own key vault)",
        set_(
            "workspace",
            "managedNetwork.outboundRules",
            lambda entries: {
                "kv": {
                    "type": "PrivateEndpoint",
                    "destination": {"serviceResourceId": entries["workspace"]["inputs"]["keyVault"]},
                }
            },
        ),
    ),
    (
        "AML-NET-015",
        "a private registry and no image-build compute",
        delete("workspace", "imageBuildCompute"),
    ),
    (
        "AML-NET-015",
        "an image-build compute the workspace does not have",
        set_("workspace", "imageBuildCompute", "no-such-cluster"),
    ),
    (
        "AML-NET-017",
        "an Azure ML registry reachable from the internet",
        set_("ml-registry", "publicNetworkAccess", "Enabled"),
    ),
    (
        "AML-NET-017",
        "an Azure ML registry created with Azure's default access",
        delete("ml-registry", "publicNetworkAccess"),
    ),
    (
        "AML-NET-017",
        "the registry's storage allows public blobs",
        set_(
            "ml-registry",
            "regionDetails.1.storageAccountDetails.0.systemCreatedStorageAccount.allowBlobPublicAccess",
            "True",
        ),
    ),
    ("AML-NET-018", "no private endpoint for the Azure ML registry", remove("pe-mlregistry", "pe-mlregistry-dns")),
    (
        "AML-NET-018",
        "the Azure ML registry's endpoint is not in its DNS zone",
        remove("pe-mlregistry-dns"),
    ),
    # --- identity and access -------------------------------------------------------------------------
    (
        "AML-IAM-001",
        "system-assigned identity alongside the user-assigned one",
        set_("workspace", "identity.type", "SystemAssigned,UserAssigned"),
    ),
    ("AML-IAM-001", "no primary user-assigned identity", delete("workspace", "primaryUserAssignedIdentity")),
    ("AML-IAM-002", "cluster local auth on", set_("cluster", "properties.disableLocalAuth", False)),
    ("AML-IAM-002", "instance local auth left to the default", delete("instance", "properties.disableLocalAuth")),
    (
        "AML-IAM-002",
        "attached Kubernetes compute local auth on",
        set_("aks-compute", "properties.disableLocalAuth", False),
    ),
    ("AML-IAM-003", "a workspace role for a single user", set_("ws-data-scientists", "principalType", "User")),
    (
        "AML-IAM-003",
        "Owner on the workspace, even for its own identity",
        both(
            set_("ws-data-scientists", "roleDefinitionId", ROLE_DEFINITIONS + roles.OWNER),
            set_("ws-data-scientists", "principalId", WORKLOAD_PRINCIPAL, deps=["identity"]),
            set_("ws-data-scientists", "principalType", "ServicePrincipal"),
        ),
    ),
    ("AML-IAM-003", "principalType left unset", delete("ws-data-scientists", "principalType")),
    ("AML-IAM-003", "a single user, in lowercase", set_("ws-data-scientists", "principalType", "user")),
    ("AML-IAM-004", "key vault access policies", set_("vault", "properties.enableRbacAuthorization", False)),
    ("AML-IAM-005", "registry admin user", set_("registry", "adminUserEnabled", True)),
    ("AML-IAM-005", "registry anonymous pull", set_("registry", "anonymousPullEnabled", True)),
    ("AML-IAM-006", "storage shared keys", set_("storage", "allowSharedKeyAccess", True)),
    ("AML-IAM-006", "storage local users (SFTP) left to the default", delete("storage", "isLocalUserEnabled")),
    ("AML-IAM-007", "online endpoint auth mode unset", delete("online", "properties.authMode")),
    (
        "AML-IAM-013",
        "blob read for the identity that reads the storage key",
        both(
            set_("ws-data-scientists", "principalId", "placeholder", deps=["cmk-identity"]),
            set_("ws-data-scientists", "roleDefinitionId", ROLE_DEFINITIONS + roles.STORAGE_BLOB_DATA_READER),
            set_("ws-data-scientists", "principalType", "ServicePrincipal"),
        ),
    ),
    ("AML-IAM-012", "key auth on a production endpoint", set_("online", "properties.authMode", "key")),
    ("AML-IAM-012", "AML-token auth on a production endpoint", set_("online", "properties.authMode", "AMLToken")),
    ("AML-IAM-008", "cluster with a system-assigned identity", set_("cluster", "identity", {"type": "SystemAssigned"})),
    ("AML-IAM-009", "datastores with access keys", set_("workspace", "systemDatastoresAuthMode", "AccessKey")),
    (
        "AML-IAM-010",
        "a shared compute instance",
        delete("instance", "properties.properties.personalComputeInstanceSettings"),
    ),
    (
        "AML-IAM-011",
        "Contributor on the storage account for a workload identity",
        both(
            set_("ws-data-scientists", "scope", STORAGE_ID, deps=["storage"]),
            set_("ws-data-scientists", "roleDefinitionId", ROLE_DEFINITIONS + roles.CONTRIBUTOR),
            set_("ws-data-scientists", "principalId", WORKLOAD_PRINCIPAL),
            set_("ws-data-scientists", "principalType", "ServicePrincipal"),
        ),
    ),
    (
        "AML-IAM-011",
        "AKS cluster admin at the subscription for a service principal",
        both(
            set_("ws-data-scientists", "scope", SUBSCRIPTION, deps=[]),
            set_("ws-data-scientists", "roleDefinitionId", ROLE_DEFINITIONS + roles.AKS_CLUSTER_ADMIN_ROLE),
            set_("ws-data-scientists", "principalId", WORKLOAD_PRINCIPAL),
            set_("ws-data-scientists", "principalType", "ServicePrincipal"),
        ),
    ),
    ("AML-GOV-009", "a production assignment only reported", set_("assign-vnet", "enforcementMode", "doNotEnforce")),
    ("AML-GOV-009", "a production assignment waiting for enrolment", set_("assign-vnet", "enforcementMode", "Enroll")),
    # --- encryption and data -------------------------------------------------------------------------
    ("AML-ENC-001", "no customer-managed key", delete("workspace", "encryption")),
    ("AML-ENC-001", "customer-managed key disabled", set_("workspace", "encryption.status", "Disabled")),
    ("AML-ENC-002", "TLS 1.0 allowed", set_("storage", "minimumTlsVersion", "TLS1_0")),
    ("AML-ENC-002", "HTTP allowed", set_("storage", "enableHttpsTrafficOnly", False)),
    ("AML-ENC-003", "no key rotation policy", delete("cmk", "properties.rotationPolicy")),
    (
        "AML-ENC-003",
        "the key expires before it is rotated",
        set_("cmk", "properties.rotationPolicy.lifetimeActions.0.trigger.timeBeforeExpiry", "P2Y"),
    ),
    (
        "AML-ENC-009",
        "a software key without an expiry in a Standard vault",
        both(
            set_("cmk", "properties.kty", "RSA"),
            delete("cmk", "properties.attributes.expires"),
            set_("vault", "properties.sku.name", "standard"),
        ),
    ),
    (
        "AML-ENC-009",
        "a 2048-bit HSM key in a vault without a SKU name",
        both(set_("cmk", "properties.keySize", 2048), delete("vault", "properties.sku.name")),
    ),
    ("AML-ENC-004", "no high-business-impact flag", set_("workspace", "hbiWorkspace", False)),
    ("AML-ENC-005", "storage on Microsoft-managed keys", set_("storage", "encryption.keySource", "Microsoft.Storage")),
    ("AML-ENC-005", "storage key source left to the default", delete("storage", "encryption.keySource")),
    ("AML-ENC-005", "storage CMK without its vault", delete("storage", "encryption.keyVaultProperties.keyVaultUri")),
    (
        "AML-ENC-006",
        "storage without infrastructure encryption",
        set_("storage", "encryption.requireInfrastructureEncryption", False),
    ),
    (
        "AML-ENC-007",
        "storage queues on a service-managed key",
        set_("storage", "encryption.services.queue.keyType", "Service"),
    ),
    ("AML-ENC-007", "storage table key type left to the default", delete("storage", "encryption.services.table")),
    ("AML-ENC-008", "registry on Microsoft-managed keys", set_("registry", "encryption.status", "disabled")),
    ("AML-ENC-008", "registry without an encryption block", delete("registry", "encryption")),
    (
        "AML-ENC-008",
        "registry CMK without the identity that reads it",
        delete("registry", "encryption.keyVaultProperties.identity"),
    ),
    ("AML-DAT-001", "anonymous blob access", set_("storage", "allowBlobPublicAccess", True)),
    # DAT-002 has a resource policy (the blob service's settings) and a stack policy (every account has a blob
    # service): each row moves the blob service to an account outside the stack and weakens it. The blob service's
    # diagnostic setting then names the account's blob service by its id, written out, so that AML-MON-009 still
    # relates it to the account.
    (
        "AML-DAT-002",
        "one-day blob soft delete, on another account's blob service",
        both(
            set_("blob", "deleteRetentionPolicy.days", 1),
            set_("blob", "accountName", "stelsewhere", deps=[]),
            set_("diag-blob", "resourceUri", STORAGE_ID + "/blobServices/default", deps=[]),
        ),
    ),
    (
        "AML-DAT-002",
        "no blob versioning, and the stack's account without a blob service",
        both(
            set_("blob", "isVersioningEnabled", False),
            set_("blob", "accountName", "stelsewhere", deps=[]),
            set_("diag-blob", "resourceUri", STORAGE_ID + "/blobServices/default", deps=[]),
        ),
    ),
    # --- Defender for Storage --------------------------------------------------------------------------
    ("AML-DAT-009", "no Defender for Storage on the production account", remove("defender")),
    (
        "AML-DAT-009",
        "Defender for Storage on another account only",
        set_("defender", "resourceId", STORAGE_ID.replace("/stsdk", "/stother"), deps=[]),
    ),
    (
        "AML-DAT-010",
        "no malware scanning on upload",
        set_("defender", "properties.malwareScanning.onUpload.isEnabled", False),
    ),
    (
        "AML-DAT-010",
        "sensitive data threat detection left unset",
        delete("defender", "properties.sensitiveDataDiscovery"),
    ),
    (
        "AML-DAT-010",
        "the subscription's plan wins over the account's settings",
        set_("defender", "properties.overrideSubscriptionLevelSettings", "false"),
    ),
    # DAT-006 has a resource policy (the management policy's own rules) and a stack policy (the checkpoints
    # container is covered): each row breaks the rule that covers the container in a way both can see.
    (
        "AML-DAT-006",
        "the checkpoints' lifecycle rule switched off",
        set_("lifecycle", "policy.rules.0.enabled", "false"),
    ),
    ("AML-DAT-006", "a lifecycle policy without rules", set_("lifecycle", "policy.rules", [])),
    (
        "AML-DAT-006",
        "a delete after a number of days that is not a number",
        set_("lifecycle", "policy.rules.0.definition.actions.baseBlob.delete.daysAfterModificationGreaterThan", "90d"),
    ),
    (
        "AML-DAT-006",
        "previous versions kept for ever, and a second rule that does nothing",
        both(
            delete("lifecycle", "policy.rules.0.definition.actions.version"),
            lambda entries: entries["lifecycle"]["inputs"]["policy"]["rules"].append(
                {"name": "idle", "type": "Lifecycle", "definition": {"actions": {}}}
            ),
        ),
    ),
    (
        "AML-DAT-007",
        "a group of people writes the checkpoints",
        both(
            set_("checkpoints-writer", "principalId", "33333333-3333-3333-3333-333333333333", deps=[]),
            set_("checkpoints-writer", "principalType", "Group"),
        ),
    ),
    (
        "AML-DAT-007",
        "the batch-inference cluster's identity writes the checkpoints",
        set_("checkpoints-writer", "principalId", WORKLOAD_PRINCIPAL, deps=["identity"]),
    ),
    (
        "AML-DAT-007",
        "Storage Blob Data Owner for the training identity",
        set_("checkpoints-writer", "roleDefinitionId", ROLE_DEFINITIONS + roles.STORAGE_BLOB_DATA_OWNER.upper()),
    ),
    (
        "AML-DAT-007",
        "a writer scoped to the container by an ARM id written out",
        both(
            set_("checkpoints-writer", "scope", STORAGE_ID + "/blobServices/default/containers/checkpoints", deps=[]),
            set_("checkpoints-writer", "principalId", WORKLOAD_PRINCIPAL, deps=[]),
        ),
    ),
    ("AML-DAT-005", "registry exports enabled", set_("registry", "policies.exportPolicy.status", "enabled")),
    ("AML-DAT-005", "registry export policy left to the default", delete("registry", "policies.exportPolicy")),
    ("AML-DAT-003", "no purge protection", delete("vault", "properties.enablePurgeProtection")),
    ("AML-DAT-003", "soft delete off", set_("vault", "properties.enableSoftDelete", False)),
    ("AML-DAT-004", "no registry retention", set_("registry", "policies.retentionPolicy.status", "disabled")),
    # --- reliability ---------------------------------------------------------------------------------
    ("AML-REL-001", "zone- but not geo-redundant storage in production", set_("storage", "sku.name", "Standard_ZRS")),
    ("AML-REL-009", "no point-in-time restore in production", delete("blob", "restorePolicy")),
    ("AML-REL-009", "a restore window as long as soft delete", set_("blob", "restorePolicy.days", 14)),
    ("AML-REL-009", "no change feed for the restore", set_("blob", "changeFeed.enabled", "false")),
    ("AML-REL-002", "registry not zone-redundant", set_("registry", "zoneRedundancy", "Disabled")),
    ("AML-REL-012", "a replica without zone redundancy", delete("registry-replica", "zoneRedundancy")),
    ("AML-REL-012", "a replica whose endpoint is off", set_("registry-replica", "regionEndpointEnabled", "false")),
    ("AML-REL-010", "a production registry without a replica", remove("registry-replica")),
    (
        "AML-REL-010",
        "the only replica is in the registry's own region",
        set_("registry-replica", "location", "West Europe"),
    ),
    (
        "AML-REL-011",
        "a production Azure ML registry in one region",
        set_("ml-registry", "regionDetails.1.location", "WestEurope"),
    ),
    (
        "AML-REL-003",
        "a workspace that is neither exploration nor production",
        set_("workspace", "tags.environment", "shared"),
    ),
    (
        "AML-REL-004",
        "traffic sums to 110 and names a deployment that does not exist",
        set_("online", "properties.traffic", {"blue": 100, "green": 10}),
    ),
    (
        "AML-REL-005",
        "a low-priority cluster that batch inference runs on",
        set_("cluster", "properties.properties.vmPriority", "LowPriority"),
    ),
    ("AML-REL-006", "no lock on the customer-managed key", remove("lock-cmk")),
    (
        "AML-REL-006",
        "a ReadOnly lock instead of CanNotDelete on the workspace",
        set_("lock-workspace", "level", "ReadOnly"),
    ),
    ("AML-REL-007", "one instance in production", set_("online-blue", "sku.capacity", 1)),
    ("AML-REL-008", "no readiness probe", delete("online-blue", "properties.readinessProbe")),
    # --- compute and cost ----------------------------------------------------------------------------
    (
        "AML-CMP-001",
        "cluster idles two hours before scaling down",
        set_("cluster", "properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown", "PT2H"),
    ),
    ("AML-CMP-001", "cluster keeps a node", set_("cluster", "properties.properties.scaleSettings.minNodeCount", 1)),
    ("AML-CMP-002", "instance never shuts down", delete("instance", "properties.properties.idleTimeBeforeShutdown")),
    (
        "AML-CMP-002",
        "instance idle shutdown out of range",
        set_("instance", "properties.properties.idleTimeBeforeShutdown", "PT5M"),
    ),
    ("AML-CMP-003", "a size off the list", set_("instance", "properties.properties.vmSize", "Standard_ND96asr_v4")),
    ("AML-CMP-003", "too many nodes", set_("cluster", "properties.properties.scaleSettings.maxNodeCount", 50)),
    (
        "AML-CMP-005",
        "4 ND96 nodes (384 vCPUs) over a 256-vCPU quota",
        set_("cluster", "properties.properties.vmSize", "Standard_ND96asr_v4"),
    ),
    ("AML-CMP-004", "no autoscale setting", remove("online-blue-autoscale")),
    ("AML-CMP-004", "autoscale setting disabled", set_("online-blue-autoscale", "enabled", False)),
    ("AML-COST-001", "no budget", remove("budget")),
    ("AML-COST-001", "a budget without alerts", delete("budget", "notifications")),
    ("AML-COST-002", "storage without a cost centre", delete("storage", "tags.costCentre")),
    (
        "AML-COST-003",
        "an FQDN outbound rule (a billed firewall)",
        set_("workspace", "managedNetwork.outboundRules", {"pypi": {"type": "FQDN", "destination": "pypi.org"}}),
    ),
    ("AML-COST-002", "untagged private DNS zone", delete("zone-api", "tags")),
    # --- operations ----------------------------------------------------------------------------------
    ("AML-MON-001", "no workspace diagnostics", remove("diag-workspace")),
    ("AML-MON-001", "workspace diagnostics without logs", set_("diag-workspace", "logs", [])),
    ("AML-MON-002", "no registry diagnostics", remove("diag-registry")),
    ("AML-MON-002", "storage diagnostics without a destination", delete("diag-storage", "workspaceId")),
    (
        "AML-MON-002",
        "key vault diagnostics without AuditEvent",
        set_("diag-vault", "logs", [{"category": "AzurePolicyEvaluationDetails", "enabled": True}]),
    ),
    (
        "AML-MON-002",
        "registry diagnostics with login events only",
        set_("diag-registry", "logs", [{"category": "ContainerRegistryLoginEvents", "enabled": True}]),
    ),
    ("AML-MON-009", "no queue service diagnostics", remove("diag-queue")),
    (
        "AML-MON-009",
        "table service logs without deletes",
        set_(
            "diag-table",
            "logs",
            [{"category": "StorageRead", "enabled": True}, {"category": "StorageWrite", "enabled": True}],
        ),
    ),
    ("AML-MON-009", "blob service reads not sent", set_("diag-blob", "logs.0.enabled", "false")),
    ("AML-MON-009", "file service logs without a destination", delete("diag-file", "workspaceId")),
    (
        "AML-MON-009",
        "the file service's setting on the account instead",
        set_("diag-file", "resourceUri", STORAGE_ID, deps=["storage"]),
    ),
    ("AML-MON-005", "no AKS audit logs", set_("diag-aks", "logs", _aks_logs())),
    ("AML-MON-005", "AKS audit logs without guard", set_("diag-aks", "logs", _aks_logs("kube-audit-admin"))),
    (
        "AML-MON-008",
        "AKS audit logs without the platform logs",
        set_("diag-aks", "logs", _aks_logs("kube-audit-admin", "guard", platform=False)),
    ),
    (
        "AML-MON-008",
        "AKS logs with every get and list (kube-audit)",
        set_("diag-aks", "logs", _aks_logs("kube-audit-admin", "guard", "kube-audit")),
    ),
    ("AML-MON-008", "AKS diagnostics without metrics", set_("diag-aks", "metrics", [])),
    ("AML-MON-003", "classic Application Insights", set_("insights", "ingestionMode", "ApplicationInsights")),
    (
        "AML-MON-004",
        "deployment without Application Insights",
        set_("online-blue", "properties.appInsightsEnabled", False),
    ),
    # --- AKS -----------------------------------------------------------------------------------------
    (
        "AML-AKS-001",
        "node pools in one zone",
        both(
            set_("aks", "agentPoolProfiles.0.availabilityZones", ["1"]),
            delete("aks-inference", "availabilityZones"),
        ),
    ),
    (
        "AML-AKS-002",
        "public API server, node public IPs",
        both(
            set_("aks", "apiServerAccessProfile.enablePrivateCluster", False),
            set_("aks", "agentPoolProfiles.0.enableNodePublicIP", True),
            set_("aks-inference", "enableNodePublicIP", True),
        ),
    ),
    (
        "AML-AKS-002",
        "command invoke on, node public IPs",
        both(
            delete("aks", "apiServerAccessProfile.disableRunCommand"),
            set_("aks", "agentPoolProfiles.0.enableNodePublicIP", True),
            set_("aks-inference", "enableNodePublicIP", True),
        ),
    ),
    (
        "AML-AKS-003",
        "local accounts on, Kubernetes RBAC off",
        both(set_("aks", "disableLocalAccounts", False), set_("aks", "enableRBAC", False)),
    ),
    (
        "AML-AKS-003",
        "no managed identity, unmanaged Entra integration",
        both(delete("aks", "identity"), set_("aks", "aadProfile.managed", False)),
    ),
    ("AML-AKS-004", "Free tier", set_("aks", "sku.tier", "Free")),
    ("AML-AKS-005", "kubenet without network policy", set_("aks", "networkProfile.networkPlugin", "kubenet")),
    ("AML-AKS-006", "no auto-upgrade channel", set_("aks", "autoUpgradeProfile.upgradeChannel", "none")),
    (
        "AML-AKS-006",
        "patch channel: the minor version leaves support",
        set_("aks", "autoUpgradeProfile.upgradeChannel", "patch"),
    ),
    ("AML-AKS-006", "no upgrade channel set", delete("aks", "autoUpgradeProfile.upgradeChannel")),
    ("AML-AKS-007", "no Azure Policy add-on", set_("aks", "addonProfiles.azurepolicy.enabled", False)),
    (
        "AML-AKS-013",
        "the inference router allows HTTP on a public load balancer",
        both(
            set_("aks-ml-extension", "configurationSettings.allowInsecureConnections", "true"),
            delete("aks-ml-extension", "configurationSettings.internalLoadBalancerProvider"),
        ),
    ),
    (
        "AML-AKS-008",
        "no autoscaler on the system pool, an untainted user pool",
        both(
            set_("aks", "agentPoolProfiles.0.enableAutoScaling", False),
            delete("aks-inference", "nodeTaints"),
        ),
    ),
    (
        "AML-AKS-008",
        "user pools tainted PreferNoSchedule only",
        both(
            set_("aks", "agentPoolProfiles.0.mode", "User"),
            set_("aks", "agentPoolProfiles.0.nodeTaints", ["workload=inference:PreferNoSchedule"]),
            set_("aks-inference", "nodeTaints", ["workload=inference:PreferNoSchedule"]),
        ),
    ),
    (
        "AML-AKS-010",
        "node disks not encrypted at host",
        both(
            set_("aks", "agentPoolProfiles.0.enableEncryptionAtHost", False),
            delete("aks-inference", "enableEncryptionAtHost"),
        ),
    ),
    (
        "AML-AKS-011",
        "SSH to nodes left on",
        both(
            set_("aks", "agentPoolProfiles.0.securityProfile.sshAccess", "LocalUser"),
            delete("aks-inference", "securityProfile"),
        ),
    ),
    (
        "AML-AKS-012",
        "HTTP application routing and the dashboard",
        both(
            set_("aks", "addonProfiles.httpApplicationRouting", {"enabled": True}),
            set_("aks", "addonProfiles.KubeDashboard", {"enabled": True}),
        ),
    ),
    ("AML-AKS-014", "node disks without a disk encryption set", delete("aks", "diskEncryptionSetID")),
    ("AML-AKS-014", "an empty disk encryption set id", set_("aks", "diskEncryptionSetID", "")),
    (
        "AML-AKS-015",
        "Defender for Containers off",
        set_("aks", "securityProfile.defender.securityMonitoring.enabled", "false"),
    ),
    (
        "AML-AKS-016",
        "workload identity without the OIDC issuer",
        delete("aks", "oidcIssuerProfile"),
    ),
    ("AML-AKS-017", "no Image Cleaner", delete("aks", "securityProfile.imageCleaner")),
    ("AML-AKS-017", "Image Cleaner every hour", set_("aks", "securityProfile.imageCleaner.intervalHours", 1)),
    (
        "AML-AKS-018",
        "an availability-set system pool and a two-node user pool",
        both(
            set_("aks", "agentPoolProfiles.0.type", "AvailabilitySet"),
            set_("aks-inference", "minCount", 2),
        ),
    ),
    (
        "AML-AKS-020",
        "nodes of 30 pods, and a pool that leaves maxPods to the plugin's default",
        both(set_("aks", "agentPoolProfiles.0.maxPods", 30), delete("aks-inference", "maxPods")),
    ),
    ("AML-AKS-021", "a Basic load balancer", set_("aks", "networkProfile.loadBalancerSku", "Basic")),
    (
        "AML-AKS-022",
        "pools pinned to a version the control plane does not name",
        both(
            set_("aks", "agentPoolProfiles.0.orchestratorVersion", "1.31"),
            set_("aks-inference", "orchestratorVersion", "1.31"),
        ),
    ),
    (
        "AML-AKS-022",
        "pools a minor version behind the control plane",
        both(
            set_("aks", "kubernetesVersion", "1.32"),
            set_("aks", "agentPoolProfiles.0.orchestratorVersion", "1.31"),
            set_("aks-inference", "orchestratorVersion", "1.31"),
        ),
    ),
    ("AML-AKS-023", "no window for node OS updates", remove("aks-aksManagedNodeOSUpgradeSchedule")),
    (
        "AML-AKS-023",
        "a maintenance window without a schedule",
        delete("aks-aksManagedAutoUpgradeSchedule", "maintenanceWindow.schedule"),
    ),
    (
        "AML-AKS-025",
        "egress through the public load balancer",
        set_("aks", "networkProfile.outboundType", "LoadBalancer"),
    ),
    ("AML-AKS-025", "no outbound type (Azure's default loadBalancer)", delete("aks", "networkProfile.outboundType")),
    (
        "AML-AKS-026",
        "the inference namespace allows all egress",
        set_("aks-namespace", "properties.defaultNetworkPolicy.egress", "allowAll"),
    ),
    ("AML-AKS-026", "no default egress policy (AllowAll)", delete("aks-namespace", "properties.defaultNetworkPolicy")),
    (
        "AML-NET-019",
        "default routes straight to the internet",
        both(set_("aks-routes", "routes.0.nextHopType", "Internet"), set_("tunnel-default", "nextHopType", "internet")),
    ),
    (
        "AML-NET-019",
        "default routes with no next hop, or a firewall hop without its address",
        both(delete("aks-routes", "routes.0.nextHopIpAddress"), delete("tunnel-default", "nextHopType")),
    ),
    ("AML-AKS-024", "the disk CSI driver off", set_("aks", "storageProfile.diskCSIDriver.enabled", False)),
    ("AML-AKS-024", "the snapshot controller off", set_("aks", "storageProfile.snapshotController.enabled", "false")),
    ("AML-AKS-029", "no KMS", delete("aks", "securityProfile.azureKeyVaultKms")),
    ("AML-AKS-029", "KMS disabled (string)", set_("aks", "securityProfile.azureKeyVaultKms.enabled", "False")),
    (
        "AML-AKS-029",
        "KMS vault public by default",
        delete("aks", "securityProfile.azureKeyVaultKms.keyVaultNetworkAccess"),
    ),
    (
        "AML-AKS-029",
        "KMS vault public",
        set_("aks", "securityProfile.azureKeyVaultKms.keyVaultNetworkAccess", "public"),
    ),
    ("AML-AKS-029", "no KMS key", delete("aks", "securityProfile.azureKeyVaultKms.keyId")),
    ("AML-AKS-029", "no API server VNet integration", delete("aks", "apiServerAccessProfile.enableVnetIntegration")),
    (
        "AML-AKS-019",
        "the Secrets Store CSI driver without rotation",
        set_("aks", "addonProfiles.azureKeyvaultSecretsProvider", {"enabled": True, "config": {}}),
    ),
    ("AML-MON-006", "the action group disabled", set_("action-group", "enabled", "false")),
    ("AML-MON-006", "the action group has no receiver", delete("action-group", "emailReceivers")),
    ("AML-MON-006", "the endpoint's alert rule disabled", set_("alert-latency", "enabled", False)),
    ("AML-MON-006", "no alert rule on the AKS cluster", remove("alert-nodes")),
    ("AML-MON-006", "no alert rule on jobs", remove("alert-jobs")),
    (
        "AML-MON-006",
        "the jobs' rule notifies nobody",
        lambda entries: (
            entries["alert-jobs"]["inputs"].update(actions={}),
            entries["alert-jobs"]["property_dependencies"].pop("actions", None),
        ),
    ),
    ("AML-MON-006", "no key-expiry alert on the vault", remove("key-expiry")),
    (
        "AML-MON-006",
        "the key-expiry topic watches no vault",
        set_("key-expiry-topic", "topicType", "Microsoft.Storage.StorageAccounts"),
    ),
    (
        "AML-MON-006",
        "key-expiry events in the Event Grid schema (refused by the alert destination)",
        set_("key-expiry", "eventDeliverySchema", "EventGridSchema"),
    ),
    (
        "AML-MON-006",
        "only expired keys alert",
        set_("key-expiry", "filter.includedEventTypes", ["Microsoft.KeyVault.KeyExpired"]),
    ),
    (
        "AML-MON-006",
        "the key-expiry subscription expires",
        set_("key-expiry", "expirationTimeUtc", "2027-01-01T00:00:00Z"),
    ),
    ("AML-MON-006", "key-expiry events to a webhook", set_("key-expiry", "destination.endpointType", "WebHook")),
    (
        "AML-MON-007",
        "a webhook over http",
        set_(
            "action-group",
            "webhookReceivers",
            [{"name": "hook", "serviceUri": "http://hooks.example.com/alerts", "useCommonAlertSchema": True}],
        ),
    ),
    ("AML-MON-007", "e-mail in the legacy schema", delete("action-group", "emailReceivers.0.useCommonAlertSchema")),
    ("AML-AKS-009", "AKS attached without the Azure ML extension", remove("aks-ml-extension")),
    (
        "AML-AKS-009",
        "the attach does not wait for the extension",
        lambda entries: entries["aks-compute"].update(dependencies=[]),
    ),
]


# --- fixtures ----------------------------------------------------------------------------------------
def _compliant() -> Entries:
    return {e["name"]: e for e in planned("compliant")}


def _check(pack: PolicyPack, entries: Entries) -> list[Diagnostic]:
    return pack.check(resources(entries.values()))


def _key(d: Diagnostic) -> tuple[str, str, str]:
    return (d.policy, d.urn, d.message)


def new_diagnostics(pack: PolicyPack, baseline: list[Diagnostic], mutation: Mutation) -> list[Diagnostic]:
    """What the pack reports after one change to the compliant fixture that it did not report before."""
    entries = _compliant()
    mutation(entries)
    before = {_key(d) for d in baseline}
    return [d for d in _check(pack, entries) if _key(d) not in before]


# --- tests -------------------------------------------------------------------------------------------
def test_the_table_covers_every_policy_control(by_control: dict[str, set[str]]) -> None:
    controls = {c.id for c in load().of_kind("policy")}
    mutated = {control for control, _, _ in MUTATIONS}
    assert sorted(controls - mutated) == [], "controls without a mutation"
    assert sorted(mutated - controls) == [], "mutations of controls that are not kind='policy'"
    assert set(by_control) == controls


def test_the_compliant_fixture_covers_every_judged_type(pack: PolicyPack) -> None:
    """Every type a resource rule names is in the compliant fixture, fully hardened (which draws nothing)."""
    judged = {
        tag.removeprefix("resource:")
        for policy in pack.client.info().policies
        for tag in policy.tags
        if tag.startswith("resource:") and tag != "resource:stack"
    }
    present = {e["type"].removeprefix("azure-native:") for e in planned("compliant") if e["custom"]}
    assert sorted(judged - present) == []


def test_the_compliant_fixture_draws_nothing(baseline: list[Diagnostic]) -> None:
    assert [f"{d.policy}: {d.message}" for d in baseline] == []


@pytest.mark.parametrize(
    ("control", "description", "mutation"),
    MUTATIONS,
    ids=[f"{control}-{description.replace(' ', '-')}" for control, description, _ in MUTATIONS],
)
def test_a_mutation_is_flagged_by_exactly_its_controls_policies(
    pack: PolicyPack,
    by_control: dict[str, set[str]],
    baseline: list[Diagnostic],
    control: str,
    description: str,
    mutation: Mutation,
) -> None:
    new = new_diagnostics(pack, baseline, mutation)
    assert {d.policy for d in new} == by_control[control], [f"{d.policy}: {d.message}" for d in new]
    assert all(d.message.startswith(f"[{control}] ") for d in new)
