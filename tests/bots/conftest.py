"""Fixtures for the bots: a fake Slack on loopback, a Bolt app pointed at it, signed requests."""
from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from assistant.bots.settings import BotSettings
from assistant.bots.slack import make_slack_app

from .fake_slack import BOT_TOKEN, BOT_USER, TEAM, FakeSlack

SIGNING_SECRET = "test-signing-secret"
_counter = itertools.count(1)


@pytest.fixture(scope="session", autouse=True)
def warm_consultation() -> None:
    """Pay the first consultation's one-off costs (rulebase cache, the docs index that a question
    without a diagnosis searches) before any test starts timing a bot's reply."""
    from assistant.consult import Consultation

    Consultation(question="what does frac_reward_zero_std mean?").run()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture
def bot_settings(tmp_path: Path) -> BotSettings:
    return BotSettings(slack_signing_secret=SIGNING_SECRET, slack_verify_token_at_start=False,
                       slack_process_before_response=True, storage_dir=tmp_path / "store",
                       attachment_max_bytes=2 * 1024 * 1024)


@pytest.fixture
def make_app(fake_slack: FakeSlack, bot_settings: BotSettings) -> Callable[..., App]:
    def make(**overrides: Any) -> App:
        settings = bot_settings.model_copy(update=overrides)
        return make_slack_app(settings, client=WebClient(token=BOT_TOKEN, base_url=f"{fake_slack.url}/api/"))
    return make


@pytest.fixture
def slack_app(make_app: Callable[..., App]) -> App:
    return make_app()


def signed(body: str, content_type: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> BoltRequest:
    """A request as Slack sends it: signed with the signing secret over timestamp and body."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return BoltRequest(body=body, headers={"content-type": [content_type], "x-slack-request-timestamp": [ts],
                                           "x-slack-signature": [sig]})


def event_body(text: str, *, files: list[dict[str, str]] | None = None, thread_ts: str | None = None,
               kind: str = "app_mention", channel: str = "C1", user: str = "U1", **extra: Any) -> str:
    """An Events API callback; ``kind="message"`` with ``channel_type`` for DMs and thread replies."""
    ts = f"1000.{next(_counter):06d}"
    event: dict[str, Any] = {"type": kind, "user": user, "text": text, "ts": ts, "channel": channel,
                             "event_ts": ts, **extra}
    if files:
        event["files"] = files
    if thread_ts:
        event["thread_ts"] = thread_ts
    return json.dumps({"token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
                       "event": event, "event_id": f"Ev{next(_counter)}", "event_time": int(time.time()),
                       "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]})


def command_body(text: str, *, channel: str = "C1", user: str = "U1", response_url: str = "") -> str:
    return urlencode({"token": "legacy", "team_id": TEAM, "channel_id": channel, "user_id": user,
                      "command": "/ask", "text": text, "response_url": response_url,
                      "trigger_id": "trig", "api_app_id": "A1"})


def action_body(action_id: str, value: str, *, message_ts: str, thread_ts: str, channel: str = "C1",
                user: str = "U1", response_url: str = "") -> str:
    payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": user}, "api_app_id": "A1",
               "channel": {"id": channel}, "container": {"type": "message", "message_ts": message_ts},
               "message": {"type": "message", "ts": message_ts, "thread_ts": thread_ts, "text": "report"},
               "response_url": response_url, "trigger_id": "trig",
               "actions": [{"type": "button", "action_id": action_id, "block_id": "question", "value": value,
                            "action_ts": str(time.time())}]}
    return urlencode({"payload": json.dumps(payload)})
