"""The Slack bot: a Bolt app where a thread is one consultation.

``make_slack_app`` builds the Bolt ``App`` (listeners live in
``assistant.bots.listeners``); ``SlackBot`` is what the listeners call: one turn
of a thread (words, answers, uploaded files -> report -> Block Kit reply, chart),
a button press, a forget. The transports are kept apart: ``socket_mode`` for
a workspace without a public URL, ``mount_slack`` to serve the Events API from a
FastAPI app (the HTTP API's, or a bare one).

Safety: Bolt verifies every HTTP request's signature and 5-minute timestamp
window; ``ReplayGuard`` then refuses a request seen before within that window, and
acknowledges a retry of an event already taken without a second answer (both
recorded in the state file, so they hold across processes and restarts).
Files are downloaded with the bot token only from Slack's hosts (or the Web API
base URL the client was built with), size-capped before and while downloading,
and read by content; nothing a user sends is run. Every reply is redacted.
"""
from __future__ import annotations

import logging
import re
import time
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.error import BoltError
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from assistant.bots.png import render_png
from assistant.bots.ratelimit import RateLimiter
from assistant.bots.settings import BotSettings
from assistant.bots.state import StateDB
from assistant.bots.store import ConsultationStore, Session, TooLarge, asked
from assistant.errors import AssistantError, InputError
from assistant.render.chart import chart_data
from assistant.render.slack import escape, render_blocks

__all__ = ["make_slack_app", "SlackBot", "ReplayGuard", "Turn", "socket_mode", "mount_slack", "slack_http_app",
           "check_transport", "thread_key"]

log = logging.getLogger(__name__)

SIGNATURE_WINDOW_S = 5 * 60  # what Bolt's SignatureVerifier accepts either side of now
EVENT_MEMORY_S = 6 * 3600  # Slack retries an event three times within about an hour
DOWNLOAD_CHUNK = 1024 * 1024
PROBE_HINT = ("I don't run probes from chat on this host: it is rarely the machine that trained. Run "
              "`assistant probe --save probe.json` on the training host and attach the file to this thread.")
_ANSWER_LINE = re.compile(r"^\s*((?:answer\.)?[a-z][a-z0-9_.]*)\s*=\s*(\S+)\s*$")
_MENTION = re.compile(r"<@[A-Z0-9]+>")
_PROBE_WORD = re.compile(r"\bprobes?\b|\bprobing\b", re.IGNORECASE)


def thread_key(team: str, channel: str, thread_ts: str) -> str:
    """The store key of the consultation a Slack thread is."""
    return f"slack:{team}:{channel}:{thread_ts}"


class ReplayGuard(Middleware):
    """Refuse a replayed request; acknowledge a Slack retry of an event already taken, without a second answer.

    Runs right after Bolt's signature check (``before_authorize``), before any
    authorisation or Web API call. A replayed request is byte-identical, so its
    (timestamp, signature) pair is too: it is refused with 401 until its timestamp
    leaves the window Bolt accepts. A retry (Slack re-sends an event it got no ack for
    within 3 s, re-signed, with ``X-Slack-Retry-Num``) carries the event id of the first
    delivery: the event is taken once, whichever process got it first, and every other
    delivery gets a plain 200 so Slack stops. Both records live in the state file, so
    they hold across processes and restarts.
    """

    def __init__(self, seen: StateDB, window_s: float = SIGNATURE_WINDOW_S, clock: Callable[[], float] = time.time
                 ) -> None:
        self._seen, self._window, self._clock = seen, window_s, clock

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        if req.mode != "socket_mode":  # Socket Mode is not signed: the socket is authenticated with the app token
            ts = req.headers.get("x-slack-request-timestamp", [""])[0]
            pair = f"{ts}:{req.headers.get('x-slack-signature', [''])[0]}"
            sent = float(ts) if ts.isdigit() else self._clock()
            if not self._seen.first_sighting("request", pair, sent + self._window + 1 - self._clock()):
                log.warning("refused a replayed Slack request (timestamp %s)", ts)
                return BoltResponse(status=401, body={"error": "replayed request"})
        event_id = req.body.get("event_id") if isinstance(req.body, dict) else None
        if isinstance(event_id, str) and event_id and not self._seen.first_sighting("event", event_id, EVENT_MEMORY_S):
            retry = req.headers.get("x-slack-retry-num", ["?"])[0]
            log.info("Slack event %s delivered again (retry %s): acknowledged, already taken", event_id, retry)
            return BoltResponse(status=200, body="")
        return next()


