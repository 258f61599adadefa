from __future__ import annotations

import time

from component_plan import LAW_ID, TAGS, refused

from aml_catalogue.facts import KMS_KEY_EXPIRY, KMS_ROTATE_BEFORE_EXPIRY, MIN_RSA_KEY_SIZE
from hardened_aml.key_vault import (
    KEY_EXPIRY_PATH,
    KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
    KeyVault,
    KeyVaultArgs,
    initial_expiry,
)
from hardened_aml.shared import Environment

SUB = "00000000-0000-0000-0000-000000000000"


def _args(**overrides: object) -> KeyVaultArgs:
    values: dict[str, object] = dict(
        resource_group_name="rg-test",
        location="westeurope",
        vault_name="kv-test",
        key_name="cmk-test",
        tenant_id="tenant",
        subscription_id=SUB,
        cmk_principal_id="principal-of-uai",
        log_analytics_workspace_id=LAW_ID,
        tags=TAGS,
    )
    values.update(overrides)
    return KeyVaultArgs(**values)


def test_vault_key_role_and_diagnostics(plan):
    p = plan(lambda: KeyVault("kv", _args()))
    component = p.one("hardened-aml:index:KeyVault")
    assert p.types() == sorted(
        [
            "hardened-aml:index:KeyVault",
            "azure-native:keyvault:Vault",
            "azure-native:keyvault:Key",
            "azure-native:authorization:RoleAssignment",
            "azure-native:monitor:DiagnosticSetting",
        ]
    )
    assert all(r.parent == component.urn for r in p.children_of(component))
    vault = p.one("azure-native:keyvault:Vault")
    assert vault.name == "kv-kv"
    props = vault.inputs["properties"]
    assert props["enableRbacAuthorization"] is True  # AML-IAM-004
    assert props["enablePurgeProtection"] is True  # AML-DAT-003
    assert props["enableSoftDelete"] is True
    assert props["softDeleteRetentionInDays"] == 90
    assert props["publicNetworkAccess"] == "Disabled"  # AML-NET-006
    assert props["networkAcls"]["defaultAction"] == "Deny"
    assert props["sku"] == {"family": "A", "name": "premium"}  # AML-ENC-009: HSM keys need Premium
    assert vault.inputs["tags"] == TAGS

    key = p.one("azure-native:keyvault:Key")
    assert key.name == "kv-cmk" and key.inputs["keyName"] == "cmk-test"
    rotation = key.inputs["properties"]["rotationPolicy"]  # AML-ENC-003
    assert {"action": {"type": "rotate"}, "trigger": {"timeBeforeExpiry": "P60D"}} in rotation["lifetimeActions"]
    assert rotation["attributes"]["expiryTime"] == "P2Y"
    material = key.inputs["properties"]  # AML-ENC-009
    assert material["kty"] == "RSA-HSM" and material["keySize"] == MIN_RSA_KEY_SIZE == 3072
    assert material["attributes"]["exportable"] is False
    # the first version expires two years (730 days) after the plan that creates it, and is left alone after
    expires = material["attributes"]["expires"]
    assert expires % 86400 == 0 and 0 <= time.time() + 730 * 86400 - expires < 86400
    assert key.ignore_changes == [KEY_EXPIRY_PATH] == ["properties.attributes.expires"]

    role = p.one("azure-native:authorization:RoleAssignment")
    assert role.inputs["roleDefinitionId"] == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/"
        + KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER
    )
    assert KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER == "e147488a-f6f5-4113-8e2d-b22465e65bf6"
    assert role.inputs["scope"].endswith("/vaults/kv-test/keys/cmk-test")  # the key, not the vault
    assert role.inputs["principalType"] == "ServicePrincipal"
    assert role.inputs["principalId"] == "principal-of-uai"

    assert p.of_type("azure-native:authorization:ManagementLockByScope") == []  # exploration: no locks
    assert not vault.protect

    diag = p.one("azure-native:monitor:DiagnosticSetting")
    assert diag.inputs["resourceUri"].endswith("/vaults/kv-test")
    assert diag.inputs["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]


def test_a_kms_key_has_no_role_of_the_vault_and_rotates_at_half_life(plan):
    # AML-AKS-029: the cluster grants its own role on its etcd key; the key version must outlive the next rotation.
    args = _args(cmk_principal_id=None, key_expiry=KMS_KEY_EXPIRY, rotate_before_expiry=KMS_ROTATE_BEFORE_EXPIRY)
    p = plan(lambda: KeyVault("kms", args))
    assert p.of_type("azure-native:authorization:RoleAssignment") == []
    policy = p.one("azure-native:keyvault:Key").inputs["properties"]["rotationPolicy"]
    assert policy["attributes"]["expiryTime"] == "P2Y"
    rotate = next(a for a in policy["lifetimeActions"] if a["action"]["type"] == "rotate")
    assert rotate["trigger"]["timeBeforeExpiry"] == "P1Y"


def test_production_locks_vault_and_key(plan):
    p = plan(lambda: KeyVault("kv", _args(environment=Environment.PRODUCTION)))
    assert p.one("azure-native:keyvault:Vault").protect and p.one("azure-native:keyvault:Key").protect
    scopes = sorted(r.inputs["scope"] for r in p.of_type("azure-native:authorization:ManagementLockByScope"))
    assert len(scopes) == 2
    assert scopes[0].endswith("/vaults/kv-test") and scopes[1].endswith("/vaults/kv-test/keys/cmk-test")
    assert {r.inputs["level"] for r in p.of_type("azure-native:authorization:ManagementLockByScope")} == {
        "CanNotDelete"
    }


def test_bad_expiry_is_refused():
    err = refused(lambda: KeyVault("kv", _args(key_expiry="two years")))
    assert err.key == "kv.key_expiry" and err.value == "two years"
    assert err.allowed == "an ISO-8601 duration such as P2Y or P60D"
    err = refused(lambda: KeyVault("kv", _args(rotate_before_expiry="P")))
    assert (err.key, err.value) == ("kv.rotate_before_expiry", "P")


def test_bad_vault_name_is_refused():
    err = refused(lambda: KeyVault("kv", _args(vault_name="kv_test")))
    assert (err.key, err.value) == ("kv.vault_name", "kv_test") and "[" not in err.allowed and err.allowed


def test_private_link_of_the_vault(plan):
    links: list[tuple[str, str, tuple[str, ...]]] = []
    targets: list[str] = []

    def program() -> None:
        for link in KeyVault("kv", _args()).private_links:
            links.append((link.purpose, link.group_id, link.dns_zones))
            link.target_resource_id.apply(targets.append)

    p = plan(program)
    assert links == [("kv", "vault", ("privatelink.vaultcore.azure.net",))]  # AML-NET-003, AML-NET-006
    assert targets == [p.one("azure-native:keyvault:Vault").id]


def test_rotation_must_come_before_expiry():
    err = refused(lambda: KeyVault("kv", _args(key_expiry="P1Y", rotate_before_expiry="P12M")))
    assert (err.key, err.value) == ("kv.rotate_before_expiry", "P12M")
    assert err.allowed == "a duration shorter than keyExpiry P1Y (the key rotates before it expires)"
    err = refused(lambda: KeyVault("kv", _args(key_expiry="P1Y", rotate_before_expiry="P400D")))
    assert err.key == "kv.rotate_before_expiry"


def test_initial_expiry_reads_the_shortest_year():
    assert initial_expiry("P2Y", now=0) == 730 * 86400
    assert initial_expiry("P1Y6M", now=86400 + 100) == 86400 + (365 + 6 * 28) * 86400  # from the start of the day


def test_another_key_of_the_same_specification(plan):
    def program() -> None:
        vault = KeyVault("kv", _args(environment=Environment.PRODUCTION))
        vault.add_key("kv-disk", "cmk-test-disk", lock=True)

    p = plan(program)
    keys = {k.inputs["keyName"]: k.inputs["properties"] for k in p.of_type("azure-native:keyvault:Key")}
    assert set(keys) == {"cmk-test", "cmk-test-disk"}
    first, second = keys["cmk-test"], keys["cmk-test-disk"]
    assert {k: v for k, v in first.items() if k != "attributes"} == {
        k: v for k, v in second.items() if k != "attributes"
    }
    scopes = sorted(r.inputs["scope"] for r in p.of_type("azure-native:authorization:ManagementLockByScope"))
    assert len(scopes) == 3 and scopes[-1].endswith("/keys/cmk-test-disk")
