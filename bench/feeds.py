"""Generate the farm's feeds: realistic sizes and markup, RSS and Atom, some Arabic.

Everything is deterministic from ``(seed, feed index, entry number)``: an entry renders to the
same bytes in every version of its feed, so a "changed" feed differs from its previous version
only by the entries it gained and lost, as a real feed does.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from typing import Literal

# The most common words; ``Vocabulary`` adds a long tail of made-up ones.
EN_WORDS = tuple(
    """
the of and to in a is that for it as was with be by on not he this are or his from at which
but have an they you were her she there one all we their has been would more if no when will
said who so what up out about into them can only other new some could time these two may then
first any now such like our over also after did most made between many before must through back
years where much your way well down should because each just those people how too little state
good very make world still own see men work long get here both life being under never day same
another know while last might us great old year off come since against go came right used take
three minister government council election report market budget talks summit court ruling
agreement ceasefire parliament protest energy climate inflation bank oil prices trade investors
vote policy security police hospital school university research study company shares deal
""".split()  # noqa: SIM905
)

AR_WORDS = tuple(
    """
في من على إلى أن عن مع هذا هذه التي الذي كان قال بعد قبل بين حتى كل عند ذلك تلك أو لكن
الحكومة الوزير الرئيس المجلس الانتخابات التقرير السوق الميزانية المحادثات القمة المحكمة الحكم
الاتفاق وقف إطلاق النار البرلمان احتجاج الطاقة المناخ التضخم البنك النفط الأسعار التجارة
المستثمرين التصويت السياسة الأمن الشرطة المستشفى المدرسة الجامعة البحث الدراسة الشركة الأسهم
الصفقة العام اليوم الأسبوع الشهر المدينة البلاد العالم الناس الحياة العمل الدولة الشعب الوطني
الدولي الاقتصاد المالية الخارجية الداخلية الصحة التعليم الثقافة الرياضة المنطقة الشرق الأوسط
""".split()  # noqa: SIM905
)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Common words then a long tail of made-up ones, drawn with Zipf weights (rank⁻¹).

    Real text has tens of thousands of distinct words; a small vocabulary would flatter every
    per-word cache in the matcher and every compressor on the wire.
    """

    words: tuple[str, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def build(cls, common: tuple[str, ...], letters: str, vowels: str, tail: int) -> Vocabulary:
        rng = random.Random(f"vocabulary-{letters}")
        made_up = {
            "".join(rng.choice(letters) + rng.choice(vowels) for _ in range(rng.randint(2, 4)))
            for _ in range(tail)
        }
        words = common + tuple(sorted(made_up - set(common)))
        weights = itertools.accumulate(1 / (rank + 1) for rank in range(len(words)))
        return cls(words, tuple(weights))

    def choose(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=count)


ENGLISH = Vocabulary.build(EN_WORDS, "bcdfghklmnprstvwz", "aeiouy", 20_000)
ARABIC = Vocabulary.build(AR_WORDS, "بتثجحخدذرزسشصضطظعغفقكلمنهوي", "اوي", 15_000)

Behaviour = Literal["ok", "slow", "error", "timeout"]
NEW_ENTRIES_PER_CHANGE = 3
MIN_BYTES, MAX_BYTES = 5_000, 50_000


@dataclass(frozen=True, slots=True)
class FeedSpec:
    index: int
    language: Literal["en", "ar"]
    format: Literal["rss", "atom"]
    behaviour: Behaviour
    size: int  # target body size in bytes

    @property
    def path(self) -> str:
        return f"/feeds/{self.index:05d}.{'xml' if self.format == 'rss' else 'atom'}"

    @property
    def site(self) -> str:
        return f"https://news{self.index:05d}.example.org"


def plan_feeds(count: int, seed: int = 1) -> list[FeedSpec]:
    """``count`` feeds: ~10% Arabic, ~35% Atom, sizes log-uniform in 5–50 KB, a few bad ones.

    Bad feeds are 0.5% slow (2 s), 0.5% failing with 500, 0.25% never answering; at least one
    of each whenever there are 20 feeds or more, so small runs exercise the error paths too.
    """
    rng = random.Random(seed)
    bad = _bad_feeds(count, rng)
    return [
        FeedSpec(
            index=i,
            language="ar" if rng.random() < 0.10 else "en",
            format="atom" if rng.random() < 0.35 else "rss",
            behaviour=bad.get(i, "ok"),
            size=int(MIN_BYTES * (MAX_BYTES / MIN_BYTES) ** rng.random()),
        )
        for i in range(count)
    ]


def _bad_feeds(count: int, rng: random.Random) -> dict[int, Behaviour]:
    if count < 20:
        return {}
    wanted: list[tuple[Behaviour, int]] = [
        ("slow", max(1, count // 200)),
        ("error", max(1, count // 200)),
        ("timeout", max(1, count // 400)),
    ]
    picks = iter(rng.sample(range(count), sum(n for _, n in wanted)))
    return {next(picks): kind for kind, n in wanted for _ in range(n)}


@dataclass(frozen=True, slots=True)
class Text:
    """What the entries may mention: the watched names, by script."""

    latin: tuple[str, ...] = ()
    arabic: tuple[str, ...] = ()
    share: float = 0.25  # of entries that mention one of the names

    @classmethod
    def from_names(cls, names: list[str], share: float = 0.25) -> Text:
        arabic = tuple(n for n in names if any("\u0600" <= ch <= "\u06ff" for ch in n))
        return cls(tuple(n for n in names if n not in arabic), arabic, share)


def render(
    spec: FeedSpec, version: int, entries: int, text: Text, epoch: datetime, seed: int = 1
) -> bytes:
    """The body of ``spec`` at ``version``: its ``entries`` newest entries, newest first."""
    newest = entries - 1 + version * NEW_ENTRIES_PER_CHANGE
    numbers = range(newest, max(-1, newest - entries), -1)
    per_entry = spec.size // entries
    rendered = [_entry(spec, n, per_entry, text, epoch, seed) for n in numbers]
    updated = epoch + timedelta(minutes=15 * newest)
    head = _rss_head if spec.format == "rss" else _atom_head
    tail = "</channel></rss>\n" if spec.format == "rss" else "</feed>\n"
    return (head(spec, updated) + "".join(rendered) + tail).encode("utf-8")


@dataclass(frozen=True, slots=True)
class _Entry:
    number: int
    title: str
    link: str
    author: str
    published: datetime
    summary: str  # plain text
    html: str | None  # full content; None for headline-only feeds


def _entry(spec: FeedSpec, number: int, size: int, text: Text, epoch: datetime, seed: int) -> str:
    """One entry of about ``size`` bytes; below ~700 bytes a headline with a short summary."""
    rng = random.Random(f"{seed}-{spec.index}-{number}")
    words = ARABIC if spec.language == "ar" else ENGLISH
    names = text.arabic if spec.language == "ar" and text.arabic else text.latin
    mention = rng.choice(names) if names and rng.random() < text.share else None
    title = _sentence(rng, words, rng.randint(6, 12), mention if rng.random() < 0.5 else None)
    budget = max(60, size - 420)  # what is left after the metadata
    headline_only = size < 700
    html = _html(rng, words, budget if headline_only else budget * 3 // 4, mention)
    summary = _strip(html)[: budget if headline_only else budget // 4]
    published = epoch + timedelta(minutes=15 * number)
    entry = _Entry(
        number=number,
        title=title,
        link=f"{spec.site}/{published:%Y/%m}/story-{number}",
        author=_sentence(rng, words, 2, None),
        published=published,
        summary=summary,
        html=None if headline_only else html,
    )
    return _rss_item(spec, entry) if spec.format == "rss" else _atom_entry(spec, entry)


def _rss_item(spec: FeedSpec, entry: _Entry) -> str:
    content = f"<content:encoded><![CDATA[{entry.html}]]></content:encoded>" if entry.html else ""
    return (
        f"<item><title>{escape(entry.title)}</title><link>{entry.link}</link>"
        f'<guid isPermaLink="false">{spec.site}/id/{entry.number}</guid>'
        f"<pubDate>{format_datetime(entry.published, usegmt=True)}</pubDate>"
        f"<dc:creator>{escape(entry.author)}</dc:creator>"
        f"<description>{escape(entry.summary)}</description>{content}</item>\n"
    )


def _atom_entry(spec: FeedSpec, entry: _Entry) -> str:
    content = f'<content type="html">{escape(entry.html)}</content>' if entry.html else ""
    when = entry.published.isoformat()
    return (
        f'<entry><title type="html">{escape(entry.title)}</title>'
        f"<id>{spec.site}/id/{entry.number}</id>"
        f'<link rel="alternate" type="text/html" href="{entry.link}"/>'
        f"<published>{when}</published><updated>{when}</updated>"
        f"<author><name>{escape(entry.author)}</name></author>"
        f'<summary type="html">{escape(entry.summary)}</summary>{content}</entry>\n'
    )


def _sentence(rng: random.Random, words: Vocabulary, count: int, mention: str | None) -> str:
    chosen = words.choose(rng, count)
    if mention:
        chosen.insert(rng.randrange(len(chosen) + 1), mention)
    sentence = " ".join(chosen)
    return sentence[:1].upper() + sentence[1:]


def _html(rng: random.Random, words: Vocabulary, size: int, mention: str | None) -> str:
    """Paragraphs with the usual inline markup (links, emphasis, an image) up to ``size``."""
    parts: list[str] = []
    length = 0
    while length < size:
        sentence = _sentence(rng, words, min(rng.randint(15, 70), size // 6 + 1), mention)
        mention = None
        roll = rng.random()
        if roll < 0.3:
            cut = sentence.find(" ", len(sentence) // 3)
            href = f"https://ref.example.net/{rng.randrange(10**6)}"
            sentence = f'{sentence[:cut]} <a href="{href}">{sentence[cut + 1 :]}</a>'
        elif roll < 0.45:
            sentence = f"<strong>{sentence[:40]}</strong>{sentence[40:]}"
        elif roll < 0.5:
            src = f"https://img.example.net/{rng.randrange(10**6)}.jpg"
            sentence = f'<img src="{src}" alt="">{sentence}'
        paragraph = f"<p>{sentence}.</p>"
        length += len(paragraph.encode("utf-8"))
        if parts and length > size:
            break
        parts.append(paragraph)
    return "".join(parts)


def _strip(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def _rss_head(spec: FeedSpec, updated: datetime) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>News {spec.index}</title><link>{spec.site}/</link>"
        f"<description>Generated feed {spec.index}</description>"
        f"<language>{spec.language}</language>"
        f"<lastBuildDate>{format_datetime(updated, usegmt=True)}</lastBuildDate>\n"
    )


def _atom_head(spec: FeedSpec, updated: datetime) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{spec.language}">'
        f"<title>News {spec.index}</title><id>{spec.site}/</id>"
        f'<link rel="alternate" href="{spec.site}/"/><updated>{updated.isoformat()}</updated>\n'
    )


def default_epoch(entries: int, now: datetime | None = None) -> datetime:
    """Entry 0's time: so that the newest entries of a fresh farm are from the last hours."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    return now - timedelta(minutes=15 * entries + 60)
