"""A monthly consumption budget with alerts for the estate's resource group (control AML-COST-001).

The budget period starts on the first day of the month the budget is created in, at 00:00 UTC, unless
``startDate`` pins another first of a month. Azure refuses a budget whose start lies in a month that has passed
("Past start date should be selected within the timegrain period": ``BudgetProperties.timePeriod`` in the
Microsoft.Consumption 2024-08-01 REST spec, ``consumption.json``), so a date pinned in a stack file stops
deploying once its month is over; and it refuses to change the start date of an existing budget ("Start date of
budgets cannot be updated", Azure/azure-quickstart-templates #7095). The start date is therefore taken at the
first deployment and then left alone: ``ignoreChanges`` on ``timePeriod.startDate`` keeps later plans, in later
months, from updating it (an update sends the date the budget was created with). Alerts go to
``contactEmails`` (and to the estate's action group, ``contactGroups``, when it has one) when the actual cost
passes 80 % and when the forecast passes 100 % of the amount.
"""

from datetime import UTC, datetime
from typing import Annotated, NotRequired

import pulumi
import pulumi_azure_native.consumption as consumption
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml.inputs import Input, Wired, args, checked

#: The engine path of the budget's start date, ignored after creation.
START_DATE_PATH = "timePeriod.startDate"
#: An e-mail address.
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


@args
class BudgetSettings(TypedDict):
    """What a user chooses about the budget: a stack's ``budget`` section. A monthly consumption budget with
    alerts on the estate's resource group (control AML-COST-001)."""

    amount: Annotated[float, Field(gt=0)]
    """Monthly amount in the billing currency, above zero. Required (control AML-COST-001)."""
    contact_emails: Annotated[list[Email], Field(min_length=1)]
    """Who gets the alerts: at least one e-mail address. Required (control AML-COST-001)."""
    start_date: NotRequired[Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])-01$")] | None]
    """First day of the first budget month, ``YYYY-MM-01``; it must not be a month that has passed when the
    budget is created. Default: the first day of the current month (UTC) at the first deployment, kept
    afterwards (control AML-COST-001)."""


@args
class BudgetArgs(BudgetSettings):
    """Inputs of :class:`Budget`: the user's settings and what the budget watches."""

    scope: Annotated[Input[str], Wired()]
    """The resource group id the budget watches. Required (control AML-COST-001)."""
    budget_name: Annotated[str, Field(min_length=1, max_length=63)]
    """Name of the budget. Required (from ``Namer``)."""
    actual_threshold: NotRequired[Annotated[float, Field(default=80, gt=0, le=1000)]]
    """Alert when actual cost passes this percentage of the amount, above 0 and at most 1000. Default: 80
    (control AML-COST-001)."""
    forecast_threshold: NotRequired[Annotated[float, Field(default=100, gt=0, le=1000)]]
    """Alert when forecast cost passes this percentage of the amount, above 0 and at most 1000. Default: 100
    (control AML-COST-001)."""
    action_group_id: NotRequired[Annotated[Input[str], Wired()] | None]
    """An action group the notifications also go to (``contactGroups``: a budget at resource-group scope takes
    action-group ids, Microsoft.Consumption ``Notification.contactGroups``). Default: none; the estate passes its
    alerts' action group (control AML-MON-006)."""


class Budget(pulumi.ComponentResource):
    """A ``Cost`` budget, reset monthly, with an actual and a forecast notification."""

    def __init__(self, name: str, args: BudgetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        a = checked(BudgetArgs, args, name)
        super().__init__("hardened-aml:index:Budget", name, None, opts)
        emails = list(a["contact_emails"])
        start = a.get("start_date") or datetime.now(UTC).strftime("%Y-%m-01")
        group = a.get("action_group_id")
        groups = [group] if group is not None else None
        self.budget = consumption.Budget(
            f"{name}-budget",
            budget_name=a["budget_name"],
            scope=a["scope"],
            amount=a["amount"],
            category="Cost",
            time_grain="Monthly",
            time_period=consumption.BudgetTimePeriodArgs(start_date=f"{start}T00:00:00Z"),
            notifications={
                "actual": consumption.NotificationArgs(
                    enabled=True,
                    operator="GreaterThan",
                    threshold=a["actual_threshold"],
                    threshold_type="Actual",
                    contact_emails=emails,
                    contact_groups=groups,
                ),
                "forecast": consumption.NotificationArgs(
                    enabled=True,
                    operator="GreaterThan",
                    threshold=a["forecast_threshold"],
                    threshold_type="Forecasted",
                    contact_emails=emails,
                    contact_groups=groups,
                ),
            },
            # Set once, at creation: a later month's plan neither replaces nor updates it.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=[START_DATE_PATH]),
        )
        self.budget_id = self.budget.id
        self.register_outputs({"budget_id": self.budget_id})
