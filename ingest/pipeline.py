"""The two runs, reader → writer, with their progress: :func:`ingest_mail`, :func:`ingest_calendar`.

``progress(phase, total)`` starts a phase (``total`` may be None) and returns the function
that advances it; the CLI draws it with rich, tests pass nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from kgcrm.ingest import calendar, mail
from kgcrm.ingest.directory import NameCandidates
from kgcrm.ingest.records import IngestReport
from kgcrm.ingest.writer import CrmWriter

Tick = Callable[[int], None]
Progress = Callable[[str, int | None], Tick]


def _no_progress(phase: str, total: int | None) -> Tick:
    return lambda n: None


def ingest_mail(
    engine: sa.Engine,
    tenant_id: str,
    path: Path,
    *,
    user_id: str | None = None,
    names: NameCandidates | None = None,
    with_bodies: bool = False,
    chunk_size: int = 500,
    progress: Progress = _no_progress,
) -> IngestReport:
    """Ingest the mbox file or Maildir at ``path`` into ``tenant_id``: one interaction per thread."""
    started = time.perf_counter()
    report = IngestReport()
    tick = progress("reading messages", mail.count_messages(path))
    messages = mail.deduplicate(mail.read_messages(path, report, with_bodies=with_bodies, tick=tick), report)
    signals = mail.threads(messages, report)
    report.notes["messages ingested"] = len(messages)
    report.notes["threads"] = len(signals)
    writer = CrmWriter(engine, tenant_id, user_id=user_id, names=names, chunk_size=chunk_size)
    writer.write(signals, report, tick=progress("writing threads", len(signals)))
    report.elapsed_s = time.perf_counter() - started
    return report


def ingest_calendar(
    engine: sa.Engine,
    tenant_id: str,
    path: Path,
    *,
    user_id: str | None = None,
    names: NameCandidates | None = None,
    until: datetime | None = None,
    since: datetime | None = None,
    chunk_size: int = 500,
    progress: Progress = _no_progress,
) -> IngestReport:
    """Ingest the .ics file at ``path`` into ``tenant_id``: one interaction per meeting occurrence up to ``until``."""
    started = time.perf_counter()
    report = IngestReport()
    calendars = calendar.load_calendar(path, report)
    tick = progress("reading meetings", calendar.count_series(calendars))
    signals = calendar.read_meetings(
        path,
        report,
        until=until or datetime.now(UTC),
        since=since,
        calendars=calendars,
        tick=tick,
    )
    report.notes["meeting occurrences"] = len(signals)
    writer = CrmWriter(engine, tenant_id, user_id=user_id, names=names, chunk_size=chunk_size)
    writer.write(signals, report, tick=progress("writing meetings", len(signals)))
    report.elapsed_s = time.perf_counter() - started
    return report
