"""The Neo4j Browser style sheet (GraSS) of the mirrored CRM, generated from the graph model.

Every label of ``graph/mapping.py`` gets a rule: a colour by kind (people blue, organizations
green, deals orange, activity purple, reference records grey), a caption that shows what a
person calls the node (a person's full name, an organization's name, a deal's title and
amount) and a size that hints how much it matters when exploring. Relationships get a colour
and a caption where a property says more than the type (a job title, a tie's kind, a
duplicate's score).

Browser applies the matching rules in the order of the sheet, later ones winning, and gives
a label without a rule a default colour of its own. Every node of the mirror also carries
``__Entity__``, so the sheet starts with a rule for that label: without it Browser would add
a default one *after* ours, and every node would be drawn in the same default red.

Browser's GraSS parser is simple: a value must not hold ``:``, ``;``, quotes or braces
(other than the ``{property}`` placeholders), which :func:`check_rule` enforces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from kgcrm.core.errors import ConfigurationError
from kgcrm.graph.mapping import DERIVED_RELATIONSHIPS, EDGES, ENTITY_LABEL, NODES, NodeMapping

POSSIBLY_SAME_AS = "POSSIBLY_SAME_AS"  # written by `kgcrm dedupe` (retrieval/dedupe.py), not mirrored


@dataclass(frozen=True)
class Kind:
    """A family of labels, drawn in one family of colours."""

    name: str
    text_color: str  # caption colour inside the circle, readable on the family's colours


KINDS: Mapping[str, Kind] = MappingProxyType(
    {
        "people": Kind("people", "#FFFFFF"),
        "organizations": Kind("organizations", "#FFFFFF"),
        "deals": Kind("deals", "#2A2C34"),
        "activity": Kind("activity", "#FFFFFF"),
        "records": Kind("records", "#2A2C34"),
    }
)


@dataclass(frozen=True)
class NodeStyle:
    """How one label is drawn."""

    label: str
    kind: str
    color: str
    border: str
    diameter: int  # px: the bigger, the more it matters when exploring
    caption: str  # a template of {property} placeholders


@dataclass(frozen=True)
class RelationshipStyle:
    type: str
    color: str
    width: int  # px
    caption: str = "<type>"


# One entry per label of graph/mapping.py (tests/graph/browser/test_style.py checks that).
NODE_STYLES: tuple[NodeStyle, ...] = (
    NodeStyle("Tenant", "records", "#604A0E", "#423204", 90, "{name}"),
    NodeStyle("Status", "records", "#D9C8AE", "#C0A378", 35, "{name}"),
    NodeStyle("Person", "people", "#4C8EDA", "#2870C2", 65, "{name}"),
    NodeStyle("User", "people", "#1D4E89", "#123A68", 70, "{name}"),
    NodeStyle("Contact", "people", "#8FB8E8", "#5E98DB", 35, "{title}"),
    NodeStyle("Organization", "organizations", "#2E9E6B", "#1F7A52", 80, "{name}"),
    NodeStyle("Account", "organizations", "#6CC49A", "#45A877", 55, "{name}"),
    NodeStyle("Lead", "deals", "#FFC454", "#D7A013", 45, "{title}"),
    NodeStyle("Job", "deals", "#FFD98A", "#E0B64F", 45, "{title}"),
    NodeStyle("Opportunity", "deals", "#F79767", "#F36924", 70, "{title} · {currency} {amount}"),
    NodeStyle("Partnership", "deals", "#F3B27A", "#E8914A", 50, "{title}"),
    NodeStyle("Task", "activity", "#C990C0", "#B261A5", 30, "{title}"),
    NodeStyle("Note", "activity", "#DA7194", "#CC3C6C", 30, "{name}"),
    NodeStyle("Interaction", "activity", "#8F7BD1", "#6B52C2", 30, "{kind}"),
    NodeStyle("Feedback", "records", "#E8C1A0", "#D99A66", 25, "{decision} {kind}"),  # a user's decision (issue 14)
)

# The base of every mirrored node: first in the sheet, so the rules above win over it.
ENTITY_STYLE = NodeStyle(ENTITY_LABEL, "records", "#A5ABB6", "#9AA1AC", 40, "{name}")

RELATIONSHIP_STYLES: tuple[RelationshipStyle, ...] = (
    RelationshipStyle("KNOWS", "#4C8EDA", 3, "{kind}"),
    RelationshipStyle("INTERACTED", "#8F7BD1", 2, "{count} interactions"),
    RelationshipStyle("WORKS_AT", "#2E9E6B", 2, "{title}"),
    RelationshipStyle("PARTICIPATED_IN", "#C990C0", 1, "{role}"),
    RelationshipStyle(POSSIBLY_SAME_AS, "#E0452B", 4, "same? {score}"),
)
RELATIONSHIP_DEFAULT = RelationshipStyle("", "#A5ABB6", 1)

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_FORBIDDEN = re.compile(r"[:;'\"{}]")


def mapped_labels(nodes: Iterable[NodeMapping] = NODES) -> list[str]:
    """Every label the sync writes (subtypes included), in the mapping's order."""
    labels: list[str] = []
    for mapping in nodes:
        labels.append(mapping.label)
        labels.extend(s.label for s in mapping.subtypes)
    return labels


