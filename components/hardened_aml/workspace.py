"""The Azure Machine Learning workspace, hardened.

Property names and enum values: the REST spec of the SDK's API version, ``Microsoft.MachineLearningServices/
stable/2025-12-01/workspaceRP.json`` (Azure/azure-rest-api-specs): ``WorkspaceProperties``,
``ManagedNetworkSettings.isolationMode`` (``Disabled | AllowInternetOutbound | AllowOnlyApprovedOutbound``),
``systemDatastoresAuthMode`` (``AccessKey | Identity | UserDelegationSAS``), ``EncryptionProperty``,
``IdentityForCmk.userAssignedIdentity``, ``ServerlessComputeSettings.serverlessComputeNoPublicIP``,
``provisionNetworkNow``, ``ManagedNetworkSettings.firewallSku`` (``Standard | Basic``), ``OutboundRule`` (a union
on ``type``: ``PrivateEndpoint`` with ``PrivateEndpointDestination``, ``ServiceTag`` with ``ServiceTagDestination``
``serviceTag``/``protocol``/``portRanges``/``action``, ``FQDN`` with a host name ``destination`` and no port field).

Managed network provisioning (control AML-NET-002; PITFALLS "The managed network is provisioned lazily").
Azure creates the managed VNet lazily, on the first compute, unless asked. The workspace is created with
``provisionNetworkNow: true`` in the same PUT that sets ``publicNetworkAccess: Disabled``, so public access is
off before the network exists and its private endpoints are made for a private workspace (azure-ai-docs PR
#98). The spec says the flag acts "when creating a Workspace ... or else it does nothing": an update never
re-provisions. AVM-Bicep dropped the flag after CI failures (bicep-registry-modules PR #5270): provisioning takes
minutes and, when it fails, the workspace create fails with it. What happens then and how to retry:

* ``pulumi up`` reports the workspace as failed; the workspace may exist with
  ``managedNetwork.status.status == "Inactive"``.
* Provision it by hand, then let Pulumi take the workspace back::

      az ml workspace provision-network -g <resource group> -n <workspace>
      az ml workspace show -g <resource group> -n <workspace> --query managed_network.status.status  # "Active"
      pulumi refresh && pulumi up

  (``az ml workspace provision-network``: learn.microsoft.com ``how-to-managed-network``, "Manually provision a
  managed VNet"; verified with the search tool.)
* ``NetworkProvisioning.ON_FIRST_COMPUTE`` leaves provisioning to Azure (the first compute triggers it), for
  pipelines where provisioning at creation keeps failing; asked for by name.

Outbound rules (control AML-NET-014): one mechanism only, the workspace's inline ``managedNetwork.outboundRules``.
Rules declared both inline and as separate ``ManagedNetworkSettingsRule`` resources fought each other on refresh
(pulumi-azure-native #3225); inline rules reach Azure in the same PUT as ``provisionNetworkNow``, so the network
is provisioned with them, and the pack sees the rules and the isolation mode on one resource. Checked at
construction: FQDN and service-tag rules only under ``AllowOnlyApprovedOutbound``; FQDN destinations are host
names (the rule has no port field and Azure allows ports 80 and 443 only: "FQDN outbound rules only support ports
80 and 443", how-to-managed-network, limitations); no two rules with the same destination; no private-endpoint
rule to the workspace's own storage, key vault or registry (Azure adds those itself, and a second rule for the
same destination fails: azure-docs PR #111532). An FQDN rule brings a billed managed Azure Firewall
(``firewallSku``; control AML-COST-003 warns).

What an update does: ``hbiWorkspace`` "can only be set when a workspace is created" (azure-docs
``concept-data-encryption``), and the CMK "can only be updated to another key in the original Azure Key Vault"
(``concept-customer-managed-keys``, limitations): a change of ``hbiWorkspace``,
``encryption.keyVaultProperties.keyVaultArmId`` or ``storageAccount`` plans a replacement
(``replace_on_changes``). A new key version in the same vault (``keyIdentifier``) updates in place. A
production workspace is protected, so Pulumi refuses such a replacement instead of deleting the workspace.
"""

