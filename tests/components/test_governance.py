from __future__ import annotations

import hashlib

import pytest
from component_plan import RG_ID, refused

from hardened_aml.catalogue import control, load
from hardened_aml.errors import MISSING, InvalidInputError
from hardened_aml.governance import (
    _DATASTORE,
    _HTTPS_URL,
    _MODEL_ASSET,
    _MODEL_REGISTRY,
    _SUFFIX,
    AssignmentEnforcement,
    Governance,
    GovernanceArgs,
    GovernanceSettings,
)
from hardened_aml.inputs import checked, pattern_words

ASSIGNMENT = "azure-native:authorization:PolicyAssignment"
DEFS = "/providers/Microsoft.Authorization/policyDefinitions/"
# install("hardened-aml", "test", ...) in component_plan: the default suffix is Namer's.
SUFFIX = hashlib.sha256(b"hardened-aml/test").hexdigest()[:4]
LOGIN_SERVER = "crhamltest1a2b.azurecr.io"
PGP_KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBFake\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n"
BASELINE = {
    "438c38d2-3772-465a-a9cc-7a6666a275ce",
    "45e05259-1eb5-4f70-9574-baf73e9d219b",
    "ba769a63-b8cc-4b2d-abf6-ac33c7204be8",
    "5f0c7d88-c7de-45b8-ac49-db49e72eaa78",
    "7804b5c7-01dc-4723-969b-ae300cc07ff1",
    "e96a9a5f-07ca-471b-9bc5-6a0f33cbd68f",
}


def _args(**overrides: object) -> GovernanceArgs:
    values: dict[str, object] = dict(scope=RG_ID, registry_login_server=LOGIN_SERVER)
    values.update(overrides)
    return GovernanceArgs(**values)  # type: ignore[arg-type]


def _full() -> GovernanceArgs:
    return _args(
        allowed_python_indexes=["https://pypi.org/simple"],
        code_signing_public_key=PGP_KEY,
        approval_endpoint="https://approve.example.com/approve",
        log_filters=["^azureml-logs/.*$"],
        log_datastore="logs_store",
        allowed_model_registry="contoso-models",
        restricted_models=["azureml://registries/contoso-models/models/blocked/versions/1"],
        enforcement="DoNotEnforce",
    )


def _by_control(p):
    found: dict[str, list] = {}
    for r in p.of_type(ASSIGNMENT):
        found.setdefault(r.inputs["metadata"]["hardened-aml/control"], []).append(r)
    return found


def _params(r) -> dict[str, object]:
    return {k: v["value"] for k, v in r.inputs.get("parameters", {}).items()}


