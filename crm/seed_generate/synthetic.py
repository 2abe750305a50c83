"""The whole synthetic CRM: every tenant's rows in one stream, and the ground truth."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

from kgcrm.crm.seed_generate.config import TABLES, Item, Mark, Row, SeedConfig
from kgcrm.crm.seed_generate.tenant import TenantBuilder


class SyntheticCrm:
    """A deterministic synthetic CRM: :meth:`items` streams the rows, :attr:`truth` describes them.

    One tenant's world is in memory at a time: once its rows are out, only its truth is kept.
    """

    def __init__(self, config: SeedConfig) -> None:
        self.config = config
        master = random.Random(config.seed)
        self._seeds = [master.getrandbits(64) for _ in range(config.tenants)]
        self._tenants: list[dict[str, Any]] = []
        self._anchors: list[dict[str, Any]] = []
        self._started = False

    def items(self) -> Iterator[Item]:
        """Every row of every tenant, in insert order, each tenant ending with :data:`Mark.COMMIT`.

        Single use: a second call raises (make a new :class:`SyntheticCrm`).
        """
        if self._started:
            raise RuntimeError("SyntheticCrm.items() was already called: make a new SyntheticCrm")
        self._started = True
        for index, (seed, budget) in enumerate(zip(self._seeds, self.config.budgets(), strict=True)):
            builder = TenantBuilder(index, random.Random(seed), self.config.now, budget)
            builder.plant_suggestions = self.config.plant_suggestions
            yield from builder.items()
            truth = builder.truth()
            if self.config.plant_suggestions:
                truth["suggestions"] = builder.suggestion_truth
            self._tenants.append(truth)
            self._anchors.append(builder.anchor_truth())
            yield Mark.COMMIT

    @property
    def truth(self) -> dict[str, Any]:
        """The ground truth (JSON-ready); available once :meth:`items` was consumed."""
        if len(self._tenants) < self.config.tenants:
            raise RuntimeError("SyntheticCrm.truth is known only after items() was consumed")
        config = self.config
        return {
            "format": "kgcrm-seed-truth/1",
            "parameters": {
                "tenants": config.tenants,
                "scale": config.scale,
                "seed": config.seed,
                "now": config.now.isoformat(),
            },
            "row_counts": _sum_counts(t["row_counts"] for t in self._tenants),
            "look_alikes": _look_alikes(self._tenants, self._anchors),
            "tenants": self._tenants,
        }


def generate_rows(config: SeedConfig) -> tuple[dict[str, list[Row]], dict[str, Any]]:
    """Every row in memory, by table, and the truth: for tests and small seeds."""
    crm = SyntheticCrm(config)
    tables: dict[str, list[Row]] = {t: [] for t in TABLES}
    for item in crm.items():
        if not isinstance(item, Mark):
            tables[item[0]].append(item[1])
    return tables, crm.truth


def _sum_counts(counts: Iterator[dict[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return {t: total[t] for t in TABLES}


def _look_alikes(tenants: list[dict[str, Any]], anchors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Anchors by key: the name and id each tenant gave them."""
    out = []
    for key in anchors[0] if anchors else {}:
        out.append(
            {
                "key": key,
                "entity_type": anchors[0][key]["entity_type"],
                "per_tenant": {
                    t["slug"]: {"id": a[key]["id"], "name": a[key]["name"]}
                    for t, a in zip(tenants, anchors, strict=True)
                },
            }
        )
    return out
