"""What matching depends on, hashed: when it changes, stored items are matched again.

One value for everything every story shares (entities, source owners, time zone, the rules'
version), one per story; ``watcher.jobs.rematch`` compares them with the ones stored at the
last match to redo only what changed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from watcher.config import Config

# Bump when the matching rules change in a way that changes results for the same config.
RULES_VERSION = 2  # 2: variant spellings of aliases (match/variants.py)


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(config: Config) -> dict[str, Any]:
    """What matching depends on, hashed: one value for everything shared, one per story."""
    shared = {
        "rules": RULES_VERSION,
        "timezone": config.timezone,
        "entities": [entity.model_dump(mode="json") for entity in config.entities],
        "owners": sorted((s.id, s.owner or "", s.archive or "") for s in config.sources),
    }
    return {
        "shared": _digest(shared),
        "stories": {story.id: _digest(story.model_dump(mode="json")) for story in config.stories},
    }