def test_defaults_assign_the_mandatory_and_audit_builtins(plan):
    p = plan(lambda: Governance("gov", _args()))
    component = p.one("hardened-aml:index:Governance")
    assignments = p.of_type(ASSIGNMENT)
    assert all(r.parent == component.urn for r in assignments)
    by_control = _by_control(p)
    # Optional assignments are skipped when their input is absent.
    assert sorted(by_control) == [
        "AML-CMP-002",
        "AML-GOV-001",
        "AML-GOV-006",
        "AML-GOV-007",
        "AML-GOV-008",
        "AML-MON-001",
        "AML-NET-002",
    ]
    assert len(assignments) == 6 + len(BASELINE)
    for r in assignments:
        assert r.inputs["scope"] == RG_ID
        assert r.inputs["enforcementMode"] == "Default"
        assert len(r.inputs["policyAssignmentName"]) <= 64
        control_id = r.inputs["metadata"]["hardened-aml/control"]
        assert r.inputs["description"].startswith(f"control:{control_id} ")

    (acr,) = by_control["AML-GOV-001"]
    assert acr.name == "gov-aml-gov-001"
    assert acr.inputs["policyAssignmentName"] == f"aml-gov-001-{SUFFIX}"
    assert acr.inputs["policyDefinitionId"] == DEFS + "5853517a-63de-11ea-bc55-0242ac130003"
    assert acr.inputs["displayName"] == "Allowed container registries for Machine Learning computes"
    assert _params(acr) == {"allowedACRs": [LOGIN_SERVER, "mcr.microsoft.com"], "effect": "enforceSetting"}

    (models,) = by_control["AML-GOV-006"]
    assert models.inputs["policyDefinitionId"] == DEFS + "19539b54-c61e-4196-9a38-67598701be90"
    assert _params(models) == {"allowedRegistryName": "azureml", "restrictedModels": [], "effect": "Deny"}

    (updates,) = by_control["AML-GOV-007"]
    assert updates.inputs["policyDefinitionId"] == DEFS + "f110a506-2dcb-422e-bcea-d533fc8c35e2"
    assert "parameters" not in updates.inputs  # the definition's default effect, Audit

    baseline = by_control["AML-GOV-008"]
    assert {r.inputs["policyDefinitionId"].removeprefix(DEFS) for r in baseline} == BASELINE
    for r in baseline:
        assert _params(r) == {"effect": "Audit"}
        guid = r.inputs["policyDefinitionId"].removeprefix(DEFS)
        assert r.inputs["policyAssignmentName"] == f"aml-gov-008-{SUFFIX}-{guid[:8]}"


def test_every_input_given_assigns_every_builtin(plan):
    p = plan(lambda: Governance("gov", _full()))
    by_control = _by_control(p)
    assert sorted(c for c in by_control if c.startswith("AML-GOV")) == [f"AML-GOV-00{i}" for i in range(1, 9)]
    assert {r.inputs["enforcementMode"] for r in p.of_type(ASSIGNMENT)} == {"DoNotEnforce"}

    (python,) = by_control["AML-GOV-002"]
    assert python.inputs["policyDefinitionId"] == DEFS + "77eeea86-7e81-4a7d-9067-de844d096752"
    assert _params(python) == {
        "allowedPythonPackageChannels": ["https://pypi.org/simple"],
        "effect": "enforceSetting",
    }

    (signing,) = by_control["AML-GOV-003"]
    assert signing.inputs["policyDefinitionId"] == DEFS + "6a6f7384-63de-11ea-bc55-0242ac130003"
    assert _params(signing) == {
        "signingKey": "\\r\\n".join(
            ["-----BEGIN PGP PUBLIC KEY BLOCK-----", "", "mQENBFake", "=abcd", "-----END PGP PUBLIC KEY BLOCK-----"]
        ),
        "effect": "enforceSetting",
    }

    (approval,) = by_control["AML-GOV-004"]
    assert approval.inputs["policyDefinitionId"] == DEFS + "3948394e-63de-11ea-bc55-0242ac130003"
    assert _params(approval) == {"approvalEndpoint": "https://approve.example.com/approve", "effect": "enforceSetting"}

    (logs,) = by_control["AML-GOV-005"]
    assert logs.inputs["policyDefinitionId"] == DEFS + "1d413020-63de-11ea-bc55-0242ac130003"
    assert _params(logs) == {"logFilters": ["^azureml-logs/.*$"], "datastore": "logs_store", "effect": "enforceSetting"}

    (models,) = by_control["AML-GOV-006"]
    assert _params(models) == {
        "allowedRegistryName": "contoso-models",
        "restrictedModels": ["azureml://registries/contoso-models/models/blocked/versions/1"],
        "effect": "Deny",
    }
    # Audit-only built-ins stay Audit whatever the enforcement mode.
    assert {_params(r)["effect"] for r in by_control["AML-GOV-008"]} == {"Audit"}


def test_explicit_registries_and_suffix(plan):
    p = plan(
        lambda: Governance(
            "gov", _args(registry_login_server=None, allowed_registries=["crx.azurecr.io/team"], name_suffix="prod")
        )
    )
    (acr,) = _by_control(p)["AML-GOV-001"]
    assert acr.inputs["policyAssignmentName"] == "aml-gov-001-prod"
    assert _params(acr)["allowedACRs"] == ["crx.azurecr.io/team"]


