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

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pulumi
import pulumi_azure_native.machinelearningservices as ml

from hardened_aml.catalogue import control
from hardened_aml.compute_cluster import (
    DEFAULT_VM_SIZES,
    check_compute_name,
    check_placement,
    check_vm_size,
    parse_duration,
)
from hardened_aml.errors import InvalidInputError

#: The tag holding the date the instance was last (re)built; changing it replaces the instance (AML-GOV-007).
IMAGE_EPOCH_TAG = "hardened-aml/image-epoch"
#: Azure's accepted range of ``idleTimeBeforeShutdown`` (SDK docstring: "Minimum is 15 min, maximum is 3 days").
IDLE_SHUTDOWN_MIN = dt.timedelta(minutes=15)
IDLE_SHUTDOWN_MAX = dt.timedelta(days=3)
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

#: The idle shutdown an instance gets by default: the catalogue's AML-CMP-002 default, which the pack's
#: remediation also sets.
DEFAULT_IDLE_SHUTDOWN: str = control("AML-CMP-002").defaults["idleTimeBeforeShutdown"]


class PowerAction(StrEnum):
    """What a schedule does (spec ``ComputePowerAction``)."""

    START = "Start"
    STOP = "Stop"


class WeekDay(StrEnum):
    """Days of a weekly recurrence (spec ``ComputeWeekDay``)."""

    MONDAY = "Monday"
    TUESDAY = "Tuesday"
    WEDNESDAY = "Wednesday"
    THURSDAY = "Thursday"
    FRIDAY = "Friday"
    SATURDAY = "Saturday"
    SUNDAY = "Sunday"


class RecurrenceFrequency(StrEnum):
    """How often a recurrence fires (spec ``ComputeRecurrenceFrequency``)."""

    MINUTE = "Minute"
    HOUR = "Hour"
    DAY = "Day"
    WEEK = "Week"
    MONTH = "Month"


WORKING_DAYS = (WeekDay.MONDAY, WeekDay.TUESDAY, WeekDay.WEDNESDAY, WeekDay.THURSDAY, WeekDay.FRIDAY)


@dataclass(frozen=True, kw_only=True)
class Recurrence:
    """A recurrence trigger: at ``hours`` x ``minutes`` on ``week_days``, every ``interval`` ``frequency``."""

    hours: Sequence[int]
    """Hours of the day, 0-23. Default: none, at least one required."""
    minutes: Sequence[int]
    """Minutes of the hour, 0-59. Default: none, at least one required."""
    week_days: Sequence[WeekDay] = WORKING_DAYS
    """Days of the week. Default: Monday to Friday."""
    frequency: RecurrenceFrequency = RecurrenceFrequency.WEEK
    """Frequency. Default: ``Week``."""
    interval: int = 1
    """Every how many ``frequency`` units. Default: 1."""


@dataclass(frozen=True, kw_only=True)
class StartStopSchedule:
    """One start or stop schedule of the instance: exactly one of ``cron`` and ``recurrence``."""

    action: PowerAction
    """Start or stop. Default: none, required."""
    cron: str | None = None
    """An NCronTab expression of five fields, e.g. ``0 19 * * 1-5``. Default: none."""
    recurrence: Recurrence | None = None
    """A recurrence. Default: none."""
    time_zone: str = "UTC"
    """Windows time-zone id, e.g. ``W. Europe Standard Time``. Default: ``UTC`` (Azure's default)."""


