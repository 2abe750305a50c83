"""A context pack, and how candidates become one within a token budget (pure: no I/O).

Candidates come in sections (key facts, roles, people, the best path, ties, deals, accounts,
tasks, interactions, notes), each with a score in 0..1 (see :mod:`kgcrm.retrieval.context.builder`
for how scores are made). :func:`pack` is greedy by score: it takes the best candidate that still
fits the budget, then the next, and so on; a section's header costs its tokens once, when its first
item is taken. The text keeps each section together (sections in their fixed order, items in score
order inside each), so a reader never sees a section split up; what did not fit is reported per
section (``dropped``), and said in the text's last line.

The budget covers the whole text rendering (the header, the section titles, every item with its
citation, and the last line), counted with the pack's tokenizer; the count is checked on the final
text, and the lowest-scored items are taken out until it fits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from kgcrm.retrieval.types import EntityRef

#: The sections of a pack, in the order the text shows them, with their titles.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("facts", "Key facts"),
    ("roles", "Organization and roles"),
    ("people", "People"),
    ("path", "The team's best introduction path"),
    ("ties", "Strongest ties"),
    ("deals", "Open deals and leads"),
    ("accounts", "Accounts"),
    ("tasks", "Open tasks"),
    ("interactions", "Latest interactions"),
    ("notes", "Notes"),
)
SECTION_TITLES = dict(SECTIONS)
SECTION_ORDER = {name: i for i, (name, _) in enumerate(SECTIONS)}

#: Citations shown per item in the text (the JSON has them all).
TEXT_SOURCES = 2


class PackSource(BaseModel):
    """The relational row an item was read from."""

    table: str
    id: str
    updated_at: str | None = None


class PackItem(BaseModel):
    text: str
    sources: list[PackSource] = Field(min_length=1)
    score: float = Field(ge=0.0, le=1.0)
    tokens: int  # the tokens of its line in the text, citation included
    entity: EntityRef | None = None  # the entity the item is about, when it is one (a person, a deal …)


class PackSection(BaseModel):
    name: str
    title: str
    items: list[PackItem]


class DroppedItems(BaseModel):
    """What a section lost to the budget."""

    section: str
    items: int
    tokens: int


class ContextPack(BaseModel):
    about: EntityRef
    question: str | None = None
    ranking: str  # "question" (by relevance to it, with the notes' and items' embeddings) or "recency"
    budget_tokens: int
    used_tokens: int  # tokens of `text`, counted with `tokenizer`
    tokenizer: str
    sections: list[PackSection]
    dropped: list[DroppedItems]
    text: str


@dataclass
class Candidate:
    """An item before packing."""

    section: str
    text: str
    sources: list[PackSource]
    score: float
    entity: EntityRef | None = None
    relevance: float | None = None  # the cosine of the question and the item's stored embedding, when known
    position: int = 0  # its rank inside its section (set by :func:`pack`)
    line: str = field(default="", repr=False)
    tokens: int = 0


def citation(source: PackSource) -> str:
    day = source.updated_at[:10] if source.updated_at else None
    return f"{source.table} {source.id}" + (f", {day}" if day else "")


def item_line(text: str, sources: Sequence[PackSource]) -> str:
    cited = "; ".join(citation(s) for s in sources[:TEXT_SOURCES])
    more = f" +{len(sources) - TEXT_SOURCES}" if len(sources) > TEXT_SOURCES else ""
    return f"- {text} [{cited}{more}]"


def header_lines(about: EntityRef) -> list[str]:
    name = (about.name or about.id)[:120]
    return [f"# Context pack: {name} ({about.type}, id {about.id})"]


#: The text's last line names the sections that lost items when they are at most this many.
NAMED_DROPS = 3


def dropped_line(dropped: Sequence[DroppedItems]) -> str:
    """The text's last line: what the budget left out (in full in the pack's ``dropped``)."""
    if len(dropped) <= NAMED_DROPS:
        parts = ", ".join(f"{d.items} {d.section}" for d in dropped)
    else:
        parts = f"{sum(d.items for d in dropped)} items from {len(dropped)} sections"
    return f"(Left out for the budget: {parts}.)"


def render(about: EntityRef, chosen: Sequence[Candidate], dropped: Sequence[DroppedItems]) -> str:
    lines = header_lines(about)
    by_section: dict[str, list[Candidate]] = {}
    for c in chosen:
        by_section.setdefault(c.section, []).append(c)
    for name, title in SECTIONS:
        items = by_section.get(name)
        if not items:
            continue
        lines.append(f"## {title}")
        lines += [c.line for c in sorted(items, key=lambda c: c.position)]
    if dropped:
        lines.append(dropped_line(dropped))
    return "\n".join(lines)


def _dropped(left: Sequence[Candidate]) -> list[DroppedItems]:
    counts: dict[str, list[int]] = {}
    for c in left:
        entry = counts.setdefault(c.section, [0, 0])
        entry[0] += 1
        entry[1] += c.tokens
    return [
        DroppedItems(section=name, items=counts[name][0], tokens=counts[name][1])
        for name, _ in SECTIONS
        if name in counts
    ]


def pack(
    about: EntityRef,
    candidates: Sequence[Candidate],
    *,
    budget: int,
    count: Callable[[str], int],
    tokenizer: str,
    question: str | None = None,
    ranking: str = "recency",
) -> ContextPack:
    """The candidates that fit ``budget`` tokens, greedy by score, as a :class:`ContextPack`."""
    by_section: dict[str, list[Candidate]] = {}
    for c in candidates:
        by_section.setdefault(c.section, []).append(c)
    ordered: list[Candidate] = []
    for name in by_section:  # positions: the order the builder gave, best first
        for i, c in enumerate(sorted(by_section[name], key=lambda c: -c.score)):
            c.position = i
            c.line = item_line(c.text, c.sources)
            c.tokens = count(c.line) + 1  # its line break
            ordered.append(c)
    ordered.sort(key=lambda c: (-c.score, SECTION_ORDER.get(c.section, 99), c.position))

    header_cost = count("\n".join(header_lines(about)))
    section_cost = {name: count(f"## {title}") + 1 for name, title in SECTIONS}

    def greedy(reserve: int) -> tuple[list[Candidate], list[Candidate]]:
        used = header_cost
        opened: set[str] = set()
        chosen: list[Candidate] = []
        left: list[Candidate] = []
        for c in ordered:
            cost = c.tokens + (0 if c.section in opened else section_cost.get(c.section, 8))
            if used + cost <= budget - reserve:
                used += cost
                opened.add(c.section)
                chosen.append(c)
            else:
                left.append(c)
        return chosen, left

    chosen, left = greedy(0)
    if left:  # room for the last line, at its longest (three-digit counts)
        longest = sorted((name for name, _ in SECTIONS), key=lambda name: -count(name))[:NAMED_DROPS]
        worst = max(
            count(dropped_line([DroppedItems(section=name, items=999, tokens=0) for name in longest])),
            count(dropped_line([DroppedItems(section=name, items=999, tokens=0) for name, _ in SECTIONS])),
        )
        chosen, left = greedy(worst + 1)
    # the exact count of the final text decides (tokens may merge across lines): drop the weakest until it fits
    while True:
        dropped = _dropped(left)
        text = render(about, chosen, dropped)
        used_tokens = count(text)
        if used_tokens <= budget or not chosen:
            break
        left.append(chosen.pop())
    sections = []
    for name, title in SECTIONS:
        items = sorted((c for c in chosen if c.section == name), key=lambda c: c.position)
        if items:
            sections.append(
                PackSection(
                    name=name,
                    title=title,
                    items=[
                        PackItem(
                            text=c.text, sources=c.sources, score=round(c.score, 4), tokens=c.tokens, entity=c.entity
                        )
                        for c in items
                    ],
                )
            )
    return ContextPack(
        about=about,
        question=question,
        ranking=ranking,
        budget_tokens=budget,
        used_tokens=used_tokens,
        tokenizer=tokenizer,
        sections=sections,
        dropped=dropped,
        text=text,
    )
