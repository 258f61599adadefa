"""A monthly consumption budget with alerts for the estate's resource group (control AML-COST-001)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native.consumption as consumption

from hardened_aml.errors import InvalidInputError

_FIRST_OF_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-01$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, kw_only=True)
class BudgetArgs:
    """Inputs of :class:`Budget`."""

    scope: pulumi.Input[str]
    """The resource group id the budget watches. Default: none, required (control AML-COST-001)."""
    budget_name: str
    """Name of the budget. Default: none, required (from ``Namer``)."""
    amount: float
    """Monthly amount in the billing currency. Default: none, required, > 0 (control AML-COST-001)."""
    contact_emails: Sequence[str]
    """Who gets the alerts. Default: none, at least one required (control AML-COST-001)."""
    start_date: str
    """First day of the first budget month, ``YYYY-MM-01``. Default: none, required (fixed in the stack file so
    that every plan gives the same input)."""
    actual_threshold: float = 80
    """Alert when actual cost passes this percentage. Default: 80 (control AML-COST-001)."""
    forecast_threshold: float = 100
    """Alert when forecast cost passes this percentage. Default: 100 (control AML-COST-001)."""


class Budget(pulumi.ComponentResource):
    """A ``Cost`` budget, reset monthly, with an actual and a forecast notification."""

    def __init__(self, name: str, args: BudgetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if not args.amount > 0:
            raise InvalidInputError(f"{name}.amount", args.amount, "a positive amount")
        if isinstance(args.contact_emails, str) or not args.contact_emails:
            raise InvalidInputError(f"{name}.contact_emails", args.contact_emails, "a list of e-mail addresses")
        for email in args.contact_emails:
            if not _EMAIL.match(email):
                raise InvalidInputError(f"{name}.contact_emails", email, "an e-mail address")
        if not _FIRST_OF_MONTH.match(args.start_date):
            raise InvalidInputError(f"{name}.start_date", args.start_date, "the first day of a month, YYYY-MM-01")
        for key in ("actual_threshold", "forecast_threshold"):
            value = getattr(args, key)
            if not 0 < value <= 1000:
                raise InvalidInputError(f"{name}.{key}", value, "a percentage in (0, 1000]")
        super().__init__("hardened-aml:index:Budget", name, None, opts)
        emails = list(args.contact_emails)
        self.budget = consumption.Budget(
            f"{name}-budget",
            budget_name=args.budget_name,
            scope=args.scope,
            amount=args.amount,
            category="Cost",
            time_grain="Monthly",
            time_period=consumption.BudgetTimePeriodArgs(start_date=f"{args.start_date}T00:00:00Z"),
            notifications={
                "actual": consumption.NotificationArgs(
                    enabled=True,
                    operator="GreaterThan",
                    threshold=args.actual_threshold,
                    threshold_type="Actual",
                    contact_emails=emails,
                ),
                "forecast": consumption.NotificationArgs(
                    enabled=True,
                    operator="GreaterThan",
                    threshold=args.forecast_threshold,
                    threshold_type="Forecasted",
                    contact_emails=emails,
                ),
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.budget_id = self.budget.id
        self.register_outputs({"budget_id": self.budget_id})
