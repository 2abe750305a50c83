"""Reading mbox files and Maildir folders into :class:`~kgcrm.ingest.records.Signal` threads.

Only the headers are read by default: at most :data:`HEADER_CAP` bytes of a message,
so a message with a 50 MB attachment costs no more than a short one (its size is
measured, not read, and reported). ``with_bodies`` reads up to :data:`BODY_CAP` bytes and
keeps a short plain-text excerpt (quoted lines and signature dropped).

The thread model (one ``interaction`` per thread):

- a message's **thread key** is the first Message-ID of its ``References`` (the thread's
  root, RFC 5322 §3.6.4), else its ``In-Reply-To`` parent's thread key (the parent's own
  key when the parent is in this run, else the parent's id), else its own Message-ID.
  The key of a message never depends on which other messages a run sees, except for
  clients that send ``In-Reply-To`` without ``References``, which is followed through the
  messages of the run only;
- the interaction's ``external_id`` is that key, ``occurred_at`` the thread's newest
  message (the latest contact, which the strength scores' recency reads), ``subject`` the
  oldest message's subject without ``Re:``/``Fwd:`` prefixes;
- participants are the union over the thread's messages: From → ``from``, To → ``to``,
  Cc and Bcc → ``cc``; a person with several roles keeps the strongest
  (from > to > cc).

Skipped and counted, never raised: mailing lists and bulk mail (:func:`bulk_reason`),
automated senders (no-reply …), messages without a usable From or date (the topmost
``Received`` header's date stands in for a missing ``Date``), duplicate Message-IDs,
and messages the parser cannot read. Repaired and reported: undecodable 8-bit
headers (read as Windows-1252), broken encoded words, no Message-ID (a stable id is
derived from From, Date and Subject), huge messages.
"""

from __future__ import annotations

import email.utils
import hashlib
import mailbox
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path
from typing import Any, BinaryIO

from kgcrm.core.errors import DataError
from kgcrm.crm.models import InteractionKind, InteractionSource, ParticipantRole
from kgcrm.ingest.addresses import automated_address, bulk_reason, normalize_email
from kgcrm.ingest.records import Address, IngestReport, Problem, Signal

#: Bytes of a message read for its headers.
HEADER_CAP = 256 * 1024
#: Bytes of a message read when bodies are kept (for the excerpt).
BODY_CAP = 1024 * 1024
#: A message larger than this is reported (its attachments are never read).
LARGE_MESSAGE = 10 * 1024 * 1024
#: Characters of body text kept as the interaction's summary with ``with_bodies``.
EXCERPT_CHARS = 280

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|antw)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_ADDRESS_ROLES = (
    ("from", ParticipantRole.FROM.value),
    ("to", ParticipantRole.TO.value),
    ("cc", ParticipantRole.CC.value),
    ("bcc", ParticipantRole.CC.value),
)

Tick = Callable[[int], None]


@dataclass
class MailMessage:
    """The metadata of one message."""

    where: str  # "<mailbox file>#<key>"
    message_id: str
    parents: list[str]  # References (root first), then In-Reply-To
    references: list[str]
    in_reply_to: str | None
    subject: str | None
    date: datetime
    addresses: list[tuple[Address, str]] = field(default_factory=list)  # (address, role)
    excerpt: str | None = None


# --- opening mailboxes ------------------------------------------------------------------------------


def open_mailboxes(path: Path) -> list[tuple[str, mailbox.Mailbox[Any]]]:
    """The mailboxes at ``path``: an mbox file, or a Maildir (with its Maildir++ subfolders)."""
    if path.is_file():
        return [(str(path), mailbox.mbox(path, factory=None, create=False))]
    if path.is_dir() and all((path / sub).is_dir() for sub in ("cur", "new")):
        root = mailbox.Maildir(path, factory=None, create=False)
        found: list[tuple[str, mailbox.Mailbox[Any]]] = [(str(path), root)]
        for name in sorted(root.list_folders()):
            found.append((f"{path}/.{name}", root.get_folder(name)))
        return found
    if path.is_dir():
        raise DataError(f"{path}: a directory but not a Maildir (no cur/ and new/ inside)", field="path")
    raise DataError(f"{path}: no such file or directory", field="path")


