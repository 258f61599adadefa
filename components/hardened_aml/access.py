"""Least-privilege workspace roles for Entra ID groups (control AML-IAM-003).

Built-in role GUIDs, from "Azure built-in roles" (learn.microsoft.com/azure/role-based-access-control/
built-in-roles/ai-machine-learning and .../built-in-roles/general), the same GUIDs as in the role map of
Azure/bicep-registry-modules ``avm/res/machine-learning-services/workspace/main.bicep``:

- AzureML Data Scientist ``f6c7c914-8db3-469d-8ca1-694a8f32e121``
- AzureML Compute Operator ``e503ece1-11d0-4e8e-8e2c-7a6c3bf38815``
- Reader ``acdd72a7-3385-48ef-bd42-f606fba81ae7``

Owner, Contributor and User Access Administrator are never assigned.
"""

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, NotRequired

import pulumi
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml import shared
from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule

AZUREML_DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
AZUREML_COMPUTE_OPERATOR = "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"

#: An Entra ID object id (a GUID).
ObjectId = Annotated[
    str, Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
]

#: (label in logical names, role GUID, the settings key that lists the groups), in the order assigned.
_PLAN = (
    ("data-scientist", AZUREML_DATA_SCIENTIST, "data_scientist_group_ids"),
    ("compute-operator", AZUREML_COMPUTE_OPERATOR, "compute_operator_group_ids"),
    ("reader", READER, "reader_group_ids"),
)


@args
class AccessSettings(TypedDict):
    """What a user chooses about access: a stack's ``access`` section. Entra ID groups given least-privilege
    roles on the workspace (control AML-IAM-003)."""

    data_scientist_group_ids: NotRequired[Annotated[list[ObjectId], Field(default_factory=list)]]
    """Object ids of groups given "AzureML Data Scientist", each once. Default: none (control AML-IAM-003)."""
    compute_operator_group_ids: NotRequired[Annotated[list[ObjectId], Field(default_factory=list)]]
    """Object ids of groups given "AzureML Compute Operator", each once. Default: none (control AML-IAM-003)."""
    reader_group_ids: NotRequired[Annotated[list[ObjectId], Field(default_factory=list)]]
    """Object ids of groups given "Reader", each once. Default: none (control AML-IAM-003)."""


@rule(AccessSettings)
def _each_group_once(s: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    for _, _, key in _PLAN:
        seen: set[str] = set()
        for i, group in enumerate(s[key]):
            if group.lower() in seen:
                yield (key, i), group, "each group once"
            seen.add(group.lower())


@args
class WorkspaceAccessArgs(AccessSettings):
    """Inputs of :class:`WorkspaceAccess`: the user's groups and the workspace they reach."""

    workspace_id: Annotated[Input[str], Wired()]
    """Scope of every assignment: the workspace. Required (control AML-IAM-003)."""
    subscription_id: Annotated[Input[str], Wired()]
    """Subscription of the role definitions. Required."""


class WorkspaceAccess(pulumi.ComponentResource):
    """One role assignment per (group, role) at the workspace scope, ``principalType: Group``."""

    def __init__(self, name: str, args: WorkspaceAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(WorkspaceAccessArgs, args, name)
        super().__init__("hardened-aml:index:WorkspaceAccess", name, None, opts)

        self.assignments = [
            shared.role_assignment(
                f"{name}-{label}-{group.lower()}",
                scope=a["workspace_id"],
                role_guid=role,
                principal_id=group,
                principal_type="Group",  # human access through groups only (AML-IAM-003)
                subscription_id=a["subscription_id"],
                parent=self,
            )
            for label, role, key in _PLAN
            for group in a[key]  # type: ignore[literal-required]
        ]
        self.register_outputs({"assignment_count": len(self.assignments)})
