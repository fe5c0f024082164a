"""Where alerts go besides the screen: a file, the log, Slack, a signed webhook.

Sending happens on one background thread (``Dispatcher``): a slow or unreachable
endpoint must never hold up the watch or the training step that raised the
alert. A failed send is retried once, then reported through ``on_error`` (one
line, redacted); the queue is bounded and the oldest alert is dropped when it is
full. ``close`` waits a little for what is queued, so an alert that ends a job
script (``--exit-on``) still goes out.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import Callable, Protocol

from assistant.errors import AssistantError
from assistant.redact import redact
from assistant.watch.alerts import Alert

__all__ = ["Target", "FileTarget", "LogTarget", "SlackTarget", "WebhookTarget", "Dispatcher", "make_targets"]

log = logging.getLogger("assistant.watch")

QUEUE_SIZE = 100
RETRY_AFTER_S = 2.0
DEFAULT_SECRET_ENV = "TSA_WEBHOOK_SECRET"


class Target(Protocol):
    name: str

    def send(self, alert: Alert, run: str) -> None: ...


class FileTarget:
    """One JSON object per alert, appended to a file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = f"file {self.path}"

    def send(self, alert: Alert, run: str) -> None:
        line = redact(json.dumps({"run": run, **alert.to_dict()}, ensure_ascii=False, default=str))
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class LogTarget:
    """A warning on the ``assistant.watch`` logger (what a training script's log shows)."""

    name = "log"

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or log

    def send(self, alert: Alert, run: str) -> None:
        self.logger.warning("%s", alert.text())


class SlackTarget:
    """A channel (bot token) or an incoming webhook, through the bot's Slack client."""

    name = "slack"

    def __init__(self, channel: str | None = None, webhook_url: str | None = None, client: object | None = None) -> None:
        from assistant.bots.notify import SlackNotifier  # slack_sdk only when Slack is asked for

        self.notifier = SlackNotifier(channel=channel, webhook_url=webhook_url, client=client)  # type: ignore[arg-type]

    def send(self, alert: Alert, run: str) -> None:
        from assistant.bots.notify import render_alert

        self.notifier.post(*render_alert(alert, run))


class WebhookTarget:
    """A generic webhook: the alert as JSON, HMAC-signed with a secret from the environment."""

    def __init__(self, url: str, secret_env: str = DEFAULT_SECRET_ENV) -> None:
        from assistant.watch.webhook import check_url

        self.url = check_url(url)
        secret = os.environ.get(secret_env, "")
        if not secret:
            raise AssistantError(f"{secret_env} is not set: webhooks are signed with a shared secret "
                                 f"(export {secret_env}=..., or name another variable with --secret-env)")
        self._secret = secret.encode()
        self.name = "webhook"

    def send(self, alert: Alert, run: str) -> None:
        from assistant.watch.webhook import post_json

        post_json(self.url, {"run": run, "alert": alert.to_dict()}, self._secret)


def make_targets(posts: list[str], *, slack_channel: str | None = None, slack_webhook: str | None = None,
                 secret_env: str = DEFAULT_SECRET_ENV, alert_file: Path | None = None) -> list[Target]:
    """Targets from `--post slack|URL` (repeatable) and `--alert-file`; bad settings fail before watching."""
    targets: list[Target] = []
    for post in posts:
        if post == "slack":
            targets.append(SlackTarget(channel=slack_channel, webhook_url=slack_webhook))
        elif "://" in post:
            targets.append(WebhookTarget(post, secret_env))
        else:
            raise AssistantError(f"--post {redact(post)}: expected `slack` or a webhook URL (https://...)")
    if alert_file is not None:
        targets.append(FileTarget(alert_file))
    return targets


class Dispatcher:
    """Sends alerts to the targets from a background thread."""

    def __init__(self, targets: list[Target], run: str, on_error: Callable[[str], None] | None = None) -> None:
        self.targets, self.run, self.on_error = list(targets), run, on_error or (lambda msg: log.warning("%s", msg))
        self._queue: queue.Queue[Alert | None] = queue.Queue(QUEUE_SIZE)
        self._thread: threading.Thread | None = None

    def send(self, alert: Alert) -> None:
        if not self.targets:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="tsa-alerts", daemon=True)
            self._thread.start()
        while True:
            try:
                self._queue.put_nowait(alert)
                return
            except queue.Full:
                try:
                    dropped = self._queue.get_nowait()
                except queue.Empty:
                    continue
                if dropped is not None:
                    self.on_error(f"alert queue full: dropped {dropped.id} for the posting targets")

    def close(self, timeout: float = 10.0) -> None:
        """Send what is queued (waiting at most ``timeout`` seconds), then stop the thread."""
        if self._thread is None:
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)
        self._thread = None

    def _work(self) -> None:
        while (alert := self._queue.get()) is not None:
            for target in self.targets:
                self._deliver(target, alert)

    def _deliver(self, target: Target, alert: Alert) -> None:
        for attempt in (1, 2):
            try:
                target.send(alert, self.run)
                return
            except Exception as e:  # noqa: BLE001 - a failed post is reported, the watch goes on
                if attempt == 2:
                    reason = e if isinstance(e, AssistantError) else f"{type(e).__name__}: {e}"
                    self.on_error(redact(f"posting {alert.id} to {target.name} failed: {reason}"))
                else:
                    time.sleep(RETRY_AFTER_S)
