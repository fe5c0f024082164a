"""Bolt listeners: acknowledge at once, do the work in a lazy listener.

Slack wants every request answered within 3 s; reading a large log takes longer,
so each listener is an ``ack`` function (instant) plus a lazy function that
Bolt runs after the ack, on its own thread. Listener functions get their
arguments injected by name (``ack``, ``event``, ``context``, ``client`` ...), so
they are closures over the ``SlackBot`` rather than bound methods. Rate limits
run as listener middleware: only requests that would start work spend tokens.
"""
from __future__ import annotations

import logging
import math
import re
from typing import Any, Callable

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant.bots.slack import SlackBot, Turn
from assistant.render.slack import ANSWER_ACTION, FORGET_ACTION

__all__ = ["register"]

USAGE = ("Ask me why a fine-tuning run fails: `/ask loss goes to nan around step 200`, then drop the training "
         "log, trainer_state.json or config into the thread the answer starts. You can also mention me in a "
         "channel or write to me directly.")
log = logging.getLogger(__name__)
_READ_SUBTYPES = (None, "file_share", "thread_broadcast")  # messages a person wrote


def _turn(event: dict[str, Any], context: BoltContext) -> Turn:
    return Turn(team=context.team_id or event.get("team") or "", channel=event["channel"],
                thread_ts=event.get("thread_ts") or event["ts"], user=event.get("user") or "",
                text=event.get("text") or "", files=list(event.get("files") or []))


def register(app: App, bot: SlackBot) -> None:
    """Attach every listener of the bot to ``app``."""

    def rate_limited(body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond,
                     next: Callable[[], None]) -> BoltResponse | None:
        """Spend a token of the user's and the workspace's bucket, or refuse without starting work."""
        wait = bot.limiter.allow(context.user_id or "unknown", context.team_id or "unknown")
        if not wait:
            return next()
        text = f":hourglass: Too many requests; try again in {math.ceil(wait)} s."
        event = body.get("event")
        try:
            if event:  # Slack shows nothing of an event's response: say it in the thread, to that user only
                client.chat_postEphemeral(channel=event["channel"], user=context.user_id,
                                          thread_ts=event.get("thread_ts") or event["ts"], text=text)
            elif body.get("type") == "block_actions":
                respond(text=text, response_type="ephemeral", replace_original=False)
        except (SlackApiError, OSError):  # telling is a courtesy; the refusal stands (and must stay a 200)
            log.warning("could not tell %s about their rate limit", context.user_id)
        return BoltResponse(status=200, body="" if event else text)  # a slash command shows this body

    def acknowledge(ack: Ack) -> None:
        ack()

    def take_turn(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        bot.turn(client, _turn(event, context))

    def from_a_person(event: dict[str, Any]) -> bool:
        """Other bots' messages are not questions (and answering them could start a loop between bots)."""
        return not event.get("bot_id") and event.get("subtype") in _READ_SUBTYPES

    def wants(event: dict[str, Any], context: BoltContext) -> bool:
        """DMs, and replies in a thread we are consulting in (a mention there arrives as app_mention)."""
        if event.get("channel_type") == "im":
            return True
        if f"<@{context.bot_user_id}>" in (event.get("text") or ""):
            return False
        return bot.live(context.team_id or "", event["channel"], event.get("thread_ts"))

    def ignore() -> None:
        """Other chatter and other bots: acknowledged (Slack retries anything else), never read."""

    app.event("app_mention", matchers=[from_a_person], middleware=[rate_limited])(ack=acknowledge, lazy=[take_turn])
    app.event("message", matchers=[from_a_person, wants], middleware=[rate_limited])(ack=acknowledge,
                                                                                    lazy=[take_turn])
    app.event("app_mention")(ignore)
    app.event("message")(ignore)

    def ack_command(ack: Ack, command: dict[str, Any]) -> None:
        ack(":mag: Looking into it; the answer starts a thread here." if command.get("text", "").strip() else USAGE)

    def run_command(command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        bot.command(client, respond, command)

    app.command("/ask", middleware=[rate_limited])(ack=ack_command, lazy=[run_command])

    def answer(body: dict[str, Any], client: WebClient) -> None:
        bot.press(client, body)

    def forget(body: dict[str, Any], client: WebClient) -> None:
        bot.forget(client, body)

    app.action(re.compile(rf"^{ANSWER_ACTION}:\d+$"), middleware=[rate_limited])(ack=acknowledge, lazy=[answer])
    app.action(FORGET_ACTION)(ack=acknowledge, lazy=[forget])
