"""The HTTP API: consultations over HTTP for bridges, CI jobs and notebooks.

``make_api(settings)`` returns the FastAPI app (the Bolt app is a separate object;
``assistant.bots.slack.mount_slack`` can add its Events route to this one). A
consultation is created, fed attachments (multipart), answers and words, and its
report is exactly the ``ask --json`` object. Safe to expose: bearer tokens
(``TSA_API_TOKENS``), a consultation is visible only to the token that created it,
bodies over the limit get 413 before they are read in full, per-token rate limits,
and every response body is redacted.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import math
from typing import Any, Callable

from fastapi import Depends, FastAPI, File, HTTPException, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant import __version__
from assistant.bots.ratelimit import RateLimiter
from assistant.bots.settings import BotSettings
from assistant.bots.store import ConsultationStore, Session, TooLarge
from assistant.errors import InputError
from assistant.evidence._input import size_text
from assistant.redact import redact
from assistant.render.json import render_json

__all__ = ["make_api", "BodyLimit", "SMALL_BODY_LIMIT", "is_loopback"]

SMALL_BODY_LIMIT = 1024 * 1024  # JSON bodies and Slack events; uploads get the attachment cap
MULTIPART_OVERHEAD = 64 * 1024
UPLOAD_CHUNK = 1024 * 1024
TEXT_LIMIT = 20_000  # characters of a question


class RedactedJSON(JSONResponse):
    """Every JSON body the API sends goes through the secret patterns last."""

    def render(self, content: Any) -> bytes:
        return redact(json.dumps(content, ensure_ascii=False, allow_nan=False)).encode("utf-8")


class BodyLimit:
    """Refuse request bodies over the limit with 413: at once from Content-Length, else while streaming.

    Pure ASGI, so a 2 GB upload is refused before anyone reads it, and a body
    sent without a length stops being read at the limit.
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app, self.limit_for = app, limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await RedactedJSON({"detail": _too_large(int(declared), limit)}, status_code=413)(scope, receive, send)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413, _too_large(seen, limit))
            return message

        await self.app(scope, counted, send)


