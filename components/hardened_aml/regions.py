"""Azure public-cloud regions, and the ones with availability zones.

Source: "Azure regions list" and "Azure services that support availability zones"
(learn.microsoft.com/azure/reliability/regions-list), read 2026-11. A region missing here is refused with
the list of allowed names, so a typo never reaches Azure.
"""

from __future__ import annotations

ZONAL_REGIONS: frozenset[str] = frozenset(
    {
        "australiaeast",
        "austriaeast",
        "belgiumcentral",
        "brazilsouth",
        "canadacentral",
        "centralindia",
        "centralus",
        "chilecentral",
        "eastasia",
        "eastus",
        "eastus2",
        "francecentral",
        "germanywestcentral",
        "indonesiacentral",
        "israelcentral",
        "italynorth",
        "japaneast",
        "japanwest",
        "koreacentral",
        "malaysiawest",
        "mexicocentral",
        "newzealandnorth",
        "northeurope",
        "norwayeast",
        "polandcentral",
        "qatarcentral",
        "southafricanorth",
        "southcentralus",
        "southeastasia",
        "spaincentral",
        "swedencentral",
        "switzerlandnorth",
        "uaenorth",
        "uksouth",
        "westeurope",
        "westus2",
        "westus3",
    }
)

REGIONS: frozenset[str] = ZONAL_REGIONS | frozenset(
    {
        "australiacentral",
        "australiacentral2",
        "australiasoutheast",
        "brazilsoutheast",
        "canadaeast",
        "francesouth",
        "germanynorth",
        "jioindiacentral",
        "jioindiawest",
        "koreasouth",
        "northcentralus",
        "norwaywest",
        "southafricawest",
        "southindia",
        "switzerlandwest",
        "uaecentral",
        "ukwest",
        "westcentralus",
        "westindia",
        "westus",
    }
)

#: Each region's paired region, where it has one: the secondary that geo-redundant storage replicates to and
#: that Azure recovers first in a geography-wide outage. Source: "Azure region pairs and nonpaired regions"
#: (learn.microsoft.com/azure/reliability/cross-region-replication-azure, MicrosoftDocs/azure-docs
#: ``articles/reliability/cross-region-replication-azure.md``, table "Azure regional pairs"), read 2026-12 with
#: the search tool. Pairs are mostly symmetric; the exceptions the page names are kept as written: West India's
#: secondary is South India but South India's is Central India; Brazil South's secondary is South Central US but
#: South Central US's is North Central US; West US 3's secondary is East US, whose own is West US. Regions of
#: access-restricted partners (France South, Germany North, ...) are listed where the page pairs them; Sweden
#: Central's partner, Sweden South, is not a region this library deploys to, so it has no entry. The
#: estate uses it for the default second region of the Azure ML registry (control AML-REL-011) and in the
#: disaster-recovery runbook (docs/disaster-recovery.md); regions without a pair (Italy North, Poland Central,
#: ...) have no entry and must name their DR region.
PAIRED_REGIONS: dict[str, str] = {
    "eastasia": "southeastasia",
    "southeastasia": "eastasia",
    "australiaeast": "australiasoutheast",
    "australiasoutheast": "australiaeast",
    "australiacentral": "australiacentral2",
    "australiacentral2": "australiacentral",
    "brazilsouth": "southcentralus",
    "brazilsoutheast": "brazilsouth",
    "canadacentral": "canadaeast",
    "canadaeast": "canadacentral",
    "northeurope": "westeurope",
    "westeurope": "northeurope",
    "francecentral": "francesouth",
    "francesouth": "francecentral",
    "germanywestcentral": "germanynorth",
    "germanynorth": "germanywestcentral",
    "centralindia": "southindia",
    "southindia": "centralindia",
    "westindia": "southindia",
    "japaneast": "japanwest",
    "japanwest": "japaneast",
    "koreacentral": "koreasouth",
    "koreasouth": "koreacentral",
    "eastus": "westus",
    "westus": "eastus",
    "eastus2": "centralus",
    "centralus": "eastus2",
    "northcentralus": "southcentralus",
    "southcentralus": "northcentralus",
    "westus2": "westcentralus",
    "westcentralus": "westus2",
    "westus3": "eastus",
    "norwayeast": "norwaywest",
    "norwaywest": "norwayeast",
    "southafricanorth": "southafricawest",
    "southafricawest": "southafricanorth",
    "switzerlandnorth": "switzerlandwest",
    "switzerlandwest": "switzerlandnorth",
    "uksouth": "ukwest",
    "ukwest": "uksouth",
    "uaenorth": "uaecentral",
    "uaecentral": "uaenorth",
}


def paired_region(location: str) -> str | None:
    """The paired region of ``location`` (:data:`PAIRED_REGIONS`), or ``None`` where it has none."""
    return PAIRED_REGIONS.get(location)
