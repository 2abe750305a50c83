"""Parsing a mention: what the words say about the entity they name.

:func:`parse_mention` turns free text such as "Bob at Acme", "priya@northwind.io",
"the robotics startup in Austin", "Priya from the Northwind deal" or "the company
we met last week" into a :class:`Mention`: the entity's own name words, an exact
key (e-mail, domain), the organization or deal named beside it (the *context*), a
time window and the kind of interaction (met → meeting, called → call), a type
hint (company → Organization, who → Person, deal → Lead), descriptive words and a
location. Pure: no I/O; "now" is passed in, so relative times are testable.

Rules, in order (each removes what it recognised from the text):

1. an e-mail address is an exact key (its domain becomes one too);
2. time phrases become a :class:`TimeWindow` in UTC, relative to ``now``: today,
   yesterday, this/last week (calendar weeks, Monday first), this/last month, this/
   last year, "in March" (the latest March not after this month), "on Monday",
   "3 days ago", "2 weeks ago", "in the last 10 days", "recently" (30 days);
3. interaction verbs: met → meeting, called/phoned → call, emailed → email,
   messaged/texted → message; talked to, spoke with, saw → any kind;
4. "who"/"person"… make a Person, "company"/"startup"… an Organization,
   "deal"/"opportunity" a Lead, "account" an Account;
5. "X at Y", "X from Y", "X @ Y", "Y's X" and "X (Y)" name the context Y; "the Y
   deal" makes it a deal;
6. "the robotics startup in Austin" (an article, describing words, a type noun)
   is a description, "in Austin" a location;
7. what remains is the name; a bare domain or URL is a domain key.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

#: Longer input is cut: nobody names an entity in more words.
MAX_MENTION_CHARS = 300

ORGANIZATION_NOUNS = frozenset(
    {
        "company", "companies", "organization", "organisation", "org", "firm", "startup", "start-up", "business",
        "vendor", "customer", "client", "supplier", "agency", "manufacturer", "retailer", "brand", "lab", "studio",
        "fund", "bank", "shop", "team", "provider", "partner", "employer", "corporation", "enterprise", "group",
    }
)  # fmt: skip
PERSON_NOUNS = frozenset(
    {"person", "people", "guy", "woman", "man", "lady", "contact", "someone", "somebody", "one", "who", "whom"}
)
DEAL_NOUNS = frozenset({"deal", "deals", "opportunity", "opportunities", "lead", "renewal", "pipeline", "project"})
ACCOUNT_NOUNS = frozenset({"account"})

_STOPWORDS = frozenset(
    {"the", "a", "an", "that", "this", "our", "my", "their", "we", "i", "you", "they", "which", "who", "whom", "in",
     "at", "from", "with", "to", "of", "and", "or", "for", "on", "about", "is", "was", "were", "are"}
)  # fmt: skip

#: Words of a description that say nothing about which organization it is.
_FILLERS = frozenset(
    {"makes", "make", "making", "does", "do", "doing", "builds", "build", "sells", "sell", "selling", "offers",
     "offering", "provides", "providing", "based", "known", "called", "works", "working", "one", "ones"}
)  # fmt: skip

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_DOMAIN = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,24})(?:[/?#]\S*)?$", re.I
)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
            ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
            ("november", "nov"), ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_WEEKDAYS = {d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}
_MONTH_WORDS = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMBER = r"(\d{1,3}|a|an|one|two|three|four|five|six|seven|ten)"

_VERBS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"had an? (?:call|phone call) with|called|phoned|rang|call(?:ed)? with", ("call",)),
    (r"had an? meeting with|met with|met|meeting with|meet", ("meeting",)),
    (r"emailed|e-mailed|mailed|wrote to", ("email",)),
    (r"messaged|texted|pinged|dmed", ("message",)),
    (r"talked to|talked with|spoke to|spoke with|spoken to|spoken with|saw|had lunch with|had coffee with", ()),
)
_SUBJECTS = r"(?:(?:we|i|you|they|our team)\s+)?"


@dataclass(frozen=True)
class TimeWindow:
    """A span of time: ``start`` inclusive, ``end`` exclusive, both UTC; ``label`` is how the text said it."""

    start: datetime
    end: datetime
    label: str

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class Mention:
    """What a mention says about the entity it names (see the module docstring)."""

    text: str
    name: str | None = None
    email: str | None = None
    domain: str | None = None
    context: str | None = None
    context_is_deal: bool = False
    window: TimeWindow | None = None
    interaction: bool = False  # an interaction verb or a time phrase: "we met", "last week"
    interaction_kinds: tuple[str, ...] = ()  # empty: any kind
    type_hint: str | None = None
    descriptor: tuple[str, ...] = ()
    location: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.email or self.domain or self.descriptor or self.interaction)


def clean_text(text: str) -> str:
    """NFKC, control characters dropped, whitespace collapsed, at most :data:`MAX_MENTION_CHARS`."""
    normalized = unicodedata.normalize("NFKC", text or "")
    printable = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in normalized)
    return " ".join(printable.split())[:MAX_MENTION_CHARS]


def parse_mention(text: str, *, now: datetime) -> Mention:
    """Parse ``text`` (see the module docstring); ``now`` anchors relative times (naive = UTC)."""
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    original = clean_text(text)
    work = original

    email = None
    found = _EMAIL.search(work)
    if found:
        email = found.group(0).strip(".'")
        work = _remove(work, found)
    domain = email.rsplit("@", 1)[1].lower() if email else None

    window, work = _time_window(work, now)
    kinds, verb, work = _verb(work)
    interaction = verb or window is not None

    type_hint = None
    head = work.strip(" ,.;:!?\"'[]")
    lowered = head.lower()
    if re.match(r"^(who|whom|someone|somebody)\b", lowered):
        type_hint = "Person"
        head = re.sub(r"^(who|whom|someone|somebody)\b\s*", "", head, flags=re.I)

    # context: "X at Y", "X from Y", "X @ Y", "Y's X", "X (Y)"
    context = None
    paren = re.match(r"^(.*?)\s*\(([^()]+)\)\s*$", head)
    possessive = re.match(r"^(.+?)['\u2019]s\s+(.+)$", head)
    split = re.match(r"^(.+?)\s+(?:at|from|@|of the|with the)\s+(.+)$", head, flags=re.I)
    if paren and paren.group(1).strip():
        head, context = paren.group(1), paren.group(2)
    elif split:
        head, context = split.group(1), split.group(2)
    elif possessive and not _DOMAIN.match(head):
        context, head = possessive.group(1), possessive.group(2)

    context_is_deal = False
    if context is not None:
        context_words = context.split()
        context_words = _strip_articles(context_words)
        if context_words and context_words[-1].lower().strip(".,") in DEAL_NOUNS | ACCOUNT_NOUNS:
            context_is_deal = True
            context_words = context_words[:-1]
        context = " ".join(context_words).strip(" ,.;:!?\"'") or None

    # location: "... in Austin" (the rest of the text after the last " in ")
    location = None
    loc = re.match(r"^(.*\S)\s+(?:in|based in|located in|out of)\s+([^\d].*)$", head, flags=re.I)
    if loc:
        head, location = loc.group(1), loc.group(2).strip(" ,.;:!?\"'") or None

    words = [w for w in re.split(r"\s+", head.strip()) if w]
    had_article = bool(words) and words[0].lower() in {"the", "a", "an", "that", "this", "our", "my"}
    words = _strip_articles(words)
    words = _strip_trailing(words)

    descriptor: tuple[str, ...] = ()
    lowered_words = [w.lower().strip(".,;:!?\"'") for w in words]
    if had_article and any(w in ORGANIZATION_NOUNS for w in lowered_words[:-1]):
        # "the company that makes warehouse robots": a description with a relative clause
        type_hint = type_hint or "Organization"
        descriptor = _describing(lowered_words)
        words = []
    elif lowered_words:
        noun = lowered_words[-1]
        if noun in ORGANIZATION_NOUNS:
            type_hint = type_hint or "Organization"
            if (had_article and len(words) > 1) or location:
                descriptor = _describing(lowered_words)
                words = []
            elif len(words) == 1:
                words = []
        elif noun in PERSON_NOUNS:
            type_hint = type_hint or "Person"
            words = words[:-1] if had_article or len(words) == 1 else words
        elif noun in DEAL_NOUNS:
            type_hint = type_hint or "Lead"
            words = words[:-1]
        elif noun in ACCOUNT_NOUNS and had_article:
            type_hint = type_hint or "Account"
            words = words[:-1]
    name = " ".join(words).strip(" ,;:!?\"'()[]") or None
    if name and name.lower() in _STOPWORDS:
        name = None
    if name:
        bare = _DOMAIN.match(name)
        if bare and " " not in name:
            domain = domain or bare.group(1).lower()
            label = domain.split(".")[0]
            name = label if len(label) > 2 else None
            type_hint = type_hint or "Organization"
    if email and not name:
        type_hint = type_hint or "Person"
    return Mention(
        text=original,
        name=name,
        email=email,
        domain=domain,
        context=context,
        context_is_deal=context_is_deal,
        window=window,
        interaction=interaction,
        interaction_kinds=kinds,
        type_hint=type_hint,
        descriptor=descriptor,
        location=location,
    )


# --- helpers ---------------------------------------------------------------------------------------


def _remove(text: str, match: re.Match[str]) -> str:
    return " ".join((text[: match.start()] + " " + text[match.end() :]).split())


def _describing(words: list[str]) -> tuple[str, ...]:
    """The words of a description that tell organizations apart ("AI-assisted" gives "ai", "assisted")."""
    split = [part for word in words for part in re.findall(r"[^\W_]+", word.lower())]
    return tuple(dict.fromkeys(w for w in split if w not in _STOPWORDS and w not in _FILLERS))


def _strip_articles(words: list[str]) -> list[str]:
    while words and words[0].lower() in {"the", "a", "an", "that", "this", "our", "my", "their"}:
        words = words[1:]
    return words


def _strip_trailing(words: list[str]) -> list[str]:
    while words and words[-1].lower().strip(",.;:!?") in {"we", "i", "that", "who", "whom", "which", "you", "they"}:
        words = words[:-1]
    return words


def _verb(text: str) -> tuple[tuple[str, ...], bool, str]:
    for pattern, kinds in _VERBS:
        found = re.search(rf"\b{_SUBJECTS}(?:{pattern})\b", text, flags=re.I)
        if found:
            return kinds, True, _remove(text, found)
    return (), False, text


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def _month_start(year: int, month: int) -> date:
    while month < 1:
        year, month = year - 1, month + 12
    while month > 12:
        year, month = year + 1, month - 12
    return date(year, month, 1)


def _window(start: date, end: date, label: str) -> TimeWindow:
    return TimeWindow(_day_start(start), _day_start(end), label)


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word.lower()]


def _time_window(text: str, now: datetime) -> tuple[TimeWindow | None, str]:
    today = now.date()
    week = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    rules: list[tuple[str, object]] = [
        (r"\b(?:the day before yesterday)\b", lambda m: _window(today - timedelta(2), today - timedelta(1), m)),
        (r"\byesterday\b", lambda m: _window(today - timedelta(1), today, m)),
        (r"\btoday\b|\bthis morning\b|\bthis afternoon\b", lambda m: _window(today, today + timedelta(1), m)),
        (r"\b(?:this|the current) week\b", lambda m: _window(week, week + timedelta(7), m)),
        (r"\b(?:last|the previous|previous) week\b", lambda m: _window(week - timedelta(7), week, m)),
        (r"\bthis month\b", lambda m: _window(month, _month_start(month.year, month.month + 1), m)),
        (
            r"\b(?:last|the previous|previous) month\b",
            lambda m: _window(_month_start(month.year, month.month - 1), month, m),
        ),
        (r"\bthis year\b", lambda m: _window(date(today.year, 1, 1), date(today.year + 1, 1, 1), m)),
        (r"\blast year\b", lambda m: _window(date(today.year - 1, 1, 1), date(today.year, 1, 1), m)),
        (r"\brecently\b|\blately\b", lambda m: TimeWindow(now - timedelta(days=30), now + timedelta(seconds=1), m)),
    ]
    for pattern, build in rules:
        found = re.search(pattern, text, flags=re.I)
        if found:
            return build(found.group(0).lower()), _remove(text, found)  # type: ignore[operator]

    found = re.search(rf"\b{_NUMBER}\s+(day|week|month)s?\s+ago\b", text, flags=re.I)
    if found:
        n, unit = _count(found.group(1)), found.group(2).lower()
        label = found.group(0).lower()
        if unit == "day":
            day = today - timedelta(days=n)
            return _window(day, day + timedelta(1), label), _remove(text, found)
        if unit == "week":
            start = week - timedelta(days=7 * n)
            return _window(start, start + timedelta(7), label), _remove(text, found)
        start = _month_start(month.year, month.month - n)
        return _window(start, _month_start(start.year, start.month + 1), label), _remove(text, found)

    found = re.search(rf"\b(?:in\s+)?(?:the\s+)?(?:last|past)\s+{_NUMBER}\s+(day|week|month)s?\b", text, flags=re.I)
    if found:
        n, unit = _count(found.group(1)), found.group(2).lower()
        days = {"day": 1, "week": 7, "month": 30}[unit] * n
        window = TimeWindow(now - timedelta(days=days), now + timedelta(seconds=1), found.group(0).lower())
        return window, _remove(text, found)

    found = re.search(rf"\b(in|during|last|this|early|late)\s+({_MONTH_WORDS})\b\.?", text, flags=re.I)
    if found:
        number = _MONTHS[found.group(2).lower()]
        year = today.year if number <= today.month else today.year - 1
        if found.group(1).lower() == "last" and number == today.month:
            year -= 1
        start = date(year, number, 1)
        return _window(start, _month_start(year, number + 1), found.group(0).lower()), _remove(text, found)

    found = re.search(r"\b(?:on|last)\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", text, re.I)
    if found:
        back = (today.weekday() - _WEEKDAYS[found.group(1).lower()]) % 7 or 7
        day = today - timedelta(days=back)
        return _window(day, day + timedelta(1), found.group(0).lower()), _remove(text, found)
    return None, text
