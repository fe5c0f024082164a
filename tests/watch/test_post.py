"""Alerts leave the machine signed (webhooks) or through the bot's Slack client, on a background thread."""
from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from slack_sdk import WebClient

from assistant.errors import AssistantError
from assistant.watch.alerts import Alert
from assistant.watch.post import Dispatcher, FileTarget, SlackTarget, WebhookTarget, make_targets
from assistant.watch.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.bots.fake_slack import BOT_TOKEN, Call, FakeSlack

from .cli import WatchProcess, is_
from .trainer_log import lines, write

SECRET = "a-shared-secret-for-tests"
ALERT = Alert(id="gradient_explosion", title="Gradient explosion", severity="critical", certainty=0.9, step=60,
              where="train.log:61", why="grad_norm went non-finite; token hf_abcdefghijklmnopqrstuvwx leaked",
              fix="Clip gradients", config_patch={"max_grad_norm": 1.0})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def signed_body(call: Call) -> bytes:
    """The body of a webhook call, after checking its signature."""
    headers = {k.lower(): v for k, v in call.headers.items()}
    assert verify(SECRET.encode(), headers[TIMESTAMP_HEADER.lower()], call.body, headers[SIGNATURE_HEADER.lower()])
    assert not verify(b"another secret", headers[TIMESTAMP_HEADER.lower()], call.body, headers[SIGNATURE_HEADER.lower()])
    return call.body


def test_webhook_body_is_signed_and_redacted(fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake Slack on loopback records any POST: here it plays a generic webhook endpoint."""
    monkeypatch.setenv("TSA_WEBHOOK_SECRET", SECRET)
    d = Dispatcher([WebhookTarget(f"{fake_slack.url}/hook")], "train.log")
    d.send(ALERT)
    d.close()
    (call,) = fake_slack.named("hook")
    body = signed_body(call)
    payload = json.loads(body)
    assert payload["run"] == "train.log" and payload["alert"]["step"] == 60
    assert "hf_abcdefghij" not in body.decode() and SECRET not in body.decode()


def test_webhook_needs_its_secret_and_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TSA_WEBHOOK_SECRET", raising=False)
    with pytest.raises(AssistantError, match="TSA_WEBHOOK_SECRET is not set"):
        WebhookTarget("https://hooks.example.com/x")
    monkeypatch.setenv("TSA_WEBHOOK_SECRET", SECRET)
    with pytest.raises(AssistantError, match="https"):
        WebhookTarget("http://hooks.example.com/x")
    with pytest.raises(AssistantError, match="expected `slack` or a webhook URL"):
        make_targets(["teams"])


def test_a_failing_endpoint_becomes_one_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TSA_WEBHOOK_SECRET", SECRET)
    monkeypatch.setattr("assistant.watch.post.RETRY_AFTER_S", 0.0)
    errors: list[str] = []
    d = Dispatcher([WebhookTarget(f"http://127.0.0.1:{free_port()}/hook")], "train.log", on_error=errors.append)
    d.send(ALERT)
    d.close()  # nothing listens there: refused twice, then one line
    assert len(errors) == 1 and "posting gradient_explosion to webhook failed" in errors[0]


def test_slack_channel_through_the_bot_client(fake_slack: FakeSlack) -> None:
    client = WebClient(token=BOT_TOKEN, base_url=f"{fake_slack.url}/api/")
    d = Dispatcher([SlackTarget(channel="C42", client=client)], "out/train.log")
    d.send(ALERT)
    d.close()
    (call,) = fake_slack.named("chat.postMessage")
    assert call.params["channel"] == "C42"
    blocks = json.dumps(call.params["blocks"]) if isinstance(call.params["blocks"], list) else call.params["blocks"]
    assert "Gradient explosion" in blocks and "at step 60" in blocks and "max_grad_norm: 1.0" in blocks
    assert "hf_abcdefghij" not in fake_slack.everything_sent()


def test_slack_channel_without_a_token_is_refused_up_front(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    with pytest.raises(AssistantError, match="SLACK_BOT_TOKEN is not set"):
        SlackTarget(channel="C42")
    with pytest.raises(AssistantError, match="--slack-channel"):
        SlackTarget()


def test_alert_file_holds_one_json_line_per_alert(tmp_path: Path) -> None:
    d = Dispatcher([FileTarget(tmp_path / "alerts.jsonl")], "train.log")
    d.send(ALERT)
    d.send(ALERT)
    d.close()
    rows = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["gradient_explosion"] * 2 and "hf_abc" not in rows[0]["why"]


def test_watch_posts_to_a_webhook_and_a_slack_incoming_webhook(tmp_path: Path, fake_slack: FakeSlack) -> None:
    """The real CLI with --post URL and --post slack --slack-webhook: both receive the NaN alert."""
    log = tmp_path / "train.log"
    for line in lines(total=120, nan_at=60):
        write(log, line)
    watch = WatchProcess(str(log), "--exit-on", "critical", "--post", f"{fake_slack.url}/hook", "--post", "slack",
                         "--slack-webhook", f"{fake_slack.url}/services/T1/B1/XYZ",
                         env={"TSA_WEBHOOK_SECRET": SECRET})
    assert watch.finish() == 3
    (call,) = fake_slack.named("hook")
    assert json.loads(signed_body(call))["alert"]["id"] == "gradient_explosion"
    (call,) = fake_slack.named("services")
    assert "Gradient explosion" in call.body.decode()
    assert watch.named("warning") == []
    assert is_("stop", code=3)(watch.named("stop")[-1])
