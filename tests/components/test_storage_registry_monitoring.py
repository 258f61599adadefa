from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from component_plan import LAW_ID, RG_ID, SUB, TAGS, refused

from aml_catalogue.roles import KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER
from hardened_aml.catalogue import ZONE_REDUNDANT_SKUS
from hardened_aml.container_registry import ContainerRegistry, ContainerRegistryArgs
from hardened_aml.errors import MISSING
from hardened_aml.monitoring import Monitoring, MonitoringArgs
from hardened_aml.private_endpoint import PrivateLink
from hardened_aml.shared import Environment
from hardened_aml.storage import Storage, StorageArgs, StorageSku

KEY_ID = RG_ID + "/providers/Microsoft.KeyVault/vaults/kv-test/keys/cmk"
KEY_URI = "https://kv-test.vault.azure.net/keys/cmk/0123456789abcdef"


def _cmk(identity_name: str) -> dict[str, object]:
    return {"key_id": KEY_ID, "key_uri": KEY_URI, "identity_name": identity_name, "subscription_id": SUB}


def _storage(**overrides: object) -> StorageArgs:
    values: dict[str, object] = dict(
        resource_group_name="rg-test",
        location="westeurope",
        account_name="sttest",
        log_analytics_workspace_id=LAW_ID,
        customer_managed_key=_cmk("id-st-cmk"),
        tags=TAGS,
    )
    values.update(overrides)
    return StorageArgs(**values)


def _registry(**overrides: object) -> ContainerRegistryArgs:
    values: dict[str, object] = dict(
        resource_group_name="rg-test",
        location="westeurope",
        registry_name="crtest",
        log_analytics_workspace_id=LAW_ID,
        customer_managed_key=_cmk("id-cr-cmk"),
        tags=TAGS,
    )
    values.update(overrides)
    return ContainerRegistryArgs(**values)


