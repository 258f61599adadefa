"""The seeds' asks: every request the seed guidance makes of an ML estate's infrastructure or its operation, each
answered by catalogue controls or by the reason no control could answer it.

The inventory is data (``policies/aml_catalogue/seed_asks.toml``); this module validates it, checks it against
the seed text (each quoted item is found, in the section it names, and every checklist item, table row, list
item and note of a seed is accounted for) and renders ``docs/seed-coverage.md`` through the
``seed-coverage.md.j2`` template. ``hardened-aml docs`` writes the document; ``tests/test_seed_asks.py`` holds the
inventory to the seeds and to the catalogue, so the mapping cannot rot.

The seeds are not part of the repository: the test finds them as ``tests/test_catalogue.py`` does. Rendering
needs only the inventory and the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aml_catalogue import ID_PATTERN
from hardened_aml.catalogue import KIND_TITLES, Catalogue
from hardened_aml_cli import tomltable

#: Where the inventory lives, relative to the repository root.
DATA = Path("policies/aml_catalogue/seed_asks.toml")
#: The seed files, in the order the document lists them (the seeds' README names them).
SEED_TITLES: dict[str, str] = {
    "000_17130596f0d91613.txt": "Azure Well-Architected Framework perspective on Azure Machine Learning",
    "001_6027070271e69c01.txt": "Design principles for AI workloads on Azure",
    "002_9203411e9cff3bec.txt": "Application platform for AI workloads on Azure",
    "003_99525423b4fc2800.txt": "AzureML large-scale deep learning best practices",
    "004_6c8368eda7872d44.txt": "Design recommendations for AI workloads on Azure infrastructure (IaaS)",
}
#: Quotes stay short: the inventory points at the seed, it does not copy it.
MAX_QUOTE = 120

Answer = Literal["policy", "assignment", "manual", "reason", "unresolved"]
#: How an ask is answered, strongest first: by a control with a policy, by an Azure Policy assignment, by a manual
#: control only, by a reason (no control could), or by ids not (yet) in the catalogue.
ANSWER_TITLES: dict[Answer, str] = {
    "policy": KIND_TITLES["policy"],
    "assignment": KIND_TITLES["assignment"],
    "manual": "manual control only",
    "reason": "no control: reason given",
    "unresolved": "names ids not in the catalogue",
}


class SeedAsksError(ValueError):
    """The inventory is malformed, names a control the catalogue lacks, or disagrees with the seed text."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Entry(_Strict):
    seed: str = Field(pattern=r"^[0-9]{3}_[0-9a-f]{16}\.txt$")
    """The seed file."""
    section: str = Field(min_length=1)
    """Its headings from the top, joined by `` / `` (the document title left out), e.g.
    ``Security / Recommendations``."""
    item: str = Field(min_length=3, max_length=MAX_QUOTE)
    """A short verbatim quote that starts the item, row or paragraph (its bold lead where it has one); found in the
    section after normalising markup, case and whitespace."""

    @model_validator(mode="after")
    def _known_seed(self) -> _Entry:
        if self.seed not in SEED_TITLES:
            raise ValueError(f"seed {self.seed!r} is not one of the seed files ({', '.join(SEED_TITLES)})")
        return self


class Ask(_Entry):
    """One ask: a request a platform team could act on, and what answers it."""

    ask: str | None = Field(default=None, min_length=3, max_length=MAX_QUOTE)
    """When the item holds several asks: a short verbatim quote of this one, from the same item."""
    controls: tuple[str, ...] | None = None
    """The catalogue controls that answer it."""
    reason: str | None = Field(default=None, min_length=10)
    """Why no control could answer it (process or application-code advice, or outside the estate's scope)."""
    note: str | None = Field(default=None, min_length=3)
    """With controls: what part of the ask they answer, or what the estate leaves to its users."""

    @model_validator(mode="after")
    def _answered_once(self) -> Ask:
        if (self.controls is None) == (self.reason is None):
            raise ValueError("give exactly one of controls (the ids that answer it) or reason (why none could)")
        if self.controls is not None:
            if not self.controls:
                raise ValueError("controls must name at least one control id")
            bad = [c for c in self.controls if not ID_PATTERN.match(c)]
            if bad:
                raise ValueError(f"controls {bad} are not control ids (AML-<AREA>-NNN)")
            if len(set(self.controls)) != len(self.controls):
                raise ValueError("controls names an id twice")
        if self.note is not None and self.controls is None:
            raise ValueError("note goes with controls; a reason says it all")
        return self


class Passage(_Entry):
    """An item, row or note of a seed that asks nothing of the estate (a description, a link list, a benefit)."""

    reason: str = Field(min_length=10)


