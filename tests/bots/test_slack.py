"""The Slack bot through Bolt's real request path, against a fake Slack Web API on loopback.

Requests are signed with the signing secret exactly as Slack signs them and go
through ``app.dispatch`` (verification, replay guard, authorisation, listeners);
the long work runs in Bolt's lazy listeners, so the tests wait on the calls the
fake Slack records.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from pydantic import SecretStr
from slack_bolt import App, BoltRequest

from assistant.bots.slack import PROBE_HINT

from .conftest import action_body, command_body, event_body, signed
from .fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
LORA_LOG = ROOT / "examples/lora-nan/train.log"


def blocks_text(call) -> str:
    """Everything a reply shows: fallback text and the blocks."""
    return call.params.get("text", "") + json.dumps(call.params.get("blocks", ""))


def offered(call) -> str:
    """The questions a reply offers (buttons and the 'also worth answering' line)."""
    return json.dumps([b for b in call.params["blocks"]
                       if b.get("block_id") == "question" or "worth answering" in json.dumps(b)])


def mention_with_log(app: App, fake: FakeSlack, log: Path, text: str, *, file_id: str = "F1"):
    f = fake.add_file(file_id, log.name, log.read_bytes())
    started = time.monotonic()
    resp = app.dispatch(signed(event_body(f"<@UBOT> {text}", files=[f]), "application/json"))
    assert resp.status == 200 and time.monotonic() - started < 3  # acked within Slack's 3 s; work is lazy
    return fake.wait_for("chat.postMessage")[-1]


class TestMention:
    def test_case_log_gives_threaded_reply_naming_the_expected_diagnosis(self, slack_app, fake_slack, shared):
        """Case 011 (Gemma SFT, NaN every few steps): the expected id leads the threaded reply."""
        case = shared / "cases/011-gemma-sft-intermittent-nan"
        expected = json.loads((case / "expected.json").read_text())["expected"][0]
        reply = mention_with_log(slack_app, fake_slack, case / "log.txt", (case / "question.txt").read_text())
        assert reply.params["thread_ts"].startswith("1000.")
        assert reply.params["channel"] == "C1"
        blocks = reply.params["blocks"]
        first = next(b for b in blocks if b["type"] == "section" and b["text"]["text"].startswith("*1."))
        assert f"`{expected}`" in first["text"]["text"]

    def test_file_is_fetched_with_the_bot_token_and_a_chart_uploaded_in_the_thread(self, slack_app, fake_slack):
        reply = mention_with_log(slack_app, fake_slack, LORA_LOG, "my loss goes to nan around step 210")
        assert "gradient_explosion" in blocks_text(reply)
        download = fake_slack.named("files")[0]
        assert download.headers["Authorization"] == "Bearer xoxb-test-token"
        done = fake_slack.wait_for("files.completeUploadExternal")[0]
        assert done.params["thread_ts"] == reply.params["thread_ts"] and done.params["channel_id"] == "C1"
        png = next(iter(fake_slack.uploads.values()))
        assert png.startswith(b"\x89PNG\r\n\x1a\n")

    def test_mention_without_files_still_answers_in_a_thread(self, slack_app, fake_slack):
        slack_app.dispatch(signed(event_body("<@UBOT> my loss goes nan"), "application/json"))
        reply = fake_slack.wait_for("chat.postMessage")[0]
        assert reply.params["thread_ts"]
        assert not fake_slack.named("files.getUploadURLExternal")  # no run attached: no chart

    def test_later_thread_message_adds_evidence_without_a_mention(self, slack_app, fake_slack):
        first = mention_with_log(slack_app, fake_slack, LORA_LOG, "loss nan")
        thread = first.params["thread_ts"]
        assert "spike_batch_specific" in offered(first)
        body = event_body("spike_batch_specific=yes\nI use bf16", kind="message", thread_ts=thread,
                          channel_type="channel")
        assert slack_app.dispatch(signed(body, "application/json")).status == 200
        second = fake_slack.wait_for("chat.postMessage", 2)[1]
        assert second.params["thread_ts"] == thread
        assert "spike_batch_specific" not in offered(second)  # answered by the typed line
        assert "I use bf16" not in blocks_text(second)  # words join the question; they are not echoed

    def test_typed_answer_with_a_wrong_choice_is_explained(self, slack_app, fake_slack):
        first = mention_with_log(slack_app, fake_slack, LORA_LOG, "loss nan")
        body = event_body("spike_batch_specific=maybe\nlr=2e-4 is what I use", kind="message",
                          thread_ts=first.params["thread_ts"], channel_type="channel")
        slack_app.dispatch(signed(body, "application/json"))
        text = blocks_text(fake_slack.wait_for("chat.postMessage", 2)[1])
        assert "answer.spike_batch_specific=maybe: expected one of yes|no|unknown" in text
        assert "lr=2e-4" not in text  # not a question: just words, no complaint

    def test_other_bots_are_not_answered(self, slack_app, fake_slack):
        for body in (event_body("<@UBOT> ping", bot_id="B2"),
                     event_body("ping", kind="message", channel="D1", channel_type="im", bot_id="B2")):
            assert slack_app.dispatch(signed(body, "application/json")).status == 200
        time.sleep(0.3)
        assert not fake_slack.named("chat.postMessage")

    def test_unrelated_channel_message_is_acknowledged_and_ignored(self, slack_app, fake_slack):
        body = event_body("just chatting", kind="message", channel_type="channel")
        assert slack_app.dispatch(signed(body, "application/json")).status == 200
        time.sleep(0.3)
        assert not fake_slack.named("chat.postMessage")


class TestDirectMessageAndCommand:
    def test_dm_is_answered_in_its_thread(self, slack_app, fake_slack):
        body = event_body("loss is nan after step 200", kind="message", channel="D1", channel_type="im")
        assert slack_app.dispatch(signed(body, "application/json")).status == 200
        reply = fake_slack.wait_for("chat.postMessage")[0]
        assert reply.params["channel"] == "D1" and reply.params["thread_ts"].startswith("1000.")

    def test_slash_command_acks_at_once_then_answers_under_the_question(self, slack_app, fake_slack):
        started = time.monotonic()
        resp = slack_app.dispatch(signed(command_body("loss goes nan around step 200"),
                                         "application/x-www-form-urlencoded"))
        assert resp.status == 200 and "Looking into it" in resp.body
        assert time.monotonic() - started < 3
        root, reply = fake_slack.wait_for("chat.postMessage", 2)[:2]
        assert "asked: loss goes nan" in root.params["text"]
        assert reply.params["thread_ts"] == "2000.000001"  # the fake's ts of the root message

    def test_slash_command_without_text_shows_usage(self, slack_app, fake_slack):
        resp = slack_app.dispatch(signed(command_body("  "), "application/x-www-form-urlencoded"))
        assert "/ask loss goes to nan" in resp.body
        time.sleep(0.3)
        assert not fake_slack.named("chat.postMessage")

    def test_slash_command_in_a_channel_the_bot_is_not_in_says_so(self, slack_app, fake_slack):
        fake_slack.refuse_post_to.add("C9")
        body = command_body("loss nan", channel="C9", response_url=f"{fake_slack.url}/respond/1")
        slack_app.dispatch(signed(body, "application/x-www-form-urlencoded"))
        told = fake_slack.wait_for("respond")[0]
        assert "not_in_channel" in told.params["text"]


class TestButtons:
    def test_button_answers_the_question_and_updates_the_reply(self, slack_app, fake_slack):
        reply = mention_with_log(slack_app, fake_slack, LORA_LOG, "loss nan")
        actions = next(b for b in reply.params["blocks"] if b.get("block_id") == "question")
        button = actions["elements"][0]
        fact = button["value"].partition("=")[0]
        body = action_body(button["action_id"], button["value"], message_ts="2000.000001",
                           thread_ts=reply.params["thread_ts"])
        assert slack_app.dispatch(signed(body, "application/x-www-form-urlencoded")).status == 200
        update = fake_slack.wait_for("chat.update")[0]
        assert update.params["ts"] == "2000.000001" and update.params["channel"] == "C1"
        shown = blocks_text(update)
        assert "Answered " + fact.removeprefix("answer.") in shown
        questions = [b for b in update.params["blocks"] if b.get("block_id") == "question"]
        assert all(e["value"].partition("=")[0] != fact for q in questions for e in q["elements"])

    def test_forget_button_deletes_the_consultation(self, slack_app, fake_slack, bot_settings):
        reply = mention_with_log(slack_app, fake_slack, LORA_LOG, "loss nan")
        stored = [p for p in Path(bot_settings.storage_dir).rglob("*") if p.is_file()]
        assert stored
        body = action_body("forget", "", message_ts="2000.000001", thread_ts=reply.params["thread_ts"])
        slack_app.dispatch(signed(body, "application/x-www-form-urlencoded"))
        assert "Forgotten" in fake_slack.wait_for("chat.update")[0].params["text"]
        assert not any(p.exists() for p in stored)
        # a choice pressed afterwards finds no consultation and says so, to that user only
        again = action_body("answer:0", "answer.spike_batch_specific=yes", message_ts="2000.000001",
                            thread_ts=reply.params["thread_ts"])
        slack_app.dispatch(signed(again, "application/x-www-form-urlencoded"))
        assert "expired" in fake_slack.wait_for("chat.postEphemeral")[0].params["text"]


class TestVerification:
    """Unsigned, mis-signed, stale and replayed requests: 401, and Slack hears nothing."""

    def test_bad_signature(self, slack_app, fake_slack):
        req = signed(event_body("<@UBOT> hi"), "application/json", secret="wrong-secret")
        assert slack_app.dispatch(req).status == 401
        time.sleep(0.3)
        assert fake_slack.calls == []

    def test_unsigned(self, slack_app, fake_slack):
        req = BoltRequest(body=event_body("<@UBOT> hi"), headers={"content-type": ["application/json"]})
        assert slack_app.dispatch(req).status == 401
        assert fake_slack.calls == []

    def test_old_timestamp(self, slack_app, fake_slack):
        req = signed(event_body("<@UBOT> hi"), "application/json", timestamp=int(time.time()) - 6 * 60)
        assert slack_app.dispatch(req).status == 401
        time.sleep(0.3)
        assert fake_slack.calls == []

    def test_replay(self, slack_app, fake_slack):
        body = event_body("<@UBOT> hi")
        ts = int(time.time())
        assert slack_app.dispatch(signed(body, "application/json", timestamp=ts)).status == 200
        fake_slack.wait_for("chat.postMessage")
        time.sleep(0.3)
        seen = len(fake_slack.calls)
        assert slack_app.dispatch(signed(body, "application/json", timestamp=ts)).status == 401
        time.sleep(0.3)
        assert len(fake_slack.calls) == seen


    def test_a_retry_of_an_event_already_taken_gets_no_second_reply(self, slack_app, fake_slack):
        body = event_body("<@UBOT> loss nan")
        now = int(time.time())
        assert slack_app.dispatch(signed(body, "application/json", timestamp=now)).status == 200
        fake_slack.wait_for("chat.postMessage")
        retry = signed(body, "application/json", timestamp=now + 3)  # Slack re-signs a retry
        retry.headers["x-slack-retry-num"] = ["1"]
        assert slack_app.dispatch(retry).status == 200  # acknowledged, so Slack stops retrying
        time.sleep(0.5)
        assert len(fake_slack.named("chat.postMessage")) == 1


class TestUploads:
    def test_oversized_upload_gets_a_clear_message_and_is_not_downloaded(self, slack_app, fake_slack, bot_settings):
        big = fake_slack.add_file("FBIG", "huge.log", b"step 1 loss 1.0\n" * (bot_settings.attachment_max_bytes // 10))
        slack_app.dispatch(signed(event_body("<@UBOT> look", files=[big]), "application/json"))
        text = blocks_text(fake_slack.wait_for("chat.postMessage")[0])
        assert "huge.log: too large (3.2 MB; the limit is 2.0 MB)" in text
        assert not fake_slack.named("files")

    def test_binary_upload_gets_the_cli_message(self, slack_app, fake_slack):
        f = fake_slack.add_file("FBIN", "model.bin", b"\x00\x01\x02\x03" * 100)
        slack_app.dispatch(signed(event_body("<@UBOT> look", files=[f]), "application/json"))
        text = blocks_text(fake_slack.wait_for("chat.postMessage")[0])
        assert "model.bin: binary file (NUL bytes), not a log, config or metrics file" in text

    def test_probe_request_is_refused_with_a_hint_unless_the_operator_allows_it(self, slack_app, fake_slack):
        slack_app.dispatch(signed(event_body("<@UBOT> can you probe my gpu?"), "application/json"))
        assert PROBE_HINT.split(":")[0] in blocks_text(fake_slack.wait_for("chat.postMessage")[0])


    def test_an_operator_may_allow_probing_the_bots_host(self, make_app, fake_slack, monkeypatch):
        from assistant.bots import store

        seen = []
        monkeypatch.setattr(store.Session, "add_facts", lambda self, facts: seen.extend(facts))
        make_app(allow_probes=True).dispatch(signed(event_body("<@UBOT> probe this machine"), "application/json"))
        assert "Probed the bot's own host" in blocks_text(fake_slack.wait_for("chat.postMessage")[0])
        assert seen and all(f.name.startswith("probe.") for f in seen)


class TestResilience:
    def test_a_crashing_consultation_replies_with_a_warning_and_the_bot_goes_on(self, slack_app, fake_slack,
                                                                              monkeypatch):
        from assistant.bots import store

        def boom(self):
            raise RuntimeError("engine exploded")

        monkeypatch.setattr(store.Session, "report", boom)
        slack_app.dispatch(signed(event_body("<@UBOT> loss nan"), "application/json"))
        warning = fake_slack.wait_for("chat.postMessage")[0]
        assert warning.params["text"].startswith(":warning: Sorry") and "RuntimeError" in warning.params["text"]
        monkeypatch.undo()
        slack_app.dispatch(signed(event_body("<@UBOT> loss nan"), "application/json"))
        assert "blocks" in fake_slack.wait_for("chat.postMessage", 2)[1].params

    def test_rate_limit_refuses_a_user_past_the_burst(self, make_app, fake_slack):
        app = make_app(rate_user_burst=1, rate_user_per_min=1)
        app.dispatch(signed(event_body("<@UBOT> loss nan"), "application/json"))
        app.dispatch(signed(event_body("<@UBOT> loss nan again"), "application/json"))
        told = fake_slack.wait_for("chat.postEphemeral")[0]
        assert "Too many requests" in told.params["text"] and told.params["user"] == "U1"
        time.sleep(0.3)
        assert len(fake_slack.named("chat.postMessage")) == 1
        resp = app.dispatch(signed(command_body("loss nan"), "application/x-www-form-urlencoded"))
        assert resp.status == 200 and "Too many requests" in resp.body


def test_socket_mode_end_to_end(make_app, fake_slack, bot_settings):
    """Socket Mode: the bot opens a connection (apps.connections.open), receives an unsigned envelope
    over the WebSocket, acks it by envelope id, and answers through the Web API."""
    from assistant.bots.slack import socket_mode

    from .fake_slack import FakeSocketMode

    ws = FakeSocketMode()
    fake_slack.socket_url = ws.url
    handler = socket_mode(make_app(), bot_settings.model_copy(update={"slack_app_token": SecretStr("xapp-test")}))
    try:
        handler.connect()
        envelope = ws.push(json.loads(event_body("<@UBOT> loss goes nan around step 210")))
        assert fake_slack.wait_for("chat.postMessage")[0].params["thread_ts"]
        assert fake_slack.named("apps.connections.open")[0].headers["Authorization"] == "Bearer xapp-test"
        deadline = time.monotonic() + 10
        while not any(a.get("envelope_id") == envelope for a in ws.acks) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(a.get("envelope_id") == envelope for a in ws.acks)
    finally:
        handler.close()
        ws.close()


def test_http_events_over_a_real_server(make_app, fake_slack):
    """The FastAPI adapter behind uvicorn on loopback: signed -> 200 and a reply, mis-signed -> 401."""
    import httpx

    from assistant.bots.slack import slack_http_app

    from .servers import serve

    with serve(slack_http_app(make_app())) as base:
        url = base + "/slack/events"
        body = event_body("<@UBOT> loss nan")
        req = signed(body, "application/json")
        headers = {k: v[0] for k, v in req.headers.items()}
        assert httpx.post(url, content=body, headers=headers).status_code == 200
        assert fake_slack.wait_for("chat.postMessage")[0].params["thread_ts"]
        assert httpx.post(url, content=body, headers=headers).status_code == 401  # replay
        headers["x-slack-signature"] = "v0=" + "0" * 64
        assert httpx.post(url, content=event_body("<@UBOT> x"), headers=headers).status_code == 401
