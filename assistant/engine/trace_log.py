"""The engine's named trace loggers, without importing `logging` until someone uses it.

Firings, agenda changes and fact changes go to the loggers `assistant.engine.rules`,
`.agenda` and `.facts` at DEBUG level. Importing `logging` costs ~6 ms of a one-shot
run that never configures it; a message logged before anything imported `logging`
could not have reached a handler anyway, so it is dropped, and once a program
(or pytest's caplog) has imported and configured logging the messages flow as usual.
"""
from __future__ import annotations

import sys
from typing import Any

__all__ = ["TraceLogger"]


class TraceLogger:
    """`debug(msg, *args)` to the named logger, once `logging` is loaded."""

    __slots__ = ("name", "_logger")

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger: Any = None

    def debug(self, msg: str, *args: Any) -> None:
        logger = self._logger
        if logger is None:
            logging = sys.modules.get("logging")
            if logging is None:
                return
            logger = self._logger = logging.getLogger(self.name)
        logger.debug(msg, *args)
