"""Reading calendars: occurrences, time zones, moved and cancelled meetings, rooms (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

from kgcrm.ingest import calendar
from kgcrm.ingest.records import IngestReport
from tests.ingest import fixtures as fx


def _read(path, **kw):
    report = IngestReport()
    kw.setdefault("until", fx.UNTIL)
    return calendar.read_meetings(path, report, **kw), report


def test_occurrences_up_to_until_with_their_utc_starts(tmp_path):
    signals, _ = _read(fx.write_calendar(tmp_path / "cal.ics"))

    assert {s.external_id: s.occurred_at for s in signals} == fx.EXPECTED_MEETINGS
    assert [s.occurred_at for s in signals] == sorted(s.occurred_at for s in signals)


def test_people_roles_rooms_and_declined_attendees(tmp_path):
    signals, report = _read(fx.write_calendar(tmp_path / "cal.ics"))
    first = signals[0]
    kickoff = next(s for s in signals if s.external_id == "kickoff@northwind.com")

    assert {e: r for e, (_, r) in first.participants.items()} == {
        "ann@us.example": "organizer",
        "carla@northwind.com": "attendee",
    }
    assert kickoff.participants["kim@newco.io"][0].name == "Kim Lee"
    assert report.skipped["room or resource"] == 3  # the room, in each of the 3 unmoved occurrences
    assert report.skipped["declined attendee"] == 3


def test_skipped_meetings_are_counted(tmp_path):
    _, report = _read(fx.write_calendar(tmp_path / "cal.ics"))

    assert report.skipped["cancelled meeting"] == 2  # the cancelled occurrence and the cancelled meeting
    assert report.skipped["meeting with fewer than two people"] == 1  # focus time, alone
    assert report.skipped["no date"] == 1
    assert [p.where.rsplit("#", 1)[1] for p in report.problems] == ["nostart@us.example"]


def test_until_and_since_bound_the_expansion(tmp_path):
    path = fx.write_calendar(tmp_path / "cal.ics")

    before, _ = _read(path, until=datetime(2026, 1, 20, tzinfo=UTC))
    after, _ = _read(path, since=datetime(2026, 2, 1, tzinfo=UTC), until=datetime(2027, 12, 31, tzinfo=UTC))

    assert [s.external_id.rsplit("#", 1)[-1] for s in before] == ["20260105T090000Z", "20260119T090000Z"]
    assert "future@us.example" in {s.external_id for s in after}
    assert all(s.occurred_at >= datetime(2026, 2, 1, tzinfo=UTC) for s in after)


def test_a_floating_time_is_read_as_utc_and_reported(tmp_path):
    cal = fx.calendar()
    event = fx._event("floating@us.example", "Floating", datetime(2026, 3, 1, 10, 0))
    event.add("ORGANIZER", fx._person("ann@us.example"))
    event.add("ATTENDEE", fx._person("carla@northwind.com"))
    cal.add_component(event)

    signals, report = _read(fx.write_calendar(tmp_path / "cal.ics", cal))

    floating = next(s for s in signals if s.external_id == "floating@us.example")
    assert floating.occurred_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert report.notes["floating time"] == 1


def test_a_file_that_is_not_a_calendar_is_reported_not_raised(tmp_path):
    path = tmp_path / "bad.ics"
    path.write_bytes(b"BEGIN:VCALENDAR\r\nthis is not ical\r\n")

    signals, report = _read(path)

    assert signals == []
    assert report.skipped["unreadable"] == 1
