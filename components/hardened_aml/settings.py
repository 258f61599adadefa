"""The estate's args, which are also the validated configuration of one stack of this repository.

A stack file's ``hardened-aml:*`` keys are the fields of :class:`~hardened_aml.estate.EstateArgs`, camelCased;
each section is the settings type of the component it configures (``hardened-aml:compute`` holds
``ComputeClusterSettings`` and ``ComputeInstanceSettings``, ...). Nothing is declared here a second time: a field
added to a component's settings is settable from stack config at once.

``pulumi config`` values arrive as strings (structured values as JSON); :func:`from_pulumi_config` reads every
key of the project's namespace and checks them with :func:`parse`, which refuses unknown keys, wrong types and
invalid values with one line naming the key as the stack file writes it, the value given and what is allowed.
"""

import difflib
import ipaddress
import json
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, NotRequired

import pulumi
from pydantic import Field
from typing_extensions import TypedDict

from hardened_aml.access import AccessSettings
from hardened_aml.aks import InferenceClusterSettings
from hardened_aml.alerts import AlertSettings
from hardened_aml.batch_endpoint import BatchEndpointSettings
from hardened_aml.budget import BudgetSettings
from hardened_aml.catalogue import GEO_ZONE_REDUNDANT_SKUS
from hardened_aml.compute_cluster import ClusterPurpose, ComputeClusterSettings, ComputeName
from hardened_aml.compute_instance import ComputeInstanceSettings
from hardened_aml.container_registry import ContainerRegistrySettings
from hardened_aml.errors import MISSING, InvalidInputError
from hardened_aml.governance import PUBLIC_PYPI, GovernanceSettings
from hardened_aml.inputs import Problem, args, checked, config_key, rule
from hardened_aml.ml_registry import MlRegistrySettings
from hardened_aml.naming import WORKLOAD_PATTERN, Namer
from hardened_aml.network import NetworkSettings
from hardened_aml.online_endpoint import OnlineEndpointSettings
from hardened_aml.regions import ZONAL_REGIONS
from hardened_aml.shared import Environment
from hardened_aml.storage import CheckpointLifecycle, StorageSettings
from hardened_aml.workspace import ManagedNetworkSettings, OutboundRuleType

TagValue = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^<>%&\\?/]+$")]


@args
class CostTags(TypedDict):
    """Cost-allocation tags on every taggable resource, with ``environment`` added (control AML-COST-002)."""

    team: TagValue
    """The owning team. Required."""
    cost_centre: TagValue
    """The cost centre that pays for the estate. Required."""
    extra: NotRequired[Annotated[dict[str, TagValue], Field(default_factory=dict)]]
    """Further tags, e.g. ``dataClassification``; the three above win over extras of the same name. Default: none."""


@args
class EstateCompute(TypedDict):
    """The workspace's training and batch clusters and personal instances."""

    clusters: NotRequired[Annotated[list[ComputeClusterSettings], Field(default_factory=list)]]
    """AmlCompute clusters. Default: none."""
    instances: NotRequired[Annotated[list[ComputeInstanceSettings], Field(default_factory=list)]]
    """Personal compute instances. Default: none."""


@args
class EstateBatchEndpoint(BatchEndpointSettings):
    """A batch endpoint on one of the estate's ``BatchInference`` clusters (control AML-REL-005)."""

    cluster: ComputeName
    """Name of a ``compute.clusters`` entry with purpose ``BatchInference``. Required."""


@args
class EstateInference(TypedDict):
    """Serving: an attached AKS cluster, an online endpoint and a batch endpoint, each optional."""

    aks: NotRequired[InferenceClusterSettings | None]
    """Zonal private AKS attached as Kubernetes compute. Default: none."""
    online_endpoint: NotRequired[OnlineEndpointSettings | None]
    """The managed online endpoint. Default: none."""
    batch_endpoint: NotRequired[EstateBatchEndpoint | None]
    """The batch endpoint. Default: none."""


