"""One-way Slack messages (alerts from `assistant watch` and the Trainer callback).

The bot's own client: a ``slack_sdk`` ``WebClient`` with the bot token
(``SLACK_BOT_TOKEN``, read by ``BotSettings`` like the bot reads it) posting to a
channel, or an incoming webhook (``https://hooks.slack.com/services/...``), which
needs no token at all. Text and blocks are escaped and redacted by the caller's
renderer (``render_alert``), like every bot reply.
"""
from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from assistant.bots.settings import BotSettings
from assistant.errors import AssistantError
from assistant.render.slack import escape
from assistant.watch.alerts import Alert
from assistant.watch.webhook import check_url

__all__ = ["SlackNotifier", "render_alert"]

SEVERITY_ICON = {"critical": ":rotating_light:", "warning": ":warning:"}


def render_alert(alert: Alert, run: str) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) for one alert about ``run``."""
    at = f" at step {alert.step}" if alert.step is not None else ""
    where = f" (`{escape(alert.where)}`)" if alert.where else ""
    head = (f"{SEVERITY_ICON.get(alert.severity, '')} *{escape(alert.severity)}*: {escape(alert.title)} "
            f"`{escape(alert.id)}`{at}{where}")
    lines = [head]
    if alert.why:
        lines.append(f"*Why:* {escape(alert.why)}")
    if alert.fix:
        lines.append(f"*Fix:* {escape(alert.fix)}")
    if alert.config_patch:
        from assistant.render.markdown import patch_yaml

        lines.append(f"```{escape(patch_yaml(dict(alert.config_patch)))}```")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}},
              {"type": "context", "elements": [{"type": "mrkdwn", "text": f"run: `{escape(run)}`"}]}]
    return escape(f"{alert.severity}: {alert.title} ({alert.id}){at}"), blocks


class SlackNotifier:
    """Posts to a channel with the bot token, or to an incoming webhook URL."""

    def __init__(self, channel: str | None = None, webhook_url: str | None = None,
                 settings: BotSettings | None = None, client: WebClient | None = None) -> None:
        if bool(channel) == bool(webhook_url):
            raise AssistantError("--post slack: give --slack-channel (with SLACK_BOT_TOKEN) or --slack-webhook URL")
        self.channel = channel
        self.webhook = WebhookClient(check_url(webhook_url, "--slack-webhook")) if webhook_url else None
        if channel and client is None:
            settings = settings or BotSettings()
            if settings.slack_bot_token is None:
                raise AssistantError("SLACK_BOT_TOKEN is not set: posting to a channel needs the bot token (xoxb-...); "
                                     "or post to an incoming webhook with --slack-webhook URL")
            client = WebClient(token=settings.slack_bot_token.get_secret_value())
        self.client = client

    def post(self, text: str, blocks: list[dict[str, Any]]) -> None:
        """Send one message; raises AssistantError with Slack's reason when it is refused."""
        if self.webhook is not None:
            resp = self.webhook.send(text=text, blocks=blocks)
            if resp.status_code >= 300:
                raise AssistantError(f"Slack webhook refused the message (HTTP {resp.status_code})")
            return
        assert self.client is not None and self.channel is not None
        try:
            self.client.chat_postMessage(channel=self.channel, text=text, blocks=blocks)
        except SlackApiError as e:
            raise AssistantError(f"Slack refused the message ({e.response.get('error')})") from None
