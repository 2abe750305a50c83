"""Words around a question that are not part of it, taken out before the parser reads it.

People wrap a CRM question in talk: a voice assistant's "um" and "like", a chat message's "quick q —", "pls",
"thx", "fyi", a British "cheers, mate", who wants the answer ("my boss wants to know: …") and what it is for
("… for the board pack", "prepping for pipeline review"). None of it filters, measures or orders anything, so it is
removed here, from a closed list: a word that is not on the list stays in the question, and the parser either uses
it or reports it in ``unapplied``. That is the safety rule of this module: an aside is removed only when its every
word is known to say nothing about the rows ("for the board pack" goes; "for the west region" stays, and is
reported).

Also here: the same question in another register, written the way the parser's passes read it — a recruiter's
"on the books", a British "sat in Prospecting", "all up", a spoken year ("twenty twenty six") or quarter ("q three",
"the July to September quarter of 2026").
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Who wants the answer is not part of the question: "my boss wants to know: …", "for my manager", "the MD asked
# me to pull …". Its "my" is the boss's, never an owner filter on the rows asked about.
_ASKER_NOUNS = (
    r"boss|manager|vp|svp|ceo|cfo|cro|coo|md|gm|director|head of sales|team lead|lead|exec(?:utive)?s?|board"
    r"|investors?|leadership|management|finance|founders?|partner"
)
_PREAMBLE = re.compile(
    rf"(?i)(?:^\s*(?:(?:hey|hi|so|ok|okay)[,!]?\s+)?(?:so\s+)?(?:my|our|the)\s+(?:{_ASKER_NOUNS})\s+"
    r"(?:wants|want|asked|asks|needs|need|would like|is asking|was asking|wanted)(?:\s+me)?"
    r"(?:\s+to\s+(?:know|find out|see|check|get|pull|have|hear)\b)?"
    r"(?:\s+and\s+i\s+(?:don'?t|do not)\s+have\s+(?:it|that|this)\s+(?:handy|to hand|on me))?"
    r"\s*(?:[:,\-\u2014\u2013]+\s*)?"
    rf"|\s*,?\s*\bfor\s+(?:my|our|the)\s+(?:{_ASKER_NOUNS})\b(?=\s*[?.!,:]|\s*$))"
)

# What the answer is for: a meeting or a document, said after the question ("… for the deck", "need it for the
# QBR", "prepping for pipeline review", "asking for the forecast call"). Only these nouns: "for the west region" is
# a constraint the model may not have, and must stay visible.
_PURPOSE_NOUNS = (
    r"deck|slides?|slide deck|board(?: pack| meeting| deck| report)?|qbr|forecast(?: call| meeting| review)?"
    r"|pipeline (?:review|call|meeting)|(?:monday|team|sales|staff) (?:meeting|call|sync|review)"
    r"|one[\s-]to[\s-]ones?|1[:-]1s?|retro(?:spective)?|stand-?up|report"
    r"|exec(?:utive)? summary|all[\s-]hands|dashboard|spreadsheet|planning|my day|the day|my week|the week ahead"
    # a review, report, update … of a business routine ("the ops review", "an overview"); never with a name, a scope
    # or a period before it ("the Acme review", "the west region report", "the quarterly report" stay: "quarterly"
    # may be the window the asker means)
    r"|(?:(?:pipeline|ops|sales|team|board|leadership|exec|executive|alliances|partner|partners|recruiting|hiring"
    r"|marketing|finance|vertical|customer-success|data|pricing|commit|growth|security|data-protection"
    r"|data-retention|account-tiering)[\s-])?"
    r"(?:review|report|recap|summary|update|audit|overview|benchmark|sanity[\s-]check|clean-?up|presentation"
    r"|session|discussion|campaign|newsletter|questionnaire)"
)
_PURPOSE = re.compile(
    r"(?i)(?:^\s*|\s*(?:[,\-\u2014\u2013;]\s*|\.\.+\s*|\s))"
    r"(?:(?:i|we)\s+)?(?:fyi\s+)?(?:(?:it'?s|this is|that'?s)\s+)?(?:just\s+)?"
    r"(?:need(?:ed)?\s+(?:it|this|that)\s+(?:for|asap for)|asking\s+for|prepping\s+for|prep\s+for|preparing\s+for"
    r"|getting\s+ready\s+for|doing\s+(?:a|the|my|our)|(?:trying\s+)?to\s+plan|for)\s+"
    rf"(?:the\s+|a\s+|an\s+|my\s+|our\s+)?(?:{_PURPOSE_NOUNS})\b(?=\s*[?.!,;:\u2014\u2013-]|\s*$)"
)

# Talk that carries no meaning in any CRM question: chat shorthand, politeness, a voice transcript's hesitations.
_CHATTER = re.compile(
    r"(?i)(?:^|(?<=[\s,.;:!?\u2014\u2013-]))"
    r"(?:quick\s+(?:q|qn|question|one|enquiry|inquiry|check)|just\s+curious|out\s+of\s+interest|pls|plz|thx|thanx"
    r"|cheers|mate|fyi|asap|um+|uh+|erm+|hmm+|(?-i:[Tt]y|[Tt]a|er|ah)"  # never "TA", "ER"
    r"|i'?m\s+on\s+my\s+(?:mobile|phone)(?:\s+so\s+keep\s+it\s+short)?|keep\s+it\s+short"
    r"|i\s+(?:don'?t|do not)\s+have\s+(?:it|that)\s+(?:handy|to\s+hand)"
    r"|(?:would|do)\s+you\s+mind|if\s+you\s+(?:don'?t|do\s+not)\s+mind|if\s+possible"
    r"|when\s+you\s+(?:get|have)\s+a\s+(?:sec|second|moment|minute|chance)"
    r"|i\.?e\.?|e\.?g\.?)"
    r"(?=$|[\s,.;:!?\u2014\u2013-])"
)
# A spoken "like" between words ("how many deals do we have like in total"), never "title like 'VP'".
# Only before words that a comparison never follows ("have like in total", "are like still open", "in like six
# weeks"): "companies like Acme" and "I'd like to know" keep theirs.
_SPOKEN_LIKE = re.compile(
    r"(?i)(?<=\w\s)(?<!'d\s)(?<!would\s)(?<!i\s)(?<!we\s)(?<!you\s)(?<!they\s)(?<!title\s)(?<!name\s)like\s+"
    r"(?=(?:in|at|still|about|around|roughly|maybe|currently|right|all|total|overall|this|last|next|past|over|more"
    r"|less|under|above|below|the\s+(?:last|past|next)|one|two|three|four|five|six|seven|eight|nine|ten|twenty"
    r"|thirty|forty|fifty|sixty|seventy|eighty|ninety|a\s+(?:hundred|thousand|million)|\d)\b)"
)

_ONES = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "fifteenth": 15,
    "twentieth": 20,
    "thirtieth": 30,
}
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_QUARTER_OF_MONTHS = {
    ("jan", "mar"): 1,
    ("apr", "jun"): 2,
    ("jul", "sep"): 3,
    ("oct", "dec"): 4,
}


def _spoken_numbers(text: str) -> str:
    """A year, quarter or day said in words: "twenty twenty six" → 2026, "q three" → Q3, "september first" →
    "september 1"."""
    text = re.sub(
        r"(?i)\b(?:twenty[\s-]twenty|two\s+thousand\s+(?:and\s+)?twenty)[\s-](one|two|three|four|five|six|seven|eight|nine)\b",
        lambda m: str(2020 + _ONES[m.group(1).lower()]),
        text,
    )
    text = re.sub(r"(?i)\bq\s+(one|two|three|four)\b", lambda m: f"Q{_ONES[m.group(1).lower()]}", text)
    ordinals = "|".join(_ORDINALS)
    text = re.sub(
        rf"(?i)\b({_MONTHS})\s+(?:the\s+)?({ordinals})\b",
        lambda m: f"{m.group(1)} {_ORDINALS[m.group(2).lower()]}",
        text,
    )
    return re.sub(
        rf"(?i)\bthe\s+({ordinals})\s+of\s+({_MONTHS})\b",
        lambda m: f"{m.group(2)} {_ORDINALS[m.group(1).lower()]}",
        text,
    )


def _quarter_by_months(m: re.Match[str]) -> str:
    quarter = _QUARTER_OF_MONTHS.get((m.group(1).lower()[:3], m.group(2).lower()[:3]))
    return f"Q{quarter} {m.group(3)}" if quarter else m.group(0)


_Rewrite = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]


def _rw(pattern: str, replacement: str | Callable[[re.Match[str]], str]) -> _Rewrite:
    return re.compile(pattern, re.IGNORECASE), replacement


# The same question in the words the parser reads: British, recruiting-desk and spoken registers, and everyday
# misspellings that are words themselves (so no typo pass corrects them). Applied in this order.
_REGISTERS: tuple[_Rewrite, ...] = (
    _rw(  # "the July to September quarter of 2026": Q3 2026
        rf"\b(?:the\s+)?({_MONTHS})\s+(?:to|through|thru|-|\u2013)\s+({_MONTHS})\s+quarter(?:\s+of)?\s+(\d{{4}})\b",
        _quarter_by_months,
    ),
    _rw(r"\b(are|is|were|was)\s+(?:currently\s+)?sat\s+(?=in\b|at\b|on\b)", r"\1 "),  # "deals sat in Prospecting"
    _rw(r"\b(?:all\s+up|all\s+told|in\s+all)\b", "in total"),
    _rw(r"\bover\s+the\s+years\b", "all time"),
    _rw(r"\b(?:on\s+the\s+books|(?:on|across)\s+the\s+(?:whole\s+)?desk)\b", ""),
    _rw(r"\bon\s+the\s+(partnerships?|jobs?|recruiting)\s+side\b", r"\1"),
    _rw(r"\bon\s+the\s+(?:bd|sales|business\s+development|deals?)\s+side\b", ""),
    _rw(r"\b(?:do|did)\s+we\s+hold\s+records?\s+(?:for|on)\b", "do we have"),
    _rw(r"\b(?:have\s+)?(?:gone|went)\s+back\s+and\s+forth\b", ""),
    _rw(r"\bwhen\s+(?:we|you)\s+(win|lose)\s+(?:it|them|one)\b", r"\1"),  # "worth when we win it"
    _rw(r"\bwhilst\b", "while"),
    # an agent's formal request: "the current user", "on or after 1 September", "in descending order of amount"
    _rw(r"\b(?:the\s+)?current\s+user\b", "me"),
    _rw(r"\bon\s+or\s+after\b", "since"),
    _rw(r",?\s*in\s+(desc|asc)(?:ending)?\s+order\s+of\s+(\w+)", r" order by \2 \1"),
    _rw(r"\b(?:over|in|during)\s+the\s+(?:entire|whole|full)\s+history(?:\s+of\s+(?:the\s+|our\s+)?\w+)?", "all time"),
    _rw(r"\b(?:since\s+always|over\s+all\s+the\s+years|in\s+total\s+over\s+all\s+the\s+years)\b", "all time"),
    # literal translations: "stand on Nurture" (status), "the 3rd quarter from 2026", "the month March", "maximal"
    _rw(
        r"\b(?:stand|stands|standing|lie|lies)\s+(?:(?:at\s+the\s+moment|currently|now|right\s+now)\s+)?(?:on|at|in)\s+",
        "in ",
    ),
    _rw(r"\b(quarter|q[1-4])\s+from\s+(\d{4})\b", r"\1 of \2"),
    _rw(r"\bthe\s+month\s+(?=(?:" + _MONTHS + r")\b)", ""),
    _rw(r"\bmaximal\b", "maximum"),
    _rw(r"\bminimal\b", "minimum"),
    _rw(r"\bin\s+the\s+average\b", "on average"),
    _rw(r"\bof\s+the\s+type\s+", ""),
    _rw(r"\bhave\s+their\s+seat\s+in\b", "are located in"),
    _rw(r"\bcarry\s+the\s+letters?\s+", "have "),
    _rw(  # "came to us over referral" (not "came in over the last month")
        r"\b(came|come|comes|coming)(\s+in|\s+to\s+us)?\s+over\s+"
        r"(?!(?:the\s+|a\s+)?(?:last|past|next|previous|prior|coming|this|first|\d|one|two|three|four|five|six|several))",
        r"\1\2 via ",
    ),
    _rw(
        r"\b(no|not|without)\s+(updates?|updated|activity|touch(?:es|ed)?|changes?|changed|contact)\s+since\s+(?=(?:\d+|[a-z]+)\s+(?:days?|weeks?|months?)\b)",
        r"\1 \2 in ",
    ),
    _rw(r"\b(?:already\s+)?over\s+(?:the|their|its)\s+due\s+dates?\b", "overdue"),
    _rw(r"\bstill\s+running\b", "still ongoing"),
    # a manager's words: "let go overdue", "put in", "looking after", "spread over the stages"
    _rw(r"\blet\s+(?:go|slip|run)\s+(?=overdue|past)", ""),
    _rw(r"\bput\s+in\b", "added"),
    _rw(r"\blook(?:ing|s)?\s+after\b", "own"),
    _rw(r"\bbetween\s+them\b", ""),
    _rw(r"\bintake\b", "created"),
    _rw(
        r"\b(?:spread|distributed|split(?:\s+up)?)\s+(?:over|across|between|among)\s+(?:the\s+)?"
        r"(stage|status|industr|tier|type|kind|owner|rep|source)(?:s|es|ies|y)?\b",
        lambda m: "by " + {"industr": "industry", "statu": "status"}.get(m.group(1).lower(), m.group(1)),
    ),
    # "status set to Nurture", "source is recorded as email": the field's value
    _rw(
        r"\b(status|stage|tier|source|kind|type)\s+(?:is\s+|are\s+)?(?:set|marked|recorded|listed)\s+(?:to|as)\b", r"\1"
    ),
    _rw(r"\b(?:that\s+|which\s+)?(?:appears?|shows?\s+up)\s+(?=on|in)\b", ""),
    _rw(
        r"\b(dates?)\s+(?:that|which)\s+(?:falls?|lands?|sits?)\s+(?=in|within|on|during|between)\b", r"\1 "
    ),  # "the lowest salary that appears on"
    _rw(  # "everyone employed at Acme today": now, not a window on the day they were added
        r"\b((?:employed|working|works|work)\s+(?:at|for|by)\s+\S.*?)\s+(?:today|right\s+now|these\s+days|at\s+present)"
        r"(?=\s*[?.!]*\s*$)",
        r"\1",
    ),
    _rw(r"\b(more|less|bigger|greater|larger|higher|lower|smaller|fewer|other|rather)\s+then\b", r"\1 than"),
    _rw(r"\b(we|did|they|to|i)\s+loose\b", r"\1 lose"),
    _rw(r"\bdose\b(?=\s+\w+)", "does"),
    _rw(r"\b(this|last|next|per|a|each|every)\s+weak\b", r"\1 week"),
    _rw(r"\b(our|the|my|on\s+the)\s+teem\b", r"\1 team"),
    _rw(r"[,.;:\s]*\b(?:current|present)\s+(?:employees|staff)\s+only\b", " currently"),
    _rw(r"\b(?:got\s+)?(?:in|under)\s+(?:their|his|her)\s+name\b", ""),  # "leads Daniel has got in their name"
    _rw(r"\bthis\s+year'?s\s+(?=(?:" + _MONTHS + r")\b)", ""),  # "this year's March": March
    _rw(r"\bzero\s+(?=(?:updates?|activity|touch(?:es)?|changes?|contact|interactions?)\b)", "no "),
    _rw(r"\boverdue\s+against\s+(?:their|its|the)\s+(?=(?:expected\s+)?close\s+dates?|due\s+dates?)", "overdue on "),
    _rw(r"\b(?:at|in)\s+any\s+(?:stage|status)\s+(?=apart\s+from|other\s+than|except|but\b)", ""),
    _rw(r"\b(?:the\s+)?(?:top|upper|high)\s+end\s+of\s+(?:the\s+)?salary\s+(?:band|range)s?\b", "maximum salary"),
    _rw(r"\b(?:the\s+)?(?:bottom|lower|low)\s+end\s+of\s+(?:the\s+)?salary\s+(?:band|range)s?\b", "minimum salary"),
    _rw(r"\bsalary\s+bands?\b", "salary range"),
    _rw(  # "haven't got an account linked", "do not have an end date": without one
        r"\b(?:(?:that|which|who)\s+)?(?:haven'?t|hasn'?t|have\s+not|has\s+not|don'?t\s+have|do\s+not\s+have"
        r"|doesn'?t\s+have|does\s+not\s+have)\s+(?:got\s+)?(?:an?|any)\s+(?=(?:account|end\s+date|owner"
        r"|organi[sz]ation|company|due\s+date|expected\s+close\s+date|close\s+date|industry|location|source)\b)",
        "without an ",
    ),
)


def _registers(text: str) -> str:
    for pattern, replacement in _REGISTERS:
        text = pattern.sub(replacement, text)
    return text


# Examples given for a breakdown: "by kind, so calls, meetings, emails and so on" names some of the groups, not a
# filter. Only with a grouping word in the question: "calls, meetings, etc." alone stays, and is reported.
_EXAMPLES = re.compile(
    r"(?i),?\s*\b(?:so|like|such\s+as|e\.?g\.?|for\s+example|for\s+instance|including)?\s*"
    r"(?:[\w-]+\s*,\s*)+[\w-]+\s*,?\s*(?:and\s+so\s+on|etc\.?|and\s+the\s+like|and\s+(?:so\s+)?forth)(?=\W|$)"
)


def _without_examples(text: str) -> str:
    if re.search(r"(?i)\b(?:by|per|each|break(?:s|ing)?\s+(?:\w+\s+){0,5}down|breakdown|split)\b", text):
        return _EXAMPLES.sub("", text)
    return text


# A question tag or an aside after the question ("…, right?", "any idea?", "do you know offhand?", "I guess"): a
# closed list, at the end only.
_TRAILING_TAG = re.compile(
    r"(?i)\s*[,\u2014-]?\s*(?:right|any\s+idea|do\s+you\s+know(?:\s+offhand)?|would\s+you\s+say|i\s+guess"
    r"|i\s+suspect|i\s+mean|remind\s+me|again|do\s+you\s+have\s+the\s+(?:figure|number)|where\s+do\s+we\s+stand"
    r"|(?:was|is)\s+it\s+a\s+(?:good|bad)\s+(?:one|year|month|quarter|week)(?:\s+for\s+me)?|too\s+many"
    r"|not\s+a\s+pretty\s+number|just\s+the\s+list|i'?d\s+like\s+to\s+see\s+them\s+all|offhand|roughly)"
    r"\s*[?.!]*\s*$"
)


def _without_tags(text: str) -> str:
    while True:
        stripped = _TRAILING_TAG.sub("", text)
        sentences = re.split(r"(?<=[?.!])\s+", stripped)
        if len(sentences) > 1 and _TRAILING_TAG.fullmatch(" " + sentences[-1]):
            stripped = " ".join(sentences[:-1])
        if stripped == text or not stripped.strip():
            return text
        text = stripped


def strip_talk(text: str) -> str:
    """``text`` without the talk around its question (see the module's docstring), in the parser's register."""
    text = _PREAMBLE.sub("", text)
    text = _PURPOSE.sub("", text)
    text = _without_examples(text)
    text = _without_tags(text)
    text = _CHATTER.sub(" ", text)
    text = _SPOKEN_LIKE.sub("", text)
    text = _spoken_numbers(text)
    text = _registers(text)
    # punctuation left alone by what was taken out ("hey, quick q — …" → "hey, — …")
    text = re.sub(r"(?:^|(?<=\s))[,.;:\u2014]+(?=\s|$)", "", text)  # not a hyphen or an en dash: "10k - 50k" is a range
    text = re.sub(r"(?i)^\s*(?:hey|hi|so|ok|okay)\s*[,!]?\s+", "", text)
    return " ".join(text.split())
