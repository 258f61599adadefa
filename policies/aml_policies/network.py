"""Rules that relate the workspace to its private endpoints, DNS zones and outbound rules.

Private-endpoint group ids and private DNS zone names: "Azure Private Endpoint private DNS zone values"
(learn.microsoft.com/azure/private-link/private-endpoint-dns): Azure Machine Learning
``amlworkspace`` -> privatelink.api.azureml.ms and privatelink.notebooks.azure.net; Storage ``blob`` ->
privatelink.blob.core.windows.net, ``file`` -> privatelink.file.core.windows.net; Key Vault ``vault`` ->
privatelink.vaultcore.azure.net; Container Registry ``registry`` -> privatelink.azurecr.io.

Resources are related by engine dependency or ARM id (``Stack.targets``), never by type alone: a storage
account that no workspace names is not judged as a workspace's storage (PITFALLS: checkov #6388).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from pulumi_policy import PolicyResource

from aml_policies.core import (
    MISSING,
    Config,
    Props,
    ResourceRule,
    Stack,
    StackRule,
    get,
    items,
    plain,
    type_key,
)

WORKSPACE = "machinelearningservices:Workspace"
PRIVATE_ENDPOINT = "network:PrivateEndpoint"
ZONE_GROUP = "network:PrivateDnsZoneGroup"
PRIVATE_ZONE = "privatedns:PrivateZone"

WORKSPACE_ZONES = ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net")
#: The workspace property that names each dependency, its type, and the group ids its endpoints need.
DEPENDENCY_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("storageAccount", "storage:StorageAccount", ("blob", "file")),
    ("keyVault", "keyvault:Vault", ("vault",)),
    ("containerRegistry", "containerregistry:Registry", ("registry",)),
)


def _group_ids(endpoint: PolicyResource) -> set[str]:
    connections = items(endpoint.props, "privateLinkServiceConnections") + items(
        endpoint.props, "manualPrivateLinkServiceConnections"
    )
    return {str(g).lower() for c in connections for g in items(c, "groupIds")}


def endpoints_of(stack: Stack, target: PolicyResource | str) -> list[PolicyResource]:
    """The private endpoints whose connections point at ``target`` (a resource of the stack, or an id)."""
    found = []
    for endpoint in stack.of_type(PRIVATE_ENDPOINT):
        if isinstance(target, str):
            ids = Stack.reference_strings(endpoint, "privateLinkServiceConnections")
            if target.lower() in (i.lower() for i in ids):
                found.append(endpoint)
        elif target in stack.targets(endpoint, "privateLinkServiceConnections"):
            found.append(endpoint)
    return found


def _workspace_private_link(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    for workspace in stack.of_type(WORKSPACE):
        if not any("amlworkspace" in _group_ids(e) for e in endpoints_of(stack, workspace)):
            yield (
                f"workspace {workspace.name!r} has no private endpoint with group id 'amlworkspace'; "
                "clients must reach it over private link",
                workspace.urn,
            )


def zone_names(stack: Stack, zone_group: PolicyResource) -> set[str]:
    """The private DNS zones a zone group registers into, from zone resources or from zone ids."""
    names = set()
    for zone in stack.targets(zone_group, "privateDnsZoneConfigs"):
        if zone.resource_type.endswith(":PrivateZone"):
            name = get(zone.props, "privateZoneName")
            names.add(str(name if name is not MISSING else zone.name).lower())
    for text in Stack.reference_strings(zone_group, "privateDnsZoneConfigs"):
        if "/privatednszones/" in text.lower():
            names.add(text.rsplit("/", 1)[-1].lower())
    return names


def _workspace_dns(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    for workspace in stack.of_type(WORKSPACE):
        for endpoint in endpoints_of(stack, workspace):
            if "amlworkspace" not in _group_ids(endpoint):
                continue
            groups = stack.referrers(endpoint, (ZONE_GROUP,), "privateEndpointName")
            registered = set().union(*(zone_names(stack, g) for g in groups)) if groups else set()
            missing = [z for z in WORKSPACE_ZONES if z not in registered]
            if missing:
                yield (
                    f"private endpoint {endpoint.name!r} of workspace {workspace.name!r} has no DNS zone group "
                    f"entry for {', '.join(missing)}; both workspace zones are needed (the built-in DINE policy "
                    "sets only the first)",
                    endpoint.urn,
                )


def _dependency_endpoints(stack: Stack, _config: Config) -> Iterator[tuple[str, str]]:
    for workspace in stack.of_type(WORKSPACE):
        for prop, kind, groups in DEPENDENCY_GROUPS:
            targets: list[PolicyResource | str] = [
                t for t in stack.targets(workspace, prop) if type_key(t.resource_type) == kind
            ]
            # A dependency outside this stack is named by its id: match endpoints on that id.
            targets = targets or list(Stack.reference_strings(workspace, prop))
            for target in targets:
                present = set().union(*(_group_ids(e) for e in endpoints_of(stack, target)))
                label = target if isinstance(target, str) else target.name
                for group in groups:
                    if group not in present:
                        yield (
                            f"{prop} {label!r} of workspace {workspace.name!r} has no private endpoint with "
                            f"group id {group!r}",
                            workspace.urn,
                        )


def _outbound_rules(props: Props, _config: Config) -> Iterator[str]:
    mode = get(props, "managedNetwork.isolationMode")
    rules = get(props, "managedNetwork.outboundRules")
    if rules is MISSING:
        return
    seen: dict[str, str] = {}
    for name in rules:
        rule = rules[name]
        kind = get(rule, "type")
        if kind in ("FQDN", "ServiceTag") and mode != "AllowOnlyApprovedOutbound":
            yield (
                f"managedNetwork.outboundRules.{name} is a {kind} rule under isolationMode {mode!r}; {kind} rules "
                "apply only under 'AllowOnlyApprovedOutbound'"
            )
        destination = get(rule, "destination")
        key = repr(destination if isinstance(destination, str) else sorted(str(v) for v in _flat(destination)))
        if key in seen:
            yield f"managedNetwork.outboundRules.{name} has the same destination as rule {seen[key]!r}"
        seen.setdefault(key, name)


def _flat(value: object) -> list[object]:
    if isinstance(value, Mapping):
        return [f"{k}={plain(value[k])}" for k in value]  # plain: a nested proxy has no value-based str
    return [value]


RULES = (
    StackRule(
        control="AML-NET-003",
        name="workspace-private-endpoint",
        description="every workspace has a private endpoint with group id 'amlworkspace' that points at it.",
        check=_workspace_private_link,
    ),
    StackRule(
        control="AML-NET-004",
        name="workspace-private-dns-zones",
        description="the workspace's private endpoint registers in both privatelink.api.azureml.ms and "
        "privatelink.notebooks.azure.net.",
        check=_workspace_dns,
    ),
    StackRule(
        control="AML-NET-008",
        name="dependency-private-endpoints",
        description="the storage account (blob and file), key vault (vault) and registry (registry) that a "
        "workspace names each have private endpoints.",
        check=_dependency_endpoints,
    ),
    ResourceRule(
        control="AML-NET-014",
        name="outbound-rules-coherent",
        types=(WORKSPACE,),
        description="FQDN and service-tag outbound rules only under 'AllowOnlyApprovedOutbound', and no two "
        "rules with the same destination.",
        check=_outbound_rules,
    ),
)
