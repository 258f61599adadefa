"""Rules for role assignments on the workspace (``authorization:RoleAssignment``, API 2022-04-01).

Built-in role definition ids (learn.microsoft.com/azure/role-based-access-control/built-in-roles):
Owner 8e3af657-a8ff-443c-a75c-2fe8c4bcb635, Contributor b24988ac-6180-42a0-ab88-20f7382dd24c,
User Access Administrator 18d7d88d-d35e-4fb5-a5c3-7773c4ac27d9, Role Based Access Control Administrator
f58310d9-a9f6-439a-9e8d-f62e7b41a168: each can change the workspace's security settings or its access.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import PolicyResource

from aml_policies.core import Config, Stack, StackRule, get

ROLE_ASSIGNMENT = "authorization:RoleAssignment"
WORKSPACE = "machinelearningservices:Workspace"
PRIVILEGED_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c4ac27d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
}
_WORKSPACE_SCOPE = "/providers/microsoft.machinelearningservices/workspaces/"


def _on_workspace(stack: Stack, assignment: PolicyResource) -> bool:
    if any(
        t.resource_type.endswith(":Workspace") and "machinelearningservices" in t.resource_type
        for t in stack.targets(assignment, "scope")
    ):
        return True
    return any(_WORKSPACE_SCOPE in s.lower() for s in Stack.reference_strings(assignment, "scope"))


def _least_privilege(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    for assignment in stack.of_type(ROLE_ASSIGNMENT):
        if not _on_workspace(stack, assignment):
            continue
        role = str(get(assignment.props, "roleDefinitionId")).rsplit("/", 1)[-1].lower()
        if role in PRIVILEGED_ROLES:
            yield (
                f"role assignment {assignment.name!r} grants {PRIVILEGED_ROLES[role]} on a workspace; use "
                "AzureML Data Scientist, AzureML Compute Operator or Reader",
                assignment.urn,
            )
        if get(assignment.props, "principalType") == "User":
            yield (
                f"role assignment {assignment.name!r} grants a workspace role to a single user; assign roles to "
                "Entra ID groups (principalType 'Group')",
                assignment.urn,
            )


RULES = (
    StackRule(
        control="AML-IAM-003",
        name="workspace-least-privilege",
        description="no Owner, Contributor, User Access Administrator or RBAC Administrator assignment on a "
        "workspace, and no workspace role for a single user.",
        check=_least_privilege,
    ),
)
