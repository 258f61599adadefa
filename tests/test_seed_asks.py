"""The seeds' asks (``policies/aml_catalogue/seed_asks.toml``): every ask is answered by controls that exist or by
a reason, every quoted item is in the seed text, in the section named, every checklist item, table row, list item
and note of every seed is accounted for, and ``docs/seed-coverage.md`` is generated from the inventory."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from aml_catalogue import load as load_catalogue
from hardened_aml_cli import docs, seed_asks
from hardened_aml_cli.seed_asks import SEED_TITLES, SeedAsksError, parse, render, text_problems, unknown_controls
from tests.conftest import ROOT
from tests.test_catalogue import SEEDS

S0, S2 = "000_17130596f0d91613.txt", "002_9203411e9cff3bec.txt"


def _ask(**fields: str) -> str:
    base = {"seed": S0, "section": "Security / Recommendations", "item": "Disable local authentication"}
    base.update(fields)
    body = ", ".join(f"{k} = {v}" if v.startswith("[") else f'{k} = "{v}"' for k, v in base.items())
    return f"ask = [{{ {body} }}]\n"


@pytest.fixture(scope="module")
def inventory() -> seed_asks.SeedAsks:
    return seed_asks.load(ROOT)


def test_every_control_named_is_in_the_catalogue(inventory: seed_asks.SeedAsks) -> None:
    assert unknown_controls(inventory, load_catalogue()) == []


def test_every_ask_names_controls_or_a_reason(inventory: seed_asks.SeedAsks) -> None:
    assert all((a.controls is None) != (a.reason is None) for a in inventory.ask)
    assert {a.seed for a in inventory.ask} == set(SEED_TITLES)


def test_the_inventory_agrees_with_the_seed_text(inventory: seed_asks.SeedAsks) -> None:
    assert text_problems(inventory, SEEDS) == []


def test_the_parser_finds_every_checklist_item_row_and_list_item_of_the_seeds() -> None:
    """Each line that starts a checklist item, a bold- or italic-led bullet, a numbered step or a table body row
    is the first line of a block the inventory must account for (so the coverage check cannot skip one)."""
    lead = re.compile(r"^\s*(> )?(- \*\*|- \*[A-Z]|[0-9]+\. \*\*)|^\|\s*\*\*|^\|[A-Z][^|-]")
    for name in SEED_TITLES:
        text = (SEEDS / name).read_text(encoding="utf-8")
        starts = {b.line for b in seed_asks.blocks(text) if b.kind in seed_asks.STRUCTURAL}
        for number, line in enumerate(text.splitlines(), start=1):
            header = number < len(text.splitlines()) and text.splitlines()[number].startswith("|--")
            if lead.match(line) and not header:
                assert number in starts, f"{name} line {number}: {line[:80]}"
    main = seed_asks.blocks((SEEDS / S0).read_text(encoding="utf-8"))
    assert sum(1 for b in main if b.kind == "row") == 33  # 3 + 14 + 7 + 5 + 4 recommendation rows
    assert sum(1 for b in main if b.kind == "item" and b.headings[-1] == "Design checklist") == 36  # 7 + 10 + 6 + 6 + 7


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (_ask(item="Disable all local authentication", controls='["AML-IAM-002"]'), "the item is not in that section"),
        (_ask(section="Reliability / Recommendations", controls='["AML-IAM-002"]'), "the item is not in that section"),
        (_ask(section="Security / Nowhere", controls='["AML-IAM-002"]'), "the seed has no section"),
        (_ask(ask="Disable the public SSH port", controls='["AML-IAM-002"]'), "is not in the same item"),
    ],
)
def test_an_entry_the_seed_does_not_bear_out_is_reported(entry: str, message: str) -> None:
    problems = text_problems(parse(entry), SEEDS)
    assert any(message in p for p in problems), problems


def test_an_item_of_a_seed_that_no_entry_accounts_for_is_reported() -> None:
    problems = text_problems(parse(_ask(controls='["AML-IAM-002"]')), SEEDS)
    assert any(p.startswith(f"{S0} line 117 (Security / Recommendations): not inventoried") for p in problems)
    assert not any(p.startswith(f"{S0} line 116 ") for p in problems)  # the one the entry quotes


def test_a_missing_seed_file_is_reported(tmp_path: Path, inventory: seed_asks.SeedAsks) -> None:
    for name in SEED_TITLES:
        if name != S2:
            shutil.copy(SEEDS / name, tmp_path / name)
    problems = text_problems(inventory, tmp_path)
    assert problems == [f"{S2}: the seed file is not in {tmp_path}"]


def test_a_control_the_catalogue_lacks_is_reported_and_shown() -> None:
    table = parse(_ask(controls='["AML-IAM-002", "AML-IAM-999"]'))
    assert unknown_controls(table, load_catalogue()) == [
        f"{S0} · Security / Recommendations · Disable local authentication: names AML-IAM-999, which is not in "
        "the catalogue"
    ]
    assert "**AML-IAM-999 (not in the catalogue)**" in render(table, load_catalogue())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "give exactly one of controls"),
        ({"controls": '["AML-IAM-002"]', "reason": "because it is so"}, "give exactly one of controls"),
        ({"controls": "[]"}, "at least one control id"),
        ({"controls": '["IAM-002"]'}, "are not control ids"),
        ({"reason": "process advice only", "note": "n/a"}, "note goes with controls"),
        ({"controls": '["AML-IAM-002"]', "colour": "blue"}, r"ask #1 \(Disable local authentication\): colour"),
        ({"controls": '["AML-IAM-002"]', "seed": "005_0000000000000000.txt"}, "is not one of the seed files"),
        ({"controls": '["AML-IAM-002"]', "item": "x" * 121}, "at most 120 characters"),
    ],
)
def test_malformed_entries_are_refused_in_words(extra: dict[str, str], message: str) -> None:
    with pytest.raises(SeedAsksError, match=message):
        parse(_ask(**extra))


def test_repeated_asks_are_refused() -> None:
    entry = _ask(controls='["AML-IAM-002"]')
    with pytest.raises(SeedAsksError, match="ask repeated"):
        parse(entry.replace("ask = [", "ask = [").replace("}]\n", "}, " + entry[7:-2] + "]\n"))


def test_the_counts_add_up(inventory: seed_asks.SeedAsks) -> None:
    counts = seed_asks.tally(inventory, load_catalogue())
    assert sum(counts["all"].values()) == len(inventory.ask)
    for kind in seed_asks.ANSWER_TITLES:
        assert counts["all"][kind] == sum(counts[name][kind] for name in SEED_TITLES)
    assert counts["all"]["reason"] == sum(1 for a in inventory.ask if a.reason)


def test_the_coverage_document_is_generated_and_fresh(inventory: seed_asks.SeedAsks) -> None:
    assert "docs/seed-coverage.md" in docs.DOCUMENTS
    committed = (ROOT / "docs/seed-coverage.md").read_text(encoding="utf-8")
    assert committed == render(inventory, load_catalogue()), "run `hardened-aml docs` and commit the result"
    assert "[docs/seed-coverage.md](docs/seed-coverage.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_docs_command_reports_a_bad_inventory_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hardened_aml_cli import main

    monkeypatch.setattr(docs, "DOCUMENTS", {"docs/seed-coverage.md": docs.DOCUMENTS["docs/seed-coverage.md"]})
    monkeypatch.setattr(seed_asks, "load", lambda root: parse(_ask()))
    assert main.main(["docs", "--check", "--project-dir", str(ROOT)]) == main.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("hardened-aml: error: policies/aml_catalogue/seed_asks.toml: ask #1")
    assert "give exactly one of controls" in err and "Traceback" not in err
