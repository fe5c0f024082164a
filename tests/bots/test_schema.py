"""The API against a real client: schemathesis over the served OpenAPI schema, every check, bounded examples.

The app runs under uvicorn on loopback and schemathesis talks HTTP to it. Positive and negative
cases, every built-in check (server errors, status codes, content types and bodies conforming to
the schema, negative data rejected, positive data accepted, auth not ignored, unsupported methods);
examples are bounded so the run takes seconds, and derandomised so a failure reproduces.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis")

from assistant.bots.http import make_api  # noqa: E402
from assistant.bots.settings import BotSettings  # noqa: E402

from .servers import serve  # noqa: E402

AUTH = {"Authorization": "Bearer schema-token"}
MAX_EXAMPLES = 25


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = Path(tmp_path_factory.mktemp("schema"))
    settings = BotSettings(api_tokens="schema-token", storage_dir=home / "store", attachment_max_bytes=256 * 1024,
                           rate_user_per_min=0, rate_workspace_per_min=0)
    with serve(make_api(settings)) as base:
        yield base


def load(base: str) -> object:
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json", headers=AUTH)
    schema.config.update(base_url=base, headers=AUTH)
    schema.config.generation.update(modes=list(schemathesis.GenerationMode), max_examples=MAX_EXAMPLES,
                                    deterministic=True, database="none")
    return schema


@pytest.fixture(scope="module")
def api_schema(served: str) -> object:
    """Every operation, with consultation ids as schemathesis makes them (unknown ones: 404)."""
    return load(served)


@pytest.fixture(scope="module")
def live_schema(served: str) -> object:
    """Every operation but DELETE on one real consultation (a log attached), so the bodies reach the
    consultation: answers, words, uploads, the report."""
    with httpx.Client(base_url=served, headers=AUTH) as client:
        cid = client.post("/v1/consultations", json={"question": "loss nan"}).json()["id"]
        log = (ROOT / "examples/lora-nan/train.log").read_bytes()
        assert client.post(f"/v1/consultations/{cid}/attachments", files={"file": ("train.log", log)}).status_code == 201
    schema = load(served)
    schema.config.update(parameters={"consultation_id": cid})
    return schema.exclude(method="DELETE")


schema = schemathesis.pytest.from_fixture("api_schema")
live = schemathesis.pytest.from_fixture("live_schema")


@schema.parametrize()
def test_the_api_conforms_to_its_schema(case: object) -> None:
    case.call_and_validate(headers=AUTH)  # type: ignore[attr-defined]


@live.parametrize()
def test_a_live_consultation_conforms_to_its_schema(case: object) -> None:
    """Every check runs on every operation, but two where the schema cannot carry the rule:

    - uploads: a multipart file part is bytes, so data the schema allows (any bytes) may be no log (422,
      the CLI's one-line `name: problem`), and a "schema-violating" value serialised into the part (`null`)
      arrives as a file holding those bytes: acceptance and rejection are asserted below instead;
    - answers: the body is one of a shape per question (`oneOf`), and a negative case made by breaking one
      shape can be another question's valid answer: every answer accepted is checked below instead.
    """
    from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

    from assistant.bots.store import checked_answer

    path = case.operation.path  # type: ignore[attr-defined]
    excluded = ([positive_data_acceptance, negative_data_rejection] if path.endswith("/attachments") else
                [negative_data_rejection] if path.endswith("/answers") else None)
    response = case.call_and_validate(headers=AUTH, excluded_checks=excluded)  # type: ignore[attr-defined]
    if path.endswith("/attachments"):
        assert response.status_code in (201, 400, 401, 405, 413, 415, 422)
        detail = response.json().get("detail") if response.status_code == 422 else None
        if isinstance(detail, str):  # an unreadable upload (else: pydantic's list of what is missing)
            assert "\n" not in detail and ": " in detail
    if path.endswith("/answers") and response.status_code == 200:
        answered = response.json()
        assert checked_answer(answered["fact"], answered["value"]) == (answered["fact"], answered["value"])
