"""``kgcrm sync --repair``: fix exactly what ``sync verify`` found.

Each kind of drift has its own remedy, applied to the ids verify listed and nothing else:

=====================================  ==================================================
drift                                  remedy
=====================================  ==================================================
a node or mirrored relationship        re-sync that row: upsert it, or delete it when the
(missing, extra, different)            row is gone (``GraphSync.resync``; the entities it
                                       writes are embedded like a sync's)
``ABOUT``                              re-sync the task or note (its links are rewritten)
``WORKS_AT``                           derive that contact's WORKS_AT again
``INTERACTED``                         derive both people's INTERACTED again
a reference relationship count         re-sync every row of that label (the count does
                                       not say which)
``embedding``                          re-embed those entities (``embed``)
=====================================  ==================================================
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from kgcrm.graph.mapping import EDGES, TABLE_OF_LABEL
from kgcrm.sync.engine import GraphSync, SyncReport
from kgcrm.sync.verify import ABOUT, EMBEDDING, INTERACTED, WORKS_AT, VerifyReport

_TABLE_OF_TYPE = {edge.type: edge.table for edge in EDGES}


@dataclass
class RepairReport:
    """What was repaired: per label or type, how many items."""

    fixed: Counter[str] = field(default_factory=Counter)
    sync: SyncReport | None = None
    unrepairable: list[str] = field(default_factory=list)  # drift with no remedy (never expected)


def repair(
    sync: GraphSync,
    found: VerifyReport,
    *,
    embed: Callable[[Sequence[str]], None] | None = None,
) -> RepairReport:
    """Apply each drift's remedy; ``embed`` re-embeds entity ids (without it, embedding drift is left)."""
    result = RepairReport()
    ids_by_table: dict[str, set[str]] = defaultdict(set)
    contacts: set[str] = set()
    people: set[str] = set()
    to_embed: list[str] = []
    for item in found.drift:
        if item.what in TABLE_OF_LABEL:
            ids_by_table[TABLE_OF_LABEL[item.what]].add(item.id)
        elif item.what in _TABLE_OF_TYPE:
            ids_by_table[_TABLE_OF_TYPE[item.what]].add(item.id)
        elif item.what == ABOUT:  # a task or a note: the row with that id in either table
            ids_by_table["task"].add(item.id)
            ids_by_table["note"].add(item.id)
        elif item.what == WORKS_AT:
            contacts.add(item.id)
        elif item.what == INTERACTED:
            people.update(item.id.split(">"))
        elif item.what == EMBEDDING and embed is not None:
            to_embed.append(item.id)
        else:
            result.unrepairable.append(str(item))
            continue
        result.fixed[item.what] += 1
    for check in found.counts:
        if not check.ok:
            label = check.what.split("-")[0]
            ids_by_table[TABLE_OF_LABEL[label]] |= _all_ids(sync.engine, TABLE_OF_LABEL[label])
            result.fixed[f"{check.what} (every {label})"] += 1
    if ids_by_table or contacts or people:
        result.sync = sync.resync(ids_by_table, contacts=contacts, people=people)
    if to_embed and embed is not None:
        embed(to_embed)
    return result


def _all_ids(engine: sa.Engine, table: str) -> set[str]:
    source = sa.table(table, sa.column("id"))
    with engine.connect() as conn:
        return {str(i) for i in conn.execute(sa.select(source.c.id)).scalars()}
