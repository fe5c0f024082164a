"""The HTTP API: consultations over HTTP for bridges, CI jobs and notebooks.

``make_api(settings)`` returns the FastAPI app (the Bolt app is a separate object;
``assistant.bots.slack.mount_slack`` can add its Events route to this one). A
consultation is created, fed attachments (multipart), answers and words, and its
report is exactly the ``ask --json`` object. Safe to expose: a bearer token on every
route but ``/healthz`` and Slack's signed one (``assistant.bots.auth``), a consultation
is visible only to the token that created it, bodies over the limit get 413 before they
are read in full, compressed bodies 415 and JSON nested past the readers' bound 422
before it is parsed, per-token rate limits, and every response body is redacted.
"""
from __future__ import annotations

import json
import math
import secrets
from contextlib import asynccontextmanager
from typing import Annotated, Any, AsyncIterator, Callable, Literal, Union

from fastapi import Depends, FastAPI, File, HTTPException, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, Field, create_model
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant import __version__
from assistant.bots.auth import ApiAuth, BearerAuth
from assistant.bots.ratelimit import RateLimiter
from assistant.bots.settings import BotSettings
from assistant.bots.desk import UPLOAD_CHUNK, ApiError, Desk, DeskPool, LocalDesk, spool
from assistant.bots.state import StateDB
from assistant.bots.store import ConsultationStore, checked_answer
from assistant.evidence._input import size_text
from assistant.evidence._structured import TooDeep, check_json_depth, json_loads
from assistant.redact import redact
from assistant.rulebase import load_vocabulary

__all__ = ["make_api", "BodyLimit", "SMALL_BODY_LIMIT"]

SMALL_BODY_LIMIT = 1024 * 1024  # JSON bodies and Slack events; uploads get the attachment cap
MULTIPART_OVERHEAD = 64 * 1024
TEXT_LIMIT = 20_000  # characters of a question


class RedactedJSON(JSONResponse):
    """Every JSON body the API sends goes through the secret patterns last."""

    def render(self, content: Any) -> bytes:
        return redact(json.dumps(content, ensure_ascii=False, allow_nan=False)).encode("utf-8")


