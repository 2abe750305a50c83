"""The Neo4j Browser guide of kgcrm: HTML slides Browser plays with ``:play <url>``.

Browser fetches the page (from a host its ``browser.remote_content_hostname_whitelist``
allows), splits it into its ``<slide>`` elements and turns every ``<pre class="runnable">``
into a block that one click on its play icon runs (a click on the text copies it into the
editor instead). An ``<input value-for="x">`` writes what is typed into every
``<span value-key="x">`` of the slide, which is how a slide takes a name for a ``:param``.

The page is static: the graph model and the queries, no tenant's data. It is rendered
once per server from :mod:`kgcrm.graph.mapping` and :mod:`kgcrm.graph.browser.queries`.
"""

from __future__ import annotations

from html import escape

from kgcrm.graph.browser.queries import QUERIES, TENANTS, ExploreQuery, params_setup_commands
from kgcrm.graph.browser.style import node_style
from kgcrm.graph.mapping import DERIVED_RELATIONSHIPS, EDGES, LABEL_OF_TABLE, NODES

GUIDE_PATH = "kgcrm-guide.html"
STYLE_PATH = "kgcrm.grass"
FAVORITES_PATH = "kgcrm-favorites.zip"

SCHEMA_QUERY = "CALL db.schema.visualization()"

_KIND_WORDS = {
    "people": "people",
    "organizations": "organizations",
    "deals": "deals",
    "activity": "activity",
    "records": "reference records",
}

# What each query's slide says, besides the query's own comment.
_INTROS: dict[str, str] = {
    "browser_person_network": (
        "Who does someone know? Type a full name (or leave it empty for the tenant's best-connected person), "
        "set it, then run the query. Double-click a node in the result to expand it."
    ),
    "browser_warm_paths": (
        "Who can introduce us? The shortest chains of KNOWS and INTERACTED from one of us (a User is a Person) "
        "to someone who works at the organization now. <code>kgcrm connections</code> ranks them with evidence."
    ),
    "browser_org_people": (
        "Everyone who works or worked at an organization: hover a WORKS_AT arrow for title, since, until and current."
    ),
    "browser_pipeline": (
        "Opportunities by status, in pipeline order, with amounts per currency and weighted by probability."
    ),
    "browser_changes": (
        "What was created or updated in the last 7 days, newest first, by whom, and whether an agent did it "
        "(the audit properties the sync mirrors onto every node)."
    ),
    "browser_duplicates": (
        "Pairs <code>kgcrm dedupe --tenant &lt;slug&gt;</code> found probably the same: recorded as "
        "POSSIBLY_SAME_AS, never merged. Empty? Run dedupe for this tenant first."
    ),
}

_INPUTS: dict[str, tuple[str, str]] = {
    "person": ("A person's full name or id", "empty: the best-connected person"),
    "organization": ("An organization's name, domain or id", "empty: the one with the most people"),
}


def _runnable(text: str, *, query: str | None = None) -> str:
    marker = f' data-kgcrm-query="{escape(query)}"' if query else ""
    return f'<pre class="runnable"{marker}>{escape(text.strip(), quote=False)}</pre>\n'


def _param_input(name: str) -> str:
    label, placeholder = _INPUTS[name]
    return (
        f"<p>{escape(label)}: "
        f'<input value-for="{name}" class="form-control" placeholder="{escape(placeholder)}"></p>\n'
        f'<pre class="runnable">:param {name} =&gt; \'<span value-key="{name}"></span>\'</pre>\n'
    )


def _slide(title: str, body: str) -> str:
    return f'<slide class="row-fluid">\n<div class="col-sm-12">\n<h3>{escape(title)}</h3>\n{body}</div>\n</slide>\n'


def _welcome(base_url: str) -> str:
    body = (
        "<p>This guide walks through the graph kgcrm mirrors from the CRM and runs its exploration "
        'queries in one click: click the <i class="fa fa-play-circle-o"></i> icon of a grey block to run it, '
        "or the block itself to copy it into the editor.</p>\n"
        "<p><b>1. Style.</b> Colours by kind, captions with names, sizes by importance:</p>\n"
        + _runnable(f":style {base_url}{STYLE_PATH}")
        + "<p>(<code>kgcrm browser style</code> prints the same sheet; dropping "
        f'<a href="{base_url}{STYLE_PATH}" target="_blank">kgcrm.grass</a> onto Browser applies it too.)</p>\n'
        "<p><b>2. Saved queries.</b> Download "
        f'<a href="{base_url}{FAVORITES_PATH}" target="_blank">kgcrm-favorites.zip</a> and drop it onto '
        "Browser: every query of this guide lands in the Favorites drawer, in a <i>kgcrm</i> folder.</p>\n"
        "<p><b>3. Read only.</b> Exploring never needs to write. On Community (one database, no "
        "fine-grained roles) there is no read-only user: run Browser only against your local kgcrm server, "
        "on loopback. On Enterprise, <code>kgcrm browser reader</code> creates a read-only user.</p>\n"
    )
    return _slide("kgcrm: explore the CRM graph", body)


