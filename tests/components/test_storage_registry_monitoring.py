from __future__ import annotations

from component_plan import LAW_ID, TAGS, refused

from hardened_aml.container_registry import ContainerRegistry, ContainerRegistryArgs
from hardened_aml.monitoring import Monitoring, MonitoringArgs
from hardened_aml.storage import Storage, StorageArgs


def _storage(**overrides: object) -> StorageArgs:
    values: dict[str, object] = dict(
        resource_group_name="rg-test",
        location="westeurope",
        account_name="sttest",
        log_analytics_workspace_id=LAW_ID,
        tags=TAGS,
    )
    values.update(overrides)
    return StorageArgs(**values)  # type: ignore[arg-type]


def _registry(**overrides: object) -> ContainerRegistryArgs:
    values: dict[str, object] = dict(
        resource_group_name="rg-test",
        location="westeurope",
        registry_name="crtest",
        log_analytics_workspace_id=LAW_ID,
        tags=TAGS,
    )
    values.update(overrides)
    return ContainerRegistryArgs(**values)  # type: ignore[arg-type]


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
    assert uris[0].endswith("/storageAccounts/sttest") and uris[1].endswith("/blobServices/default")


def test_storage_refuses_locally_redundant_sku():
    err = refused(lambda: Storage("st", _storage(sku="Standard_LRS")))
    assert err.key == "st.sku" and "Standard_ZRS" in err.allowed


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


def test_registry_refuses_region_without_zones():
    err = refused(lambda: ContainerRegistry("cr", _registry(location="westus")))
    assert err.key == "cr.location" and err.value == "westus"


def test_monitoring(plan):
    p = plan(
        lambda: Monitoring(
            "mon",
            MonitoringArgs(
                resource_group_name="rg-test",
                location="westeurope",
                log_analytics_name="log-test",
                application_insights_name="appi-test",
                tags=TAGS,
            ),
        )
    )
    log = p.one("azure-native:operationalinsights:Workspace")
    appi = p.one("azure-native:applicationinsights:Component")
    assert (log.name, appi.name) == ("mon-log", "mon-appi")
    assert appi.inputs["ingestionMode"] == "LogAnalytics"  # AML-MON-003
    assert appi.inputs["workspaceResourceId"].endswith("/workspaces/log-test")
    assert appi.inputs["resourceName"] == "appi-test"
    assert log.inputs["tags"] == TAGS and appi.inputs["tags"] == TAGS
