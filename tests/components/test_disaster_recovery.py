"""Disaster-recovery components: the registry's geo-replicas and the Azure ML registry (issue 16 section 2)."""

from __future__ import annotations

import pytest
from component_plan import LAW_ID, RG_ID, TAGS, refused

from hardened_aml.container_registry import ContainerRegistry, ContainerRegistryArgs
from hardened_aml.ml_registry import MlRegistry, MlRegistryArgs
from hardened_aml.regions import PAIRED_REGIONS, REGIONS, ZONAL_REGIONS, paired_region
from hardened_aml.shared import Environment

REPLICATION = "azure-native:containerregistry:Replication"
ML_REGISTRY = "azure-native:machinelearningservices:Registry"


def _registry(**overrides: object) -> ContainerRegistryArgs:
    values: dict[str, object] = dict(
        resource_group_name="rg-test",
        location="westeurope",
        registry_name="crtest",
        log_analytics_workspace_id=LAW_ID,
        microsoft_managed_keys=True,
        tags=TAGS,
    )
    values.update(overrides)
    return ContainerRegistryArgs(**values)


def _ml_registry(**overrides: object) -> MlRegistryArgs:
    values: dict[str, object] = dict(
        resource_group_name="rg-test", location="westeurope", registry_name="mlr-test", tags=TAGS
    )
    values.update(overrides)
    return MlRegistryArgs(**values)


# --- the paired-region table ---------------------------------------------------------------------------------------
def test_paired_regions_are_known_regions_and_mostly_symmetric():
    assert paired_region("westeurope") == "northeurope" and paired_region("northeurope") == "westeurope"
    assert paired_region("italynorth") is None  # a region without a pair
    assert set(PAIRED_REGIONS) | set(PAIRED_REGIONS.values()) <= REGIONS
    one_way = {a for a, b in PAIRED_REGIONS.items() if PAIRED_REGIONS.get(b) != a}
    # The exceptions the source names: West India, Brazil South (outside its geography), West US 3.
    assert one_way == {"westindia", "brazilsouth", "westus3", "brazilsoutheast"}


# --- registry geo-replication (AML-REL-010, AML-REL-012) --------------------------------------------------------------
PRODUCTION_KEYED = dict(
    environment=Environment.PRODUCTION,
    microsoft_managed_keys=False,
    customer_managed_key={
        "key_id": RG_ID + "/k",
        "key_uri": "https://kv.vault.azure.net/keys/k",
        "identity_name": "id-cr",
        "subscription_id": "s",
    },
)


def test_no_replica_outside_production_unless_asked(plan):
    assert plan(lambda: ContainerRegistry("cr", _registry())).of_type(REPLICATION) == []


def test_production_replicates_to_the_paired_region_by_default(plan):
    # AML-REL-010: secure by default for library users too, not only in the shipped stack.
    p = plan(lambda: ContainerRegistry("cr", _registry(**PRODUCTION_KEYED)))
    assert [r.inputs["location"] for r in p.of_type(REPLICATION)] == ["northeurope"]
    # none, by name (the pack flags it in production)
    q = plan(lambda: ContainerRegistry("cr", _registry(**PRODUCTION_KEYED, replica_locations=[])))
    assert q.of_type(REPLICATION) == []


def test_production_without_a_zonal_pair_must_name_a_replica():
    # westus's pair (eastus) has zones; westcentralus is not zonal, so pick a zonal region whose pair is not zonal.
    home = next(r for r, pair in sorted(PAIRED_REGIONS.items()) if r in ZONAL_REGIONS and pair not in ZONAL_REGIONS)
    err = refused(lambda: ContainerRegistry("cr", _registry(**PRODUCTION_KEYED, location=home)))
    assert err.key == "cr.replica_locations" and "AML-REL-010" in err.allowed, str(err)


def test_replicas_are_zone_redundant_children_of_the_registry(plan):
    p = plan(lambda: ContainerRegistry("cr", _registry(replica_locations=["northeurope", "swedencentral"])))
    registry = p.one("azure-native:containerregistry:Registry")
    replicas = p.of_type(REPLICATION)
    assert sorted(r.inputs["location"] for r in replicas) == ["northeurope", "swedencentral"]
    for replica in replicas:
        assert replica.inputs["replicationName"] == replica.inputs["location"]
        assert replica.inputs["registryName"] == "crtest" and registry.urn in replica.dependencies
        assert replica.inputs["zoneRedundancy"] == "Enabled" and replica.inputs["regionEndpointEnabled"] is True
        assert replica.inputs["tags"] == TAGS and not replica.protect


