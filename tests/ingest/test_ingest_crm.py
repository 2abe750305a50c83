"""Ingesting into the relational CRM (SQLite and PostgreSQL): rows, matching, idempotency, bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from kgcrm.ingest.directory import Directory
from kgcrm.ingest.pipeline import ingest_calendar, ingest_mail
from kgcrm.ingest.records import Address
from tests.ingest import fixtures as fx
from tests.ingest.truth import participants, person_of, score_matching


@pytest.fixture
def world(rows):
    return fx.seed_world(rows)


@pytest.fixture(scope="module")
def mbox(tmp_path_factory):
    return fx.write_mbox(tmp_path_factory.mktemp("mail") / "inbox.mbox")


@pytest.fixture(scope="module")
def ics(tmp_path_factory):
    return fx.write_calendar(tmp_path_factory.mktemp("cal") / "calendar.ics")


def test_mail_creates_one_interaction_per_thread_with_its_people(engine, rows, world, mbox):
    report = ingest_mail(engine, world.tenant, mbox, user_id=world.ann_user)

    got = participants(rows, world.tenant, "email")
    expected = {
        thread: {person_of(rows, world, e, fx.EXPECTED[e]): role for e, role in people.items()}
        for thread, people in fx.EXPECTED_THREADS.items()
    }
    assert got == expected
    assert report.created["interaction"] == len(fx.EXPECTED_THREADS)
    assert rows.scalar("SELECT count(*) FROM interaction WHERE kind = 'email' AND summary IS NULL") == 10


def test_new_people_organizations_and_contacts_are_flagged_and_audited(engine, rows, world, mbox):
    report = ingest_mail(engine, world.tenant, mbox, user_id=world.ann_user)

    new_people = {
        r.email: (r.first_name, r.last_name)
        for r in rows.execute("SELECT email, first_name, last_name FROM individual WHERE source = 'email'")
    }
    assert new_people == {
        "ben@us.example": ("Ben", "Ortiz"),
        "hank@strickland.com": ("Hank", "Hill"),
        "ivy@northwind.com": ("Ivy", "Chen"),
        "eve.park@gmail.com": ("Eve", "Park"),
        "frank.moss@piedpiper.com": ("Frank", "Moss"),
        "j.smith@contoso.com": ("John", "Smith"),
        "jose@mueller-ag.de": ("José", "Müller"),
        "nora@strickland.com": ("Nora", "Fox"),
        "lena@strickland.com": ("Lena", "Ortiz"),
    }
    orgs = {r.domain: r.name for r in rows.execute("SELECT domain, name FROM organization WHERE source = 'email'")}
    assert orgs == {
        "strickland.com": "Strickland",
        "piedpiper.com": "Piedpiper",
        "contoso.com": "Contoso",
        "mueller-ag.de": "Mueller Ag",
    }
    contacts = {
        r.email: r.domain
        for r in rows.execute(
            "SELECT c.email, o.domain FROM contact c JOIN organization o ON o.id = c.organization_id "
            "WHERE c.created_by IS NOT NULL"
        )
    }
    assert contacts == {  # no organization for gmail.com, none for our own team
        "hank@strickland.com": "strickland.com",
        "nora@strickland.com": "strickland.com",
        "lena@strickland.com": "strickland.com",
        "ivy@northwind.com": "northwind.com",  # the organization that was there
        "frank.moss@piedpiper.com": "piedpiper.com",
        "j.smith@contoso.com": "contoso.com",
        "jose@mueller-ag.de": "mueller-ag.de",
    }
    assert report.created["individual"] == 9
    assert report.updated["app_user (linked to its person)"] == 1
    ben = rows.scalar("SELECT individual_id FROM app_user WHERE id = :u", u=world.ben_user)
    assert rows.scalar("SELECT email FROM individual WHERE id = :i", i=ben) == "ben@us.example"
    for table in ("individual", "organization", "contact", "interaction", "interaction_participant"):
        audited = rows.scalar(
            f"SELECT count(*) FROM {table} WHERE created_by = :u AND updated_by = :u",  # noqa: S608
            u=world.ann_user,
        )
        assert audited == report.created[table], table


def test_matching_precision_and_recall_on_the_planted_truth(engine, rows, world, mbox, ics):
    mail_report = ingest_mail(engine, world.tenant, mbox)
    calendar_report = ingest_calendar(engine, world.tenant, ics, until=fx.UNTIL)

    links = {**mail_report.links, **calendar_report.links}
    assert {e: links[e] for e in fx.EXPECTED} == {e: person_of(rows, world, e, k) for e, k in fx.EXPECTED.items()}
    score = score_matching(rows, world, fx.EXPECTED, links)
    assert (score.precision, score.recall, score.should_match) == (1.0, 1.0, 6)
    name_domain = score_matching(rows, world, {e: fx.EXPECTED[e] for e in fx.NAME_DOMAIN | fx.NAME_TRAPS}, links)
    assert (name_domain.true_matches, name_domain.wrong_matches, name_domain.missed) == (2, 0, 0)
    assert mail_report.matched["by name + domain"] == 2


def test_reingesting_changes_nothing(engine, rows, world, mbox, ics):
    ingest_mail(engine, world.tenant, mbox, user_id=world.ann_user)
    ingest_calendar(engine, world.tenant, ics, until=fx.UNTIL)
    before = rows.last_seq()

    again_mail = ingest_mail(engine, world.tenant, mbox, user_id=world.ann_user)
    again_calendar = ingest_calendar(engine, world.tenant, ics, until=fx.UNTIL)

    assert rows.last_seq() == before
    assert again_mail.changed_rows == again_calendar.changed_rows == 0
    assert again_mail.unchanged["interaction"] == 10 and again_calendar.unchanged["interaction"] == 5
    assert again_mail.matched["by e-mail"] > 0


def test_new_replies_update_the_same_thread(engine, rows, world, tmp_path):
    items = fx.messages(big_attachment=False)
    ingest_mail(engine, world.tenant, fx.write_mbox(tmp_path / "first.mbox", items[:1]))
    first = rows.scalar("SELECT occurred_at FROM interaction WHERE external_id = 't1-m1@us.example'")

    report = ingest_mail(engine, world.tenant, fx.write_mbox(tmp_path / "later.mbox", items[1:3]))

    assert rows.scalar("SELECT count(*) FROM interaction WHERE source = 'email'") == 1
    assert report.updated["interaction"] == 1 and report.created["interaction"] == 0
    assert rows.timestamp("interaction", "occurred_at", "t1-m1@us.example", key="external_id") > fx.T0
    assert first is not None
    roles = participants(rows, world.tenant, "email")["t1-m1@us.example"]
    assert roles[world.people["carla"]] == "from"  # was "to" after the first message: the stronger role wins
    assert roles[world.people["robert"]] == "cc"  # Bob, by name + domain


def test_calendar_creates_one_interaction_per_occurrence(engine, rows, world, ics):
    report = ingest_calendar(engine, world.tenant, ics, user_id=world.ann_user, until=fx.UNTIL)

    got = participants(rows, world.tenant, "calendar")
    assert set(got) == set(fx.EXPECTED_MEETINGS)
    ann, carla = world.people["ann"], world.people["carla"]
    assert got["weekly-sync@us.example#20260105T090000Z"] == {ann: "organizer", carla: "attendee"}
    kim = rows.scalar("SELECT id FROM individual WHERE email = 'kim@newco.io' AND source = 'calendar'")
    assert got["kickoff@northwind.com"] == {carla: "organizer", ann: "attendee", kim: "attendee"}
    moved = rows.timestamp("interaction", "occurred_at", "weekly-sync@us.example#20260119T090000Z", key="external_id")
    assert moved == datetime(2026, 1, 19, 14, 0, tzinfo=UTC)
    assert rows.scalar("SELECT source FROM organization WHERE domain = 'newco.io'") == "calendar"
    assert report.created["interaction"] == 5 and report.skipped["cancelled meeting"] == 2


def test_with_bodies_keeps_an_excerpt(engine, rows, world, mbox):
    ingest_mail(engine, world.tenant, mbox, with_bodies=True)

    assert rows.scalar("SELECT summary FROM interaction WHERE external_id = 't4@gmail.com'") == "Hello, see below."


def test_rows_the_crm_refuses_are_reported_and_the_run_goes_on(engine, rows, world, mbox):
    other_tenant = rows.tenant()
    stranger = rows.insert("app_user", tenant_id=other_tenant, email="x@other.example")

    report = ingest_mail(engine, world.tenant, mbox, user_id=stranger, chunk_size=4)

    assert report.skipped["refused by the CRM"] == 10
    assert sum("tenant isolation" in p.problem for p in report.problems) == 10
    assert rows.scalar("SELECT count(*) FROM interaction") == 0


def test_change_capture_logs_every_ingested_row(engine, rows, world, mbox):
    before = rows.last_seq()

    report = ingest_mail(engine, world.tenant, mbox)

    logged = [c for c in rows.changes(before) if c[3] == world.tenant]
    assert len(logged) == report.changed_rows
    assert {c[0] for c in logged} >= {"interaction", "interaction_participant", "individual", "organization"}


# --- the directory's rules, with a stub candidate source ------------------------------------------------


class StubNames:
    def __init__(self, ids):
        self.ids = ids

    def candidates(self, name, tenant_id):
        return self.ids


def _directory(engine, tenant) -> Directory:
    with engine.connect() as conn:
        return Directory.load(conn, tenant)


def test_a_resolver_candidate_needs_the_same_name_and_domain(engine, rows, world):
    directory = _directory(engine, world.tenant)
    frank, eve = world.people["frank"], world.people["eve"]

    # Frank Moss is a candidate, but at hooli.com: no match at piedpiper.com
    assert directory.match(Address("frank@piedpiper.com", "Frank Moss"), StubNames([frank])).individual_id is None
    # Same domain, other name: no match
    assert directory.match(Address("e.p@hooli.com", "Eve Park"), StubNames([frank, eve])).individual_id is None
    # Same name and domain: match
    found = directory.match(Address("fmoss@hooli.com", "Frank Moss"), StubNames([frank, eve]))
    assert (found.individual_id, found.rule) == (frank, "name_domain")


def test_namesakes_at_one_domain_are_ambiguous(engine, rows, world):
    found = _directory(engine, world.tenant).match(Address("js@contoso.com", "John Smith"))

    assert found.individual_id is None and found.ambiguous


def test_team_members_are_matched_by_their_user_email(engine, rows, world):
    directory = _directory(engine, world.tenant)

    ann = directory.match(Address("ann+x@us.example", ""))
    ben = directory.match(Address("ben@us.example", ""))

    assert (ann.individual_id, ann.rule, ann.user_id) == (world.people["ann"], "team", world.ann_user)
    assert (ben.individual_id, ben.rule, ben.user_id, ben.link_user) == (None, "team", world.ben_user, True)


def test_a_user_without_a_person_is_linked_to_the_person_with_their_address(engine, rows, world, mbox):
    ben = rows.insert("individual", tenant_id=world.tenant, first_name="Ben", last_name="Ortiz", email="BEN@us.example")

    report = ingest_mail(engine, world.tenant, mbox)

    assert rows.scalar("SELECT individual_id FROM app_user WHERE id = :u", u=world.ben_user) == ben
    assert rows.scalar("SELECT count(*) FROM individual WHERE lower(email) = 'ben@us.example'") == 1
    assert report.links["ben@us.example"] == ben


def test_two_tenants_never_share_people(engine, rows, world, mbox):
    other = fx.seed_world(rows)

    ingest_mail(engine, world.tenant, mbox)
    ingest_mail(engine, other.tenant, mbox)

    crossing = rows.scalar(
        "SELECT count(*) FROM interaction_participant p JOIN individual i ON i.id = p.individual_id "
        "WHERE p.tenant_id <> i.tenant_id"
    )
    assert crossing == 0
    assert rows.scalar("SELECT count(*) FROM interaction WHERE tenant_id = :t", t=other.tenant) == 10
    with engine.connect() as conn:
        hank = conn.execute(sa.text("SELECT count(*) FROM individual WHERE email = 'hank@strickland.com'")).scalar()
    assert hank == 2


def test_one_meeting_in_two_calendars_of_one_file_is_one_interaction(engine, rows, world, tmp_path):
    one, two = fx.calendar(), fx.calendar()
    path = tmp_path / "two.ics"
    path.write_bytes(one.to_ical() + two.to_ical())

    report = ingest_calendar(engine, world.tenant, path, until=fx.UNTIL)

    assert rows.scalar("SELECT count(*) FROM interaction WHERE source = 'calendar'") == 5
    assert (report.created["interaction"], report.unchanged["interaction"]) == (5, 5)
