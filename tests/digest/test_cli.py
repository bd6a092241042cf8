"""``watcher digest preview`` writes the three files and records nothing."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from watcher.cli import cli
from watcher.config import Config
from watcher.store import Store
from watcher.store.tables import DigestRunRow

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("digest_id", "words"), [("daily", "Follow-ups"), ("daily-ar", "المتابعات")]
)
def test_preview_writes_html_text_and_eml_without_sending(
    seeded: Store,
    bundled_config: Config,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    digest_id: str,
    words: str,
) -> None:
    monkeypatch.setenv("WATCHER_DATABASE_URL", str(seeded.engine.url))
    out = tmp_path / "preview"
    result = CliRunner().invoke(
        cli,
        ["-c", str(REPO / "config" / "watch.yaml"), "digest", "preview", "--digest", digest_id,
         "--out", str(out), "--since", "1000w"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert f"{digest_id}: 9 items in 7 entries" in result.output
    html = (out / "digest.html").read_text(encoding="utf-8")
    assert words in html and words in (out / "digest.txt").read_text(encoding="utf-8")
    mail = message_from_bytes((out / "digest.eml").read_bytes(), policy=default)
    assert mail["To"] == "me@example.com" and mail.get_content_type() == "multipart/alternative"
    with seeded.session() as session:
        assert session.scalar(select(func.count()).select_from(DigestRunRow)) == 0


def test_preview_names_an_unknown_digest(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["-c", str(REPO / "config" / "watch.yaml"), "digest", "preview", "--digest", "nope"]
    )
    assert result.exit_code == 2
    assert "unknown digest 'nope' (known: daily, daily-ar)" in result.output


def test_preview_refuses_a_lookback_beyond_the_calendar() -> None:
    result = CliRunner().invoke(
        cli, ["-c", str(REPO / "config" / "watch.yaml"), "digest", "preview", "--since", "3650000d"]
    )
    assert result.exit_code == 2
    assert "at most 100 years back" in result.output
