"""Peer coverage: the rules of PSRule for Azure, checkov and the Azure Policy built-ins that judge the estate's
resource types, each with the pack policies that cover it or the reason none does.

The table is data (``policies/aml_catalogue/peers.toml``); this module validates it and renders
``docs/peer-coverage.md``. ``hardened-aml docs`` writes the document and ``hardened-aml docs --check`` fails when it
is stale or when a rule names a policy the pack does not register.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hardened_aml_cli import tomltable

#: Where the table lives, relative to the repository root.
DATA = Path("policies/aml_catalogue/peers.toml")

Peer = Literal["azure-policy", "checkov", "psrule"]
PEER_TITLES: dict[str, str] = {
    "azure-policy": "Azure Policy built-in",
    "checkov": "checkov (ARM)",
    "psrule": "PSRule for Azure",
}
#: Resource families of the document, in order, by the ARM namespace of the judged type (``.Data`` modes included).
FAMILIES: dict[str, tuple[str, ...]] = {
    "Machine Learning": ("Microsoft.MachineLearningServices",),
    "Storage": ("Microsoft.Storage", "Microsoft.ClassicStorage"),
    "Key Vault": ("Microsoft.KeyVault",),
    "Container Registry": ("Microsoft.ContainerRegistry",),
    "Kubernetes Service (AKS)": ("Microsoft.ContainerService",),
}
#: The estate's resource types that the scope names; the document says which of them no peer rule judges.
SCOPE_TYPES: tuple[str, ...] = (
    "Microsoft.MachineLearningServices/workspaces",
    "Microsoft.MachineLearningServices/workspaces/computes",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
    "Microsoft.MachineLearningServices/workspaces/batchEndpoints",
    "Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments",
    "Microsoft.MachineLearningServices/registries",
    "Microsoft.Storage/storageAccounts",
    "Microsoft.Storage/storageAccounts/blobServices",
    "Microsoft.Storage/storageAccounts/fileServices",
    "Microsoft.Storage/storageAccounts/queueServices",
    "Microsoft.Storage/storageAccounts/tableServices",
    "Microsoft.KeyVault/vaults",
    "Microsoft.KeyVault/vaults/keys",
    "Microsoft.ContainerRegistry/registries",
    "Microsoft.ContainerService/managedClusters",
)
#: A rule the pack should cover but does not starts its reason with this.
GAP = "gap:"

_ID_PATTERNS: dict[str, str] = {
    "azure-policy": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "checkov": r"CKV2?_AZURE_\d+",
    "psrule": r"Azure\.[A-Za-z]+(\.[A-Za-z]+)+",
}


class PeersError(ValueError):
    """The peer table is malformed, or names a policy the pack does not have."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where one peer's rules were read."""

    peer: Peer
    repository: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    commit: str = Field(pattern=r"^[0-9a-f]{40}$")
    paths: tuple[str, ...] = Field(min_length=1)
    scope: str = Field(min_length=1)


class Rule(_Strict):
    """One peer rule and how the pack answers it."""

    peer: Peer
    id: str
    ref: str | None = Field(default=None, pattern=r"^AZR-\d{6}$")
    name: str | None = None
    type: str = Field(pattern=r"^Microsoft\.[\w.]+(/\w+)+$")
    covered_by: tuple[str, ...] | None = Field(default=None, min_length=1)
    reason: str | None = Field(default=None, min_length=1)
    note: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if (self.covered_by is None) == (self.reason is None):
            raise ValueError("give exactly one of covered_by (the pack policies) or reason (why none covers it)")
        if not re.fullmatch(_ID_PATTERNS[self.peer], self.id):
            raise ValueError(f"id {self.id!r} is not a {self.peer} id")
        if self.ref is not None and self.peer != "psrule":
            raise ValueError("ref (an AZR reference) belongs to PSRule rules only")
        if self.name is None and self.peer != "psrule":
            raise ValueError(f"a {self.peer} rule needs its name")
        if family(self.type) is None:
            raise ValueError(f"type {self.type!r} is in none of the families: {', '.join(FAMILIES)}")
        return self

    @property
    def is_gap(self) -> bool:
        return self.reason is not None and self.reason.startswith(GAP)


