"""Screenshots of the web view in headless Chromium, for people to look at: the stories page and
a story, in English and in Arabic, on a desktop and a phone width.

Saved as tests/artifacts/web-*.png (git-ignored). Skipped, saying why, where Debian's chromium
package is not installed (``apt-get install chromium``).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from tests.web.conftest import Site

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]
DESKTOP, PHONE, TALL_PHONE = (1100, 1600), (390, 1300), (390, 2400)
SHOTS = [
    ("home-en", "/?lang=en", DESKTOP),
    ("home-ar", "/?lang=ar", DESKTOP),
    ("story-en", "/stories/exits?lang=en", DESKTOP),
    ("story-ar", "/stories/arabic-coverage?lang=ar", DESKTOP),
    ("home-en-phone", "/?lang=en", PHONE),
    ("story-ar-phone", "/stories/exits?lang=ar", TALL_PHONE),
]

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


@pytest.mark.parametrize(("name", "path", "size"), SHOTS, ids=[shot[0] for shot in SHOTS])
def test_screenshot_of_the_web_view(
    site: Site, tmp_path: Path, name: str, path: str, size: tuple[int, int]
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"web-{name}.png"
    shot.unlink(missing_ok=True)
    width, height = size

    subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--window-size={width},{height}",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", site.url + path],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip

    assert _png_size(shot) == size
    assert shot.stat().st_size > 30_000  # a rendered page, not a blank one
