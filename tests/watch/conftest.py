"""The fake Slack on 127.0.0.1 the bot tests use, for alerts posted to Slack and to webhooks."""
from tests.bots.conftest import fake_slack  # noqa: F401 - re-exported fixture
