"""State that survives: real server processes on one state file, restarted and side by side.

A consultation started over HTTP or in a Slack thread goes on after the server restarts; two
server processes see the same consultations, rate-limit windows and requests already seen; a
Slack retry of an event already taken is acknowledged without a second answer.
"""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from assistant.bots.state import SCHEMA_VERSION, StateDB
from assistant.errors import AssistantError

from .conftest import SIGNING_SECRET, event_body, signed
from .fake_slack import FakeSlack
from .procs import server, slack_server

ROOT = Path(__file__).resolve().parents[2]
LORA_LOG = ROOT / "examples/lora-nan/train.log"
AUTH = {"Authorization": "Bearer tok"}
SLACK_ENV = {"SLACK_SIGNING_SECRET": SIGNING_SECRET, "TSA_SLACK_VERIFY_TOKEN_AT_START": "false"}


def api(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers=AUTH, timeout=60)


def start_consultation(c: httpx.Client) -> str:
    cid = c.post("/v1/consultations", json={"question": "my loss goes to nan around step 210"}).json()["id"]
    assert c.post(f"/v1/consultations/{cid}/attachments",
                  files={"file": ("train.log", LORA_LOG.read_bytes())}).status_code == 201
    assert c.post(f"/v1/consultations/{cid}/answers",
                  json={"fact": "spike_batch_specific", "value": "yes"}).status_code == 200
    return cid


def test_an_api_consultation_continues_after_a_restart(tmp_path):
    with server(tmp_path, TSA_API_TOKENS="tok") as s, api(s.url) as c:
        cid = start_consultation(c)
        before = c.get(f"/v1/consultations/{cid}/report").json()
    with server(tmp_path, TSA_API_TOKENS="tok") as s, api(s.url) as c:
        after = c.get(f"/v1/consultations/{cid}/report").json()
        assert c.post(f"/v1/consultations/{cid}/questions", json={"text": "is it the learning rate?"}).status_code == 200
        question = c.get(f"/v1/consultations/{cid}/report").json()["question"]
    assert after == before  # the same inputs, answers and diagnoses, rebuilt from the state file
    assert after["inputs"][0]["path"] == "train.log" and after["diagnoses"][0]["id"] == "gradient_explosion"
    assert {"name": "answer.spike_batch_specific", "value": "yes", "source": "answer"} in after["facts"]
    assert question == "my loss goes to nan around step 210\nis it the learning rate?"


def test_two_processes_share_consultations_and_rate_limits(tmp_path):
    limits = {"TSA_API_TOKENS": "tok", "TSA_RATE_USER_PER_MIN": "1", "TSA_RATE_USER_BURST": "4"}
    with server(tmp_path, name="a", **limits) as a, server(tmp_path, name="b", **limits) as b, \
            api(a.url) as ca, api(b.url) as cb:
        cid = ca.post("/v1/consultations", json={"question": "loss nan"}).json()["id"]  # token 1 of 4, in A
        upload = cb.post(f"/v1/consultations/{cid}/attachments",  # 2, in B
                         files={"file": ("train.log", LORA_LOG.read_bytes())})
        answered = ca.post(f"/v1/consultations/{cid}/answers",  # 3, in A
                           json={"fact": "spike_batch_specific", "value": "yes"})
        report = cb.get(f"/v1/consultations/{cid}/report")  # 4, in B
        limited = ca.get(f"/v1/consultations/{cid}/report")  # the user's bucket is empty in both processes
    assert upload.status_code == 201 and answered.status_code == 200 and report.status_code == 200
    facts = report.json()["facts"]
    assert {"name": "answer.spike_batch_specific", "value": "yes", "source": "answer"} in facts
    assert report.json()["inputs"][0]["path"] == "train.log"
    assert limited.status_code == 429


def test_a_deletion_in_one_process_is_seen_by_the_other(tmp_path):
    with server(tmp_path, name="a", TSA_API_TOKENS="tok") as a, server(tmp_path, name="b", TSA_API_TOKENS="tok") as b, \
            api(a.url) as ca, api(b.url) as cb:
        cid = start_consultation(ca)
        assert cb.get(f"/v1/consultations/{cid}/report").status_code == 200
        assert ca.delete(f"/v1/consultations/{cid}").status_code == 204
        assert cb.get(f"/v1/consultations/{cid}/report").status_code == 404
        assert cb.post(f"/v1/consultations/{cid}/answers",
                       json={"fact": "spike_batch_specific", "value": "no"}).status_code == 404
    assert not list((tmp_path / "data/bots").rglob("train.log"))


@pytest.fixture
def fake_slack_api() -> FakeSlack:
    fake = FakeSlack()
    yield fake
    fake.close()


