"""Files shipped beside the code: the top-level config/ and templates/ of the repository.

A wheel carries them as ``watcher/_bundled/`` (copied by setup.py at build time); an editable
install or a checkout reads them from the repository itself.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def bundled(relative: str) -> Path:
    """``bundled("templates")`` → the installed copy if there is one, else the checkout's."""
    installed = PACKAGE / "_bundled" / relative
    return installed if installed.exists() else PACKAGE.parent / relative
