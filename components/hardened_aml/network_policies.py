"""The inference namespace's Kubernetes NetworkPolicies: default deny, and the flows the Azure ML extension needs.

The cluster's API server is private and command invoke is off (control AML-AKS-002), so a Pulumi program outside
the VNet cannot apply Kubernetes objects. The estate therefore (1) makes the inference namespace an AKS managed
namespace whose default network policy denies all ingress and egress (``defaultNetworkPolicy`` DenyAll, applied by
AKS through ARM; control AML-AKS-026), and (2) builds the allow rules below as a manifest, an output of
:class:`~hardened_aml.aks.InferenceCluster` and of the stack, which an operator applies from inside the network
(control AML-AKS-101; README "Inference namespace network policies"). The manifest repeats the default deny, so it
also holds on a cluster whose namespace is not managed. NetworkPolicies are additive: a flow is open when any policy
selecting the pod allows it, and the network policy engine (Cilium, control AML-AKS-005) enforces them.

Every flow is one row of :data:`FLOWS`, with its reason and source:

- the inference router ``azureml-fe`` and the extension's components run in the extension's release namespace
  ``azureml``: the router forwards scoring requests to the model pods ("Azure Machine Learning inference router
  and connectivity requirements", learn.microsoft.com/azure/machine-learning/how-to-kubernetes-inference-routing-
  azureml-fe), and each deployment's ``identity-sidecar`` gets its tokens through the extension's
  ``amlarc-identity-proxy`` ("Reference for configuring Kubernetes cluster for Azure Machine Learning", the table
  of deployed services, learn.microsoft.com/azure/machine-learning/reference-kubernetes). Neither page gives ports,
  so these two flows are by namespace, on any port;
- names resolve through CoreDNS (``k8s-app: kube-dns`` in ``kube-system``) on port 53, UDP and TCP;
- the model pods pull images and read models and data over HTTPS: the registry, blob storage and the workspace API
  (Azure/AML-Kubernetes ``docs/network-requirements.md``, port 443), which this estate reaches only through their
  private endpoints, so HTTPS egress is allowed to the private-endpoint subnet and nowhere else. The Kusto, table
  and queue endpoints for the extension's system logs are left out, as that page allows for data-exfiltration
  concerns (Microsoft then cannot diagnose from those logs).

Namespaces are selected by ``kubernetes.io/metadata.name``, the label Kubernetes sets on every namespace.
"""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

#: The Azure ML extension's release namespace (the extension's scope, control AML-AKS-009).
EXTENSION_NAMESPACE = "azureml"
NAMESPACE_LABEL = "kubernetes.io/metadata.name"
#: The label of the policies this library writes.
MANAGED_BY = {"app.kubernetes.io/managed-by": "hardened-aml"}
DEFAULT_DENY = "default-deny"


@dataclass(frozen=True)
class Flow:
    """One allowed flow of every pod in the inference namespace."""

    name: str
    """The NetworkPolicy's name (a DNS label)."""
    direction: Literal["Ingress", "Egress"]
    """Into the pods, or out of them."""
    peer: str
    """``namespace:<name>``, ``pods:<namespace>:<label>=<value>`` or ``cidrs:private-endpoints``."""
    ports: tuple[tuple[str, int], ...]
    """``(protocol, port)`` pairs; none means any port."""
    why: str
    """The reason, with its source (see the module docstring)."""


#: The one table the manifests are built from (control AML-AKS-101).
FLOWS: tuple[Flow, ...] = (
    Flow(
        name="allow-from-azureml",
        direction="Ingress",
        peer=f"namespace:{EXTENSION_NAMESPACE}",
        ports=(),
        why="azureml-fe routes scoring requests to the model pods; the extension's operators manage them",
    ),
    Flow(
        name="allow-dns",
        direction="Egress",
        peer="pods:kube-system:k8s-app=kube-dns",
        ports=(("UDP", 53), ("TCP", 53)),
        why="name resolution through CoreDNS, for the private endpoints' private addresses",
    ),
    Flow(
        name="allow-to-azureml",
        direction="Egress",
        peer=f"namespace:{EXTENSION_NAMESPACE}",
        ports=(),
        why="each deployment's identity-sidecar gets tokens from the extension's identity proxy",
    ),
    Flow(
        name="allow-private-endpoints-https",
        direction="Egress",
        peer="cidrs:private-endpoints",
        ports=(("TCP", 443),),
        why="images, models, data and the workspace API over HTTPS, through their private endpoints only",
    ),
)


