"""Promises in what a watched person or organisation writes: "i'll have a longer post in the
next couple of days", "سننشر المزيد قريبًا".

``find_promises(text, published)`` returns each sentence that commits its author to *say*
something later (a post, details, an announcement, an update), with the horizon it states and
a suggested due date. ``watcher followups suggest`` proposes them as follow-ups.

A sentence is a promise when it has, outside quotation marks:

- the author's own future and a verb of saying: "I'll share", "we will publish", "I'm going to
  write", "we plan to announce", "will post" (the subject left out), "سأنشر", "سنعلن", "سوف
  ننشر", "سيتم الإعلان", "سيُنشر" (the passive, when written with its damma: unmarked, "سينشر"
  is "he will publish");
- or a set phrase: "more soon", "more to come", "stay tuned", "details to follow", "new post
  coming Monday", "expect an update", "looking forward to sharing", "المزيد قريبًا",
  "ترقبوا", "انتظرونا", "تابعونا", "التفاصيل غدًا", "يسعدنا أن نشارككم".

It is not one when it is a question, a condition ("if there's interest, I'll write…"), a
repost ("RT @…"), or reports somebody else ("he said he would", "قال إنه سينشر": third persons
never match). Promises to *do* something ("we will fix", "سنواصل") or products "coming soon"
are not promises to say something, and do not match either.

The horizon (see ``HORIZONS``) sets the due date, counted in days from the day the item was
published (UTC): today, tonight, within hours, tomorrow +1; 48 hours, two days +2; a couple of
days +3; a few days, the coming days +5; this week: its Sunday; next week +7; two weeks +14; the
coming weeks +21; next month +30; the end of the month: its last day; shortly +7; soon, later
or no horizon at all +14; a weekday: its next occurrence; a date ("June 3", "3 يونيو"): that
date. Weekday and month names come from Babel's CLDR data (English, and Arabic as written in
Egypt, the Levant and the Maghreb).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, partial

from babel.dates import get_day_names, get_month_names

from watcher.text import fold_letters

SOON = timedelta(days=14)  # the due date of a promise with no horizon, or only "soon"


@dataclass(frozen=True, slots=True)
class Promise:
    """One promise: its sentence as written and where it is, the words that make it one, the
    horizon as written (None when unstated) and the suggested due date."""

    phrase: str
    start: int
    end: int
    cue: str
    horizon: str | None
    due: date


def find_promises(text: str, published: datetime, language: str | None = None) -> list[Promise]:
    """Every promise in ``text`` (an item's title or text), in order. ``language`` ("en",
    "ar") limits the patterns to one language; by default both are tried."""
    if _REPOST.match(text):
        return []
    languages = (language,) if language in _CUES else tuple(_CUES)
    day = (published.astimezone(UTC) if published.tzinfo else published).date()
    promises = []
    for start, end in _sentences(text):
        sentence = _Folded(text, start, end)
        if _declined(sentence.text):
            continue
        cue = _cue(sentence, languages)
        if cue is None or _reported(sentence.text[: cue.start()]):
            continue
        horizon, due = _horizon(sentence, day)
        promises.append(
            Promise(
                text[start:end].strip(),
                *_stripped_span(text, start, end),
                sentence.original(cue.start(), cue.end()),
                horizon,
                due,
            )
        )
    return promises


# --- sentences --------------------------------------------------------------------------------

_BOUNDARY = re.compile(r"(?<=[.!?؟…])\s+|\n+")
_REPOST = re.compile(r"\s*(?:RT|rt)\s+@")
_QUOTED = re.compile(r"“[^”]*”|«[^»]*»|„[^“”]*[“”]|\"[^\"]*\"")


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for boundary in _BOUNDARY.finditer(text):
        yield start, boundary.start()
        start = boundary.end()
    yield start, len(text)


def _stripped_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class _Folded:
    """A sentence as the patterns read it: lower case, Arabic letters unified and diacritics
    dropped (``watcher.text``), quotations blanked out, with a way back to the original."""

    def __init__(self, text: str, start: int, end: int) -> None:
        self.source = text
        chars: list[str] = []
        self.origin: list[int] = []
        self.passive: set[int] = set()  # folded positions of a yeh that carried a damma
        for position in range(start, end):
            char = text[position]
            if char == "\u064f" and chars and chars[-1] == "ي":  # "سيُنشر"
                self.passive.add(len(chars) - 1)
            for folded in fold_letters(char.casefold().replace("’", "'")):
                chars.append(folded)
                self.origin.append(position)
        self.origin.append(end)
        self.text = _QUOTED.sub(lambda m: " " * len(m[0]), "".join(chars))

    def original(self, start: int, end: int) -> str:
        return self.source[self.origin[start] : self.origin[end - 1] + 1 if end > start else 0]


# --- what makes a promise ---------------------------------------------------------------------

_SAY = (
    r"(?:share|post|publish|write|say|announce|explain|detail|update|follow up|report|release"
    r"|reveal|unveil|tell|talk|speak|stream|demo|respond|reply|provide|put out|get back"
    r"|clarify|elaborate|expand on|address|discuss|present|outline|describe|document|answer"
    r"|walk (?:you )?through|go into|dig into|blog|tweet"
    r"|give (?:an? |more )?(?:update|details)"
    r"|have (?:a|an|more|some|the|my|our)\b[^.!?]{0,40}?\b(?:post|write-?up|thread|update"
    r"|details|news|thoughts|to say|to share|statement|response|announcement|explanation)"
    r"|be (?:sharing|posting|publishing|writing|announcing|streaming|releasing|back with))"
)
_FUTURE = (
    r"(?:'ll|\s+will|\s+shall|'m going to|\s+am going to|'re going to|\s+are going to"
    r"|\s+plan to|'m planning to|\s+am planning to|'re planning to|\s+are planning to"
    r"|\s+intend to|\s+hope to|\s+aim to|\s+expect to)"
)
_ADVERB = r"(?:\s+(?:also|soon|definitely|certainly|then|shortly|officially|publicly))?"
_NOUN = (
    r"(?:post|write-?up|thread|update|details|report|announcement|news|blog post|post-?mortem"
    r"|response|explanation|statement|video|episode|part (?:two|2|ii|three|3)|sequel|follow-?up)"
)
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_WHEN = rf"(?:soon|shortly|tomorrow|tonight|next week|this week|(?:on )?{_WEEKDAY})"
_SELF = r"(?:the company|the team|the board|the lab|our team)"  # an organisation on itself
_ENGLISH = re.compile(
    rf"\b(?:i|we|{_SELF}){_FUTURE}{_ADVERB}\s+{_SAY}\b"
    rf"|(?:^|[.!]\s*|\band\s+)(?:will|going to){_ADVERB}\s+{_SAY}\b"
    rf"|\b(?:i'm|i am|we're|we are)?\s*(?:writing|working on|preparing) (?:up |a |an )\S*\s*"
    rf"{_NOUN}\b"
    rf"|\b{_NOUN}s? (?:is |are )?(?:coming|incoming|to follow|will follow|on (?:its|the) way)\b"
    rf"|\b{_NOUN} {_WHEN}\b"
    rf"|\b{_NOUN}s?\b[^.!?]{{0,60}}?\b(?:will be (?:shared|published|posted|announced|released"
    r"|out|up)|(?:is|are) coming)\b"
    r"|\bmore (?:soon|to come|to follow|later|tomorrow)\b|\bstay tuned\b|\bwatch this space\b"
    r"|\bmore (?:i|we) (?:want|have|plan|intend|hope|would like|'d like) to (?:say|share|tell)\b"
    r"|\byou'?ll (?:get|hear|see|read) (?:one|it|more|from (?:me|us)|an? (?:update|answer"
    r"|explanation|post|response)|the (?:details|answer|full story))\b"
    r"|\bexpect (?:an? |more |the )?(?:update|details|news|announcement|post)"
    rf"|^(?:announcing|sharing|revealing|unveiling|publishing)\b[^.!?]*?\b{_WHEN}\b"
    r"|\b(?:looking forward to|can'?t wait to|excited to) (?:sharing|share|announcing|announce"
    r"|telling|tell|showing|show)\b",
)
_STEMS = (
    r"(?:نشر|كتب|علن|شارك(?!\s+في)|عود|كشف|وضح|تحدث|رد|صدر|وافي|طلع|قدم|شرح|خبر|عرض|بث|دون"
    r"|غرد|فصل|علق)"
)
_SAYING = r"(?:لل|ل|ب)?(?:ال)?(?:اعلان|كشف|نشر|عرض|شرح|توضيح)|بيان|مؤتمر"
_SELF_AR = r"(?:الشركه|الوزاره|الهيئه|المؤسسه|المنظمه|الجامعه|الفريق|المجلس|الادار[هة])"
_ARABIC = re.compile(
    rf"(?<!\w)[وف]?(?:س|سوف\s+)[ان]{_STEMS}"
    rf"|(?<!\w)[وف]?(?:س|سوف\s+)[ان]\w+(?:\s+\S+){{0,5}}?\s+(?:{_SAYING})(?!\w)"
    rf"|(?<!\w)[وف]?(?:س|سوف\s+)[يت]{_STEMS}\w*\s+{_SELF_AR}(?!\w)"
    r"|(?<!\w)[وف]?سيتم\s+(?:ال)?(?:اعلان|نشر|كشف|الكشف|توضيح|اطلاع)"
    r"|(?<!\w)(?:ترقبوا|انتظروا|انتظرونا|تابعونا|موعدنا|موعدكم)(?!\w)"
    r"|(?<!\w)(?:المزيد|التفاصيل)(?:\s+\S+){0,3}?\s+(?:قريبا|لاحقا|غدا)(?!\w)"
    r"|(?<!\w)(?:يسعدنا|يسرنا|نتطلع)\s+(?:ان\s+|الي\s+)?(?:نشارك|مشارك|نعلن|اعلان)",
)
_CUES = {"en": _ENGLISH, "ar": _ARABIC}
_PASSIVE = re.compile(rf"(?<!\w)[وف]?سي{_STEMS}")  # "سيُنشر": only with its damma (see _cue)

_QUESTION = re.compile(r"[?؟]")
_CONDITION = re.compile(r"^\W*(?:if|unless|whether|اذا|لو|ان\s+شاء)\b")
_REPORTING = re.compile(
    r"\b(?:he|she|they|it)\s+(?:said|says|told|promised|wrote|claims?)\b"
    r"|\b(?:has|have|had)\s+said\b|\b(?:whether|if)\s+$"  # "asked whether we will share"
    r"|(?<!\w)(?:قال|قالت|اكد|اكدت|وعد|وعدت|بحسب|وفقا|حسب)(?!\w)|(?<!\w)ما\s+اذا\s+$"
)


def _cue(sentence: _Folded, languages: tuple[str, ...]) -> re.Match[str] | None:
    """The first words of the sentence that make it a promise, if any."""
    found = [match for language in languages if (match := _CUES[language].search(sentence.text))]
    if "ar" in languages:
        found += [
            match
            for match in _PASSIVE.finditer(sentence.text)
            if sentence.text.index("ي", match.start()) in sentence.passive
        ]
    return min(found, key=lambda match: match.start(), default=None)


def _declined(sentence: str) -> bool:
    """Questions and conditions promise nothing."""
    return bool(_QUESTION.search(sentence) or _CONDITION.search(sentence))


def _reported(before: str) -> bool:
    """Somebody else's words, reported before the cue ("he said", "قال إنه")."""
    return bool(_REPORTING.search(before))