def test_storage_account(plan):
    p = plan(lambda: Storage("st", _storage()))
    account = p.one("azure-native:storage:StorageAccount")
    assert account.name == "st-st"
    i = account.inputs
    assert i["publicNetworkAccess"] == "Disabled"  # AML-NET-005
    assert i["networkRuleSet"]["defaultAction"] == "Deny"
    assert i["allowBlobPublicAccess"] is False  # AML-DAT-001
    assert i["allowSharedKeyAccess"] is False  # AML-IAM-006
    assert i["enableHttpsTrafficOnly"] is True  # AML-ENC-002
    assert i["minimumTlsVersion"] == "TLS1_2"
    assert i["sku"] == {"name": "Standard_ZRS"}  # AML-REL-001
    assert i["kind"] == "StorageV2"
    assert i["tags"] == TAGS
    blob = p.one("azure-native:storage:BlobServiceProperties")  # AML-DAT-002
    assert blob.inputs["isVersioningEnabled"] is True
    assert blob.inputs["deleteRetentionPolicy"] == {"enabled": True, "days": 7}
    assert blob.inputs["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 7}
    uris = sorted(d.inputs["resourceUri"] for d in p.of_type("azure-native:monitor:DiagnosticSetting"))
    assert [u.rsplit("/sttest", 1)[1] for u in uris] == [
        "",
        "/blobServices/default",
        "/fileServices/default",
        "/queueServices/default",
        "/tableServices/default",
    ]


def test_each_storage_service_logs_from_its_own_resource(plan):
    """AML-MON-009: the setting's resourceUri flows from the service resource, whose accountName flows from the
    account, so the pack relates them at preview."""
    p = plan(lambda: Storage("st", _storage()))
    account = p.one("azure-native:storage:StorageAccount")
    settings = {d.name: d for d in p.of_type("azure-native:monitor:DiagnosticSetting")}
    for service, type_ in [
        ("blob", "BlobServiceProperties"),
        ("file", "FileServiceProperties"),
        ("queue", "QueueServiceProperties"),
        ("table", "TableServiceProperties"),
    ]:
        resource = p.one(f"azure-native:storage:{type_}")
        assert resource.property_dependencies["accountName"] == [account.urn]
        setting = settings[f"st-diag-{service}"]
        assert setting.property_dependencies["resourceUri"] == [resource.urn]
        assert setting.inputs["workspaceId"] == LAW_ID
        assert setting.inputs["logs"] == [
            {"category": c, "enabled": True} for c in ("StorageRead", "StorageWrite", "StorageDelete")
        ]
        assert [m["category"] for m in setting.inputs["metrics"]] == ["Transaction", "Capacity"]
    file_service = p.one("azure-native:storage:FileServiceProperties").inputs
    assert file_service["shareDeleteRetentionPolicy"] == {"enabled": True, "days": 7}
    for type_ in ("QueueServiceProperties", "TableServiceProperties"):
        assert p.one(f"azure-native:storage:{type_}").inputs["cors"] == {"corsRules": []}


DEFENDER = "azure-native:security:DefenderForStorage"


@pytest.mark.parametrize(
    ("environment", "asked", "made"),
    [
        ("production", None, True),
        ("exploration", None, False),
        ("exploration", True, True),
        ("exploration", False, False),
    ],
)
def test_defender_for_storage_is_on_in_production_and_asked_for_elsewhere(plan, environment, asked, made):
    """AML-DAT-009 / AML-DAT-010: billed, so by name outside production."""
    extra = {} if asked is None else {"defender_for_storage": asked}
    p = plan(lambda: Storage("st", _storage(environment=environment, **extra)))
    found = p.of_type(DEFENDER)
    assert len(found) == (1 if made else 0)
    if made:
        defender = found[0]
        assert defender.inputs["settingName"] == "current"
        assert defender.property_dependencies["resourceId"] == [p.one("azure-native:storage:StorageAccount").urn]
        assert defender.inputs["properties"] == {
            "isEnabled": True,
            "overrideSubscriptionLevelSettings": True,
            "malwareScanning": {"onUpload": {"isEnabled": True, "capGBPerMonth": 10000}},
            "sensitiveDataDiscovery": {"isEnabled": True},
        }


def test_defender_for_storage_cannot_be_refused_in_production():
    err = refused(lambda: Storage("st", _storage(environment=Environment.PRODUCTION, defender_for_storage=False)))
    assert (err.key, err.value) == ("st.defender_for_storage", False)
    assert "AML-DAT-009" in str(err)


def test_storage_encrypted_with_the_customer_managed_key(plan):
    p = plan(lambda: Storage("st", _storage()))
    account = p.one("azure-native:storage:StorageAccount")
    identity = p.one("azure-native:managedidentity:UserAssignedIdentity")
    assert identity.inputs["resourceName"] == "id-st-cmk" and identity.inputs["tags"] == TAGS
    encryption = account.inputs["encryption"]
    assert encryption["keySource"] == "Microsoft.Keyvault"  # AML-ENC-005
    # the vault and the key name, without a version: the account follows the key's rotation
    assert encryption["keyVaultProperties"] == {"keyName": "cmk", "keyVaultUri": "https://kv-test.vault.azure.net/"}
    assert encryption["encryptionIdentity"] == {"encryptionUserAssignedIdentity": identity.id}
    assert account.inputs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [identity.id]}
    assert encryption["requireInfrastructureEncryption"] is True  # AML-ENC-006
    assert {k: v["keyType"] for k, v in encryption["services"].items()} == dict.fromkeys(
        ("blob", "file", "queue", "table"), "Account"
    )  # AML-ENC-007
    rules = account.inputs["networkRuleSet"]  # AML-NET-016
    assert rules["ipRules"] == [] and rules["resourceAccessRules"] == [] and rules["bypass"] == "AzureServices"
    # least privilege: Crypto Service Encryption User on the key alone, for the account's own identity, and the
    # account waits for it
    (role,) = p.of_type("azure-native:authorization:RoleAssignment")
    assert role.inputs["scope"] == KEY_ID
    assert role.inputs["roleDefinitionId"].endswith("/roleDefinitions/" + KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER)
    assert role.inputs["principalId"] == "principal-of-id-st-cmk"
    assert role.urn in account.dependencies