@dataclass
class Turn:
    """One message in a thread, as the listeners hand it over."""

    team: str
    channel: str
    thread_ts: str
    user: str
    text: str
    files: list[dict[str, Any]]


class SlackBot:
    """Conversation logic behind the listeners; every public method catches its own crash."""

    def __init__(self, settings: BotSettings, store: ConsultationStore) -> None:
        self.settings = settings
        self.store = store
        self.limiter = RateLimiter(*settings.limits(), buckets=store.db)

    def live(self, team: str, channel: str, thread_ts: str | None) -> bool:
        """Is this thread a consultation we are in? (Later messages there need no mention.)"""
        return bool(thread_ts) and self.store.get(thread_key(team, channel, thread_ts)) is not None

    # --- a turn ----------------------------------------------------------------------------

    def turn(self, client: WebClient, turn: Turn) -> None:
        """Read what the message brings, run the consultation, reply in the thread (and chart the run)."""
        try:
            session = self.store.get_or_create(thread_key(turn.team, turn.channel, turn.thread_ts))
            with session.lock:
                runs = session.runs()
                notes = self._take(client, session, turn)
                text, blocks = render_blocks(session.report(), notes)
                client.chat_postMessage(channel=turn.channel, thread_ts=turn.thread_ts, text=text, blocks=blocks)
                if session.runs() > runs:  # a new run was attached: chart it
                    self._upload_chart(client, session, turn.channel, turn.thread_ts)
        except Exception as e:  # one broken consultation must not take the bot down
            self._apologise(client, turn.channel, turn.thread_ts, e)

    def _take(self, client: WebClient, session: Session, turn: Turn) -> list[str]:
        """Apply the message to the consultation; returns one-line notes for the reply."""
        notes = []
        words = []
        for line in _MENTION.sub("", turn.text).splitlines():
            m = _ANSWER_LINE.match(line)
            if m and asked(m.group(1)):  # other `x=y` lines are just words
                try:
                    session.answer(m.group(1), m.group(2))
                except ValueError as e:
                    notes.append(f":warning: {e}")
            else:
                words.append(line)
        text = "\n".join(words).strip()
        if _PROBE_WORD.search(text):
            notes.append(self._probe(session))
        session.add_words(text)
        for f in turn.files:
            try:
                name, chunks = self._download(client, f)
                self.store.attach(session, name, chunks)
            except InputError as e:
                notes.append(f":warning: {e}")
            except (SlackApiError, OSError) as e:  # files.info refused, download failed
                reason = e.response.get("error") if isinstance(e, SlackApiError) else type(e).__name__
                notes.append(f":warning: {f.get('name') or f['id']}: could not be fetched from Slack ({reason})")
        return notes

    def _probe(self, session: Session) -> str:
        """Probe this host only when the operator allowed it; otherwise ask for a saved probe report."""
        if not self.settings.allow_probes:
            return f":information_source: {PROBE_HINT}"
        if not session.meta.get("probed"):
            from assistant.probes import probe_facts  # torch/NVML: only when a probe is asked for

            session.add_facts(probe_facts())
            session.set_meta("probed", True)
        return ":information_source: Probed the bot's own host (its GPUs, drivers and packages) as the operator allows."

    def _download(self, client: WebClient, file: dict[str, Any]) -> tuple[str, Iterator[bytes]]:
        """(name, chunks) of an uploaded file, fetched with the bot token; InputError when refused."""
        info = client.files_info(file=file["id"])["file"]
        name = info.get("name") or info.get("title") or file["id"]
        limit = self.settings.attachment_max_bytes
        if (info.get("size") or 0) > limit:
            raise TooLarge(name, limit, info["size"])
        url = info.get("url_private_download") or info.get("url_private")
        if not url or not _trusted(url, client.base_url):
            raise InputError(name, "not downloadable from Slack (no private URL on a Slack host)")
        return name, _stream(url, client.token or "", client.base_url)

    def _upload_chart(self, client: WebClient, session: Session, channel: str, thread_ts: str) -> None:
        """The run's metrics with the detected events; a failed upload is logged, the reply stands."""
        png = render_png(chart_data(session.consultation.readings, session.report().facts))
        if png is None:
            return
        try:
            client.files_upload_v2(channel=channel, thread_ts=thread_ts, content=png, filename="metrics.png",
                                   title="Metrics with the detected events",
                                   alt_txt="Training metrics per step; dashed lines mark the detected events")
        except (SlackApiError, SlackRequestError, OSError) as e:
            log.warning("chart upload failed: %s", e)

    def command(self, client: WebClient, respond: Callable[..., Any], command: dict[str, Any]) -> None:
        """``/ask ...``: post the question to the channel, and consult in the thread under it."""
        text, user, channel = command.get("text", "").strip(), command["user_id"], command["channel_id"]
        if not text:
            return
        try:
            root = client.chat_postMessage(channel=channel, text=f"<@{user}> asked: {escape(text)}")
        except SlackApiError as e:
            respond(response_type="ephemeral",
                    text=f":warning: I can't post in this channel ({e.response.get('error')}): invite me with "
                         "`/invite` or write to me directly.")
            return
        self.turn(client, Turn(team=command.get("team_id", ""), channel=channel, thread_ts=root["ts"], user=user,
                               text=text, files=[]))

    # --- buttons ---------------------------------------------------------------------------

    def press(self, client: WebClient, body: dict[str, Any]) -> None:
        """A choice button: answer the question and update the reply in place."""
        channel, message, user = body["channel"]["id"], body["message"], body["user"]["id"]
        thread_ts = message.get("thread_ts") or message["ts"]
        try:
            session = self.store.get(thread_key(body["team"]["id"], channel, thread_ts))
            if session is None:
                client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts,
                                          text="This consultation has expired or was forgotten; "
                                               "mention me with the log to start again.")
                return
            fact, _, value = body["actions"][0]["value"].partition("=")
            with session.lock:
                try:
                    name = session.answer(fact, value)
                    notes = [f":white_check_mark: Answered {name.removeprefix('answer.')} = {value}"]
                except ValueError as e:
                    notes = [f":warning: {e}"]
                text, blocks = render_blocks(session.report(), notes)
                client.chat_update(channel=channel, ts=message["ts"], text=text, blocks=blocks)
        except Exception as e:
            self._apologise(client, channel, thread_ts, e)

    def forget(self, client: WebClient, body: dict[str, Any]) -> None:
        """The forget button: delete the consultation and its attachments, say so in place."""
        channel, message = body["channel"]["id"], body["message"]
        thread_ts = message.get("thread_ts") or message["ts"]
        try:
            self.store.delete(thread_key(body["team"]["id"], channel, thread_ts))
            text = ":wastebasket: Forgotten: this thread's attachments and answers are deleted."
            client.chat_update(channel=channel, ts=message["ts"], text=text,
                               blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}])
        except Exception as e:
            self._apologise(client, channel, thread_ts, e)

    def _apologise(self, client: WebClient, channel: str, thread_ts: str, error: Exception) -> None:
        log.exception("consultation in %s/%s failed", channel, thread_ts)
        what = error if isinstance(error, AssistantError) else type(error).__name__
        try:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts,
                                    text=escape(f":warning: Sorry, something went wrong with this consultation "
                                                f"({what}). The bot is fine: try again, or start a new thread."))
        except Exception:
            log.exception("could not tell the thread about it either")


