"""A token by default: `assistant serve` run as a real process refuses callers without it, makes it at first
start (0600, never printed), and serves without one only when told to, on loopback."""
from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from assistant.bots.auth import ApiAuth, ensure_token
from assistant.errors import AssistantError

from .procs import server

NEW = {"json": {"question": "loss nan"}}


def test_an_unauthenticated_request_is_refused_by_default(tmp_path):
    with server(tmp_path) as s:
        refused = httpx.post(s.url + "/v1/consultations", **NEW)
        token_path = tmp_path / "config/api-token"
        token = token_path.read_text().strip()
        wrong = httpx.post(s.url + "/v1/consultations", headers={"Authorization": "Bearer " + token[:-1]}, **NEW)
        ok = httpx.post(s.url + "/v1/consultations", headers={"Authorization": f"Bearer {token}"}, **NEW)
        log = s.stop()
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert wrong.status_code == 401
    assert ok.status_code == 201
    assert stat.S_IMODE(token_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_path.parent.stat().st_mode) == 0o700
    assert f"A token for the API was made in {token_path}" in log and "$(cat " in log
    assert token not in log and token[:-1] not in log  # not printed, not logged (the log level is debug)


def test_the_token_made_at_first_start_is_kept(tmp_path):
    with server(tmp_path) as s:
        first = (tmp_path / "config/api-token").read_text()
    with server(tmp_path) as s:
        assert (tmp_path / "config/api-token").read_text() == first
        log = s.stop()
    assert "The API token is in" in log


def test_tokens_from_the_environment_make_no_token_file(tmp_path):
    with server(tmp_path, TSA_API_TOKENS="tok-a,tok-b") as s:
        assert httpx.post(s.url + "/v1/consultations", headers={"Authorization": "Bearer tok-b"}, **NEW).status_code == 201
        assert httpx.post(s.url + "/v1/consultations", **NEW).status_code == 401
    assert not (tmp_path / "config/api-token").exists()


def test_no_auth_serves_loopback_without_a_token(tmp_path):
    with server(tmp_path, "--no-auth") as s:
        assert httpx.post(s.url + "/v1/consultations", **NEW).status_code == 201
    assert not (tmp_path / "config/api-token").exists()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.com"])
def test_no_auth_is_refused_off_loopback(host, capsys):
    from assistant.cli import _run

    assert _run(["serve", "--host", host, "--no-auth"]) == 2
    assert "serving without a token is accepted only on loopback" in capsys.readouterr().err


def test_a_token_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / "api-token"
    ensure_token(path)
    path.chmod(0o644)
    with pytest.raises(AssistantError, match="readable by other users"):
        ensure_token(path)


def test_servers_starting_together_make_one_token(tmp_path):
    path = tmp_path / "cfg" / "api-token"
    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(lambda _: ensure_token(path)[0], range(16)))
    assert len(set(tokens)) == 1 and tokens[0].startswith("tsa_")


@pytest.mark.parametrize("header,ok", [(b"Bearer s3cret", True), (b"bearer s3cret", True), (b"Bearer s3cre", False),
                                       (b"Bearer s3cret2", False), (b"Basic s3cret", False), (b"s3cret", False),
                                       (b"Bearer ", False), (None, False)])
def test_bearer_header(header, ok):
    who = ApiAuth.tokens(["other", "s3cret"]).caller(header, "127.0.0.1")
    assert (who is not None) is ok
    assert who is None or (who.startswith("token:") and "s3cret" not in who)


def test_without_auth_the_caller_is_its_address():
    assert ApiAuth.none().caller(None, "127.0.0.1") == "addr:127.0.0.1"


def test_the_api_needs_a_token_to_be_built(tmp_path):
    from assistant.bots.http import make_api
    from assistant.bots.settings import BotSettings

    with pytest.raises(AssistantError, match="needs at least one token"):
        make_api(BotSettings(storage_dir=tmp_path / "store"))


def test_config_dir_follows_the_environment(monkeypatch, tmp_path):
    from assistant.paths import config_dir

    monkeypatch.setenv("TSA_CONFIG_DIR", str(tmp_path / "c"))
    assert config_dir() == Path(tmp_path / "c")
    monkeypatch.delenv("TSA_CONFIG_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "x"))
    assert config_dir() == tmp_path / "x" / "training-stability-assistant"
