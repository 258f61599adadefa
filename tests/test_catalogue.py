"""The catalogue: its schema, its coverage of the seed guidance, its generated document, and that the
ids cited in components and policies are exactly the catalogue's."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from aml_catalogue import CatalogueError, load, parse
from aml_policies.pack import rules
from hardened_aml_cli import docs
from tests.conftest import ROOT


def _seeds() -> Path:
    """The seed guidance (the catalogue's source text): $HARDENED_AML_SEEDS, else a ``shared/seeds`` folder beside
    the checkout or above it, else the workplace's ``/work/shared/seeds``. Never skipped: not finding it fails."""
    candidates = [Path(os.environ["HARDENED_AML_SEEDS"])] if os.environ.get("HARDENED_AML_SEEDS") else []
    candidates += [parent / "shared" / "seeds" for parent in ROOT.parents] + [Path("/work/shared/seeds")]
    for folder in candidates:
        if (folder / "000_17130596f0d91613.txt").is_file():
            return folder
    raise AssertionError(f"the seed guidance is not in any of {[str(c) for c in candidates]}; set HARDENED_AML_SEEDS")


SEEDS = _seeds()
MAIN_SEED = SEEDS / "000_17130596f0d91613.txt"
CITED = re.compile(r"\bAML-[A-Z]+-[0-9]{3}\b")


def _norm(text: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # markdown links -> their text
    text = re.sub(r"[*`]", "", text)
    return re.sub(r"\s+", " ", text).strip().rstrip(".").lower()


def seed_items(text: str) -> list[tuple[str, str]]:
    """Every (section, item) of the main seed the catalogue must cover: checklist items, recommendation
    rows, and the Azure Policy and Advisor bullets."""
    found: list[tuple[str, str]] = []
    pillar = subsection = ""
    for line in text.splitlines():
        if line.startswith("## "):
            pillar, subsection = line[3:].strip(), ""
        elif line.startswith("##### "):
            subsection = line[6:].strip()
        elif subsection == "Design checklist" and (m := re.match(r"^> - \*\*(.+?)\*\*: (.+)$", line)):
            found.append((f"{pillar} / Design checklist", f"{m.group(1)}: {m.group(2)}"))
        elif subsection == "Recommendations" and (m := re.match(r"^\| ?\*\*(.+?)\*\*", line)):
            found.append((f"{pillar} / Recommendations", m.group(1).rstrip(":")))
        elif (m := re.match(r"^- \[(.+?)\]\(https://portal\.azure\.com", line)) and pillar in (
            "Security",
            "Azure policies",
        ):
            found.append(("Security / Azure Policy" if pillar == "Security" else "Azure policies", m.group(1)))
        elif re.match(r"^- \w", line) and (subsection == "Advisor" or pillar == "Advisor recommendations"):
            found.append(("Security / Advisor" if subsection == "Advisor" else "Advisor recommendations", line[2:]))
    return found


def test_the_seed_parser_finds_every_kind_of_item() -> None:
    items = seed_items(MAIN_SEED.read_text())
    sections = {s for s, _ in items}
    assert {
        "Reliability / Design checklist",
        "Security / Recommendations",
        "Azure policies",
        "Advisor recommendations",
        "Security / Advisor",
        "Security / Azure Policy",
    } <= sections
    assert len(items) > 80


def test_every_item_of_the_main_seed_is_covered() -> None:
    covered = [(s.section, _norm(s.item)) for c in load() for s in c.sources if s.seed == MAIN_SEED.name]
    missing = []
    for section, item in seed_items(MAIN_SEED.read_text()):
        wanted = _norm(item)
        if not any(
            sec == section and len(got) >= 15 and (wanted.startswith(got) or got.startswith(wanted))
            for sec, got in covered
        ):
            missing.append(f"{section}: {item[:90]}")
    assert missing == []


def test_every_builtin_of_the_main_seed_is_in_the_catalogue() -> None:
    guids = set(re.findall(r"policyDefinitions%2F([0-9a-f-]{36})", MAIN_SEED.read_text()))
    assert len(guids) >= 14  # the parser finds them all (15 in the 2024-03 text)
    assert guids - {b for c in load() for b in c.builtin} == set()


@pytest.mark.parametrize("seed", ["001_6027070271e69c01.txt", "002_9203411e9cff3bec.txt", "004_6c8368eda7872d44.txt"])
def test_the_other_seeds_are_drawn_on(seed: str) -> None:
    assert sum(1 for c in load() for s in c.sources if s.seed == seed) >= 5


def test_kinds_are_classified_with_what_each_needs() -> None:
    catalogue = load()
    for c in catalogue.of_kind("assignment"):
        assert c.builtin, c.id
    for c in catalogue.of_kind("manual"):
        assert c.reason and c.implementation, c.id
    # runtime controls no resource property expresses are assignments of their built-ins
    assignments = {b for c in catalogue.of_kind("assignment") for b in c.builtin}
    assert {
        "5853517a-63de-11ea-bc55-0242ac130003",
        "77eeea86-7e81-4a7d-9067-de844d096752",
        "6a6f7384-63de-11ea-bc55-0242ac130003",
        "3948394e-63de-11ea-bc55-0242ac130003",
        "1d413020-63de-11ea-bc55-0242ac130003",
    } <= assignments


def test_enforcement_follows_the_pillar() -> None:
    for c in load():
        if c.pillar == "security":
            assert c.enforcement == "mandatory", c.id
        if c.pillar in ("cost", "operations"):
            assert c.enforcement == "advisory", c.id


def test_schema_errors_name_the_entry_and_field() -> None:
    entry = (
        '[[control]]\nid = "AML-NET-999"\ntitle = "t"\npillar = "safety"\nseverity = "high"\n'
        'enforcement = "mandatory"\nkind = "manual"\nimplementation = "i"\nreason = "r"\n'
        'sources = [{seed = "s", section = "x", item = "y"}]\n'
    )
    with pytest.raises(CatalogueError, match=r"control #1 \(AML-NET-999\): pillar='safety' is not one of"):
        parse(entry)


def test_generated_catalogue_document_is_fresh() -> None:
    assert docs.stale(ROOT) == [], "run `hardened-aml docs` and commit the result"


def _cited_in(folder: Path) -> set[str]:
    return {m for path in folder.rglob("*.py") for m in CITED.findall(path.read_text())}


def test_every_cited_id_is_in_the_catalogue() -> None:
    ids = {c.id for c in load()}
    cited = (
        _cited_in(ROOT / "components")
        | _cited_in(ROOT / "policies")
        | {m for m in CITED.findall((ROOT / "__main__.py").read_text())}
    )
    assert cited - ids == set()


def test_every_policy_control_has_a_policy_and_only_those() -> None:
    catalogue = load()
    enforced = {r.control for r in rules()}
    assert enforced == {c.id for c in catalogue.of_kind("policy")}


def test_every_policy_control_is_cited_by_the_components_or_is_judged_only() -> None:
    """Each kind='policy' control is set by a component (cited there) unless the estate builds none of its
    resource types yet; the components never cite an id whose kind has no component side."""
    catalogue = load()
    cited = _cited_in(ROOT / "components")
    for control_id in cited:
        assert catalogue[control_id].kind in ("policy", "assignment", "manual")
    assert {"AML-NET-001", "AML-NET-002", "AML-ENC-001", "AML-IAM-001"} <= cited
