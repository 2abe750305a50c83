"""Ingestion throughput: messages/s (mbox) and meetings/s (.ics), first run and re-run, against a read-only ceiling.

    .venv/bin/python bench/ingest_mail.py [--messages 20000] [--events 2000] [--people 5000] [--postgres URL]

A generated tenant (``--people`` individuals at ``--people/10`` company domains, half of
them with a contact at their organization, five users) and a generated mbox: threads of
1 to 5 messages between one of our users and 1 to 3 outsiders (60% known addresses,
15% new people at known domains who recur, 10% a known person at a new address of
their company (name + domain), 10% gmail.com, 5% plus-addressed known addresses; names
RFC 2047-encoded when not ASCII; addresses are ASCII, as most are: Python's email package
mangles address lists with non-ASCII local parts), plus 5% mailing-list messages. And a generated
calendar: ``--events`` meetings, one in ten weekly for 20 weeks.

Contenders, on the same files:

- **floor (read only)**: every message's header section split into raw fields
  (``BytesHeaderParser`` with ``compat32``, the first 256 KiB), nothing decoded: what
  reading the file costs;
- **naive reader (read only)**: the same, with the headers ingestion needs decoded by
  ``email.policy.default`` (the obvious way to read mail in Python);
- **first ingest**: ``kgcrm ingest mail`` (``kgcrm.ingest.pipeline.ingest_mail``): read (plain
  headers by ``email.utils``, encoded or 8-bit ones by ``policy.default``), thread, match,
  write (one transaction per 500 threads);
- **re-ingest**: the same file again: must write nothing.

On SQLite (a file), and on PostgreSQL with ``--postgres URL`` (a fresh schema, dropped
after). Writes ``bench/RESULTS.md`` (section ``ingest``).
"""

from __future__ import annotations

import argparse
import mailbox
import random
import statistics
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime
from pathlib import Path

import common
import icalendar
import sqlalchemy as sa

from kgcrm.core.names import fold
from kgcrm.crm.database import make_engine, upgrade
from kgcrm.crm.models import AppUser, Contact, Individual, Organization, Tenant
from kgcrm.ingest.pipeline import ingest_calendar, ingest_mail

FIRST = [
    "Anna",
    "Ben",
    "Chloé",
    "David",
    "Elif",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
    "Marta",
    "Nikolai",
    "Olga",
    "Pablo",
    "Qing",
    "Rosa",
    "Søren",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Xavier",
    "Yara",
    "Zoë",
]
LAST = ["Abbott", "Berg", "Castro", "Dubois", "Eriksen", "Fischer", "García", "Hansen", "Ito", "Jensen", "Kowalski",
        "López", "Müller", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga",
        "Weber", "Xu", "Yilmaz", "Zimmermann"]  # fmt: skip
NOW = datetime(2026, 11, 20, tzinfo=UTC)


