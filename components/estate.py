"""One hardened Azure Machine Learning estate: every component of this library, wired together."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native.managedidentity as managedidentity
import pulumi_azure_native.resources as resources

from hardened_aml import shared
from hardened_aml.access import WorkspaceAccess, WorkspaceAccessArgs
from hardened_aml.budget import Budget, BudgetArgs, BudgetOptions
from hardened_aml.container_registry import ContainerRegistry, ContainerRegistryArgs
from hardened_aml.errors import InvalidInputError
from hardened_aml.identity_roles import WorkspaceIdentityRoles, WorkspaceIdentityRolesArgs
from hardened_aml.key_vault import KeyVault, KeyVaultArgs
from hardened_aml.monitoring import Monitoring, MonitoringArgs
from hardened_aml.naming import Namer
from hardened_aml.network import Network, NetworkArgs, NetworkOptions
from hardened_aml.private_endpoint import PrivateEndpoint, PrivateEndpointArgs
from hardened_aml.regions import ZONAL_REGIONS
from hardened_aml.storage import GEO_ZONE_REDUNDANT_SKUS, Storage, StorageArgs
from hardened_aml.workspace import IsolationMode, Workspace, WorkspaceArgs

#: Tags every taggable resource carries (control AML-COST-002).
REQUIRED_TAGS = ("team", "environment", "costCentre")


@dataclass(frozen=True, kw_only=True)
class EstateArgs:
    """Inputs of :class:`Estate`."""

    namer: Namer
    """Deterministic names for this stack. Default: none, required."""
    location: str
    """The Azure region; it must have availability zones. Default: none, required
    (controls AML-REL-001, AML-REL-002)."""
    tags: Mapping[str, str]
    """Tags on every resource; must hold team, environment and costCentre. Default: none, required
    (control AML-COST-002)."""
    production: bool = False
    """Production: ``protect`` and ``CanNotDelete`` locks on stateful resources, GZRS storage, 90-day logs.
    Default: off (controls AML-REL-001, AML-REL-006)."""
    network: NetworkOptions = field(default_factory=NetworkOptions)
    """Address plan, existing VNet and existing private DNS zones. Default: a new VNet 10.40.0.0/22 with all
    six private DNS zones (controls AML-NET-003, AML-NET-004, AML-NET-008)."""
    isolation_mode: IsolationMode = IsolationMode.ALLOW_ONLY_APPROVED_OUTBOUND
    """Workspace managed VNet outbound mode. Default: ``AllowOnlyApprovedOutbound`` (control AML-NET-002)."""
    data_scientist_group_ids: tuple[str, ...] = ()
    """Entra ID groups given "AzureML Data Scientist". Default: none (control AML-IAM-003)."""
    compute_operator_group_ids: tuple[str, ...] = ()
    """Entra ID groups given "AzureML Compute Operator". Default: none (control AML-IAM-003)."""
    reader_group_ids: tuple[str, ...] = ()
    """Entra ID groups given "Reader". Default: none (control AML-IAM-003)."""
    budget: BudgetOptions | None = None
    """A monthly budget with alerts on the resource group. Default: none; both stacks of this repository set
    one (control AML-COST-001)."""
    storage_sku: str | None = None
    """Storage redundancy. Default: ``Standard_ZRS``; ``Standard_GZRS`` in production
    (control AML-REL-001)."""


class Estate(pulumi.ComponentResource):
    """Resource group, identity, monitoring, Key Vault + CMK, storage, registry, network, workspace, RBAC."""

    resource_group_name: pulumi.Output[str]
    workspace_id: pulumi.Output[str]
    workspace_name: pulumi.Output[str]

    def __init__(self, name: str, args: EstateArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        _validate(name, args)
        super().__init__("hardened-aml:index:Estate", name, None, opts)
        namer, tags, location = args.namer, dict(args.tags), args.location
        protection = shared.Protection(protect=args.production, lock=args.production)
        child = pulumi.ResourceOptions(parent=self)

        self.resource_group = resources.ResourceGroup(
            f"{name}-rg", resource_group_name=namer.name("rg"), location=location, tags=tags, opts=child
        )
        rg = self.resource_group.name
        # The subscription comes from the resource group's id and the tenant from the identity: no invoke
        # is needed, so a plan never depends on the caller's credentials.
        subscription_id = self.resource_group.id.apply(lambda rg_id: rg_id.split("/")[2])
        # AML-IAM-001: the workspace's only identity, created first so its roles exist before the workspace.
        self.identity = managedidentity.UserAssignedIdentity(
            f"{name}-id",
            resource_name_=namer.name("id"),
            resource_group_name=rg,
            location=location,
            tags=tags,
            opts=child,
        )
        self.monitoring = Monitoring(
            f"{name}-monitoring",
            MonitoringArgs(
                resource_group_name=rg,
                location=location,
                log_analytics_name=namer.name("log"),
                application_insights_name=namer.name("appi"),
                retention_in_days=90 if args.production else 30,
                tags=tags,
            ),
            opts=child,
        )
        law = self.monitoring.log_analytics_workspace_id
        self.key_vault = KeyVault(
            f"{name}-keyvault",
            KeyVaultArgs(
                resource_group_name=rg,
                location=location,
                vault_name=namer.name("kv"),
                key_name=namer.name("cmk"),
                tenant_id=self.identity.tenant_id,
                subscription_id=subscription_id,
                cmk_principal_id=self.identity.principal_id,
                log_analytics_workspace_id=law,
                protection=protection,
                tags=tags,
            ),
            opts=child,
        )
        self.storage = Storage(
            f"{name}-storage",
            StorageArgs(
                resource_group_name=rg,
                location=location,
                account_name=namer.name("st"),
                log_analytics_workspace_id=law,
                sku=args.storage_sku or ("Standard_GZRS" if args.production else "Standard_ZRS"),
                soft_delete_days=30 if args.production else 7,
                protection=protection,
                tags=tags,
            ),
            opts=child,
        )
        self.registry = ContainerRegistry(
            f"{name}-registry",
            ContainerRegistryArgs(
                resource_group_name=rg,
                location=location,
                registry_name=namer.name("cr"),
                log_analytics_workspace_id=law,
                protection=protection,
                tags=tags,
            ),
            opts=child,
        )
        # The identity's roles on the workspace's resources exist before the workspace uses them.
        self.identity_roles = WorkspaceIdentityRoles(
            f"{name}-identity-roles",
            WorkspaceIdentityRolesArgs(
                principal_id=self.identity.principal_id,
                subscription_id=subscription_id,
                storage_account_id=self.storage.account_id,
                key_vault_id=self.key_vault.vault_id,
                container_registry_id=self.registry.registry_id,
                application_insights_id=self.monitoring.application_insights_id,
            ),
            opts=child,
        )
        self.workspace = Workspace(
            f"{name}-workspace",
            WorkspaceArgs(
                resource_group_name=rg,
                location=location,
                workspace_name=namer.name("mlw"),
                identity_id=self.identity.id,
                storage_account_id=self.storage.account_id,
                key_vault_id=self.key_vault.vault_id,
                key_identifier=self.key_vault.key_uri_with_version,
                container_registry_id=self.registry.registry_id,
                application_insights_id=self.monitoring.application_insights_id,
                log_analytics_workspace_id=law,
                isolation_mode=args.isolation_mode,
                protection=protection,
                depends_on=[self.key_vault.key_access, self.identity_roles],
                tags=tags,
            ),
            opts=child,
        )

        self.network = Network(
            f"{name}-network",
            NetworkArgs(
                resource_group_name=rg,
                location=location,
                namer=namer,
                subscription_id=subscription_id,
                options=args.network,
                managed_network=True,  # the workspace always uses its managed VNet (AML-NET-002)
                tags=tags,
            ),
            opts=child,
        )
        # AML-NET-003 / AML-NET-008: a private endpoint for the workspace and for each of its dependencies.
        endpoints: list[tuple[str, pulumi.Output[str], str, tuple[str, ...]]] = [
            (
                "mlw",
                self.workspace.workspace_id,
                "amlworkspace",
                ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"),
            ),
            ("blob", self.storage.account_id, "blob", ("privatelink.blob.core.windows.net",)),
            ("file", self.storage.account_id, "file", ("privatelink.file.core.windows.net",)),
            ("kv", self.key_vault.vault_id, "vault", ("privatelink.vaultcore.azure.net",)),
            ("cr", self.registry.registry_id, "registry", ("privatelink.azurecr.io",)),
        ]
        self.private_endpoints = [
            PrivateEndpoint(
                f"{name}-pep-{purpose}",
                PrivateEndpointArgs(
                    resource_group_name=rg,
                    location=location,
                    private_endpoint_name=namer.name("pep", purpose),
                    target_resource_id=target,
                    group_id=group_id,
                    subnet_id=self.network.private_endpoint_subnet_id,
                    private_dns_zone_ids=[self.network.private_dns_zone_ids[zone] for zone in zones],
                    tags=tags,
                ),
                opts=child,
            )
            for purpose, target, group_id, zones in endpoints
        ]
        self.access = WorkspaceAccess(
            f"{name}-access",
            WorkspaceAccessArgs(
                workspace_id=self.workspace.workspace_id,
                subscription_id=subscription_id,
                data_scientist_group_ids=args.data_scientist_group_ids,
                compute_operator_group_ids=args.compute_operator_group_ids,
                reader_group_ids=args.reader_group_ids,
            ),
            opts=child,
        )

        self.budget = (
            Budget(
                f"{name}-budget",
                BudgetArgs(scope=self.resource_group.id, budget_name=namer.name("budget"), options=args.budget),
                opts=child,
            )
            if args.budget is not None
            else None
        )

        self.resource_group_name = rg
        self.workspace_id = self.workspace.workspace_id
        self.workspace_name = self.workspace.workspace_name
        self.register_outputs(
            {
                "resource_group_name": self.resource_group_name,
                "workspace_id": self.workspace_id,
                "workspace_name": self.workspace_name,
            }
        )


def _validate(name: str, args: EstateArgs) -> None:
    """Refuse bad input before anything is registered."""
    if args.location not in ZONAL_REGIONS:
        raise InvalidInputError(
            f"{name}.location",
            args.location,
            "a region with availability zones: " + ", ".join(sorted(ZONAL_REGIONS)),
        )
    missing = [t for t in REQUIRED_TAGS if not args.tags.get(t)]
    if missing:
        raise InvalidInputError(f"{name}.tags.{missing[0]}", None, "a non-empty value (control AML-COST-002)")
    if args.production and args.storage_sku is not None and args.storage_sku not in GEO_ZONE_REDUNDANT_SKUS:
        raise InvalidInputError(f"{name}.storage_sku", args.storage_sku, GEO_ZONE_REDUNDANT_SKUS)
    args.network.validate(f"{name}.network")
    if args.budget is not None:
        args.budget.validate(f"{name}.budget")
    for key in ("data_scientist_group_ids", "compute_operator_group_ids", "reader_group_ids"):
        WorkspaceAccess.validate(f"{name}.{key}", getattr(args, key))