def _section(**extra: Any) -> Any:
    """A config section given as nothing: its own defaults apply."""
    return Field(default_factory=dict, validate_default=True, **extra)


@args
class EstateArgs(TypedDict):
    """Everything an estate is made from; also everything a stack file of this repository may set under the
    ``hardened-aml:`` namespace (camelCase keys)."""

    environment: Environment
    """``exploration`` or ``production``: production adds protect and delete locks, geo-zone-redundant storage,
    longer log retention and stricter pack config. Required (controls AML-REL-003, AML-REL-006)."""
    workload: Annotated[str, Field(pattern=WORKLOAD_PATTERN.pattern)]
    """Short workload name used in every resource name: 2-8 lowercase letters and digits, a letter first.
    Required."""
    location: str
    """The Azure region; it must have availability zones. Required (controls AML-REL-001, AML-REL-002)."""
    tags: CostTags
    """Cost-allocation tags. Required (control AML-COST-002)."""
    network: NotRequired[Annotated[NetworkSettings, _section()]]
    """The estate's network. Default: a new VNet 10.40.0.0/22 with all six private DNS zones (controls
    AML-NET-003, AML-NET-004, AML-NET-008)."""
    managed_network: NotRequired[Annotated[ManagedNetworkSettings, _section()]]
    """The workspace's managed VNet and its approved outbound rules. Default: approved outbound only, provisioned
    with the workspace (controls AML-NET-002, AML-NET-014)."""
    access: NotRequired[Annotated[AccessSettings, _section()]]
    """Entra ID groups and their workspace roles. Default: none (control AML-IAM-003)."""
    budget: NotRequired[BudgetSettings | None]
    """A monthly budget with alerts on the resource group. Default: none (control AML-COST-001)."""
    alerts: NotRequired[AlertSettings | None]
    """An action group with the receivers given, and alert rules on the endpoints, the AKS cluster, jobs and
    quota; the budget also notifies the group. Default: none; the pack flags a production estate without them
    (control AML-MON-006)."""
    storage_sku: NotRequired[str | None]
    """Storage redundancy. Default: ``Standard_ZRS``; ``Standard_GZRS`` in production (control AML-REL-001)."""
    storage: NotRequired[Annotated[StorageSettings, _section()]]
    """The storage account's optional protections. Default: Defender for Storage in production only
    (control AML-DAT-009)."""
    checkpoints: NotRequired[Annotated[CheckpointLifecycle, _section()]]
    """When training checkpoints (the storage account's ``checkpoints`` container) tier to cool and are deleted.
    Default: cool after 30 days, deleted after 90 (control AML-DAT-006)."""
    registry: NotRequired[Annotated[ContainerRegistrySettings, _section()]]
    """The estate's container registry: the regions it geo-replicates into. Default: none; the pack flags a
    production registry without a replica (control AML-REL-010)."""
    ml_registry: NotRequired[MlRegistrySettings | None]
    """An Azure Machine Learning registry spanning this region and the ones named (by default the paired region),
    private, to promote models and environments between the primary and the DR workspace. Default: none
    (controls AML-REL-011, AML-NET-017, AML-NET-018)."""
    compute: NotRequired[Annotated[EstateCompute, _section()]]
    """Clusters and compute instances. Default: none."""
    inference: NotRequired[Annotated[EstateInference, _section()]]
    """AKS, online and batch endpoints. Default: none."""
    governance: NotRequired[Annotated[GovernanceSettings, _section()]]
    """What the Azure Policy assignments allow; they are always made at the resource group. Default: the
    ``azureml`` registry only, enforced; no Python-index allow-list outside production, and in production
    ``allowedPythonIndexes`` is required (controls AML-GOV-001..008)."""