def seed(engine: sa.Engine, people: int, rng: random.Random) -> tuple[str, list[dict], list[str]]:
    """A tenant with users, people, organizations, contacts. Returns (tenant id, people rows, user e-mails)."""
    tenant = str(uuid.uuid4())
    domains = [f"company{i}.example" for i in range(max(1, people // 10))]
    orgs = [{"id": str(uuid.uuid4()), "tenant_id": tenant, "name": f"Company {i}", "domain": d}
            for i, d in enumerate(domains)]  # fmt: skip
    rows, contacts = [], []
    for i in range(people):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        org = orgs[i % len(orgs)]
        row = {"id": str(uuid.uuid4()), "tenant_id": tenant, "first_name": first, "last_name": last,
               "email": f"{fold(first)}.{fold(last)}.{i}@{org['domain']}"}  # fmt: skip
        rows.append(row)
        if i % 2 == 0:
            contacts.append({"id": str(uuid.uuid4()), "tenant_id": tenant, "individual_id": row["id"],
                             "organization_id": org["id"], "email": row["email"]})  # fmt: skip
    users = [f"user{i}@us.example" for i in range(5)]
    user_people = [{"id": str(uuid.uuid4()), "tenant_id": tenant, "first_name": "User", "last_name": str(i),
                    "email": email} for i, email in enumerate(users)]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(sa.insert(Tenant.__table__), [{"id": tenant, "name": "Bench", "slug": f"bench-{tenant}"}])
        conn.execute(sa.insert(Individual.__table__), rows + user_people)
        conn.execute(sa.insert(Organization.__table__), orgs)
        conn.execute(sa.insert(Contact.__table__), contacts)
        conn.execute(
            sa.insert(AppUser.__table__),
            [{"id": str(uuid.uuid4()), "tenant_id": tenant, "email": p["email"], "individual_id": p["id"]}
             for p in user_people],
        )  # fmt: skip
    return tenant, rows, users


def write_mbox(
    path: Path, n: int, people: list[dict], users: list[str], rng: random.Random
) -> tuple[int, dict[str, str | None]]:
    """About ``n`` messages in threads; returns how many were written, and the truth: address → person id or None."""
    truth: dict[str, str | None] = {}
    newcomers = [(rng.choice(FIRST), rng.choice(LAST), f"new{i}@company{i % 50}.example") for i in range(n // 20 + 1)]
    box = mailbox.mbox(path, create=True)
    written = 0
    thread = 0
    try:
        while written < n:
            thread += 1
            when = NOW - timedelta(days=rng.uniform(1, 700))
            user = rng.choice(users)
            outsiders = []
            for _ in range(rng.randint(1, 3)):
                roll = rng.random()
                index = rng.randrange(len(people))
                p = people[index]
                if roll < 0.60:
                    address, name, who = p["email"], f"{p['first_name']} {p['last_name']}", p["id"]
                elif roll < 0.75:
                    first, last, address = rng.choice(newcomers)
                    name, who = f"{first} {last}", None
                elif roll < 0.85:  # a known person at another address of their company: name + domain
                    address = f"alias{index}@{p['email'].rsplit('@', 1)[1]}"
                    name, who = f"{p['first_name']} {p['last_name']}", p["id"]
                elif roll < 0.95:
                    first, last = rng.choice(FIRST), rng.choice(LAST)
                    address = f"{rng.randint(1, 10**6)}.{fold(last)}@gmail.com"
                    name, who = f"{first} {last}", None
                else:
                    local, domain = p["email"].split("@")
                    address, name, who = f"{local}+crm@{domain}", "", p["id"]
                truth[address] = who
                outsiders.append(f"{name} <{address}>" if name else f"<{address}>")
            root = f"t{thread}@bench.example"
            for k in range(rng.randint(1, 5)):
                msg = EmailMessage()
                sender = user if k % 2 == 0 else outsiders[0]
                msg["From"] = sender
                msg["To"] = ", ".join(outsiders if sender == user else [user])
                if len(outsiders) > 1 and sender != user:
                    msg["Cc"] = ", ".join(outsiders[1:])
                msg["Subject"] = ("Re: " if k else "") + f"Thread {thread}"
                msg["Date"] = format_datetime(when + timedelta(hours=k))
                msg["Message-ID"] = f"<{root}>" if k == 0 else f"<t{thread}.{k}@bench.example>"
                if k:
                    msg["References"] = f"<{root}>"
                msg.set_content("Hello\n")
                box.add(msg.as_bytes())
                written += 1
            if rng.random() < 0.05:
                news = EmailMessage()
                news["From"] = "News <news@lists.example>"
                news["To"] = user
                news["Subject"] = "Digest"
                news["Date"] = format_datetime(when)
                news["Message-ID"] = f"<news{thread}@lists.example>"
                news["List-Id"] = "<news.lists.example>"
                news.set_content("news\n")
                box.add(news.as_bytes())
                written += 1
        box.flush()
    finally:
        box.close()
    return written, truth


def write_calendar(path: Path, n: int, people: list[dict], users: list[str], rng: random.Random) -> None:
    cal = icalendar.Calendar()
    cal.add("PRODID", "-//kgcrm bench//EN")
    cal.add("VERSION", "2.0")
    for i in range(n):
        event = icalendar.Event()
        event.add("UID", f"e{i}@bench.example")
        event.add("SUMMARY", f"Meeting {i}")
        event.add("DTSTAMP", NOW)
        event.add("DTSTART", NOW - timedelta(days=rng.uniform(1, 600), hours=rng.randint(0, 8)))
        if i % 10 == 0:
            event.add("RRULE", {"FREQ": "WEEKLY", "COUNT": 20})
        event.add("ORGANIZER", icalendar.vCalAddress(f"mailto:{rng.choice(users)}"))
        for p in rng.sample(people, rng.randint(1, 3)):
            attendee = icalendar.vCalAddress(f"mailto:{p['email']}")
            attendee.params["CN"] = f"{p['first_name']} {p['last_name']}"
            event.add("ATTENDEE", attendee)
        cal.add_component(event)
    path.write_bytes(cal.to_ical())


def read_only(path: Path, parser_policy: policy.Policy) -> int:
    """Read every message's headers with ``parser_policy``; with ``policy.default``, decode the ones ingestion reads."""
    parser = BytesHeaderParser(policy=parser_policy)
    box = mailbox.mbox(path, create=False)
    count = 0
    try:
        for key in box.iterkeys():
            handle = box.get_file(key)
            msg = parser.parsebytes(handle.read(256 * 1024))
            handle.close()
            if parser_policy is policy.default:
                for name in ("From", "To", "Cc", "Subject", "Date", "Message-ID", "References", "List-Id"):
                    _ = msg.get_all(name)
            else:
                _ = list(msg.raw_items())
            count += 1
    finally:
        box.close()
    return count


#: database → matching scores of its first mail ingest (see :func:`score`).
MATCHING: dict[str, dict[str, tuple[int, int, int, int]]] = {}


def score(truth: dict[str, str | None], links: dict[str, str], known: set[str]) -> dict[str, tuple[int, int, int, int]]:
    """(right matches, wrong matches, missed, should match) for every address, and for the name + domain ones."""
    out: dict[str, tuple[int, int, int, int]] = {}
    for kind in ("all addresses", "name + domain (alias@)"):
        right = wrong = missed = should = 0
        for address, who in truth.items():
            if kind.startswith("name") and not address.startswith("alias"):
                continue
            got = links.get(address)  # None: the address never reached the writer (counted as missed)
            if who is not None:
                should += 1
                right += got == who
                wrong += got != who and got in known
                missed += got not in known
            else:
                wrong += got in known
        out[kind] = (right, wrong, missed, should)
    return out


#: One measurement: (run name, items, unit, seconds).
Measured = tuple[str, int, str, float]


def run(label: str, engine: sa.Engine, args: argparse.Namespace, work: Path) -> list[Measured]:
    rng = random.Random(args.seed)
    upgrade(engine)
    tenant, people, users = seed(engine, args.people, rng)
    mbox, ics = work / "bench.mbox", work / "bench.ics"
    mbox.unlink(missing_ok=True)  # mailbox.mbox appends to an existing file
    _, truth = write_mbox(mbox, args.messages, people, users, random.Random(args.seed + 1))
    write_calendar(ics, args.events, people, users, random.Random(args.seed + 2))
    measured: list[Measured] = []
    for name, parser_policy in (
        ("mail: floor, headers split only (compat32)", policy.compat32),
        ("mail: naive reader, every header via policy.default", policy.default),
    ):
        with common.stopwatch() as t:
            count = read_only(mbox, parser_policy)
        measured.append((name, count, "msgs", t[0]))
    for name in ("mail: first ingest", "mail: re-ingest"):
        report = ingest_mail(engine, tenant, mbox)
        changed = f"{sum(report.created.values()):,} rows created, {sum(report.updated.values()):,} updated"
        measured.append((f"{name} ({changed})", report.items_read, "msgs", report.elapsed_s))
        if name.endswith("first ingest"):
            MATCHING[label] = score(truth, report.links, {p["id"] for p in people})
    for name in ("calendar: first ingest", "calendar: re-ingest"):
        report = ingest_calendar(engine, tenant, ics, until=NOW)
        changed = f"{sum(report.created.values()):,} rows created, {sum(report.updated.values()):,} updated"
        measured.append((f"{name} ({changed})", report.notes["meeting occurrences"], "meetings", report.elapsed_s))
    return measured


def sqlite_engines(work: Path, repeat: int) -> Iterator[sa.Engine]:
    for i in range(repeat):
        engine = make_engine(f"sqlite:///{work / f'crm-{i}.sqlite3'}")
        try:
            yield engine
        finally:
            engine.dispose()


def postgres_engines(url: str, repeat: int) -> Iterator[sa.Engine]:
    admin = make_engine(url)
    try:
        for _ in range(repeat):
            schema = f"kgcrm_bench_{uuid.uuid4().hex[:8]}"
            with admin.begin() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            engine = make_engine(url, search_path=schema)
            try:
                yield engine
            finally:
                engine.dispose()
                with admin.begin() as conn:
                    conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs per database (fresh each time); medians shown")
    parser.add_argument("--postgres", help="a PostgreSQL URL: also run there (in a fresh schema)")
    args = parser.parse_args()
    header = ["database", "run", "input", "time (median)", "per second", "min … max s"]
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        databases: list[tuple[str, Iterator[sa.Engine]]] = [("SQLite", sqlite_engines(work, args.repeat))]
        if args.postgres:
            databases.append(("PostgreSQL", postgres_engines(args.postgres, args.repeat)))
        for label, engines in databases:
            runs = []
            for i, engine in enumerate(engines, start=1):
                common.console.print(f"{label}: run {i} of {args.repeat}…")
                runs.append(run(label, engine, args, work))
            for measurements in zip(*runs, strict=True):
                name, count, unit, _ = measurements[0]
                times = sorted(m[3] for m in measurements)
                median = statistics.median(times)
                rows.append(
                    [label, name, f"{count:,} {unit}", f"{median:.1f} s", f"{count / median:,.0f}",
                     f"{times[0]:.1f} … {times[-1]:.1f}"]
                )  # fmt: skip
    common.print_table("Ingestion throughput", header, rows)
    match_header = ["database", "addresses", "matched right", "matched wrong", "missed", "precision", "recall"]
    match_rows = []
    for label, scores in MATCHING.items():
        for kind, (right, wrong, missed, should) in scores.items():
            precision = right / (right + wrong) if right + wrong else 1.0
            recall = right / should if should else 1.0
            match_rows.append(
                [label, kind, f"{right:,}", f"{wrong:,}", f"{missed:,}", f"{precision:.4f}", f"{recall:.4f}"]
            )
    common.print_table("Matching against the generator's truth", match_header, match_rows)
    body = (
        f"## Ingestion: `kgcrm ingest mail|calendar` (bench/ingest_mail.py)\n\n"
        f"{datetime.now(UTC):%Y-%m-%d}, {common.machine()}. {args.messages:,} messages requested, "
        f"{args.events:,} meetings (one in ten weekly x 20), a tenant of {args.people:,} people; "
        f"{args.repeat} runs per database, each on a fresh database; per second = messages (or meeting "
        f"occurrences) per wall-clock second of the whole run (read, thread, match, write), at the median.\n\n"
        + common.markdown_table(header, rows)
        + "\n\nMatching (the last run's first mail ingest) against the generator's truth, each distinct address"
        " once. A newcomer whose random name is that of a known person at that person's company is counted as a"
        " wrong match (namesakes at one company are indistinguishable without more than a name); an alias whose"
        " name two people at its company share is missed (ambiguous: a new person).\n\n"
        + common.markdown_table(match_header, match_rows)
    )
    common.record_results("ingest", body)


if __name__ == "__main__":
    main()