def test_storage_on_microsoft_managed_keys_only_by_name(plan):
    p = plan(lambda: Storage("st", _storage(customer_managed_key=None, microsoft_managed_keys=True)))
    account = p.one("azure-native:storage:StorageAccount")
    assert account.inputs["encryption"]["keySource"] == "Microsoft.Storage"
    assert account.inputs["encryption"]["requireInfrastructureEncryption"] is True
    assert "identity" not in account.inputs
    assert p.of_type("azure-native:managedidentity:UserAssignedIdentity") == []
    err = refused(lambda: Storage("st", _storage(customer_managed_key=None)))
    assert (err.key, err.value) == ("st.customer_managed_key", MISSING)
    assert err.allowed == (
        "the key to encrypt the account with (AML-ENC-005), or microsoft_managed_keys=true to do without one"
    )
    err = refused(lambda: Storage("st", _storage(microsoft_managed_keys=True)))
    assert (err.key, err.value) == ("st.microsoft_managed_keys", True)
    err = refused(
        lambda: Storage(
            "st", _storage(customer_managed_key=None, microsoft_managed_keys=True, environment=Environment.PRODUCTION)
        )
    )
    assert err.key == "st.microsoft_managed_keys" and "production" in err.allowed


def test_storage_refuses_a_key_uri_that_is_no_key_uri():
    err = refused(lambda: Storage("st", _storage(customer_managed_key={**_cmk("id-st-cmk"), "key_uri": "cmk"})))
    assert err.key == "st.customer_managed_key.key_uri" and err.value == "cmk"
    assert err.allowed == "a key URI https://<vault>.vault.azure.net/keys/<name>[/<version>]"


