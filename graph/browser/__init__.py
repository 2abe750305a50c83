"""The Neo4j Browser pack: a style sheet, a guide and saved queries for exploring the mirror.

- :mod:`kgcrm.graph.browser.style`: the GraSS style sheet, generated from the graph model
  (``sync/mapping.py``) so that every label has a colour, a caption and a size.
- :mod:`kgcrm.graph.browser.queries`: the exploration queries (``cypher/browser_*.cypher``)
  and the Browser favourites file made from them.
- :mod:`kgcrm.graph.browser.guide`: the ``:play`` guide (HTML slides) that walks through the
  graph model and runs those queries in one click.
- :mod:`kgcrm.graph.browser.guide_server`: the loopback HTTP server Browser loads the guide,
  the style and the favourites from.
- :mod:`kgcrm.graph.browser.reader`: least privilege for exploring (a read-only user where
  the server can have one).
"""
