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
class BudgetOptions:
    """What a user chooses about the budget; :class:`Estate` fills in the scope and the name."""

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

    def validate(self, key: str) -> None:
        """Raise :class:`InvalidInputError` naming the first bad field."""
        if not self.amount > 0:
            raise InvalidInputError(f"{key}.amount", self.amount, "a positive amount")
        if isinstance(self.contact_emails, str) or not self.contact_emails:
            raise InvalidInputError(f"{key}.contact_emails", self.contact_emails, "a list of e-mail addresses")
        for email in self.contact_emails:
            if not _EMAIL.match(email):
                raise InvalidInputError(f"{key}.contact_emails", email, "an e-mail address")
        if not _FIRST_OF_MONTH.match(self.start_date):
            raise InvalidInputError(f"{key}.start_date", self.start_date, "the first day of a month, YYYY-MM-01")
        for name in ("actual_threshold", "forecast_threshold"):
            value = getattr(self, name)
            if not 0 < value <= 1000:
                raise InvalidInputError(f"{key}.{name}", value, "a percentage in (0, 1000]")


@dataclass(frozen=True, kw_only=True)
class BudgetArgs:
    """Inputs of :class:`Budget`."""

    scope: pulumi.Input[str]
    """The resource group id the budget watches. Default: none, required (control AML-COST-001)."""
    budget_name: str
    """Name of the budget. Default: none, required (from ``Namer``)."""
    options: BudgetOptions
    """Amount, contacts, start and thresholds. Default: none, required (control AML-COST-001)."""


class Budget(pulumi.ComponentResource):
    """A ``Cost`` budget, reset monthly, with an actual and a forecast notification."""

    def __init__(self, name: str, args: BudgetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args.options.validate(f"{name}.options")
        super().__init__("hardened-aml:index:Budget", name, None, opts)
        options = args.options
        emails = list(options.contact_emails)
        self.budget = consumption.Budget(
            f"{name}-budget",
            budget_name=args.budget_name,
            scope=args.scope,
            amount=options.amount,
            category="Cost",
            time_grain="Monthly",
            time_period=consumption.BudgetTimePeriodArgs(start_date=f"{options.start_date}T00:00:00Z"),
            notifications={
                "actual": consumption.NotificationArgs(
                    enabled=True,
                    operator="GreaterThan",
                    threshold=options.actual_threshold,
                    threshold_type="Actual",
                    contact_emails=emails,
                ),
                "forecast": consumption.NotificationArgs(
                    enabled=True,
                    operator="GreaterThan",
                    threshold=options.forecast_threshold,
                    threshold_type="Forecasted",
                    contact_emails=emails,
                ),
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.budget_id = self.budget.id
        self.register_outputs({"budget_id": self.budget_id})
