"""`assistant serve`: the HTTP API (and optionally Slack's Events API) on one port."""
from __future__ import annotations

import typer

from assistant.cli import app
from assistant.errors import AssistantError

__all__ = ["serve_cmd"]

KEEP_ALIVE_S = 30


@app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", help="Address to listen on. Anything but loopback needs TSA_API_TOKENS."),
    port: int = typer.Option(8000, help="Port to listen on."),
    slack: bool = typer.Option(False, "--slack", help="Also answer Slack at /slack/events (SLACK_BOT_TOKEN, "
                                                     "SLACK_SIGNING_SECRET)."),
    log_level: str = typer.Option("info", help="debug, info, warning or error."),
) -> None:
    """Serve the consultation API (OpenAPI schema at /openapi.json, docs at /docs)."""
    # The web stack is imported here, not at module level: `ask` must stay fast.
    import uvicorn

    from assistant.bots._logging import setup_logging
    from assistant.bots.http import is_loopback, make_api
    from assistant.bots.settings import BotSettings
    from assistant.bots.store import ConsultationStore

    settings = BotSettings()
    if not settings.api_tokens and not is_loopback(host):
        raise AssistantError(f"--host {host}: refusing to serve the API beyond this machine without a token; "
                             "set TSA_API_TOKENS=<token>[,<token>...] or keep --host 127.0.0.1")
    setup_logging(log_level)
    store = ConsultationStore(settings)
    api = make_api(settings, store)
    if slack:
        from assistant.bots.slack import check_transport, make_slack_app, mount_slack

        check_transport(settings, socket=False)
        mount_slack(api, make_slack_app(settings, store=store))
    # Keep idle connections longer than HTTP clients pool them (httpx: 5 s), so a client never sends a
    # request on a connection the server is closing at that moment (the request would be lost).
    uvicorn.run(api, host=host, port=port, log_level=log_level, log_config=None, timeout_keep_alive=KEEP_ALIVE_S)
