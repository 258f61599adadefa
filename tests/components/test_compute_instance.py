from __future__ import annotations

import datetime as dt
from typing import Any

import pulumi
import pytest
from component_plan import TAGS, UAI_ID, refused
from test_compute_cluster import OUTSIDE, SUBNET_ID, _workspace

from hardened_aml.compute_instance import (
    ComputeInstance,
    ComputeInstanceArgs,
    PowerAction,
    Recurrence,
    StartStopSchedule,
    WeekDay,
)
from tests.pack_check import mandatory, violations

COMPUTE = "azure-native:machinelearningservices:Compute"
USER = "5f0c2a3b-1d4e-4f60-8a7b-9c0d1e2f3a4b"
TENANT = "11111111-2222-3333-4444-555555555555"
TODAY = dt.date(2026, 11, 27)


def _args(workspace_name: pulumi.Input[str] = "mlw-test", **overrides: Any) -> ComputeInstanceArgs:
    values: dict[str, Any] = dict(
        resource_group_name="rg-test",
        location="westeurope",
        workspace_name=workspace_name,
        name="ci-alice",
        identity_id=UAI_ID,
        vm_size="Standard_DS3_v2",
        assigned_user_object_id=USER,
        assigned_user_tenant_id=TENANT,
        image_epoch="2026-11-15",
        today=TODAY.isoformat(),
        tags=TAGS,
    )
    values.update(overrides)
    return ComputeInstanceArgs(**values)


