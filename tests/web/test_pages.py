"""Every page of the web view, fetched over HTTP from a database the real pipeline filled."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from tests.web.conftest import Site
from watcher.cli import cli


def _text(html: str) -> str:
    """The page's text, tags dropped and spaces folded (enough to look for phrases)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def test_the_stories_page_shows_each_board_arrived_awaited_and_overdue(site: Site) -> None:
    page = site.get("/")

    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    text = _text(page.text)
    assert "Sutskever and Leike leave OpenAI" in text
    assert "✓ Arrived Altman's promised longer post from Sam Altman" in text
    assert "A longer post about safety and the superalignment team" in text
    assert "… Awaited What Sutskever does next from Ilya Sutskever · waiting 14 days" in text
    overdue = "! Overdue OpenAI's formal response on safety from OpenAI · waiting 12 days"
    assert overdue in text and "was due Friday, May 24, 2024" in text
    assert "1 source is failing" in text
    assert text.index("Overdue") < text.index("Awaited") < text.index("Arrived")


def test_a_story_page_has_its_board_timeline_by_day_and_mention_chart(site: Site) -> None:
    text = _text(site.get("/stories/exits").text)

    assert "Follow-ups" in text and "Mentions per day" in text
    days = ["Tuesday, May 28, 2024 2 items", "Saturday, May 18, 2024 3 items"]
    assert all(day in text for day in days)
    assert text.index(days[0]) < text.index(days[1])  # newest day first
    assert "Ilya Sutskever leaves OpenAI after a decade" in text
    assert "Markets close higher" not in text  # not in the story
    chart = re.search(r"<table class=\"chart\">.*?</table>", site.get("/stories/exits").text, re.S)
    assert chart is not None
    assert "Jan Leike" in chart[0] and 'class="bar w10"' in chart[0]


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("entity=sutskever", "Ilya Sutskever leaves OpenAI", "Jan Leike resigns"),
        ("language=ar", "يان لايكه ينضم إلى أنثروبيك", "Jan Leike resigns"),
        ("source=arabic-news", "وألتمان يرد على استقالة لايكه", "OpenAI dissolves"),
    ],
)
def test_a_story_filters_by_entity_language_and_source(
    site: Site, query: str, shown: str, hidden: str
) -> None:
    text = _text(site.get(f"/stories/exits?{query}").text)
    assert shown in text and hidden not in text


def test_an_unknown_story_or_filter_value_is_refused(site: Site) -> None:
    assert site.get("/stories/nope").status_code == 404
    bad = site.get("/stories/exits?entity=nobody")
    assert bad.status_code == 400 and "unknown entity" in bad.text


def test_the_item_page_explains_the_match(site: Site) -> None:
    item_id = site.item_id("A longer post about safety")
    text = _text(site.get(f"/items/{item_id}").text)

    assert "Why it matched" in text
    assert "altman: declared by source altman-blog" in text
    assert "✓ Sutskever and Leike leave OpenAI" in text
    assert "✓ Altman's promised longer post" in text and "fulfilled by this item" in text
    assert "query: leike✓ OR sutskever✗ OR superalignment✓" in text
    assert site.get("/items/999999").status_code == 404


def test_the_sources_page_shows_health_and_the_last_error(site: Site) -> None:
    text = _text(site.get("/sources").text)
    assert re.search(r"broken feed .*/broken\.xml failing \(1x\)", text)
    assert "HTTP 503" in text
    assert re.search(r"wire feed .*/wire\.xml ok .* 5 ", text)  # with its item count


def test_the_deliveries_page_shows_states_and_attempts(site: Site) -> None:
    text = _text(site.get("/deliveries").text)
    assert re.search(r"daily .* team-hook failed 1 ", text)


def test_digests_are_shown_as_they_were_sent(site: Site) -> None:
    listing = site.get("/digests").text
    run = re.search(r'href="/digests/(\d+)"', listing)
    assert run is not None and "team-hook: failed" in listing
    html = site.get(f"/digests/{run[1]}")
    text = site.get(f"/digests/{run[1]}.txt")

    assert html.text.startswith("<!DOCTYPE html>") and "Your news digest" in html.text
    policy = html.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "script-src" not in policy and "default-src 'none'" in policy
    assert text.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "Your news digest" in text.text
    assert site.get("/digests/999").status_code == 404


def test_the_api_returns_the_items_json_objects(site: Site) -> None:
    api = site.get("/api/items", params={"limit": 200}).json()
    result = CliRunner().invoke(
        cli, ["-c", str(site.config.path), "items", "--json", "--limit", "200"]
    )
    cli_items = [json.loads(line) for line in result.stdout.splitlines()]

    assert api["items"] == cli_items
    assert api["next"] is None and len(api["items"]) == 9
    story = site.get("/api/items", params={"story": "arabic-coverage"}).json()["items"]
    assert {item["language"] for item in story} == {"ar"} and len(story) == 3


def test_pages_of_items_follow_each_other_without_gaps(site: Site) -> None:
    seen, url = [], site.url + "/api/items?limit=4"
    while url:
        page = site.get(url.removeprefix(site.url)).json()
        assert len(page["items"]) <= 4
        seen += [item["id"] for item in page["items"]]
        url = page["next"]
    everything = [item["id"] for item in site.get("/api/items?limit=200").json()["items"]]
    assert seen == everything


def test_the_arabic_view_is_right_to_left_in_its_own_words(site: Site) -> None:
    page = site.get("/stories/arabic-coverage?lang=ar").text

    assert '<html lang="ar" dir="rtl">' in page
    assert "المتابعات" in page and "التسلسل الزمني" in page and "منتظر" in page
    assert 'href="/items?lang=ar"' in page  # links keep the language asked for
    english = site.get("/", headers={"Accept-Language": "ar"}).text
    assert '<html lang="ar" dir="rtl">' in english  # or the browser's preference


def test_items_keep_their_own_direction_in_either_language(site: Site) -> None:
    for language in ("en", "ar"):
        page = site.get(f"/stories/exits?lang={language}").text
        assert re.search(r'<article class="item" dir="rtl" lang="ar">\s*<h3[^>]*><a[^>]*>يان', page)
        assert re.search(r'<article class="item" dir="ltr" lang="en">\s*<h3[^>]*><a[^>]*>Jan', page)


def test_head_answers_like_get_without_a_body(site: Site) -> None:
    import requests

    response = requests.head(site.url + "/stories/exits", timeout=10)
    assert response.status_code == 200 and response.text == ""
    assert int(response.headers["Content-Length"]) > 1000
