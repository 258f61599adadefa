"""The plan report: what the program registered and what the pack said of it, in five formats.

``json`` is a public interface (documented in the README): ``{"stack", "resources": [{"urn", "type",
"name", "parent", "inputs", "dependencies", "custom"}], "diagnostics": [{"policy", "control", "urn", "message",
"enforcement"}], "compliance": [...]}``. The other formats are views of the same :class:`Report`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hardened_aml.testing.pack import ENFORCEMENT_NAMES, Analysis

FORMATS = ("table", "json", "markdown", "html", "sarif")
#: ``pulumirpc.PolicyType.POLICY_TYPE_RESOURCE`` in ``GetAnalyzerInfo``.
POLICY_TYPE_RESOURCE = 1
_CONTROL = re.compile(r"^\[(AML-[A-Z]+-[0-9]{3})\] ")
TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class ReportResource:
    urn: str
    type: str
    name: str
    parent: str
    inputs: Mapping[str, Any]
    dependencies: Sequence[str] = ()
    custom: bool = True
    """A resource a provider manages (``False`` for a component or the stack)."""


@dataclass(frozen=True)
class ReportDiagnostic:
    policy: str
    control: str
    urn: str
    message: str
    enforcement: str


@dataclass(frozen=True)
class PolicyRow:
    """One policy of the pack, as ``GetAnalyzerInfo`` described it."""

    name: str
    control: str
    description: str
    enforcement: str
    stack: bool = False
    """A stack policy (``AnalyzeStack``) rather than a resource policy."""


@dataclass
class ControlSummary:
    """Per control: the resources that passed or failed its policies, and its enforcement level."""

    control: str
    title: str
    enforcement: str
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "fail" if self.failed else ("pass" if self.passed else "n/a")


@dataclass
class Report:
    stack: str
    project: str
    config_file: str
    resources: list[ReportResource]
    diagnostics: list[ReportDiagnostic]
    policies: list[PolicyRow]
    compliance: list[ControlSummary]

    @property
    def mandatory_violations(self) -> int:
        return sum(1 for d in self.diagnostics if d.enforcement == "mandatory")

    @property
    def advisory_violations(self) -> int:
        return sum(1 for d in self.diagnostics if d.enforcement != "mandatory")

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "resources": [asdict(r) | {"dependencies": list(r.dependencies)} for r in self.resources],
            "diagnostics": [asdict(d) for d in self.diagnostics],
            "compliance": [
                {
                    "control": c.control,
                    "title": c.title,
                    "enforcement": c.enforcement,
                    "status": c.status,
                    "passed": c.passed,
                    "failed": c.failed,
                }
                for c in self.compliance
            ],
        }


def build_report(
    *,
    stack: str,
    project: str,
    config_file: str,
    planned: Sequence[Mapping[str, Any]],
    info: Any,
    levels: Mapping[str, object],
    analyses: Sequence[tuple[str, Analysis]],
    stack_analysis: Analysis,
) -> Report:
    """Put the pack's answers together: diagnostics, and per control the resources that pass or fail.

    A resource passes a resource policy when the policy applied to it (the pack did not answer
    ``not_applicable``) and reported nothing on it; a stack policy passes for the stack when it reported
    nothing, and fails on each resource it reported.
    """
    from hardened_aml.catalogue import load

    catalogue = load()
    policies = [
        PolicyRow(
            name=p.name,
            control=control_of("", list(p.tags)),
            description=p.description,
            enforcement=str(levels.get(p.name) or ENFORCEMENT_NAMES.get(p.enforcementLevel, "advisory")),
            stack=p.policy_type != POLICY_TYPE_RESOURCE,
        )
        for p in info.policies
    ]
    by_name = {p.name: p for p in policies}
    diagnostics = [
        ReportDiagnostic(
            policy=d.policy,
            control=by_name[d.policy].control if d.policy in by_name else control_of(d.message),
            urn=d.urn or urn,
            message=d.message,
            enforcement=d.enforcement,
        )
        for urn, analysis in [*analyses, ("", stack_analysis)]
        for d in analysis.diagnostics
    ]
    failed: dict[str, set[str]] = {}
    for d in diagnostics:
        failed.setdefault(d.policy, set()).add(d.urn)
    summaries: dict[str, ControlSummary] = {}
    for p in policies:
        entry = catalogue.get(p.control)
        summary = summaries.setdefault(
            p.control, ControlSummary(p.control, entry.title if entry else p.name, p.enforcement)
        )
        bad = failed.get(p.name, set())
        if p.stack:
            judged = [] if p.name in stack_analysis.not_applicable else [f"stack:{stack}"]
            good = judged if not bad else []
        else:
            good = [urn for urn, a in analyses if p.name not in a.not_applicable and urn not in bad]
        summary.failed.extend(u for u in sorted(bad) if u not in summary.failed)
        summary.passed.extend(u for u in good if u not in summary.passed and u not in summary.failed)
    return Report(
        stack=stack,
        project=project,
        config_file=config_file,
        resources=[
            ReportResource(p["urn"], p["type"], p["name"], p["parent"], p["inputs"], p["dependencies"], p["custom"])
            for p in planned
        ],
        diagnostics=diagnostics,
        policies=policies,
        compliance=sorted(summaries.values(), key=lambda s: s.control),
    )


def control_of(message: str, tags: Sequence[str] = ()) -> str:
    """The catalogue id a diagnostic cites: from the message prefix, else from the policy's tags."""
    match = _CONTROL.match(message)
    if match:
        return match.group(1)
    return next((t.split(":", 1)[1] for t in tags if t.startswith("control:")), "")


