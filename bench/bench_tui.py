"""Time to first paint of the terminal chat (target: under 1 s).

Two measurements, each from the moment the process is spawned, so interpreter
start-up and every import count:

- headless: a child process builds the app with ``make_app`` and runs it
  headless; the figure is taken when the first complete frame is handed to the
  output (Textual's private ``App._display``, which headless runs discard), then
  the app exits. (``pilot.pause()`` would also wait for the background warm-up.)
- terminal (when tmux is installed): ``assistant`` is started in a detached
  tmux session and the pane is polled until the footer's key bindings show.

usage: python bench/bench_tui.py [--runs N]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

CHILD = """
import sys, time
t0 = float(sys.argv[1])
from assistant.tui import make_app

app = make_app()
display = app._display  # called with each frame the terminal would receive (headless: discarded)

def first_frame(screen, renderable):
    if renderable is not None and not app._batch_count and not app.is_headless_done:
        app.is_headless_done = True
        print(f"{time.time() - t0:.4f}")
        app.call_later(app.exit)
    return display(screen, renderable)

app.is_headless_done = False
app._display = first_frame
app.run(headless=True, size=(80, 24))
"""


def headless_once(env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD, repr(time.time())], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return float(out.strip().splitlines()[-1])


# What a terminal shows at once: the reference for the chat's first paint, measured the same way.
REFERENCE = "printf 'Findings Quit'; sleep 20"


def terminal_once(env: dict[str, str], n: int, program: str | None = None, linger: float = 0.0) -> float | None:
    """Seconds until a real terminal (tmux, 80x24) shows the footer; None if it never does.
    `program` (a shell command) replaces the chat, e.g. REFERENCE. `linger`: seconds the chat stays
    open after that, as a user's session would (a warm-up run: the chat writes its start-up cache,
    assistant/warmstart.py, once its background warm-up is done)."""
    socket = f"tsa-bench-{os.getpid()}-{n}"
    cmd = program or (" ".join(f"{k}={v}" for k, v in env.items() if k.startswith(("TSA_", "PYTHONPYCACHE")))
                      + f" env -u PYTHONDONTWRITEBYTECODE {VENV_BIN / 'assistant'}")
    t0 = time.time()
    subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-x", "80", "-y", "24", cmd], check=True, env=env)
    try:
        while time.time() - t0 < 20:
            screen = subprocess.run(["tmux", "-L", socket, "capture-pane", "-p"], capture_output=True, text=True).stdout
            if "Quit" in screen and "Findings" in screen:
                took = time.time() - t0
                time.sleep(linger)
                return took
            time.sleep(0.01)
        return None
    finally:
        path = subprocess.run(["tmux", "-L", socket, "display-message", "-p", "#{socket_path}"], capture_output=True,
                              text=True).stdout.strip()
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
        if path:
            Path(path).unlink(missing_ok=True)


def summary(name: str, times: list[float]) -> None:
    print(f"{name:<10} median {statistics.median(times):.3f} s   min {min(times):.3f} s   max {max(times):.3f} s"
          f"   ({len(times)} runs)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tsa-bench-tui-") as tmp:
        # Byte-code caches as an installed copy has them (this sandbox sets PYTHONDONTWRITEBYTECODE),
        # kept in the temp dir rather than the checkout.
        env = {**os.environ, "TSA_CACHE_DIR": f"{tmp}/cache", "TSA_DATA_DIR": f"{tmp}/data",
               "PYTHONPYCACHEPREFIX": f"{tmp}/pycache"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        headless_once(env)  # warm the page cache; not counted
        summary("headless", [headless_once(env) for _ in range(args.runs)])
        if shutil.which("tmux") is None:
            print("terminal   skipped: tmux is not installed")
            return
        terminal_once(env, 0, linger=2.0)  # warm: page cache, the chat's start-up cache; not counted
        times = [t for n in range(1, args.runs + 1) if (t := terminal_once(env, n)) is not None]
        if times:
            summary("terminal", times)
        else:
            print("terminal   the chat never showed its footer in tmux")


if __name__ == "__main__":
    main()
