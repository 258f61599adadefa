"""Generated documents: the catalogue of controls, rendered from ``controls.toml``, the policy and configuration
references, the peer coverage table (``peers.toml``, see :mod:`hardened_aml_cli.peers`) and the seed coverage
(``seed_asks.toml``, see :mod:`hardened_aml_cli.seed_asks`).

``hardened-aml docs`` rewrites them; ``hardened-aml docs --check`` (run by the test suite) fails when a
committed document differs from what the catalogue generates now.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

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
            if c.defaults:
                values = "; ".join(f"`{k}` = `{v}`" for k, v in c.defaults.items())
                lines.append(f"- Defaults (the policy's config and the components' arguments): {values}")
            lines.append(f"- Implementation: {_cell(c.implementation)}")
            if c.reason:
                lines.append(f"- Why outside IaC: {_cell(c.reason)}")
            lines.append("- Sources:")
            for s in c.sources:
                lines.append(f"  - `{s.seed}` · {_cell(s.section)} · {_cell(s.item)}")
    return "\n".join(lines) + "\n"


def _whole(value: object) -> object:
    """Numbers come back from protobuf's Struct as floats: show 10.0 as 10."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return value


def render_policies(catalogue: Catalogue, pack_dir: Path) -> str:
    """The policy reference, from what the pack itself says over its protocol (``GetAnalyzerInfo``)."""
    import json

    from hardened_aml.testing.pack import ENFORCEMENT_NAMES, PackClient, config_schema

    with PackClient(pack_dir) as pack:
        info = pack.info()
    lines = [
        "# Policy reference",
        "",
        "<!-- Generated from the pack's GetAnalyzerInfo and the catalogue by `hardened-aml docs`; do not edit. -->",
        "",
        f"The `{info.name}` pack has {len(info.policies)} policies. Each enforces one control of the "
        "[catalogue](catalogue.md); its default enforcement level is the control's. Run it with "
        "`pulumi preview --policy-pack policies --policy-pack-config stacks/policy-config.<stack>.json`.",
        "",
        "| policy | control | pillar | resource types | default enforcement | remediation |",
        "|---|---|---|---|---|---|",
    ]
    rows = []
    for p in sorted(info.policies, key=lambda p: p.name):
        tags = list(p.tags)
        control_id = next((t.split(":", 1)[1] for t in tags if t.startswith("control:")), "")
        entry = catalogue.get(control_id)
        types = [t.split(":", 1)[1] for t in tags if t.startswith("resource:")]
        type_text = "whole stack" if types == ["stack"] else ", ".join(f"`{t}`" for t in types)
        fixes = "yes" if "remediation" in tags else "no"
        level = ENFORCEMENT_NAMES.get(p.enforcementLevel, "advisory")
        lines.append(
            f"| [`{p.name}`](#{p.name}) | [{control_id}](catalogue.md#{control_id.lower()}) | "
            f"{entry.pillar if entry else ''} | {type_text} | {level} | {fixes} |"
        )
        rows.append((p, control_id, entry, type_text, level, fixes))
    for p, control_id, entry, type_text, level, fixes in rows:
        checked = p.description.split(": ", 1)[-1]
        lines += ["", f"### {p.name}", "", f"**{_cell(entry.title) if entry else p.name}** ({control_id})", ""]
        lines.append(f"- Checks: {_cell(checked)}")
        lines.append(f"- Resource types: {type_text}")
        lines.append(f"- Default enforcement: {level}")
        lines.append(f"- Remediation: {'a safe automatic fix at the `remediate` level' if fixes == 'yes' else 'none'}")
        schema = config_schema(p)
        for key, spec in sorted(schema.items()):
            default = json.dumps(_whole(spec.get("default")))
            lines.append(
                f"- Config `{key}` ({spec.get('type')}, default `{default}`): {_cell(spec.get('description', ''))}"
            )
        if entry and entry.builtin:
            links = ", ".join(f"[`{b}`]({BUILTIN_URL.format(b)})" for b in entry.builtin)
            lines.append(f"- Mirrors Azure Policy built-in: {links}")
    return "\n".join(lines) + "\n"


