"""`assistant serve`: the HTTP API (and optionally Slack's Events API) on one port."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from assistant.cli import app
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.bots.auth import ApiAuth
    from assistant.bots.settings import BotSettings

__all__ = ["serve_cmd"]

KEEP_ALIVE_S = 30


@app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    slack: bool = typer.Option(False, "--slack", help="Also answer Slack at /slack/events (SLACK_BOT_TOKEN, "
                                                     "SLACK_SIGNING_SECRET)."),
    no_auth: bool = typer.Option(False, "--no-auth", help="Serve without a token: anyone on this machine can call "
                                                          "the API. Accepted only on loopback."),
    log_level: str = typer.Option("info", help="debug, info, warning or error."),
    workers: int = typer.Option(-1, help="Processes that work on consultations (default: one per core; 0: "
                                         "in the server's own process)."),
) -> None:
    """Serve the consultation API (OpenAPI schema at /openapi.json, docs at /docs); every call needs a bearer token
    (TSA_API_TOKENS, or the one made at first start in the config dir)."""
    # The web stack is imported here, not at module level: `ask` must stay fast.
    from assistant.bots.auth import ApiAuth, ensure_token, is_loopback, token_file, usage
    from assistant.bots.settings import BotSettings

    settings = BotSettings()
    if slack:
        from assistant.bots.slack import check_transport

        check_transport(settings, socket=False)
    if no_auth:
        if not is_loopback(host):
            raise AssistantError(f"--host {host} --no-auth: serving without a token is accepted only on loopback "
                                 "(--host 127.0.0.1); drop --no-auth to use the token")
        auth = ApiAuth.none()
        print(f"Serving without a token (--no-auth): anyone on this machine can call http://{host}:{port}",
              file=sys.stderr)
    elif settings.api_tokens:
        auth = ApiAuth.tokens([t.get_secret_value() for t in settings.api_tokens])
    else:
        token, created = ensure_token()
        auth = ApiAuth.tokens([token])
        print(usage(token_file(), f"http://{host}:{port}", created), file=sys.stderr)
    if workers < 0:
        from assistant.bots.desk import default_workers

        workers = default_workers()
    _run(settings, auth, host, port, slack, log_level, workers)


def _run(settings: BotSettings, auth: ApiAuth, host: str, port: int, slack: bool, log_level: str,
         workers: int) -> None:
    import uvicorn

    from assistant.bots._logging import setup_logging
    from assistant.bots.http import make_api
    from assistant.bots.store import ConsultationStore

    setup_logging(log_level)
    api = make_api(settings, auth=auth, workers=workers)
    if slack:  # Slack's turns run in this process, on the same state file as the API's workers
        from assistant.bots.slack import make_slack_app, mount_slack

        mount_slack(api, make_slack_app(settings, store=ConsultationStore(settings)))
    # Keep idle connections longer than HTTP clients pool them (httpx: 5 s), so a client never sends a
    # request on a connection the server is closing at that moment (the request would be lost).
    uvicorn.run(api, host=host, port=port, log_level=log_level, log_config=None, timeout_keep_alive=KEEP_ALIVE_S)
