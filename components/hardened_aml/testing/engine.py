"""Pulumi's own test engine, with mocks that answer as Azure Resource Manager does, and a recording monitor.

A plain ``pulumi.runtime.Mocks`` echoes inputs back as outputs, which breaks azure-native programs: a
user-assigned identity is a *list* of ids as input and a *map* from id to ``{principalId, clientId}`` as output,
and ids, principal ids, tenant ids and key URIs are outputs Azure computes. :class:`AzureMocks` returns
output-shaped state with ARM-style ids (so resources relate by id as Azure relates them), and
:class:`RecordingMonitor` keeps every ``RegisterResourceRequest`` the program sends: the camelCase inputs as
the engine receives them, the parent, dependencies, ``protect``, ``replaceOnChanges`` and ``ignoreChanges``::

    from hardened_aml.testing.engine import install, run

    monitor = install("my-project", "test")
    planned = run(monitor, lambda: ComputeCluster("train", {...}))

The runtime is process-global: one :func:`install` per process, as the Pulumi CLI runs one program per process.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.runtime
from google.protobuf import json_format
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
TENANT_ID = "11111111-1111-1111-1111-111111111111"
CLIENT_OBJECT_ID = "22222222-2222-2222-2222-222222222222"
SECRET_SIG = "4dabf18193072939515e22adb298388d"

# ARM id templates of the types the estate uses: {key} is an input of the resource (its explicit name
# input, or the parent's name). The name a template needs and the program did not give is the
# resource's logical name. Other types get a generic id under their provider namespace.
_RG = "/subscriptions/{sub}/resourceGroups/{resourceGroupName}"
_ML = _RG + "/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}"
_ST = _RG + "/providers/Microsoft.Storage/storageAccounts/{accountName}"
_KV = _RG + "/providers/Microsoft.KeyVault/vaults/{vaultName}"
_VNET = _RG + "/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}"
_PE = _RG + "/providers/Microsoft.Network/privateEndpoints/{privateEndpointName}"
_DNS = _RG + "/providers/Microsoft.Network/privateDnsZones/{privateZoneName}"
_AKS = _RG + "/providers/Microsoft.ContainerService/managedClusters/{resourceName}"
ID_TEMPLATES: Mapping[str, str] = {
    "azure-native:resources:ResourceGroup": _RG,
    "azure-native:machinelearningservices:Workspace": _ML,
    "azure-native:machinelearningservices:Compute": _ML + "/computes/{computeName}",
    "azure-native:machinelearningservices:OnlineEndpoint": _ML + "/onlineEndpoints/{endpointName}",
    "azure-native:machinelearningservices:OnlineDeployment": _ML
    + "/onlineEndpoints/{endpointName}/deployments/{deploymentName}",
    "azure-native:machinelearningservices:BatchEndpoint": _ML + "/batchEndpoints/{endpointName}",
    "azure-native:machinelearningservices:BatchDeployment": _ML
    + "/batchEndpoints/{endpointName}/deployments/{deploymentName}",
    "azure-native:storage:StorageAccount": _ST,
    "azure-native:storage:BlobServiceProperties": _ST + "/blobServices/default",
    "azure-native:storage:FileServiceProperties": _ST + "/fileServices/default",
    "azure-native:storage:QueueServiceProperties": _ST + "/queueServices/default",
    "azure-native:storage:TableServiceProperties": _ST + "/tableServices/default",
    "azure-native:security:DefenderForStorage": "{resourceId}/providers/Microsoft.Security/defenderForStorageSettings/"
    "{settingName}",
    "azure-native:storage:BlobContainer": _ST + "/blobServices/default/containers/{containerName}",
    "azure-native:keyvault:Vault": _KV,
    "azure-native:keyvault:Key": _KV + "/keys/{keyName}",
    "azure-native:containerregistry:Registry": _RG + "/providers/Microsoft.ContainerRegistry/registries/{registryName}",
    "azure-native:managedidentity:UserAssignedIdentity": _RG
    + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}",
    "azure-native:operationalinsights:Workspace": _RG
    + "/providers/Microsoft.OperationalInsights/workspaces/{workspaceName}",
    "azure-native:applicationinsights:Component": _RG + "/providers/Microsoft.Insights/components/{resourceName}",
    "azure-native:network:VirtualNetwork": _VNET,
    "azure-native:network:Subnet": _VNET + "/subnets/{subnetName}",
    "azure-native:network:NetworkSecurityGroup": _RG
    + "/providers/Microsoft.Network/networkSecurityGroups/{networkSecurityGroupName}",
    "azure-native:network:PrivateEndpoint": _PE,
    "azure-native:network:PrivateDnsZoneGroup": _PE + "/privateDnsZoneGroups/{privateDnsZoneGroupName}",
    "azure-native:privatedns:PrivateZone": _DNS,
    "azure-native:privatedns:VirtualNetworkLink": _DNS + "/virtualNetworkLinks/{virtualNetworkLinkName}",
    "azure-native:containerservice:ManagedCluster": _AKS,
    "azure-native:containerservice:AgentPool": _AKS + "/agentPools/{agentPoolName}",
    "azure-native:monitor:DiagnosticSetting": "{resourceUri}/providers/Microsoft.Insights/diagnosticSettings/{name}",
    "azure-native:authorization:RoleAssignment": "{scope}/providers/Microsoft.Authorization/roleAssignments/"
    "{roleAssignmentName}",
    "azure-native:authorization:ManagementLockByScope": "{scope}/providers/Microsoft.Authorization/locks/{lockName}",
}


def _arm_id(args: MockResourceArgs) -> str:
    inputs = args.inputs
    template = ID_TEMPLATES.get(args.typ)
    if template is None:
        module, _, kind = args.typ.partition(":")[2].partition(":")
        template = _RG + f"/providers/{module}/{kind}/" + "{name}"
    values: dict[str, str] = {"sub": SUBSCRIPTION_ID, "resourceGroupName": "rg"}
    values.update({k: v for k, v in inputs.items() if isinstance(v, str)})
    # A name the program left out (azure-native would auto-name it) takes the logical name.
    for key in ("name", *[k for k in template.split("{")[1:]]):
        key = key.split("}")[0]
        values.setdefault(key, args.name)
    return template.format(**values).replace("//", "/")


def _output_state(args: MockResourceArgs, resource_id: str) -> dict[str, Any]:
    """Output-shaped state: the inputs, reshaped where Azure's outputs differ, plus computed outputs."""
    state = dict(args.inputs)
    identity = state.get("identity")
    if isinstance(identity, Mapping) and isinstance(identity.get("userAssignedIdentities"), list):
        # Input: a list of identity ids. Output: a map from id to {principalId, clientId}.
        state["identity"] = {
            **identity,
            "userAssignedIdentities": {
                i: {"principalId": f"principal-of-{i.rsplit('/', 1)[-1]}", "clientId": "client"}
                for i in identity["userAssignedIdentities"]
            },
        }
    name = resource_id.rsplit("/", 1)[-1]
    identity = state.get("identity")
    if isinstance(identity, Mapping) and "systemassigned" in str(identity.get("type", "")).lower().replace(" ", ""):
        # Azure gives a system-assigned identity its principal and tenant on creation.
        state["identity"] = {**state["identity"], "principalId": f"principal-of-{name}", "tenantId": TENANT_ID}
    state.setdefault("name", name)
    if args.typ == "azure-native:managedidentity:UserAssignedIdentity":
        state.update(principalId=f"principal-of-{name}", clientId=f"client-of-{name}", tenantId=TENANT_ID)
    elif args.typ == "azure-native:keyvault:Vault":
        state.setdefault("properties", {})
        state["properties"] = {**state["properties"], "vaultUri": f"https://{name}.vault.azure.net/"}
    elif args.typ == "azure-native:keyvault:Key":
        vault = resource_id.split("/vaults/")[1].split("/")[0]
        state.update(
            keyUri=f"https://{vault}.vault.azure.net/keys/{name}",
            keyUriWithVersion=f"https://{vault}.vault.azure.net/keys/{name}/0123456789abcdef",
        )
    elif args.typ == "azure-native:machinelearningservices:Workspace":
        # The workspace's immutable GUID, which names its default containers (azureml-blobstore-<workspaceId>).
        state.update(workspaceId=str(uuid.uuid5(uuid.NAMESPACE_URL, resource_id)))
    elif args.typ == "azure-native:operationalinsights:Workspace":
        state.update(customerId=f"customer-of-{name}")
    elif args.typ == "azure-native:applicationinsights:Component":
        state.update(connectionString=f"InstrumentationKey=key-of-{name}", instrumentationKey=f"key-of-{name}")
    return state


