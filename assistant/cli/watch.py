"""`assistant watch PATH`: judge a run while it trains; alerts on screen, in Slack or at a webhook."""
from __future__ import annotations

import signal
import sys
import threading
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from assistant.cli import app

__all__ = ["watch_cmd"]


class Level(str, Enum):
    warning = "warning"
    critical = "critical"


@app.command("watch")
def watch_cmd(
    path: Path = typer.Argument(..., help="A growing training log, a run/output folder (checkpoints), a TensorBoard "
                                          "log folder or a W&B run folder. It may not exist yet."),
    attach: Optional[List[Path]] = typer.Option(None, "--attach", "-a", help="Config files read once (axolotl YAML, "
                                                "DeepSpeed JSON, training args). Repeatable."),
    question: str = typer.Option("", "--question", "-q", help="What you are worried about, in your words."),
    as_json: bool = typer.Option(False, "--json", help="One JSON event per line on stdout (start, source, alert, "
                                                       "cleared, status, restart, warning, stop)."),
    exit_on: Optional[Level] = typer.Option(None, "--exit-on", help="Exit with code 3 at the first alert this severe "
                                                                    "(for job scripts)."),
    until_done: bool = typer.Option(False, "--until-done", help="Exit when the run logs its final summary."),
    post: Optional[List[str]] = typer.Option(None, "--post", help="Also send alerts to `slack` or to a webhook URL "
                                                                  "(signed with $TSA_WEBHOOK_SECRET). Repeatable."),
    slack_channel: Optional[str] = typer.Option(None, "--slack-channel", help="Channel for --post slack "
                                                                              "(needs SLACK_BOT_TOKEN)."),
    slack_webhook: Optional[str] = typer.Option(None, "--slack-webhook", envvar="TSA_SLACK_WEBHOOK",
                                                help="Incoming-webhook URL for --post slack (no token needed).",
                                                show_envvar=False),
    secret_env: str = typer.Option("TSA_WEBHOOK_SECRET", "--secret-env", help="Environment variable holding the "
                                                                             "webhook secret."),
    alert_file: Optional[Path] = typer.Option(None, "--alert-file", help="Also append each alert as JSON to FILE."),
    interval: float = typer.Option(0.25, "--interval", min=0.05, max=60, help="Seconds between polls."),
    status_every: float = typer.Option(10.0, "--status-every", min=0.5, help="Seconds between status lines."),
) -> None:
    """Watch a run as it trains: a live status line, and an alert (what, where, why, the fix) whenever a
    diagnosis reaches warning or critical; the same alert is not repeated while nothing changes."""
    from assistant.watch.events import json_line, text_line
    from assistant.watch.post import make_targets
    from assistant.watch.runner import WatchOptions, run_watch

    targets = make_targets(list(post or []), slack_channel=slack_channel, slack_webhook=slack_webhook,
                           secret_env=secret_env, alert_file=alert_file)
    live = not as_json and sys.stderr.isatty()
    opts = WatchOptions(path=path, attach=list(attach or []), question=question, interval=interval,
                        status_every=1.0 if live else status_every, exit_on=exit_on.value if exit_on else None,
                        until_done=until_done)

    def emit(e: dict) -> None:
        if as_json:
            sys.stdout.write(json_line(e) + "\n")
            sys.stdout.flush()
        elif e["event"] == "status":
            sys.stderr.write(("\r\x1b[2K" if live else "") + text_line(e) + ("" if live else "\n"))
            sys.stderr.flush()
        else:
            if live:
                sys.stderr.write("\r\x1b[2K")
            out = sys.stdout if e["event"] in ("alert", "cleared") else sys.stderr
            out.write(text_line(e) + "\n")
            out.flush()

    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():  # a job script's kill: stop cleanly, send what is queued
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    code = run_watch(opts, emit, targets, stop=stop)
    if code:
        raise typer.Exit(code)
