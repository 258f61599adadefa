"""Least-privilege workspace roles for Entra ID groups (control AML-IAM-003).

Built-in role GUIDs, from "Azure built-in roles" (learn.microsoft.com/azure/role-based-access-control/
built-in-roles/ai-machine-learning and .../built-in-roles/general), the same GUIDs as in the role map of
Azure/bicep-registry-modules ``avm/res/machine-learning-services/workspace/main.bicep``:

- AzureML Data Scientist ``f6c7c914-8db3-469d-8ca1-694a8f32e121``
- AzureML Compute Operator ``e503ece1-11d0-4e8e-8e2c-7a6c3bf38815``
- Reader ``acdd72a7-3385-48ef-bd42-f606fba81ae7``

Owner, Contributor and User Access Administrator are never assigned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from hardened_aml import shared
from hardened_aml.errors import InvalidInputError

AZUREML_DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
AZUREML_COMPUTE_OPERATOR = "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"

_OBJECT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class WorkspaceAccessArgs:
    """Inputs of :class:`WorkspaceAccess`."""

    workspace_id: pulumi.Input[str]
    """Scope of every assignment: the workspace. Default: none, required."""
    subscription_id: pulumi.Input[str]
    """Subscription of the role definitions. Default: none, required."""
    data_scientist_group_ids: Sequence[str] = ()
    """Groups given "AzureML Data Scientist". Default: none (control AML-IAM-003)."""
    compute_operator_group_ids: Sequence[str] = ()
    """Groups given "AzureML Compute Operator". Default: none (control AML-IAM-003)."""
    reader_group_ids: Sequence[str] = ()
    """Groups given "Reader". Default: none (control AML-IAM-003)."""


class WorkspaceAccess(pulumi.ComponentResource):
    """One role assignment per (group, role) at the workspace scope, ``principalType: Group``."""

    def __init__(self, name: str, args: WorkspaceAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        plan = [
            ("data-scientist", AZUREML_DATA_SCIENTIST, "data_scientist_group_ids"),
            ("compute-operator", AZUREML_COMPUTE_OPERATOR, "compute_operator_group_ids"),
            ("reader", READER, "reader_group_ids"),
        ]
        for _, _, key in plan:
            self.validate(f"{name}.{key}", getattr(args, key))
        super().__init__("hardened-aml:index:WorkspaceAccess", name, None, opts)

        self.assignments = [
            shared.role_assignment(
                f"{name}-{label}-{group.lower()}",
                scope=args.workspace_id,
                role_guid=role,
                principal_id=group,
                principal_type="Group",  # human access through groups only (AML-IAM-003)
                subscription_id=args.subscription_id,
                parent=self,
            )
            for label, role, key in plan
            for group in getattr(args, key)
        ]
        self.register_outputs({"assignment_count": len(self.assignments)})

    @staticmethod
    def validate(key: str, groups: Sequence[str]) -> None:
        """Raise :class:`InvalidInputError` unless ``groups`` is a list of distinct group object ids."""
        if isinstance(groups, str):
            raise InvalidInputError(key, groups, "a list of Entra ID group object ids")
        for group in groups:
            if not isinstance(group, str) or not _OBJECT_ID.match(group):
                raise InvalidInputError(key, group, "an Entra ID group object id (a GUID)")
        if len({g.lower() for g in groups}) != len(groups):
            raise InvalidInputError(key, list(groups), "each group once")
