"""A corpus of secrets in an uploaded log, a file name, the question and an answer reaches no reply:
nothing sent to (fake) Slack, no HTTP response of the API."""
from __future__ import annotations

import json
from pathlib import Path

import httpx

from assistant.bots.http import make_api
from assistant.consult import consult

from .conftest import action_body, command_body, event_body, signed
from .secrets_corpus import SECRETS, corpus_text
from .servers import serve

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "my loss goes nan, here is what my job printed:\n" + corpus_text()  # each secret in its context
FILE_NAME = f"train-{SECRETS['huggingface']}.log"


def leaked(text: str) -> list[str]:
    return [kind for kind, s in SECRETS.items() if s in text or s[-12:] in text]


def log_with_secrets(tmp_path: Path) -> bytes:
    content = (ROOT / "examples/lora-nan/train.log").read_bytes() + corpus_text().encode()
    path = tmp_path / FILE_NAME
    path.write_bytes(content)
    raw = json.dumps(consult(QUESTION, [path]).to_dict())
    assert len(leaked(raw)) == len(SECRETS)  # unredacted, the report would carry every one
    return content


def test_nothing_sent_to_slack_carries_a_secret(slack_app, fake_slack, tmp_path):
    f = fake_slack.add_file("F1", FILE_NAME, log_with_secrets(tmp_path))
    slack_app.dispatch(signed(event_body(f"<@UBOT> {QUESTION}", files=[f]), "application/json"))
    reply = fake_slack.wait_for("chat.postMessage")[0]
    fake_slack.wait_for("files.completeUploadExternal")
    thread = reply.params["thread_ts"]
    slack_app.dispatch(signed(event_body(f"more: {QUESTION}", kind="message", thread_ts=thread,
                                         channel_type="channel"), "application/json"))
    button = next(b for b in reply.params["blocks"] if b.get("block_id") == "question")["elements"][0]
    slack_app.dispatch(signed(action_body(button["action_id"], button["value"], message_ts="2000.000001",
                                          thread_ts=thread), "application/x-www-form-urlencoded"))
    slack_app.dispatch(signed(command_body(QUESTION), "application/x-www-form-urlencoded"))
    fake_slack.wait_for("chat.update")
    fake_slack.wait_for("chat.postMessage", 4)
    assert "hf_***" in fake_slack.everything_sent()
    assert leaked(fake_slack.everything_sent()) == []


def test_no_api_response_carries_a_secret(tmp_path):
    from assistant.bots.settings import BotSettings

    content = log_with_secrets(tmp_path)
    settings = BotSettings(api_tokens="tok", storage_dir=tmp_path / "store", rate_user_per_min=0,
                           rate_workspace_per_min=0)
    auth = {"Authorization": "Bearer tok"}
    with serve(make_api(settings)) as base, httpx.Client(base_url=base, headers=auth) as api:
        created = api.post("/v1/consultations", json={"question": QUESTION})
        cid = created.json()["id"]
        responses = [
            created,
            api.post(f"/v1/consultations/{cid}/attachments", files={"file": (FILE_NAME, content)}),
            api.post(f"/v1/consultations/{cid}/attachments", files={"file": (FILE_NAME, b"\x00" + content)}),
            api.post(f"/v1/consultations/{cid}/answers", json={"fact": "spike_batch_specific",
                                                               "value": SECRETS["openai"]}),
            api.post(f"/v1/consultations/{cid}/answers", json={"fact": SECRETS["github_classic"], "value": "yes"}),
            api.post(f"/v1/consultations/{cid}/questions", json={"text": QUESTION}),
            api.get(f"/v1/consultations/{cid}/report"),
        ]
        bodies = [r.text for r in responses]
    assert [r.status_code for r in responses] == [201, 201, 422, 422, 422, 200, 200]
    assert all(leaked(b) == [] for b in bodies), [leaked(b) for b in bodies]
