"""Numbers and money in questions: "75k", "$1.2M", "€50,000", "50 000 EUR", "2.5 million", "fifty thousand", "six".

Pure functions over the question's text; every match carries its ``(start, end)`` span into that text.

- Digits: ``1,250,000``, ``50 000`` (groups of three), ``1.2``; a magnitude after them:
  ``k``/``K``/``thousand``/``grand``, ``m``/``M``/``mm``/``mn``/``mil``/``million``, ``b``/``bn``/``billion``.
- Number words through text2num (``fifty thousand``, ``seventy-five``, ``a hundred``), plus ``a dozen`` / ``two dozen``
  and ``half a million``; a magnitude may follow them too (``seventy-five k``).
- A currency written before (``$``, ``€``, ``£``, ``US$``, ``USD``) or after (``EUR``, ``usd``, ``euros``, ``dollars``,
  ``bucks``, ``pounds``) becomes an ISO code.
- Percentages (``60%``, ``60 percent``) are numbers with ``percent=True`` (probabilities are 0 to 100).

Numbers that belong to a date are never matched: ISO dates, ``3/14``, ``Q3 2026``, ``FY2026``, ``March 3``,
``3rd of March``, ``March 2026`` and years after a time word ("in 2025", "since 2024"). A caller that has already
found time expressions passes their spans as ``exclude_spans``: no number inside them is matched either (the
built-in date finder still applies).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from text_to_num import text2num

__all__ = [
    "AmountMatch",
    "CurrencyMatch",
    "date_spans",
    "find_amounts",
    "find_currencies",
    "find_numbers",
    "find_percentages",
]


@dataclass(frozen=True)
class AmountMatch:
    span: tuple[int, int]
    value: Decimal
    currency: str | None  # ISO 4217 code when one was written
    percent: bool = False  # "60%", "60 percent": value is 60
    magnitude: bool = False  # written with a magnitude ("75k", "2.5 million") or digit groups ("1,250,000")
    words: bool = False  # written in words ("fifty thousand", "six")
    scale: int = 0  # the power of ten of a magnitude written after it: 3 for "75k" / "fifty thousand", 6 for "$1.2M"


@dataclass(frozen=True)
class CurrencyMatch:
    span: tuple[int, int]
    currency: str  # ISO 4217 code


# --- currencies ---------------------------------------------------------------------------------------------------

_SYMBOLS = {
    "us$": "USD",
    "usd$": "USD",
    "c$": "CAD",
    "ca$": "CAD",
    "a$": "AUD",
    "au$": "AUD",
    "nz$": "NZD",
    "hk$": "HKD",
    "s$": "SGD",
    "r$": "BRL",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₩": "KRW",
    "₪": "ILS",
    "₺": "TRY",
    "₽": "RUB",
    "₣": "CHF",
    "chf": "CHF",
}
# ISO codes accepted in capitals; the lower-case ones are only those that are not English words.
_CODES = [
    "USD",
    "EUR",
    "GBP",
    "JPY",
    "CHF",
    "CAD",
    "AUD",
    "NZD",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "HUF",
    "INR",
    "CNY",
    "RMB",
    "BRL",
    "MXN",
    "ZAR",
    "SGD",
    "HKD",
    "KRW",
    "ILS",
    "AED",
    "SAR",
    "TRY",
    "RUB",
]
_LOWER_CODES = {"usd", "eur", "gbp", "jpy", "chf", "cad", "aud", "nzd", "sek", "nok", "dkk", "pln", "inr", "sgd", "hkd"}
_NAMES = {
    "dollar": "USD",
    "dollars": "USD",
    "buck": "USD",
    "bucks": "USD",
    "usd": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "pound": "GBP",
    "pounds": "GBP",
    "quid": "GBP",
    "sterling": "GBP",
    "yen": "JPY",
    "franc": "CHF",
    "francs": "CHF",
    "rupee": "INR",
    "rupees": "INR",
    "kronor": "SEK",
    "zloty": "PLN",
    "zlotys": "PLN",
    "rand": "ZAR",
    "reais": "BRL",
    "real": "BRL",
    "yuan": "CNY",
    "renminbi": "CNY",
}
# "real" and "rand" are too common as words after a number ("5 real deals"): names only after a magnitude or digits,
# and never these two without a magnitude-less context check; they are kept out of the default names pattern.
_WEAK_NAMES = {"real", "rand"}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_SYMBOL_RE = _alternation(_SYMBOLS)
_CODE_RE = _alternation(_CODES)
_LOWER_CODE_RE = _alternation(_LOWER_CODES)
_NAME_RE = _alternation(n for n in _NAMES if n not in _WEAK_NAMES)

# --- magnitudes ---------------------------------------------------------------------------------------------------

_MAGNITUDES = {
    "k": 3,
    "K": 3,
    "thousand": 3,
    "thousands": 3,
    "grand": 3,
    "m": 6,
    "M": 6,
    "mm": 6,
    "MM": 6,
    "mn": 6,
    "mil": 6,
    "mio": 6,
    "million": 6,
    "millions": 6,
    "b": 9,
    "B": 9,
    "bn": 9,
    "BN": 9,
    "Bn": 9,
    "billion": 9,
    "billions": 9,
}
_MAGNITUDE_RE = _alternation(_MAGNITUDES)

# --- digits -------------------------------------------------------------------------------------------------------

_SPACE = r"[ \u00a0\u202f\u2009]"  # a space, a no-break space, a narrow no-break space, a thin space
_DIGITS = (
    r"(?P<num>"
    r"\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?(?![\d.])"  # 1.250.000 (European groups: two or more are unambiguous)
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 1,250,000.50
    rf"|\d{{1,3}}(?:{_SPACE}\d{{3}})+(?![\d.,]?\d)"  # 50 000 (groups of exactly three)
    r"|\d+(?:\.\d+)?"  # 75, 1.2, 75000
    r"|\.\d+"  # .5
    r")"
)
_PREFIX = (
    rf"(?:(?P<sym>(?<![A-Za-z])(?i:{_SYMBOL_RE}))\s?"
    rf"|(?P<precode>\b(?:{_CODE_RE}|{_LOWER_CODE_RE})(?![A-Za-z]))\s?)"
)
_SUFFIX_CURRENCY = (
    rf"(?:\s?(?P<postcode>(?<![A-Za-z])(?:{_CODE_RE}|{_LOWER_CODE_RE})\b)"
    rf"|\s?(?P<postsym>[€£¥₹₩₪₺₽$])"
    rf"|\s(?P<postname>(?i:{_NAME_RE}|real|rand)\b))"
)
_DIGIT_AMOUNT = re.compile(
    rf"(?<![\w.,])(?:{_PREFIX})?{_DIGITS}"
    rf"(?:\s?(?P<mag>(?:{_MAGNITUDE_RE}))(?![A-Za-z]))?"
    rf"(?:{_SUFFIX_CURRENCY})?"
    r"(?P<pct>\s?(?:%|percent\b|per\s?cent\b|pct\b))?"
    r"(?![\w]|[.,]\d)"
)

# --- number words -------------------------------------------------------------------------------------------------

_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fourty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ["hundred", "thousand", "million", "billion"]
_WORD = rf"(?:{_alternation(_UNITS + _TENS + _SCALES)})"
_WORD_RUN = re.compile(
    rf"\b(?P<lead>(?:a|one|half\s+a)\s+(?=(?:hundred|thousand|million|billion|dozen)\b))?"
    rf"(?P<run>{_WORD}(?:(?:\s+and\s+|[\s-]+){_WORD}){{0,11}})\b"
    r"|\b(?P<dozen_a>a\s+)?(?P<dozen>dozen)\b",
    re.IGNORECASE,
)
_AFTER_WORDS = re.compile(
    rf"(?P<dozen>[\s-]+dozen\b)?(?:[\s-]?(?P<mag>k|K|grand)(?![A-Za-z]))?"
    rf"(?:\s(?P<name>(?i:{_NAME_RE}|{_LOWER_CODE_RE})\b)|\s(?P<code>{_CODE_RE})\b)?"
    r"(?P<pct>\s?(?:%|percent\b|per\s?cent\b))?"
)
_WORD_PREFIX = re.compile(rf"(?:(?<![A-Za-z])(?P<sym>(?i:{_SYMBOL_RE}))|\b(?P<code>{_CODE_RE}))\s?$")
# "one" is a pronoun more often than a number: "the biggest one", "which one", "one of them".
_PRONOUN_ONE_BEFORE = re.compile(
    r"\b(?:the|which|this|that|each|any|every|no|a|one|some|another|only|new|big)\s+$", re.I
)
_PRONOUN_ONE_AFTER = re.compile(
    r"^(?:\s+(?:of|another|or\s+two|by\s+one|that|which|who|with|is|was|has)\b|\s*(?:[^\w\s-]|$))", re.I
)

# --- dates (numbers inside them are not amounts) ------------------------------------------------------------------

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
_DATE = re.compile(
    r"\b\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"  # ISO
    r"|\b\d{4}-\d{1,2}\b(?!-)"  # 2026-03
    r"|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b(?![.,/]\d)"  # 3/14, 14/03/2026
    r"|\b\d{1,2}\.\d{1,2}\.\d{2,4}\b(?![.,]\d)"  # 14.03.2026
    r"|\b\d{4}/\d{1,2}(?:/\d{1,2})?\b"
    r"|\b(?:fy|q[1-4]|h[12])\s*['-]?\s*(?:\d{4}|\d{2})\b"  # FY2026, Q3 2026, Q3 '26, H2 2025
    r"|\b(?:\d{4}|\d{2})\s*[-/]?\s*q[1-4]\b"  # 2026-Q3
    rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b(?!\s*(?:k|m|bn|%|thousand|million))"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b\.?(?:,?\s+\d{{4}}\b)?"
    rf"|\b(?:{_MONTHS})\.?\s*,?\s*'?\d{{4}}\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)\b"  # ordinals: "the 3rd"
    r"|\b(?:in|since|before|after|until|till|during|from|through|thru|by|of|for|to|year|ytd|early|late|mid|end)"
    r"\s+(?:of\s+)?(?:19|20)\d{2}\b(?![-/.]\d|\s*(?:k|m|bn|%|thousand|million|dollars|euros|usd|eur|gbp|[$€£]))"
    r"|\b(?:19|20)\d{2}\s*(?:-|\u2013|to)\s*(?:19|20)?\d{2}\b"  # 2025-2026, 2025 to 2026
    r"|\b(?:19|20)\d{2}(?=\s*(?:'s|s\b|ytd|year|fiscal|calendar|q[1-4]|h[12]))",  # 2025's, 2025 ytd
    re.IGNORECASE,
)


def date_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the date-like runs in ``text`` whose numbers are not amounts."""
    return [m.span() for m in _DATE.finditer(text)]