# --- horizons ---------------------------------------------------------------------------------

Due = Callable[[date], date]


def _days(count: int) -> Due:
    return lambda day: day + timedelta(days=count)


def _sunday(day: date) -> date:
    return day + timedelta(days=(6 - day.weekday()) or 1)


def _month_end(day: date) -> date:
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return last if last > day else day + timedelta(days=1)


HORIZONS: list[tuple[str, Due]] = [
    (
        r"later today|today|tonight|this (?:evening|afternoon)|(?:in|within) (?:the next )?"
        r"(?:a few |few |24 |a couple of )?hours|اليوم|الليله|هذا المساء|(?:خلال|في غضون|بعد)"
        r" (?:الساعات القليله المقبله|ساعات)",
        _days(1),
    ),
    (r"tomorrow|غدا", _days(1)),
    (
        r"(?:in )?(?:two|2) or (?:three|3) days|(?:in )?a couple (?:of )?days or (?:so|three)"
        r"|(?:خلال|في غضون|بعد) (?:يومين|يوم) (?:او|أو) (?:ثلاثه|يومين)",
        _days(3),
    ),
    (
        r"(?:in|within) (?:the next )?48 hours|in (?:two|2) days|in a day or two"
        r"|(?:خلال|في غضون|بعد) يومين",
        _days(2),
    ),
    (
        r"(?:in |over |within )?(?:the )?next (?:couple|two) (?:of )?days|(?:in )?a couple "
        r"(?:of )?days|(?:خلال|في) اليومين (?:المقبلين|القادمين)",
        _days(3),
    ),
    (
        r"(?:in |over )?(?:the )?(?:next|coming) (?:few )?days|in a few days|in the days ahead"
        r"|(?:خلال|في) الايام (?:المقبله|القادمه|القليله المقبله)|(?:بعد|خلال|في غضون) ايام",
        _days(5),
    ),
    (r"(?:later )?this week|(?:خلال )?هذا الاسبوع", _sunday),
    (r"next week|in a week|within a week|(?:خلال )?الاسبوع (?:المقبل|القادم)", _days(7)),
    (
        r"(?:in |over )?the (?:next|coming) couple (?:of )?weeks|in (?:two|2|a couple of) weeks"
        r"|(?:خلال|بعد|في غضون) اسبوعين",
        _days(14),
    ),
    (
        r"(?:in |over )?the (?:coming|next few) weeks|in a few weeks|the weeks ahead"
        r"|(?:خلال |في )?الاسابيع (?:المقبله|القادمه)",
        _days(21),
    ),
    (r"next month|in a month|the coming month|الشهر (?:المقبل|القادم)", _days(30)),
    (r"(?:by )?the end of (?:the|this) month|(?:قبل )?نهايه (?:هذا )?الشهر", _month_end),
    (r"shortly|in a moment", _days(7)),
    (r"soon|in due (?:time|course)|later|قريبا|عما قريب|لاحقا|في وقت لاحق", lambda d: d + SOON),
]


