"""The config: one YAML file, validated into frozen models; the single source of settings.

``models`` declares every key, ``load`` reads the YAML with line numbers and reports each problem
as ``FILE:LINE: message``, ``references`` checks ids and what refers to what, ``query`` parses
the story query language. Part of the base layer: it imports only ``errors``, ``text`` and
``resources``, and every other module may import it.
"""

from watcher.config.load import check_config, config_path, load_config, parse_config
from watcher.config.models import (
    DEFAULT_CONFIG,
    ArchiveSettings,
    Channel,
    Config,
    Digest,
    Entity,
    FetchSettings,
    Followup,
    Metrics,
    SearchEngineSettings,
    SearchSettings,
    Smtp,
    Source,
    SourceSearch,
    Story,
    Web,
    archive_handle,
    default_data_dir,
    parse_duration,
)

__all__ = [
    "DEFAULT_CONFIG",
    "ArchiveSettings",
    "Channel",
    "Config",
    "Digest",
    "Entity",
    "FetchSettings",
    "Followup",
    "Metrics",
    "SearchEngineSettings",
    "SearchSettings",
    "Smtp",
    "Source",
    "SourceSearch",
    "Story",
    "Web",
    "archive_handle",
    "check_config",
    "config_path",
    "default_data_dir",
    "load_config",
    "parse_config",
    "parse_duration",
]