# --- downloads -------------------------------------------------------------------------------

def _trusted(url: str, base_url: str) -> bool:
    """Only Slack's own hosts (over https), or the Web API host the client talks to, get the bot token."""
    u, base = urlsplit(url), urlsplit(base_url)
    host = (u.hostname or "").lower()
    slack = u.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))
    return slack or (u.scheme, u.netloc) == (base.scheme, base.netloc)


class _TrustedRedirects(urllib.request.HTTPRedirectHandler):
    """urllib forwards the Authorization header on redirects; follow only those to trusted hosts."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not _trusted(newurl, self.base_url):
            raise InputError(urlsplit(req.full_url).path.rsplit("/", 1)[-1], "download redirected off Slack")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _stream(url: str, token: str, base_url: str) -> Iterator[bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.build_opener(_TrustedRedirects(base_url)).open(request, timeout=30) as resp:
        while chunk := resp.read(DOWNLOAD_CHUNK):
            yield chunk


# --- the app and its transports --------------------------------------------------------------

def make_slack_app(settings: BotSettings, client: WebClient | None = None,
                   store: ConsultationStore | None = None) -> App:
    """The Bolt app. ``client`` overrides the Web API client (tests point it at a fake Slack)."""
    from assistant.bots.listeners import register

    if client is None:
        if settings.slack_bot_token is None:
            raise AssistantError("SLACK_BOT_TOKEN is not set: the bot token (xoxb-...) from the app's "
                                 "OAuth & Permissions page")
        client = WebClient(token=settings.slack_bot_token.get_secret_value())
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    store = store or ConsultationStore(settings)
    try:
        app = App(client=client, signing_secret=secret, name="training-stability-assistant",
                  token_verification_enabled=settings.slack_verify_token_at_start,
                  process_before_response=settings.slack_process_before_response,
                  before_authorize=ReplayGuard(store.db))
    except (BoltError, OSError) as e:  # auth.test refused the token, or Slack is out of reach
        raise AssistantError(f"SLACK_BOT_TOKEN could not be checked with Slack (auth.test): {e}") from None
    register(app, SlackBot(settings, store))
    return app


def socket_mode(app: App, settings: BotSettings) -> Any:
    """The Socket Mode handler: it connects out to Slack over a WebSocket (no public URL, no signing
    secret); ``.start()`` serves until interrupted, ``.connect()`` returns at once."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    check_transport(settings, socket=True)
    return SocketModeHandler(app, settings.slack_app_token.get_secret_value())