def mapped_relationship_types() -> list[str]:
    """Every relationship type in the graph: mirrored foreign keys and link rows, derived ones, dedupe's."""
    types: list[str] = []
    for mapping in NODES:
        types.extend(ref.type for ref in mapping.references)
        if mapping.polymorphic is not None:
            types.append(mapping.polymorphic.type)
    types.extend(edge.type for edge in EDGES)
    types.extend(DERIVED_RELATIONSHIPS)
    types.append(POSSIBLY_SAME_AS)
    return list(dict.fromkeys(types))


def node_properties(label: str) -> set[str]:
    """The properties a node of ``label`` can carry (``name`` on every entity)."""
    for mapping in NODES:
        subtypes = {s.label: s for s in mapping.subtypes}
        if label == mapping.label or label in subtypes:
            props = set(mapping.columns)
            if label in subtypes:
                props |= set(subtypes[label].properties)
            if mapping.entity:
                props.add("name")
            return props
    if label == ENTITY_LABEL:
        return {"id", "tenant_id", "name"}
    raise ConfigurationError(f"label '{label}' is not in the graph model (graph/mapping.py)")


def check_rule(caption: str, properties: set[str] | None) -> None:
    """Refuse a caption Browser's GraSS parser would cut, or that names an unknown property."""
    bare = _PLACEHOLDER.sub("", caption)
    if _FORBIDDEN.search(bare) or (caption.startswith("<") and caption != "<type>"):
        raise ConfigurationError(f"GraSS caption {caption!r}: Browser cannot parse : ; quotes or stray braces")
    if properties is not None:
        unknown = set(_PLACEHOLDER.findall(caption)) - properties
        if unknown:
            raise ConfigurationError(f"GraSS caption {caption!r}: no such propert(ies) {sorted(unknown)}")


def node_style(label: str) -> NodeStyle:
    for style in NODE_STYLES:
        if style.label == label:
            return style
    raise ConfigurationError(f"label '{label}' has no style in graph/browser/style.py: give it one")


def _rule(selector: str, props: Mapping[str, str]) -> str:
    body = "".join(f"  {key}: {value};\n" for key, value in props.items())
    return f"{selector} {{\n{body}}}\n"


def _node_rule(style: NodeStyle) -> str:
    check_rule(style.caption, node_properties(style.label))
    return _rule(
        f"node.{style.label}",
        {
            "color": style.color,
            "border-color": style.border,
            "text-color-internal": KINDS[style.kind].text_color,
            "diameter": f"{style.diameter}px",
            "caption": f"'{style.caption}'",
        },
    )


def _relationship_rule(style: RelationshipStyle) -> str:
    check_rule(style.caption, None)
    selector = f"relationship.{style.type}" if style.type else "relationship"
    return _rule(
        selector,
        {
            "color": style.color,
            "shaft-width": f"{style.width}px",
            "font-size": "8px",
            "padding": "3px",
            "text-color-external": "#000000",
            "text-color-internal": "#FFFFFF",
            "caption": f"'{style.caption}'",
        },
    )


def grass() -> str:
    """The style sheet: a rule for every label of the graph model, then the relationship rules."""
    parts = [_node_rule(ENTITY_STYLE)]  # no comments: Browser would read them as part of a selector
    parts += [_node_rule(node_style(label)) for label in mapped_labels()]
    parts.append(_relationship_rule(RELATIONSHIP_DEFAULT))
    parts += [_relationship_rule(style) for style in RELATIONSHIP_STYLES]
    return "\n".join(parts)


def style_command(text: str) -> str:
    """The sheet as one ``:style`` command on one line (what to paste into Browser's editor)."""
    return ":style " + " ".join(line.strip() for line in text.splitlines() if line.strip())
