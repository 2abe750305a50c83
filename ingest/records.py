"""What the readers produce and the writer consumes, and the run's report.

A :class:`Signal` is one future ``interaction`` row (an e-mail thread or one meeting
occurrence) with its people; a :class:`Problem` is one piece of bad input that was
skipped or repaired, named by file, message key, field and what is wrong.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from kgcrm.crm.models import ParticipantRole

#: When one person has several roles in one interaction, the row keeps the strongest.
ROLE_RANK: dict[str, int] = {
    ParticipantRole.ORGANIZER.value: 5,
    ParticipantRole.FROM.value: 4,
    ParticipantRole.TO.value: 3,
    ParticipantRole.ATTENDEE.value: 2,
    ParticipantRole.CC.value: 1,
}


@dataclass(frozen=True)
class Address:
    """A person's address as found: normalised e-mail (lower case) and display name (may be empty)."""

    email: str
    name: str = ""

    @property
    def domain(self) -> str:
        return self.email.rsplit("@", 1)[1]


@dataclass
class Signal:
    """One interaction to write: an e-mail thread or a meeting (occurrence)."""

    kind: str  # interaction.kind: email | meeting
    source: str  # interaction.source: email | calendar
    external_id: str
    subject: str | None
    occurred_at: datetime
    summary: str | None = None
    #: e-mail → (address as last seen, strongest role)
    participants: dict[str, tuple[Address, str]] = field(default_factory=dict)
    messages: int = 1

    def add(self, address: Address, role: str) -> None:
        known = self.participants.get(address.email)
        if known is None:
            self.participants[address.email] = (address, role)
            return
        kept_address = known[0] if known[0].name or not address.name else address
        kept_role = role if ROLE_RANK[role] > ROLE_RANK[known[1]] else known[1]
        self.participants[address.email] = (kept_address, kept_role)


@dataclass(frozen=True)
class Problem:
    """Bad input: where (file, message key or event UID), which field, what; and whether the item was skipped."""

    where: str
    field: str
    problem: str
    skipped: bool = True

    def __str__(self) -> str:
        action = "skipped" if self.skipped else "kept"
        return f"{self.where}: {self.field}: {self.problem} ({action})"


@dataclass
class IngestReport:
    """What a run did. ``created``/``matched``/``skipped`` count by kind or reason."""

    items_read: int = 0  # messages or calendar events read
    created: Counter[str] = field(default_factory=Counter)  # interaction, individual, organization, contact, …
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    matched: Counter[str] = field(default_factory=Counter)  # email, user, name_domain, this_run
    skipped: Counter[str] = field(default_factory=Counter)  # reason → count (messages, events, addresses)
    problems: list[Problem] = field(default_factory=list)
    notes: Counter[str] = field(default_factory=Counter)  # repaired or partly read input (kept)
    #: address → the individual it was written as (matched or created): for review and evaluation
    links: dict[str, str] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def problem(self, problem: Problem, reason: str) -> None:
        self.problems.append(problem)
        if problem.skipped:
            self.skipped[reason] += 1
        else:
            self.notes[reason] += 1

    def merge(self, other: IngestReport) -> None:
        self.items_read += other.items_read
        for mine, theirs in (
            (self.created, other.created),
            (self.updated, other.updated),
            (self.unchanged, other.unchanged),
            (self.matched, other.matched),
            (self.skipped, other.skipped),
            (self.notes, other.notes),
        ):
            mine.update(theirs)
        self.problems.extend(other.problems)
        self.links.update(other.links)
        self.elapsed_s += other.elapsed_s

    @property
    def changed_rows(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())
