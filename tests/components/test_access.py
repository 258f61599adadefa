from __future__ import annotations

from component_plan import RG_ID, refused

from hardened_aml.access import AccessSettings, WorkspaceAccess, WorkspaceAccessArgs
from hardened_aml.inputs import checked

WS = RG_ID + "/providers/Microsoft.MachineLearningServices/workspaces/mlw-test"
SUB = "00000000-0000-0000-0000-000000000000"
G1, G2, G3 = (f"{n}1111111-2222-3333-4444-555555555555" for n in "abc")
OWNER, CONTRIBUTOR = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "b24988ac-6180-42a0-ab88-20f7382dd24c"


def test_group_roles_at_workspace_scope(plan):
    args = WorkspaceAccessArgs(
        workspace_id=WS,
        subscription_id=SUB,
        data_scientist_group_ids=[G1],
        compute_operator_group_ids=[G2],
        reader_group_ids=[G3],
    )
    p = plan(lambda: WorkspaceAccess("access", args))
    roles = {r.inputs["principalId"]: r for r in p.of_type("azure-native:authorization:RoleAssignment")}
    prefix = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/"
    assert roles[G1].inputs["roleDefinitionId"] == prefix + "f6c7c914-8db3-469d-8ca1-694a8f32e121"
    assert roles[G2].inputs["roleDefinitionId"] == prefix + "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815"
    assert roles[G3].inputs["roleDefinitionId"] == prefix + "acdd72a7-3385-48ef-bd42-f606fba81ae7"
    for r in roles.values():
        assert r.inputs["principalType"] == "Group"  # AML-IAM-003
        assert r.inputs["scope"] == WS
        assert not r.inputs["roleDefinitionId"].endswith((OWNER, CONTRIBUTOR))


def test_bad_group_id_is_refused():
    args = WorkspaceAccessArgs(workspace_id=WS, subscription_id=SUB, reader_group_ids=["everyone"])
    err = refused(lambda: WorkspaceAccess("access", args))
    assert err.key == "access.reader_group_ids.0" and err.value == "everyone"
    assert err.allowed.startswith("a GUID, e.g. ")  # in words, never the regex


def test_a_group_twice_is_refused():
    args = WorkspaceAccessArgs(workspace_id=WS, subscription_id=SUB, data_scientist_group_ids=[G1, G2, G1.upper()])
    err = refused(lambda: WorkspaceAccess("access", args))
    assert (err.key, err.value, err.allowed) == ("access.data_scientist_group_ids.2", G1.upper(), "each group once")


def test_one_group_in_several_roles(plan):
    args = WorkspaceAccessArgs(
        workspace_id=WS, subscription_id=SUB, data_scientist_group_ids=[G1], reader_group_ids=[G1]
    )
    p = plan(lambda: WorkspaceAccess("access", args))
    assert sorted(r.name for r in p.of_type("azure-native:authorization:RoleAssignment")) == [
        f"access-data-scientist-{G1}",
        f"access-reader-{G1}",
    ]


def test_no_groups_no_assignments(plan):
    p = plan(lambda: WorkspaceAccess("access", WorkspaceAccessArgs(workspace_id=WS, subscription_id=SUB)))
    assert p.of_type("azure-native:authorization:RoleAssignment") == []


def test_settings_read_as_stack_config():
    settings = checked(AccessSettings, {"readerGroupIds": [G3]}, "hardened-aml", config=True)
    assert settings == {"data_scientist_group_ids": [], "compute_operator_group_ids": [], "reader_group_ids": [G3]}
