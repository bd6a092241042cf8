"""The small world of ``tests/cli/world.py`` as a fixture."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.cli.world import config_text, serve_feeds


@pytest.fixture
def world(tmp_path: Path, httpserver: HTTPServer) -> Path:
    """The config of a small world (its database beside it), feeds served; returns its path."""
    serve_feeds(httpserver)
    config = tmp_path / "story" / "watch.yaml"
    config.parent.mkdir()
    config.write_text(config_text(httpserver), encoding="utf-8")
    return config