import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native.machinelearningservices as ml
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml import shared
from hardened_aml.catalogue import all_ports, broad_service_tag, wildcard_fqdn
from hardened_aml.errors import MISSING
from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule
from hardened_aml.private_endpoint import WORKSPACE_ZONES, PrivateLink
from hardened_aml.shared import Environment


class IsolationMode(StrEnum):
    """The managed VNet's outbound mode (control AML-NET-002)."""

    ALLOW_ONLY_APPROVED_OUTBOUND = "AllowOnlyApprovedOutbound"
    """Outbound only to the rules Azure adds and the ones you approve. The secure default."""
    ALLOW_INTERNET_OUTBOUND = "AllowInternetOutbound"
    """Any outbound internet traffic: an exploration opt-out, asked for by name."""


class NetworkProvisioning(StrEnum):
    """When Azure provisions the managed VNet (control AML-NET-002)."""

    WITH_WORKSPACE = "WithWorkspace"
    """``provisionNetworkNow: true`` in the PUT that creates the private workspace. The default."""
    ON_FIRST_COMPUTE = "OnFirstCompute"
    """Lazily, when the first compute is created (Azure's default); for pipelines where provisioning at creation
    fails. Asked for by name."""


class FirewallSku(StrEnum):
    """The managed Azure Firewall that FQDN rules bring (``FirewallSku``: Standard | Basic; control
    AML-COST-003)."""

    STANDARD = "Standard"
    """Azure Firewall Standard. The default."""
    BASIC = "Basic"
    """Azure Firewall Basic: cheaper, lower throughput."""


class OutboundRuleType(StrEnum):
    """The kind of an outbound rule (the spec's ``OutboundRule.type``; control AML-NET-014)."""

    PRIVATE_ENDPOINT = "PrivateEndpoint"
    """To an Azure resource through a managed private endpoint (any isolation mode): ``service_resource_id``
    and ``subresource_target``."""
    SERVICE_TAG = "ServiceTag"
    """To an Azure service tag (only under ``AllowOnlyApprovedOutbound``): ``service_tag``, ``protocol`` and
    ``port_ranges``."""
    FQDN = "FQDN"
    """To a host name through the managed firewall (only under ``AllowOnlyApprovedOutbound``; ports 80 and 443
    only; brings a billed Azure Firewall, control AML-COST-003): ``destination`` and ``ports``."""


class OutboundProtocol(StrEnum):
    """The protocol of a service-tag rule (``ServiceTagDestination.protocol``)."""

    TCP = "TCP"
    """TCP. The default."""
    UDP = "UDP"
    """UDP."""
    ICMP = "ICMP"
    """ICMP."""
    ANY = "*"
    """Any protocol."""


#: Ports an FQDN rule allows ("FQDN outbound rules only support ports 80 and 443", how-to-managed-network).
FQDN_PORTS = (80, 443)
#: The default datastore ("workspaceblobstore") is the blob container ``azureml-blobstore-<workspaceId>`` of the
#: workspace storage, created with the workspace (Azure ML docs, batch-inference tutorial: outputs land under
#: ``azureml-blobstore-<GUID>/azureml/<RunId>``). Workload identities get their blob roles on it, not on the account.
DEFAULT_CONTAINER_PREFIX = "azureml-blobstore-"
#: Services whose private-endpoint rules Azure adds itself: the workspace's storage, key vault and registry.
_AZURE_ADDED = ("storage_account_id", "key_vault_id", "container_registry_id")
_RULE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
_FQDN = r"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
#: An ARM resource id (ARM ids ignore case).
_RESOURCE_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/.+$", re.IGNORECASE)