def _peer(flow: Flow, private_endpoint_cidrs: Sequence[str]) -> list[dict[str, Any]]:
    kind, _, rest = flow.peer.partition(":")
    if kind == "namespace":
        return [{"namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: rest}}}]
    if kind == "pods":
        namespace, _, label = rest.partition(":")
        key, _, value = label.partition("=")
        return [
            {
                "namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: namespace}},
                "podSelector": {"matchLabels": {key: value}},
            }
        ]
    if kind == "cidrs" and rest == "private-endpoints":
        return [{"ipBlock": {"cidr": cidr}} for cidr in private_endpoint_cidrs]
    raise ValueError(f"flow {flow.name}: unknown peer {flow.peer!r}")


def policies(namespace: str, private_endpoint_cidrs: Sequence[str]) -> list[dict[str, Any]]:
    """The NetworkPolicy objects of the inference namespace: default deny first, then one per flow. A flow whose
    peers are empty (no private-endpoint prefix known) is left out rather than written as "allow all"."""
    meta = {"namespace": namespace, "labels": dict(MANAGED_BY)}
    made: list[dict[str, Any]] = [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": DEFAULT_DENY, **meta},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        }
    ]
    for flow in FLOWS:
        peers = _peer(flow, private_endpoint_cidrs)
        if not peers:
            continue
        rule: dict[str, Any] = {"from" if flow.direction == "Ingress" else "to": peers}
        if flow.ports:
            rule["ports"] = [{"protocol": protocol, "port": port} for protocol, port in flow.ports]
        made.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {
                    "name": flow.name,
                    **meta,
                    "annotations": {"hardened-aml/why": flow.why},
                },
                "spec": {
                    "podSelector": {},
                    "policyTypes": [flow.direction],
                    flow.direction.lower(): [rule],
                },
            }
        )
    return made


def manifest(namespace: str, private_endpoint_cidrs: Sequence[str]) -> str:
    """:func:`policies` as one multi-document YAML string, for ``kubectl apply -f`` (``az aks command invoke
    --file``). Strings are written as JSON strings, which YAML reads as double-quoted scalars."""
    header = (
        "# NetworkPolicies of the inference namespace (hardened-aml, controls AML-AKS-026 and AML-AKS-101).\n"
        "# Apply from inside the network: kubectl apply -f <this file>\n"
    )
    return header + "".join("---\n" + _yaml(doc, 0) for doc in policies(namespace, private_endpoint_cidrs))


#: Words YAML 1.1 readers take for booleans or null: never written as plain keys.
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def _key(key: str) -> str:
    """A mapping key: plain when it is a simple name, else a JSON (double-quoted) string."""
    plain = re.fullmatch(r"[A-Za-z][A-Za-z0-9_./-]*", key) and key.lower() not in _YAML_WORDS
    return key if plain else json.dumps(key)


def _yaml(value: Any, indent: int) -> str:
    """Block YAML for mappings, lists, strings and integers (the shapes of a NetworkPolicy)."""
    pad = "  " * indent
    if isinstance(value, Mapping):
        if not value:
            return "{}\n"
        lines = []
        for key, item in value.items():
            if isinstance(item, Mapping | list) and item:
                lines.append(f"{pad}{_key(str(key))}:\n{_yaml(item, indent + 1)}")
            else:
                lines.append(f"{pad}{_key(str(key))}: {_yaml(item, indent + 1)}")
        return "".join(lines)
    if isinstance(value, list):
        if not value:
            return "[]\n"
        lines = []
        for item in value:
            body = _yaml(item, indent + 1)
            if isinstance(item, Mapping | list) and item:
                lines.append(f"{pad}- {body.lstrip()}")
            else:
                lines.append(f"{pad}- {body}")
        return "".join(lines)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"cannot write {value!r} as YAML here")
    return (json.dumps(value) if isinstance(value, str) else str(value)) + "\n"