def test_storage_in_production(plan):
    p = plan(lambda: Storage("st", _storage(environment=Environment.PRODUCTION)))
    account = p.one("azure-native:storage:StorageAccount")
    assert account.inputs["sku"] == {"name": "Standard_GZRS"}  # AML-REL-001: geo-zone-redundant by default
    assert account.protect  # AML-REL-006
    blob = p.one("azure-native:storage:BlobServiceProperties")  # AML-DAT-002: 30 days in production
    assert blob.inputs["deleteRetentionPolicy"] == {"enabled": True, "days": 30}
    assert blob.inputs["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 30}
    (lock,) = p.of_type("azure-native:authorization:ManagementLockByScope")
    assert lock.inputs["level"] == "CanNotDelete" and lock.inputs["scope"].endswith("/storageAccounts/sttest")


def test_storage_sku_and_retention_given(plan):
    p = plan(lambda: Storage("st", _storage(sku="Premium_ZRS", soft_delete_days=14)))
    assert p.one("azure-native:storage:StorageAccount").inputs["sku"] == {"name": "Premium_ZRS"}
    assert p.one("azure-native:storage:BlobServiceProperties").inputs["deleteRetentionPolicy"]["days"] == 14
    assert p.of_type("azure-native:authorization:ManagementLockByScope") == []


def test_storage_refuses_locally_redundant_sku():
    err = refused(lambda: Storage("st", _storage(sku="Standard_LRS")))
    assert err.key == "st.sku" and err.value == "Standard_LRS"
    assert err.allowed == "one of Standard_ZRS, Premium_ZRS, Standard_GZRS, Standard_RAGZRS"
    assert {s.value for s in StorageSku} == set(ZONE_REDUNDANT_SKUS)


def test_storage_refuses_zone_redundant_sku_in_production():
    err = refused(lambda: Storage("st", _storage(sku="Standard_ZRS", environment=Environment.PRODUCTION)))
    assert (err.key, err.value) == ("st.sku", "Standard_ZRS")
    assert err.allowed == "one of Standard_GZRS, Standard_RAGZRS in production (AML-REL-001)"


def test_storage_refuses_short_soft_delete():
    err = refused(lambda: Storage("st", _storage(soft_delete_days=3)))
    assert (err.key, err.value) == ("st.soft_delete_days", 3)


def _links(
    component: Callable[[str, Any], Any], args: object
) -> tuple[list[PrivateLink], list[str], Callable[[], None]]:
    """The private links a component declares, and their resolved target ids (run inside a plan)."""
    links: list[PrivateLink] = []
    targets: list[str] = []

    def program() -> None:
        links.extend(component("x", args).private_links)
        for link in links:
            link.target_resource_id.apply(targets.append)

    return links, targets, program


def test_storage_private_links(plan):
    links, targets, program = _links(Storage, _storage())
    p = plan(program)
    assert [(link.purpose, link.group_id, link.dns_zones) for link in links] == [
        ("blob", "blob", ("privatelink.blob.core.windows.net",)),
        ("file", "file", ("privatelink.file.core.windows.net",)),
    ]  # AML-NET-003, AML-NET-005
    assert targets == [p.one("azure-native:storage:StorageAccount").id] * 2


def test_registry(plan):
    p = plan(lambda: ContainerRegistry("cr", _registry()))
    reg = p.one("azure-native:containerregistry:Registry")
    assert reg.name == "cr-cr"
    i = reg.inputs
    assert i["sku"] == {"name": "Premium"} and i["zoneRedundancy"] == "Enabled"  # AML-REL-002
    assert i["adminUserEnabled"] is False and i["anonymousPullEnabled"] is False  # AML-IAM-005
    assert i["publicNetworkAccess"] == "Disabled"  # AML-NET-007
    assert i["networkRuleSet"]["defaultAction"] == "Deny"
    assert i["policies"]["retentionPolicy"] == {"status": "enabled", "days": 7}  # AML-DAT-004
    assert p.one("azure-native:monitor:DiagnosticSetting").inputs["resourceUri"].endswith("/registries/crtest")


def test_registry_encrypted_with_the_customer_managed_key(plan):
    p = plan(lambda: ContainerRegistry("cr", _registry()))
    reg = p.one("azure-native:containerregistry:Registry")
    identity = p.one("azure-native:managedidentity:UserAssignedIdentity")
    assert identity.inputs["resourceName"] == "id-cr-cmk"
    assert reg.inputs["encryption"] == {
        "status": "enabled",  # AML-ENC-008
        "keyVaultProperties": {
            "identity": "client-of-id-cr-cmk",
            "keyIdentifier": "https://kv-test.vault.azure.net/keys/cmk",  # no version: automatic rotation
        },
    }
    assert reg.inputs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {identity.id: {}}}
    (role,) = p.of_type("azure-native:authorization:RoleAssignment")
    assert role.inputs["scope"] == KEY_ID and role.inputs["principalId"] == "principal-of-id-cr-cmk"
    assert role.inputs["roleDefinitionId"].endswith("/roleDefinitions/" + KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER)
    assert role.urn in reg.dependencies
    # AML-IAM-102 / AML-DAT-102: ARM-audience tokens accepted and no quarantine, both written out
    assert reg.inputs["policies"]["azureADAuthenticationAsArmPolicy"] == {"status": "enabled"}
    assert reg.inputs["policies"]["quarantinePolicy"] == {"status": "disabled"}


def test_registry_acr_audience_tokens_only_by_name(plan):
    p = plan(lambda: ContainerRegistry("cr", _registry(acr_audience_tokens_only=True)))
    policies = p.one("azure-native:containerregistry:Registry").inputs["policies"]
    assert policies["azureADAuthenticationAsArmPolicy"] == {"status": "disabled"}


