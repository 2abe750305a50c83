"""Reading iCalendar files into :class:`~kgcrm.ingest.records.Signal` meetings.

- Each meeting, and each occurrence of a recurring meeting (``RRULE``/``RDATE``, minus
  ``EXDATE``, with moved occurrences: ``recurring-ical-events``), up to ``until`` (default:
  now: meetings that have not happened are not interactions) becomes one signal:
  ``kind = 'meeting'``, ``source = 'calendar'``, ``occurred_at`` = its start in UTC
  (``TZID`` time zones and the file's ``VTIMEZONE``\\ s honoured; a floating time is read
  as UTC and reported; an all-day event starts at midnight UTC).
- ``external_id``: the ``UID`` for a single meeting; ``UID#<original start>`` for an
  occurrence, the original start being its ``RECURRENCE-ID`` in UTC
  (``20260105T090000Z``, or ``20260105`` all day), so a moved occurrence keeps its id.
- People: ``ORGANIZER`` (role ``organizer``) and ``ATTENDEE``\\ s (``attendee``), by their
  ``mailto:`` address and ``CN``. Rooms and resources (``CUTYPE=ROOM|RESOURCE``, Google's
  resource calendars), non-participants, declined attendees and automated addresses
  are left out and counted.
- Skipped and counted: cancelled meetings and occurrences (``STATUS:CANCELLED``),
  meetings with fewer than two people, events without a start; a series the expander
  cannot read is reported and skipped, never the whole file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import icalendar
import recurring_ical_events

from kgcrm.core.errors import DataError
from kgcrm.crm.models import InteractionKind, InteractionSource, ParticipantRole
from kgcrm.ingest.addresses import automated_address, normalize_email
from kgcrm.ingest.mail import clean_text
from kgcrm.ingest.records import Address, IngestReport, Problem, Signal

#: Occurrences expanded per series at most (a daily meeting for 13 years); more are reported.
MAX_OCCURRENCES = 5000
#: The start of the expansion window when no ``since`` is given.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_NOT_PEOPLE = frozenset({"ROOM", "RESOURCE", "UNKNOWN"})
_RESOURCE_DOMAINS = ("resource.calendar.google.com", "group.calendar.google.com", "group.v.calendar.google.com")

Tick = Callable[[int], None]


def load_calendar(path: Path, report: IngestReport) -> list[icalendar.Calendar]:
    """The calendars in an .ics file (a file may hold several); an unreadable file is reported, not raised."""
    if not path.is_file():
        raise DataError(f"{path}: no such file", field="path")
    try:
        return list(icalendar.Calendar.from_ical(path.read_bytes(), multiple=True))
    except Exception as exc:  # icalendar raises ValueError and friends on broken files
        report.problem(Problem(str(path), "file", f"not an iCalendar file: {type(exc).__name__}: {exc}"), "unreadable")
        return []


def count_series(calendars: Iterable[icalendar.Calendar]) -> int:
    """How many meetings (UIDs) the calendars hold (for the progress bar)."""
    return sum(len(_series(cal)) for cal in calendars)


def read_meetings(
    path: Path,
    report: IngestReport,
    *,
    until: datetime,
    since: datetime | None = None,
    calendars: list[icalendar.Calendar] | None = None,
    tick: Tick | None = None,
) -> list[Signal]:
    """The meetings (occurrences) of the .ics file at ``path`` between ``since`` and ``until``, oldest first."""
    signals: list[Signal] = []
    for cal in calendars if calendars is not None else load_calendar(path, report):
        timezones = [c for c in cal.walk("VTIMEZONE")]
        for uid, events in _series(cal).items():
            report.items_read += len(events)
            where = f"{path}#{uid}"
            try:
                signals.extend(_expand(uid, events, timezones, where, report, since or EPOCH, until))
            except Exception as exc:  # one broken series never stops the file
                report.problem(Problem(where, "event", f"unreadable: {type(exc).__name__}: {exc}"), "unreadable")
            if tick is not None:
                tick(1)
    signals.sort(key=lambda s: s.occurred_at)
    return signals


def _series(cal: icalendar.Calendar) -> dict[str, list[Any]]:
    """VEVENTs by UID (a series' master and its moved occurrences share one); a missing UID is derived."""
    found: dict[str, list[Any]] = {}
    for event in cal.walk("VEVENT"):
        uid = str(event.get("UID") or "").strip()
        if not uid:
            stamp = str(event.get("DTSTART").to_ical(), "ascii") if event.get("DTSTART") else ""
            digest = hashlib.sha1(f"{event.get('SUMMARY', '')}|{stamp}".encode(), usedforsecurity=False)
            uid = f"kgcrm-{digest.hexdigest()[:32]}"
        found.setdefault(uid, []).append(event)
    return found


def _expand(
    uid: str,
    events: list[Any],
    timezones: list[Any],
    where: str,
    report: IngestReport,
    since: datetime,
    until: datetime,
) -> list[Signal]:
    if not any(e.get("DTSTART") for e in events):
        report.problem(Problem(where, "DTSTART", "missing"), "no date")
        return []
    recurring = any(e.get("RRULE") or e.get("RDATE") or e.get("RECURRENCE-ID") for e in events)
    holder = icalendar.Calendar()
    for component in (*timezones, *events):
        holder.add_component(component)
    signals = []
    floating_noted = False
    occurrences = recurring_ical_events.of(holder).between(since, until)
    if len(occurrences) > MAX_OCCURRENCES:
        report.problem(
            Problem(where, "RRULE", f"{len(occurrences)} occurrences: only the last {MAX_OCCURRENCES} kept", False),
            "long series (truncated)",
        )
        occurrences = occurrences[-MAX_OCCURRENCES:]
    for occurrence in occurrences:
        if str(occurrence.get("STATUS", "")).upper() == "CANCELLED":
            report.skipped["cancelled meeting"] += 1
            continue
        start, floating = _utc(occurrence.decoded("DTSTART"))
        if floating and not floating_noted:
            report.problem(
                Problem(where, "DTSTART", "floating time (no time zone): read as UTC", False), "floating time"
            )
            floating_noted = True
        external_id = uid
        if recurring:
            original = occurrence.get("RECURRENCE-ID")
            slot = _utc(original.dt)[0] if original is not None else start
            all_day = not isinstance(original.dt if original is not None else occurrence.decoded("DTSTART"), datetime)
            external_id = f"{uid}#{slot:%Y%m%d}" if all_day else f"{uid}#{slot:%Y%m%dT%H%M%SZ}"
        summary = occurrence.get("SUMMARY")
        signal = Signal(
            kind=InteractionKind.MEETING.value,
            source=InteractionSource.CALENDAR.value,
            external_id=external_id,
            subject=clean_text(" ".join(str(summary).split()))[0] or None if summary is not None else None,
            occurred_at=start,
        )
        for address, role in _people(occurrence, report):
            signal.add(address, role)
        if len(signal.participants) < 2:
            report.skipped["meeting with fewer than two people"] += 1
            continue
        signals.append(signal)
    return signals


def _utc(value: date | datetime) -> tuple[datetime, bool]:
    """A start in UTC, and whether it was floating (no time zone)."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), tzinfo=UTC), False
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC), True
    return value.astimezone(UTC), False


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _people(event: Any, report: IngestReport) -> list[tuple[Address, str]]:
    people = []
    for role, prop in ((ParticipantRole.ORGANIZER.value, "ORGANIZER"), (ParticipantRole.ATTENDEE.value, "ATTENDEE")):
        for value in _listed(event.get(prop)):
            params = getattr(value, "params", {})
            email = normalize_email(str(value))
            if email is None:
                report.skipped["address that is not an e-mail"] += 1
                continue
            if str(params.get("CUTYPE", "INDIVIDUAL")).upper() in _NOT_PEOPLE or email.endswith(_RESOURCE_DOMAINS):
                report.skipped["room or resource"] += 1
                continue
            if str(params.get("ROLE", "")).upper() == "NON-PARTICIPANT":
                report.skipped["non-participant"] += 1
                continue
            if role == ParticipantRole.ATTENDEE.value and str(params.get("PARTSTAT", "")).upper() == "DECLINED":
                report.skipped["declined attendee"] += 1
                continue
            if automated_address(email):
                report.skipped["automated address (no-reply …)"] += 1
                continue
            name = clean_text(" ".join(str(params.get("CN", "")).split()))[0]
            people.append((Address(email, name if normalize_email(name) is None else ""), role))
    return people