def test_children_and_hardened_inputs(plan):
    p = plan(lambda: ComputeInstance("alice", _args()))
    component = p.one("hardened-aml:index:ComputeInstance")
    compute = p.one(COMPUTE)
    assert p.types() == sorted(["hardened-aml:index:ComputeInstance", COMPUTE])
    assert compute.name == "alice-ci"
    assert compute.parent == component.urn
    i = compute.inputs
    assert (i["computeName"], i["workspaceName"]) == ("ci-alice", "mlw-test")
    assert i["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [UAI_ID]}
    # AML-GOV-007 (rebuild cycle), AML-NET-011 (its workspace's managed network, for the pack)
    assert i["tags"] == {
        **TAGS,
        "hardened-aml/image-epoch": "2026-11-15",
        "hardened-aml/workspace-managed-network": "true",
    }
    assert i["properties"]["computeType"] == "ComputeInstance"
    assert i["properties"]["disableLocalAuth"] is True  # AML-IAM-002
    props = i["properties"]["properties"]
    assert props == {
        "vmSize": "Standard_DS3_v2",
        "enableNodePublicIp": False,  # AML-NET-009
        "sshSettings": {"sshPublicAccess": "Disabled"},  # AML-NET-010
        "personalComputeInstanceSettings": {"assignedUser": {"objectId": USER, "tenantId": TENANT}},  # AML-IAM-010
        "applicationSharingPolicy": "Personal",
        "computeInstanceAuthorizationType": "personal",
        "enableSSO": True,  # the SDK's default, left as is
        "idleTimeBeforeShutdown": "PT60M",  # AML-CMP-002
    }
    # Azure ignores schedules and idle shutdown on update (bicep-types-az #2543): a change replaces the instance,
    # as does a new image epoch.
    for path in (
        "properties.properties.idleTimeBeforeShutdown",
        "properties.properties.schedules",
        'tags["hardened-aml/image-epoch"]',
    ):
        assert path in compute.replace_on_changes


def test_passes_the_whole_pack_in_its_workspace(plan):
    def program() -> None:
        ws = _workspace()
        ComputeInstance("alice", _args(workspace_name=ws.workspace_name))

    p = plan(program)
    compute = p.one(COMPUTE)
    assert mandatory(p.resources, ignore=OUTSIDE) == []
    assert [d for d in violations(p.resources) if d.urn == compute.urn] == []  # advisory rules pass too


def test_start_stop_schedules_by_recurrence_and_cron(plan):
    schedules = [
        StartStopSchedule(
            action=PowerAction.START,
            recurrence=Recurrence(hours=[8], minutes=[30]),
            time_zone="W. Europe Standard Time",
        ),
        StartStopSchedule(action=PowerAction.STOP, cron="0  19 * * 1-5"),
    ]
    p = plan(lambda: ComputeInstance("alice", _args(schedules=schedules, idle_time_before_shutdown="PT30M")))
    props = p.one(COMPUTE).inputs["properties"]["properties"]
    assert props["idleTimeBeforeShutdown"] == "PT30M"
    assert props["schedules"] == {
        "computeStartStop": [
            {
                "action": "Start",
                "triggerType": "Recurrence",
                "status": "Enabled",
                "recurrence": {
                    "frequency": "Week",
                    "interval": 1,
                    "timeZone": "W. Europe Standard Time",
                    "schedule": {
                        "hours": [8],
                        "minutes": [30],
                        "weekDays": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
                    },
                },
            },
            {
                "action": "Stop",
                "triggerType": "Cron",
                "status": "Enabled",
                "cron": {"expression": "0 19 * * 1-5", "timeZone": "UTC"},
            },
        ]
    }


def test_the_instance_is_rebuilt_once_per_image_cycle(plan):
    def cycle_tag(today: dt.date, **overrides: object) -> str:
        p = plan(lambda: ComputeInstance("alice", _args(today=today.isoformat(), **overrides)))
        return str(p.one(COMPUTE).inputs["tags"]["hardened-aml/image-epoch"])

    # within one 30-day cycle every plan is the same; the first plan of the next cycle changes the tag,
    # a replace-on-change field, so it plans a replacement that boots the latest image
    assert cycle_tag(dt.date(2026, 11, 15)) == cycle_tag(dt.date(2026, 12, 14)) == "2026-11-15"
    assert cycle_tag(dt.date(2026, 12, 15)) == "2026-12-15"
    assert cycle_tag(dt.date(2027, 3, 1)) == "2027-02-13"
    assert cycle_tag(dt.date(2026, 12, 16), max_image_age_days=60) == "2026-11-15"
    err = refused(lambda: ComputeInstance("alice", _args(today="2026-11-14")))
    assert (err.key, err.value) == ("alice.image_epoch", "2026-11-15")


def test_image_epoch_defaults_to_the_utc_date(plan):
    today = dt.datetime.now(dt.UTC).date()
    p = plan(lambda: ComputeInstance("alice", _args(image_epoch=today.isoformat(), today=None)))
    assert p.one(COMPUTE).inputs["tags"]["hardened-aml/image-epoch"] == today.isoformat()


def test_customer_vnet_takes_a_subnet_and_waits_for_the_private_endpoint(plan):
    def program() -> None:
        endpoint = pulumi.CustomResource("azure-native:network:PrivateEndpoint", "pep-mlw", {"subnet": None})
        ComputeInstance(
            "alice",
            _args(workspace_managed_network=False, subnet_id=SUBNET_ID),
            opts=pulumi.ResourceOptions(depends_on=[endpoint]),
        )

    p = plan(program)
    compute = p.one(COMPUTE)
    assert compute.inputs["properties"]["properties"]["subnet"] == {"id": SUBNET_ID}
    assert p.one("azure-native:network:PrivateEndpoint").urn in compute.dependencies


@pytest.mark.parametrize(
    ("overrides", "key", "value"),
    [
        ({"idle_time_before_shutdown": "PT10M"}, "alice.idle_time_before_shutdown", "PT10M"),
        ({"idle_time_before_shutdown": "P3DT1M"}, "alice.idle_time_before_shutdown", "P3DT1M"),
        ({"idle_time_before_shutdown": "60"}, "alice.idle_time_before_shutdown", "60"),
        ({"image_epoch": "15/11/2026"}, "alice.image_epoch", "15/11/2026"),
        ({"image_epoch": "2026-11-28"}, "alice.image_epoch", "2026-11-28"),
        ({"max_image_age_days": 0}, "alice.max_image_age_days", 0),
        ({"assigned_user_object_id": "alice@example.com"}, "alice.assigned_user_object_id", "alice@example.com"),
        ({"assigned_user_tenant_id": ""}, "alice.assigned_user_tenant_id", ""),
        ({"vm_size": "Standard_ND96asr_v4"}, "alice.vm_size", "Standard_ND96asr_v4"),
        ({"name": "ci"}, "alice.name", "ci"),
        ({"subnet_id": SUBNET_ID}, "alice.subnet_id", SUBNET_ID),
        ({"workspace_managed_network": False}, "alice.subnet_id", None),
        ({"tags": {**TAGS, "hardened-aml/image-epoch": "2020-01-01"}}, "alice.tags", "hardened-aml/image-epoch"),
        (
            {"schedules": [StartStopSchedule(action=PowerAction.STOP, cron="0 19 * *")]},
            "alice.schedules.0.cron",
            "0 19 * *",
        ),
        (
            {"schedules": [StartStopSchedule(action="Restart", cron="0 19 * * *")]},  # type: ignore[arg-type]
            "alice.schedules.0.action",
            "Restart",
        ),
        (
            {"schedules": [StartStopSchedule(action=PowerAction.STOP, recurrence=Recurrence(hours=[24], minutes=[0]))]},
            "alice.schedules.0.recurrence.hours.0",
            24,
        ),
        (
            {"schedules": [StartStopSchedule(action=PowerAction.STOP, recurrence=Recurrence(hours=[8], minutes=[]))]},
            "alice.schedules.0.recurrence.minutes",
            [],
        ),
        (
            {
                "schedules": [
                    StartStopSchedule(
                        action=PowerAction.STOP, recurrence=Recurrence(hours=[8], minutes=[0], interval=0)
                    )
                ]
            },
            "alice.schedules.0.recurrence.interval",
            0,
        ),
    ],
)
def test_bad_input_is_refused_before_any_resource(overrides, key, value):
    err = refused(lambda: ComputeInstance("alice", _args(**overrides)))
    assert (err.key, err.value) == (key, value)


def test_a_schedule_has_exactly_one_trigger():
    both = StartStopSchedule(action=PowerAction.STOP, cron="0 19 * * *", recurrence=Recurrence(hours=[19], minutes=[0]))
    err = refused(lambda: ComputeInstance("alice", _args(schedules=[both])))
    assert err.key == "alice.schedules.0.cron" and err.allowed == "exactly one of cron and recurrence"
    neither = StartStopSchedule(action=PowerAction.STOP)
    assert refused(lambda: ComputeInstance("alice", _args(schedules=[neither]))).key == "alice.schedules.0.cron"


def test_weekend_recurrence(plan):
    weekend = Recurrence(hours=[20], minutes=[0], week_days=[WeekDay.SATURDAY, WeekDay.SUNDAY])
    p = plan(
        lambda: ComputeInstance(
            "alice", _args(schedules=[StartStopSchedule(action=PowerAction.STOP, recurrence=weekend)])
        )
    )
    schedule = p.one(COMPUTE).inputs["properties"]["properties"]["schedules"]["computeStartStop"][0]
    assert schedule["recurrence"]["schedule"]["weekDays"] == ["Saturday", "Sunday"]


def test_tenant_may_come_from_an_output(plan):
    p = plan(lambda: ComputeInstance("alice", _args(assigned_user_tenant_id=pulumi.Output.from_input(TENANT))))
    settings = p.one(COMPUTE).inputs["properties"]["properties"]["personalComputeInstanceSettings"]
    assert settings == {"assignedUser": {"objectId": USER, "tenantId": TENANT}}
