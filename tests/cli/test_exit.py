"""A command's exit: the code it returns, and the at-exit work (the warm-start cache) still done."""
from __future__ import annotations

import subprocess
import sys
import textwrap


def _exit_with(code: int) -> subprocess.CompletedProcess:
    script = textwrap.dedent(f"""
        import atexit, gc, sys
        from assistant.guard import leave
        atexit.register(lambda: print("at exit: frozen", gc.get_freeze_count() > 0, flush=True))
        sys.stdout.write("answer")
        leave({code})
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)


def test_leave_exits_with_the_code_after_the_output_and_atexit_handlers() -> None:
    done = _exit_with(2)
    assert done.returncode == 2
    assert done.stdout == "answer" + "at exit: frozen True\n"
    assert done.stderr == ""


def test_leave_with_success() -> None:
    assert _exit_with(0).returncode == 0