@cache
def _named_days() -> dict[str, int]:
    """Weekday names (English and Arabic, folded as the sentence is) → Monday = 0."""
    names = {}
    for locale in ("en", "ar"):
        for weekday, name in get_day_names("wide", locale=locale).items():
            names[fold_letters(name.casefold())] = weekday
    return names


@cache
def _named_months() -> dict[str, int]:
    """Month names (English wide and abbreviated; Arabic as written in Egypt, the Levant and
    the Maghreb), folded → 1-12."""
    tables = [get_month_names("wide", locale="en"), get_month_names("abbreviated", locale="en")]
    tables += [
        get_month_names("wide", locale=f"ar{region}") for region in ("", "_SY", "_MA", "_DZ")
    ]
    return {
        fold_letters(name.casefold()): month for table in tables for month, name in table.items()
    }


@cache
def _horizon_patterns() -> list[tuple[re.Pattern[str], Callable[[re.Match[str], date], date]]]:
    days = "|".join(sorted(map(re.escape, _named_days()), key=len, reverse=True))
    months = "|".join(sorted(map(re.escape, _named_months()), key=len, reverse=True))
    patterns: list[tuple[re.Pattern[str], Callable[[re.Match[str], date], date]]] = [
        (re.compile(rf"(?<!\w)(?:{months})\.? (\d{{1,2}})(?:st|nd|rd|th)?(?!\w)"), _on_date),
        (re.compile(rf"(?<!\w)(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?:{months})(?!\w)"), _on_date),
        (re.compile(rf"(?<!\w)(?:{days})(?!\w)"), _on_weekday),
    ]
    for pattern, due in HORIZONS:
        patterns.append((re.compile(rf"(?<!\w)(?:{pattern})(?!\w)"), partial(_counted, due)))
    return patterns


def _counted(due: Due, _match: re.Match[str], day: date) -> date:
    return due(day)


def _on_weekday(match: re.Match[str], day: date) -> date:
    weekday = _named_days()[match[0]]
    return day + timedelta(days=(weekday - day.weekday() - 1) % 7 + 1)


def _on_date(match: re.Match[str], day: date) -> date:
    month = next(m for name, m in _named_months().items() if name in match[0])
    number = int(match[1])
    try:
        due = date(day.year, month, number)
    except ValueError:
        return day + SOON
    return due if due > day else due.replace(year=day.year + 1)


def _horizon(sentence: _Folded, day: date) -> tuple[str | None, date]:
    """The first stated horizon of the sentence (an explicit date or weekday before a vague
    one) as written, and the due date it gives."""
    for pattern, due in _horizon_patterns():
        match = pattern.search(sentence.text)
        if match:
            return sentence.original(match.start(), match.end()), due(match, day)
    return None, day + SOON
