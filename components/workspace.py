"""The Azure Machine Learning workspace, hardened.

Property names and enum values: the REST spec of the SDK's API version, ``Microsoft.MachineLearningServices/
stable/2025-12-01/workspaceRP.json`` (Azure/azure-rest-api-specs): ``WorkspaceProperties``,
``ManagedNetworkSettings.isolationMode`` (``Disabled | AllowInternetOutbound | AllowOnlyApprovedOutbound``),
``systemDatastoresAuthMode`` (``AccessKey | Identity | UserDelegationSAS``), ``EncryptionProperty``,
``IdentityForCmk.userAssignedIdentity``, ``ServerlessComputeSettings.serverlessComputeNoPublicIP``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

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
        try:
            isolation_mode = IsolationMode(args.isolation_mode)
        except ValueError:
            raise InvalidInputError(
                f"{name}.isolation_mode", args.isolation_mode, [m.value for m in IsolationMode]
            ) from None
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
            # AML-NET-002: a managed VNet; no outbound rules here (Azure adds the required ones itself, and
            # rules declared in two places drift; see PITFALLS "Rules declared twice drift").
            managed_network=ml.ManagedNetworkSettingsArgs(isolation_mode=isolation_mode.value),
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
            opts=pulumi.ResourceOptions(parent=self, protect=args.protection.protect, depends_on=list(args.depends_on)),
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
