"""A question in plain words → a :class:`StructuredQuery`, deterministically (no LLM), accounting for every word.

The question is read in passes, each marking the characters it used:

1. time expressions (``timewords``), amounts and numbers (``amounts``);
2. the entity ("deals", "opps", "meetings" — an interaction kind names the entity too);
3. the tenant's own values (``values``: status names, categories, industries, tiers, team members …);
4. comparisons ("over 75k", "between 10k and 50k"), aggregations ("how many", "total", "average",
   "top 5", "largest", "most"), groupings ("by stage", "per rep", "which rep …most"), "my/me/I";
5. a name left after "at/with/for/about" goes to the entity resolver (organizations, people).

Every remaining word is either a known filler ("what", "the", "do", "we" …) or reported in
``unapplied``: the answer then says plainly what it did not apply, instead of answering a looser
question. :func:`parse` returns ``None`` when no entity of the model is named (the question is for
another retriever).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from kgcrm.retrieval.semantic_layer.amounts import find_amounts, find_numbers
from kgcrm.retrieval.semantic_layer.model import ENTITIES, ENTITY, KIND_WORDS, Entity
from kgcrm.retrieval.semantic_layer.phrasings import strip_talk
from kgcrm.retrieval.semantic_layer.query import Filter, Measure, Order, Related, StructuredQuery, TimeFilter
from kgcrm.retrieval.semantic_layer.timewords import find_time_expressions
from kgcrm.retrieval.types import Candidate, Resolution

Span = tuple[int, int]


class ValueLinker(Protocol):
    def link(
        self, text: str, *, dimensions: Iterable[str] | None = None, exclude_spans: Iterable[Span] = ()
    ) -> list[Any]: ...

    def words(self) -> frozenset[str]: ...


class Resolver(Protocol):
    def resolve(self, text: str, tenant_id: str, types: list[str] | None = None, limit: int = 5) -> Resolution: ...


FILLERS = frozenset(
    """
    a an the of in on at to for with from is are was were be been do does did we you our us
    your what which who whom how whats what's there here any all some have has had got get show
    list give tell find please can could would should will currently right now just that those these
    this it its they them their and as so but ever yet still today's much many number count total
    currently exist existing sitting being stuck got theres there's kind one ones being are?
    please? thanks hey hi ok okay
    quick check far time overall out curiosity like know together money amounts came
    where belong belongs track tracked located based own owns owned written team crm added up even
    though already altogether currently whole entire note ok total totals sum exactly roughly
    wondering wonder need want see look looking interested
    write wrote written took place logged exchanged happened happen recorded attended held marked add added
    for overall show shows showing linked
    any anything anyone somebody someone
    whose
    log sent received made scheduled logged booked offers
    carrying carries carry having brought bring brings going tracking tracked offering flagged belonging belong
    everyone everybody everything counted single only we're i'm they're
    among amongst either am we've that's it's there're records record database db moment these days pull display bring
    sit sits while whilst who's whos
    return returns compute calculate determine retrieve report output provide produce listing although though
    exchange team's mix lie lies
""".split()  # noqa: SIM905
)
_CLAUSE_BREAK = re.compile(r"\s*(?:[,;:?!\u2014]|\s-\s|\bso\b|\bbut\b)\s*")
_NOT_MINE_NOUNS = (
    r"boss|manager|managers|team|teams|teammates?|colleagues?|squad|group|department|dept|org|region|territory"
    r"|territories|patch|area|market|segment|vertical|mobile|phone|laptop|day|week|inbox|calendar|desk|office"
    r"|opinion|view|guess|understanding|question|report|reports|direct reports|company|firm|employer"
)
# Words that were fillers once and are NOT: each can change what is asked, so an unused one is reported.
#   by / per / each / every / across / split / group / breakdown / into / type(s) / kind(s): a grouping
#   big: a size qualifier; hold ("on hold"): a state; passed ("passed on"): an outcome; coming / come / back:
#   a time direction ("coming up"); offer(s): a job stage; or: "over 50k or under 10k" is not both (an "or" is
#   used only between two values of one field, which become one `in` filter).
#: never a fuzzy value on their own
_ORDINARY = frozenset(["even", "ever", "event", "never", "over", "under", "about", "around"])
# Used only once a grouping was applied ("breakdown of deals by stage"):
_GROUPING_WORDS = (
    r"breakdown|break(?:s)?(?: it| them| that)? down|broken down|splits?(?: up)?|grouped|group(?:ed)?|distribution"
    r"|spread|distributed|counted"
    r"|into|across|every|each|per|by"
)

_CATEGORY_WORDS: tuple[tuple[str, str], ...] = (
    (
        r"closed[\s-]won|closed and won|won|wins|winning|win(?! probability| rate| chance| likelihood)|signed|landed"
        r"|booked",
        "won",
    ),
    (r"closed[\s-]lost|lost|losses|lose|losing", "lost"),
    (r"open|in progress|ongoing|pending|outstanding|in flight|in the pipeline|pipeline|live", "open"),
    (r"inactive|dormant|churned|paused", "inactive"),
    (r"active", "active"),
    (r"completed|done|finished", "done"),
)
_GT = (
    r"(?:over|above|more than|greater than|bigger than|larger than|higher than|exceeding|exceeds?|north of|upwards of"
    r"|in excess of|>)"
)
_GE = r"(?:at least|min(?:imum)?(?: of)?|>=|≥|no less than)"
_LT = r"(?:under|below|less than|smaller than|lower than|south of|<)"
_LE = r"(?:at most|max(?:imum)?(?: of)?|<=|≤|no more than|up to)"
_AGG_WORDS: tuple[tuple[str, str], ...] = (
    (r"how many|number of|count(?: of)?|# of|howmany|#(?=\s*[a-z])|head\s*count|tally(?! up)", "count"),
    (r"average|avg|mean|typical", "avg"),
    (
        r"total|sum(?:med)?(?: up)?(?: of)?|how much|combined|worth|value of|total value(?: of)?|aggregated?"
        r"|add(?:ed)? up|add together|tally up",
        "sum",
    ),
)
_SUPERLATIVE = (
    (r"largest|biggest|highest|top|max(?:imum)?|most valuable|priciest|most common|most frequent|most popular", "desc"),
    (r"smallest|lowest|min(?:imum)?|cheapest|least common|least frequent|rarest", "asc"),
)
_RECENT = (
    (r"most recently|latest|most recent|newest|last|recent|recently", "desc"),
    (r"oldest|earliest|first|least recently", "asc"),
)
_PREPOSITIONS = r"at|with|for|about|from|of|on|regarding|involving|to"
_FIELD_CUES: tuple[tuple[str, str], ...] = (
    (
        "source",
        r"originated|originating|originate|sourced|came|come|comes|coming|as (?:their|its|the) (?:lead )?source",
    ),
    ("currency", r"denominated|priced|quoted|booked|valued"),
    ("location", r"headquartered|hq'?d|located|based|sitting"),
    ("organization", r"tied|tied to|attached|attached to|linked|linked to|associated|associated with"),
    ("account", r"tied|attached|linked|associated"),
    ("employer", r"employed|employed by|working|work|works|working for|work for"),
    ("author", r"authored|authored by|written|wrote|created by"),
    ("team_member", r"attend|attended|attending|took part in|take part in|part of|joined|sat in on"),
    ("participant", r"attend|attended|attending|took part in|joined"),
    ("due_at", r"fall|falls|falling|come|comes"),
    ("tier", r"sit on|sits on|on"),
    ("status_category", r"status|state|closed as|ended up|ended as|marked as|closed-"),
    ("amount", r"sized|summed|in size"),
    ("owner", r"working on|works on|handling|handles|managing|manages|as owner"),
    ("assignee", r"on \w+'s plate|plate|on their plate"),
    ("expected_close_on", r"set to|slated to|scheduled to|expected to|expected closes|expected"),
    ("title", r"job title|job|titled"),
    ("is_active", r"members|member"),
)
# A value named as an interaction's source, not its kind: "logged from email", "source: email", "email as their
# source" (one pair of cues for both places that read a kind word: the entity words and the tenant's values).
_SOURCE_BEFORE = re.compile(
    r"(?:from|via|source|sourced|came in through|came from|imported from|through|logged from)"
    r"\s*(?:=|:|is|was)?\s*(?:the\s+)?$"
)
_SOURCE_AFTER = re.compile(r"\s+as\s+(?:their|its|the)\s+(?:lead\s+)?source\b")
_MONEY_UNIT = (
    r"\s+(?:(?:us|american|swiss|danish|swedish|norwegian|canadian|australian)\s+)?"
    r"(?:dollars?|euros?|pounds?|francs?|kron(?:er|or|a|e)|bucks|yen)\b"
)  # a unit word, not a code: "how many EUR deals" counts deals


@dataclass
class Parsed:
    query: StructuredQuery | None
    unapplied: list[str] = field(default_factory=list)
    clarification: Resolution | None = None  # a name that could be several things: ask which
    mention: str | None = None
    focus: Candidate | None = None  # the organization or person the question names
    notes: list[str] = field(default_factory=list)


class _Text:
    """The question with the characters each pass has used."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.low = text.lower()
        self.used = [False] * len(text)

    def use(self, span: Span) -> None:
        for i in range(max(0, span[0]), min(len(self.text), span[1])):
            self.used[i] = True

    def free(self, span: Span) -> bool:
        return not any(self.used[span[0] : span[1]])

    def find(self, pattern: str, *, use: bool = True) -> re.Match[str] | None:
        rx = re.compile(rf"(?<![\w$€£])(?:{pattern})(?![\w])")
        pos = 0
        while (m := rx.search(self.low, pos)) is not None:
            if self.free(m.span()):
                if use:
                    self.use(m.span())
                return m
            pos = m.start() + 1
        return None

    def spans(self) -> list[Span]:
        out: list[Span] = []
        i = 0
        while i < len(self.used):
            if self.used[i]:
                j = i
                while j < len(self.used) and self.used[j]:
                    j += 1
                out.append((i, j))
                i = j
            else:
                i += 1
        return out

    def leftovers(self) -> list[tuple[Span, str]]:
        """Unused words: (span, word)."""
        return [
            (m.span(), m.group(0))
            for m in re.finditer(r"[\w'\u2019$€£.,]+", self.text)  # "probability-weighted": each part
            if self.free(m.span()) and m.group(0).strip(".,'\u2019-")
        ]


def _words_of(entity: Entity) -> list[str]:
    return sorted(entity.synonyms, key=len, reverse=True)


def _entity_mentions(t: _Text) -> list[tuple[Span, str, str | None]]:
    """(span, entity key, interaction kind) of every entity word, leftmost first."""
    found: list[tuple[Span, str, str | None]] = []
    vocabulary: list[tuple[str, str, str | None]] = [(w, e.key, None) for e in ENTITIES for w in e.synonyms]
    vocabulary += [(w, ek, kind) for w, (ek, kind) in KIND_WORDS.items()]
    vocabulary.sort(key=lambda v: len(v[0]), reverse=True)
    taken: list[Span] = []
    for word, key, kind in vocabulary:
        for m in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", t.low):
            span = m.span()
            if any(span[0] < b and a < span[1] for a, b in taken) or not t.free(span):
                continue
            taken.append(span)
            found.append((span, key, kind))
    return sorted(found)


_STATUS_TYPE = {
    "deal": "opportunity",
    "job": "job",
    "partnership": "partnership",
    "lead": "lead",
    "task": "task",
    "account": "account",
    "contact": "contact",
}


_MONTHS = (
    "january february march april may june july august september october november december".split()  # noqa: SIM905
)
_GRAMMAR_WORDS = frozenset(
    """
    week weeks month months quarter quarters year years days today yesterday tomorrow last next this past since
    before after until between from created creation closing close closed closes expected probability salary
    salaries minimum maximum average total number count type source status stage stages owner owners open won
    lost active inactive done overdue completed pipeline amount value biggest largest smallest highest lowest
    latest recent newest oldest most least fewest many much what which where when who how updated update
    touched industry location tier currency assigned assignee employment partnership partnerships opportunity
    opportunities deals meetings meeting calls emails messages interactions companies company organizations
    organization accounts account contacts contact tasks task notes note people person leads lead jobs job
    referral strategic enterprise quarterly weekly monthly each per every current currently former roles role
    people members member employees staff users user team active stale state sent made received booked email
    phone hours house meets meant tasked title titles titled stake start counts numbers respectively
    """.split()  # noqa: SIM905
    + _MONTHS
)
_SHORTHANDS = {
    "opn": "open",
    "lst": "last",
    "nxt": "next",
    "ths": "this",
    "yr": "year",
    "yrs": "years",
    "qtr": "quarter",
    "wonn": "won",
    "tpye": "type",
    "nr": "number",
    "no.": "number",
    "wk": "week",
    "wks": "weeks",
    "mo": "month",
    "dealz": "deals",
    "yera": "year",
    "mnth": "month",
    "taks": "tasks",
    "weks": "weeks",
    "wek": "week",
    "oppties": "opportunities",
    "opptys": "opportunities",
    "cos": "companies",
    "mnay": "many",
    "teir": "tier",
    "hw": "how",
    "r": "are",
    "rn": "right now",
    "atm": "at the moment",
    "amt": "amount",
    "amts": "amounts",
    "prob": "probability",
    "probs": "probabilities",
    "mtg": "meeting",
    "mtgs": "meetings",
    "pct": "percent",
    "incl": "including",
    "acct": "account",
    "accts": "accounts",
    "w": "with",
    "u": "you",
    "ur": "your",
    "thru": "through",
    "mth": "month",
    "evr": "ever",
    "onw": "own",
    "teh": "the",
    "atleast": "at least",
    "whos": "who's",
    "pipe": "pipeline",
}