def _type_text(annotation: Any) -> str:
    """A field's type in words, for the configuration reference."""
    import enum
    import typing

    from hardened_aml.inputs import Input

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Annotated, typing.NotRequired, typing.Required):
        return _type_text(args[0])
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " \\| ".join(f"`{m.value}`" for m in annotation)
    if typing.is_typeddict(annotation) or hasattr(annotation, "__required_keys__"):
        return "object"
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (list, tuple):
        return f"list of {_type_text(args[0])}"
    if origin is dict:
        return f"map of {_type_text(args[1])}"
    if args and type(None) in args:
        return " or ".join(_type_text(a) for a in args if a is not type(None)) + " (optional)"
    if args and annotation != Input[args[0]]:  # type: ignore[misc, valid-type]
        return " or ".join(dict.fromkeys(_type_text(a) for a in args))
    return getattr(annotation, "__name__", str(annotation))


def _config_rows(kind: Any, prefix: str) -> list[str]:
    import re

    from pydantic.alias_generators import to_camel

    from hardened_aml.inputs import default_of, docstrings, fields

    rows = []
    notes = docstrings(kind)
    for name, annotation in fields(kind).items():
        key = f"{prefix}{to_camel(name)}"
        has_default, default = default_of(annotation)
        required = name in getattr(kind, "__required_keys__", ())
        nested = _args_types(annotation)
        if required:
            shown = "required"
        elif nested and has_default:
            shown = "(see below)"
        elif has_default:
            shown = f"`{default.value if hasattr(default, 'value') else default}`"
        else:
            shown = "`None`"
        text = re.sub(r"\s*\(see :class:`\w+`\)", "", notes.get(name, "")).replace("``", "`")
        rows.append(f"| `{key}` | {_type_text(annotation)} | {shown} | {_cell(text)} |")
        for member in nested:
            rows += _config_rows(member, f"{key}.")
    return rows


def _args_types(annotation: Any) -> list[Any]:
    import typing

    if typing.is_typeddict(annotation) or hasattr(annotation, "__required_keys__"):
        return [annotation]
    return [m for a in typing.get_args(annotation) for m in _args_types(a)]


def render_configuration() -> str:
    """Every key a stack file may set, from the config model's fields and their docstrings."""
    from hardened_aml.settings import EstateArgs

    lines = [
        "# Stack configuration reference",
        "",
        "<!-- Generated from hardened_aml.settings.EstateArgs by `hardened-aml docs`; do not edit. -->",
        "",
        "Keys go under the `hardened-aml:` namespace of a stack file (`stacks/Pulumi.<stack>.yaml`); nested keys are",
        "YAML objects. Unknown keys, wrong types and invalid values are refused with one line naming the key, the",
        "value and what is allowed. List items are written `key.0.field` below as `key.field`.",
        "",
        "| key | type | default | what it is |",
        "|---|---|---|---|",
        *_config_rows(EstateArgs, ""),
    ]
    return "\n".join(lines) + "\n"


def _render_peers(root: Path) -> str:
    from hardened_aml_cli.peers import render_document

    return render_document(root)


def _render_seed_coverage(root: Path) -> str:
    from hardened_aml_cli import seed_asks

    return seed_asks.render(seed_asks.load(root), load())


#: Each generated document: its path under the repository, and how to render it from the repository root.
DOCUMENTS: dict[str, Callable[[Path], str]] = {
    "docs/catalogue.md": lambda root: render_catalogue(load()),
    "docs/policies.md": lambda root: render_policies(load(), root / "policies"),
    "docs/configuration.md": lambda root: render_configuration(),
    "docs/peer-coverage.md": lambda root: _render_peers(root),
    "docs/seed-coverage.md": lambda root: _render_seed_coverage(root),
}


def write(root: Path) -> list[str]:
    """Regenerate every document; return the paths that changed."""
    changed = []
    for relative, render in DOCUMENTS.items():
        path = root / relative
        text = render(root)
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
        if not (root / relative).is_file() or (root / relative).read_text(encoding="utf-8") != render(root)
    ]
