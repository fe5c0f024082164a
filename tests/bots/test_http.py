"""The HTTP API against the real server: uvicorn on 127.0.0.1, spoken to with httpx."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import httpx
import jsonschema
import pytest

from assistant.bots.auth import is_loopback
from assistant.bots.desk import incoming_dir
from assistant.bots.http import make_api
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

    @pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/v1/consultations/x/report", "/nowhere"])
    def test_every_route_but_health_needs_the_token(self, api, path):
        resp = api.get(path)
        assert resp.status_code == 401 and resp.json() == {"detail": "missing or wrong bearer token"}
        assert api.get("/healthz").status_code == 200

    def test_openapi_schema_is_served(self, api):
        paths = api.get("/openapi.json", headers=AUTH).json()["paths"]
        assert {"/v1/consultations", "/v1/consultations/{consultation_id}/attachments",
                "/v1/consultations/{consultation_id}/answers", "/v1/consultations/{consultation_id}/report",
                "/v1/consultations/{consultation_id}/questions", "/v1/consultations/{consultation_id}"} <= set(paths)
        assert "multipart/form-data" in paths["/v1/consultations/{consultation_id}/attachments"]["post"]["requestBody"]["content"]


class TestConsultation:
    @pytest.fixture(params=[0, 2], ids=["in-process", "2-workers"])
    def api(self, settings: BotSettings, request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
        """Both ways `assistant serve` can work: in its own process, or in a pool of worker processes."""
        with serve(make_api(settings, workers=request.param)) as base, httpx.Client(base_url=base, timeout=60) as c:
            yield c

    def test_consultations_spread_over_workers_each_answer_whole(self, api, settings):
        """Each consultation's turns reach the worker that holds it: every report has its own question and upload,
        and no upload is left waiting in the spool."""
        ids = {new(api, f"consultation {i}: loss nan"): i for i in range(6)}
        for cid in ids:
            assert upload(api, cid, "train.log", LORA_LOG.read_bytes()).status_code == 201
        for cid, i in ids.items():
            report = api.get(f"/v1/consultations/{cid}/report", headers=AUTH).json()
            assert report["question"] == f"consultation {i}: loss nan"
            assert [x["path"] for x in report["inputs"]] == ["train.log"]
        assert not list(incoming_dir(settings).glob("*"))

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

    def test_a_gzip_bomb_is_refused_unread(self, api):
        import gzip

        bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 KB that would inflate to 64 MB
        resp = api.post("/v1/consultations", content=bomb,
                        headers={**AUTH, "content-type": "application/json", "content-encoding": "gzip"})
        assert resp.status_code == 415 and "compressed request bodies are not accepted" in resp.json()["detail"]

    def test_an_uploaded_gzip_file_is_data_not_inflated(self, api):
        import gzip

        resp = upload(api, new(api), "train.log.gz", gzip.compress(b"{'loss': 1.0}\n" * 1_000_000))
        assert resp.status_code == 422 and resp.json()["detail"].startswith("train.log.gz: binary file")

    @pytest.mark.parametrize("name,shown", [("../../../etc/passwd", "passwd"), ("..\\..\\x.log", "x.log"),
                                            ("\udcff\udcfe.log", "_.log"), ("", "attachment")])
    def test_file_names_cannot_leave_the_store(self, api, settings, name, shown):
        raw = name.encode("utf-8", "surrogateescape")  # non-UTF-8 bytes, as a client may send them
        boundary = "b0undary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"".encode() + raw +
                b"\"\r\n\r\n" + LORA_LOG.read_bytes() + f"\r\n--{boundary}--\r\n".encode())
        resp = api.post(f"/v1/consultations/{new(api)}/attachments", content=body,
                        headers={**AUTH, "content-type": f"multipart/form-data; boundary={boundary}"})
        assert resp.status_code in (201, 422), resp.text
        if resp.status_code == 201:
            assert resp.json()["inputs"][0]["path"] == shown
        stored = [p for p in Path(settings.storage_dir).rglob("*") if p.is_file()]
        assert all(Path(settings.storage_dir) in p.parents for p in stored)
        assert all(set(p.name) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") for p in stored)

    def test_json_nested_10k_deep_is_refused_before_parsing(self, api):
        for path in ("/v1/consultations", f"/v1/consultations/{new(api)}/answers"):
            resp = api.post(path, content=b"[" * 10_000 + b"]" * 10_000,
                            headers={**AUTH, "content-type": "application/json"})
            assert resp.status_code == 422 and resp.json() == {"detail": "JSON nested deeper than 100 levels"}

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
