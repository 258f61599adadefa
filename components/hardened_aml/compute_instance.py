"""An Azure ML compute instance for one data scientist, hardened, shut down when idle and rebuilt when stale.

Property names and enum values: REST spec ``Microsoft.MachineLearningServices/stable/2025-12-01/
machineLearningServices.json`` (Azure/azure-rest-api-specs), the API version of pulumi-azure-native 3.29.0:
``ComputeInstanceProperties`` (``applicationSharingPolicy`` ``Personal | Shared``, default ``Shared``;
``computeInstanceAuthorizationType`` ``personal``; ``enableNodePublicIp``; ``sshSettings``;
``personalComputeInstanceSettings.assignedUser`` ``{objectId, tenantId}``, both required; ``schedules``),
``ComputeInstanceSshSettings.sshPublicAccess`` (``Enabled | Disabled``), ``ComputeSchedules.computeStartStop``:
a list of ``ComputeStartStopSchedule`` ``{action: Start | Stop, triggerType: Recurrence | Cron, status:
Enabled | Disabled, recurrence | cron}``, where ``Cron`` is ``{expression (NCronTab), timeZone (Windows time
zone, default UTC), startTime}`` and ``Recurrence`` is ``{frequency: Minute | Hour | Day | Week | Month,
interval, timeZone, startTime, schedule: ComputeRecurrenceSchedule {hours, minutes (required), weekDays,
monthDays}}``. ``idleTimeBeforeShutdown`` is missing from that spec layout but accepted by the SDK, whose
``ComputeInstancePropertiesArgs`` documents it as "Time is defined in ISO8601 format. Minimum is 15 min,
maximum is 3 days" (pulumi-azure-native 3.29.0 ``machinelearningservices/_inputs.py``; the pack's AML-CMP-002
uses the same range). The spec's example "Create an ComputeInstance Compute" pairs ``assignedUser`` with
``applicationSharingPolicy: Personal``, as done here. The SDK fills ``applicationSharingPolicy='Shared'`` and
leaves ``enableNodePublicIp`` unset (Azure's default is a public IP), so both are set explicitly.

Updates Azure ignores: a PUT on an existing compute ignores ``schedules`` and ``idleTimeBeforeShutdown``
(PITFALLS: bicep-types-az #2543). A change of either therefore plans a replacement (``replace_on_changes``,
delete-before-replace because the compute name is fixed) instead of an update that silently does nothing.
So do a change of VM size, subnet, assigned user, SSH or public-IP setting, which an instance cannot take in
place either. The instance's OS disk is lost on replacement; notebooks live in the workspace's file share.

OS image freshness (control AML-GOV-007): an instance keeps the image it was created with, and only a
rebuild gets the latest one. The instance is rebuilt on a fixed cycle: ``image_epoch`` (from configuration)
starts it and ``max_image_age_days`` is its length. The tag ``hardened-aml/image-epoch`` holds the start of
the current cycle, ``image_epoch + k * max_image_age_days`` for the largest ``k`` that is not after ``today``
(an argument so tests can fix it; by default the UTC date), and a change of that tag replaces the instance.
So every plan within one cycle is identical, and the first ``pulumi up`` of a new cycle shows, and makes, a
planned replacement that boots the latest image: no instance is older than ``max_image_age_days`` across
deployments, and no config change is needed. Moving ``image_epoch`` forward (never into the future) rebuilds
the instance at once.
"""

import datetime as dt
import re
import uuid
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, NotRequired

import pulumi
import pulumi_azure_native.machinelearningservices as ml
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml.catalogue import (
    IDLE_SHUTDOWN_MAX,
    IDLE_SHUTDOWN_MIN,
    IDLE_SHUTDOWN_RANGE_TEXT,
    IMAGE_EPOCH_TAG,
    MANAGED_NETWORK_TAG,
    control,
    parse_duration,
)
from hardened_aml.compute_cluster import (
    DEFAULT_VM_SIZES,
    ComputeName,
    compute_name_problems,
    placement_problems,
    vm_size_problems,
)
from hardened_aml.inputs import Input, Problem, Wired, args, checked, rule, today
from hardened_aml.shared import InWorkspace, WeekDay

#: Properties Azure ignores or cannot change on an existing instance: a change replaces it (see above).
REPLACE_ON_CHANGES = (
    "identity",
    "properties.properties.idleTimeBeforeShutdown",
    "properties.properties.schedules",
    "properties.properties.vmSize",
    "properties.properties.subnet",
    "properties.properties.enableNodePublicIp",
    "properties.properties.sshSettings",
    "properties.properties.personalComputeInstanceSettings",
    f'tags["{IMAGE_EPOCH_TAG}"]',
)

