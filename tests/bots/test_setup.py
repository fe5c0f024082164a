"""What an operator touches: the manifest matches the listeners, settings are documented, the
commands refuse to start without the credentials their transport needs."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.bots.settings import BotSettings

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_subscribes_to_what_the_bot_listens_for():
    manifest = yaml.safe_load((ROOT / "slack-app-manifest.yaml").read_text())
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "message.im", "message.channels"} <= events
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/ask"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "files:read", "files:write", "im:history",
            "channels:history"} <= scopes
    assert manifest["settings"]["interactivity"]["is_enabled"] is True  # the question buttons


def test_every_setting_says_what_it_is_for():
    assert all(f.description for f in BotSettings.model_fields.values())


def test_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    monkeypatch.setenv("TSA_API_TOKENS", " a , b,,")
    monkeypatch.setenv("TSA_CONSULTATION_TTL_S", "60")
    s = BotSettings()
    assert s.slack_bot_token.get_secret_value() == "xoxb-from-env"
    assert [t.get_secret_value() for t in s.api_tokens] == ["a", "b"]
    assert s.consultation_ttl_s == 60
    assert "xoxb-from-env" not in repr(s)


@pytest.mark.parametrize("argv,env,message", [
    (["bot", "slack"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN is not set"),
    (["bot", "slack", "--http"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
    (["bot", "slack", "--http"], {"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN is not set"),
    (["serve", "--slack"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
])
def test_commands_refuse_to_start_without_credentials(argv, env, message, monkeypatch, capsys):
    from assistant.cli import _run

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert _run(argv) == 2
    assert message in capsys.readouterr().err
