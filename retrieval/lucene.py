"""Lucene query syntax from user text: every special character escaped, so text never becomes syntax.

Neo4j's fulltext indexes parse their query with Lucene's classic query parser; these helpers escape
exactly what its own ``QueryParser.escape`` escapes, ``&`` and ``|`` one character at a time (so
``&&`` and ``||`` cannot form an operator).
"""

from __future__ import annotations

import re

#: Every character with a meaning in Lucene's classic query syntax.
LUCENE_SPECIAL_CHARACTERS = '+-!(){}[]^"~*?:\\/&|'

_SPECIAL = re.compile("([" + re.escape(LUCENE_SPECIAL_CHARACTERS) + "])")


def lucene_escape(term: str) -> str:
    """Escape Lucene's special characters in one term (``+ - ! ( ) { } [ ] ^ " ~ * ? : \\ / & |``)."""
    return _SPECIAL.sub(r"\\\1", term)


def lucene_phrase(field: str, text: str) -> str:
    """An exact phrase on one field, every special character escaped."""
    return f'{field}:"{lucene_escape(text)}"'