@args
class OutboundRule(TypedDict):
    """One approved outbound rule of the managed network, inline on the workspace (control AML-NET-014). Its
    ``type`` says which of the other fields it takes."""

    type: OutboundRuleType
    """``PrivateEndpoint``, ``ServiceTag`` or ``FQDN``. Required (control AML-NET-014)."""
    name: Annotated[str, Field(pattern=_RULE_NAME)]
    """Rule name, unique in the workspace: letters, digits, '-' and '_', at most 64. Required (control
    AML-NET-014)."""
    service_resource_id: NotRequired[Annotated[Input[str] | None, Wired()]]
    """``PrivateEndpoint`` only, and then required: ARM id of the resource; not the workspace's own storage, key
    vault or registry (Azure adds those rules itself). Default: none (control AML-NET-014)."""
    subresource_target: NotRequired[Annotated[str, Field(min_length=1)] | None]
    """``PrivateEndpoint`` only, and then required: the private-link group id, e.g. ``blob``, ``vault``,
    ``registry``. Default: none (control AML-NET-014)."""
    service_tag: NotRequired[Annotated[str, Field(min_length=1)] | None]
    """``ServiceTag`` only, and then required: the Azure service tag, e.g. ``AzureMonitor``. Default: none
    (control AML-NET-014)."""
    protocol: NotRequired[OutboundProtocol | None]
    """``ServiceTag`` only: ``TCP``, ``UDP``, ``ICMP`` or ``*``. Default: ``TCP`` for a ``ServiceTag`` rule
    (control AML-NET-014)."""
    port_ranges: NotRequired[str | None]
    """``ServiceTag`` only: ports, e.g. ``443`` or ``80,443``. Default: ``443`` for a ``ServiceTag`` rule
    (control AML-NET-014)."""
    destination: NotRequired[Annotated[str, Field(pattern=_FQDN)] | None]
    """``FQDN`` only, and then required: the host name, optionally ``*.``-prefixed; no scheme and no port.
    Default: none (control AML-NET-014)."""
    ports: NotRequired[list[int] | None]
    """``FQDN`` only: the ports the rule is for, 80 and/or 443 (Azure opens exactly these for FQDN rules; the
    rule itself has no port field). Default: ``[443]`` for an ``FQDN`` rule (controls AML-NET-014,
    AML-COST-003)."""
    unsafe_broad_egress: NotRequired[Annotated[bool, Field(default=False)]]
    """Accept a rule that opens broad egress: a service tag ``Internet`` or ``AzureCloud``, any tag with protocol
    ``*`` on all ports, or an FQDN wildcard over a top-level domain (``*.com``). Such a rule undoes approved
    outbound, so it is refused unless asked for by this name, and never in production. Default: ``false``
    (control AML-NET-014)."""


#: The fields each type of rule takes (beside ``type`` and ``name``), and the ones it requires.
_FIELDS: Mapping[OutboundRuleType, tuple[str, ...]] = {
    OutboundRuleType.PRIVATE_ENDPOINT: ("service_resource_id", "subresource_target"),
    OutboundRuleType.SERVICE_TAG: ("service_tag", "protocol", "port_ranges"),
    OutboundRuleType.FQDN: ("destination", "ports"),
}
_REQUIRED: Mapping[OutboundRuleType, tuple[str, ...]] = {
    OutboundRuleType.PRIVATE_ENDPOINT: ("service_resource_id", "subresource_target"),
    OutboundRuleType.SERVICE_TAG: ("service_tag",),
    OutboundRuleType.FQDN: ("destination",),
}


def rule_with_defaults(r: Mapping[str, Any]) -> dict[str, Any]:
    """A checked rule with the defaults of its type filled in: ``protocol`` TCP and ``port_ranges`` 443 for a
    service-tag rule, ``ports`` [443] for an FQDN rule."""
    filled = dict(r)
    if r["type"] is OutboundRuleType.SERVICE_TAG:
        filled["protocol"] = OutboundProtocol.TCP if r.get("protocol") is None else r["protocol"]
        filled["port_ranges"] = "443" if r.get("port_ranges") is None else r["port_ranges"]
    elif r["type"] is OutboundRuleType.FQDN:
        filled["ports"] = [443] if r.get("ports") is None else r["ports"]
    return filled