def is_loopback(host: str) -> bool:
    """Only this machine can reach a server bound here (`localhost` included)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def _too_large(size: int, limit: int) -> str:
    return f"request body too large ({size_text(size)}; limit {size_text(limit)})"


class NewConsultation(BaseModel):
    question: str = Field("", max_length=TEXT_LIMIT, description="What is wrong, in the user's words (may be empty).")


class Created(BaseModel):
    id: str = Field(description="The consultation's id, for the other calls.")
    expires_in_s: float = Field(description="Seconds of inactivity after which it is forgotten.")


class InputOut(BaseModel):
    path: str
    kind: str
    facts: int
    warnings: list[str]


class Attached(BaseModel):
    inputs: list[InputOut] = Field(description="What the upload was read as (a run folder can give several).")


class AnswerIn(BaseModel):
    fact: str = Field(max_length=200, description="The question's fact, e.g. `spike_batch_specific` (`answer.` optional).")
    value: str = Field(max_length=200, description="One of the question's choices.")


class Answered(BaseModel):
    fact: str
    value: str


class WordsIn(BaseModel):
    text: str = Field(max_length=TEXT_LIMIT, description="More words about the problem; they add to the question.")


class Prose(BaseModel):
    answer: str = Field(description="The short answer after these words (the report's `answer`).")


def make_api(settings: BotSettings, store: ConsultationStore | None = None) -> FastAPI:
    """The API app; ``store`` is shared when the Slack bot runs in the same process."""
    store = store or ConsultationStore(settings)
    limiter = RateLimiter(*settings.limits())
    tokens = [t.get_secret_value().encode() for t in settings.api_tokens]
    upload_limit = settings.attachment_max_bytes + MULTIPART_OVERHEAD

    api = FastAPI(title="Training Stability Assistant API", version=__version__,
                  default_response_class=RedactedJSON,
                  description="Consult on a failing fine-tuning run: attach its log or config, answer the "
                              "follow-up questions, read the report (the `ask --json` object).")
    api.add_middleware(BodyLimit, limit_for=lambda path: upload_limit if path.endswith("/attachments")
                       else SMALL_BODY_LIMIT)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return RedactedJSON({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        """422 with pydantic's errors, minus the echoed input (it may hold a pasted token)."""
        errors = [{k: v for k, v in e.items() if k not in ("input", "ctx", "url")} for e in exc.errors()]
        return RedactedJSON({"detail": jsonable_encoder(errors)}, status_code=422)

    bearer = HTTPBearer(auto_error=False, description="A token from TSA_API_TOKENS")

    def caller(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
        """Who is calling (a token's fingerprint, or the client address without auth), rate-limited."""
        if tokens:
            given = credentials.credentials.encode() if credentials else b""
            if not any(hmac.compare_digest(given, t) for t in tokens):
                raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
            who = "token:" + hashlib.sha256(given).hexdigest()[:12]
        else:
            who = "addr:" + (request.client.host if request.client else "unknown")
        wait = limiter.allow(who, "api")
        if wait:
            raise HTTPException(429, f"too many requests; retry in {math.ceil(wait)} s",
                                headers={"Retry-After": str(math.ceil(wait))})
        return who

    def owned(consultation_id: str, who: str = Depends(caller)) -> Session:
        """The caller's consultation; someone else's is as unknown as an expired one."""
        session = store.get(consultation_id)
        if session is None or session.meta.get("owner") != who:
            raise HTTPException(404, f"consultation {consultation_id}: not found (expired, deleted or never created)")
        return session

    @api.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    @api.post("/v1/consultations", status_code=201, response_model=Created, tags=["consultations"])
    def create(body: NewConsultation, who: str = Depends(caller)) -> Created:
        """Start a consultation; attach evidence and answers to it by id."""
        session = store.create()
        session.meta["owner"] = who
        session.add_words(body.question)
        return Created(id=session.key, expires_in_s=settings.consultation_ttl_s)

    @api.post("/v1/consultations/{consultation_id}/attachments", status_code=201, response_model=Attached,
              tags=["consultations"],
              responses={413: {"description": "File over the attachment limit"},
                         422: {"description": "Not readable: `name: problem`, as the CLI prints it"}})
    def attach(file: UploadFile = File(description="A training log, trainer_state.json, config, traceback..."),
               session: Session = Depends(owned)) -> Attached:
        """Upload one attachment (multipart); it is recognised by content, not by name."""
        chunks = iter(lambda: file.file.read(UPLOAD_CHUNK), b"")
        try:
            inputs = store.attach(session, file.filename or "attachment", chunks)
        except TooLarge as e:
            raise HTTPException(413, str(e)) from None
        except InputError as e:
            raise HTTPException(422, str(e)) from None
        return Attached(inputs=[InputOut(path=i.path, kind=i.kind, facts=i.facts, warnings=i.warnings)
                                for i in inputs])

    @api.post("/v1/consultations/{consultation_id}/answers", response_model=Answered, tags=["consultations"])
    def answer(body: AnswerIn, session: Session = Depends(owned)) -> Answered:
        """Answer a follow-up question (the report's `questions` list the facts and their choices)."""
        with session.lock:
            try:
                name = session.answer(body.fact, body.value)
            except ValueError as e:
                raise HTTPException(422, str(e)) from None
        return Answered(fact=name, value=body.value)

    @api.get("/v1/consultations/{consultation_id}/report", tags=["consultations"],
             responses={200: {"description": "The `ask --json` object (shared/spec/report.schema.json)",
                              "content": {"application/json": {}}}})
    def report(session: Session = Depends(owned)) -> Response:
        """The report so far: exactly what `ask --json` prints for the same evidence."""
        with session.lock:
            return Response(render_json(session.report()), media_type="application/json")

    @api.post("/v1/consultations/{consultation_id}/questions", response_model=Prose, tags=["consultations"])
    def ask(body: WordsIn, session: Session = Depends(owned)) -> Prose:
        """A free-form question or remark: its words join the consultation, the short answer comes back."""
        with session.lock:
            session.add_words(body.text)
            return Prose(answer=session.report().answer or "")

    @api.delete("/v1/consultations/{consultation_id}", status_code=204, tags=["consultations"])
    def delete(session: Session = Depends(owned)) -> Response:
        """Forget the consultation and delete its attachments now."""
        store.delete(session.key)
        return Response(status_code=204)

    return api