@rule(EstateArgs)
def _estate_rules(e: Any, scope: Mapping[str, Any]) -> Iterator[Problem]:
    if e["location"] not in ZONAL_REGIONS:
        yield ("location",), e["location"], "a region with availability zones: " + ", ".join(sorted(ZONAL_REGIONS))
    production = e["environment"] is Environment.PRODUCTION
    if production and e.get("storage_sku") is not None and e["storage_sku"] not in GEO_ZONE_REDUNDANT_SKUS:
        yield ("storage_sku",), e["storage_sku"], "one of " + ", ".join(GEO_ZONE_REDUNDANT_SKUS) + " in production"
    if production and e["storage"].get("defender_for_storage") is False:
        # AML-DAT-009: said here too, so that the error names the stack key rather than the component's input.
        yield ("storage", "defender_for_storage"), False, "true (or unset) in production (AML-DAT-009)"
    if production and e["governance"].get("allowed_python_indexes") is None:
        # AML-GOV-002: production names its package feed; public PyPI only when asked for by its address.
        yield (
            ("governance", "allowed_python_indexes"),
            MISSING,
            f"in production, the organisation's package index(es), or {PUBLIC_PYPI} to allow public PyPI by name",
        )
    yield from _own_dependency_rules(e)
    compute, inference = e["compute"], e["inference"]
    named: list[tuple[tuple[str | int, ...], str]] = [
        *((("compute", "clusters", i, "name"), c["name"]) for i, c in enumerate(compute["clusters"])),
        *((("compute", "instances", i, "name"), c["name"]) for i, c in enumerate(compute["instances"])),
    ]
    if inference.get("aks"):
        named.append((("inference", "aks", "compute_name"), inference["aks"]["compute_name"]))
        subnets = e["network"].get("existing_subnets")
        if subnets is None:
            yield from _aks_address_rules(e["network"], inference["aks"])
        elif subnets.get("aks") is None:
            yield (
                ("network", "existing_subnets", "aks"),
                None,
                "the resource id of the AKS node subnet, since the estate has an inference cluster (inference.aks)",
            )
        elif subnets.get("api_server") is None:
            yield (
                ("network", "existing_subnets", "api_server"),
                None,
                "the resource id of a subnet (/28 or larger) delegated to Microsoft.ContainerService/managedClusters "
                "for the AKS API server, since the estate has an inference cluster (inference.aks)",
            )
    seen: set[str] = set()
    for at, name in named:
        if name.lower() in seen:
            yield at, name, "a compute name not used by another cluster, instance or the AKS compute"
        seen.add(name.lower())
    batch = inference.get("batch_endpoint")
    if batch:
        clusters = [c["name"] for c in compute["clusters"] if c["purpose"] is ClusterPurpose.BATCH_INFERENCE]
        if batch["cluster"] not in clusters:
            yield (
                ("inference", "batch_endpoint", "cluster"),
                batch["cluster"],
                "the name of a compute.clusters entry with purpose BatchInference: " + (", ".join(clusters) or "none"),
            )
    yield from _registry_rules(e)


def _own_dependency_rules(e: Any) -> Iterator[Problem]:
    """No private-endpoint outbound rule to the estate's own storage, key vault or registry: Azure adds those
    itself, and a second rule for the same destination fails (azure-docs PR #111532). Their names are known
    before anything exists, so this is checked with the rest of the estate's args."""
    namer = Namer(pulumi.get_project(), pulumi.get_stack(), e["workload"])
    own = {namer.name(kind).lower(): kind for kind in ("st", "kv", "cr")}
    for i, r in enumerate(e["managed_network"]["outbound_rules"]):
        target = r.get("service_resource_id")
        private = r["type"] is OutboundRuleType.PRIVATE_ENDPOINT and isinstance(target, str)
        if private and target.rstrip("/").rsplit("/", 1)[-1].lower() in own:
            yield (
                ("managed_network", "outbound_rules", i, "service_resource_id"),
                target,
                "a resource other than the workspace's own storage, key vault and registry (Azure adds their "
                "rules itself)",
            )