def _overlaps(span: tuple[int, int], spans: Iterable[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)


def _currency_of(match: re.Match[str]) -> str | None:
    if sym := match.groupdict().get("sym"):
        return _SYMBOLS[sym.lower()]
    if code := match.groupdict().get("precode") or match.groupdict().get("postcode"):
        return "CNY" if code.upper() == "RMB" else code.upper()
    if sym := match.groupdict().get("postsym"):
        return _SYMBOLS[sym]
    if name := match.groupdict().get("postname"):
        return _NAMES[name.lower()]
    return None


def _digit_matches(text: str) -> list[AmountMatch]:
    found = []
    for m in _DIGIT_AMOUNT.finditer(text):
        raw = m.group("num")
        if sum(c.isdigit() for c in raw) > 18:  # not an amount anyone asks about; Decimal precision ends there
            continue
        mag = m.group("mag")
        if re.fullmatch(r"\d{1,3}\.\d{3}", raw) and not mag:
            continue  # "50.000": fifty thousand in Europe, fifty elsewhere; not read rather than misread
        european = raw.count(".") >= 2
        grouped = "," in raw or bool(re.search(_SPACE, raw)) or european
        digits = raw.replace(".", "").replace(",", ".") if european else raw
        try:
            value = Decimal(re.sub(rf"[,{_SPACE[1:-1]}]", "", digits))
        except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
            continue
        mag = m.group("mag")
        if mag:
            value = value.scaleb(_MAGNITUDES[mag])
        currency = _currency_of(m)
        end = m.end()
        if m.group("postname") and m.group("postname").lower() in _WEAK_NAMES and not (mag or m.group("sym")):
            currency, end = None, m.start("postname")  # "5 real deals": not rand or reais
            end = len(text[:end].rstrip())
        percent = bool(m.group("pct")) and currency is None
        if m.group("pct") and currency is not None:
            end = m.start("pct")
        found.append(
            AmountMatch(
                span=(m.start(), end),
                value=_normalize(value),
                currency=currency,
                percent=percent,
                magnitude=bool(mag) or grouped,
                scale=_MAGNITUDES[mag] if mag else 0,
            )
        )
    return found


def _words_value(words: str) -> int | None:
    normalized = re.sub(r"\s+", " ", words.strip().lower()).replace("fourty", "forty")
    try:
        return int(text2num(normalized, "en"))
    except (ValueError, TypeError):
        return None


def _word_matches(text: str) -> list[AmountMatch]:
    found = []
    pos = 0
    while (m := _WORD_RUN.search(text, pos)) is not None:
        pos = m.end()
        value: int | None
        if m.group("dozen"):
            start, end, value = m.start(), m.end(), 12
        else:
            start, end, value = _longest_parsable(text, m)
            if value is None:
                pos = m.start() + 1
                continue
            pos = end
        lead = (m.group("lead") or "").lower().split()
        value_dec = Decimal(value) / 2 if lead and lead[0] == "half" else Decimal(value)
        word_text = text[start:end].lower().strip()
        if word_text == "one" and (
            _PRONOUN_ONE_BEFORE.search(text[max(0, start - 12) : start]) or _PRONOUN_ONE_AFTER.match(text[end:])
        ):
            continue
        after = _AFTER_WORDS.match(text, end)
        currency = None
        mag = False
        if after and after.end() > end:
            if after.group("dozen") and not m.group("dozen"):
                value_dec *= 12
            if after.group("mag"):
                value_dec = value_dec.scaleb(3)
                mag = True
            name = after.group("name") or after.group("code")
            if name:
                currency = _NAMES.get(name.lower()) or name.upper()
            end = after.end()
            if after.group("pct") and currency is not None:
                end = after.start("pct")
        percent = bool(after and after.group("pct")) and currency is None
        prefix = _WORD_PREFIX.search(text[max(0, start - 5) : start])
        if prefix and currency is None:
            currency = _SYMBOLS[prefix.group("sym").lower()] if prefix.group("sym") else prefix.group("code").upper()
            start -= len(prefix.group(0))
        scale_words = {"thousand", "million", "billion"} & set(re.findall(r"[a-z]+", word_text))
        found.append(
            AmountMatch(
                span=(start, end),
                value=_normalize(value_dec),
                currency=currency,
                percent=percent,
                magnitude=mag or bool(scale_words),
                words=True,
                scale=3 if mag else {"thousand": 3, "million": 6, "billion": 9}.get(word_text.split()[-1], 0),
            )
        )
    return found


def _longest_parsable(text: str, m: re.Match[str]) -> tuple[int, int, int | None]:
    """The longest prefix of the word run that text2num reads as one number ("five six" → "five")."""
    start = m.start()
    run_start = m.start("run")
    tokens = list(re.finditer(r"[A-Za-z]+", text[run_start : m.end("run")]))
    lead = (m.group("lead") or "").lower().split()
    words_low = [t.group(0).lower() for t in tokens]
    scales = {"thousand": 3, "million": 6, "billion": 9}
    longest = len(tokens)
    for i, word in enumerate(words_low):  # "ten thousand and fifty thousand": two numbers, not 10,050 thousand
        left = [scales[w] for w in words_low[:i] if w in scales]
        right = [scales[w] for w in words_low[i + 1 :] if w in scales]
        if word == "and" and left and right and max(right) >= left[-1]:
            longest = i
            break
    for count in range(longest, 0, -1):
        last = tokens[count - 1]
        if last.group(0).lower() == "and":
            continue
        words = text[run_start : run_start + last.end()].replace("-", " ")
        if lead and lead[0] in ("a", "half"):
            words = "one " + words
        value = _words_value(re.sub(r"\band\b", " ", words, flags=re.I) if lead else words)
        if value is None:
            value = _words_value(words)
        if value is not None:
            return start, run_start + last.end(), value
    return start, m.end(), None


def _normalize(value: Decimal) -> Decimal:
    """75000 rather than 7.5E+4; 1.25 stays 1.25."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def find_numbers(text: str, *, exclude_spans: Iterable[tuple[int, int]] | None = None) -> list[AmountMatch]:
    """Every number in ``text`` outside dates, in order: amounts, percentages, counts ("top five", "6 weeks")."""
    text = text if isinstance(text, str) else ""
    excluded = date_spans(text) + list(exclude_spans or ())
    matches = sorted(_digit_matches(text) + _word_matches(text), key=lambda a: (a.span[0], -a.span[1]))
    chosen: list[AmountMatch] = []
    for match in matches:
        if _overlaps(match.span, excluded):
            continue
        if chosen and match.span[0] < chosen[-1].span[1]:
            continue
        chosen.append(match)
    return _ranges(chosen, text)


_RANGE_JOIN = re.compile(r"\s*(?:-|\u2013|\u2014|to|and|through)\s*", re.I)


def _ranges(matches: list[AmountMatch], text: str) -> list[AmountMatch]:
    """In "50-75k", "$50 to 75k", "between 50 and 75k EUR", "50-60%" the first number takes the second's magnitude,
    currency and percent sign (and the other way round for a currency written first)."""
    out = list(matches)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if not _RANGE_JOIN.fullmatch(text, a.span[1], b.span[0]):
            continue
        if a.scale == 0 and b.scale > 0 and not a.magnitude and not a.percent and a.value.scaleb(b.scale) <= b.value:
            a = replace(a, value=_normalize(a.value.scaleb(b.scale)), scale=b.scale, magnitude=True)
        if b.percent and not a.percent and a.currency is None and not a.magnitude:
            a = replace(a, percent=True)
        if a.currency is None and b.currency is not None and not a.percent:
            a = replace(a, currency=b.currency)
        elif b.currency is None and a.currency is not None and not b.percent:
            b = replace(b, currency=a.currency)
        out[i], out[i + 1] = a, b
    return out


def find_amounts(text: str, *, exclude_spans: Iterable[tuple[int, int]] | None = None) -> list[AmountMatch]:
    """The numbers in ``text`` that read as money: with a currency, a magnitude ("75k", "fifty thousand"),
    digit groups ("1,250,000"), or at least 1,000. Small bare counts ("top 5") and percentages are left out."""
    return [
        a
        for a in find_numbers(text, exclude_spans=exclude_spans)
        if not a.percent and (a.currency is not None or a.magnitude or a.value >= 1000)
    ]


def find_percentages(text: str, *, exclude_spans: Iterable[tuple[int, int]] | None = None) -> list[AmountMatch]:
    """The percentages in ``text`` ("above 60%", "60 percent"): value 60 for 60%."""
    return [a for a in find_numbers(text, exclude_spans=exclude_spans) if a.percent]


_CURRENCY_WORD = re.compile(
    rf"(?<![\w$€£¥₹₩₪₺₽])(?:(?P<code>{_CODE_RE})|(?P<lower>(?i:{_LOWER_CODE_RE}))|(?P<name>(?i:{_NAME_RE}))"
    rf"|(?P<sym>(?i:us\$|[€£¥₹₩₪₺₽$])))(?![\w$€£¥₹₩₪₺₽])"
)


def find_currencies(text: str, *, exclude_spans: Iterable[tuple[int, int]] | None = None) -> list[CurrencyMatch]:
    """Currencies named on their own, outside any amount: "average deal size in EUR", "deals in euros", "in $".

    The currency written with an amount ("50k EUR") is the amount's; it is not repeated here.
    """
    text = text if isinstance(text, str) else ""
    taken = [a.span for a in find_numbers(text)] + list(exclude_spans or ())
    found = []
    for m in _CURRENCY_WORD.finditer(text):
        if _overlaps(m.span(), taken):
            continue
        raw = m.group(0)
        if m.group("code") or m.group("lower"):
            code = "CNY" if raw.upper() == "RMB" else raw.upper()
        elif m.group("name"):
            code = _NAMES[raw.lower()]
        else:
            code = _SYMBOLS[raw.lower()]
        found.append(CurrencyMatch(m.span(), code))
    return found