def _tenant_slide() -> str:
    commands = params_setup_commands()
    body = (
        "<p>Every node carries <code>tenant_id</code>, and every query of this guide reads one tenant only: "
        "its <code>$tenant_id</code> parameter. The tenants:</p>\n"
        + _runnable(TENANTS.body, query=TENANTS.name)
        + "<p>Use the first tenant by name, and the defaults of the other parameters (one click):</p>\n"
        + _runnable(";\n".join(commands))
        + "<p>Or choose a tenant by its slug: "
        '<input value-for="slug" class="form-control" placeholder="a slug from the list"></p>\n'
        + '<pre class="runnable">:param tenant_id =&gt; COLLECT { MATCH (t:Tenant {slug: '
        "'<span value-key=\"slug\"></span>'}) RETURN t.id }[0]</pre>\n"
        + "<p><code>:params</code> shows what is set. The parameters live in this Browser tab.</p>\n"
    )
    return _slide("Pick a tenant", body)


def _model_slide() -> str:
    rows = []
    for mapping in NODES:
        for label in (mapping.label, *(s.label for s in mapping.subtypes)):
            style = node_style(label)
            rows.append(
                f'<tr><td><span style="color:{style.color}">&#9679;</span> <b>{escape(label)}</b></td>'
                f"<td>{escape(_KIND_WORDS[style.kind])}</td><td>{escape(mapping.table)}</td>"
                f"<td><code>{escape(style.caption)}</code></td></tr>"
            )
    relationships = []
    for mapping in NODES:
        for ref in mapping.references:
            relationships.append(f"({mapping.label})-[:{ref.type}]-&gt;({LABEL_OF_TABLE[ref.target_table]})")
        if mapping.polymorphic is not None:
            relationships.append(f"({mapping.label})-[:{mapping.polymorphic.type}]-&gt;(a subject)")
    for edge in EDGES:
        start, end = LABEL_OF_TABLE[edge.start.target_table], LABEL_OF_TABLE[edge.end.target_table]
        relationships.append(f"({start})-[:{edge.type}]-&gt;({end})")
    body = (
        "<p>One node per CRM row (keyed by its row id, with <code>tenant_id</code> and the audit properties "
        "<code>created_at</code>, <code>updated_at</code>, <code>updated_by</code>, <code>via_agent</code>), "
        "one relationship per foreign key. Every entity also has the label <code>__Entity__</code> and a "
        "<code>name</code>.</p>\n"
        '<table class="table"><tr><th>Label</th><th>Kind</th><th>CRM table</th><th>Caption</th></tr>\n'
        + "\n".join(rows)
        + "</table>\n<p><b>Relationships</b> (mirrored): "
        + ", ".join(f"<code>{r}</code>" for r in relationships)
        + ". <b>Derived</b> for traversal: "
        + ", ".join(f"<code>{escape(t)}</code>" for t in DERIVED_RELATIONSHIPS)
        + " (WORKS_AT from contacts, INTERACTED from shared interactions); <code>POSSIBLY_SAME_AS</code> "
        "from <code>kgcrm dedupe</code>.</p>\n"
        "<p>The schema as a picture (labels and types only, no data):</p>\n" + _runnable(SCHEMA_QUERY)
    )
    return _slide("The graph model", body)


def _query_slide(q: ExploreQuery) -> str:
    body = f"<p>{_INTROS.get(q.name, '')}</p>\n"
    for param in q.params:
        if param in _INPUTS:
            body += _param_input(param)
    body += _runnable(q.body, query=q.name)
    if q.view == "table":
        body += "<p>The result is a table.</p>\n"
    return _slide(q.title, body)


def _closing_slide() -> str:
    body = (
        "<p>Every query of this guide is also a saved query (<code>kgcrm browser favorites</code> writes "
        "the file; drop it onto Browser). Each reads <code>$tenant_id</code>: run "
        "<i>00 Set the parameters</i> first.</p>\n"
        "<p>Writing Cypher of your own? Keep <code>WHERE n.tenant_id = $tenant_id</code> on every node you "
        "match: tenants share one database.</p>\n"
        f"<p>Queries in this guide: {', '.join(escape(q.title) for q in QUERIES)}.</p>\n"
    )
    return _slide("Saved queries and your own", body)


def guide_html(base_url: str) -> str:
    """The guide's page; ``base_url`` (ending in ``/``) is where its server serves the style and favourites."""
    if not base_url.endswith("/"):
        base_url += "/"
    slides = [
        _welcome(base_url),
        _tenant_slide(),
        _model_slide(),
        *(_query_slide(q) for q in QUERIES),
        _closing_slide(),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>kgcrm: explore the CRM graph</title>\n</head>\n<body>\n" + "".join(slides) + "</body>\n</html>\n"
    )
