"""The bank as data: families (``bank/families.yaml``), the frozen held-out phrasings (``bank/heldout*.yaml``),
more development splits (``bank/dev2.yaml`` … ``bank/dev6.yaml``: fresh phrasings for
tuning, written after the parser was tuned on the dev phrasings and without reading the held-out ones) and the traps
(``bank/traps.yaml``: questions with one constraint the semantic model cannot express).

:func:`load_bank` reads the families and their phrasings, :func:`load_traps` the traps; :func:`instantiate` turns
every phrasing into a :class:`Question` for one CRM tenant (values from :class:`~kgcrm.eval.ask.params.Params`)
with its expected answer from :mod:`kgcrm.eval.ask.truth`, computed once per family (a trap expects a
:class:`~kgcrm.eval.ask.verdict.Trap`: to be declined, or answered with what was left out).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from kgcrm.core.errors import DataError
from kgcrm.eval.ask.params import Param, Params
from kgcrm.eval.ask.truth import TRUTHS, Ctx
from kgcrm.eval.ask.verdict import Accept, Expected, Trap

BANK_DIR = Path(__file__).parent / "bank"
#: the splits of the families' phrasings, then "traps" (questions the semantic model cannot fully express,
#: ``bank/traps.yaml``, judged by :func:`~kgcrm.eval.ask.verdict.trap_verdict` and reported on their own)
SPLITS = ("dev", "heldout", "dev2", "dev3", "dev4", "dev5", "dev6", "traps")
FAMILY_SPLITS = SPLITS[:-1]
#: what ``kgcrm eval ask --split`` accepts; "both" stays dev + held-out, as before dev2 existed
SPLIT_CHOICES: dict[str, tuple[str, ...]] = {
    "dev": ("dev",),
    "dev2": ("dev2",),
    "dev3": ("dev3",),
    "dev4": ("dev4",),
    "dev5": ("dev5",),
    "dev6": ("dev6",),
    "heldout": ("heldout",),
    "traps": ("traps",),
    "both": ("dev", "heldout"),
    "all": SPLITS,
}
_PLACEHOLDER = re.compile(r"\{(\w+)(?:\|(\w+))?\}")


@dataclass(frozen=True)
class Family:
    id: str
    truth: str
    params: Mapping[str, list[Any]]
    args: Mapping[str, Any]
    also_accept: tuple[Mapping[str, Any], ...]
    phrasings: Mapping[str, tuple[str, ...]]  # split → phrasings


@dataclass(frozen=True)
class TrapQuestion:
    """One trap of ``bank/traps.yaml``: a question with a constraint the semantic model cannot express."""

    id: str
    text: str
    missing: str
    params: Mapping[str, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Question:
    family: str
    split: str
    template: str
    text: str
    expected: Expected
    params: Mapping[str, str] = field(default_factory=dict)


def load_bank(directory: Path = BANK_DIR) -> list[Family]:
    families = yaml.safe_load((directory / "families.yaml").read_text())["families"]
    heldout: dict[str, list[str]] = {}
    for path in sorted(directory.glob("heldout*.yaml")):  # heldout.yaml, heldout-2.yaml …: each frozen in its turn
        for family_id, phrasings in yaml.safe_load(path.read_text())["heldout"].items():
            if family_id in heldout:
                raise DataError(f"family {family_id} is held out in two files", field="heldout")
            heldout[family_id] = phrasings
    unknown = set(heldout) - {f["id"] for f in families}
    if unknown:
        raise DataError(f"held-out phrasings of unknown families: {sorted(unknown)}", field="heldout")
    ids = {f["id"] for f in families}
    extra = {split: _development_split(directory, split, ids) for split in ("dev2", "dev3", "dev4", "dev5", "dev6")}
    out = []
    for f in families:
        if f["truth"] not in TRUTHS:
            raise DataError(f"family {f['id']}: no truth function {f['truth']!r}", field="truth")
        out.append(
            Family(
                id=f["id"],
                truth=f["truth"],
                params=f.get("params") or {},
                args=f.get("args") or {},
                also_accept=tuple(f.get("also_accept") or ()),
                phrasings={
                    "dev": tuple(f["phrasings"]),
                    "heldout": tuple(heldout.get(f["id"], ())),
                    **{split: tuple(phrasings.get(f["id"], ())) for split, phrasings in extra.items()},
                },
            )
        )
    return out


def _development_split(directory: Path, split: str, family_ids: set[str]) -> dict[str, list[str]]:
    """``bank/<split>.yaml`` (dev2 … dev6): more development phrasings, keyed by family id."""
    path = directory / f"{split}.yaml"
    phrasings: dict[str, list[str]] = yaml.safe_load(path.read_text())[split] if path.is_file() else {}
    unknown = set(phrasings) - family_ids
    if unknown:
        raise DataError(f"{split} phrasings of unknown families: {sorted(unknown)}", field=split)
    return phrasings


def load_traps(directory: Path = BANK_DIR) -> list[TrapQuestion]:
    path = directory / "traps.yaml"
    if not path.is_file():
        return []
    out = [
        TrapQuestion(t["id"], t["text"], t["missing"], t.get("params") or {})
        for t in yaml.safe_load(path.read_text())["traps"]
    ]
    if len({t.id for t in out}) != len(out):
        raise DataError("two traps share an id", field="traps")
    return out


def render(template: str, values: Mapping[str, Param]) -> str:
    def one(m: re.Match[str]) -> str:
        name, how = m.group(1), m.group(2)
        if name not in values:
            raise DataError(f"no value for {{{name}}} in {template!r}", field="phrasings")
        return values[name].text(how)

    return _PLACEHOLDER.sub(one, template)


def _arg(key: str, value: Any, values: Mapping[str, Param]) -> Any:
    if isinstance(value, list):
        return [_arg(key, v, values) for v in value]
    if isinstance(value, str) and value.startswith("$"):
        p = values[value[1:]]
        return p.currency if key == "currency" and p.currency else p.value
    return value


def expected_answer(family: Family, ctx: Ctx, values: Mapping[str, Param]) -> Expected:
    """The SQL truth; several when a window counted in days or ``also_accept`` allows other readings."""
    options: list[Any] = []
    for args in (family.args, *family.also_accept):
        resolved = {k: _arg(k, v, values) for k, v in args.items()}
        for reading in range(3):
            got = TRUTHS[family.truth](Ctx(ctx.conn, ctx.tenant_id, ctx.now, ctx.me, reading), resolved)
            for option in got.options if isinstance(got, Accept) else (got,):
                if option not in options:
                    options.append(option)
    return options[0] if len(options) == 1 else Accept(tuple(options))


def instantiate(
    families: list[Family],
    conn: sa.Connection,
    tenant_id: str,
    now: datetime,
    *,
    splits: tuple[str, ...] = SPLIT_CHOICES["both"],
    traps: list[TrapQuestion] | None = None,
) -> Iterator[Question | tuple[str, str]]:
    """Questions for one tenant; a family whose values the CRM lacks yields ``(family id, reason)`` instead.
    With the "traps" split, the traps (``traps`` or ``bank/traps.yaml``) follow, each expecting a :class:`Trap`."""
    params = Params(conn, tenant_id)
    builtins = params.builtins(now.year)
    ctx = Ctx(conn, tenant_id, now, params.me)
    for family in families:
        try:
            values = {**builtins, **{name: params.resolve(spec) for name, spec in family.params.items()}}
            expected = expected_answer(family, ctx, values)
        except LookupError as exc:
            yield family.id, str(exc)
            continue
        shown = {k: v.display for k, v in values.items() if k not in builtins}
        for split in splits:
            for template in family.phrasings.get(split, ()):
                yield Question(family.id, split, template, render(template, values), expected, shown)
    if "traps" not in splits:
        return
    for trap in load_traps() if traps is None else traps:
        try:
            values = {**builtins, **{name: params.resolve(spec) for name, spec in trap.params.items()}}
        except LookupError as exc:
            yield trap.id, str(exc)
            continue
        shown = {k: v.display for k, v in values.items() if k not in builtins}
        yield Question(trap.id, "traps", trap.text, render(trap.text, values), Trap(trap.missing), shown)
