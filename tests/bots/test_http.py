"""The HTTP API against the real server: uvicorn on 127.0.0.1, spoken to with httpx."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import httpx
import jsonschema
import pytest

from assistant.bots.http import is_loopback, make_api
from assistant.bots.settings import BotSettings
from assistant.consult import consult

from .servers import serve

ROOT = Path(__file__).resolve().parents[2]
LORA_LOG = ROOT / "examples/lora-nan/train.log"
TOKEN = "tok-test-1"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings(tmp_path: Path) -> BotSettings:
    return BotSettings(api_tokens=f"{TOKEN},tok-test-2", storage_dir=tmp_path / "store",
                       attachment_max_bytes=1024 * 1024, rate_user_per_min=0, rate_workspace_per_min=0)


@pytest.fixture
def api(settings: BotSettings) -> Iterator[httpx.Client]:
    with serve(make_api(settings)) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


def new(api: httpx.Client, question: str = "", headers: dict[str, str] = AUTH) -> str:
    resp = api.post("/v1/consultations", json={"question": question}, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def upload(api: httpx.Client, cid: str, name: str, content: bytes) -> httpx.Response:
    return api.post(f"/v1/consultations/{cid}/attachments", files={"file": (name, content)}, headers=AUTH)


class TestAuth:
    def test_no_token_is_refused(self, api):
        resp = api.post("/v1/consultations", json={"question": "loss nan"})
        assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"
        assert resp.json() == {"detail": "missing or wrong bearer token"}

    def test_wrong_token_is_refused(self, api):
        assert api.post("/v1/consultations", json={}, headers={"Authorization": "Bearer nope"}).status_code == 401

    def test_another_token_cannot_see_a_consultation(self, api):
        cid = new(api)
        other = {"Authorization": "Bearer tok-test-2"}
        assert api.get(f"/v1/consultations/{cid}/report", headers=other).status_code == 404
        assert api.delete(f"/v1/consultations/{cid}", headers=other).status_code == 404
        assert api.get(f"/v1/consultations/{cid}/report", headers=AUTH).status_code == 200

    def test_openapi_schema_is_served(self, api):
        paths = api.get("/openapi.json").json()["paths"]
        assert {"/v1/consultations", "/v1/consultations/{consultation_id}/attachments",
                "/v1/consultations/{consultation_id}/answers", "/v1/consultations/{consultation_id}/report",
                "/v1/consultations/{consultation_id}/questions", "/v1/consultations/{consultation_id}"} <= set(paths)
        assert "multipart/form-data" in paths["/v1/consultations/{consultation_id}/attachments"]["post"]["requestBody"]["content"]


class TestConsultation:
    def test_multipart_log_upload_and_report_as_ask_json(self, api, shared):
        cid = new(api, "my loss goes to nan around step 210")
        resp = upload(api, cid, "train.log", LORA_LOG.read_bytes())
        assert resp.status_code == 201
        assert resp.json()["inputs"] == [{"path": "train.log", "kind": "stdout_log", "facts": 28, "warnings": []}]
        report = api.get(f"/v1/consultations/{cid}/report", headers=AUTH).json()
        schema = json.loads((shared / "spec/report.schema.json").read_text())
        jsonschema.validate(report, schema)
        assert report["diagnoses"][0]["id"] == "gradient_explosion"
        cli = consult("my loss goes to nan around step 210", [LORA_LOG]).to_dict()
        cli["inputs"][0]["path"] = "train.log"
        assert report == json.loads(json.dumps(cli))

    def test_answers_and_free_form_questions(self, api):
        cid = new(api, "loss nan")
        upload(api, cid, "train.log", LORA_LOG.read_bytes())
        resp = api.post(f"/v1/consultations/{cid}/answers", json={"fact": "spike_batch_specific", "value": "yes"},
                        headers=AUTH)
        assert resp.json() == {"fact": "answer.spike_batch_specific", "value": "yes"}
        facts = api.get(f"/v1/consultations/{cid}/report", headers=AUTH).json()["facts"]
        assert {"name": "answer.spike_batch_specific", "value": "yes", "source": "answer"} in facts
        prose = api.post(f"/v1/consultations/{cid}/questions", json={"text": "is it the learning rate?"},
                         headers=AUTH).json()["answer"]
        assert prose.startswith("Most likely:")
        question = api.get(f"/v1/consultations/{cid}/report", headers=AUTH).json()["question"]
        assert question == "loss nan\nis it the learning rate?"

    def test_delete_forgets(self, api, settings):
        cid = new(api)
        upload(api, cid, "train.log", LORA_LOG.read_bytes())
        assert any(Path(settings.storage_dir).rglob("train.log"))
        assert api.delete(f"/v1/consultations/{cid}", headers=AUTH).status_code == 204
        assert not any(Path(settings.storage_dir).rglob("train.log"))
        resp = api.get(f"/v1/consultations/{cid}/report", headers=AUTH)
        assert resp.status_code == 404 and "not found" in resp.json()["detail"]


class TestBadInput:
    """Clear 4xx errors, with the one-line `name: problem` the CLI prints for attachments."""

    def test_binary_upload(self, api):
        resp = upload(api, new(api), "model.bin", b"\x00\x01\x02" * 50)
        assert resp.status_code == 422
        assert resp.json() == {"detail": "model.bin: binary file (NUL bytes), not a log, config or metrics file"}

    def test_empty_upload(self, api):
        resp = upload(api, new(api), "empty.log", b"")
        assert (resp.status_code, resp.json()) == (422, {"detail": "empty.log: empty file"})

    def test_oversized_upload_is_refused_from_its_length(self, api):
        resp = upload(api, new(api), "huge.log", b"x" * (3 * 1024 * 1024))
        assert resp.status_code == 413 and "request body too large" in resp.json()["detail"]

    def test_upload_just_over_the_attachment_cap(self, api):
        resp = upload(api, new(api), "big.log", b"step 1 loss 1.0\n" * (1024 * 1024 // 16 + 100))
        assert resp.status_code == 413 and resp.json()["detail"].startswith("big.log: too large")

    def test_chunked_body_over_the_limit_is_cut_off(self, api):
        def body():
            for _ in range(4):
                yield b"x" * (1024 * 1024)
        resp = api.post("/v1/consultations", content=body(), headers={**AUTH, "content-type": "application/json"})
        assert resp.status_code == 413

    def test_unknown_question_and_bad_choice(self, api):
        cid = new(api)
        resp = api.post(f"/v1/consultations/{cid}/answers", json={"fact": "spike_batch_specifc", "value": "yes"},
                        headers=AUTH)
        assert resp.status_code == 422 and "did you mean answer.spike_batch_specific" in resp.json()["detail"]
        resp = api.post(f"/v1/consultations/{cid}/answers", json={"fact": "spike_batch_specific", "value": "maybe"},
                        headers=AUTH)
        assert resp.json()["detail"] == "answer.spike_batch_specific=maybe: expected one of yes|no|unknown"

    def test_malformed_json_does_not_echo_its_input(self, api):
        secret = "hf_" + "a1B2c3D4e5" * 3
        resp = api.post(f"/v1/consultations/{new(api)}/answers", json={"fact": [secret], "value": 1}, headers=AUTH)
        assert resp.status_code == 422 and secret not in resp.text

    def test_unknown_consultation(self, api):
        assert api.get("/v1/consultations/nope/report", headers=AUTH).status_code == 404


def test_rate_limit_answers_429_with_retry_after(settings):
    with serve(make_api(settings.model_copy(update={"rate_user_per_min": 1, "rate_user_burst": 2}))) as base:
        codes = [httpx.post(f"{base}/v1/consultations", json={}, headers=AUTH) for _ in range(3)]
    assert [r.status_code for r in codes] == [201, 201, 429]
    assert int(codes[2].headers["retry-after"]) >= 1


@pytest.mark.parametrize("host,ok", [("127.0.0.1", True), ("::1", True), ("localhost", True), ("[::1]", True),
                                     ("0.0.0.0", False), ("192.168.1.5", False), ("example.com", False)])
def test_loopback(host, ok):
    assert is_loopback(host) is ok


def test_serve_refuses_a_public_host_without_a_token(capsys, monkeypatch):
    from assistant.cli import _run

    monkeypatch.delenv("TSA_API_TOKENS", raising=False)
    assert _run(["serve", "--host", "0.0.0.0"]) == 2
    assert "refusing to serve the API beyond this machine without a token" in capsys.readouterr().err
