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

import ipaddress
import math
import re
from collections.abc import Iterator, Mapping, Sequence

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from aml_catalogue import all_ports, broad_service_tag, wildcard_fqdn
from aml_policies.core import (
    MISSING,
    Config,
    Props,
    ResourceRule,
    Stack,
    StackRule,
    Unreadable,
    get,
    items,
    mapping,
    plain,
    same,
    same_any,
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


#: Ports an FQDN rule may allow ("FQDN outbound rules only support ports 80 and 443": learn.microsoft.com
#: how-to-managed-network, limitations). ``FqdnOutboundRule`` (workspaceRP.json 2025-12-01) has no port field,
#: so a port can only arrive as an extra field or written into the destination.
FQDN_PORTS = frozenset({80, 443})
_PORT_FIELDS = ("portRanges", "ports", "port")
_HOST_PORT = re.compile(r"^[^/:]+:(\d+)$")
#: The workspace properties naming the resources whose private-endpoint rules Azure adds itself.
AZURE_ADDED_RULES = ("storageAccount", "keyVault", "containerRegistry")


def _ports(value: object) -> list[str]:
    """Port numbers and ranges in a port field: ``"443"``, ``"80,443"``, ``"8000-8080"``, ``[80, 443]``."""
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return [str(int(value))]
    if isinstance(value, Sequence):
        return [p for v in value for p in _ports(v)]
    return [str(value)]


def _fqdn_ports(name: str, rule: object) -> Iterator[str]:
    found: list[str] = []
    for field in _PORT_FIELDS:
        for where in (rule, get(rule, "destination")):
            value = get(where, field) if isinstance(where, Mapping) else MISSING
            if value is not MISSING:
                found += _ports(value)
    destination = get(rule, "destination")
    if isinstance(destination, str) and (m := _HOST_PORT.match(destination)):
        found.append(m.group(1))
    bad = [p for p in found if not (p.isdigit() and int(p) in FQDN_PORTS)]
    if bad:
        yield (
            f"managedNetwork.outboundRules.{name} is an FQDN rule for port(s) {', '.join(bad)}; FQDN rules allow "
            "ports 80 and 443 only"
        )


def _known(props: Props, key: str) -> str:
    try:
        value = get(props, key)
    except UnknownValueError:  # unknown at preview: nothing to compare with
        return ""
    return value.lower() if isinstance(value, str) else ""


def _rules(props: Props) -> Iterator[tuple[str, Mapping[str, object]]]:
    """``managedNetwork.outboundRules`` by name (a map of rule name to rule); :class:`Unreadable` when it or a
    rule is not an object, or a rule's ``type`` is not a string."""
    rules = mapping(props, "managedNetwork.outboundRules")
    for name in rules or {}:
        rule = rules[name] if rules is not None else None
        path = f"managedNetwork.outboundRules.{name}"
        if not isinstance(rule, Mapping):
            raise Unreadable(path, rule, "an object")
        kind = get(rule, "type")
        if kind is not MISSING and not isinstance(kind, str):
            raise Unreadable(f"{path}.type", kind, "a string")
        yield str(name), rule


def _kind(rule: Mapping[str, object]) -> str:
    """A rule's ``type`` as Azure reads the enum (FQDN | ServiceTag | PrivateEndpoint), in its spec spelling."""
    kind = get(rule, "type")
    return next((k for k in RULE_TYPES if same(kind, k)), str(kind) if kind is not MISSING else "")


RULE_TYPES = ("FQDN", "ServiceTag", "PrivateEndpoint")


def _outbound_rules(props: Props, _config: Config) -> Iterator[str]:
    mode = get(props, "managedNetwork.isolationMode")
    approved_only = same(mode, "AllowOnlyApprovedOutbound", "managedNetwork.isolationMode")
    own = {_known(props, key): key for key in AZURE_ADDED_RULES if _known(props, key)}
    seen: dict[str, str] = {}
    for name, rule in _rules(props):
        kind = _kind(rule)
        if kind in ("FQDN", "ServiceTag") and not approved_only:
            yield (
                f"managedNetwork.outboundRules.{name} is a {kind} rule under isolationMode {mode!r}; {kind} rules "
                "apply only under 'AllowOnlyApprovedOutbound'"
            )
        yield from _broad_egress(name, kind, rule)
        if kind == "FQDN":
            yield from _fqdn_ports(name, rule)
        if kind == "PrivateEndpoint":
            target = get(rule, "destination.serviceResourceId")
            if isinstance(target, str) and target.lower() in own:
                yield (
                    f"managedNetwork.outboundRules.{name} is a private-endpoint rule to the workspace's own "
                    f"{own[target.lower()]}; Azure adds that rule itself, and a second rule for it fails"
                )
        destination = get(rule, "destination")
        key = repr(destination if isinstance(destination, str) else sorted(str(v) for v in _flat(destination)))
        if key in seen:
            yield f"managedNetwork.outboundRules.{name} has the same destination as rule {seen[key]!r}"
        seen.setdefault(key, name)


def _broad_egress(name: str, kind: str, rule: Mapping[str, object]) -> Iterator[str]:
    """Egress breadth: a service-tag rule to Internet or AzureCloud, any tag on protocol '*' and all ports, or an
    FQDN rule to '*', a bare name or a wildcard over a top-level domain."""
    where = f"managedNetwork.outboundRules.{name}"
    if kind == "ServiceTag":
        tag = get(rule, "destination.serviceTag")
        if isinstance(tag, str) and broad_service_tag(tag):
            yield f"{where} is a service-tag rule to {tag!r}, which opens egress to all of it; name a narrower tag"
        protocol, ports = get(rule, "destination.protocol"), get(rule, "destination.portRanges")
        if same(protocol, "*") and isinstance(ports, str) and all_ports(ports):
            yield f"{where} allows protocol '*' on all ports ({ports!r}); name the protocol and ports the job needs"
    if kind == "FQDN":
        destination = get(rule, "destination")
        if isinstance(destination, str) and wildcard_fqdn(destination):
            yield (
                f"{where} is an FQDN rule to {destination!r}, which matches every host under a top-level "
                "domain; name the hosts the job needs"
            )


def _fqdn_firewall(props: Props, _config: Config) -> Iterator[str]:
    fqdn = [name for name, rule in _rules(props) if _kind(rule) == "FQDN"]
    if fqdn:
        sku = get(props, "managedNetwork.firewallSku")
        yield (
            f"managedNetwork.outboundRules {', '.join(repr(n) for n in fqdn)} "
            f"{'is an FQDN rule' if len(fqdn) == 1 else 'are FQDN rules'}: Azure deploys a managed Azure Firewall "
            f"(firewallSku {sku if sku is not MISSING else 'Standard'!r}) for them, billed by the hour and by "
            "data processed, and not shared with other workspaces; prefer private-endpoint or service-tag rules, or "
            "choose firewallSku 'Basic'"
        )


def _flat(value: object) -> list[object]:
    if isinstance(value, Mapping):
        return [f"{k}={plain(value[k])}" for k in value]  # plain: a nested proxy has no value-based str
    return [value]


# --- AML-NET-019 ------------------------------------------------------------------------------------
ROUTE_TABLE = "network:RouteTable"
ROUTE = "network:Route"
#: Next hops a default route may take: a firewall or other appliance (with its address), the VPN/ExpressRoute gateway
#: (forced tunnelling to on-premises) or None (traffic dropped). Enum ``RouteNextHopType`` of the network API
#: 2024-05-01 (VirtualNetworkGateway | VnetLocal | Internet | VirtualAppliance | None); "Internet" and "VnetLocal"
#: send the default route straight out or nowhere useful, and AKS refuses a default route to the internet with
#: userDefinedRouting (MicrosoftDocs/azure-aks-docs egress-udr.md).
DEFAULT_ROUTE_HOPS = ("VirtualAppliance", "VirtualNetworkGateway", "None")


def _is_default_route(prefix: object) -> bool:
    """Whether a route's addressPrefix is the IPv4 default route (written 0.0.0.0/0 or equivalent); a service tag
    or any other prefix is not."""
    if not isinstance(prefix, str):
        return False
    try:
        return ipaddress.ip_network(prefix.strip(), strict=False) == ipaddress.ip_network("0.0.0.0/0")
    except ValueError:
        return False


def _route_problems(route: object, label: str) -> Iterator[str]:
    if not isinstance(route, Mapping):
        raise Unreadable(label, route, "an object")
    if not _is_default_route(get(route, "addressPrefix")):
        return
    hop = get(route, "nextHopType")
    allowed = ", ".join(DEFAULT_ROUTE_HOPS)
    if hop is MISSING:
        yield f"{label}.nextHopType is not set on the default route 0.0.0.0/0; it must be one of {allowed}"
    elif not same_any(hop, DEFAULT_ROUTE_HOPS, f"{label}.nextHopType"):
        yield (
            f"{label}.nextHopType is {hop!r} on the default route 0.0.0.0/0; it must be one of {allowed} (a firewall, "
            "or forced tunnelling), never straight to the internet"
        )
    elif same(hop, "VirtualAppliance", f"{label}.nextHopType"):
        address = get(route, "nextHopIpAddress")
        try:
            ipaddress.IPv4Address(address.strip() if isinstance(address, str) else "")
        except ValueError:
            found = "is not set" if address is MISSING else f"is {address!r}"
            yield f"{label}.nextHopIpAddress {found}; a VirtualAppliance hop needs the appliance's IPv4 address"


def _route_table_defaults(props: Props, _config: Config) -> Iterator[str]:
    for i, route in enumerate(items(props, "routes")):
        yield from _route_problems(route, f"routes[{i}]")


def _route_default(props: Props, _config: Config) -> Iterator[str]:
    for message in _route_problems(props, "route"):
        yield message.removeprefix("route.")


_ROUTE_TEXT = (
    "a route whose addressPrefix is the default route 0.0.0.0/0 has nextHopType VirtualAppliance (with an IPv4 "
    "nextHopIpAddress), VirtualNetworkGateway or None (compared ignoring case); Internet, VnetLocal or a missing "
    "nextHopType fails; other prefixes are not judged"
)


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
        description="FQDN and service-tag outbound rules only under 'AllowOnlyApprovedOutbound'; FQDN rules for "
        "ports 80 and 443 only; no two rules with the same destination; no private-endpoint rule to the workspace's "
        "own storage account, key vault or registry (Azure adds those); no broad egress: no service-tag rule to "
        "Internet or AzureCloud, none with protocol '*' on all ports, no FQDN rule to '*' or a wildcard over a "
        "top-level domain.",
        check=_outbound_rules,
    ),
    ResourceRule(
        control="AML-COST-003",
        name="fqdn-rules-bring-a-firewall",
        types=(WORKSPACE,),
        description="warns when managedNetwork.outboundRules holds an FQDN rule: it brings a billed managed "
        "Azure Firewall (managedNetwork.firewallSku).",
        check=_fqdn_firewall,
    ),
    ResourceRule(
        control="AML-NET-019",
        name="route-table-default-route",
        types=(ROUTE_TABLE,),
        description=f"every routes[] entry: {_ROUTE_TEXT}.",
        check=_route_table_defaults,
    ),
    ResourceRule(
        control="AML-NET-019",
        name="route-default-route",
        types=(ROUTE,),
        description=f"{_ROUTE_TEXT}.",
        check=_route_default,
    ),
)