@rule(OutboundRule)
def _outbound_rule_fields(r: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    """Each type of rule takes its own fields and requires its required ones (control AML-NET-014)."""
    kind: OutboundRuleType = r["type"]
    own = _FIELDS[kind]
    for field in (f for fields in _FIELDS.values() for f in fields):
        if field not in own and r.get(field) is not None:
            yield (field,), r[field], f"no {field} in a {kind.value} rule (it takes " + ", ".join(own) + ")"
    for field in _REQUIRED[kind]:
        if r.get(field) is None:
            yield (field,), MISSING, f"a value: a {kind.value} rule requires " + " and ".join(_REQUIRED[kind])
    target = r.get("service_resource_id")
    # Checked here rather than by Wired: an Output given stays the very Output, which the workspace's own
    # storage, key vault and registry are compared with (a Wired check would wrap it in a new one).
    if isinstance(target, str) and not _RESOURCE_ID.match(target):
        yield (
            ("service_resource_id",),
            target,
            "an ARM resource id: /subscriptions/<id>/resourceGroups/<name>/providers/...",
        )
    if kind is OutboundRuleType.FQDN:
        ports = rule_with_defaults(r)["ports"]
        if not ports or any(p not in FQDN_PORTS for p in ports):
            yield ("ports",), ports, "ports 80 and/or 443 (FQDN rules allow no others)"
    broad = broad_egress(rule_with_defaults(r))
    if broad is not None:
        production = str(scope.get("environment", "")).lower() == Environment.PRODUCTION.value
        if production or not r.get("unsafe_broad_egress"):
            field, value = broad
            yield (
                (field,),
                value,
                (
                    "a narrower destination (in production a rule this broad is refused even with unsafeBroadEgress)"
                    if production
                    else "a narrower destination, or unsafeBroadEgress: true to accept it by name (exploration only)"
                ),
            )


def broad_egress(r: Mapping[str, Any]) -> tuple[str, str] | None:
    """The field and value that make a rule (defaults filled) open broad egress, or None (control AML-NET-014)."""
    if r["type"] is OutboundRuleType.SERVICE_TAG:
        tag = str(r.get("service_tag") or "")
        if broad_service_tag(tag):
            return "service_tag", tag
        ports = str(r.get("port_ranges") or "").replace(" ", "")
        if r.get("protocol") is OutboundProtocol.ANY and all_ports(ports):
            return "port_ranges", ports
    if r["type"] is OutboundRuleType.FQDN:
        destination = str(r.get("destination") or "")
        if wildcard_fqdn(destination):
            return "destination", destination
    return None


@args
class ManagedNetworkSettings(TypedDict):
    """What a user chooses about the workspace's managed VNet: a stack's ``managedNetwork`` section (controls
    AML-NET-002, AML-NET-014, AML-COST-003)."""

    isolation_mode: NotRequired[Annotated[IsolationMode, Field(default=IsolationMode.ALLOW_ONLY_APPROVED_OUTBOUND)]]
    """The managed VNet's outbound mode: ``AllowOnlyApprovedOutbound``, or ``AllowInternetOutbound`` (an
    exploration opt-out). Default: ``AllowOnlyApprovedOutbound`` (control AML-NET-002)."""
    provisioning: NotRequired[Annotated[NetworkProvisioning, Field(default=NetworkProvisioning.WITH_WORKSPACE)]]
    """When the managed VNet is provisioned: ``WithWorkspace`` (in the PUT that disables public access) or
    ``OnFirstCompute``. Default: ``WithWorkspace`` (control AML-NET-002)."""
    firewall_sku: NotRequired[Annotated[FirewallSku, Field(default=FirewallSku.STANDARD)]]
    """SKU of the managed firewall that FQDN rules bring: ``Standard`` or ``Basic``. Default: ``Standard``
    (control AML-COST-003)."""
    outbound_rules: NotRequired[Annotated[list[OutboundRule], Field(default_factory=list)]]
    """Approved outbound rules, inline on the workspace, each with ``type`` PrivateEndpoint, ServiceTag or FQDN.
    Default: none beyond the rules Azure adds (control AML-NET-014)."""


def _destination(r: Mapping[str, Any]) -> object:
    """What a rule reaches, for the duplicate check (an ``Output`` id compares by identity)."""
    kind = r["type"]
    if kind is OutboundRuleType.PRIVATE_ENDPOINT:
        target = r.get("service_resource_id")
        return (
            "pe",
            target.lower() if isinstance(target, str) else id(target),
            (r.get("subresource_target") or "").lower(),
        )
    if kind is OutboundRuleType.SERVICE_TAG:
        filled = rule_with_defaults(r)
        return (
            "tag",
            (r.get("service_tag") or "").lower(),
            filled["protocol"].value,
            filled["port_ranges"].replace(" ", ""),
        )
    return ("fqdn", (r.get("destination") or "").lower())


@rule(ManagedNetworkSettings)
def _managed_network_rules(n: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    """Outbound rules that contradict the isolation mode or each other (control AML-NET-014)."""
    mode: IsolationMode = n["isolation_mode"]
    names: set[str] = set()
    seen: dict[object, str] = {}
    for i, r in enumerate(n["outbound_rules"]):
        if r["name"].lower() in names:
            yield ("outbound_rules", i, "name"), r["name"], "a unique name of letters, digits, '-' and '_'"
        names.add(r["name"].lower())
        if (
            r["type"] is not OutboundRuleType.PRIVATE_ENDPOINT
            and mode is not IsolationMode.ALLOW_ONLY_APPROVED_OUTBOUND
        ):
            yield (
                ("outbound_rules", i, "type"),
                r["type"].value,
                f"FQDN and service-tag rules only under AllowOnlyApprovedOutbound (the isolation mode is {mode.value})",
            )
        destination = _destination(r)
        if destination in seen:
            yield (
                ("outbound_rules", i, "name"),
                r["name"],
                f"a destination no other rule names (rule {seen[destination]!r} does)",
            )
        seen.setdefault(destination, r["name"])


@args
class WorkspaceArgs(ManagedNetworkSettings):
    """Inputs of :class:`Workspace`: the user's managed-network settings and what the workspace is wired to.

    Resources to create first (e.g. the identity's role assignment on the key) come through the component's
    ``opts.depends_on``, which the workspace resource waits for."""

    resource_group_name: Annotated[Input[str], Wired()]
    """The resource group. Required."""
    location: str
    """The Azure region. Required."""
    workspace_name: str
    """Name of the workspace (from ``Namer``). Required."""
    identity_id: Annotated[Input[str], Wired()]
    """The user-assigned identity: the workspace's only and primary identity, and the one that reads the CMK.
    Required (controls AML-IAM-001, AML-ENC-001)."""
    storage_account_id: Annotated[Input[str], Wired()]
    """Default storage. Required (control AML-NET-014: Azure adds its outbound rule itself)."""
    key_vault_id: Annotated[Input[str], Wired()]
    """Key Vault of the workspace and of the CMK. Required (control AML-ENC-001)."""
    key_identifier: Annotated[Input[str], Wired()]
    """URI of the CMK (with version). Required (control AML-ENC-001)."""
    container_registry_id: Annotated[Input[str], Wired()]
    """Container registry. Required (control AML-NET-014: Azure adds its outbound rule itself)."""
    application_insights_id: Annotated[Input[str], Wired()]
    """Application Insights. Required (control AML-MON-003)."""
    log_analytics_workspace_id: Annotated[Input[str], Wired()]
    """Where diagnostics go. Required (control AML-MON-001)."""
    image_build_compute: NotRequired[str | None]
    """Compute cluster that builds images (the registry is private). Default: none (set it before building
    environments; see PITFALLS "Private container registry breaks image builds") (control AML-NET-015)."""
    friendly_name: NotRequired[str | None]
    """Display name. Default: the workspace name."""
    environment: NotRequired[Annotated[Environment, Field(default=Environment.EXPLORATION)]]
    """``exploration`` or ``production``: production marks the workspace ``protect`` and puts a ``CanNotDelete``
    lock on it. Default: ``exploration`` (control AML-REL-006)."""
    tags: NotRequired[Annotated[dict[str, str], Field(default_factory=dict)]]
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


def _same(a: object, b: object) -> bool:
    """The same resource: ids equal from ``/providers/`` on (any case), or the very same ``Output``. Storage
    account, key vault and registry names are globally unique (they are DNS names), so type and name identify
    one, whatever subscription and resource group the id was written with."""
    if isinstance(a, str) and isinstance(b, str):
        return a.lower().partition("/providers/")[2] == b.lower().partition("/providers/")[2] != ""
    return a is b


@rule(WorkspaceArgs)
def _azure_added_rules(w: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    """No private-endpoint rule to the workspace's own storage, key vault or registry: Azure adds those
    itself, and a second rule for the same destination fails (control AML-NET-014)."""
    for i, r in enumerate(w["outbound_rules"]):
        if r["type"] is not OutboundRuleType.PRIVATE_ENDPOINT or r.get("service_resource_id") is None:
            continue
        for own in _AZURE_ADDED:
            if _same(r["service_resource_id"], w[own]):
                yield (
                    ("outbound_rules", i, "service_resource_id"),
                    r["service_resource_id"],
                    f"a resource other than the workspace's {own.removesuffix('_id').replace('_', ' ')} "
                    "(Azure adds that private-endpoint rule itself)",
                )


#: Workspace fields Azure fixes at creation: a change replaces the workspace (see the module docstring).
REPLACE_ON_CHANGES = ("hbiWorkspace", "encryption.keyVaultProperties.keyVaultArmId", "storageAccount")


def _rule_args(
    r: Mapping[str, Any],
) -> ml.PrivateEndpointOutboundRuleArgs | ml.ServiceTagOutboundRuleArgs | ml.FqdnOutboundRuleArgs:
    """The SDK's Args class of each rule type, so the engine gets camelCase with its ``type``."""
    r = rule_with_defaults(r)
    if r["type"] is OutboundRuleType.PRIVATE_ENDPOINT:
        return ml.PrivateEndpointOutboundRuleArgs(
            type="PrivateEndpoint",
            category="UserDefined",
            destination=ml.PrivateEndpointDestinationArgs(
                service_resource_id=r["service_resource_id"], subresource_target=r["subresource_target"]
            ),
        )
    if r["type"] is OutboundRuleType.SERVICE_TAG:
        return ml.ServiceTagOutboundRuleArgs(
            type="ServiceTag",
            category="UserDefined",
            destination=ml.ServiceTagDestinationArgs(
                action=ml.RuleAction.ALLOW,
                service_tag=r["service_tag"],
                protocol=r["protocol"].value,
                port_ranges=r["port_ranges"],
            ),
        )
    return ml.FqdnOutboundRuleArgs(type="FQDN", category="UserDefined", destination=r["destination"])


class Workspace(pulumi.ComponentResource):
    """A private, CMK-encrypted, HBI workspace in a managed VNet with a user-assigned identity only."""

    workspace_id: pulumi.Output[str]
    workspace_name: pulumi.Output[str]

    def __init__(self, name: str, args: WorkspaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(WorkspaceArgs, args, name)
        super().__init__("hardened-aml:index:Workspace", name, None, opts)

        isolation_mode: IsolationMode = a["isolation_mode"]
        protection = shared.protection(a["environment"])
        self.workspace = ml.Workspace(
            f"{name}-mlw",
            workspace_name=a["workspace_name"],
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            kind="Default",
            sku=ml.SkuArgs(name="Basic", tier=ml.SkuTier.BASIC),
            friendly_name=a.get("friendly_name") or a["workspace_name"],
            # AML-IAM-001: the user-assigned identity only (no system-assigned), and it is the primary one.
            identity=ml.ManagedServiceIdentityArgs(type="UserAssigned", user_assigned_identities=[a["identity_id"]]),
            primary_user_assigned_identity=a["identity_id"],
            storage_account=a["storage_account_id"],
            key_vault=a["key_vault_id"],
            container_registry=a["container_registry_id"],
            application_insights=a["application_insights_id"],
            # AML-NET-001: reached through its private endpoint only.
            public_network_access="Disabled",
            allow_public_access_when_behind_vnet=False,
            # AML-NET-002: a managed VNet, provisioned in this same PUT (public access is already off).
            provision_network_now=a["provisioning"] is NetworkProvisioning.WITH_WORKSPACE,
            # AML-NET-014: the one place outbound rules are declared (never also as ManagedNetworkSettingsRule).
            managed_network=ml.ManagedNetworkSettingsArgs(
                isolation_mode=isolation_mode.value,
                outbound_rules={r["name"]: _rule_args(r) for r in a["outbound_rules"]} or None,
                # AML-COST-003: the firewall FQDN rules bring; meaningful only under approved outbound.
                firewall_sku=a["firewall_sku"].value
                if isolation_mode is IsolationMode.ALLOW_ONLY_APPROVED_OUTBOUND
                else None,
            ),
            # AML-NET-012: serverless compute without public IPs.
            serverless_compute_settings=ml.ServerlessComputeSettingsArgs(serverless_compute_no_public_ip=True),
            # AML-ENC-001: customer-managed key, read with the user-assigned identity.
            encryption=ml.EncryptionPropertyArgs(
                status="Enabled",
                identity=ml.IdentityForCmkArgs(user_assigned_identity=a["identity_id"]),
                key_vault_properties=ml.KeyVaultPropertiesArgs(
                    key_identifier=a["key_identifier"], key_vault_arm_id=a["key_vault_id"]
                ),
            ),
            hbi_workspace=True,  # AML-ENC-004
            system_datastores_auth_mode="Identity",  # AML-IAM-009 (spec enum value "Identity")
            enable_data_isolation=True,
            v1_legacy_mode=False,
            image_build_compute=a.get("image_build_compute"),
            tags=dict(a["tags"]),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=protection.protect,
                # Whatever the component was told to wait for (the estate passes the identity's access to the
                # key and its roles on the workspace's dependencies).
                depends_on=opts.depends_on if opts is not None else None,
                # Fixed at creation (see the module docstring): a change plans a replacement, which protect refuses.
                replace_on_changes=list(REPLACE_ON_CHANGES),
            ),
        )
        self.diagnostics = shared.diagnostics(
            f"{name}-diag-mlw",
            resource_id=self.workspace.id,
            resource_type="Microsoft.MachineLearningServices/workspaces",
            log_analytics_workspace_id=a["log_analytics_workspace_id"],
            parent=self,
        )  # AML-MON-001: allLogs and AllMetrics to Log Analytics
        self.locks = (
            [
                shared.delete_lock(
                    f"{name}-mlw-lock", resource=self.workspace, resource_id=self.workspace.id, parent=self
                )
            ]
            if protection.lock  # AML-REL-006
            else []
        )
        self.workspace_id = self.workspace.id
        self.workspace_name = self.workspace.name
        # The default datastore's blob container: "azureml-blobstore-<workspaceId>" in the workspace storage.
        self.default_container_name = pulumi.Output.concat(DEFAULT_CONTAINER_PREFIX, self.workspace.workspace_id)
        # AML-NET-003 / AML-NET-004: the private endpoint the workspace needs, made by whoever owns the subnet
        # (the estate): ``mlw``, group id ``amlworkspace``, in its two zones. Annotated here, not on the class:
        # Pulumi's schema inference reads class annotations as the component's outputs, and a PrivateLink is not
        # a schema type.
        self.private_links: list[PrivateLink] = [
            PrivateLink(
                purpose="mlw",
                target_resource_id=self.workspace_id,
                group_id="amlworkspace",
                dns_zones=WORKSPACE_ZONES,
            )
        ]
        self.register_outputs(
            {
                "workspace_id": self.workspace_id,
                "workspace_name": self.workspace_name,
                "default_container_name": self.default_container_name,
            }
        )