HTTPS = pattern_words(_HTTPS_URL)
LOGIN = "lowercase login servers, e.g. crx.azurecr.io or crx.azurecr.io/repo"
AT_LEAST_ONE = "at least 1 item(s)"
LOGS_TOGETHER = "log_filters and log_datastore given together, or neither"


@pytest.mark.parametrize(
    ("key", "overrides", "value", "allowed"),
    [
        (
            "scope",
            {"scope": "/subscriptions/x"},
            "/subscriptions/x",
            "a resource group id: /subscriptions/<id>/resourceGroups/<name>",
        ),
        ("enforcement", {"enforcement": "Enroll"}, "Enroll", "one of Default, DoNotEnforce"),
        (
            "registry_login_server",
            {"registry_login_server": None},
            None,
            "the estate registry's login server when allowed_registries is not given",
        ),
        ("registry_login_server", {"registry_login_server": "CR.azurecr.io"}, "CR.azurecr.io", LOGIN),
        ("allowed_registries", {"allowed_registries": []}, [], AT_LEAST_ONE),
        ("allowed_registries.0", {"allowed_registries": ["https://crx.azurecr.io"]}, "https://crx.azurecr.io", LOGIN),
        (
            "allowed_python_indexes.0",
            {"allowed_python_indexes": ["http://pypi.org/simple"]},
            "http://pypi.org/simple",
            HTTPS,
        ),
        ("allowed_python_indexes", {"allowed_python_indexes": []}, [], AT_LEAST_ONE),
        (
            "code_signing_public_key",
            {"code_signing_public_key": "not a key"},
            "not a key",
            "an ASCII-armoured key (-----BEGIN PGP PUBLIC KEY BLOCK-----)",
        ),
        ("approval_endpoint", {"approval_endpoint": "http://approve.example.com"}, "http://approve.example.com", HTTPS),
        ("log_datastore", {"log_filters": ["^x$"]}, MISSING, LOGS_TOGETHER),
        ("log_filters", {"log_datastore": "logs"}, MISSING, LOGS_TOGETHER),
        ("log_filters", {"log_filters": [], "log_datastore": "logs"}, [], AT_LEAST_ONE),
        ("log_filters", {"log_filters": ["("], "log_datastore": "logs"}, "(", "regular expressions"),
        (
            "log_datastore",
            {"log_filters": ["^x$"], "log_datastore": "bad-name"},
            "bad-name",
            pattern_words(_DATASTORE),
        ),
        (
            "allowed_model_registry",
            {"allowed_model_registry": "azureml*"},
            "azureml*",
            pattern_words(_MODEL_REGISTRY),
        ),
        (
            "restricted_models.0",
            {"restricted_models": ["models/x"]},
            "models/x",
            pattern_words(_MODEL_ASSET),
        ),
        ("name_suffix", {"name_suffix": "Has Spaces"}, "Has Spaces", pattern_words(_SUFFIX)),
    ],
)
def test_bad_input_is_refused_before_anything_is_registered(key, overrides, value, allowed):
    err = refused(lambda: Governance("gov", _args(**overrides)))
    assert (err.key, err.value, err.allowed) == (f"gov.{key}", value, allowed)


def test_unknown_keys_are_refused():
    err = refused(lambda: Governance("gov", _args(allowed_acrs=["crx.azurecr.io"])))
    assert (err.key, err.value) == ("gov.allowed_acrs", ["crx.azurecr.io"])
    assert err.allowed.startswith("one of allowed_python_indexes, allowed_model_registry, restricted_models, ")