def _registry_rules(e: Any) -> Iterator[Problem]:
    """Models come from the one registry the governance assignment allows (control AML-GOV-006)."""
    registry = e["governance"]["allowed_model_registry"]
    inference = e["inference"]
    deployments: list[tuple[tuple[str | int, ...], Any]] = []
    if inference.get("online_endpoint"):
        for i, d in enumerate(inference["online_endpoint"]["deployments"]):
            deployments.append((("inference", "online_endpoint", "deployments", i, "model"), d))
    if inference.get("batch_endpoint") and inference["batch_endpoint"].get("deployment"):
        deployments.append(
            (("inference", "batch_endpoint", "deployment", "model"), inference["batch_endpoint"]["deployment"])
        )
    for at, d in deployments:
        model = d["model"]
        if model.startswith("azureml://registries/") and model.split("/")[3] != registry:
            yield (
                at,
                model,
                f"a model of registry {registry!r} (governance.allowedModelRegistry; AML-GOV-006 refuses others)",
            )


def _aks_address_rules(network: Any, aks: Any) -> Iterator[Problem]:
    """AKS overlay addresses stay outside the VNet's."""
    taken = {
        key: network[key] for key in ("private_endpoint_subnet_prefix", "aks_subnet_prefix", "compute_subnet_prefix")
    }
    if network.get("existing_vnet") is None:
        taken = {"address_space": network["address_space"], **taken}
    for key in ("pod_cidr", "service_cidr"):
        block = ipaddress.IPv4Network(aks[key])
        for other, prefix in taken.items():
            if block.overlaps(ipaddress.IPv4Network(prefix)):
                yield (
                    ("inference", "aks", key),
                    str(block),
                    f"a block that does not overlap network.{config_key((other,))} {prefix} (AKS overlay addresses "
                    "stay outside the VNet)",
                )


#: The stack configuration: exactly the estate's args (see the module docstring).
StackSettings = EstateArgs


def parse(values: Mapping[str, Any], namespace: str = "hardened-aml") -> EstateArgs:
    """Check raw config values (already JSON-decoded); raise one :class:`InvalidInputError` per stack."""
    return checked(EstateArgs, values, namespace, config=True)


#: Namespaces of the providers and tools a stack of this library configures; never taken for a typo.
KNOWN_NAMESPACES = frozenset({"pulumi", "azure-native", "azure", "azuread", "random", "tls", "command", "kubernetes"})


def check_namespace(full_key: str, value: Any, namespace: str) -> None:
    """Refuse a key whose namespace is not the project's but close to it (``hardned-aml:governance``): the
    program reads only its own namespace, so the whole section would be dropped without a word."""
    ns, sep, key = full_key.partition(":")
    if not sep or ns == namespace or ns in KNOWN_NAMESPACES:
        return
    if ns.lower() == namespace.lower() or difflib.get_close_matches(ns.lower(), [namespace.lower()], cutoff=0.75):
        shown = value if not isinstance(value, str) or len(value) <= 60 else value[:57] + "..."
        raise InvalidInputError(
            full_key, shown, f"a key of the {namespace} namespace: did you mean {namespace}:{key}? ({ns}:* is not read)"
        )


def from_pulumi_config(namespace: str | None = None) -> EstateArgs:
    """Read every ``namespace:*`` config key of the running stack and check it (see :func:`parse`).

    A key in a namespace close to ``namespace`` is refused as a typo (:func:`check_namespace`)."""
    namespace = namespace or pulumi.get_project()
    raw = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    values: dict[str, Any] = {}
    for full_key, value in raw.items():
        ns, _, key = full_key.partition(":")
        check_namespace(full_key, value, namespace)
        if ns != namespace:
            continue
        if isinstance(value, str) and value[:1] in "{[":
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise InvalidInputError(full_key, value, "valid JSON for a structured value") from None
        values[key] = value
    return parse(values, namespace)