def test_registry_on_microsoft_managed_keys_only_by_name(plan):
    p = plan(lambda: ContainerRegistry("cr", _registry(customer_managed_key=None, microsoft_managed_keys=True)))
    reg = p.one("azure-native:containerregistry:Registry")
    assert reg.inputs["encryption"] == {"status": "disabled"} and "identity" not in reg.inputs
    err = refused(lambda: ContainerRegistry("cr", _registry(customer_managed_key=None)))
    assert err.key == "cr.customer_managed_key" and "AML-ENC-008" in err.allowed
    err = refused(
        lambda: ContainerRegistry(
            "cr",
            _registry(customer_managed_key=None, microsoft_managed_keys=True, environment=Environment.PRODUCTION),
        )
    )
    assert (err.key, err.value) == ("cr.microsoft_managed_keys", True) and "production" in err.allowed


def test_registry_in_production(plan):
    p = plan(lambda: ContainerRegistry("cr", _registry(environment=Environment.PRODUCTION, untagged_retention_days=30)))
    reg = p.one("azure-native:containerregistry:Registry")
    assert reg.protect and reg.inputs["policies"]["retentionPolicy"] == {"status": "enabled", "days": 30}
    (lock,) = p.of_type("azure-native:authorization:ManagementLockByScope")
    assert lock.inputs["scope"].endswith("/registries/crtest")


def test_registry_refuses_region_without_zones():
    err = refused(lambda: ContainerRegistry("cr", _registry(location="westus")))
    assert err.key == "cr.location" and err.value == "westus"
    assert err.allowed == "a region with availability zones (AML-REL-002)"


def test_registry_refuses_long_retention():
    err = refused(lambda: ContainerRegistry("cr", _registry(untagged_retention_days=400)))
    assert (err.key, err.value) == ("cr.untagged_retention_days", 400)


def test_registry_private_link(plan):
    links, targets, program = _links(ContainerRegistry, _registry())
    p = plan(program)
    assert [(link.purpose, link.group_id, link.dns_zones) for link in links] == [
        ("cr", "registry", ("privatelink.azurecr.io",))
    ]  # AML-NET-003, AML-NET-007
    assert targets == [p.one("azure-native:containerregistry:Registry").id]


def _monitoring(**overrides: object) -> MonitoringArgs:
    values: dict[str, object] = dict(
        resource_group_name="rg-test",
        location="westeurope",
        log_analytics_name="log-test",
        application_insights_name="appi-test",
        tags=TAGS,
    )
    values.update(overrides)
    return MonitoringArgs(**values)


def test_monitoring(plan):
    p = plan(lambda: Monitoring("mon", _monitoring()))
    log = p.one("azure-native:operationalinsights:Workspace")
    appi = p.one("azure-native:applicationinsights:Component")
    assert (log.name, appi.name) == ("mon-log", "mon-appi")
    assert appi.inputs["ingestionMode"] == "LogAnalytics"  # AML-MON-003
    assert appi.inputs["workspaceResourceId"].endswith("/workspaces/log-test")
    assert appi.inputs["resourceName"] == "appi-test"
    assert log.inputs["tags"] == TAGS and appi.inputs["tags"] == TAGS
    assert log.inputs["retentionInDays"] == 30  # AML-MON-001: exploration


def test_monitoring_retention(plan):
    p = plan(lambda: Monitoring("mon", _monitoring(environment=Environment.PRODUCTION)))
    assert p.one("azure-native:operationalinsights:Workspace").inputs["retentionInDays"] == 90
    p = plan(lambda: Monitoring("mon", _monitoring(retention_in_days=120)))
    assert p.one("azure-native:operationalinsights:Workspace").inputs["retentionInDays"] == 120
    err = refused(lambda: Monitoring("mon", _monitoring(retention_in_days=10)))
    assert (err.key, err.value) == ("mon.retention_in_days", 10)


