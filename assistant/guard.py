"""The last guard of every command: errors become one line and an exit code.

Errors the user can act on (AssistantError: an unreadable file, a bad answer)
print `file: problem` and exit 2; anything unexpected prints one line and exits 1,
with the traceback only under TSA_DEBUG=1. No traceback ever reaches a user.
"""
from __future__ import annotations

import gc
import os
import sys
from typing import Callable, NoReturn

from assistant.errors import AssistantError

__all__ = ["guarded", "leave", "EXIT_INPUT"]

EXIT_INPUT = 2


def guarded(fn: Callable[[], int | None], on_error: Callable[[Exception], int | None] | None = None) -> int:
    """Run fn; map what it raises to an exit code. `on_error` may claim other exception kinds."""
    try:
        return fn() or 0
    except AssistantError as e:
        sys.stderr.write(f"{e}\n")
        return EXIT_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except SystemExit as e:  # argparse's own usage errors and --help
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except Exception as e:
        code = on_error(e) if on_error else None
        if code is not None:
            return code
        if os.environ.get("TSA_DEBUG"):
            raise
        sys.stderr.write(f"internal error: {type(e).__name__}: {e} (set TSA_DEBUG=1 for details)\n")
        return 1


def leave(code: int) -> NoReturn:
    """Exit a command's process with ``code``, sparing the interpreter's teardown its garbage walks.

    At exit CPython collects garbage over every object still alive (modules, the rulebase, compiled
    patterns, a big log's series): 40-90 ms of a one-shot `ask`, more than its in-process work on a
    small case. Frozen objects are skipped by those collections; everything else about the exit is
    unchanged (atexit handlers such as the warm-start cache's run, streams are flushed).
    """
    gc.freeze()
    sys.exit(code)
