"""Reading mailboxes: threads, roles, skipped and repaired input (no database)."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime

import pytest

from kgcrm.core.errors import DataError
from kgcrm.ingest import mail
from kgcrm.ingest.records import IngestReport
from tests.ingest import fixtures as fx


def _read(path, **kw):
    report = IngestReport()
    messages = mail.deduplicate(mail.read_messages(path, report, **kw), report)
    return mail.threads(messages, report), report


@pytest.fixture(scope="module")
def mbox(tmp_path_factory):
    return fx.write_mbox(tmp_path_factory.mktemp("mail") / "inbox.mbox")


def test_threads_with_their_roles(mbox):
    signals, _ = _read(mbox)

    got = {s.external_id: {e: role for e, (_, role) in s.participants.items()} for s in signals}
    expected = {k: dict(v) for k, v in fx.EXPECTED_THREADS.items()}
    expected["t9@northwind.com"] = {  # the spellings are merged by the matcher, not the reader
        "carla@northwind.com": "from",
        "ann+crm@us.example": "to",
        "carla+crm@northwind.com": "cc",
    }
    assert got == expected


def test_a_thread_is_dated_by_its_newest_message_and_named_by_its_first(mbox):
    signals, _ = _read(mbox)
    t1 = next(s for s in signals if s.external_id == "t1-m1@us.example")

    assert t1.subject == "Proposal for Q2"
    assert t1.occurred_at == datetime(2026, 3, 15, 9, 0, tzinfo=UTC)  # the big reply, 13 days after T0
    assert t1.messages == 5
    assert t1.summary is None  # no bodies by default


def test_encoded_headers_are_decoded(mbox):
    signals, _ = _read(mbox)
    t8 = next(s for s in signals if s.external_id == "t8@mueller-ag.de")

    assert t8.subject == "Angebot für Bücher"
    assert t8.participants["jose@mueller-ag.de"][0].name == "José Müller"


def test_raw_8bit_subject_is_read_as_windows_1252_and_reported(mbox):
    signals, report = _read(mbox)

    assert next(s for s in signals if s.external_id == "latin1@strickland.com").subject == "Résumé für Ann"
    assert report.notes["broken encoding (repaired)"] == 1


def test_skipped_input_is_counted_and_reported_by_message(mbox):
    _, report = _read(mbox)

    assert report.items_read == 20
    assert report.skipped == {
        "mailing list (List-Id)": 1,
        "bulk mail (Precedence: bulk)": 1,
        "automated sender (no-reply …)": 1,
        "automated address (no-reply …)": 1,
        "no date": 1,
        "malformed": 1,
        "duplicate Message-ID": 1,
    }
    problems = {(p.field, p.skipped) for p in report.problems}
    assert {("Date", True), ("From", True), ("Message-ID", True), ("Date", False), ("size", False)} <= problems
    assert all(p.where.startswith(str(mbox) + "#") for p in report.problems)


def test_a_big_attachment_is_never_read(mbox, monkeypatch):
    reads: list[int] = []
    original = mailbox.mbox.get_file

    def get_file(self, key, from_=False):
        handle = original(self, key, from_)
        real_read = handle.read

        def read(size=-1):
            reads.append(size)
            return real_read(size)

        handle.read = read
        return handle

    monkeypatch.setattr(mailbox.mbox, "get_file", get_file)
    _read(mbox)

    assert len(reads) == 20
    assert all(0 < size <= mail.HEADER_CAP for size in reads)


def test_with_bodies_keeps_a_short_excerpt_without_quotes_or_signature(mbox):
    signals, _ = _read(mbox, with_bodies=True)
    t4 = next(s for s in signals if s.external_id == "t4@gmail.com")

    assert t4.summary == "Hello, see below."


def test_a_maildir_with_a_sent_folder_gives_the_same_threads(tmp_path, mbox):
    maildir = fx.write_maildir(tmp_path / "Maildir")

    from_maildir, report = _read(maildir)
    from_mbox, _ = _read(mbox)

    assert {s.external_id: set(s.participants) for s in from_maildir} == {
        s.external_id: set(s.participants) for s in from_mbox
    }
    assert report.items_read == 20


def test_in_reply_to_without_references_joins_the_parents_thread():
    base = dict(where="x", references=[], subject="s", date=datetime(2026, 1, 1, tzinfo=UTC))
    root = mail.MailMessage(message_id="a", parents=[], in_reply_to=None, **base)
    child = mail.MailMessage(message_id="b", parents=["a"], in_reply_to="a", **base)
    grandchild = mail.MailMessage(message_id="c", parents=["b"], in_reply_to="b", **base)
    orphan = mail.MailMessage(message_id="d", parents=["zz"], in_reply_to="zz", **base)

    assert mail.thread_keys([grandchild, child, root, orphan]) == {"a": "a", "b": "a", "c": "a", "d": "zz"}


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("Re: Fwd: AW: Budget", "Budget"), ("RE[2]: Budget", "Budget"), ("Re:", "Re:"), (None, None)],
)
def test_thread_subject(subject, expected):
    assert mail.thread_subject(subject) == expected


def test_a_missing_path_or_a_plain_directory_is_an_error(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        mail.open_mailboxes(tmp_path / "missing")
    with pytest.raises(DataError, match="not a Maildir"):
        mail.open_mailboxes(tmp_path)


def test_a_garbled_message_is_skipped_not_fatal(tmp_path):
    path = fx.write_mbox(tmp_path / "bad.mbox", [b"\x00\xff\xfe garbage without headers", *fx.messages()[:2]])

    signals, report = _read(path)

    assert [s.external_id for s in signals] == ["t1-m1@us.example"]
    assert report.skipped["malformed"] == 1


def test_an_encoded_word_inside_an_address_is_decoded_and_reported(tmp_path):
    msg = fx._message(
        "utf8-local@x.example", "Hiro Müller <hiro.müller@firma.example>", ["ann@us.example"], "Hi", fx.T0
    )
    assert b"=?utf-8?q?m=C3=BCller?=" in msg.as_bytes()  # what Python's own email package writes

    signals, report = _read(fx.write_mbox(tmp_path / "utf8.mbox", [msg]))

    assert set(signals[0].participants) == {"hiro.müller@firma.example", "ann@us.example"}
    assert report.notes["broken encoding (repaired)"] == 1
