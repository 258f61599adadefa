from __future__ import annotations

from component_plan import RG_ID, refused

from hardened_aml.budget import Budget, BudgetArgs, BudgetSettings
from hardened_aml.inputs import checked


def _args(**overrides: object) -> BudgetArgs:
    values: dict[str, object] = dict(
        scope=RG_ID,
        budget_name="budget-test",
        amount=500,
        contact_emails=["ops@example.com", "finance@example.com"],
        start_date="2026-12-01",
    )
    values.update(overrides)
    return BudgetArgs(**values)


def test_monthly_budget_with_two_alerts(plan):
    p = plan(lambda: Budget("bud", _args()))
    budget = p.one("azure-native:consumption:Budget")
    assert budget.name == "bud-budget"
    i = budget.inputs
    assert (i["budgetName"], i["scope"], i["amount"]) == ("budget-test", RG_ID, 500)
    assert (i["category"], i["timeGrain"]) == ("Cost", "Monthly")  # AML-COST-001
    assert i["timePeriod"] == {"startDate": "2026-12-01T00:00:00Z"}  # pinned by the user
    assert budget.ignore_changes == ["timePeriod.startDate"]  # a later month's plan does not churn it
    emails = ["ops@example.com", "finance@example.com"]
    assert i["notifications"] == {
        "actual": {
            "enabled": True,
            "operator": "GreaterThan",
            "threshold": 80,
            "thresholdType": "Actual",
            "contactEmails": emails,
        },
        "forecast": {
            "enabled": True,
            "operator": "GreaterThan",
            "threshold": 100,
            "thresholdType": "Forecasted",
            "contactEmails": emails,
        },
    }


def test_start_date_defaults_to_this_month_and_is_kept(plan):
    """With no start date the budget starts this month (a stack shipped today still deploys next year); the
    date is ignored after creation, so a plan in a later month does not update the budget."""
    from datetime import UTC, datetime

    args = _args()
    del args["start_date"]
    budget = plan(lambda: Budget("bud", args)).one("azure-native:consumption:Budget")
    today = datetime.now(UTC)
    assert budget.inputs["timePeriod"] == {"startDate": f"{today:%Y-%m}-01T00:00:00Z"}
    assert budget.ignore_changes == ["timePeriod.startDate"]


def test_start_date_is_a_first_of_month():
    err = refused(lambda: Budget("bud", _args(start_date="2026-12-15")))
    assert (err.key, err.value) == ("bud.start_date", "2026-12-15")
    assert err.allowed == "the first day of a month, written YYYY-MM-01"


def test_amount_and_contacts_are_checked():
    err = refused(lambda: Budget("bud", _args(amount=0)))
    assert (err.key, err.value) == ("bud.amount", 0)
    err = refused(lambda: Budget("bud", _args(contact_emails=[])))
    assert (err.key, err.value) == ("bud.contact_emails", [])
    err = refused(lambda: Budget("bud", _args(contact_emails=["ops"])))
    assert (err.key, err.value) == ("bud.contact_emails.0", "ops")
    err = refused(lambda: Budget("bud", _args(forecast_threshold=2000)))
    assert (err.key, err.value) == ("bud.forecast_threshold", 2000)
    assert err.allowed == "more than 0 and at most 1000"  # every bound, not only the first declared
    assert refused(lambda: Budget("bud", _args(actual_threshold=0))).allowed == "more than 0 and at most 1000"
    assert refused(lambda: Budget("bud", _args(amount=-5))).allowed == "more than 0"


def test_settings_read_as_stack_config():
    given = {"amount": 500, "contactEmails": ["ops@example.com"], "startDate": "2026-12-01"}
    settings = checked(BudgetSettings, given, "hardened-aml:budget", config=True)
    assert settings == {"amount": 500, "contact_emails": ["ops@example.com"], "start_date": "2026-12-01"}
