"""Screenshots of the HTML digest in headless Chromium, English and Arabic, for people to look at.

Saved as tests/artifacts/digest-en.png and digest-ar.png (git-ignored). Skipped, saying why,
where Debian's chromium package is not installed (``apt-get install chromium``).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher.config import Config
from watcher.digest.build import build_digest
from watcher.digest.render import render_digest
from watcher.store import Store

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PERIOD_END = datetime(2024, 5, 29, 4, 0, tzinfo=UTC)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)"
    ),
]


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.mark.parametrize(("digest_id", "name"), [("daily", "en"), ("daily-ar", "ar")])
def test_screenshot_of_the_digest(
    seeded: Store, bundled_config: Config, tmp_path: Path, digest_id: str, name: str
) -> None:
    digest = bundled_config.digest(digest_id)
    with seeded.session() as session:
        content = build_digest(
            session, bundled_config, digest, PERIOD_END - timedelta(days=1), PERIOD_END
        )
    page = tmp_path / f"digest-{name}.html"
    page.write_text(render_digest(content, bundled_config, digest).html, encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"digest-{name}.png"
    shot.unlink(missing_ok=True)

    subprocess.run(
        [str(CHROMIUM), *FLAGS, "--hide-scrollbars", "--window-size=760,2000",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip

    assert _png_size(shot) == (760, 2000)
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one
