"""The held-out split of the ask bank: chosen once, deterministically, then frozen.

Per family, the phrasings with the smallest ``sha256(family id + text)`` go to the held-out
split: ``ceil(HELD_OUT_SHARE * n)`` of the family's ``n`` phrasings (at least 30% of each family).
``python -m eval.ask.split`` moved them out of ``families.yaml`` into ``heldout.yaml``; it was run
once, before any parser was tuned, and must not be run again (the held-out file's checksum is
pinned by ``tests/eval/test_eval_ask.py``). It refuses to run when ``heldout.yaml`` exists.
"""

from __future__ import annotations

import hashlib
import math
import sys
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
    target = BANK / "heldout.yaml"
    if target.exists():
        sys.exit(f"{target} exists: the held-out split is frozen")
    source = BANK / "families.yaml"
    text = source.read_text()
    bank = yaml.safe_load(text)
    held: dict[str, list[str]] = {}
    removed: list[str] = []
    for family in bank["families"]:
        picks = held_out_indexes(family["id"], family["phrasings"])
        held[family["id"]] = [p for i, p in enumerate(family["phrasings"]) if i in picks]
        removed.extend(held[family["id"]])
    # Remove the held-out lines from the families file, keeping its comments and layout.
    lines = text.splitlines(keepends=True)
    out, family_id = [], None
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("- id:"):
            family_id = stripped.split(":", 1)[1].strip()
        if family_id and stripped.startswith("- ") and not stripped.startswith("- id:"):
            value = yaml.safe_load(stripped[2:]) if stripped[2:] else None
            if isinstance(value, str) and value in held.get(family_id, []):
                continue
        out.append(line)
    source.write_text("".join(out))
    header = (
        "# The HELD-OUT phrasings of the ask bank (issue 17): frozen, never used to tune the parser.\n"
        "# Chosen by eval/ask/split.py (sha256 of family id + text), at least 30% of each family.\n"
        "# Their checksum is pinned in tests/eval/test_eval_ask.py: any change shows there.\n"
    )
    body = yaml.safe_dump(
        {"format": "kgcrm-ask-heldout/1", "heldout": held}, sort_keys=False, allow_unicode=True, width=200
    )
    target.write_text(header + body)
    print(f"held out {len(removed)} phrasings of {len(held)} families")


if __name__ == "__main__":
    main()