def check_transport(settings: BotSettings, socket: bool) -> None:
    """Refuse to start without the credential the transport needs, before anything connects."""
    if socket and settings.slack_app_token is None:
        raise AssistantError("SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-...) "
                             "with connections:write (Basic Information > App-Level Tokens)")
    if not socket and settings.slack_signing_secret is None:
        raise AssistantError("SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request from Slack with "
                             "it (Basic Information > App Credentials), or use Socket Mode")


def slack_http_app(app: App) -> Any:
    """A bare FastAPI app serving only Slack's requests (``assistant bot slack --http``)."""
    from fastapi import FastAPI

    from assistant.bots.http import SMALL_BODY_LIMIT, BodyLimit

    api = FastAPI(title="Training Stability Assistant: Slack", openapi_url=None, docs_url=None, redoc_url=None)
    api.add_middleware(BodyLimit, limit_for=lambda path: SMALL_BODY_LIMIT)
    mount_slack(api, app)
    return api


def mount_slack(api: Any, app: App, path: str = "/slack/events") -> None:
    """Serve Slack's Events API, interactivity and slash commands from a FastAPI app at ``path``."""
    from slack_bolt.adapter.fastapi import SlackRequestHandler

    handler = SlackRequestHandler(app)

    async def slack_events(request: Any) -> Any:
        return await handler.handle(request)

    # A plain Starlette route: the handler reads the raw body itself (the signature covers its bytes).
    api.add_route(path, slack_events, methods=["POST"], include_in_schema=False)
