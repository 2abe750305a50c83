"""The Browser style sheet: every label of the graph model styled, parsed as Browser parses it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kgcrm.cli.browser import browser_app
from kgcrm.core.errors import ConfigurationError
from kgcrm.graph.browser.style import (
    ENTITY_STYLE,
    NODE_STYLES,
    RELATIONSHIP_STYLES,
    check_rule,
    grass,
    mapped_labels,
    mapped_relationship_types,
    style_command,
)
from kgcrm.graph.mapping import ENTITY_LABEL, NODES

runner = CliRunner()


def browser_parse(text: str) -> dict[str, dict[str, str]]:
    """Neo4j Browser 5's GraSS parser (GraphStyle.parse in its bundle), line for line.

    Quotes toggle a string and are dropped; selectors lose their whitespace; a body splits
    on ';' and each declaration on ':' (only the first two parts are kept).
    """
    in_string = in_rule = False
    selector = body = ""
    rules: dict[str, str] = {}
    for char in text:
        literal = True
        if char == "{":
            if in_string:
                literal = False
            else:
                in_rule = True
        elif char == "}":
            if in_string:
                literal = False
            else:
                in_rule = False
                rules[selector] = body
                selector = body = ""
        elif char == "'":
            in_string = not in_string
        else:
            literal = False
        if not literal:
            if in_rule:
                body += char
            elif not char.isspace():
                selector += char
    parsed: dict[str, dict[str, str]] = {}
    for sel, text_body in rules.items():
        props: dict[str, str] = {}
        for declaration in text_body.split(";"):
            parts = declaration.split(":")
            if len(parts) >= 2 and parts[0].strip() and parts[1].strip():
                props[parts[0].strip()] = parts[1].strip()
        parsed[sel] = props
    return parsed


def test_every_label_of_the_graph_model_has_a_style() -> None:
    labels = {m.label for m in NODES} | {s.label for m in NODES for s in m.subtypes}

    assert set(mapped_labels()) == labels
    assert {s.label for s in NODE_STYLES} == labels


def test_the_sheet_has_a_rule_per_label_with_colour_caption_and_size() -> None:
    rules = browser_parse(grass())

    for label in [*mapped_labels(), ENTITY_LABEL]:
        rule = rules[f"node.{label}"]
        assert rule["color"].startswith("#") and rule["border-color"].startswith("#")
        assert rule["diameter"].endswith("px")
        assert rule["caption"].startswith("{"), (label, rule)


def test_captions_show_names() -> None:
    rules = browser_parse(grass())

    assert rules["node.Person"]["caption"] == "{name}"  # first and last name (sync/transform.py)
    assert rules["node.Organization"]["caption"] == "{name}"
    assert rules["node.Opportunity"]["caption"] == "{title} · {currency} {amount}"
    assert rules["relationship.WORKS_AT"]["caption"] == "{title}"


def test_colours_follow_the_kind_and_sizes_the_importance() -> None:
    styles = {s.label: s for s in NODE_STYLES}
    by_kind: dict[str, set[str]] = {}
    for style in NODE_STYLES:
        by_kind.setdefault(style.kind, set()).add(style.label)

    assert by_kind["people"] == {"Person", "User", "Contact"}
    assert by_kind["organizations"] == {"Organization", "Account"}
    assert by_kind["deals"] == {"Lead", "Job", "Opportunity", "Partnership"}
    assert len({s.color for s in NODE_STYLES}) == len(NODE_STYLES)  # every label tells itself apart
    assert styles["Organization"].diameter > styles["Person"].diameter > styles["Interaction"].diameter
    assert styles["Note"].diameter < styles["Opportunity"].diameter


def test_the_entity_rule_comes_first_and_parents_before_subtypes() -> None:
    # Browser applies matching rules in order, later ones winning: every node is also an
    # __Entity__, and a Lead:Opportunity must end up with the Opportunity rule.
    selectors = list(browser_parse(grass()))

    assert selectors[0] == f"node.{ENTITY_LABEL}"
    assert selectors.index("node.Lead") < selectors.index("node.Opportunity")
    assert ENTITY_STYLE.label == ENTITY_LABEL


def test_relationship_rules_name_types_of_the_graph() -> None:
    types = set(mapped_relationship_types())
    rules = browser_parse(grass())

    assert {"KNOWS", "WORKS_AT", "INTERACTED", "POSSIBLY_SAME_AS", "HAS_STATUS"} <= types
    assert {s.type for s in RELATIONSHIP_STYLES} <= types
    assert rules["relationship"]["caption"] == "<type>"


def test_the_sheet_has_nothing_browser_would_misread() -> None:
    text = grass()

    assert "//" not in text and '"' not in text
    assert text.count("'") % 2 == 0


@pytest.mark.parametrize("caption", ["{name}: {amount}", "{name}; x", "it's {name}", "{nope}"])
def test_captions_browser_cannot_parse_or_without_property_are_refused(caption: str) -> None:
    with pytest.raises(ConfigurationError):
        check_rule(caption, {"name", "amount"})


def test_cli_prints_the_sheet_and_the_style_command(tmp_path) -> None:
    printed = runner.invoke(browser_app, ["style"])
    command = runner.invoke(browser_app, ["style", "--command"])
    written = runner.invoke(browser_app, ["style", "--output", str(tmp_path / "k.grass")])

    assert printed.exit_code == 0 and printed.output == grass()
    assert command.output.startswith(":style node.__Entity__ {") and command.output.count("\n") == 1
    assert style_command(grass()).removeprefix(":style ").replace(" ", "") == grass().replace("\n", "").replace(" ", "")
    assert written.exit_code == 0 and (tmp_path / "k.grass").read_text() == grass()
