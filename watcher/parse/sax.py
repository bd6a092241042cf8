"""The SAX reader feedparser's strict parser runs on: the standard expat reader, with attribute
lookups made linear.

feedparser reads every attribute of an element back by its qualified name, and the standard
library's ``AttributesNSImpl.getValueByQName`` finds a name by scanning all of them: one
element with 100,000 attributes costs minutes of CPU (quadratic), and feedparser meets it even
on a body the fast path refused, or before its loose parser reads an ill-formed body. Here the
same names and values reach feedparser through an object that indexes them by qualified name
once per element.

feedparser asks ``xml.sax.make_parser`` for the modules in ``feedparser.api.PREFERRED_XML_PARSERS``
first; ``use()`` puts this module there, and ``create_parser`` is what ``make_parser`` calls.

feedparser reads an ill-formed body twice: its strict parser runs to the error (the end, for a
mismatched tag), then its loose parser starts again. Inside ``refusing(error)`` the strict
parser fails at once with expat's own error for the body, already known, so the body is read
once and feedparser notes the same fault.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from xml.parsers import expat
from xml.sax import SAXParseException
from xml.sax.expatreader import ExpatParser
from xml.sax.xmlreader import AttributesNSImpl, Locator

import feedparser.api

_FEW_ATTRIBUTES = 8  # the standard scan is cheaper than an index for a handful
_known = threading.local()  # the expat error this thread's next strict parse is to raise


class _IndexedAttributes(AttributesNSImpl):
    """``AttributesNSImpl`` whose lookups by qualified name are dictionary lookups."""

    def __init__(self, attrs: dict[Any, str], qnames: dict[Any, str]) -> None:
        super().__init__(attrs, qnames)
        self._values = attrs
        self._names = {qname: name for name, qname in qnames.items()}

    def getValueByQName(self, name: str) -> str:  # noqa: N802 (the SAX interface)
        return self._values[self._names[name]]

    def getNameByQName(self, name: str) -> Any:  # noqa: N802
        return self._names[name]


class _IndexingHandler:
    """Forwards every SAX event to feedparser's handler, the attributes of a start tag indexed."""

    def __init__(self, handler: Any) -> None:
        self._handler = handler

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handler, name)

    def startElementNS(self, name: Any, qname: str | None, attrs: Any) -> None:  # noqa: N802
        if len(attrs) > _FEW_ATTRIBUTES:
            names = attrs.getNames()
            attrs = _IndexedAttributes(
                {key: attrs.getValue(key) for key in names},
                {key: attrs.getQNameByName(key) for key in names},
            )
        self._handler.startElementNS(name, qname, attrs)


class _ErrorPosition(Locator):
    def __init__(self, error: expat.ExpatError) -> None:
        self._error = error

    def getLineNumber(self) -> int:  # noqa: N802
        return self._error.lineno

    def getColumnNumber(self) -> int:  # noqa: N802
        return self._error.offset


class _Reader(ExpatParser):
    def setContentHandler(self, handler: Any) -> None:  # noqa: N802
        super().setContentHandler(_IndexingHandler(handler))

    def parse(self, source: Any) -> None:
        error = getattr(_known, "error", None)
        if error is not None:
            message = expat.errors.messages[error.code]
            raise SAXParseException(message, error, _ErrorPosition(error))
        super().parse(source)


@contextmanager
def refusing(error: expat.ExpatError | None) -> Iterator[None]:
    """Strict parses on this thread fail at once with ``error`` (nothing changes for None)."""
    _known.error = error
    try:
        yield
    finally:
        _known.error = None


def create_parser(*args: Any, **kwargs: Any) -> ExpatParser:
    """What ``xml.sax.make_parser`` calls on a parser module."""
    return _Reader(*args, **kwargs)


def use() -> None:
    """Make feedparser's strict parser use this reader (idempotent)."""
    if feedparser.api.PREFERRED_XML_PARSERS[:1] != [__name__]:
        feedparser.api.PREFERRED_XML_PARSERS.insert(0, __name__)