def test_production_replicas_are_protected(plan):
    p = plan(
        lambda: ContainerRegistry(
            "cr",
            _registry(
                replica_locations=["northeurope"], environment=Environment.PRODUCTION, microsoft_managed_keys=False,
                customer_managed_key={"key_id": RG_ID + "/k", "key_uri": "https://kv.vault.azure.net/keys/k",
                                      "identity_name": "id-cr", "subscription_id": "s"},
            ),
        )
    )  # fmt: skip
    assert p.one(REPLICATION).protect


@pytest.mark.parametrize(
    ("regions", "key", "allowed"),
    [
        (["westeurope"], "cr.replica_locations.0", "other than the registry's own (westeurope)"),
        (["francesouth"], "cr.replica_locations.0", "availability zones"),
        (["northeurope", "northeurope"], "cr.replica_locations.1", "not already listed"),
    ],
)
def test_bad_replica_locations_are_refused(regions, key, allowed):
    err = refused(lambda: ContainerRegistry("cr", _registry(replica_locations=regions)))
    assert err.key == key and allowed in str(err)
    assert "northeurope, the paired region of westeurope" in str(err) or "listed" in allowed


# --- the Azure ML registry (AML-REL-011, AML-NET-017, AML-NET-018) ----------------------------------------------------
def test_ml_registry_spans_the_paired_region_by_default(plan):
    p = plan(lambda: MlRegistry("mlr", _ml_registry()))
    i = p.one(ML_REGISTRY).inputs
    assert i["registryName"] == "mlr-test" and i["location"] == "westeurope" and i["tags"] == TAGS
    assert i["publicNetworkAccess"] == "Disabled"  # AML-NET-017
    assert i["identity"] == {"type": "SystemAssigned"}
    assert [d["location"] for d in i["regionDetails"]] == ["westeurope", "northeurope"]  # AML-REL-011
    for details in i["regionDetails"]:
        assert details["acrDetails"] == [{"systemCreatedAcrAccount": {"acrAccountSku": "Premium"}}]
        assert details["storageAccountDetails"] == [
            {
                "systemCreatedStorageAccount": {
                    "allowBlobPublicAccess": False,
                    "storageAccountHnsEnabled": False,
                    "storageAccountType": "Standard_ZRS",
                }
            }
        ]
    assert p.of_type("azure-native:authorization:ManagementLockByScope") == []


def test_ml_registry_regions_given_by_name(plan):
    p = plan(lambda: MlRegistry("mlr", _ml_registry(replica_locations=["francesouth", "swedencentral"])))
    details = p.one(ML_REGISTRY).inputs["regionDetails"]
    assert [d["location"] for d in details] == ["westeurope", "francesouth", "swedencentral"]
    # France South has no availability zones: its storage is locally redundant.
    types = [d["storageAccountDetails"][0]["systemCreatedStorageAccount"]["storageAccountType"] for d in details]
    assert types == ["Standard_ZRS", "Standard_LRS", "Standard_ZRS"]


def test_ml_registry_is_reached_through_its_private_endpoint(plan):
    holder: dict[str, MlRegistry] = {}
    plan(lambda: holder.setdefault("r", MlRegistry("mlr", _ml_registry())))
    (link,) = holder["r"].private_links
    assert link.group_id == "amlregistry" and link.dns_zones == ("privatelink.api.azureml.ms",)  # AML-NET-018


def test_production_ml_registry_is_protected_and_locked(plan):
    p = plan(lambda: MlRegistry("mlr", _ml_registry(environment=Environment.PRODUCTION)))
    registry = p.one(ML_REGISTRY)
    assert registry.protect
    lock = p.one("azure-native:authorization:ManagementLockByScope")
    assert lock.inputs["level"] == "CanNotDelete" and lock.inputs["scope"] == registry.id


@pytest.mark.parametrize(
    ("overrides", "key", "allowed"),
    [
        ({"replica_locations": ["westeurope"]}, "mlr.replica_locations.0", "other than the estate's own"),
        ({"replica_locations": ["atlantis"]}, "mlr.replica_locations.0", "an Azure region"),
        ({"replica_locations": ["northeurope", "northeurope"]}, "mlr.replica_locations.1", "not already listed"),
        ({"location": "italynorth"}, "mlr.replica_locations", "no paired region"),
        ({"registry_name": "m"}, "mlr.registry_name", "3 to 33 letters"),
    ],
)
def test_bad_ml_registry_input_is_refused(overrides, key, allowed):
    err = refused(lambda: MlRegistry("mlr", _ml_registry(**overrides)))
    assert err.key == key and allowed in str(err), str(err)