@dataclass(frozen=True, kw_only=True)
class ComputeInstanceArgs:
    """Inputs of :class:`ComputeInstance`."""

    resource_group_name: pulumi.Input[str]
    """The workspace's resource group. Default: none, required."""
    location: str
    """The Azure region (the workspace's). Default: none, required."""
    workspace_name: pulumi.Input[str]
    """The workspace: pass the ``Workspace`` component's ``workspace_name`` output so the pack can relate the
    instance to its workspace (control AML-NET-011). Default: none, required."""
    compute_name: str
    """Name of the instance: 3-24 letters, digits and '-', starting with a letter, unique in the region.
    Default: none, required."""
    identity_id: pulumi.Input[str]
    """The instance's user-assigned identity. Default: none, required (control AML-IAM-008)."""
    vm_size: str
    """VM size, one of ``allowed_vm_sizes``. Default: none, required (control AML-CMP-003)."""
    assigned_user_object_id: str
    """Entra object id of the one user of the instance. Default: none, required (control AML-IAM-010)."""
    assigned_user_tenant_id: pulumi.Input[str]
    """Entra tenant id of that user, e.g. the identity's ``tenant_id`` output (checked to be a GUID when given as
    a string). Default: none, required (control AML-IAM-010)."""
    image_epoch: str
    """Start of the rebuild cycle, ``YYYY-MM-DD``, not in the future; moving it forward rebuilds the instance at
    once. Default: none, required (control AML-GOV-007)."""
    max_image_age_days: int = 30
    """Length of the rebuild cycle in days, 1..365: the first deployment of each new cycle replaces the instance,
    which boots the latest OS image. Default: 30 (control AML-GOV-007)."""
    today: dt.date | None = None
    """The date the cycle is computed for. Default: today's UTC date (an argument for tests)."""
    idle_time_before_shutdown: str = DEFAULT_IDLE_SHUTDOWN
    """Idle time before the instance shuts down (ISO-8601 duration, PT15M..P3D). Default: ``PT60M``
    (control AML-CMP-002)."""
    schedules: Sequence[StartStopSchedule] = ()
    """Start/stop schedules. Default: none (idle shutdown alone) (control AML-CMP-002)."""
    allowed_vm_sizes: Sequence[str] = DEFAULT_VM_SIZES
    """The VM sizes allowed. Default: the pack's default allow-list (control AML-CMP-003)."""
    workspace_managed_network: bool = True
    """Whether the workspace uses its managed VNet, which then hosts the instance. Default: yes (control
    AML-NET-011)."""
    subnet_id: pulumi.Input[str] | None = None
    """The compute subnet: only, and then required, when the workspace does not use its managed VNet.
    Default: none (control AML-NET-011)."""
    workspace_private_endpoint: pulumi.Resource | None = None
    """The workspace's private endpoint, created before the instance (no-public-IP compute needs it).
    Default: none."""
    description: str | None = None
    """Description shown in the studio. Default: none."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags. Default: none; the estate passes team/environment/costCentre (control AML-COST-002)."""


def _guid(key: str, value: str) -> None:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise InvalidInputError(key, value, "a GUID (Entra object or tenant id)") from None


def image_cycle_start(name: str, args: ComputeInstanceArgs) -> dt.date:
    """The start of the current rebuild cycle (the tag's value); ``InvalidInputError`` on a bad epoch or age."""
    if not isinstance(args.max_image_age_days, int) or not 1 <= args.max_image_age_days <= 365:
        raise InvalidInputError(f"{name}.max_image_age_days", args.max_image_age_days, "an integer from 1 to 365")
    try:
        epoch = dt.date.fromisoformat(args.image_epoch)
    except (ValueError, TypeError):
        raise InvalidInputError(f"{name}.image_epoch", args.image_epoch, "a date, YYYY-MM-DD") from None
    today = args.today or dt.datetime.now(dt.UTC).date()
    if epoch > today:
        raise InvalidInputError(f"{name}.image_epoch", args.image_epoch, f"a date not after today ({today})")
    cycles = (today - epoch).days // args.max_image_age_days
    return epoch + dt.timedelta(days=cycles * args.max_image_age_days)


def _schedule(key: str, schedule: StartStopSchedule) -> ml.ComputeStartStopScheduleArgs:
    try:
        action = PowerAction(schedule.action)
    except ValueError:
        raise InvalidInputError(f"{key}.action", schedule.action, [a.value for a in PowerAction]) from None
    if (schedule.cron is None) == (schedule.recurrence is None):
        raise InvalidInputError(key, schedule, "exactly one of cron and recurrence")
    if not schedule.time_zone.strip():
        raise InvalidInputError(f"{key}.time_zone", schedule.time_zone, "a Windows time-zone id, e.g. UTC")
    if schedule.cron is not None:
        fields = schedule.cron.split()
        if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
            raise InvalidInputError(
                f"{key}.cron", schedule.cron, "an NCronTab expression of five fields, e.g. '0 19 * * 1-5'"
            )
        return ml.ComputeStartStopScheduleArgs(
            action=action.value,
            trigger_type=ml.ComputeTriggerType.CRON,
            status=ml.ScheduleStatus.ENABLED,
            cron=ml.CronArgs(expression=" ".join(fields), time_zone=schedule.time_zone),
        )
    recurrence = schedule.recurrence
    assert recurrence is not None
    if not recurrence.hours or any(not isinstance(h, int) or not 0 <= h <= 23 for h in recurrence.hours):
        raise InvalidInputError(f"{key}.recurrence.hours", list(recurrence.hours), "one or more hours, 0-23")
    if not recurrence.minutes or any(not isinstance(m, int) or not 0 <= m <= 59 for m in recurrence.minutes):
        raise InvalidInputError(f"{key}.recurrence.minutes", list(recurrence.minutes), "one or more minutes, 0-59")
    try:
        days = [WeekDay(d) for d in recurrence.week_days]
        frequency = RecurrenceFrequency(recurrence.frequency)
    except ValueError:
        raise InvalidInputError(
            f"{key}.recurrence", recurrence, "week days and a frequency named as in WeekDay and RecurrenceFrequency"
        ) from None
    if not isinstance(recurrence.interval, int) or recurrence.interval < 1:
        raise InvalidInputError(f"{key}.recurrence.interval", recurrence.interval, "a positive integer")
    return ml.ComputeStartStopScheduleArgs(
        action=action.value,
        trigger_type=ml.ComputeTriggerType.RECURRENCE,
        status=ml.ScheduleStatus.ENABLED,
        recurrence=ml.RecurrenceArgs(
            frequency=frequency.value,
            interval=recurrence.interval,
            time_zone=schedule.time_zone,
            schedule=ml.ComputeRecurrenceScheduleArgs(
                hours=list(recurrence.hours),
                minutes=list(recurrence.minutes),
                week_days=[d.value for d in days] or None,
            ),
        ),
    )