def short_type(token: str) -> str:
    """``azure-native:machinelearningservices:Workspace`` -> ``machinelearningservices:Workspace``."""
    return token.removeprefix("azure-native:")


def tree(resources: Sequence[ReportResource]) -> list[tuple[int, ReportResource]]:
    """Resources in parent-first order with their depth, for an indented view."""
    children: dict[str, list[ReportResource]] = {}
    urns = {r.urn for r in resources}
    for r in resources:
        children.setdefault(r.parent if r.parent in urns else "", []).append(r)
    ordered: list[tuple[int, ReportResource]] = []

    def walk(parent: str, depth: int) -> None:
        for r in children.get(parent, []):
            ordered.append((depth, r))
            walk(r.urn, depth + 1)

    walk("", 0)
    return ordered


def render_table(report: Report) -> str:
    lines = [f"Stack {report.stack}: {len(report.resources)} resources", ""]
    for depth, r in tree(report.resources):
        lines.append(f"{'  ' * depth}{short_type(r.type)}  {r.name}")
    lines += ["", f"{'control':<14}{'status':<8}{'enforcement':<12}{'pass':>5}{'fail':>5}  title"]
    for c in report.compliance:
        lines.append(f"{c.control:<14}{c.status:<8}{c.enforcement:<12}{len(c.passed):>5}{len(c.failed):>5}  {c.title}")
    if report.diagnostics:
        lines += ["", "Violations:"]
        names = {r.urn: f"{short_type(r.type)} {r.name}" for r in report.resources}
        for d in report.diagnostics:
            lines.append(f"  [{d.enforcement}] {names.get(d.urn, d.urn or 'stack')}: {d.message}")
    lines += [
        "",
        f"{report.mandatory_violations} mandatory and {report.advisory_violations} advisory violation(s) "
        f"from {len(report.policies)} policies.",
    ]
    return "\n".join(lines) + "\n"


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_template(report: Report, name: str) -> str:
    names = {r.urn: f"{short_type(r.type)} {r.name}" for r in report.resources}
    template = _environment().get_template(name)
    return str(template.render(report=report, tree=tree(report.resources), short_type=short_type, names=names))


def render_sarif(report: Report, version: str) -> str:
    """SARIF 2.1.0 (OASIS): one rule per policy, one result per violation, located at the stack file."""
    levels = {"mandatory": "error", "advisory": "warning"}
    rules = [
        {
            "id": p.name,
            "name": p.control or p.name,
            "shortDescription": {"text": p.description.split(":", 1)[0]},
            "fullDescription": {"text": p.description},
            "defaultConfiguration": {"level": levels.get(p.enforcement, "warning")},
            "properties": {"tags": [t for t in ("security", p.control) if t]},
        }
        for p in report.policies
    ]
    index = {p.name: i for i, p in enumerate(report.policies)}
    results = [
        {
            "ruleId": d.policy,
            **({"ruleIndex": index[d.policy]} if d.policy in index else {}),
            "level": levels.get(d.enforcement, "warning"),
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": report.config_file}},
                    "logicalLocations": [{"fullyQualifiedName": d.urn or f"stack:{report.stack}", "kind": "resource"}],
                }
            ],
        }
        for d in report.diagnostics
    ]
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "hardened-aml",
                        "version": version,
                        "informationUri": "https://github.com/hardened-aml/hardened-aml",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def render(report: Report, fmt: str, version: str) -> str:
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2) + "\n"
    if fmt == "markdown":
        return render_template(report, "report.md.j2")
    if fmt == "html":
        return render_template(report, "report.html.j2")
    if fmt == "sarif":
        return render_sarif(report, version)
    return render_table(report)
