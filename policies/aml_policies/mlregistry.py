"""Rules for the Azure Machine Learning registry (``machinelearningservices:Registry``).

Properties: REST spec ``Microsoft.MachineLearningServices/stable/2025-12-01/registries.json`` (the version
pulumi-azure-native 3.29.0 uses), read with the search tool: ``publicNetworkAccess`` a free string, "Enabled" or
"Disabled", with no default in the spec; a registry is created public unless told otherwise (Microsoft's
"Network isolation with Azure Machine Learning registries" turns it off afterwards with
``az ml registry update --set publicNetworkAccess=Disabled``), so a missing value fails. ``regionDetails[]``
holds ``location`` and the system-created ``storageAccountDetails[].systemCreatedStorageAccount`` with the
boolean ``allowBlobPublicAccess`` (no default in the spec: missing fails).

The registry's private endpoint uses the sub-resource ``amlregistry`` and the zone ``privatelink.api.azureml.ms``
("Azure Private Endpoint private DNS zone values", learn.microsoft.com/azure/private-link/private-endpoint-dns).
Endpoints are related to the registry by engine dependency or ARM id (``Stack.targets``), never by type alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import PolicyResource

from aml_policies.core import (
    MISSING,
    Config,
    Props,
    ResourceRule,
    Stack,
    StackRule,
    all_of,
    described,
    equals,
    get,
    in_production,
    items,
    same,
)
from aml_policies.network import endpoints_of, zone_names
from aml_policies.registry import region

ML_REGISTRY = ("machinelearningservices:Registry",)
PRIVATE_LINK_GROUP = "amlregistry"
PRIVATE_DNS_ZONE = "privatelink.api.azureml.ms"
ZONE_GROUP = "network:PrivateDnsZoneGroup"
#: Fewest regions a production registry spans: its own and a disaster-recovery region (AML-REL-011).
MIN_PRODUCTION_REGIONS = 2


@described(
    "every regionDetails[].storageAccountDetails[].systemCreatedStorageAccount.allowBlobPublicAccess is false "
    "(missing fails: the spec gives no default)"
)
def _storage_blobs_private(props: Props, _config: Config) -> Iterator[str]:
    for i, details in enumerate(items(props, "regionDetails")):
        for j, account in enumerate(items(details, "storageAccountDetails")):
            created = get(account, "systemCreatedStorageAccount")
            if created is MISSING:
                continue  # a storage account of the user's own: judged as a storage account, not here
            path = f"regionDetails.{i}.storageAccountDetails.{j}.systemCreatedStorageAccount.allowBlobPublicAccess"
            value = get(created, "allowBlobPublicAccess")
            if value is MISSING:
                yield f"{path} is not set; the registry's storage account may allow public blob access: set it to false"
            elif not same(value, False, path):
                yield f"{path} is {value!r}; it must be false (no anonymous reads of the registry's assets)"


@described(
    f"in production (tags.environment), regionDetails lists at least {MIN_PRODUCTION_REGIONS} distinct locations "
    "(compared ignoring case and spaces; missing fails)"
)
def _spans_regions(props: Props, _config: Config) -> Iterator[str]:
    details = items(props, "regionDetails")
    regions = {region(get(d, "location"), f"regionDetails.{i}.location") for i, d in enumerate(details)}
    if len(regions) < MIN_PRODUCTION_REGIONS:
        shown = ", ".join(sorted(regions)) or "none"
        yield (
            f"regionDetails spans {len(regions)} region(s) ({shown}); a production registry spans at least "
            f"{MIN_PRODUCTION_REGIONS}, its own and the disaster-recovery region, so models and environments "
            "survive the loss of one"
        )


def _group_ids(endpoint: PolicyResource) -> set[str]:
    connections = items(endpoint.props, "privateLinkServiceConnections") + items(
        endpoint.props, "manualPrivateLinkServiceConnections"
    )
    return {str(g).lower() for c in connections for g in items(c, "groupIds")}


def _private_endpoint(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    """AML-NET-018: every Azure ML registry has a private endpoint (group ``amlregistry``) registered in
    ``privatelink.api.azureml.ms``."""
    for registry in stack.of_type(*ML_REGISTRY):
        endpoints = [e for e in endpoints_of(stack, registry) if PRIVATE_LINK_GROUP in _group_ids(e)]
        if not endpoints:
            yield (
                f"Azure ML registry {registry.name!r} has no private endpoint with group id {PRIVATE_LINK_GROUP!r}; "
                "with public access disabled nothing can reach it",
                registry.urn,
            )
            continue
        for endpoint in endpoints:
            groups = stack.referrers(endpoint, (ZONE_GROUP,), "privateEndpointName")
            registered = set().union(*(zone_names(stack, g) for g in groups)) if groups else set()
            if PRIVATE_DNS_ZONE not in registered:
                yield (
                    f"private endpoint {endpoint.name!r} of Azure ML registry {registry.name!r} has no DNS zone "
                    f"group entry for {PRIVATE_DNS_ZONE}; the registry's name would resolve to its public address",
                    endpoint.urn,
                )


RULES = (
    ResourceRule(
        control="AML-NET-017",
        name="ml-registry-private-access",
        types=ML_REGISTRY,
        check=all_of(
            equals("publicNetworkAccess", "Disabled", why="a registry is created public", default="Enabled"),
            _storage_blobs_private,
        ),
    ),
    StackRule(
        control="AML-NET-018",
        name="ml-registry-private-endpoint",
        description=f"every Azure ML registry has a private endpoint with group id {PRIVATE_LINK_GROUP!r} that "
        f"points at it, registered in the private DNS zone {PRIVATE_DNS_ZONE}.",
        check=_private_endpoint,
    ),
    ResourceRule(
        control="AML-REL-011",
        name="production-ml-registry-regions",
        types=ML_REGISTRY,
        check=_spans_regions,
        where=in_production,
    ),
)
