"""Generated documents: the catalogue of controls, rendered from ``controls.toml``.

``hardened-aml docs`` rewrites them; ``hardened-aml docs --check`` (run by the test suite) fails when a
committed document differs from what the catalogue generates now.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hardened_aml.catalogue import KIND_TITLES, PILLARS, Catalogue, load

BUILTIN_URL = "https://portal.azure.com/#view/Microsoft_Azure_Policy/PolicyDetailBlade/definitionId/%2Fproviders%2FMicrosoft.Authorization%2FpolicyDefinitions%2F{}"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_catalogue(catalogue: Catalogue) -> str:
    """The catalogue as Markdown: a summary, then every control by pillar."""
    lines = [
        "# Catalogue of controls",
        "",
        "<!-- Generated from policies/aml_catalogue/controls.toml by `hardened-aml docs`; do not edit. -->",
        "",
        "Every control of hardened-aml, written once in `policies/aml_catalogue/controls.toml`. Each is one of:",
        "",
        f"- **{KIND_TITLES['policy']}**: a component sets it and a policy of the pack flags its absence;",
        f"- **{KIND_TITLES['assignment']}**: the estate assigns the Azure Policy built-in definition;",
        f"- **{KIND_TITLES['manual']}**: no resource property expresses it; the reason and the support the "
        "estate gives are stated.",
        "",
        "| pillar | " + " | ".join(KIND_TITLES[k] for k in KIND_TITLES) + " | total |",
        "|---|" + "---:|" * (len(KIND_TITLES) + 1),
    ]
    for pillar in PILLARS:
        in_pillar = [c for c in catalogue if c.pillar == pillar]
        counts = [sum(1 for c in in_pillar if c.kind == k) for k in KIND_TITLES]
        lines.append(f"| {pillar} | " + " | ".join(map(str, counts)) + f" | {len(in_pillar)} |")
    lines += [
        "| **all** | " + " | ".join(str(len(catalogue.of_kind(k))) for k in KIND_TITLES) + f" | {len(catalogue)} |",
        "",
        "| id | title | pillar | kind | severity | enforcement |",
        "|---|---|---|---|---|---|",
    ]
    for c in catalogue:
        row = (f"[{c.id}](#{c.slug})", _cell(c.title), c.pillar, KIND_TITLES[c.kind], c.severity, c.enforcement)
        lines.append("| " + " | ".join(row) + " |")
    for pillar in PILLARS:
        lines += ["", f"## {pillar.capitalize()}"]
        for c in (c for c in catalogue if c.pillar == pillar):
            lines += ["", f"### {c.id}", "", f"**{_cell(c.title)}**", ""]
            lines.append(f"- Kind: {KIND_TITLES[c.kind]}")
            lines.append(f"- Severity: {c.severity}; default enforcement: {c.enforcement}")
            if c.resources:
                lines.append("- Resource types: " + ", ".join(f"`{r}`" for r in c.resources))
            if c.builtin:
                links = ", ".join(f"[`{b}`]({BUILTIN_URL.format(b)})" for b in c.builtin)
                lines.append(f"- Azure Policy built-in: {links}")
            if c.advisor:
                lines.append(f"- Advisor: {_cell(c.advisor)}")
            lines.append(f"- Implementation: {_cell(c.implementation)}")
            if c.reason:
                lines.append(f"- Why outside IaC: {_cell(c.reason)}")
            lines.append("- Sources:")
            for s in c.sources:
                lines.append(f"  - `{s.seed}` · {_cell(s.section)} · {_cell(s.item)}")
    return "\n".join(lines) + "\n"


#: Each generated document: its path under the repository, and how to render it.
DOCUMENTS: dict[str, Callable[[], str]] = {
    "docs/catalogue.md": lambda: render_catalogue(load()),
}


def write(root: Path) -> list[str]:
    """Regenerate every document; return the paths that changed."""
    changed = []
    for relative, render in DOCUMENTS.items():
        path = root / relative
        text = render()
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(relative)
    return changed


def stale(root: Path) -> list[str]:
    """The documents whose committed text differs from what would be generated now."""
    return [
        relative
        for relative, render in DOCUMENTS.items()
        if not (root / relative).is_file() or (root / relative).read_text(encoding="utf-8") != render()
    ]
