"""Settings of the Slack bot and the HTTP API: one model, read from the environment.

Slack's own variables keep their usual names (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET,
SLACK_APP_TOKEN) so a team can reuse what Slack's docs tell them to export; everything
else is ``TSA_<FIELD>`` (``TSA_API_TOKENS=tok1,tok2``, ``TSA_CONSULTATION_TTL_S=3600``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from assistant.bots.ratelimit import Limit
from assistant.paths import data_dir

__all__ = ["BotSettings"]

MIB = 1024 * 1024


class BotSettings(BaseSettings):
    """What an operator decides: credentials, limits, storage, and what the bot may do."""

    model_config = SettingsConfigDict(env_prefix="TSA_", use_attribute_docstrings=True, extra="ignore",
                                      populate_by_name=True)

    slack_bot_token: SecretStr | None = Field(None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "slack_bot_token"))
    """Bot token (xoxb-...): posts replies and downloads the files users upload to a thread. Secret-typed
    (like the other credentials) so it never shows in a repr or a log line."""

    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "slack_signing_secret"))
    """Signing secret: every HTTP request from Slack is verified with it (Socket Mode needs none)."""

    slack_app_token: SecretStr | None = Field(None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "slack_app_token"))
    """App-level token (xapp-...) with connections:write; only Socket Mode needs it."""

    slack_process_before_response: bool = False
    """Run the listeners before answering Slack's HTTP request (FaaS hosts that freeze after the response).
    The long work is a lazy listener either way, so Slack still gets its ack within 3 s."""

    slack_verify_token_at_start: bool = True
    """Call auth.test when the app is built, so a wrong token fails at start-up instead of at the first message."""

    api_tokens: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    """Bearer tokens the HTTP API accepts (TSA_API_TOKENS, comma-separated). Empty: `assistant serve` makes one
    at first start and keeps it in the config dir (0600); --no-auth (loopback only) serves without."""

    storage_dir: Path = Field(default_factory=lambda: data_dir() / "bots")
    """The one directory where uploaded attachments are kept, one folder per consultation."""

    state_path: Path | None = None
    """The SQLite file holding consultations, requests already seen and rate-limit buckets (default:
    ``bots-state.sqlite3`` beside the storage directory). Server processes sharing it share their state;
    it must be on a local disk (WAL mode)."""

    storage_max_bytes: int = 1024 * MIB
    """Bound on the total size of stored attachments; the oldest files are evicted past it."""

    attachment_max_bytes: int = 64 * MIB
    """Largest single attachment accepted (Slack upload or API multipart file)."""

    sessions_in_memory: int = 16
    """Consultations kept rebuilt in memory (with their readings and report); the others are rebuilt from the
    state file when next used. This bounds the server's memory; a rebuild re-reads the stored attachments."""

    max_concurrent_reads: int = 4
    """Attachments read at once in this process; more wait their turn. Reading a log holds its buffers,
    so this, not the number of clients, bounds the server's memory under a burst of uploads."""

    max_attachments: int = 20
    """Most attachments one consultation may hold."""

    consultation_ttl_s: float = 24 * 3600
    """A consultation untouched for this long is forgotten, with its attachments."""

    max_consultations: int = 500
    """Most consultations kept at once (in the state file, and rebuilt in memory); the least recently used
    goes first."""

    rate_user_per_min: float = 20
    """Sustained requests per minute for one user (Slack user, or API token); 0 = unlimited."""

    rate_user_burst: int = 10
    """Requests one user may send at once before the per-minute rate applies."""

    rate_workspace_per_min: float = 120
    """Sustained requests per minute for one workspace (Slack team, or the whole API); 0 = unlimited."""

    rate_workspace_burst: int = 60
    """Requests one workspace may send at once before the per-minute rate applies."""

    allow_probes: bool = False
    """Let a chat user run this host's GPU/environment probes. Off: users attach a probe report saved on
    their training host instead (the bot's host is rarely the machine that trained)."""

    def state_file(self) -> Path:
        return self.state_path or Path(self.storage_dir).parent / "bots-state.sqlite3"

    def limits(self) -> tuple[Limit, Limit]:
        """(per user, per workspace) buckets, as ``RateLimiter`` takes them."""
        return Limit(self.rate_user_per_min, self.rate_user_burst), Limit(self.rate_workspace_per_min,
                                                                          self.rate_workspace_burst)

    @field_validator("api_tokens", mode="before")
    @classmethod
    def _split_tokens(cls, value: object) -> object:
        """TSA_API_TOKENS is a comma-separated list; blanks are dropped, not accepted as a token."""
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, (list, tuple)):
            return [t.strip() for t in value if str(t).strip()]
        return value