class Peers(_Strict):
    """The whole table: the sources read and every rule."""

    source: tuple[Source, ...] = Field(min_length=1)
    rule: tuple[Rule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Peers:
        repeated = sorted(p for p, n in Counter(s.peer for s in self.source).items() if n > 1)
        if repeated:
            raise ValueError(f"one source per peer; repeated: {', '.join(repeated)}")
        ids = Counter((r.peer, r.id) for r in self.rule)
        twice = sorted(f"{peer} {id_}" for (peer, id_), n in ids.items() if n > 1)
        if twice:
            raise ValueError(f"rule ids must be unique per peer; repeated: {', '.join(twice)}")
        unread = sorted({r.peer for r in self.rule} - {s.peer for s in self.source})
        if unread:
            raise ValueError(f"rules of a peer with no source: {', '.join(unread)}")
        return self


def family(resource_type: str) -> str | None:
    namespace = resource_type.split("/", 1)[0]
    for title, prefixes in FAMILIES.items():
        if any(namespace == p or namespace.startswith(p + ".") for p in prefixes):
            return title
    return None


def parse(text: str) -> Peers:
    """The table from TOML text; errors name the entry and the field."""
    return tomltable.parse(text, Peers, DATA, PeersError, _label)


def load(root: Path) -> Peers:
    return tomltable.load(root, Peers, DATA, PeersError, _label)


def _label(entry: Mapping[str, Any]) -> str:
    return str(entry.get("id") or entry.get("peer") or "")


_NAMES = (
    "import json, sys\nfrom aml_policies.pack import rules\njson.dump([r.policy_name for r in rules()], sys.stdout)\n"
)


def pack_policy_names(pack_dir: Path) -> set[str]:
    """The policy names the pack registers, read from its rules without starting it (as ``pack.policies()`` names
    them: ``<control>-<name>``)."""
    done = subprocess.run(
        [sys.executable, "-c", _NAMES], cwd=pack_dir, capture_output=True, text=True, check=False, timeout=120
    )
    if done.returncode != 0:
        raise PeersError(f"could not list the pack's policies in {pack_dir}: {done.stderr.strip()[-500:]}")
    return set(json.loads(done.stdout))


def unknown_policies(peers: Peers, names: set[str]) -> list[str]:
    """Each rule that names a policy the pack does not register, in words."""
    return [
        f"{r.peer} {r.id}: covered_by names {p!r}, which is not a policy of the pack"
        for r in peers.rule
        for p in r.covered_by or ()
        if p not in names
    ]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _answer(rule: Rule) -> str:
    if rule.covered_by:
        text = ", ".join(f"[`{p}`](policies.md#{p})" for p in rule.covered_by)
    else:
        text = f"**{_cell(rule.reason or '')}**" if rule.is_gap else _cell(rule.reason or "")
    return text + (f" ({_cell(rule.note)})" if rule.note else "")


def _rule_id(rule: Rule) -> str:
    if rule.peer == "azure-policy":
        return f"`{rule.id}`"
    return f"`{rule.id}`" + (f" ({rule.ref})" if rule.ref else "")


def _tally(rules: list[Rule]) -> str:
    if not rules:
        return "–"
    covered = sum(1 for r in rules if r.covered_by)
    gaps = sum(1 for r in rules if r.is_gap)
    return f"{len(rules)} ({covered} / {gaps} / {len(rules) - covered - gaps})"


def render(peers: Peers, names: set[str]) -> str:
    """The coverage document; refuses a table that names a policy the pack does not have."""
    problems = unknown_policies(peers, names)
    if problems:
        raise PeersError(f"{DATA}: " + "; ".join(problems))
    peers_in_order = [p for p in PEER_TITLES if any(s.peer == p for s in peers.source)]
    lines = [
        "# Peer coverage",
        "",
        f"<!-- Generated from {DATA.as_posix()} by `hardened-aml docs`; do not edit. -->",
        "",
        "Every rule of the peers that judges a resource type of the estate (Azure ML workspaces, computes,",
        "endpoints, deployments and registries; storage accounts and their services; Key Vault vaults, keys and",
        "secrets; container registries; AKS clusters and agent pools), with the [pack policies](policies.md) that",
        "flag the same thing or the reason none does. A reason in bold is a gap the pack should close (issue 15).",
    ]
    unjudged = [t for t in SCOPE_TYPES if not any(r.type == t for r in peers.rule)]
    if unjudged:
        lines += [
            "",
            "No rule of the three peers judges " + ", ".join(f"`{t}`" for t in unjudged) + ". Rules on AKS node "
            "pools are listed under `Microsoft.ContainerService/managedClusters`: they judge the cluster's "
            "`agentPoolProfiles`, and several of them `managedClusters/agentPools` too.",
        ]
    lines += [
        "",
        "## Sources",
        "",
        "| peer | repository | commit | read | what is listed |",
        "|---|---|---|---|---|",
    ]
    for s in sorted(peers.source, key=lambda s: peers_in_order.index(s.peer)):
        read = "<br>".join(f"`{p}`" for p in s.paths)
        lines.append(
            f"| {PEER_TITLES[s.peer]} | [{s.repository}](https://github.com/{s.repository}/tree/{s.commit}) | "
            f"`{s.commit[:12]}` | {read} | {_cell(s.scope)} |"
        )
    lines += [
        "",
        "## Counts",
        "",
        "Rules per resource type and peer: total (covered / gaps / not applicable, with the reason stated).",
        "",
        "| family | resource type | " + " | ".join(PEER_TITLES[p] for p in peers_in_order) + " | all |",
        "|---|---|" + "---:|" * (len(peers_in_order) + 1),
    ]
    for title in FAMILIES:
        in_family = [r for r in peers.rule if family(r.type) == title]
        for resource_type in sorted({r.type for r in in_family}):
            of_type = [r for r in in_family if r.type == resource_type]
            cells = [_tally([r for r in of_type if r.peer == p]) for p in peers_in_order]
            lines.append(f"| {title} | `{resource_type}` | " + " | ".join(cells) + f" | {_tally(of_type)} |")
    cells = [_tally([r for r in peers.rule if r.peer == p]) for p in peers_in_order]
    lines.append("| **all** | | " + " | ".join(cells) + f" | {_tally(list(peers.rule))} |")
    for title in FAMILIES:
        in_family = [r for r in peers.rule if family(r.type) == title]
        if not in_family:
            continue
        in_family.sort(key=lambda r: (r.type.lower(), peers_in_order.index(r.peer), r.id.lower()))
        lines += ["", f"## {title}", "", "| peer | id | name | type | covered by / reason |", "|---|---|---|---|---|"]
        for r in in_family:
            lines.append(
                f"| {PEER_TITLES[r.peer]} | {_rule_id(r)} | {_cell(r.name or '')} | `{r.type}` | {_answer(r)} |"
            )
    return "\n".join(lines) + "\n"


def render_document(root: Path) -> str:
    """``docs/peer-coverage.md`` for the repository at ``root``."""
    return render(load(root), pack_policy_names(root / "policies"))
