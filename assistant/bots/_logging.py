"""Logging for the long-running bot processes, with secrets taken out of every record."""
from __future__ import annotations

import logging

from assistant.redact import redact

__all__ = ["setup_logging"]


class _Redact(logging.Filter):
    """Tokens must not reach the logs either (Bolt logs request bodies at debug level)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        if record.exc_info and not record.exc_text:  # the formatter prints exc_text when it is set
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_Redact())