def validate(
    name: str, args: ComputeInstanceArgs
) -> tuple[list[ml.ComputeStartStopScheduleArgs], dt.date, ml.ResourceIdArgs | None]:
    """Raise :class:`InvalidInputError` naming the first bad argument (nothing is registered before); return
    the schedules, the start of the image cycle and the subnet."""
    check_compute_name(f"{name}.compute_name", args.compute_name)
    check_vm_size(f"{name}.vm_size", args.vm_size, args.allowed_vm_sizes)
    _guid(f"{name}.assigned_user_object_id", args.assigned_user_object_id)
    if isinstance(args.assigned_user_tenant_id, str):
        _guid(f"{name}.assigned_user_tenant_id", args.assigned_user_tenant_id)
    idle = parse_duration(args.idle_time_before_shutdown)
    if idle is None or not IDLE_SHUTDOWN_MIN <= idle <= IDLE_SHUTDOWN_MAX:
        raise InvalidInputError(
            f"{name}.idle_time_before_shutdown",
            args.idle_time_before_shutdown,
            "an ISO-8601 duration from PT15M to P3D (Azure's range)",
        )
    schedules = [_schedule(f"{name}.schedules[{i}]", s) for i, s in enumerate(args.schedules)]
    cycle_start = image_cycle_start(name, args)
    if IMAGE_EPOCH_TAG in args.tags:
        raise InvalidInputError(f"{name}.tags", IMAGE_EPOCH_TAG, "no such tag: set image_epoch instead")
    return schedules, cycle_start, check_placement(name, args.workspace_managed_network, args.subnet_id)


class ComputeInstance(pulumi.ComponentResource):
    """A personal compute instance without public IP or SSH, Entra-only, with idle shutdown and a bounded
    OS image age."""

    compute_id: pulumi.Output[str]
    compute_name: pulumi.Output[str]

    def __init__(self, name: str, args: ComputeInstanceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        schedules, cycle_start, subnet = validate(name, args)
        super().__init__("hardened-aml:index:ComputeInstance", name, None, opts)

        depends_on = [args.workspace_private_endpoint] if args.workspace_private_endpoint is not None else []
        self.compute = ml.Compute(
            f"{name}-ci",
            compute_name=args.compute_name,
            workspace_name=args.workspace_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            identity=ml.ManagedServiceIdentityArgs(type="UserAssigned", user_assigned_identities=[args.identity_id]),
            properties=ml.ComputeInstanceArgs(
                compute_type="ComputeInstance",
                description=args.description,
                disable_local_auth=True,  # AML-IAM-002 (checked on instances too; PITFALLS)
                properties=ml.ComputeInstancePropertiesArgs(
                    vm_size=args.vm_size,  # AML-CMP-003: from the allow-list
                    enable_node_public_ip=False,  # AML-NET-009 (Azure's default is a public IP)
                    # AML-NET-010: no public SSH port and no admin key.
                    ssh_settings=ml.ComputeInstanceSshSettingsArgs(ssh_public_access=ml.SshPublicAccess.DISABLED),
                    # AML-IAM-010: one user; only they reach its applications (the SDK's default is Shared).
                    personal_compute_instance_settings=ml.PersonalComputeInstanceSettingsArgs(
                        assigned_user=ml.AssignedUserArgs(
                            object_id=args.assigned_user_object_id, tenant_id=args.assigned_user_tenant_id
                        )
                    ),
                    application_sharing_policy=ml.ApplicationSharingPolicy.PERSONAL,
                    compute_instance_authorization_type=ml.ComputeInstanceAuthorizationType.PERSONAL,
                    idle_time_before_shutdown=args.idle_time_before_shutdown,  # AML-CMP-002
                    schedules=ml.ComputeSchedulesArgs(compute_start_stop=schedules) if schedules else None,
                    subnet=subnet,  # AML-NET-011: only outside a managed VNet
                ),
            ),
            # AML-GOV-007: a new cycle changes the tag, which replaces the instance with one on the latest image
            tags={**args.tags, IMAGE_EPOCH_TAG: cycle_start.isoformat()},
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=depends_on,
                replace_on_changes=list(REPLACE_ON_CHANGES),
                delete_before_replace=True,  # the compute name is fixed: the old one must go first
            ),
        )
        self.compute_id = self.compute.id
        self.compute_name = self.compute.name
        self.register_outputs({"compute_id": self.compute_id, "compute_name": self.compute_name})