def test_settings_are_the_stack_configs_governance_section():
    """``GovernanceSettings`` is the stack's ``governance`` section: camelCase keys, defaults filled in."""
    settings = checked(
        GovernanceSettings,
        {"allowedPythonIndexes": ["https://pypi.org/simple"], "enforcement": "DoNotEnforce"},
        "hardened-aml",
        config=True,
    )
    assert settings == {
        "allowed_python_indexes": ["https://pypi.org/simple"],
        "allowed_model_registry": "azureml",
        "restricted_models": [],
        "enforcement": AssignmentEnforcement.DO_NOT_ENFORCE,
    }
    with pytest.raises(InvalidInputError) as caught:
        checked(GovernanceSettings, {"restrictedModels": ["models/x"]}, "hardened-aml", config=True)
    assert caught.value.key == "hardened-aml:restrictedModels.0"
    with pytest.raises(InvalidInputError) as caught:
        checked(GovernanceSettings, {"scope": RG_ID}, "hardened-aml", config=True)
    assert caught.value.key == "hardened-aml:scope"  # wiring is not settable from config


#: The runtime counterparts of pack controls (the policy controls' own built-ins), with the parameters read from
#: their definitions in Azure/azure-policy.
RUNTIME = {
    "6ddb1705-c8cf-450e-aa4b-19ad6703c440": {"isolationMode": "AllowOnlyApprovedOutbound", "effect": "Audit"},
    "679ddf89-ab8f-48a5-9029-e76054077449": {"effect": "Audit"},
    "afe0c3be-ba3b-4544-ba52-0c99672a8ad6": {"effect": "AuditIfNotExists"},
}


def test_runtime_builtins_judge_what_is_made_outside_the_stack(plan):
    """Computes made in the studio by a Compute Operator, or workspaces made by hand, escape the pack: these
    assignments judge them at deploy time. isolationMode must be passed: its default, Disabled, would flag every
    workspace that is not Disabled."""
    p = plan(lambda: Governance("gov", _args()))
    found = {r.inputs["policyDefinitionId"].removeprefix(DEFS): _params(r) for r in p.of_type(ASSIGNMENT)}
    for guid, params in RUNTIME.items():
        assert found[guid] == params, guid


def test_production_denies_where_the_builtin_offers_deny(plan):
    p = plan(lambda: Governance("gov", _args(environment="production")))
    effects = {
        r.inputs["policyDefinitionId"].removeprefix(DEFS): _params(r).get("effect") for r in p.of_type(ASSIGNMENT)
    }
    assert effects["6ddb1705-c8cf-450e-aa4b-19ad6703c440"] == "Deny"
    assert effects["679ddf89-ab8f-48a5-9029-e76054077449"] == "Deny"
    assert effects["afe0c3be-ba3b-4544-ba52-0c99672a8ad6"] == "AuditIfNotExists"  # no Deny in the definition
    assert effects["438c38d2-3772-465a-a9cc-7a6666a275ce"] == "Deny"  # Audit | Deny | Disabled
    assert effects["45e05259-1eb5-4f70-9574-baf73e9d219b"] == "Audit"  # Audit | Disabled
    assert effects["7804b5c7-01dc-4723-969b-ae300cc07ff1"] == "Audit"  # Audit | Disabled


def test_assigned_definitions_are_the_catalogues_builtins(plan):
    """Every built-in of every kind="assignment" control is assigned once (f110a506 serves two controls)."""
    p = plan(lambda: Governance("gov", _full()))
    assigned = [r.inputs["policyDefinitionId"].removeprefix(DEFS) for r in p.of_type(ASSIGNMENT)]
    listed = {guid for c in load().of_kind("assignment") for guid in c.builtin} | set(RUNTIME)
    assert sorted(assigned) == sorted(listed)
    for r in p.of_type(ASSIGNMENT):
        guid = r.inputs["policyDefinitionId"].removeprefix(DEFS)
        assert guid in control(r.inputs["metadata"]["hardened-aml/control"]).builtin