def count_messages(path: Path) -> int:
    """How many messages the mailboxes at ``path`` hold (for the progress bar)."""
    total = 0
    for _, box in open_mailboxes(path):
        try:
            total += len(box)
        finally:
            box.close()
    return total


# --- reading messages --------------------------------------------------------------------------------


def read_messages(
    path: Path, report: IngestReport, *, with_bodies: bool = False, tick: Tick | None = None
) -> Iterator[MailMessage]:
    """Every readable, non-bulk message of the mailboxes at ``path``; the rest goes to ``report``.

    Duplicate Message-IDs are not removed here: see :func:`deduplicate`.
    """
    for name, box in open_mailboxes(path):
        try:
            for key in box.iterkeys():
                report.items_read += 1
                where = f"{name}#{key}"
                try:
                    message = _read_one(box, key, where, report, with_bodies)
                except Exception as exc:  # the parser's many failure modes: skip the message, never the run
                    report.problem(Problem(where, "message", f"unreadable: {type(exc).__name__}: {exc}"), "unreadable")
                    message = None
                if message is not None:
                    yield message
                if tick is not None:
                    tick(1)
        finally:
            box.close()


def deduplicate(messages: Iterable[MailMessage], report: IngestReport) -> list[MailMessage]:
    """One message per Message-ID: the oldest (by date, then by reading order); the others are reported.

    Maildir folders have no order, so "the first one read" would not be a stable choice.
    """
    kept: dict[str, MailMessage] = {}
    dropped: list[tuple[MailMessage, MailMessage]] = []
    for message in messages:
        first = kept.get(message.message_id)
        if first is None:
            kept[message.message_id] = message
        elif message.date < first.date:
            kept[message.message_id] = message
            dropped.append((first, message))
        else:
            dropped.append((message, first))
    for duplicate, original in dropped:
        report.problem(
            Problem(duplicate.where, "Message-ID", f"duplicate <{duplicate.message_id}> (kept {original.where})"),
            "duplicate Message-ID",
        )
    return list(kept.values())


def _read_one(
    box: mailbox.Mailbox[Any], key: str, where: str, report: IngestReport, with_bodies: bool
) -> MailMessage | None:
    handle: BinaryIO = box.get_file(key)
    try:
        raw = handle.read(BODY_CAP if with_bodies else HEADER_CAP)
        handle.seek(0, 2)
        size = handle.tell()
    finally:
        handle.close()
    if not re.search(rb"\r?\n\r?\n", raw) and size > len(raw):
        report.problem(Problem(where, "headers", f"header section larger than {HEADER_CAP // 1024} KiB"), "malformed")
        return None
    if size > LARGE_MESSAGE:
        report.problem(
            Problem(where, "size", f"{size / 2**20:.0f} MiB message: headers only, attachments not read", False),
            "large message (attachments not read)",
        )
    headers = _Headers(_HEADER_PARSER.parsebytes(raw), where, report)
    bulk = bulk_reason({name: headers.text(name) for name in _BULK_HEADERS})
    if bulk is not None:
        report.skipped[bulk] += 1
        return None
    addresses = _addresses(headers, report)
    senders = [a for a, role in addresses if role == ParticipantRole.FROM.value]
    if not senders:
        if headers.automated_sender:
            report.skipped["automated sender (no-reply …)"] += 1
        else:
            report.problem(Problem(where, "From", "no usable sender address"), "malformed")
        return None
    date = _date(headers, where, report)
    if date is None:
        return None
    subject = headers.text("subject")
    references = _MESSAGE_ID.findall(headers.text("references") or "")
    in_reply_to = next(iter(_MESSAGE_ID.findall(headers.text("in-reply-to") or "")), None)
    message_id = next(iter(_MESSAGE_ID.findall(headers.text("message-id") or "")), None)
    if message_id is None:
        digest = hashlib.sha1(f"{senders[0].email}|{date.isoformat()}|{subject or ''}".encode(), usedforsecurity=False)
        message_id = f"kgcrm-{digest.hexdigest()[:32]}@ingest.invalid"
        report.notes["no Message-ID (id derived from From, Date, Subject)"] += 1
    parents = [*references, *([in_reply_to] if in_reply_to else [])]
    excerpt = _excerpt(raw, where, report) if with_bodies else None
    return MailMessage(where, message_id, parents, references, in_reply_to, subject, date, addresses, excerpt)