_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?/,\-#LW]+$")
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

#: The idle shutdown an instance gets by default: the catalogue's AML-CMP-002 default, which the pack's
#: remediation also sets.
DEFAULT_IDLE_SHUTDOWN: str = control("AML-CMP-002").defaults["idleTimeBeforeShutdown"]


class PowerAction(StrEnum):
    """What a schedule does (spec ``ComputePowerAction``)."""

    START = "Start"
    """Start the instance."""
    STOP = "Stop"
    """Stop the instance."""


class RecurrenceFrequency(StrEnum):
    """How often a recurrence fires (spec ``ComputeRecurrenceFrequency``)."""

    MINUTE = "Minute"
    """Every ``interval`` minutes."""
    HOUR = "Hour"
    """Every ``interval`` hours."""
    DAY = "Day"
    """Every ``interval`` days."""
    WEEK = "Week"
    """Every ``interval`` weeks, on ``weekDays``."""
    MONTH = "Month"
    """Every ``interval`` months."""


WORKING_DAYS = [WeekDay.MONDAY, WeekDay.TUESDAY, WeekDay.WEDNESDAY, WeekDay.THURSDAY, WeekDay.FRIDAY]


@args
class Recurrence(TypedDict):
    """A recurrence trigger: at ``hours`` x ``minutes`` on ``weekDays``, every ``interval`` ``frequency``."""

    hours: Annotated[list[Annotated[int, Field(ge=0, le=23)]], Field(min_length=1)]
    """Hours of the day, 0-23. Required, at least one."""
    minutes: Annotated[list[Annotated[int, Field(ge=0, le=59)]], Field(min_length=1)]
    """Minutes of the hour, 0-59. Required, at least one."""
    week_days: NotRequired[Annotated[list[WeekDay], Field(default_factory=lambda: list(WORKING_DAYS))]]
    """Days of the week. Default: Monday to Friday."""
    frequency: NotRequired[Annotated[RecurrenceFrequency, Field(default=RecurrenceFrequency.WEEK)]]
    """Frequency. Default: ``Week``."""
    interval: NotRequired[Annotated[int, Field(default=1, ge=1)]]
    """Every how many ``frequency`` units. Default: 1."""


@args
class StartStopSchedule(TypedDict):
    """One start or stop schedule of the instance: exactly one of ``cron`` and ``recurrence``."""

    action: PowerAction
    """``Start`` or ``Stop``. Required."""
    cron: NotRequired[str | None]
    """An NCronTab expression of five fields, e.g. ``0 19 * * 1-5``. Default: none."""
    recurrence: NotRequired[Recurrence | None]
    """A recurrence. Default: none."""
    time_zone: NotRequired[Annotated[str, Field(default="UTC", min_length=1, pattern=r"\S")]]
    """Windows time-zone id, e.g. ``W. Europe Standard Time``. Default: ``UTC`` (Azure's default)."""


