"""`assistant bot slack`: the Slack bot, over Socket Mode or the HTTP Events API."""
from __future__ import annotations

import typer

from assistant.cli import app

__all__ = ["bot_app"]

bot_app = typer.Typer(no_args_is_help=True, help="Run the assistant as a team-chat bot.")
app.add_typer(bot_app, name="bot")


@bot_app.command("slack")
def slack_cmd(
    socket: bool = typer.Option(True, "--socket/--http", help="Socket Mode (no public URL; SLACK_APP_TOKEN) or the "
                                                            "HTTP Events API (SLACK_SIGNING_SECRET)."),
    host: str = typer.Option("127.0.0.1", help="--http: address to listen on (put a TLS proxy in front)."),
    port: int = typer.Option(3000, help="--http: port to listen on; Slack posts to /slack/events."),
    log_level: str = typer.Option("info", help="debug, info, warning or error."),
) -> None:
    """Answer mentions, DMs and /ask in Slack; a thread is one consultation (SLACK_BOT_TOKEN)."""
    # Bolt and the web stack are imported here, not at module level: `ask` must stay fast.
    from assistant.bots._logging import setup_logging
    from assistant.bots.settings import BotSettings
    from assistant.bots.slack import check_transport, make_slack_app, socket_mode, slack_http_app

    settings = BotSettings()
    check_transport(settings, socket)
    setup_logging(log_level)
    slack_app = make_slack_app(settings)
    if socket:
        socket_mode(slack_app, settings).start()
        return
    import uvicorn

    uvicorn.run(slack_http_app(slack_app), host=host, port=port, log_level=log_level, log_config=None)