def clean_text(value: str) -> tuple[str, bool]:
    """Text safe for any database: raw 8-bit bytes (surrogates) decoded as UTF-8, else Windows-1252; no NULs.

    Returns the text and whether it had to be repaired.
    """
    repaired = False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        data = value.encode("utf-8", "surrogateescape")
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            value = data.decode("cp1252", errors="replace")
        repaired = True
    if "\x00" in value:
        value, repaired = value.replace("\x00", ""), True
    return value, repaired


#: Splits the header section into raw (name, value) pairs; values are decoded on demand (:class:`_Headers`).
_HEADER_PARSER = BytesHeaderParser(policy=policy.compat32)
_BULK_HEADERS = ("list-id", "list-unsubscribe", "precedence", "auto-submitted")
_NEEDS_DECODING = re.compile(r"=\?|[^\x00-\x7f]")


class _Headers:
    """A message's raw headers, decoded the way ``email.policy.default`` does, only where needed.

    Plain ASCII headers are read directly (``email.utils``); a header with an encoded word
    (RFC 2047) or 8-bit text goes through ``policy.default.header_factory``, the same code
    ``email.policy.default`` runs on every header (a fifth of the cost when most headers
    are plain). Raw 8-bit bytes are decoded as UTF-8, else Windows-1252, and reported.
    """

    def __init__(self, msg: Message, where: str, report: IngestReport) -> None:
        self.where = where
        self.report = report
        self.raw: dict[str, list[str]] = {}
        for name, value in msg.raw_items():
            self.raw.setdefault(name.lower(), []).append(value)
        self.automated_sender = False

    def _unfolded(self, name: str, value: str) -> str:
        text, repaired = clean_text(" ".join(str(value).split()))
        if repaired:
            self.report.problem(
                Problem(self.where, name.title(), "undecodable 8-bit text, read as Windows-1252", False),
                "broken encoding (repaired)",
            )
        return text

    def text(self, name: str) -> str | None:
        """The first ``name`` header, decoded; ``None`` when absent."""
        values = self.raw.get(name)
        if not values:
            return None
        text = self._unfolded(name, values[0])
        if "=?" not in text:
            return text
        try:
            header = policy.default.header_factory(name, text)
        except Exception as exc:  # a header the policy cannot parse: keep its text
            self.report.problem(
                Problem(self.where, name.title(), f"unparsable ({type(exc).__name__}); raw text kept", False),
                "bad header",
            )
            return text
        if header.defects and name == "subject":
            self.report.problem(
                Problem(self.where, "Subject", "broken encoded word, kept as is", False), "broken encoding (repaired)"
            )
        decoded, _ = clean_text(" ".join(str(header).split()))
        return decoded

    def addresses(self, name: str) -> list[tuple[str, str]]:
        """(display name, address) of every ``name`` header."""
        pairs: list[tuple[str, str]] = []
        for value in self.raw.get(name, ()):
            text = self._unfolded(name, value)
            if not _NEEDS_DECODING.search(text):
                pairs += email.utils.getaddresses([text])
                continue
            try:
                header = policy.default.header_factory(name, text)
                pairs += [(a.display_name, a.addr_spec) for a in header.addresses]  # type: ignore[attr-defined]
            except Exception as exc:  # unparsable address list: the lenient parser
                self.report.problem(
                    Problem(self.where, name.title(), f"unparsable ({type(exc).__name__}); read leniently", False),
                    "bad header",
                )
                pairs += email.utils.getaddresses([text])
        return pairs

    def first(self, name: str) -> list[str]:
        return [self._unfolded(name, v) for v in self.raw.get(name, ())]


def _addresses(headers: _Headers, report: IngestReport) -> list[tuple[Address, str]]:
    found: list[tuple[Address, str]] = []
    for header, role in _ADDRESS_ROLES:
        for display, spec in headers.addresses(header):
            if "=?" in spec:  # an encoded word inside the address (not allowed, but Python's own email writes it)
                spec = _decode_words(spec, headers, header)
            address = normalize_email(spec)
            if address is None:
                if spec:
                    report.problem(
                        Problem(headers.where, header.title(), f"not an e-mail address: {spec!r}", False),
                        "bad address",
                    )
                continue
            if automated_address(address):
                if role == ParticipantRole.FROM.value:
                    headers.automated_sender = True
                else:
                    report.skipped["automated address (no-reply …)"] += 1
                continue
            found.append((Address(address, clean_text(" ".join((display or "").split()))[0]), role))
    return found