_MONTH_WORDS = (
    "january|february|march|april|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)


def _plain_phrasings(text: str) -> str:
    """Everyday phrasings rewritten into the words the passes read: periods in a rep's shorthand ("this q" → "this
    quarter", "q3 26" → "Q3 2026", "30d", "6 wks"), relative periods ("the quarter before this one"), "past due" /
    "close date already gone" (overdue, before today), "under my name", "aren't attached to an account",
    "wrapped up" (completed), "went to lost", and a month said last ("won deals march")."""
    text = re.sub(r"(?i)\b(this|next|last|previous|prior|current|the following|following)\s+q\b", r"\1 quarter", text)
    text = re.sub(r"(?i)\bq([1-4])\s*(?:'|\u2019)?(\d{2})\b(?!\d)", r"Q\1 20\2", text)
    text = re.sub(r"(?i)\b(\d{1,3})\s*d\b", r"\1 days", text)
    # "the quarter before this one": last quarter; "of year 2026": of 2026; "March month": March
    text = re.sub(
        r"(?i)\b(?:the\s+)?(week|month|quarter|year)\s+before\s+(?:this|the\s+current)(?:\s+(?:one|\1))?\b",
        r"last \1",
        text,
    )
    text = re.sub(r"(?i)\b(?:the\s+)?year\s+(\d{4})\b", r"\1", text)
    text = re.sub(rf"(?i)\b({_MONTH_WORDS})\s+month\b", r"\1", text)
    text = re.sub(
        r"(?i)\bbefore\s+the\s+(week|month|quarter|year)\s+is\s+(?:out|over|done|through|up)\b",
        r"by the end of this \1",
        text,
    )
    text = re.sub(  # "in previous years, before 2026": said twice
        r"(?i)\b(?:in\s+)?(?:previous|prior|earlier|past)\s+years\b",
        "" if re.search(r"(?i)\bbefore\b", text) else "before this year",
        text,
    )
    # "past due", "due date < now", "close date already gone": what the grammar calls overdue / before today
    text = re.sub(
        r"(?i)\b(?:(?:past|(?:blown|blew|gone|went)\s+(?:through|past)|missed)\s+(?:their\s+|the\s+|its\s+)?due(?:\s+dates?)?"
        r"|due(?:\s+dates?)?\s*(?:<|is\s+before|before|earlier\s+than)\s*(?:now|today|the\s+present))\b",
        "overdue",
        text,
    )
    text = re.sub(
        r"(?i)\b(expected\s+close\s+dates?|close\s+dates?)\s+(?:is\s+|are\s+|has\s+|have\s+)?(?:already\s+)?"
        r"(?:gone(?:\s+by)?|passed|past|lapsed|elapsed|in\s+the\s+past|behind\s+us|over(?=\s*[?.!,;]|\s*$))\b",
        r"\1 before today",
        text,
    )
    text = re.sub(r"(?i)\b(?:under|in|on)\s+my\s+name\b", "owned by me", text)
    # "break down leads by where they came from": by source; "how big is our deal list": how many deals
    text = re.sub(
        r"(?i)\bwhere\s+(?:they|it|each)\s+(?:came|come|comes|originated)\s+from(?:\s*\(\s*source\s*\))?",
        "source",
        text,
    )
    text = re.sub(
        r"(?i)\bhow\s+(?:big|long|large)\s+is\s+(our|the|my)\s+((?!tasks?\b|to-?dos?\b)\w+)\s+list\b",
        r"the number of \1 \2",
        text,
    )
    # "probability-wise", "amount-wise": the field itself
    text = re.sub(r"(?i)\b(probability|amount|value|salary|count|number)[\s-]wise\b", r"\1", text)
    # "how likely are our open deals to close": their probability
    # (not "how likely is the biggest deal to close": the probability of one deal chosen by another field)
    text = re.sub(
        r"(?i)\bhow\s+likely\s+are\s+((?:(?!biggest|largest|top|smallest|highest|lowest|latest|newest|oldest)[\w\s'])+?)"
        r"\s+to\s+(?:close|win|be\s+won|land|sign|convert)\b",
        r"the probability of \1",
        text,
    )
    # "notes people logged", "calls the team made": whoever wrote them, i.e. no filter on the author (after the
    # rows' noun only: "people added last week" asks about people)
    text = re.sub(
        r"(?i)(?<=[a-z]s\s)(?:people|folks|anyone|everyone|somebody|someone|the\s+team|our\s+team)\s+"
        r"(?=(?:have\s+|has\s+|had\s+)?(?:logged|wrote|written|made|added|created|recorded|entered|took|put\s+in)\b)",
        "",
        text,
    )
    text = re.sub(r"(?i)\b(?:went|gone|moved|turned)\s+(?:to\s+)?(?=(?:closed[\s-])?(?:lost|won)\b)", "", text)
    text = re.sub(
        r"(?i)\b(?:aren't|are\s+not|isn't|is\s+not|not)\s+(?:attached|tied|linked|connected|associated|assigned)"
        r"\s+(?:to|with)\s+(?:an?\s+|any\s+)?",
        "without an ",
        text,
    )
    text = re.sub(
        r"(?i)\b(?:wrapped\s+up|wrapped|knocked\s+out|ticked\s+off|checked\s+off|crossed\s+off)\b", "completed", text
    )
    # a month named last with no preposition ("won deals march"): that month
    text = re.sub(
        r"(?i)(?<!\bin )(?<!\bof )(?<!\bsince )(?<!\bbefore )(?<!\bafter )(?<!\buntil )(?<!\bby )(?<!\bfrom )"
        r"(?<!\bto )(?<!\bduring )(?<!\d )(?<!\dst )(?<!\dnd )(?<!\drd )(?<!\dth )(?<!\bthe )"
        rf"\b({_MONTH_WORDS})(\s*(?:[,;:]\s*(?:count|#|total|number|how many)\s*)?[?.!]*\s*)$",
        r"in \1\2",
        text,
    )
    text = re.sub(r"(?i)\b(\d{1,3})\s*(?:wks?|w)\b", r"\1 weeks", text)
    text = re.sub(r"(?i)(?:\btotal\s+)?#\s*([?.!]*)\s*$", r" count\1", text)  # "closed lost deals total #": a count
    # "no update 6 weeks": the length of the silence, as "no update in 6 weeks" says it
    return re.sub(
        r"(?i)\b((?:no|not|without)\s+(?:updates?|updated|activity|touch(?:es|ed)?|changes?|changed|modified|contact))\s+"
        r"(?=(?:\d+|[a-z]+)\s+(?:days?|weeks?|months?)\b)",
        r"\1 in ",
        text,
    )


# Everyday words one letter from a grammar word, never corrected to it ("match" is not "March").
_NOT_TYPOS = frozenset(
    "match matches matched matching watch catch batch patch latch mayor clothes closer closers closet coses "  # noqa: SIM905
    "notice nodes noted lasts waste ended owned owners' tanks masks weeks' yearn".split()
)


# Everyday words a question is written with besides the model's own: typed wrong, they are written right too
# ("abvoe", "loacted", "strated", "altogther"), so that what they say is read, not reported.
_EVERYDAY_WORDS = frozenset(
    """
    above below under over than then least more less fewer greater bigger larger higher lower between within
    located started ended written wrote logged created updated assigned owned have does do did own list their
    third first second fourth still month total ever recently worth altogether together whose which where
    show many much count number deals opportunities overall currently right now exactly yet already
    """.split()  # noqa: SIM905
)


# A clause of context around the question: "I'm putting a slide together, so how many deals …", "… could you list
# them? a list is perfect". It is dropped only when none of its words is one the model reads (an entity, a field,
# a category, a time word, a number, a name, or a value of the tenant): "our champion left, so …" has none and
# goes; "for deals in Austin, how many …" keeps its clause.
_CONTEXT_BREAK = re.compile(r"\s*(?::|;|\u2014|--|,\s*so\b|,\s*but\b|\.(?=\s)|\s+so\b|,)\s+", re.IGNORECASE)
_QUESTION_OPENER = re.compile(
    r"(?:so\s+)?(?:how|what|what's|whats|which|who|whose|when|where|could|can|would|will|please|tell|list|show|give"
    r"|pull|count|is|are|do|does|did|i'd like|i would like|i want|i need)\b",
    re.IGNORECASE,
)
_TRAILING_CONTEXT = re.compile(
    r"(?P<question>.*?[?.!,])\s*(?P<context>(?:if|a list|it's|it is|that's|that is|that would|thanks|thank you|no rush"
    r"|whenever|when you|today's number|just curious|much appreciated)\b[^?]*?)\s*[?.!]*\s*$",
    re.IGNORECASE,
)


def _names_nothing(clause: str, keep: frozenset[str]) -> bool:
    """No word of ``clause`` is one the semantic model or the tenant's values read."""
    if re.search(r"\d|[$€£%#]", clause) or re.search(r"(?<=\s)(?!I\b|I['\u2019])[A-Z]", clause):
        return False  # a number, an amount, or a capitalised word (a name, a value) inside the clause
    words = re.findall(r"[a-z]+", clause.lower())
    model = _context_blockers()
    return not any(w in model or w.rstrip("s") in model or w in keep for w in words)


def _without_context(text: str, keep: frozenset[str]) -> str:
    for brk in reversed(list(_CONTEXT_BREAK.finditer(text))):  # the last break after which a question starts
        if _QUESTION_OPENER.match(text, brk.end()) and "?" not in text[: brk.start()]:
            if _ABOUT_THE_ASKER.match(text) and _names_nothing(text[: brk.start()], keep):
                text = text[brk.end() :]
            break
    trail = _TRAILING_CONTEXT.match(text)
    if trail is not None and _names_nothing(trail.group("context"), keep):
        text = trail.group("question")
    return text


@functools.cache
def _context_blockers() -> frozenset[str]:
    """The words that keep a clause of context: every name of an entity, a field or a category, and time words."""
    words: set[str] = set(_EVERYDAY_NAMED) | set(_MONTHS)
    for e in ENTITIES:
        words |= {w for syn in e.synonyms for w in syn.split()}
        for d in e.dimensions:
            words |= {w for syn in (d.key.replace("_", " "), *d.synonyms, d.label or "") for w in syn.split()}
    words |= _STATE_AND_TIME_WORDS
    return frozenset(w for w in words if len(w) > 2 and w not in FILLERS)


_STATE_AND_TIME_WORDS = frozenset(
    """
    open won lost win wins active inactive done overdue completed closed closing pipeline stale due today
    tomorrow yesterday week weeks month months quarter quarters year years day days ago since before after
    until between above below over under more less than least most amount value
    """.split()  # noqa: SIM905
)


# words of context that may still say something about the rows: the clause that holds one stays
_EVERYDAY_NAMED = frozenset(
    """
    only except excluding without not no never where whose region regions territory territories patch area areas market
    markets segment segments department departments dept division branch branches country countries state states
    """.split()  # noqa: SIM905
)  # a scope ("for my territory, how many …") the model may not have: the clause stays, and is reported
# Talk about the asker, not about the rows: a clause of context must open so ("I'm putting a slide together",
# "sorry to bother you", "for the board pack", "hi there"); "our champion left, so …" is about the data and stays.
_ABOUT_THE_ASKER = re.compile(
    r"^\W*(?:hi|hey|hello|sorry|apologies|forgive|hope|just|quick|out of|for (?:a|an|the|our|my)"
    r"|before (?:the|our|my|a)|i|i'm|im|i've|i'd|i'll|we're|we've|this (?:might|may|is|could)|it (?:was|is|might)"
    r"|someone|somebody|when you"
    r"|my (?:manager|boss)|our (?:manager|boss|finance|sales director|partner manager))\b",
    re.IGNORECASE,
)


@functools.cache
def _model_words() -> frozenset[str]:
    return _GRAMMAR_WORDS | {w for e in ENTITIES for w in e.synonyms if " " not in w}


@functools.cache
def _typo_vocabulary() -> frozenset[str]:
    return _model_words() | _EVERYDAY_WORDS | {f for f in FILLERS if len(f) >= 4 and f.isalpha()}


def warm_up() -> None:
    """Load the word lists the parser reads once (the English word list takes ~0.5 s): a server calls this at start,
    so that its first question is not the one that waits."""
    _english_words(), _typo_vocabulary(), _context_blockers()


@functools.cache
def _english_words() -> frozenset[str]:
    """The words of pyspellchecker's English frequency list (chosen: a maintained word list shipped offline in its
    wheel). It only tells a real word from a typo here; corrections come from the semantic model's own words."""
    from spellchecker import SpellChecker

    return frozenset(SpellChecker(distance=1).word_frequency.dictionary)


def correct_typos(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Everyday words mistyped ("oppurtunities", "quater", "closng", "Marhc") written right; names, and the words of
    the tenant's own values in ``keep`` ("integration" is a partnership type, not "interaction" mistyped), are left
    alone."""
    from rapidfuzz.distance import DamerauLevenshtein

    vocabulary = _typo_vocabulary()

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        low = word.lower()
        if low in _SHORTHANDS and (len(low) > 1 or word.islower()):  # "r" is "are", "R" (as in R&D) is not
            return _SHORTHANDS[low]
        if len(low) < 4 or low in vocabulary or low in FILLERS or low in keep or not low.isalpha():
            return word
        if low in _NOT_TYPOS:
            return word
        for i in range(1, len(low)):  # a letter doubled: "ownn", "deall"
            if low[i] == low[i - 1] and (single := low[:i] + low[i + 1 :]) in vocabulary and single not in _NOT_TYPOS:
                return single.capitalize() if word[:1].isupper() else single
        english = low in _english_words()  # a real word is not a typo ("form" is not "from", "lots" is not "lost")
        if len(low) == 4 and not english:
            # a short word: two letters swapped ("opne", "dael") or one dropped ("totl", "stil"), when only one word of
            # the vocabulary fits; never guessed further
            near = [
                v
                for v in vocabulary
                if ((len(v) == 4 and sorted(v) == sorted(low)) or len(v) == 5)
                and DamerauLevenshtein.distance(low, v) == 1
            ]
            return (near[0].capitalize() if word[:1].isupper() else near[0]) if len(near) == 1 else word
        # a real word is corrected only to a word of the model's own ("plate" is not the filler "place")
        targets = _model_words() if english else vocabulary
        limit = 1 if len(low) <= 8 else 2
        undoubled = {low[:i] + low[i + 1 :] for i in range(1, len(low)) if low[i] == low[i - 1]}
        best = min(  # of the nearest: two letters swapped ("olwest": lowest), a letter doubled ("llast": last), longer
            targets,
            key=lambda v: (DamerauLevenshtein.distance(low, v), sorted(v) != sorted(low), v not in undoubled, -len(v)),
        )
        if len(low) < 5 or DamerauLevenshtein.distance(low, best) > limit:
            return word
        if best[0] != low[0] and (english or len(low) < 6):
            return word  # the first letter mistyped only in a longer non-word ("ocmpanies", "pportunities")
        if word[:1].isupper() and m.start() > 0 and best not in _MONTHS:
            return word  # a capitalised word inside the question is a name or a value: the value linker reads it
        return best.capitalize() if word[:1].isupper() else best

    return re.sub(r"[A-Za-z][A-Za-z.]*[A-Za-z]|[A-Za-z]+", fix, text)


def parse(
    question: str,
    *,
    now: datetime,
    values: ValueLinker | None = None,
    resolver: Resolver | None = None,
    tenant_id: str | None = None,
    user_id: str | None = None,
    previous: StructuredQuery | None = None,
) -> Parsed:
    """The structured query of ``question``, with the words it could not use."""
    question = strip_talk(question)
    if previous is None:
        split = _parse_related(
            question, now=now, values=values, resolver=resolver, tenant_id=tenant_id, user_id=user_id
        )
        if split is not None:
            return split
    return _parse(
        question, now=now, values=values, resolver=resolver, tenant_id=tenant_id, user_id=user_id, previous=previous
    )


# "companies with open deals", "reps that have overdue tasks", "people with no interactions last quarter": the asked
# rows, then a cue, then a question about related rows (which must reach the asked entity through a relation).
_RELATED_CUE = re.compile(
    r"\b(?P<cue>(?:that|which|who|whom)\s+(?:currently\s+|still\s+)?(?:have|has|had|hold|holds|own|owns)"
    r"|(?:that|which|who)\s+(?:don't|do not|doesn't|does not|didn't|did not)\s+have"
    r"|with(?:out)?|having|(?:have|has|had)(?=\s+(?:no|any|some|an?|\w+\s+)?\w+)"
    r")(?P<neg>\s+(?:no|zero|not\s+a\s+single|not\s+any))?(?:\s+(?:any|some|an?|at\s+least\s+one))?\s+",
    re.IGNORECASE,
)


def _parse_related(
    question: str,
    *,
    now: datetime,
    values: ValueLinker | None,
    resolver: Resolver | None,
    tenant_id: str | None,
    user_id: str | None,
) -> Parsed | None:
    """``question`` as asked rows with a condition on related rows, when it reads so; None otherwise."""
    question = " ".join(question.split())[:2000]  # as _parse reads it
    low = question.lower()
    if re.search(r"\b(?:most|fewest|(?<!at )least|max(?:imum)? (?:count|number)|highest number|lowest number)\b", low):
        return None  # "the rep with the most open deals" is a ranking, not a condition
    if re.search(r"\bin\s+(?:(?:their|the|its|his|her)\s+)?(?:job\s+)?titles?\b", low):
        return None  # "contacts that have VP in their job title": a word of a field, not related job leads
    t = _Text(low)
    mentions = _entity_mentions(t)
    if len(mentions) < 2:
        return None
    (first_span, first_key, _), rest = mentions[0], mentions[1:]
    for span, key, _kind in rest:
        if key == first_key:
            continue
        cue = None
        for m in _RELATED_CUE.finditer(low, first_span[1], span[0] + 1):
            if m.end() <= span[0] and re.fullmatch(r"[\w\s-]*", low[m.end() : span[0]]):
                cue = m
        if cue is None:
            continue
        relation = next((r for r in ENTITY[key].relations if r.target == first_key), None)
        if relation is None:
            return None
        sub_text = question[cue.end() :]
        counted = re.search(
            r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|several|many|multiple)\b",
            low[cue.end() : span[0]],
        )
        if counted:
            return None  # "companies with more than 3 open deals": a count of related rows, which is not modelled
        main_text = question[: cue.start()]
        negated = bool(cue.group("neg")) or bool(re.search(r"\bwithout\b|n't|\bnot\b", cue.group("cue").lower()))
        main = _parse(main_text, now=now, values=values, resolver=resolver, tenant_id=tenant_id, user_id=user_id)
        sub = _parse(sub_text, now=now, values=values, resolver=resolver, tenant_id=tenant_id, user_id=user_id)
        if main.query is None or main.query.entity != first_key or sub.clarification is not None:
            return sub if sub.clarification is not None else None
        if sub.query is None or sub.query.entity != key:
            return None
        measured = sub.query.measure is not None and sub.query.measure.agg != "count"
        if measured or sub.query.group_by or sub.query.order or sub.query.limit is not None:
            return None
        related = Related(
            entity=key, via=relation.key, exists=not negated, filters=sub.query.filters, time=sub.query.time
        )
        query = main.query.model_copy(update={"related": [*main.query.related, related]})
        unapplied = [w for w in main.unapplied if w.lower() not in ("distinct", "unique", "different")]
        return Parsed(
            query,
            [*unapplied, *sub.unapplied],  # "distinct companies with deals": each company is counted once anyway
            main.clarification,
            main.mention or sub.mention,
            main.focus or sub.focus,
            [*main.notes, *sub.notes],
        )
    return None


def _parse(
    question: str,
    *,
    now: datetime,
    values: ValueLinker | None = None,
    resolver: Resolver | None = None,
    tenant_id: str | None = None,
    user_id: str | None = None,
    previous: StructuredQuery | None = None,
) -> Parsed:
    text = correct_typos(" ".join(question.split())[:2000], values.words() if values is not None else frozenset())
    text = strip_talk(text)  # again, on the words written right ("dont have an acount" → "without an account")
    text = _without_context(text, values.words() if values is not None else frozenset())
    text = re.sub(r"(?i)(?<![\w/])w/\s*(?=\w)", "with ", text)  # "w/ source", "w/source"
    text = re.sub(  # "avg(salary_max)": the same words said plainly
        r"(?i)\b(avg|average|sum|total|min|max|count)\s*\(\s*([a-z_]+|\*)?\s*\)",
        lambda m: f"{m.group(1)} {(m.group(2) or '').replace('_', ' ').replace('*', '')}".rstrip(),
        text,
    )
    text = _plain_phrasings(text)
    t = _Text(text)
    forced_latest: list[bool] = []
    notes: list[str] = []

    # 0. "whatever their status", "all currencies", "no type filter", "on file": saying there is no filter
    no_filter: list[tuple[Span, str | None]] = []
    for nf in re.finditer(_NO_FILTER, t.low):
        said = nf.group("field") or nf.group("field2") or nf.group("field3") or ""
        field_name = next((key for pattern, key in _NO_FILTER_FIELDS if re.fullmatch(pattern, said)), None)
        if nf.group("both"):
            field_name = "active" if "active" in nf.group("both") else "status"
        t.use(nf.span())
        no_filter.append((nf.span(), field_name))

    # 1. time, amounts, numbers
    times = find_time_expressions(text, now)
    for tm in times:
        t.use(tm.span)
    time_spans = [tm.span for tm in times]
    amounts = find_amounts(text, exclude_spans=time_spans)
    numbers = [
        n
        for n in find_numbers(text, exclude_spans=time_spans)
        if not any(n.span[0] < a.span[1] and a.span[0] < n.span[1] for a in amounts)
    ]

    # 2. the entity
    mentions = _entity_mentions(t)
    for pattern, key in (
        (
            r"who (?:(?:do|did) (?:we|i|you) (?:know|have) (?:that |who )?)?(?:(?:currently|now|still) )?"
            r"(?:works|worked|is working|is employed|are employed) (?:at|for|by)"
            r"|(?:who's|who is|who are|whos) (?:(?:currently|now|still) )?(?:employed |working )?(?:at|with|by|for)"
            r"|(?:current )?employees of|people (?:working )?at|staff (?:at|of)"
            r"|(?:everyone|everybody|anyone|people|persons|folks) (?:(?:currently|now|still) )?(?:employed|working)"
            r" (?:at|by|for)"
            r"|(?<=\S )(?:current |present )?(?:employees|staff)\s*[?.!]*\s*$"
            r"|(?:current |present )(?:staff|employees) (?:at|of)",
            "person",
        ),
        (
            r"(?:who is |who are |who's |(?:people|persons|folks|members?|users?|reps?)(?: are| is)? |everyone )?"
            r"on (?:our|the) team|our team|the team|team members?",
            "user",
        ),
        (
            r"(?:how many )?times (?:have |did )?(?:we|i|anyone) "
            r"(?:interact|meet|met|talk|speak|spoke|engage|connect)\w*"
            r"(?: (?:to|with))?"
            r"|when did (?:we|i|anyone) last (?:talk|speak|meet|email|call|hear|interact|engage|connect|touch base)"
            r"\w*(?: (?:to|with|from))?"
            r"|last (?:talked|spoke|met)|(?:talked|spoke|met) (?:to|with)",
            "interaction",
        ),
    ):
        special = re.search(rf"\b(?:{pattern})\b", t.low)
        if special is not None:
            t.use(special.span())
            mentions = [m for m in mentions if not (special.start() <= m[0][0] < special.end())]
            mentions.insert(0, ((special.start(), special.start()), key, None))
            if key == "interaction" and "last" in special.group(0):
                t.low = t.low  # "when did we last …": the latest one
                forced_latest.append(True)
    grouping_spans = [m.span() for m in re.finditer(r"\b(?:by|per|for each|each|across)\s+\w+", t.low)]
    plate = re.search(r"\b(?:on my plate|my plate|my to-?do list|on my list)\b", t.low)
    if plate:
        t.use(plate.span())
        mentions.insert(0, ((plate.start(), plate.start()), "task", None))
    candidates = [m for m in mentions if not any(g[0] < m[0][0] < g[1] for g in grouping_spans)]
    # a compound names its last noun ("strategic account deals" are deals, "contact tasks" are tasks)
    candidates = [
        m
        for i, m in enumerate(candidates)
        if not (
            i + 1 < len(candidates)
            and m[0][1] < candidates[i + 1][0][0]
            and re.fullmatch(r"[\s-]+", t.low[m[0][1] : candidates[i + 1][0][0]])
            and m[1] != candidates[i + 1][1]
            and m[0][1] > m[0][0]
            and not t.low[m[0][0] : m[0][1]].endswith("s")  # "notes people logged": two nouns, not a compound
            and not re.fullmatch(  # "partnership leads", "contact roles": the first word is the head
                r"leads?|roles?|records?|entries|items?|rows?", t.low[candidates[i + 1][0][0] : candidates[i + 1][0][1]]
            )
        )
    ]
    if len({m[1] for m in candidates}) > 1:
        candidates = [m for m in candidates if m[1] != "user"] or candidates
    if len({m[1] for m in candidates}) > 1:  # "how much business did we win … as a number of deals": the deals
        candidates = [m for m in candidates if t.low[m[0][0] : m[0][1]] not in ("business", "businesses")] or candidates
    counted = next(  # "with Software companies, how many accounts have we got": the rows counted are the accounts
        (
            m
            for m in candidates
            if re.search(r"\b(?:how many|number of|count of|# of)\s+(?:(?:the|our|my|your)\s+)?$", t.low[: m[0][0]])
            or (  # "strategic tier accts, deal count": the rows named alone before a final "count"
                re.search(r"[,;:]\s*$", t.low[: m[0][0]]) is not None
                and re.match(r"\s*(?:count|counts|total|#)\s*[?.!]*\s*$", t.low[m[0][1] :]) is not None
            )
        ),
        None,
    )
    if counted is not None and counted[1] == "lead" and any(m[1] in ("deal", "job", "partnership") for m in candidates):
        counted = None  # "on the partnerships side, how many leads are open": partnership leads
    if counted is not None and counted is not (candidates[0] if candidates else None):
        candidates = [counted, *(m for m in candidates if m is not counted)]
    primary = candidates[0] if candidates else (mentions[0] if mentions else None)
    follow_up = previous is not None and bool(re.search(r"\b(?:those|these|them|of which|that list)\b", t.low))
    if primary is None and not follow_up:
        if re.search(
            r"\b(?:pipeline|revenue|turnover|bookings|won|win|wins|lost|lose|losses|close won|closed won|deal size"
            r"|sold)\b",
            t.low,
        ):
            primary = ((0, 0), "deal", None)
        elif re.search(r"\bsalar(?:y|ies)\b", t.low):
            primary = ((0, 0), "job", None)
        else:
            return Parsed(None)
    entity = ENTITY[primary[1]] if primary else ENTITY[previous.entity]  # type: ignore[union-attr]
    if primary is not None and (every := re.search(r"\b(?:every|each)(?: single)?\s+$", t.low[: primary[0][0]])):
        t.use(every.span())  # "count every team member": all of them, not a grouping
    filters: list[Filter] = []
    if follow_up and previous is not None and (primary is None or primary[1] == previous.entity):
        filters = list(previous.filters)
        m = re.search(r"\b(?:of |among |from )?(?:those|these|them|of which|that list)\b", t.low)
        if m:
            t.use(m.span())
    if primary is not None:
        t.use(primary[0])
        if primary[2]:
            filters.append(Filter(field="kind", op="=", value=primary[2]))
    # "leads (jobs, opportunities and partnerships)": the lead types named as a list are the leads' kinds
    lead_kind_grouping = False
    lead_types = _lead_type_list(t) if entity.key == "lead" else None
    if lead_types is not None:
        span, kinds = lead_types
        t.use(span)
        if len(kinds) < 3:
            filters.append(Filter(field="kind", op="in", value=sorted(kinds)))
        elif re.search(r"\b(?:into|down|per|by|breakdown|split|each)\b", t.low):
            lead_kind_grouping = True
    # 2b. written as a filter: "account is not set", "ended on is null", "active = true"
    for test_m in re.finditer(_EXPLICIT_TEST, t.low):
        head = re.search(r"((?:\w+\s+){0,2}\w+)\s*$", t.low[: test_m.start()])
        if head is None or not t.free(test_m.span()):
            continue
        for word_start in [head.start(1) + w.start() for w in re.finditer(r"\w+", head.group(1))]:
            found = _dimension_word(entity, t.low[word_start : test_m.start()].rstrip())
            if found is None or not t.free((word_start, test_m.end())):
                continue
            if word_start + found[1] != len(t.low[: test_m.start()].rstrip()):
                continue
            dim = entity.dimension(found[0])
            test = test_m.group(0)
            truthy = re.search(r"true|yes", test) is not None
            if dim is not None and dim.type == "bool" and re.search(r"true|yes|false|no\b", test):
                filters.append(Filter(field=dim.key, op="=", value=truthy))
            elif dim is not None and dim.type != "bool" and not re.search(r"true|yes|false", test):
                unset = re.search(r"not set|null|empty|blank|missing|unset", test) and not re.search(
                    r"not (?:null|empty|blank)", test
                )
                filters.append(Filter(field=dim.key, op="is_not_set" if unset else "is_set"))
            else:
                continue
            t.use((word_start, test_m.end()))
            break

    # the other entity words: a path's target ("deals at companies in fintech") is context, not a new question
    for span, key, _kind in mentions:
        if span == (primary[0] if primary else None):
            continue
        if _kind is not None and entity.key == "interaction" and t.free(span):
            source_cue = _SOURCE_BEFORE.search(t.low[: span[0]])
            source_after = _SOURCE_AFTER.match(t.low[span[1] :])
            if source_after is not None and not t.free((span[1], span[1] + source_after.end())):
                source_after = None
            filters.append(Filter(field="source" if source_cue or source_after else "kind", op="=", value=_kind))
            t.use(span)
            if source_cue:
                _use_free_words(t, source_cue.span())
            if source_after:
                t.use((span[1], span[1] + source_after.end()))
            continue
        word = t.low[span[0] : span[1]]
        if (
            key == entity.key
            or word in entity.synonyms
            or key in ("organization", "account")
            or (key != "user" and entity.relation(key))
        ):
            t.use(span)

    # 3. "my", "me", "I" ("show me", "give me" are only polite)
    while t.find(r"(?:show|showing|give|giving|tell|telling|let|get|help|remind|send|find) me|^\W*list for me"):
        pass
    while t.find(
        r"i'd like to know|i would like to know|i'd like|i would like|i want to know|i want|i need|i wonder|"
        r"i'm wondering|i am wondering|i'm curious|i am curious|can i see|can i get|could i get|could i see|may i"
        r"|i'm looking for|i am looking for|do you know|can you tell me|could you tell me|can you|could you"
    ):
        pass
    trailing = re.search(r"\bfor me\s*[?.!]*\s*$", t.low)
    polite = r"^\W*(?:(?:please|hey|hi|ok|okay|quick one|so)\W+)*(?:(?:can|could|would|will) you\s+)?(?:please\s+)?"
    if trailing and re.search(
        polite + r"(?:break|show|list|give|split|tell|count|pull|get|find|fetch|add|sum|total|tally|calculate|compute"
        r"|work out)\b",
        t.low,
    ):
        # "list the open deals for me" is polite; "task list for me" asks for my tasks
        t.use(trailing.span())
    # "my" owns the rows only when it names them: "my boss", "my team", "my territory" are not rows I own (the team's
    # or a territory's deals are not the model's), so that "my" is left for the unapplied words, never read as "mine"
    not_mine = [
        m.span(1) for m in re.finditer(rf"\b(my)\s+(?:own\s+)?(?:{_NOT_MINE_NOUNS})\b", t.low) if t.free(m.span(1))
    ]
    # nor does an "I" or "me" in another clause than the rows' ("I'm not sure where to look, sorry — how many deals
    # did we win?"): it is left for the unapplied words
    if primary is not None and primary[0][1] > primary[0][0]:
        clause_start = max((b.end() for b in _CLAUSE_BREAK.finditer(t.low, 0, primary[0][0])), default=0)
        clause_end = next((b.start() for b in _CLAUSE_BREAK.finditer(t.low, primary[0][1])), len(t.low))
        not_mine += [
            m.span()
            for m in re.finditer(r"\b(?:i|me|my|i'm|i've|i'd)\b", t.low)
            if not clause_start <= m.start() < clause_end
            and t.free(m.span())
            and not re.match(r"\s*(?:own|owned|am the owner)\b", t.low[m.end() :])
            and not re.search(r"\b(?:assigned to|owned by|for)\s+$", t.low[: m.start()])
        ]
    for span in not_mine:
        t.use(span)
    mine = t.find(r"in my name|my|mine|me|i|assigned to me|i own|i'm on|owned by me")
    for span in not_mine:
        t.used[span[0] : span[1]] = [False] * (span[1] - span[0])
    if plate is not None:
        if user_id and entity.mine:
            filters.append(Filter(field=entity.mine, op="=", value=user_id, display="you"))
        else:
            t.used[plate.start() : plate.end()] = [False] * (plate.end() - plate.start())
    if mine is not None:
        if user_id and entity.mine:
            filters.append(Filter(field=entity.mine, op="=", value=user_id, display="you"))
            for phrase in (r"on my plate", r"my plate", r"plate", r"assigned to", r"own", r"owned by"):
                t.find(phrase)
            while t.find(r"my|mine|me|i"):
                pass
        else:
            t.used[mine.start() : mine.end()] = [False] * (mine.end() - mine.start())

    # 4. status categories and special words. A status of this entity named exactly ("In progress", "Active",
    # "Former", "Churned") is the tenant's own word: it is read as that status (step 5), not as a category.
    exact_status: list[Span] = []
    status_type = _STATUS_TYPE.get(entity.key)
    if values is not None and status_type is not None:
        for v in values.link(text, dimensions=["status"], exclude_spans=t.spans()):
            if v.score >= 1 and (status_type == "lead" or status_type in v.entity_types) and t.free(v.span):
                exact_status.append(v.span)
                t.use(v.span)
    if entity.dimension("ended_on") is not None and entity.key == "contact":  # a role is current or past
        role_current = (
            t.find(
                r"current|currently active|not ended(?: yet)?|have not ended(?: yet)?|haven't ended(?: yet)?"
                r"|hasn't ended(?: yet)?|has not ended(?: yet)?|still open|still ongoing|ongoing|still active"
                r"|with no end date|without an end date|no end date"
            )
            is not None
        )
        if not role_current:
            still = re.search(
                r"\bstill (?:at|with|working at|working for|employed at|employed by) (?:their|the|that|his|her) "
                r"(?:company|companies|employer|organization|org|firm)\b",
                t.low,
            )
            if still is not None and t.free((still.start(), still.start() + 5)):
                t.use(still.span())
                role_current = True
        if role_current:
            filters.append(Filter(field="ended_on", op="is_not_set"))
            while t.find(  # said twice: "current contact roles (no end date)", "still current, i.e. not ended"
                r"not ended(?: yet)?|with no end date|without an end date|no end date|current|still"
            ):
                pass
        elif t.find(r"former|past|ended|previous"):
            filters.append(Filter(field="ended_on", op="is_set"))
    category: str | None = None
    compare_categories = False
    if entity.status_type:
        if not times and entity.dimension("status_category") is not None:
            neg = t.find(
                r"(?:not|aren't|arent|isn't|isnt|haven't|havent|hasn't|hasnt)\s+(?:yet\s+)?(?:been\s+)?closed(?:\s+yet)?"
            )
            if neg is not None:  # "opps that aren't closed yet": still open
                category = "open"
                filters.append(Filter(field="status_category", op="=", value="open"))
        # every category named: "won or lost deals", "deals won and lost" (a row has one category: either)
        named: list[tuple[int, str, re.Match[str]]] = []
        for pattern, cat in _CATEGORY_WORDS:
            while (m := t.find(pattern)) is not None:
                named.append((m.start(), cat, m))
        named.sort(key=lambda x: x[0])
        cats = list(dict.fromkeys(cat for _, cat, _ in named))
        if category is not None:
            for _, _, m in named:
                t.used[m.start() : m.end()] = [False] * (m.end() - m.start())
        elif len(cats) == 1:
            category = cats[0]
            filters.append(Filter(field="status_category", op="=", value=category))
        elif len(cats) > 1:
            # one count per category: "open won lost deal counts", "how many open, how many won and how many lost"
            each_asked = len(re.findall(r"\bhow (?:many|much)\b", t.low)) > 1
            one_each = each_asked or bool(re.search(r"\b(?:counts|numbers|respectively|each|breakdown|split)\b", t.low))
            joiner = r"[\s,/:;]*(?:(?:and|or|and/or|&|\+|vs\.?|versus)\s+)?(?:(?:either|both)\s+)?"
            if one_each:
                joiner += r"(?:(?:how (?:many|much)|number of|count of)\s+(?:\w+\s+)?(?:are\s+|were\s+|is\s+)?)?"
            joined = all(
                re.fullmatch(joiner, t.low[a.end() : b.start()]) for (_, _, a), (_, _, b) in itertools.pairwise(named)
            )
            anded = (
                joined
                and all(  # "how many deals are open, won and lost": a row has one category, so each
                    re.search(r"\band\b|,", t.low[a.end() : b.start()])
                    for (_, _, a), (_, _, b) in itertools.pairwise(named)
                )
            )
            if anded and _is_count_like(t.low) and not re.search(r"\b(?:total|combined|together|altogether)\b", t.low):
                one_each = True
            if joined and one_each:
                compare_categories = True
                t.find(r"counts|numbers|respectively|each")
            if joined:
                category = "closed" if set(cats) == {"won", "lost"} else None
                filters.append(Filter(field="status_category", op="in", value=cats))
                for (_, _, earlier), (_, _, later) in itertools.pairwise(named):
                    if re.search(r"\b(?:vs\.?|versus)(?!\w)", t.low[earlier.end() : later.start()]):
                        compare_categories = True  # "open vs won vs lost": one count each
                    t.use((earlier.end(), later.start()))
                t.find(r"either|both")
            else:  # "won deals that were lost": not one question; say so
                for _, _, m in named[1:]:
                    t.used[m.start() : m.end()] = [False] * (m.end() - m.start())
                category = cats[0]
                filters.append(Filter(field="status_category", op="=", value=category))
    # a category none of this entity's statuses has ("active deals" where deals are open/won/lost): not answered as 0
    known = getattr(values, "values", None)
    if category is not None and named and known is not None and status_type not in (None, "lead"):
        carriers = {m.value: set(m.entity_types) for d in ("status_category", "category") for m in known(d)}
        if carriers and not all(status_type in carriers.get(c, set()) for c in cats):
            filters = [f for f in filters if f.field != "status_category"]
            for _, _, m in named:
                t.used[m.start() : m.end()] = [False] * (m.end() - m.start())
            category = None
    if plate is not None and category is None and entity.dimension("status_category"):
        category = "open"
        filters.append(Filter(field="status_category", op="=", value="open"))
    if category == "open":
        t.find(r"pipeline")
    overdue = t.find(
        r"overdue|late|past[\s-]due|(?:slipped|slipping|slid) past (?:the |their |its )?(?:expected )?close(?: date)?"
        r"|(?:their |the )?expected close date (?:is |was )?(?:already )?behind us"
        r"|past (?:the |their |its )?(?:expected )?close(?: date)?"
        r"|(?:their |the )?expected close date (?:has |have )?(?:already )?passed"
        r"|(?:an? |their |the )?expected close date (?:is |was |that is )?in the past"
    )
    if overdue is not None:
        date_field = (
            "due_at"
            if entity.dimension("due_at")
            else "expected_close_on"
            if entity.dimension("expected_close_on")
            else None
        )
        if date_field is None:
            t.used[overdue.start() : overdue.end()] = [False] * (overdue.end() - overdue.start())
        else:
            filters.append(Filter(field=date_field, op="<", value=now if date_field == "due_at" else now.date()))
            while t.find(r"overdue|late|past[\s-]due"):
                pass  # "late, past due": said twice
            if category is None and entity.status_type:
                filters.append(Filter(field="status_category", op="=", value="open"))

    # presence: "deals without an account", "contacts whose role has not ended"
    for m in re.finditer(
        r"\b(?:without|missing|with no|lacking|not linked to|aren't linked to|isn't linked to|no)\s+"
        r"(?:an?\s+|any\s+)?(?:linked\s+|attached\s+|associated\s+|assigned\s+)?([a-z]+)",
        t.low,
    ):
        presence_key = _dimension_word(entity, m.group(1))
        dim = entity.dimension(presence_key[0]) if presence_key is not None else None
        if dim is not None and dim.type in ("date", "datetime") and times:
            continue  # "no updates for the last 42 days": nothing in a window, not "never updated"
        if presence_key is not None and t.free((m.start(), m.start(1))):
            filters.append(Filter(field=presence_key[0], op="is_not_set"))
            t.use(m.span())
    if entity.dimension("is_active") is not None:
        if t.find(
            r"active or not|active or inactive|inactive or active|active and inactive|inactive and active"
            r"|active as well as inactive|including (?:the )?inactive(?: ones)?|incl\.? inactive"
        ):
            pass
        elif t.find(r"inactive|deactivated"):
            filters.append(Filter(field="is_active", op="=", value=False))
        elif t.find(r"active|current"):
            filters.append(Filter(field="is_active", op="=", value=True))
            t.find(r"all")  # "all active reps"
        else:
            t.find(r"all")  # "all team members": active or not
    contains = (
        re.search(
            r"\b(?:with|having|has|have)\s+[\"'\u201c]?([\w.&-]+)[\"'\u201d]?\s+(?:(?:somewhere|anywhere)\s+)?in\s+"
            r"(?:(?:their|the|its|his|her)\s+)?(?:job\s+)?(title)s?\b",
            t.low,
        )
        or re.search(
            r"\b(title|name|subject)s?\s+(?:that\s+)?(?:contain(?:s|ing)?|includ(?:es|ing)|with|like|has|having)\s+"
            r"[\"'\u201c%*]*([\w.&-]+?)[\"'\u201d%*]*(?=\s|$|[,.?!;:])",
            t.low,
        )
        or re.search(r"\b(titled)\s+[\"'\u201c]?([\w.&-]+)[\"'\u201d]?", t.low)
        or re.search(r"\b(?:with\s+)?[\"'\u201c]?([\w.&-]+)[\"'\u201d]?\s+(title)s?\b", t.low)
    )
    if contains is not None:
        groups = contains.groups()
        word_field, needle_span = (
            (groups[0], contains.span(2))
            if groups[0] in ("title", "name", "subject", "titled")
            else (
                groups[1],
                contains.span(1),
            )
        )
        key = "title" if entity.dimension("title") is not None and word_field in ("title", "titled") else "name"
        needle = ""
        if entity.dimension(key) is not None and t.free(contains.span()):
            needle = text[needle_span[0] : needle_span[1]]
            needle = re.sub(r"(?i)[-\s]*(?:something|anything|whatever|ish|\.\.\.)$", "", needle)  # "VP-something"
            if needle.lower() in FILLERS:  # "the": not a word anybody looks for in a title
                needle = ""
        if entity.dimension(key) is not None and t.free(contains.span()) and needle:
            filters.append(Filter(field=key, op="contains", value=needle))
            t.use(contains.span())
            t.find(r"whose|hold|holding|containing")
            t.find(r"job(?=\s+titles?\b)")

    for free_start, free_end in exact_status:  # free again, for the value linker
        t.used[free_start:free_end] = [False] * (free_end - free_start)

    # 5. the tenant's values
    value_spans: list[tuple[Span, Filter]] = []
    if values is not None:
        for v in values.link(text, exclude_spans=t.spans()):
            if not t.free(v.span):
                continue
            surface_words = re.findall(r"[\w'\u2019]+", t.low[v.span[0] : v.span[1]])
            if v.score < 1 and all(w in FILLERS or w in _GRAMMAR_WORDS or w in _ORDINARY for w in surface_words):
                continue  # an everyday word is not a typo of a value ("even" is not the source "event")
            before = t.low[: v.span[0]]
            source_cue = _SOURCE_BEFORE.search(before)
            source_after = _SOURCE_AFTER.match(t.low[v.span[1] :])
            if v.dimension == "kind" and source_after and t.free((v.span[1], v.span[1] + source_after.end())):
                v = next((a for a in v.alternatives if a.dimension == "source"), v)  # "email as their source"
                if v.dimension == "source":
                    t.use((v.span[1], v.span[1] + source_after.end()))
            if v.dimension == "source" and source_cue:  # "come in via referral"
                _use_free_words(t, source_cue.span())
            if v.dimension == "kind" and source_cue:
                v = next((a for a in v.alternatives if a.dimension == "source"), v)
                if v.dimension == "source":
                    _use_free_words(t, source_cue.span())
            surface = text[v.span[0] : v.span[1]]
            if (
                v.dimension == "status"
                and surface.islower()
                and all(w in FILLERS for w in surface_words)
                and primary is not None
                and not re.fullmatch(r"\s*", t.low[v.span[1] : primary[0][0]] if v.span[1] <= primary[0][0] else "x")
                and not re.fullmatch(
                    r"\s*(?:(?:that are|which are|are|is)\s+)?(?:(?:currently|still|now|all)\s+)?"
                    r"(?:in|at|with|marked|marked as|as)?\s*"
                    r"(?:(?:the|a)\s+)?(?:status|stage)?\s*",
                    t.low[primary[0][1] : v.span[0]] if primary[0][1] <= v.span[0] else "x",
                )
                and not re.search(r"\b(?:status|stage)\s*(?:is|of|=|:)?\s*$", before)
            ):
                continue  # "what do I still have to do": not the status "To do" (but "to do tasks" is)
            if v.dimension == "status" and surface.islower() and surface.endswith("s") and not v.value.endswith("s"):
                continue  # "offers" is a verb here, not the status "Offer"
            f = _value_filter(entity, v)
            if f is None:  # "referral" names a partnership type and a lead source: take the one this entity has
                applicable = ((a, _value_filter(entity, a)) for a in v.alternatives)
                v, f = next(((a, af) for a, af in applicable if af is not None), (v, None))
            negation = re.search(
                r"(?:!=|<>|\u2260|other than|(?:in\s+)?(?:an?\s+|any\s+)?other (?:stage|status) than|isn't|is not|"
                r"aren't(?: in| at)?|are not(?: in| at)?|isn't in|is not in|not in|not at|not equal to|outside(?: of)?"
                r"|anywhere (?:but|except|other than)|"
                r"(?:except|excluding)(?: for)?(?: (?:those|the ones|ones|deals|opps)(?: that are)?)?(?: in| at)?"
                r"|besides|"
                r"apart from|but not|anything but|not)\s+(?:the\s+|a\s+)?(?:stage\s+|status\s+)?$|\bnon[\s-]*$",
                before,
            )
            if f is not None and negation is not None and t.free((negation.start(), negation.end())):
                f = f.model_copy(update={"op": "!="})
                t.use((negation.start(), negation.end()))
            if f is None or (f.field == "status" and times and v.value.lower() in ("new", "won", "lost", "closed")):
                continue
            filters.append(f)
            if v.dimension != "user":
                value_spans.append((v.span, f))
            t.use(v.span)
            if f.field == "owner":  # the cue just before the name ("owned by Gary"), never an "of" elsewhere
                owner_cue = re.search(r"\b(?:owned by|assigned to|belonging to|of|for|by)\s+$", t.low[: v.span[0]])
                if owner_cue is not None and t.free((owner_cue.start(), owner_cue.end() - 1)):
                    t.use((owner_cue.start(), owner_cue.end() - 1))

    # 6. comparisons on amounts
    money_field = next((d.key for d in entity.dimensions if d.type == "money" and d.via is None), None)
    number_field = money_field or ("probability" if entity.dimension("probability") else None)
    field_word = None
    for pattern, key in (
        (
            r"(?:maximum|max|top of the|upper)[\s-]salar(?:y|ies)(?: range)?|salar(?:y|ies) (?:max(?:imum)?|ceiling)",
            "salary_max",
        ),
        (
            r"(?:minimum|min|bottom of the|starting|lower)[\s-]salar(?:y|ies)|salar(?:y|ies) (?:min(?:imum)?|floor)",
            "salary_min",
        ),
        (
            r"(?:win |close |closing )?probabilit(?:y|ies)(?: (?:of|to) (?:clos(?:e|ing)|win(?:ning)?|landing))?"
            r"|likelihood|chance",
            "probability",
        ),
        (r"salar(?:y|ies)|pay|compensation", "salary_max"),
    ):
        if entity.dimension(key) is not None and (fm := t.find(pattern)) is not None:
            number_field = key
            field_word = fm
            break
    if number_field and field_word is None:
        field_word = t.find(
            r"in value|in size|in amount|values|value|amounts|amount|worth|size|deal size|ticket size|acv|arr|revenue"
            r"|turnover"
        )

    if number_field is not None and entity.dimension(number_field).type != "money":  # type: ignore[union-attr]
        amounts = [n for n in find_numbers(text, exclude_spans=time_spans) if t.free(n.span)]
    used_amounts: list[Any] = []
    range_start = r"(?:between|from|betwen|btw|sized|size|in the|within the|in|within|range of)\s*$"
    pair = next(
        (
            (x, y)
            for x, y in itertools.pairwise(amounts)
            if re.fullmatch(r"\s*(?:[a-z]{3}\s+)?(?:and|to|-|\u2013|\u2014)\s*", t.low[x.span[1] : y.span[0]])
            and (
                re.search(r"(?:between|from|betwen|btw)\s*$", t.low[: x.span[0]])
                or (  # "$10k to $50k", "10 thousand to 50 thousand dollars": plainly a range of money
                    not re.search(r"\band\s*$", t.low[x.span[1] : y.span[0]])
                    and (x.currency or x.magnitude)
                    and (y.currency or y.magnitude)
                    and x.value < y.value
                )
            )
        ),
        None,
    )
    if pair is not None and number_field:
        lo, hi = pair
        start_kw = re.search(range_start, t.low[: lo.span[0]])
        t.use((start_kw.start() if start_kw else lo.span[0], hi.span[1]))
        if (rng := re.match(r"\s*(?:range|bracket|band)\b", t.low[hi.span[1] :])) is not None:
            t.use((hi.span[1], hi.span[1] + rng.end()))
            t.find(r"fall(?:s|ing)?")
        tail = re.match(r"\s+([a-z]{3})\b", t.low[hi.span[1] :])
        if tail and tail.group(1).upper() in ("USD", "EUR", "GBP", "CHF", "DKK", "SEK", "NOK", "JPY", "CAD", "AUD"):
            t.use((hi.span[1], hi.span[1] + tail.end()))
            lo = dataclasses.replace(lo, currency=lo.currency or tail.group(1).upper())
        filters.append(Filter(field=number_field, op="between", value=[lo.value, hi.value]))
        currency = lo.currency or hi.currency
        if currency and entity.dimension("currency"):
            filters.append(Filter(field="currency", op="=", value=currency))
        used_amounts += [lo, hi]
    for amount in amounts:
        if amount in used_amounts or number_field is None:
            continue
        before = t.low[: amount.span[0]].rstrip()
        op = None
        for pattern, symbol in ((_GE, ">="), (_LE, "<="), (_GT, ">"), (_LT, "<")):
            m = re.search(rf"(?:{pattern})\s*$", before)
            if m:
                op = symbol
                t.use((m.start(), amount.span[0]))
                break
        field_name = number_field
        if op is None:
            after = t.low[amount.span[1] :]
            m = re.match(
                r"\s*(?:[a-z]+\s+)?(?:or more|and up|\+|or above|and above|plus|or higher|or greater|or over|or bigger"
                r"|or better|or larger)",
                after,
            )
            if m:
                op = ">="
                t.use((amount.span[1], amount.span[1] + m.end()))
            m2 = re.match(
                r"\s*(?:[a-z]+\s+)?(?:or less|or under|or below|and below|or lower|or fewer|or smaller)", after
            )
            if m2:
                op = "<="
                t.use((amount.span[1], amount.span[1] + m2.end()))
        if op is None:
            continue
        filters.append(Filter(field=field_name, op=op, value=amount.value))
        t.use(amount.span)
        if amount.currency and entity.dimension("currency"):
            filters.append(Filter(field="currency", op="=", value=amount.currency))
        used_amounts.append(amount)
    # words naming the amount field itself
    # 7. measure, grouping, ordering, limit
    measure: Measure | None = None
    by_field: str | None = None
    group_by: list[str] = ["kind"] if lead_kind_grouping else []
    order: list[Order] = []
    limit: int | None = None
    most = t.find(
        r"(?:the )?(?:largest|biggest|highest|greatest|max(?:imum)?) (?:number|count) of|the most|(?<!at )most"
        r"|(?:the )?(?:smallest|lowest|min(?:imum)?) (?:number|count) of|the fewest|fewest|the least|(?<!at )least"
    )
    for pattern, agg in _AGG_WORDS:
        m = t.find(pattern)
        if m is not None and m.group(0) == "total" and primary is not None and 0 < primary[0][1] <= m.start():
            # "note total", "job leads in an open status, total": the rows named, then their total. A count when the
            # rows have no amount; for rows that have one ("lost deal total") a number or a sum: not guessed
            money_said = re.search(r"\b(?:amount|value|worth|revenue|pipeline|dollars?|euros?|pounds?)\b|[$€£]", t.low)
            if number_field is None:
                agg = "count"
            elif not money_said and not any(f.field == "currency" for f in filters):
                t.used[m.start() : m.end()] = [False] * (m.end() - m.start())
                continue
        if m is not None:
            if agg == "sum" and _how_much_of_a_plural(t.low, m, primary, number_field):
                agg = "count"  # "how much deals are open", "total deals": how many, not their amount
            measure = (
                Measure(agg="count")
                if agg == "count"
                else Measure(agg=agg, field=number_field)
                if number_field
                else None
            )
            if measure is None:
                t.used[m.start() : m.end()] = [False] * (m.end() - m.start())
            elif m.group(0).startswith("how") and money_field and (unit := re.match(_MONEY_UNIT, t.low[m.end() :])):
                measure = Measure(agg="sum", field=money_field)  # "how many dollars are in the pipeline": a sum
                if any(f.field == "currency" for f in filters):
                    t.use((m.end(), m.end() + unit.end()))  # "Swiss francs": the currency the linker read
            if measure is not None:
                while t.find(pattern) is not None:
                    pass  # "how much did we win, summed?": the same aggregation said twice
            break
    compared = any(f.field == number_field and f.op not in ("=", "is_set", "is_not_set") for f in filters)
    asks_value = re.search(r"\b(?:what is|what's|whats|how much)\b", t.low) or (
        field_word is not None and re.search(r"\b(?:value|worth)\s+of\b", t.low)
    )
    if measure is None and field_word is not None and number_field == money_field and not compared and asks_value:
        measure = Measure(agg="sum", field=money_field)  # "what is the value of all open deals"
    lists_rows = re.search(
        r"\b(?:everything|list|which|each deal|every deal|all (?:the |our )?(?:deals|opps))\b", t.low
    )
    asks_pipeline = re.search(r"\b(?:pipeline|revenue|turnover|bookings)\b", t.low)
    if measure is None and asks_pipeline and money_field and not lists_rows:
        measure = Measure(agg="sum", field=money_field)
    # groupings: "by stage", "per rep", "for each industry"
    # a lookahead, so that "per owner per stage" finds both groupings
    grouping = r"\b(?=(?:by|per|for each|for every|each|every|across|broken down by|split by|grouped by)\s+([a-z -]+))"
    # "every" groups ("how many deals does every rep have", "tasks in every status") unless the question asks
    # for one total ("how many leads in total, of every type")
    asks_total = re.search(r"\b(?:in total|total|altogether|all together|together|overall|combined|in all)\b", t.low)
    # "broken down by who they're assigned to", "by whoever owns them"
    by_who = re.search(
        r"\bby (?:who|whom|whoever)(?: (?:they're|they are|it's|it is|each is|they were|is|was))?"
        r" (?:assigned(?: to)?|owned(?: by)?|owns? (?:it|them)|working on (?:it|them))",
        t.low,
    )
    owner_key = next((k for k in ("assignee", "owner") if entity.dimension(k) is not None), None)
    if by_who is not None and owner_key is not None and t.free(by_who.span()):
        group_by.append(owner_key)
        t.use(by_who.span())
    # "a status breakdown", "a stage-by-stage breakdown", "tier split"
    breakdown = r"\b([a-z]+(?: [a-z]+)?)(?:[\s-]+by[\s-]+\1)?[\s-]+(?:breakdown|split|distribution)\b"
    for bm in re.finditer(breakdown, t.low):
        for from_at in (bm.start(1), bm.start(1) + (bm.group(1).find(" ") + 1 if " " in bm.group(1) else 0)):
            said_dim = t.low[from_at : bm.end(1)]
            found = _dimension_word(entity, said_dim)
            if found is not None and found[1] == len(said_dim) and t.free((from_at, bm.end())):
                group_by.append(found[0])
                t.use((from_at, bm.end()))
                break
    for m in re.finditer(grouping, t.low):
        if not t.free((m.start(), m.start(1))):
            continue
        if t.low.startswith("every", m.start()) and asks_total:
            continue
        rest, skip = m.group(1), 0
        categories = "|".join(pattern for pattern, _ in _CATEGORY_WORDS)
        while (w := re.match(rf"\s*(?:{categories})\s+", rest[skip:])) is not None and not t.free(
            (m.start(1) + skip, m.start(1) + skip + len(w.group(0).strip()))
        ):
            skip += w.end()  # "by won amount": "won" was read as a category; the grouping word is "amount"
        if skip:
            rest = rest[skip:]
        group_key = _dimension_word(entity, rest)
        group_key = (group_key[0], group_key[1] + skip) if group_key is not None else None
        dim = entity.dimension(group_key[0]) if group_key else None
        if group_key is not None and dim is not None and dim.type in ("date", "datetime"):
            continue  # "by won amount": "won" is a category here; "by close date" needs buckets the model lacks
        if group_key is not None and dim is not None and dim.type in ("number", "money"):
            by_field = group_key[0]  # "top 5 deals by amount": an order, not a grouping
            t.use((m.start(), m.start(1) + group_key[1]))
            continue
        if group_key is not None:
            group_by.append(group_key[0])
            t.use((m.start(), m.start(1) + group_key[1]))
            more = re.match(r"\s+(?:and|&|then)\s+(?:by\s+)?([a-z -]+)", t.low[m.start(1) + group_key[1] :])
            second = _dimension_word(entity, more.group(1)) if more else None
            if more and second and (d2 := entity.dimension(second[0])) is not None and d2.type in ("text", "ref"):
                group_by.append(second[0])  # "by owner and stage"
                t.use((m.start(1) + group_key[1], m.start(1) + group_key[1] + more.start(1) + second[1]))
    # "which rep has the most …", "who has the most open deals"
    if most is not None:
        who = re.search(
            r"\b(which|what|who|whose)\s+([a-z -]+?)\s+(?:has|have|had|with|owns|is|are|got)\b", t.low
        ) or re.search(r"\b(which|what|who|whose)\b", t.low)
        group_key = None
        if who is not None and who.lastindex and who.lastindex >= 2:
            group_key = _dimension_word(entity, who.group(2))
            if group_key is not None:
                t.use((who.start(2), who.start(2) + group_key[1]))
        if group_key is None:
            for w in re.finditer(r"\b[a-z]+", t.low[: most.start()]):
                rest = t.low[w.start() : most.start()]
                found = _dimension_word(entity, rest)
                if found is not None and t.free((w.start(), w.start() + found[1])):
                    dim = entity.dimension(found[0])
                    if dim is not None and dim.type in ("text", "ref"):
                        group_key = found
                        t.use((w.start(), w.start() + found[1]))
                        break
        if group_key is None and who is not None and who.group(1) == "who" and entity.dimension(entity.mine or ""):
            group_key = (entity.mine or "", 0)
        if group_key is not None:
            group_by.append(group_key[0])
            measure = measure or Measure(agg="count")
            order = [
                Order(
                    by="measure",
                    direction="asc" if re.search(r"fe|least|smallest|lowest|min", most.group(0)) else "desc",
                )
            ]
            limit = 1
            t.find(r"which|what|who|whose")
        else:
            t.used[most.start() : most.end()] = [False] * (most.end() - most.start())
    if compare_categories and "status_category" not in group_by:
        group_by.append("status_category")
    into = re.search(r"\b(?:down into|broken into|split into|divided into|into)\b", t.low)
    filters = _dedupe(filters, entity)
    if into is not None:
        for f in filters:
            if f.op == "in" and f.field not in group_by:
                group_by.append(f.field)
                t.use(into.span())
                break
    if group_by and measure is None and field_word is not None and number_field == money_field and money_field:
        measure = Measure(agg="sum", field=money_field)  # "open deal amount by stage"
    if group_by and measure is None:
        measure = Measure(agg="count")
    # written as a query: "order by amount desc limit 5"
    order_by = re.search(r"\b(?:order(?:ed)?|sort(?:ed)?|rank(?:ed)?)\s+by\s+", t.low)
    if order_by is not None and t.free((order_by.start(), order_by.start() + 4)):  # "by amount" may be read
        found = _dimension_word(entity, t.low[order_by.end() :])
        if found is not None:
            field_end = order_by.end() + found[1]
            tail = re.match(
                r"(?:\s+(?:dates?|names?))?\s*(?P<dir>desc(?:ending)?|asc(?:ending)?)?\s*,?\s*(?:limit\s+(?P<n>\d{1,4}))?",
                t.low[field_end:],
            )
            direction = "asc" if tail and (tail.group("dir") or "").startswith("asc") else "desc"
            order = [Order(by=found[0], direction=direction)]
            if tail and tail.group("n"):
                limit = int(tail.group("n"))
            t.use((order_by.start(), field_end + (tail.end() if tail else 0)))
            if limit is not None:
                for x in numbers:
                    if x.span[0] >= field_end and x.value == limit:
                        t.use(x.span)
    # top N / largest / latest
    for pattern, direction in _SUPERLATIVE:
        m = t.find(pattern)
        if m is not None:
            n = _number_near(numbers, m.span(), t)
            if n is None:  # "which three job leads have the highest …"
                n = next(
                    (
                        int(x.value)
                        for x in numbers
                        if t.free(x.span) and not x.percent and x.value == int(x.value) and 1 <= x.value <= 100
                    ),
                    None,
                )
                for x in numbers:
                    if n is not None and t.free(x.span) and x.value == n:
                        t.use(x.span)
                        break
            after_key = _dimension_word(entity, t.low[m.end() :].strip())
            after_dim = entity.dimension(after_key[0]) if after_key else None
            if after_key and after_dim is not None and after_dim.type in ("text", "ref") and not group_by:
                word_start = m.end() + (len(t.low[m.end() :]) - len(t.low[m.end() :].lstrip()))
                t.use((word_start, word_start + after_key[1]))
                group_by.append(after_key[0])  # "top industry by number of orgs"
                money_by = by_field is not None and entity.dimension(by_field).type == "money"  # type: ignore[union-attr]
                measure = measure or (Measure(agg="sum", field=by_field) if money_by else Measure(agg="count"))
                order, limit = [Order(by="measure", direction=direction)], n or 1
                break
            asks_row = re.search(r"\b(?:which|who)\b", t.low) is not None  # "which deal has the highest amount"
            row_named = (  # "the single largest open deal by amount": the deal, named right after its superlative
                by_field is not None
                and primary is not None
                and primary[0][0] >= m.end()
                and primary[0][1] > primary[0][0]
                and all(
                    not t.free((m.end() + w.start(), m.end() + w.end())) or w.group(0) in FILLERS
                    for w in re.finditer(r"\S+", t.low[m.end() : primary[0][0]])
                )
            )
            asks_row = asks_row or row_named
            if (  # "the open opportunity with the highest amount": that opportunity
                primary is not None
                and 0 < primary[0][1] <= m.start()
                and not t.low[primary[0][0] : primary[0][1]].endswith("s")
                and re.fullmatch(
                    r"\s+(?:with|that has|which has|having|that had)\s+(?:the\s+)?", t.low[primary[0][1] : m.start()]
                )
            ):
                asks_row = True
            if asks_row and re.search(  # "which is the smallest amount of a deal": the amount is asked, not the deal
                r"\bwhich\s*(?:'s|is|was)\s+(?:the\s+)?(?:\w+\s+){1,2}"
                r"(?:amount|value|size|deal size|probability|salary)\b",
                t.low,
            ):
                asks_row = False
            if (
                number_field
                and measure is None
                and not group_by
                and n is None
                and field_word
                and by_field is None
                and not asks_row
            ):
                measure = Measure(agg="max" if direction == "desc" else "min", field=number_field)
                break
            if measure is not None and group_by:
                order = [Order(by="measure", direction=direction)]
                limit = n or 1
            elif number_field:
                order = [Order(by=by_field or number_field, direction=direction)]
                limit = n or 1
                if measure is not None and measure.agg == "sum" and row_named:
                    measure = None  # "what's the largest open deal by amount": the deal, not a sum turned max
                elif measure is not None and measure.agg != "count":
                    measure = Measure(agg="max" if direction == "desc" else "min", field=number_field)
                    order, limit = [], None
            else:
                t.used[m.start() : m.end()] = [False] * (m.end() - m.start())
            break
    if forced_latest and not order and entity.default_date:
        order, limit = [Order(by=entity.default_date, direction="desc")], 1
    if not order and (measure is None or group_by):  # "count deals last updated …": no ranking of a count
        for pattern, direction in _RECENT:
            if (
                times
                and pattern.startswith("latest")
                and re.search(r"\blast\s+(?:week|month|quarter|year|\d+|\w+ (?:days|weeks|months))", t.low)
            ):
                continue
            m = t.find(pattern)
            if m is not None and entity.default_date:
                n = _number_near(numbers, m.span(), t)
                by_date = entity.default_date
                if category in ("won", "lost", "closed") and entity.dimension("closed_at"):
                    by_date = "closed_at"  # "the first deal we won": the first one closed, not the first created
                order = [Order(by=by_date, direction=direction)]
                limit = n or 1
                break

    # 8. time windows, on the date the question's verb names
    time_filters: list[TimeFilter] = []
    windows_seen: set[tuple[Any, Any, str]] = set()
    for tm in times:
        if (tm.start, tm.end, tm.direction) in windows_seen:
            continue  # "in Q3 2026 (jul to sep)": the same window said twice
        windows_seen.add((tm.start, tm.end, tm.direction))
        date_field = _date_field(entity, t, tm, category)
        if date_field is None:
            notes.append(tm.label)
            t.used[tm.span[0] : tm.span[1]] = [False] * (tm.span[1] - tm.span[0])
            continue
        start, end = (
            (None, tm.end)
            if tm.direction == "before"
            else (tm.start, None)
            if tm.direction == "since"
            else (tm.start, tm.end)
        )
        label = tm.label
        # "nobody touched", "no activity", "not updated", "untouched", "stale": only a negation of a *touch* turns the
        # window into "nothing since"; "not won in the last 30 days" is another question (its "not" stays unapplied)
        negated = re.search(
            r"\b(?:nobody|no one|untouched|stale|idle)\b|\b(?:not|no|never|haven't|hasn't|havent|hasnt|without|n't)\s+"
            r"(?:been\s+|had\s+|any\s+|an?\s+)?(?:touched|updated|update|updates|activity|modified|changed|touch)\b",
            t.low,
        )
        if negated and tm.direction == "window" and tm.start is not None and tm.end is not None and tm.end >= now:
            start, end = None, tm.start  # "nobody updated in the last six weeks": last update before its start
            label = f"before {tm.start.date().isoformat()} (nothing in {tm.label})"
        if (
            (negated or tm.direction == "before")
            and end is not None
            and start is None
            and (negated or re.search(r"\b(?:for|touched|updated)\b", t.low))
        ):
            date_field = "updated_at" if entity.dimension("updated_at") else date_field
            if negated:
                for negation_match in re.finditer(negated.re, t.low):
                    t.use(negation_match.span())
            while t.find(
                r"nobody|no one|untouched|stale|idle|been|for|touched|updated|update|updates|activity|modified"
                r"|changed|in|gone|sat|sitting|left|last(?= (?:updated|update|modified|touched|changed))"
            ):
                pass
        if (
            date_field in ("expected_close_on", "due_at")
            and tm.direction == "window"
            and tm.end is not None
            and tm.start is not None
            and tm.end <= now
            and (tm.end - tm.start).days <= 92
            and not re.search(r"\d{4}|last|past|previous|ago", text[tm.span[0] : tm.span[1]].lower())
        ):  # "deals closing in December": the coming December
            try:
                start, end = tm.start.replace(year=tm.start.year + 1), tm.end.replace(year=tm.end.year + 1)
                label = tm.label.replace(str(tm.start.year), str(start.year))
            except ValueError:  # 29 February
                pass
        if date_field == "expected_close_on":
            if category is None and entity.dimension("status_category"):
                category = "open"  # a deal expected to close is one still open
                filters.append(Filter(field="status_category", op="=", value="open"))
            if start is None and re.search(r"\b(?:end of|by the end|before the end)\b", t.low):
                start = now.replace(hour=0, minute=0, second=0, microsecond=0)
                label = f"{tm.label}, from {start.date().isoformat()}"
        if any(tf.field == date_field for tf in time_filters) and tm.direction == "window":
            t.used[tm.span[0] : tm.span[1]] = [False] * (tm.span[1] - tm.span[0])
            continue  # "in the coming month (next 30 days)": two windows on one date; not silently both
        time_filters.append(TimeFilter(field=date_field, start=start, end=end, label=label))

    # 10. the words naming a field the query uses ("the Qualification stage", "source referral", "type")
    used_fields = {f.field for f in filters} | {tf.field for tf in time_filters} | set(group_by)
    used_fields |= {o.by for o in order} | ({measure.field} if measure is not None and measure.field else set())
    for key in used_fields:
        dim = entity.dimension(key)
        if dim is None:
            continue
        words = {dim.key.replace("_", " "), *dim.synonyms, *((dim.label,) if dim.label else ())}
        for word in sorted(words, key=len, reverse=True):
            while t.find(re.escape(word) + r"s?(?: dates?| names?| fields?| columns?| values?)?"):
                pass
    if order and limit is not None:  # "… the highest salary floor? top 3 please": the limit said again
        for x in numbers:
            top = re.search(r"\b(?:top|first)\s+$", t.low[: x.span[0]])
            if x.value == limit and not t.free(x.span) and top is not None and t.free(top.span()):
                t.use(top.span())
    for fw in re.finditer(r"\b([a-z]+)\s+(names?|fields?|columns?|values?)\b", t.low):  # "group by stage name"
        if not t.free(fw.span(1)) and t.free(fw.span(2)) and _dimension_word(entity, fw.group(1)) is not None:
            t.use(fw.span(2))
    if used_fields & {
        "expected_close_on",
        "closed_at",
        "created_at",
        "due_at",
        "occurred_at",
        "started_on",
        "completed_at",
        "updated_at",
        "ended_on",
    }:
        while t.find(r"dates?|day"):
            pass
    if order and not group_by and order[0].by != "measure":
        # "the newest deal by creation date", "top 3 jobs by salary floor": the ordering's own "by", before the words
        # naming the ordering field (read above)
        for by in re.finditer(r"\bby\s+(?=[a-z])", t.low):
            if t.free((by.start(), by.start() + 2)) and not t.free((by.end(), by.end() + 1)):
                t.use((by.start(), by.start() + 2))
    if entity.key in ("job", "partnership"):
        t.find(r"leads?")
    if group_by:
        while t.find(r"with a count for each|a count for each|for each|each|count|counts"):
            pass
        if "assignee" in group_by:  # "how many open tasks does each person have assigned"
            t.find(r"assigned(?: to)?|have assigned|has assigned")
        while t.find(_GROUPING_WORDS + r"|break|breaks|broken|down"):
            pass
    # "across all job leads", "over every deal": the whole entity, already named
    for m in re.finditer(
        r"\b(?:(?:across|over|among|for|per)\s+)?(?:all|every|each|the|our|a)?\s*(?:of\s+)?(?:the\s+|our\s+)?", t.low
    ):
        if primary is None or primary[0][1] <= primary[0][0] or not m.group(0).strip() or not t.free(m.span()):
            continue
        between = t.low[m.end() : primary[0][0]]
        if m.end() <= primary[0][0] and all(
            not t.free((m.end() + w.start(), m.end() + w.end())) for w in re.finditer(r"\S+", between)
        ):
            if re.match(r"\s*(?:each|per)\b", m.group(0)) and (measure is None or measure.agg == "count"):
                continue  # "deals per owner" is a grouping; only "average value per deal" is the whole entity
            t.use(m.span())  # "every deal", "across all job leads", "avg value per won opp"
    # "how big", "how large", "size": the amount, when the query measures or orders by it
    if money_field and (
        (measure is not None and measure.field == money_field) or any(o.by == money_field for o in order)
    ):
        while t.find(r"how big|how large|big|large|sized?"):
            pass
    if any(tf.field == "created_at" for tf in time_filters):
        t.find(r"(?:have |has |had )?(?:come|comes|came|coming) in")
    if not group_by:  # "of every type", "of all kinds": no filter on the type
        t.find(
            r"(?:of|in|with|across) (?:every|all|any) (?:types?|kinds?|sorts?|stages?|statuse?s?)"
            r"|(?<!for )(?<!per )(?<!by )(?:all|any) (?:types?|kinds?|sorts?|stages?|statuse?s?)"
        )
    # "back in March": a time already read
    for m in re.finditer(r"\bback\s+(?=(?:in|on|during|at)\b)", t.low):
        rest = re.match(r"(?:in|on|during|at)\s+", t.low[m.end() :])
        if rest and not t.free((m.end() + rest.end(), m.end() + rest.end() + 1)):
            t.use(m.span())

    # 9. a name: an organization or a person, through the resolver
    focus: Candidate | None = None
    clarification: Resolution | None = None
    mention: str | None = None
    if resolver is not None and tenant_id is not None:
        name_found = _name_mention(t, [span for span, _ in value_spans])
        if name_found is not None and not any(
            t.free((w.start() + name_found[0][0], w.end() + name_found[0][0]))
            for w in re.finditer(r"[\w&'\u2019-]+", t.text[name_found[0][0] : name_found[0][1]])
        ):
            name_found = None  # only words already linked to values ("Manufacturing companies")
        if name_found is not None:
            span, mention = name_found
            dims = _name_dimensions(entity)
            if dims:
                types = sorted({typ for typ, _ in dims})
                resolution = resolver.resolve(mention, tenant_id, types=types, limit=5)
                caps = any(c.isupper() for c in mention)
                if resolution.candidates and resolution.ambiguous and caps and resolution.candidates[0].score >= 0.5:
                    clarification = resolution
                    t.use(span)
                elif resolution.candidates and resolution.candidates[0].score >= (0.5 if caps else 0.8):
                    best = resolution.candidates[0]
                    name_field = next((d for typ, d in dims if typ == best.type), None)
                    member = _team_member(values, mention) if best.type == "Person" and entity.mine else None
                    about = re.search(r"\b(?:about|regarding|involving|with|concerning|re)\s*$", t.low[: span[0]])
                    if member is not None and about is None:
                        # "open tasks for Jeoren de Wit": a team member's name, typed wrong, is the assignee/owner,
                        # not the person the task is about
                        filters.append(Filter(field=entity.mine, op="=", value=member.value, display=member.display))
                        t.use(span)
                        t.find(r"for|of|by|assigned to|owned by")
                        name_field = None
                    if name_field is not None:
                        inside = [f for sp, f in value_spans if span[0] <= sp[0] and sp[1] <= span[1]]
                        filters = [f for f in filters if not any(f is g for g in inside)]
                        filters.append(Filter(field=name_field, op="=", value=best.id, display=best.name))
                        focus = best
                        t.use(span)
                        t.find(r"at|with|for|about|from|of|on|regarding|involving|to")

    # verbs and nouns that only name a field the query filters on ("originated from", "priced in", "employed at")
    applied = {f.field for f in filters} | {tf.field for tf in time_filters} | set(group_by)
    for key, cue in _FIELD_CUES:
        if key in applied:
            while t.find(cue):
                pass
    for f in filters:  # the words of a field a name was linked to ("Quellental as their subject")
        dim = entity.dimension(f.field)
        if dim is not None and dim.type == "ref":
            for word in sorted({*dim.synonyms, dim.key}, key=len, reverse=True):
                t.find(rf"(?:as (?:their|its|the) )?{re.escape(word)}")

    # "Prospecting or Qualification": an "or" between two values of one field (one `in` filter) is used
    for m in re.finditer(r"\bor\b", t.low):
        left = next((f for sp, f in value_spans if re.fullmatch(r"[\s,]*", t.low[sp[1] : m.start()])), None)
        right = next((f for sp, f in value_spans if re.fullmatch(r"[\s,]*(?:the\s+)?", t.low[m.end() : sp[0]])), None)
        if left is not None and right is not None and left.field == right.field:
            t.use(m.span())

    for span, f in value_spans:  # "come in via referral", "sourced through partners": the source's own cue
        via_cue = re.search(r"\b(?:via|through|thru)\s+(?:the\s+|a\s+)?$", t.low[: span[0]])
        if f.field == "source" and via_cue is not None:
            _use_free_words(t, via_cue.span())
    # 10b. "whatever their status", "no type filter" said no filter: reported after all if there is one
    filtered = {f.field for f in filters} | {"status" for f in filters if f.field == "status_category"}
    for span, field_name in no_filter:
        if field_name in filtered:
            t.used[span[0] : span[1]] = [False] * (span[1] - span[0])

    while t.find(_UP_TO_NOW):
        pass
    if measure is not None:
        t.find(r"combined|in total|altogether|all together")
    if any(f.field == "team_member" for f in filters):  # "meetings I sat in on"
        while t.find(r"sat|sit|took part|take part|attended|joined"):
            pass
    if any(f.field in ("account", "tier", "organization") for f in filters):  # "opps that sit under our accounts"
        t.find(r"sit(?:s|ting)? (?:under|in|on|with|at)|(?:fall|falls|come|comes) under")
    # "across the team", "across our open pipeline", "across jobs, opportunities and partnerships": all of them
    for am in re.finditer(r"\bacross\s+(?:the\s+|our\s+|all\s+)?(?:whole\s+|entire\s+)?(\w+)", t.low):
        if t.free((am.start(), am.start() + 6)) and (
            am.group(1) in ("team", "board", "company", "org", "organization", "crm")
            or not t.free((am.start(1), am.end(1)))
        ):
            t.use((am.start(), am.start() + 6))
            _use_free_words(t, (am.start() + 6, am.start(1)))
            if am.group(1) in ("team", "board", "company", "org", "organization", "crm"):
                t.use((am.start(1), am.end(1)))
    # "vp contacts": a title word before the people it names
    title_dim = entity.dimension("title")
    if title_dim is not None and primary is not None and primary[0][1] > primary[0][0]:
        head = re.search(rf"\b({_TITLE_WORDS})\s+$", t.low[: primary[0][0]])
        if head is not None and t.free(head.span(1)) and not any(f.field == "title" for f in filters):
            filters.append(Filter(field="title", op="contains", value=text[head.start(1) : head.end(1)].rstrip("s")))
            t.use(head.span(1))

    # 11. the rest of the words: fillers, or unapplied
    leftovers = [(span, w) for span, w in t.leftovers() if w.lower().strip(".,?!'\u2019") not in FILLERS]
    leftovers = [(span, w) for span, w in leftovers if not re.fullmatch(r"[?!.,;:'\u2019\"-]+", w)]
    unapplied = _phrases(leftovers, text)
    if (
        measure is None
        and not order
        and limit is None
        and not group_by
        and money_field
        and field_word is not None
        and number_field == money_field
        and not compared
        and not re.search(r"\b(?:list|show|which|display|each|their|its|with|having|has|have)\b", t.low)
    ):
        measure = Measure(agg="sum", field=money_field)  # "won amount ytd": the amount, not a list of deals
    if measure is None and not order and limit is None and _is_count_like(t.low):
        measure = Measure(agg="count")
    if measure is None and not group_by:  # a measure word no pass used: the question asked for a number, not rows
        for measure_word in re.finditer(r"\b(?:sum|sums|total|totals|average|avg|mean|median|count)\b", t.low):
            after = t.low[measure_word.end() :]
            if t.free(measure_word.span()) and not re.match(r"\s+(?:number|count|of\s+all)\b", after):
                unapplied.append(measure_word.group(0))
    query = StructuredQuery(
        entity=entity.key,
        filters=_dedupe(filters, entity),
        time=time_filters,
        measure=measure,
        group_by=list(dict.fromkeys(group_by)),
        order=order,
        limit=limit,
    )
    if follow_up and previous is not None and primary is None:
        query = query.model_copy(update={"group_by": query.group_by or [], "time": [*previous.time, *query.time]})
    return Parsed(query, unapplied, clarification, mention, focus, notes)


def _is_count_like(low: str) -> bool:
    return bool(re.search(r"\b(?:how many|number of|count)\b", low))


def _dedupe(filters: list[Filter], entity: Entity | None = None) -> list[Filter]:
    """Repeated filters once; two values of one single-valued field ("in Prospecting or Qualification",
    "in Prospecting and Qualification") as one ``in`` filter: a row has one status, so both mean either."""
    seen: set[tuple[str, str, str]] = set()
    out: list[Filter] = []
    for f in filters:
        key = (f.field, f.op, repr(f.value))
        if key in seen:
            continue
        seen.add(key)
        dim = entity.dimension(f.field) if entity is not None else None
        single = dim is not None and dim.type == "text" and not (dim.via and entity and entity.relation(dim.via).many)  # type: ignore[union-attr]
        same = next((o for o in out if o.field == f.field and o.op in ("=", "in") and f.op == "=" and single), None)
        if same is not None:
            values = same.value if same.op == "in" else [same.value]
            out[out.index(same)] = Filter(field=f.field, op="in", value=[*values, f.value])
            continue
        out.append(f)
    return out


def _phrases(leftovers: list[tuple[Span, str]], text: str) -> list[str]:
    phrases: list[str] = []
    last_end = -10
    for (start, end), _w in leftovers:
        between = text[last_end:start] if last_end >= 0 else ""
        if phrases and last_end >= 0 and between.strip() == "":
            phrases[-1] = phrases[-1] + text[last_end:end]
        else:
            phrases.append(text[start:end])
        last_end = end
    return [p.strip(" ?.!,") for p in phrases if p.strip(" ?.!,")]


def _use_free_words(t: _Text, span: Span) -> None:
    """Mark the words of ``span`` no pass used yet as used (a cue some of whose words another pass read)."""
    for w in re.finditer(r"\S+", t.low[span[0] : span[1]]):
        word_span = (span[0] + w.start(), span[0] + w.end())
        if t.free(word_span):
            t.use(word_span)


def _dimension_word(entity: Entity, words: str) -> tuple[str, int] | None:
    """The dimension named at the start of ``words`` ("stage", "rep", "industry"), and the length used."""
    best: tuple[str, int] | None = None
    for dim in entity.dimensions:
        for syn in (dim.key.replace("_", " "), *dim.synonyms, *((dim.label,) if dim.label else ())):
            if re.match(rf"{re.escape(syn)}s?\b", words) and (best is None or len(syn) > best[1]):
                best = (dim.key, len(syn) + (1 if words[len(syn) : len(syn) + 1] == "s" else 0))
    if (
        best is None
        and re.match(r"(?:company|companies|organization|org|customer|account)s?\b", words)
        and entity.dimension("organization")
    ):
        m = re.match(r"\w+", words)
        return ("organization", m.end() if m else 0)
    if best is None and re.match(
        r"(?:rep|owner|seller|salesperson|person|user|team member|ae|account executive)s?\b", words
    ):
        key = "owner" if entity.dimension("owner") else "assignee" if entity.dimension("assignee") else None
        if key:
            m = re.match(r"\w+", words)
            return (key, m.end() if m else 0)
    if best is None and re.match(r"(?:type|kind|channel|sort)s?\b", words) and entity.dimension("kind"):
        m = re.match(r"\w+", words)
        return ("kind", m.end() if m else 0)
    return best


def _number_near(numbers: list[Any], span: Span, t: _Text) -> int | None:
    for n in numbers:
        near = 0 <= n.span[0] - span[1] <= 2 or 0 <= span[0] - n.span[1] <= 2
        if near and n.value == int(n.value) and 1 <= n.value <= 1000:
            t.use(n.span)
            return int(n.value)
    return None


def _date_field(entity: Entity, t: _Text, tm: Any, category: str | None = None) -> str | None:
    low = t.low
    if (
        category in ("won", "lost", "closed")
        and entity.dimension("closed_at")
        and not re.search(r"\b(?:expected to close|closing|due to close|expected close)\b", low)
    ):
        for m in re.finditer(r"\b(?:closed|close|closes)\b", low):
            t.use(m.span())
        return "closed_at"
    past_close = re.search(
        r"\b(?:did|have|has|had|we|they|you|i)\s+(?:\w+\s+)?(?:actually\s+|already\s+)?close\b"
        r"|\bclosed\b(?!\s+date)|\bclose[sd]? out\b",
        low,
    )
    if (
        past_close
        and entity.dimension("closed_at")
        and not re.search(
            r"\b(?:will|going to|expected to|due to|set to|scheduled to|slated to|should|closing|expected close)\b", low
        )
    ):
        t.use(past_close.span())
        return "closed_at"  # "how many deals did we close last month": closed then, not expected to close then
    choices: list[tuple[str, str]] = [
        (
            r"(?:expect(?:ed|ing)?|forecast(?:ed)?|projected|slated|set|going|likely) to (?:close|land|sign)"
            r"|clos(?:e|es|ing)|due to close|expected close|expected closes?|land(?:s|ing)?",
            "expected_close_on",
        ),
        (r"closed|won|win|wins|lost|lose|signed|landed|booked", "closed_at"),
        (r"created|added|new|opened|came in|come in|comes in|coming in|entered", "created_at"),
        (r"due", "due_at"),
        (r"completed|complete|finished|finish|done|closed out", "completed_at"),
        (r"updated|touched|modified|changed", "updated_at"),
        (r"started|began|begun|start|kicked off|kick off|kicks off|commenced", "started_on"),
        (r"ended|end", "ended_on"),
    ]
    field_changed = re.search(  # "whose amount changed": a field's history, which the graph does not keep
        r"\b(?:amount|value|stage|status|owner|probability|price|title|tier|close date|salary)s?\s+"
        r"(?:was\s+|were\s+|has\s+been\s+|have\s+been\s+|got\s+|has\s+|have\s+)?"
        r"(?:changed|updated|modified|edited|increased|decreased|went up|went down|moved)\b",
        low,
    )
    for pattern, key in choices:
        if entity.dimension(key) is None or (key == "updated_at" and field_changed):
            continue
        word_match = re.search(rf"\b(?:{pattern})\b", low)
        if word_match:
            t.use(word_match.span())
            return key
    return entity.default_date


def _name_mention(t: _Text, value_spans: list[Span] = ()) -> tuple[Span, str] | None:  # type: ignore[assignment]
    """The name after a preposition (or a run of capitalised words), among the words no pass used; words a value
    linked may be part of it ("Quellental Logistiek BV": the industry "Logistiek" is part of a name)."""

    def usable(span: Span) -> bool:
        return t.free(span) or any(a <= span[0] and span[1] <= b for a, b in value_spans)

    for m in re.finditer(rf"\b(?:{_PREPOSITIONS})\s+", t.text, re.IGNORECASE):
        if not t.free((m.start(), m.end() - 1)) and not re.match(r"(?:at|with|about|for)\b", m.group(0), re.I):
            continue
        words: list[str] = []
        first = last = m.end()
        for w in re.finditer(r"[\w&.'\u2019-]+", t.text[m.end() :]):
            s0, e0 = m.end() + w.start(), m.end() + w.end()
            if words and t.text[last:s0].strip():
                break
            low = w.group(0).lower().strip(".")
            if not words and low == "the":
                continue
            if not usable((s0, e0)) or low in FILLERS:
                break
            if not words:
                first = s0
            words.append(w.group(0))
            last = e0
            if len(words) >= 6:
                break
        if words:
            return (first, last), " ".join(words).strip(".'\u2019")
    # no preposition: a run of capitalised words nothing else used ("Northwind Traders Inc. deals")
    for m in re.finditer(r"[A-Z][\w&'\u2019-]*\.?(?:\s+[A-Z][\w&'\u2019-]*\.?){0,4}", t.text):
        word_spans = [(m.start() + w.start(), m.start() + w.end()) for w in re.finditer(r"[\w&'\u2019-]+", m.group(0))]
        if all(usable(w) for w in word_spans) and m.group(0).lower().strip(".") not in FILLERS:
            return m.span(), m.group(0).strip(".'\u2019")
    return None


def _team_member(values: ValueLinker | None, mention: str) -> Any:
    """The team member a name (maybe mistyped) names, when one matches closely (rapidfuzz ratio ≥ 85)."""
    from rapidfuzz import fuzz

    members = getattr(values, "values", None)
    if members is None:
        return None
    scored = [(fuzz.ratio(mention.lower(), m.display.lower()), m) for m in members("user")]
    scored = [(score, m) for score, m in scored if score >= 85]
    if len(scored) != 1:
        return None  # none, or several: the resolver's reading stands (or it asks)
    return scored[0][1]


def _name_dimensions(entity: Entity) -> list[tuple[str, str]]:
    """(graph type, dimension) a named organization or person filters on."""
    dims = []
    for typ, keys in (
        ("Organization", ("organization", "employer", "subject")),
        ("Person", ("participant", "person", "subject")),
    ):
        for key in keys:
            if entity.dimension(key) is not None:
                dims.append((typ, key))
                break
    return dims


def _how_much_of_a_plural(low: str, m: re.Match[str], primary: Any, number_field: str | None) -> bool:
    """ "how much" or "total" that counts: it is followed, within a few words, by the entity named in the plural ("how
    much open opportunities", "total deals under my name") and no word asks for money ("worth", "value", "dollars")."""
    if not re.match(r"how much|total", m.group(0)) or primary is None or primary[0][0] < m.end():
        return False
    between = low[m.end() : primary[0][0]].split()
    noun = low[primary[0][0] : primary[0][1]]
    if len(between) > 4 or not noun.endswith("s") or re.fullmatch(r"\w+ss", noun):
        return False
    verbs = ("is", "was", "are", "were", "'s", "in", "of", "do", "did", "does", "have", "has", "we")
    if any(w in verbs for w in between):
        return False  # "how much is in the open deals": an amount
    asks_money = re.search(
        r"\b(?:worth|value|valued|revenue|turnover|pipeline|bookings|dollars?|euros?|pounds?|money|salar(?:y|ies)"
        r"|(?:amount|size)s?(?!\s+(?:of\s+)?(?:is\s+)?(?:over|above|more|greater|bigger|larger|higher|less|smaller|"
        r"lower|under|below|at least|at most|between|from|>|<|\u2265|\u2264|=))"
        r"|pay)\b|[$€£]",
        low,
    )
    return asks_money is None or (number_field is None)


# A field's test written out: "is not set", "is null", "= true"; the field is the words before it.
_EXPLICIT_TEST = (
    r"(?<![\w])(?:is\s+not\s+set|is\s+(?:null|empty|blank|missing|unset)|(?:=|==)\s*null|is\s+set"
    r"|is\s+not\s+(?:null|empty|blank)|(?:=|==|is)\s*(?:true|yes|false))(?![\w])"
)
# Job titles written before "contacts" or "people" ("vp contacts", "cto contacts"): a title filter.
_TITLE_WORDS = (
    r"vps?|svps?|evps?|ceos?|ctos?|cfos?|coos?|cmos?|cios?|cros?|directors?|managers?|founders?|engineers?"
    r"|presidents?|chiefs?|heads? of \w+"
)
_NO_FILTER_FIELDS = (
    (r"status(?:es)?|stages?", "status"),
    (r"types?|kinds?", "kind"),
    (r"currenc(?:y|ies)", "currency"),
    (r"active", "active"),
)
# Phrases that say a field is NOT filtered on (used only when the query indeed has no filter on it) or that add
# nothing ("on file", "in the system", "so far"): they are read, not reported.
_NO_FILTER = (
    r"\b(?:(?:no|without(?: an?)?|with no)(?: (?P<field>status(?:es)?|stages?|types?|kinds?|currenc(?:y|ies)|active))?"
    r" filters?"
    r"|(?:whatever|regardless of|irrespective of|any|of any|in any)"
    r" (?:(?:their|the|its|of) )?(?P<field2>status(?:es)?|stages?|types?|kinds?|currenc(?:y|ies))|all currencies"
    r"|(?:across |in )?(?<!of )(?<!per )(?<!by )(?:every|all) (?P<field3>types?|kinds?|currenc(?:y|ies))"
    r"|(?P<both>open or closed|active (?:or|and) (?:inactive|not active)|including\.?(?: the)? inactive(?: ones)?"
    r"|not (?:just|only) (?:the )?(?:open|active|won|lost|closed)(?: ones)?"
    r"|(?:the )?active and (?:the )?not active(?: ones)?|counting the inactive(?: ones)?(?: too)?)"
    r"|(?<=\s)(?:all|every) (?:stages|statuses|types|kinds) included"
    r"|(?:on file|on the books|in (?:the |our )?(?:system|crm|database|db)|in the records)"
    r"|any year|any time|at any time|(?:team|company|org|organi[sz]ation)[\s-]wide|across the (?:team|company|board)"
    r"|since we started|since (?:the )?beginning of time|all time|of all time|ever)\b"
)
# Said after a window or on its own: "until now", "so far" (read last, when no time pass took them)
_UP_TO_NOW = r"(?:until|up to|up till|till) (?:now|today)|so far"


_LEAD_TYPE_WORDS = (
    (r"jobs?|job leads?|roles?|positions?|hires?|hiring", "job"),
    (r"opportunit(?:y|ies)|opps?|deals?", "opportunity"),
    (r"partnerships?|partners?", "partnership"),
)
_LEAD_TYPE = "|".join(f"(?:{pattern})" for pattern, _ in _LEAD_TYPE_WORDS)


def _lead_type_list(t: _Text) -> tuple[Span, set[str]] | None:
    """Two or three lead types named as a list ("jobs, opportunities and partnerships", "job/opportunity"): the
    span of the list and the types it names; None unless at least two distinct types are listed."""
    for m in re.finditer(
        rf"\b(?:{_LEAD_TYPE})(?:\s*(?:,|/|\bor\b|\band\b|&|\+)\s*(?:(?:and|or)\s+)?(?:{_LEAD_TYPE}))+\b"
        r"(?:\s+(?:together|combined|alike|included|all))?",
        t.low,
    ):
        kinds = {
            kind
            for word in re.findall(r"[a-z]+", m.group(0))
            for pattern, kind in _LEAD_TYPE_WORDS
            if re.fullmatch(pattern, word)
        }
        if len(kinds) >= 2 and t.free(m.span()):
            return m.span(), kinds
    return None


def _value_filter(entity: Entity, v: Any) -> Filter | None:
    dimension = v.dimension
    types = set(v.entity_types)
    if dimension == "status":
        st = _STATUS_TYPE.get(entity.key)
        if st is None or (st != "lead" and st not in types):
            return None
        return Filter(field="status", op="=", value=v.value)
    if dimension == "status_category":
        st = _STATUS_TYPE.get(entity.key)
        if types and st not in (None, "lead") and st not in types:
            return None  # no status of this entity has that category ("active deals")
        return Filter(field="status_category", op="=", value=v.value) if entity.dimension("status_category") else None
    if dimension == "user":
        key = entity.mine if entity.mine in ("owner", "assignee", "team_member") else None
        return Filter(field=key, op="=", value=v.value, display=v.display) if key else None
    field_name = {
        "industry": "industry",
        "location": "location",
        "tier": "tier",
        "currency": "currency",
        "source": "source",
        "kind": "kind",
        "employment_type": "kind",
        "partnership_type": "kind",
    }.get(dimension)
    if field_name is None or entity.dimension(field_name) is None:
        return None
    dim = entity.dimension(field_name)
    assert dim is not None
    carriers = {{"deal": "opportunity"}.get(entity.key, entity.key)}
    if entity.labels[0] == "Lead":
        carriers.add("lead")
    if dim.via is not None:
        relation = entity.relation(dim.via)
        carriers = {relation.target} if relation is not None else carriers
    if types and not (carriers & types):
        return None
    return Filter(field=field_name, op="=", value=v.value)


Parse = Callable[..., Parsed]
