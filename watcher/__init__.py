"""watcher: follow people, organisations and stories; get a daily digest of what followed."""

__version__ = "0.1.0"
