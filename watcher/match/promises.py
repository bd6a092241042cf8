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
  "ترقبوا", "انتظرونا", "تابعونا", "التفاصيل غدًا", "يسعدنا أن نشارككم";
- or something said (a post, a write-up, details, results, an FAQ, منشور، بيان، تقرير،
  تفاصيل...) together with the future: "will", "coming", "to come", "expect", or a horizon that
  only the future has ("tomorrow", "next week", "over the weekend", "غدًا", "خلال يومين"), when
  nothing in the sentence is in the past ("we posted", "yesterday", "نشرنا", "أمس").

It is not one when it is a question, a condition ("if there's interest, I'll write…"), a
negation ("we won't", "لن"), a repost ("RT @…"), or reports somebody ("he said he would",
"according to", "asked whether", "قال إنه سينشر": third persons never match). Promises to *do*
something ("we will fix", "سنواصل") or products "coming soon" are not promises to say something,
and do not match either.

The due date comes from the horizon the sentence states (``horizons``): "in the next couple
of days" +3 days, "next week" +7, "soon" or nothing +14, a weekday or a date as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from watcher.match.horizons import SOON, find_horizon
from watcher.text import fold_letters


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
        cue = _cue(sentence, languages, day)
        if cue is None:
            continue
        horizon = find_horizon(sentence.text, day)
        promises.append(
            Promise(
                text[start:end].strip(),
                *_stripped_span(text, start, end),
                sentence.original(*cue),
                sentence.original(horizon.start, horizon.end) if horizon else None,
                horizon.due if horizon else day + SOON,
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
        """The original text of folded characters ``start:end``."""
        return self.source[self.origin[start] : self.origin[end - 1] + 1 if end > start else 0]


# --- what makes a promise ---------------------------------------------------------------------

_SAY = (
    r"(?:share|post|publish|write|say|announce|explain|detail|update|follow up|report|release"
    r"|reveal|unveil|tell|talk|speak|stream|demo|respond|reply|provide|put out|get back"
    r"|clarify|elaborate|expand on|address|discuss|present|outline|describe|document|answer"
    r"|walk (?:you )?through|go into|dig into|go deeper|lay out|blog|tweet"
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
# Things said: a promise is to say one of them ("updates" and "answers" as well).
_NOUN = (
    r"(?:post|write-?up|thread|update|details|report|announcement|news|blog(?: post)?|note"
    r"|post-?mortem|explanation|statement|response|answer|results|findings|faq|video|episode"
    r"|recording|slides|paper|preprint|transcript|timeline|part (?:two|2|ii|three|3)|sequel"
    r"|follow-?up|thoughts|reflections|essay|letter|memo|q&a|ama|livestream|something longer)"
)
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_WHEN = rf"(?:soon|shortly|tomorrow|tonight|next week|this week|(?:on )?{_WEEKDAY})"
_SELF = r"(?:the company|the team|the board|the lab|our team)"  # an organisation on itself
_ENGLISH = re.compile(
    rf"\b(?:i|we|{_SELF}){_FUTURE}{_ADVERB}\s+{_SAY}\b"
    rf"|(?:^|[.!]\s*|\band\s+)(?:will|going to){_ADVERB}\s+{_SAY}\b"
    rf"|\b(?:i|we){_FUTURE}[^.!?]{{0,40}}?\band\s+{_SAY}\b"
    rf"|\b(?:i|we) owe\b[^.!?]{{0,30}}?\b{_NOUN}\b"
    rf"|\b(?:i'm|i am|we're|we are)?\s*(?:writing|working on|preparing) (?:up |a |an )\S*\s*"
    rf"{_NOUN}\b"
    rf"|\b{_NOUN}s? (?:is |are )?(?:coming|incoming|to follow|will follow|on (?:its|the) way)\b"
    rf"|\b{_NOUN}s?\b[^.!?]{{0,60}}?\b(?:will be (?:shared|published|posted|announced|released"
    r"|out|up)|(?:is|are) coming)\b"
    r"|\bmore (?:soon|to come|to follow|later|tomorrow|to say|to share)\b|\bstay tuned\b"
    r"|\bwatch this space\b|\bto be continued\b"
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
    r"|(?<!\w)(?:ترقبوا|انتظروا|انتظرونا|تابعونا|موعدنا|موعدكم|يتبع)(?!\w)|للحديث بقيه"
    r"|(?<!\w)(?:المزيد|التفاصيل)(?:\s+\S+){0,3}?\s+(?:قريبا|لاحقا|غدا)(?!\w)"
    r"|(?<!\w)(?:يسعدنا|يسرنا|نتطلع)\s+(?:ان\s+|الي\s+)?(?:نشارك|مشارك|نعلن|اعلان)",
)
_CUES = {"en": _ENGLISH, "ar": _ARABIC}
_PASSIVE = re.compile(rf"(?<!\w)[وف]?سي{_STEMS}")  # "سيُنشر": only with its damma (see _cue)

_CONTENT = {
    "en": re.compile(rf"\b{_NOUN}s?\b|\bmore on (?:this|that|it)\b"),
    "ar": re.compile(
        r"(?<!\w)(?:[وفبل]|لل)?(?:ال)?(?:منشور|تدوينه|بيان|تقرير|تفاصيل|توضيح|رد|مقال|بث|حلقه"
        r"|اعلان|نتائج|مزيد|شرح|معلومات|مستجدات|ملابسات|رساله|فيديو|اجابات|اجابه|احاطه)"
        r"(?:ا|ات|ها|ه|ي|نا|كم)?(?!\w)"
    ),
}
# The future of something said: "coming", "to follow", "will be out" (not any "will": "the news
# tomorrow will be dominated by…" is a forecast).
_AHEAD = re.compile(
    r"(?:\b|')(?:(?:will|ll|shall) (?:be )?(?:out|up|posted|published|shared|released|live"
    r"|available|follow|come|go up|appear|arrive)|going to|gonna|to come|to follow|coming"
    r"|incoming|upcoming|up next|next up|expect|plan(?:ning)? (?:to|on)|intend|hope to"
    r"|stay tuned)\b"
    r"|(?<!\w)[وف]?(?:س|سوف\s+)[ان]\w{2,}|(?<!\w)(?:ترقبوا|انتظروا|انتظرونا|تابعونا|نعدكم)"
)
# Somebody's future before the thing said makes it theirs ("Jan will post details", "سينشر
# يان لايكي تفاصيل"); an Arabic third person after it is the thing's own ("التقرير سيصدر").
_OTHERS_FUTURE = re.compile(
    r"(?<!\w)[وف]?(?:س|سوف\s+)[يت]\w{2,}"
    r"|\b(?!(?:i|we|it|this|that|which|there|and|you)\b)\w+(?:'ll| will| is going to)\b"
)
_ITS_FUTURE = re.compile(r"(?<!\w)[وف]?(?:س|سوف\s+)[يت]\w{2,}")
_ANY_WILL = re.compile(r"(?:\b|')(?:will|ll|shall)\b")
_PAST = re.compile(
    r"\b(?:i|we)(?:'ve| have| had| did)\b|\b(?:i|we|it) \w+ed\b|\b(?:wrote|said|was|were)\b"
    r"|\byesterday\b|\blast (?:week|month|night|year)\b|\bago\b|\bhere(?:'s| is)\b"
    r"|\b(?:is|are) (?:now )?(?:live|out)\b"
    r"|(?<!\w)[وف]?(?:نشر|كتب|اعلن|شارك|اصدر|كشف|وضح|عرض|بث)(?:ت|نا)(?!\w)"
    r"|(?<!\w)(?:امس|البارحه|الماضي|الماضيه|لم)(?!\w)|كما وعد"
)
_QUESTION = re.compile(r"[?؟]")
_CONDITION = re.compile(r"^\W*(?:if|unless|whether|اذا|لو|ان\s+شاء)\b")
_WISH = re.compile(r"\b(?:i|we) hope\b(?! to)|\bsee you\b|(?<!\w)نلتقي(?!\w)")
_NEGATION = re.compile(
    r"\b(?:won't|will not|not going to|no plans?|don't plan|do not plan|never|nothing (?:further"
    r"|more))\b|(?<!\w)(?:لن|لا ننوي|لا نعتزم|لا نخطط)(?!\w)"
)
_REPORTING = re.compile(
    r"\b(?:said|says|told|tells|according to|reportedly|ask(?:s|ed|ing)|wonder(?:s|ing)?"
    r"|promised|claims?|familiar with)\b|\bwhether (?:i|we)\b"
    r"|(?<!\w)(?:قال|قالت|قالوا|اكد|اكدت|وعد|وعدت|وعدوا|بحسب|وفقا|حسب|نقلا)(?!\w)"
    r"|(?<!\w)ما\s+اذا(?!\w)"
)


def _cue(sentence: _Folded, languages: tuple[str, ...], day: date) -> tuple[int, int] | None:
    """Where the words that make the sentence a promise are, if it is one."""
    text = sentence.text
    if _NEGATION.search(text) or _REPORTING.search(text):
        return None
    found = [match for language in languages if (match := _CUES[language].search(text))]
    if "ar" in languages:
        found += [
            match
            for match in _PASSIVE.finditer(text)
            if text.index("ي", match.start()) in sentence.passive
        ]
    if found:
        first = min(found, key=lambda match: match.start())
        return first.start(), first.end()
    return _said_in_future(text, languages, day)


def _said_in_future(text: str, languages: tuple[str, ...], day: date) -> tuple[int, int] | None:
    """Something said, and the future, in a sentence with nothing in the past."""
    contents = [match for language in languages if (match := _CONTENT[language].search(text))]
    if not contents or _PAST.search(text):
        return None
    content = min(contents, key=lambda match: match.start())
    if _OTHERS_FUTURE.search(text, 0, content.start()):
        return None
    future = _AHEAD.search(text) or _ITS_FUTURE.search(text, content.end())
    if future is not None:
        return min(content.start(), future.start()), max(content.end(), future.end())
    horizon = find_horizon(text, day)
    if horizon is None or not horizon.sure or _ANY_WILL.search(text):
        return None  # no future of its own; "the news tomorrow will be…" is a forecast
    return min(content.start(), horizon.start), max(content.end(), horizon.end)


def _declined(sentence: str) -> bool:
    """Questions, conditions, wishes and goodbyes promise nothing."""
    return any(pattern.search(sentence) for pattern in (_QUESTION, _CONDITION, _WISH))