class BodyLimit:
    """Request bodies within bounds before anyone parses them.

    Over the limit: 413 at once from Content-Length, else while streaming (a body sent
    without a length stops being read at the limit). Compressed (Content-Encoding):
    415, nothing here inflates a body, so no gzip bomb can either. JSON: buffered (it
    is small) and refused with 422 when nested past the readers' bound, before the
    recursive decoder sees it. Pure ASGI, so a 2 GB upload is refused unread.
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app, self.limit_for = app, limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit_for(scope["path"])
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _refuse(413, _too_large(int(declared), limit), scope, receive, send)
        if headers.get(b"content-encoding", b"identity").strip().lower() not in (b"identity", b""):
            return await _refuse(415, "compressed request bodies are not accepted; send the file as it is",
                                 scope, receive, send)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413, _too_large(seen, limit))
            return message

        if b"json" not in headers.get(b"content-type", b""):
            return await self.app(scope, counted, send)
        chunks = []
        while True:
            try:
                message = await counted()
            except HTTPException as e:
                return await _refuse(413, str(e.detail), scope, receive, send)
            chunks.append(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        body = b"".join(chunks)
        try:
            check_json_depth(body.decode("utf-8", "replace"))
        except TooDeep as e:
            return await _refuse(422, str(e), scope, receive, send)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _refuse(status: int, detail: str, scope: Scope, receive: Receive, send: Send) -> None:
    await RedactedJSON({"detail": detail}, status_code=status)(scope, receive, send)


def _too_large(size: int, limit: int) -> str:
    return f"request body too large ({size_text(size)}; limit {size_text(limit)})"


def _unicode(text: str) -> str:
    """JSON may spell lone surrogates (`"\\ud800"`); no text we store or print can hold one."""
    return text if text.isascii() else text.encode("utf-8", "replace").decode("utf-8")


Text = Annotated[str, AfterValidator(_unicode)]


class NewConsultation(BaseModel):
    question: Text = Field("", max_length=TEXT_LIMIT, description="What is wrong, in the user's words (may be empty).")


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


def _answer_body() -> Any:
    """One body shape per follow-up question (its fact, with or without `answer.`, and one of its choices),
    so the schema says exactly which answers are accepted."""
    shapes = []
    for name, ask in sorted(load_vocabulary().askable.items()):
        short = name.removeprefix("answer.")
        value: Any = Literal[tuple(ask.choices)] if ask.choices else Annotated[str, Field(max_length=200)]
        shapes.append(create_model(f"Answer_{short}", fact=(Literal[short, name], Field(description=ask.text or short)),
                                   value=(value, Field(description="One of the question's choices."))))
    return Annotated[Union[tuple(shapes)], Field(discriminator="fact")]


AnswerIn = _answer_body()


class Answered(BaseModel):
    fact: str
    value: str


class WordsIn(BaseModel):
    text: Text = Field(max_length=TEXT_LIMIT, description="More words about the problem; they add to the question.")


class Prose(BaseModel):
    answer: str = Field(description="The short answer after these words (the report's `answer`).")


class Problem(BaseModel):
    detail: Any = Field(description="What is wrong: a one-line message (for an attachment, the CLI's "
                                    "`name: problem`), or the validation errors.")


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route, for the schema (every route may answer 400, 401, 413, 415, 422 and 429)."""
    said = {400: "Body that cannot be parsed (not UTF-8, not JSON)", 401: "Missing or wrong bearer token", 404: "No such consultation (expired, deleted, or someone "
            "else's)", 413: "Body over the limit", 415: "Compressed body", 422: "Invalid body, or an unreadable "
            "attachment", 429: "Too many requests; retry after Retry-After seconds"}
    return {code: {"model": Problem, "description": said[code]} for code in sorted({400, 401, 413, 415, 422, 429, *codes})}


def _answer_problem(body: bytes) -> str | None:
    """The one-line reason an answers body with a string fact and value is refused, else None."""
    try:
        data = json_loads(body.decode("utf-8", "replace"))  # bounded: no body can make it recurse
    except ValueError:
        return None
    if not (isinstance(data, dict) and isinstance(data.get("fact"), str) and isinstance(data.get("value"), str)):
        return None
    try:
        checked_answer(data["fact"], data["value"])
    except ValueError as e:
        return str(e)
    return None