class AzureMocks(Mocks):
    """Mocks that answer like Azure Resource Manager, with no network and no credentials."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if not args.custom:  # a component: no provider is involved
            return None, {}
        resource_id = _arm_id(args)
        return resource_id, _output_state(args, resource_id)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "azure-native:authorization:getClientConfig":
            return {
                "clientId": "plan-client",
                "objectId": CLIENT_OBJECT_ID,
                "subscriptionId": SUBSCRIPTION_ID,
                "tenantId": TENANT_ID,
            }, []
        return {}, []


@dataclass
class PlannedResource:
    """One registration as the engine received it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    replace_on_changes: list[str] = field(default_factory=list)
    ignore_changes: list[str] = field(default_factory=list)
    id: str = ""
    provider: str = ""
    """The explicit provider reference (``<provider urn>::<id>``) the resource was registered with, or ``""`` for
    the default provider."""


def _readable(value: Any) -> Any:
    """Engine values as plain JSON: secrets become ``"[secret]"``."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
            return "[secret]"
        return {k: _readable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_readable(v) for v in value]
    return value


class _ErrorLog(logging.Handler):
    """Keeps the errors the program logs through the engine (``pulumi.log.error``, failed applies)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(record.getMessage())


class RecordingMonitor(MockMonitor):
    """A mock monitor that keeps each ``RegisterResourceRequest`` (and the raw property struct)."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.planned: list[PlannedResource] = []
        self.error_log = _ErrorLog()

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        self.planned.append(
            PlannedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=request.custom,
                inputs=_readable(json_format.MessageToDict(request.object)),
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                protect=request.protect,
                replace_on_changes=list(request.replaceOnChanges),
                ignore_changes=list(request.ignoreChanges),
                id=response.id,
                provider=request.provider,
            )
        )
        return response


def install(project: str, stack: str, config: Mapping[str, str] | None = None) -> RecordingMonitor:
    """Point this process's Pulumi runtime at the test engine; return the monitor that records."""
    pulumi.runtime.set_all_config(dict(config or {}))
    monitor = RecordingMonitor(AzureMocks())
    logger = logging.getLogger(f"hardened_aml.plan.{stack}")
    logger.propagate = False
    logger.addHandler(monitor.error_log)
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor, logger=logger)
    return monitor


def run(monitor: RecordingMonitor, program: Callable[[], None]) -> list[PlannedResource]:
    """Run ``program`` to completion under the installed engine; return what it registered."""
    start = len(monitor.planned)
    monitor.error_log.errors.clear()
    _sync_await(run_pulumi_func(program))
    if monitor.error_log.errors:
        raise RuntimeError("the program logged errors: " + " | ".join(monitor.error_log.errors))
    return monitor.planned[start:]
