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

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_azure_native.machinelearningservices as ml

from hardened_aml import shared
from hardened_aml.errors import InvalidInputError


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
    """The managed Azure Firewall that FQDN rules bring (``FirewallSku``: Standard | Basic)."""

    STANDARD = "Standard"
    BASIC = "Basic"


#: Ports an FQDN rule allows ("FQDN outbound rules only support ports 80 and 443", how-to-managed-network).
FQDN_PORTS = (80, 443)
#: Services whose private-endpoint rules Azure adds itself: the workspace's storage, key vault and registry.
_AZURE_ADDED = ("storage_account_id", "key_vault_id", "container_registry_id")
_RULE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_FQDN = re.compile(r"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


@dataclass(frozen=True, kw_only=True)
class PrivateEndpointRule:
    """Outbound to an Azure resource through a managed private endpoint (any isolation mode)."""

    name: str
    """Rule name, unique in the workspace. Default: none, required."""
    service_resource_id: pulumi.Input[str]
    """ARM id of the resource. Default: none, required; not the workspace's own storage, key vault or registry."""
    subresource_target: str
    """Private-link group id, e.g. ``blob``, ``vault``, ``registry``. Default: none, required."""


@dataclass(frozen=True, kw_only=True)
class ServiceTagRule:
    """Outbound to an Azure service tag (only under ``AllowOnlyApprovedOutbound``)."""

    name: str
    """Rule name, unique in the workspace. Default: none, required."""
    service_tag: str
    """Service tag, e.g. ``AzureMonitor``. Default: none, required."""
    protocol: str = "TCP"
    """Protocol. Default: ``TCP``."""
    port_ranges: str = "443"
    """Ports, e.g. ``443`` or ``80,443``. Default: ``443``."""


@dataclass(frozen=True, kw_only=True)
class FqdnRule:
    """Outbound to a host name through the managed firewall (only under ``AllowOnlyApprovedOutbound``; ports 80
    and 443 only; brings a billed Azure Firewall, control AML-COST-003)."""

    name: str
    """Rule name, unique in the workspace. Default: none, required."""
    destination: str
    """Host name, optionally ``*.``-prefixed; no scheme and no port. Default: none, required."""
    ports: tuple[int, ...] = (443,)
    """Ports the rule is for: 80 and/or 443 only (Azure opens exactly these for FQDN rules; the rule itself has
    no port field). Default: ``(443,)``."""


OutboundRule = PrivateEndpointRule | ServiceTagRule | FqdnRule
"""A typed outbound rule of the managed network (control AML-NET-014)."""


@dataclass(frozen=True, kw_only=True)
class WorkspaceArgs:
    """Inputs of :class:`Workspace`."""

    resource_group_name: pulumi.Input[str]
    """The resource group. Default: none, required."""
    location: str
    """The Azure region. Default: none, required."""
    workspace_name: str
    """Name of the workspace. Default: none, required (from ``Namer``)."""
    identity_id: pulumi.Input[str]
    """The user-assigned identity: the workspace's only and primary identity, and the one that reads the CMK.
    Default: none, required (controls AML-IAM-001, AML-ENC-001)."""
    storage_account_id: pulumi.Input[str]
    """Default storage. Default: none, required."""
    key_vault_id: pulumi.Input[str]
    """Key Vault of the workspace and of the CMK. Default: none, required."""
    key_identifier: pulumi.Input[str]
    """URI of the CMK (with version). Default: none, required (control AML-ENC-001)."""
    container_registry_id: pulumi.Input[str]
    """Container registry. Default: none, required."""
    application_insights_id: pulumi.Input[str]
    """Application Insights. Default: none, required (control AML-MON-003)."""
    log_analytics_workspace_id: pulumi.Input[str]
    """Where diagnostics go. Default: none, required (control AML-MON-001)."""
    isolation_mode: IsolationMode = IsolationMode.ALLOW_ONLY_APPROVED_OUTBOUND
    """Managed VNet outbound mode. Default: ``AllowOnlyApprovedOutbound`` (control AML-NET-002)."""
    network_provisioning: NetworkProvisioning = NetworkProvisioning.WITH_WORKSPACE
    """When the managed VNet is provisioned. Default: with the workspace, in the PUT that disables public access
    (control AML-NET-002)."""
    outbound_rules: Sequence[OutboundRule] = ()
    """Approved outbound destinations, inline on the workspace. Default: none beyond the rules Azure adds
    (control AML-NET-014)."""
    firewall_sku: FirewallSku = FirewallSku.STANDARD
    """SKU of the managed firewall FQDN rules bring. Default: ``Standard`` (control AML-COST-003)."""
    image_build_compute: str | None = None
    """Compute cluster that builds images (the registry is private). Default: none (set it before building
    environments; see PITFALLS "Private container registry breaks image builds")."""
    friendly_name: str | None = None
    """Display name. Default: the workspace name."""
    protection: shared.Protection = field(default_factory=shared.Protection)
    """``protect`` and a ``CanNotDelete`` lock on the workspace. Default: off (control AML-REL-006)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """Resources to create first, e.g. the identity's role assignment on the key. Default: none."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


class Workspace(pulumi.ComponentResource):
    """A private, CMK-encrypted, HBI workspace in a managed VNet with a user-assigned identity only."""

    workspace_id: pulumi.Output[str]
    workspace_name: pulumi.Output[str]

    def __init__(self, name: str, args: WorkspaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        isolation_mode, provisioning, firewall_sku = validate(name, args)
        super().__init__("hardened-aml:index:Workspace", name, None, opts)

        self.workspace = ml.Workspace(
            f"{name}-mlw",
            workspace_name=args.workspace_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="Default",
            sku=ml.SkuArgs(name="Basic", tier=ml.SkuTier.BASIC),
            friendly_name=args.friendly_name or args.workspace_name,
            # AML-IAM-001: the user-assigned identity only (no system-assigned), and it is the primary one.
            identity=ml.ManagedServiceIdentityArgs(type="UserAssigned", user_assigned_identities=[args.identity_id]),
            primary_user_assigned_identity=args.identity_id,
            storage_account=args.storage_account_id,
            key_vault=args.key_vault_id,
            container_registry=args.container_registry_id,
            application_insights=args.application_insights_id,
            # AML-NET-001: reached through its private endpoint only.
            public_network_access="Disabled",
            allow_public_access_when_behind_vnet=False,
            # AML-NET-002: a managed VNet, provisioned in this same PUT (public access is already off).
            provision_network_now=provisioning is NetworkProvisioning.WITH_WORKSPACE,
            # AML-NET-014: the one place outbound rules are declared (never also as ManagedNetworkSettingsRule).
            managed_network=ml.ManagedNetworkSettingsArgs(
                isolation_mode=isolation_mode.value,
                outbound_rules={r.name: _rule_args(r) for r in args.outbound_rules} or None,
                # AML-COST-003: the firewall FQDN rules bring; meaningful only under approved outbound.
                firewall_sku=firewall_sku.value
                if isolation_mode is IsolationMode.ALLOW_ONLY_APPROVED_OUTBOUND
                else None,
            ),
            # AML-NET-012: serverless compute without public IPs.
            serverless_compute_settings=ml.ServerlessComputeSettingsArgs(serverless_compute_no_public_ip=True),
            # AML-ENC-001: customer-managed key, read with the user-assigned identity.
            encryption=ml.EncryptionPropertyArgs(
                status="Enabled",
                identity=ml.IdentityForCmkArgs(user_assigned_identity=args.identity_id),
                key_vault_properties=ml.KeyVaultPropertiesArgs(
                    key_identifier=args.key_identifier, key_vault_arm_id=args.key_vault_id
                ),
            ),
            hbi_workspace=True,  # AML-ENC-004
            system_datastores_auth_mode="Identity",  # AML-IAM-009 (spec enum value "Identity")
            enable_data_isolation=True,
            v1_legacy_mode=False,
            image_build_compute=args.image_build_compute,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protection.protect,
                depends_on=list(args.depends_on),
                # Fixed at creation (see the module docstring): a change plans a replacement, which protect refuses.
                replace_on_changes=list(REPLACE_ON_CHANGES),
            ),
        )
        self.diagnostics = shared.diagnostics(
            f"{name}-diag-mlw",
            resource_id=self.workspace.id,
            log_analytics_workspace_id=args.log_analytics_workspace_id,
            parent=self,
        )  # AML-MON-001: allLogs and AllMetrics to Log Analytics
        self.locks = (
            [
                shared.delete_lock(
                    f"{name}-mlw-lock", resource=self.workspace, resource_id=self.workspace.id, parent=self
                )
            ]
            if args.protection.lock  # AML-REL-006
            else []
        )
        self.workspace_id = self.workspace.id
        self.workspace_name = self.workspace.name
        self.register_outputs({"workspace_id": self.workspace_id, "workspace_name": self.workspace_name})


#: Workspace fields Azure fixes at creation: a change replaces the workspace (see the module docstring).
REPLACE_ON_CHANGES = ("hbiWorkspace", "encryption.keyVaultProperties.keyVaultArmId", "storageAccount")


def validate(name: str, args: WorkspaceArgs) -> tuple[IsolationMode, NetworkProvisioning, FirewallSku]:
    """Refuse bad input before anything is registered; return the checked modes."""
    isolation_mode = _enum(f"{name}.isolation_mode", IsolationMode, args.isolation_mode)
    provisioning = _enum(f"{name}.network_provisioning", NetworkProvisioning, args.network_provisioning)
    firewall_sku = _enum(f"{name}.firewall_sku", FirewallSku, args.firewall_sku)
    validate_outbound_rules(f"{name}.outbound_rules", args, isolation_mode)
    return isolation_mode, provisioning, firewall_sku


def _enum(key: str, kind: Any, value: object) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise InvalidInputError(key, value, [m.value for m in kind]) from None


def _rule_args(
    rule: OutboundRule,
) -> ml.PrivateEndpointOutboundRuleArgs | ml.ServiceTagOutboundRuleArgs | ml.FqdnOutboundRuleArgs:
    """The SDK's Args class of each union member, so the engine gets camelCase with its ``type``."""
    if isinstance(rule, PrivateEndpointRule):
        return ml.PrivateEndpointOutboundRuleArgs(
            type="PrivateEndpoint",
            category="UserDefined",
            destination=ml.PrivateEndpointDestinationArgs(
                service_resource_id=rule.service_resource_id, subresource_target=rule.subresource_target
            ),
        )
    if isinstance(rule, ServiceTagRule):
        return ml.ServiceTagOutboundRuleArgs(
            type="ServiceTag",
            category="UserDefined",
            destination=ml.ServiceTagDestinationArgs(
                action=ml.RuleAction.ALLOW,
                service_tag=rule.service_tag,
                protocol=rule.protocol,
                port_ranges=rule.port_ranges,
            ),
        )
    return ml.FqdnOutboundRuleArgs(type="FQDN", category="UserDefined", destination=rule.destination)


def _destination(rule: OutboundRule) -> object:
    """What a rule reaches, for the duplicate check (an ``Output`` id compares by identity)."""
    if isinstance(rule, PrivateEndpointRule):
        target = rule.service_resource_id
        return ("pe", target.lower() if isinstance(target, str) else id(target), rule.subresource_target.lower())
    if isinstance(rule, ServiceTagRule):
        return ("tag", rule.service_tag.lower(), rule.protocol.upper(), rule.port_ranges.replace(" ", ""))
    return ("fqdn", rule.destination.lower())


def _same(a: object, b: object) -> bool:
    """The same resource: ids equal from ``/providers/`` on (any case), or the very same ``Output``. Storage
    account, key vault and registry names are globally unique (they are DNS names), so type and name identify
    one, whatever subscription and resource group the id was written with."""
    if isinstance(a, str) and isinstance(b, str):
        return a.lower().partition("/providers/")[2] == b.lower().partition("/providers/")[2] != ""
    return a is b


def validate_outbound_rules(key: str, args: WorkspaceArgs, mode: IsolationMode) -> None:
    """Refuse outbound rules that contradict the isolation mode or each other (control AML-NET-014)."""
    names: set[str] = set()
    seen: dict[object, str] = {}
    for i, rule in enumerate(args.outbound_rules):
        at = f"{key}[{i}]"
        if not isinstance(rule, PrivateEndpointRule | ServiceTagRule | FqdnRule):
            raise InvalidInputError(at, rule, "a PrivateEndpointRule, ServiceTagRule or FqdnRule")
        if not _RULE_NAME.match(rule.name) or rule.name.lower() in names:
            raise InvalidInputError(f"{at}.name", rule.name, "a unique name of letters, digits, '-' and '_'")
        names.add(rule.name.lower())
        if not isinstance(rule, PrivateEndpointRule) and mode is not IsolationMode.ALLOW_ONLY_APPROVED_OUTBOUND:
            raise InvalidInputError(
                f"{at}.name",
                rule.name,
                f"FQDN and service-tag rules only with isolation_mode AllowOnlyApprovedOutbound (it is {mode.value})",
            )
        if isinstance(rule, FqdnRule):
            if not _FQDN.match(rule.destination):
                raise InvalidInputError(
                    f"{at}.destination", rule.destination, "a host name without scheme or port, e.g. pypi.org"
                )
            if not rule.ports or any(p not in FQDN_PORTS for p in rule.ports):
                raise InvalidInputError(f"{at}.ports", rule.ports, "ports 80 and/or 443 (FQDN rules allow no others)")
        if isinstance(rule, PrivateEndpointRule):
            for own in _AZURE_ADDED:
                if _same(rule.service_resource_id, getattr(args, own)):
                    raise InvalidInputError(
                        f"{at}.service_resource_id",
                        rule.service_resource_id,
                        f"a resource other than the workspace's {own.removesuffix('_id').replace('_', ' ')} "
                        "(Azure adds that private-endpoint rule itself)",
                    )
        destination = _destination(rule)
        if destination in seen:
            raise InvalidInputError(
                f"{at}.name", rule.name, f"a destination no other rule names (rule {seen[destination]!r} does)"
            )
        seen[destination] = rule.name