def post_event(url: str, body: str, *, timestamp: int | None = None, **headers: str) -> httpx.Response:
    req = signed(body, "application/json", timestamp=timestamp)
    return httpx.post(url + "/slack/events", content=body,
                      headers={**{k: v[0] for k, v in req.headers.items()}, **headers}, timeout=30)


def test_a_slack_thread_continues_after_a_restart(tmp_path, fake_slack_api):
    fake = fake_slack_api
    log = fake.add_file("F1", "train.log", LORA_LOG.read_bytes())
    with slack_server(tmp_path, f"{fake.url}/api/", **SLACK_ENV) as s:
        assert post_event(s.url, event_body("<@UBOT> my loss goes to nan around step 210", files=[log])).status_code == 200
        first = fake.wait_for("chat.postMessage")[0]
    thread = first.params["thread_ts"]
    assert "gradient_explosion" in json.dumps(first.params["blocks"])
    with slack_server(tmp_path, f"{fake.url}/api/", **SLACK_ENV) as s:
        # no mention: the new process knows the thread is a consultation it is in
        reply = event_body("spike_batch_specific=yes", kind="message", thread_ts=thread, channel_type="channel")
        assert post_event(s.url, reply).status_code == 200
        second = fake.wait_for("chat.postMessage", 2)[1]
    assert second.params["thread_ts"] == thread
    shown = json.dumps(second.params["blocks"])
    assert "gradient_explosion" in shown  # the log attached before the restart still counts
    assert "spike_batch_specific" not in json.dumps([b for b in second.params["blocks"]
                                                     if b.get("block_id") == "question"])


def test_a_slack_retry_gets_no_second_reply_even_in_another_process(tmp_path, fake_slack_api):
    fake = fake_slack_api
    body = event_body("<@UBOT> loss nan")
    with slack_server(tmp_path, f"{fake.url}/api/", name="a", **SLACK_ENV) as a, \
            slack_server(tmp_path, f"{fake.url}/api/", name="b", **SLACK_ENV) as b:
        now = int(time.time())
        assert post_event(a.url, body, timestamp=now).status_code == 200
        fake.wait_for("chat.postMessage")
        # Slack retries after 3 s without an ack: the same event, re-signed with a later timestamp
        retry = post_event(b.url, body, timestamp=now + 3, **{"X-Slack-Retry-Num": "1",
                                                              "X-Slack-Retry-Reason": "http_timeout"})
        again = post_event(a.url, body, timestamp=now + 9, **{"X-Slack-Retry-Num": "2",
                                                              "X-Slack-Retry-Reason": "http_timeout"})
        time.sleep(1.5)
    assert retry.status_code == 200 and again.status_code == 200
    assert len(fake.named("chat.postMessage")) == 1


def test_a_request_replayed_to_a_restarted_server_is_refused(tmp_path, fake_slack_api):
    body = event_body("<@UBOT> loss nan")
    req = signed(body, "application/json")
    headers = {k: v[0] for k, v in req.headers.items()}
    with slack_server(tmp_path, f"{fake_slack_api.url}/api/", **SLACK_ENV) as s:
        assert httpx.post(s.url + "/slack/events", content=body, headers=headers).status_code == 200
    with slack_server(tmp_path, f"{fake_slack_api.url}/api/", **SLACK_ENV) as s:
        assert httpx.post(s.url + "/slack/events", content=body, headers=headers).status_code == 401


# --- the state file itself ----------------------------------------------------------------------

def test_the_state_file_is_wal_and_versioned(tmp_path):
    db = StateDB(tmp_path / "s.sqlite3")
    assert db.first_sighting("event", "Ev1", 60) and not db.first_sighting("event", "Ev1", 60)
    conn = sqlite3.connect(tmp_path / "s.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_state_file_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "s.sqlite3"
    StateDB(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(AssistantError, match="written by a newer version"):
        StateDB(path)


def test_seen_ids_expire(tmp_path):
    now = [1000.0]
    db = StateDB(tmp_path / "s.sqlite3", clock=lambda: now[0])
    assert db.first_sighting("request", "a", 10)
    now[0] += 5
    assert not db.first_sighting("request", "a", 10)
    now[0] += 6
    assert db.first_sighting("request", "a", 10)  # past its expiry: Bolt would refuse the request anyway


def test_a_consultation_log_is_bounded(tmp_path):
    db = StateDB(tmp_path / "s.sqlite3")
    db.open("k", "f", ttl_s=60, max_rows=10, create=True)
    assert [db.append("k", "words", str(i), max_items=3) for i in range(4)] == [1, 2, 3, None]
    assert [i.data for i in db.items("k")] == ["0", "1", "2"]
    assert db.append("gone", "words", "x", max_items=3) is None
