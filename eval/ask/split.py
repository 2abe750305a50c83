"""The held-out split of the ask bank: chosen once per batch of families, deterministically, then frozen.

Per family, the phrasings with the smallest ``sha256(family id + text)`` go to the held-out split:
``ceil(HELD_OUT_SHARE * n)`` of the family's ``n`` phrasings (at least 30% of each family).
``python -m kgcrm.eval.ask.split`` moves them out of ``families.yaml`` into a NEW file, ``heldout.yaml`` for the
first batch, ``heldout-2.yaml`` for the next …, and only for families that have no held-out phrasings yet:
an existing held-out file is never touched (each one's checksum is pinned by ``tests/eval/test_eval_ask.py``).
It was run once per batch, before any parser was tuned on that batch.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import yaml

HELD_OUT_SHARE = 0.35
BANK = Path(__file__).parent / "bank"


def held_out_indexes(family_id: str, phrasings: list[str]) -> set[int]:
    n = math.ceil(HELD_OUT_SHARE * len(phrasings))
    ranked = sorted(
        range(len(phrasings)), key=lambda i: hashlib.sha256(f"{family_id}\n{phrasings[i]}".encode()).digest()
    )
    return set(ranked[:n])


def main() -> None:
    existing = sorted(BANK.glob("heldout*.yaml"))
    done: set[str] = set()
    for path in existing:
        done |= set(yaml.safe_load(path.read_text())["heldout"])
    target = BANK / ("heldout.yaml" if not existing else f"heldout-{len(existing) + 1}.yaml")
    source = BANK / "families.yaml"
    text = source.read_text()
    bank = yaml.safe_load(text)
    held: dict[str, list[str]] = {}
    for family in bank["families"]:
        if family["id"] in done:
            continue
        picks = held_out_indexes(family["id"], family["phrasings"])
        held[family["id"]] = [p for i, p in enumerate(family["phrasings"]) if i in picks]
    if not held:
        print("every family has its held-out phrasings already")
        return
    # Remove the held-out lines from the families file, keeping its comments and layout.
    out, family_id = [], None
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("- id:"):
            family_id = stripped.split(":", 1)[1].strip()
        if family_id in held and stripped.startswith("- ") and not stripped.startswith("- id:"):
            value = yaml.safe_load(stripped[2:]) if stripped[2:] else None
            if isinstance(value, str) and value in held[family_id]:
                continue
        out.append(line)
    source.write_text("".join(out))
    header = (
        "# HELD-OUT phrasings of the ask bank (issue 17): frozen, never used to tune the parser.\n"
        "# Chosen by eval/ask/split.py (sha256 of family id + text), at least 30% of each family.\n"
        "# Their checksum is pinned in tests/eval/test_eval_ask.py: any change shows there.\n"
    )
    body = yaml.safe_dump(
        {"format": "kgcrm-ask-heldout/1", "heldout": held}, sort_keys=False, allow_unicode=True, width=200
    )
    target.write_text(header + body)
    print(f"held out {sum(map(len, held.values()))} phrasings of {len(held)} families in {target.name}")


if __name__ == "__main__":
    main()