def make_api(settings: BotSettings, store: ConsultationStore | None = None, auth: ApiAuth | None = None,
             workers: int = 0) -> FastAPI:
    """The API app; ``store`` is shared when the Slack bot runs in the same process.

    ``auth`` defaults to the settings' tokens (AssistantError when there are none: ``assistant
    serve`` makes one, or passes ``ApiAuth.none()`` for ``--no-auth`` on loopback). With
    ``workers``, consultations are worked on in that many processes (``DeskPool``), else in
    this one's thread pool.
    """
    auth = auth or ApiAuth.tokens([t.get_secret_value() for t in settings.api_tokens])
    if workers:
        desk: LocalDesk | DeskPool = DeskPool(settings, workers)
        buckets = StateDB(settings.state_file())
    else:
        desk = LocalDesk(Desk(settings, store))
        buckets = desk.desk.store.db
    limiter = RateLimiter(*settings.limits(), buckets=buckets)
    upload_limit = settings.attachment_max_bytes + MULTIPART_OVERHEAD

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        desk.close()

    api = FastAPI(title="Training Stability Assistant API", version=__version__,
                  default_response_class=RedactedJSON, lifespan=lifespan,
                  description="Consult on a failing fine-tuning run: attach its log or config, answer the "
                              "follow-up questions, read the report (the `ask --json` object).")
    api.add_middleware(BodyLimit, limit_for=lambda path: upload_limit if path.endswith("/attachments")
                       else SMALL_BODY_LIMIT)
    api.add_middleware(BearerAuth, auth=auth)  # outermost: nothing is read for a caller without a token

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return RedactedJSON({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @api.exception_handler(ApiError)
    async def desk_error(request: Request, exc: ApiError) -> Response:
        return RedactedJSON({"detail": exc.detail}, status_code=exc.status)

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        """422 with pydantic's errors, minus the echoed input (it may hold a pasted token); an answer that
        is not one we take gets the one line saying why (the question meant, the choices)."""
        problem = _answer_problem(await request.body()) if request.url.path.endswith("/answers") else None
        errors = [{k: v for k, v in e.items() if k not in ("input", "ctx", "url")} for e in exc.errors()]
        return RedactedJSON({"detail": problem or jsonable_encoder(errors)}, status_code=422)

    bearer = HTTPBearer(auto_error=False, description="The token `assistant serve` printed the place of "
                                                      "(or one from TSA_API_TOKENS)")

    def caller(request: Request, _: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
        """Who is calling (BearerAuth checked the token: its fingerprint, or the address with --no-auth),
        rate-limited."""
        who = getattr(request.state, "caller", None) or "addr:unknown"
        wait = limiter.allow(who, "api")
        if wait:
            raise HTTPException(429, f"too many requests; retry in {math.ceil(wait)} s",
                                headers={"Retry-After": str(math.ceil(wait))})
        return who

    @api.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    @api.post("/v1/consultations", status_code=201, response_model=Created, tags=["consultations"],
              responses=_errors())
    async def create(body: NewConsultation, who: str = Depends(caller)) -> Created:
        """Start a consultation; attach evidence and answers to it by id."""
        return Created(**await desk.call("create", secrets.token_hex(16), who, body.question))

    @api.post("/v1/consultations/{consultation_id}/attachments", status_code=201, response_model=Attached,
              tags=["consultations"], responses=_errors(404))
    async def attach(consultation_id: str,
                     file: UploadFile = File(description="A training log, trainer_state.json, config, traceback..."),
                     who: str = Depends(caller)) -> Attached:
        """Upload one attachment (multipart); it is recognised by content, not by name."""
        upload = await run_in_threadpool(spool, iter(lambda: file.file.read(UPLOAD_CHUNK), b""), desk.incoming)
        try:
            inputs = await desk.call("attach", consultation_id, who, file.filename or "attachment", upload)
        finally:
            upload.unlink(missing_ok=True)
        return Attached(inputs=[InputOut(**i) for i in inputs])

    @api.post("/v1/consultations/{consultation_id}/answers", response_model=Answered, tags=["consultations"],
              responses=_errors(404))
    async def answer(consultation_id: str, body: AnswerIn, who: str = Depends(caller)) -> Answered:
        """Answer a follow-up question (the report's `questions` list the facts and their choices)."""
        name = await desk.call("answer", consultation_id, who, body.fact, body.value)
        return Answered(fact=name, value=body.value)

    @api.get("/v1/consultations/{consultation_id}/report", tags=["consultations"],
             responses={200: {"description": "The `ask --json` object (shared/spec/report.schema.json)",
                              "content": {"application/json": {"schema": {"type": "object"}}}}, **_errors(404)})
    async def report(consultation_id: str, who: str = Depends(caller)) -> Response:
        """The report so far: exactly what `ask --json` prints for the same evidence."""
        return Response(await desk.call("report", consultation_id, who), media_type="application/json")

    @api.post("/v1/consultations/{consultation_id}/questions", response_model=Prose, tags=["consultations"],
              responses=_errors(404))
    async def ask(consultation_id: str, body: WordsIn, who: str = Depends(caller)) -> Prose:
        """A free-form question or remark: its words join the consultation, the short answer comes back."""
        return Prose(answer=await desk.call("ask", consultation_id, who, body.text))

    @api.delete("/v1/consultations/{consultation_id}", status_code=204, tags=["consultations"],
                responses=_errors(404))
    async def delete(consultation_id: str, who: str = Depends(caller)) -> Response:
        """Forget the consultation and delete its attachments now."""
        await desk.call("delete", consultation_id, who)
        return Response(status_code=204)

    return api