_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[qQbB]\?[^?\s]*\?=")


def _decode_words(spec: str, headers: _Headers, header: str) -> str:
    """``hiro.=?utf-8?q?m=C3=BCller?=@x.example`` → ``hiro.müller@x.example`` (reported)."""

    def decode(found: re.Match[str]) -> str:
        try:
            return str(make_header(decode_header(found.group(0))))
        except Exception:  # an undecodable word stays as written
            return found.group(0)

    decoded = _ENCODED_WORD.sub(decode, spec)
    if decoded != spec:
        headers.report.problem(
            Problem(headers.where, header.title(), f"encoded word inside the address {spec!r}, decoded", False),
            "broken encoding (repaired)",
        )
    return decoded


def _parse_date(text: str) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _date(headers: _Headers, where: str, report: IngestReport) -> datetime | None:
    stated = headers.text("date")
    when = _parse_date(stated) if stated else None
    if when is None:
        for received in headers.first("received"):
            when = _parse_date(received.rpartition(";")[2].strip())
            if when is not None:
                report.problem(
                    Problem(where, "Date", "missing or unparsable; the Received date is used", False),
                    "no Date (Received used)",
                )
                break
    if when is None:
        report.problem(Problem(where, "Date", "missing or unparsable, and no Received date"), "no date")
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _excerpt(raw: bytes, where: str, report: IngestReport) -> str | None:
    try:
        msg: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[assignment]
        part = msg.get_body(preferencelist=("plain",))
        text = part.get_content() if part is not None else None
    except Exception as exc:  # a body in an unknown charset or a broken transfer encoding
        report.problem(Problem(where, "body", f"undecodable ({type(exc).__name__}); no excerpt", False), "bad body")
        return None
    if not isinstance(text, str):
        return None
    lines = []
    for line in text.splitlines():
        if line.strip() == "--":
            break  # the signature
        if line.lstrip().startswith(">") or (line.startswith("On ") and line.rstrip().endswith("wrote:")):
            continue
        lines.append(line)
    words = " ".join(" ".join(lines).split())
    words, _ = clean_text(words)
    if not words:
        return None
    return words if len(words) <= EXCERPT_CHARS else words[: EXCERPT_CHARS - 1].rstrip() + "…"


# --- threads ------------------------------------------------------------------------------------------


def thread_subject(subject: str | None) -> str | None:
    """The subject without reply and forward prefixes ("Re: Fwd: AW: Budget" → "Budget")."""
    if not subject:
        return None
    return _REPLY_PREFIX.sub("", subject).strip() or subject.strip()


def thread_keys(messages: list[MailMessage]) -> dict[str, str]:
    """Message-ID → thread key (see the module docstring)."""
    by_id = {m.message_id: m for m in messages}
    keys: dict[str, str] = {}

    def key_of(message: MailMessage, depth: int = 0) -> str:
        known = keys.get(message.message_id)
        if known is not None:
            return known
        if message.references:
            key = message.references[0]
        elif message.in_reply_to:
            parent = by_id.get(message.in_reply_to)
            key = key_of(parent, depth + 1) if parent is not None and depth < 100 else message.in_reply_to
        else:
            key = message.message_id
        keys[message.message_id] = key
        return key

    for message in messages:
        key_of(message)
    return keys


def threads(messages: list[MailMessage], report: IngestReport) -> list[Signal]:
    """One signal per thread with at least two people; oldest thread first."""
    keys = thread_keys(messages)
    grouped: dict[str, list[MailMessage]] = {}
    for message in sorted(messages, key=lambda m: m.date):
        grouped.setdefault(keys[message.message_id], []).append(message)
    signals = []
    for key, members in grouped.items():
        signal = Signal(
            kind=InteractionKind.EMAIL.value,
            source=InteractionSource.EMAIL.value,
            external_id=key,
            subject=thread_subject(next((m.subject for m in members if m.subject), None)),
            occurred_at=members[-1].date,
            summary=next((m.excerpt for m in members if m.excerpt), None),
            messages=len(members),
        )
        for message in members:
            for address, role in message.addresses:
                signal.add(address, role)
        if len(signal.participants) < 2:
            report.skipped["thread with fewer than two people"] += 1
            continue
        signals.append(signal)
    return signals