class SeedAsks(_Strict):
    ask: tuple[Ask, ...] = Field(min_length=1)
    passage: tuple[Passage, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> SeedAsks:
        seen: set[tuple[str, ...]] = set()
        for a in self.ask:
            key = (a.seed, a.section, normalise(a.item), normalise(a.ask or ""))
            if key in seen:
                raise ValueError(f"ask repeated: {a.seed} · {a.section} · {a.item} · {a.ask or ''}")
            seen.add(key)
        return self


def parse(text: str) -> SeedAsks:
    """The table from TOML text; errors name the entry and the field."""
    return tomltable.parse(text, SeedAsks, DATA, SeedAsksError, _label)


def load(root: Path) -> SeedAsks:
    return tomltable.load(root, SeedAsks, DATA, SeedAsksError, _label)


def _label(entry: Mapping[str, Any]) -> str:
    return str(entry.get("item", ""))[:60]


# ---- the catalogue side ------------------------------------------------------------------------------------------


def unknown_controls(asks: SeedAsks, catalogue: Catalogue) -> list[str]:
    """Each ask that names a control the catalogue does not have, in words."""
    return [
        f"{a.seed} · {a.section} · {a.item}: names {c}, which is not in the catalogue"
        for a in asks.ask
        for c in a.controls or ()
        if c not in catalogue
    ]


def answer(entry: Ask, catalogue: Catalogue) -> Answer:
    """How the ask is answered (see :data:`ANSWER_TITLES`)."""
    if entry.controls is None:
        return "reason"
    controls = [catalogue.get(c) for c in entry.controls]
    if any(c is None for c in controls):
        return "unresolved"
    kinds = {c.kind for c in controls if c is not None}
    for kind in ("policy", "assignment"):
        if kind in kinds:
            return kind
    return "manual"


# ---- the seed side -----------------------------------------------------------------------------------------------

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")


def normalise(text: str) -> str:
    """Text as compared with the seeds: links and images by their text, no HTML tags or emphasis marks, straight
    quotes, one space for any whitespace, case folded."""
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = re.sub(r"[*_`]", "", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip().casefold()


BlockKind = Literal["row", "item", "note", "prose"]
#: The kinds of block every one of which the inventory must account for (an ask or a passage); prose paragraphs
#: are inventoried where they ask something, but not required one by one.
STRUCTURAL: frozenset[BlockKind] = frozenset({"row", "item", "note"})


@dataclass(frozen=True)
class Block:
    """One table row, list item (with its indented continuation), note paragraph or prose paragraph of a seed."""

    kind: BlockKind
    headings: tuple[str, ...]
    """The enclosing headings from the top, the document title (level 1) left out."""
    line: int
    raw: str

    @property
    def text(self) -> str:
        return normalise(self.raw)

    def in_section(self, section: str) -> bool:
        parts = tuple(normalise(p) for p in section.split(" / "))
        return tuple(normalise(h) for h in self.headings[: len(parts)]) == parts


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST = re.compile(r"^\s*(?:>\s*)?(?:[-*+]|[0-9]+\.)\s+(.*)$")
_MARKER = re.compile(r"^>\s*(\[![^\]]*\]|:::[^:]*:::)?\s*$")
#: A list item that is only a link to another page of the same site or an anchor: a navigation aid, not an ask.
_NAVIGATION = re.compile(r"^\s*(?:>\s*)?(?:[-*]\s+)?\[[^\]]+\]\((?:\.|#)[^)]*\)\.?\s*$")


def blocks(text: str) -> list[Block]:
    """The seed's blocks, front matter left out."""
    lines = text.splitlines()
    start = 0
    if lines and lines[0].strip() == "---":
        start = next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
    stack: list[tuple[int, str]] = []
    title = ""
    found: list[Block] = []
    current: list[str] = []
    kind: BlockKind = "prose"
    first = 0

    def headings() -> tuple[str, ...]:
        inner = tuple(t for level, t in stack if level > 1)
        return inner or ((title,) if title else ())

    def flush() -> None:
        nonlocal current
        body = "\n".join(current).strip()
        if body:
            found.append(Block(kind, headings(), first, body))
        current = []

    def begin(new: BlockKind, number: int, line: str) -> None:
        nonlocal kind, first
        flush()
        kind, first = new, number
        current.append(line)

    for number, line in enumerate(lines[start:], start=start + 1):
        stripped = line.strip()
        if m := _HEADING.match(line):
            flush()
            level, name = len(m.group(1)), _LINK.sub(r"\1", m.group(2))
            if level == 1:
                title = name
            stack[:] = [(lv, t) for lv, t in stack if lv < level] + [(level, name)]
        elif stripped.startswith("|"):
            flush()
            following = lines[number] if number < len(lines) else ""
            if re.match(r"^\|[\s:|-]+\|?\s*$", stripped) or re.match(r"^\s*\|[\s:-]*-[\s:|-]*$", following):
                continue  # a separator, or a header row (the row above a separator)
            begin("row", number, stripped)
            flush()
        elif _MARKER.match(stripped) or _NAVIGATION.match(line) or stripped.startswith("!["):
            flush()
        elif _LIST.match(line):
            begin("item", number, line)
        elif stripped.startswith(">"):
            if kind != "note" or not current:
                begin("note", number, stripped.lstrip("> "))
            else:
                current.append(stripped.lstrip("> "))
        elif not stripped:
            if kind != "item":
                flush()
        elif line[:1].isspace() and kind == "item" and current:
            current.append(line)
        else:
            if kind != "prose" or not current:
                begin("prose", number, line)
            else:
                current.append(line)
    flush()
    return found


@dataclass(frozen=True)
class SeedText:
    name: str
    blocks: tuple[Block, ...]

    @classmethod
    def read(cls, folder: Path, name: str) -> SeedText:
        return cls(name, tuple(blocks((folder / name).read_text(encoding="utf-8"))))


def _where(entry: _Entry) -> str:
    return f"{entry.seed} · {entry.section} · {entry.item}"


def _matches(entry: _Entry, seed: SeedText) -> list[Block]:
    item = normalise(entry.item)
    return [b for b in seed.blocks if b.in_section(entry.section) and item in b.text]


def text_problems(asks: SeedAsks, folder: Path) -> list[str]:
    """Each entry that the seed text does not bear out, and each structural block no entry accounts for."""
    problems: list[str] = []
    seeds: dict[str, SeedText] = {}
    for name in SEED_TITLES:
        if not (folder / name).is_file():
            problems.append(f"{name}: the seed file is not in {folder}")
            continue
        seeds[name] = SeedText.read(folder, name)
    entries: list[_Entry] = [*asks.ask, *asks.passage]
    covered: set[tuple[str, int]] = set()
    for entry in entries:
        seed = seeds.get(entry.seed)
        if seed is None:
            continue
        if not any(b.in_section(entry.section) for b in seed.blocks):
            problems.append(f"{_where(entry)}: the seed has no section {entry.section!r}")
            continue
        found = _matches(entry, seed)
        if not found:
            problems.append(f"{_where(entry)}: the item is not in that section of the seed")
            continue
        quote = getattr(entry, "ask", None)
        if quote is not None:
            found = [b for b in found if normalise(quote) in b.text]
            if not found:
                problems.append(f"{_where(entry)}: the ask {quote!r} is not in the same item of the seed")
                continue
        covered.update((entry.seed, b.line) for b in found)
    for name, seed in seeds.items():
        for b in seed.blocks:
            if b.kind in STRUCTURAL and (name, b.line) not in covered:
                section = " / ".join(b.headings)
                problems.append(f"{name} line {b.line} ({section}): not inventoried: {b.raw.strip()[:90]!r}")
    return problems


# ---- the document ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    entry: Ask
    answer: Answer
    links: tuple[tuple[str, str, bool], ...]
    """Each control as (id, kind title, in the catalogue)."""


def _rows(asks: Iterable[Ask], catalogue: Catalogue) -> list[Row]:
    rows = []
    for a in asks:
        links = tuple(
            (c, KIND_TITLES[found.kind] if (found := catalogue.get(c)) else "", found is not None)
            for c in a.controls or ()
        )
        rows.append(Row(a, answer(a, catalogue), links))
    return rows


def tally(asks: SeedAsks, catalogue: Catalogue) -> Mapping[str, dict[Answer, int]]:
    """Per seed (and ``all``), how many asks each kind of answer has."""
    counts: dict[str, dict[Answer, int]] = {name: dict.fromkeys(ANSWER_TITLES, 0) for name in [*SEED_TITLES, "all"]}
    for a in asks.ask:
        kind = answer(a, catalogue)
        counts[a.seed][kind] += 1
        counts["all"][kind] += 1
    return counts


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render(asks: SeedAsks, catalogue: Catalogue) -> str:
    """The coverage document, through the ``seed-coverage.md.j2`` template."""
    from hardened_aml_cli.report import _environment

    seeds = [
        {
            "name": name,
            "title": title,
            "rows": _rows((a for a in asks.ask if a.seed == name), catalogue),
            "passages": [p for p in asks.passage if p.seed == name],
        }
        for name, title in SEED_TITLES.items()
    ]
    counts = tally(asks, catalogue)
    # The column of unresolved ids shows only while there are some (a mapping to a control not merged yet).
    answers = {k: v for k, v in ANSWER_TITLES.items() if k != "unresolved" or counts["all"]["unresolved"]}
    template = _environment().get_template("seed-coverage.md.j2")
    return str(
        template.render(
            data=DATA.as_posix(),
            seeds=seeds,
            tally=counts,
            answers=answers,
            asks=asks,
            cell=_cell,
        )
    )