@rule(StartStopSchedule)
def _schedule_rules(s: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    cron, recurrence = s.get("cron"), s.get("recurrence")
    if (cron is None) == (recurrence is None):
        yield ("cron",), cron, "exactly one of cron and recurrence"
    if cron is not None:
        parts = cron.split()
        if len(parts) != 5 or not all(_CRON_FIELD.match(f) for f in parts):
            yield ("cron",), cron, "an NCronTab expression of five fields, e.g. '0 19 * * 1-5'"


@args
class ComputeInstanceSettings(TypedDict):
    """What a user chooses about one personal compute instance: a stack's ``compute.instances[]`` entry."""

    name: ComputeName
    """Compute name, unique in the region: 3-24 letters, digits and '-', starting with a letter. Required."""
    vm_size: str
    """VM size, from the allow-list (``allowedVmSizes``). Required (control AML-CMP-003)."""
    assigned_user_object_id: Annotated[str, Field(pattern=_GUID)]
    """Entra object id of the one user of the instance. Required (control AML-IAM-010)."""
    image_epoch: Annotated[str, Field(pattern=_DATE)]
    """Start of the rebuild cycle, ``YYYY-MM-DD``, not in the future; moving it forward rebuilds the instance at
    once. Required (control AML-GOV-007)."""
    max_image_age_days: NotRequired[Annotated[int, Field(default=30, ge=1, le=365)]]
    """Length of the rebuild cycle in days, 1..365: the first deployment of each new cycle replaces the instance,
    which boots the latest OS image. Default: 30 (control AML-GOV-007)."""
    idle_time_before_shutdown: NotRequired[Annotated[str, Field(default=DEFAULT_IDLE_SHUTDOWN)]]
    """Idle time before the instance shuts down: an ISO-8601 duration from PT15M to P3D. Default: ``PT60M``
    (control AML-CMP-002)."""
    schedules: NotRequired[Annotated[list[StartStopSchedule], Field(default_factory=list)]]
    """Start/stop schedules. Default: none, idle shutdown alone (control AML-CMP-002)."""


@args
class ComputeInstanceArgs(ComputeInstanceSettings, InWorkspace):
    """Inputs of :class:`ComputeInstance`: the user's settings and where the instance goes."""

    assigned_user_tenant_id: Annotated[Input[str], Wired(lambda v: None if _is_guid(v) else "a GUID (Entra tenant id)")]
    """Entra tenant id of the assigned user, e.g. the identity's ``tenant_id`` output. Required (control
    AML-IAM-010)."""
    today: NotRequired[Annotated[str | None, Field(pattern=_DATE)]]
    """The date (``YYYY-MM-DD``) the rebuild cycle is computed for. Default: today's UTC date (for tests)."""
    identity_id: NotRequired[Annotated[Input[str] | None, Wired()]]
    """A user-assigned identity of the instance's own (a ``WorkloadIdentity`` holding data-plane roles only).
    Default: none: the instance has no managed identity and its assigned user's own Entra identity reaches data,
    so the user's group roles are all it can use. Azure ML docs ("Create a compute instance", "Assign managed
    identity") warn that an instance with a managed identity does not shut down when idle unless that identity
    holds Contributor on the workspace, a role no workload identity is given (controls AML-IAM-011,
    AML-CMP-002)."""
    allowed_vm_sizes: NotRequired[Annotated[list[str], Field(default=list(DEFAULT_VM_SIZES))]]
    """The VM sizes allowed. Default: the pack's default allow-list (control AML-CMP-003)."""
    workspace_managed_network: NotRequired[Annotated[bool, Field(default=True)]]
    """Whether the workspace uses its managed VNet, which then hosts the instance. Default: yes (control
    AML-NET-011)."""
    subnet_id: NotRequired[Annotated[Input[str] | None, Wired()]]
    """The compute subnet: only, and then required, when the workspace does not use its managed VNet.
    Default: none (control AML-NET-011)."""
    description: NotRequired[str | None]
    """Description shown in the studio. Default: none."""
    tags: NotRequired[Annotated[dict[str, str], Field(default_factory=dict)]]
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


def _is_guid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@rule(ComputeInstanceSettings)
def _instance_rules(i: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    yield from compute_name_problems(i["name"])
    yield from vm_size_problems("vm_size", i["vm_size"], scope)
    idle = parse_duration(i["idle_time_before_shutdown"])
    if idle is None or not IDLE_SHUTDOWN_MIN <= idle <= IDLE_SHUTDOWN_MAX:
        yield (
            ("idle_time_before_shutdown",),
            i["idle_time_before_shutdown"],
            IDLE_SHUTDOWN_RANGE_TEXT + " (Azure's range)",
        )
    epoch, now = _date(i["image_epoch"]), _date(scope.get("today")) or today()
    if epoch is None:
        yield ("image_epoch",), i["image_epoch"], "a date, YYYY-MM-DD"
    elif epoch > now:
        yield (
            ("image_epoch",),
            i["image_epoch"],
            f"a date not after today ({now}): the start of the instance's rebuild cycle (AML-GOV-007)",
        )


@rule(ComputeInstanceArgs)
def _instance_args_rules(i: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    if IMAGE_EPOCH_TAG in i["tags"]:
        yield ("tags",), IMAGE_EPOCH_TAG, "no such tag: set image_epoch instead"
    yield from placement_problems(i)


def image_cycle_start(image_epoch: str, max_image_age_days: int, on: dt.date) -> dt.date:
    """The start of the rebuild cycle that ``on`` falls in (the image-epoch tag's value)."""
    epoch = dt.date.fromisoformat(image_epoch)
    cycles = (on - epoch).days // max_image_age_days
    return epoch + dt.timedelta(days=cycles * max_image_age_days)


def _schedule(schedule: StartStopSchedule) -> ml.ComputeStartStopScheduleArgs:
    action, zone, cron = schedule["action"].value, schedule["time_zone"], schedule.get("cron")
    if cron is not None:
        return ml.ComputeStartStopScheduleArgs(
            action=action,
            trigger_type=ml.ComputeTriggerType.CRON,
            status=ml.ScheduleStatus.ENABLED,
            cron=ml.CronArgs(expression=" ".join(cron.split()), time_zone=zone),
        )
    recurrence = schedule.get("recurrence")
    assert recurrence is not None  # the schedule rule requires one of the two
    return ml.ComputeStartStopScheduleArgs(
        action=action,
        trigger_type=ml.ComputeTriggerType.RECURRENCE,
        status=ml.ScheduleStatus.ENABLED,
        recurrence=ml.RecurrenceArgs(
            frequency=recurrence["frequency"].value,
            interval=recurrence["interval"],
            time_zone=zone,
            schedule=ml.ComputeRecurrenceScheduleArgs(
                hours=list(recurrence["hours"]),
                minutes=list(recurrence["minutes"]),
                week_days=[d.value for d in recurrence["week_days"]] or None,
            ),
        ),
    )


class ComputeInstance(pulumi.ComponentResource):
    """A personal compute instance without public IP or SSH, Entra-only, with idle shutdown and a bounded
    OS image age."""

    compute_id: pulumi.Output[str]
    compute_name: pulumi.Output[str]

    def __init__(self, name: str, args: ComputeInstanceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(ComputeInstanceArgs, args, name)
        super().__init__("hardened-aml:index:ComputeInstance", name, None, opts)

        schedules = [_schedule(s) for s in a["schedules"]]
        cycle_start = image_cycle_start(a["image_epoch"], a["max_image_age_days"], _date(a.get("today")) or today())
        subnet = a.get("subnet_id")
        identity = a.get("identity_id")
        self.compute = ml.Compute(
            f"{name}-ci",
            compute_name=a["name"],
            workspace_name=a["workspace_name"],
            resource_group_name=a["resource_group_name"],
            location=a["location"],
            identity=(
                ml.ManagedServiceIdentityArgs(type="UserAssigned", user_assigned_identities=[identity])
                if identity is not None
                else None
            ),
            properties=ml.ComputeInstanceArgs(
                compute_type="ComputeInstance",
                description=a.get("description"),
                disable_local_auth=True,  # AML-IAM-002 (checked on instances too; PITFALLS)
                properties=ml.ComputeInstancePropertiesArgs(
                    vm_size=a["vm_size"],  # AML-CMP-003: from the allow-list
                    enable_node_public_ip=False,  # AML-NET-009 (Azure's default is a public IP)
                    # AML-NET-010: no public SSH port and no admin key.
                    ssh_settings=ml.ComputeInstanceSshSettingsArgs(ssh_public_access=ml.SshPublicAccess.DISABLED),
                    # AML-IAM-010: one user; only they reach its applications (the SDK's default is Shared).
                    personal_compute_instance_settings=ml.PersonalComputeInstanceSettingsArgs(
                        assigned_user=ml.AssignedUserArgs(
                            object_id=a["assigned_user_object_id"], tenant_id=a["assigned_user_tenant_id"]
                        )
                    ),
                    application_sharing_policy=ml.ApplicationSharingPolicy.PERSONAL,
                    compute_instance_authorization_type=ml.ComputeInstanceAuthorizationType.PERSONAL,
                    idle_time_before_shutdown=a["idle_time_before_shutdown"],  # AML-CMP-002
                    schedules=ml.ComputeSchedulesArgs(compute_start_stop=schedules) if schedules else None,
                    subnet=ml.ResourceIdArgs(id=subnet)
                    if subnet is not None
                    else None,  # AML-NET-011: outside a managed VNet
                ),
            ),
            # AML-GOV-007: a new cycle changes the tag, which replaces the instance with one on the latest image
            tags={
                **a["tags"],
                IMAGE_EPOCH_TAG: cycle_start.isoformat(),
                # AML-NET-011: read by the pack when the workspace is outside the stack.
                **({MANAGED_NETWORK_TAG: "true"} if a["workspace_managed_network"] and subnet is None else {}),
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=opts.depends_on if opts is not None else None,  # the workspace's private endpoint
                replace_on_changes=list(REPLACE_ON_CHANGES),
                delete_before_replace=True,  # the compute name is fixed: the old one must go first
            ),
        )
        self.compute_id = self.compute.id
        self.compute_name = self.compute.name
        self.register_outputs({"compute_id": self.compute_id, "compute_name": self.compute_name})