@pytest.mark.parametrize(
    ("environment", "asked", "expected"),
    [("production", None, True), ("exploration", None, False), ("exploration", True, True)],
)
def test_point_in_time_restore_is_on_in_production_and_asked_for_elsewhere(plan, environment, asked, expected):
    """AML-REL-009: versioning, soft delete and the change feed, restoring a day less than soft delete keeps."""
    extra = {} if asked is None else {"point_in_time_restore": asked}
    p = plan(lambda: Storage("st", _storage(environment=environment, **extra)))
    blob = p.one("azure-native:storage:BlobServiceProperties").inputs
    if expected:
        kept = blob["deleteRetentionPolicy"]["days"]
        assert blob["restorePolicy"] == {"enabled": True, "days": kept - 1}
        assert blob["changeFeed"] == {"enabled": True, "retentionInDays": kept}
    else:
        assert "restorePolicy" not in blob and "changeFeed" not in blob


# --- training checkpoints (AML-REL-102, AML-DAT-006) -----------------------------------------------------------
def test_checkpoints_are_private_and_cool_then_expire(plan):
    p = plan(lambda: Storage("st", _storage()))
    account = p.one("azure-native:storage:StorageAccount")
    container = p.one("azure-native:storage:BlobContainer")
    assert container.inputs["containerName"] == "checkpoints" and container.inputs["publicAccess"] == "None"
    lifecycle = p.one("azure-native:storage:ManagementPolicy")
    assert lifecycle.inputs["accountName"] == account.inputs["accountName"]
    assert lifecycle.inputs["managementPolicyName"] == "default"
    assert container.urn in lifecycle.dependencies
    (rule,) = lifecycle.inputs["policy"]["rules"]
    assert (rule["name"], rule["type"], rule["enabled"]) == ("checkpoints", "Lifecycle", True)
    assert rule["definition"]["filters"] == {"blobTypes": ["blockBlob"], "prefixMatch": ["checkpoints/"]}
    # the documented defaults: cool after 30 days, deleted after 90; previous versions too (versioning is on)
    assert rule["definition"]["actions"] == {
        "baseBlob": {
            "tierToCool": {"daysAfterModificationGreaterThan": 30},
            "delete": {"daysAfterModificationGreaterThan": 90},
        },
        "version": {
            "tierToCool": {"daysAfterCreationGreaterThan": 30},
            "delete": {"daysAfterCreationGreaterThan": 90},
        },
    }


def test_checkpoint_days_are_settable(plan):
    p = plan(lambda: Storage("st", _storage(checkpoint_lifecycle={"cool_after_days": 7, "delete_after_days": 365})))
    actions = p.one("azure-native:storage:ManagementPolicy").inputs["policy"]["rules"][0]["definition"]["actions"]
    assert actions["baseBlob"]["tierToCool"] == {"daysAfterModificationGreaterThan": 7}
    assert actions["version"]["delete"] == {"daysAfterCreationGreaterThan": 365}


@pytest.mark.parametrize(
    ("lifecycle", "key", "value", "allowed"),
    [
        ({"cool_after_days": 30, "delete_after_days": 30}, "delete_after_days", 30, "more days than the 30"),
        ({"cool_after_days": 120}, "delete_after_days", 90, "more days than the 120 after which checkpoints cool"),
        ({"cool_after_days": 0}, "cool_after_days", 0, "1"),
        ({"delete_after_days": 40000}, "delete_after_days", 40000, "36500"),
        ({"expire_after_days": 10}, "expire_after_days", 10, "cool_after_days"),
    ],
)
def test_checkpoint_days_refused_in_words(lifecycle, key, value, allowed):
    err = refused(lambda: Storage("st", _storage(checkpoint_lifecycle=lifecycle)))
    assert (err.key, err.value) == (f"st.checkpoint_lifecycle.{key}", value)
    assert allowed in err.allowed, str(err)
