"""The default path (embedded Chroma + numpy MiniLM) attempts no network access at all."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from assistant.retrieval.index import KnowledgeIndex, Source
from assistant.retrieval.search import search
from assistant.retrieval.settings import IndexSettings

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every non-loopback connect or name lookup raises and is recorded."""
    attempts: list[str] = []
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def host_of(address) -> str:
        return str(address[0] if isinstance(address, tuple) else address)

    def connect(self, address):
        if self.family != socket.AF_UNIX and host_of(address) not in LOOPBACK:
            attempts.append(f"connect {address}")
            raise OSError("network disabled by test")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOOPBACK and host is not None:
            attempts.append(f"getaddrinfo {host}")
            raise socket.gaierror("network disabled by test")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: connect(socket.socket(), address))
    return attempts


def test_building_and_querying_makes_no_network_attempt(no_network: list[str], minilm: object, qmd_dir: Path,
                                                       tmp_path: Path) -> None:
    sources = [Source(qmd_dir / "nccl.qmd", "nccl.qmd", "user"), Source(qmd_dir / "multipack.qmd", "multipack.qmd", "user")]
    index = KnowledgeIndex(IndexSettings(tmp_path / "index"), sources)    # default embedder: the real weights
    index.ensure()
    assert index.info.collection                                           # dense part built, so it embedded
    for mode in ("hybrid", "dense", "lexical"):
        assert search(index, "pack several short examples into one sequence", k=2, mode=mode)
    reopened = KnowledgeIndex(IndexSettings(tmp_path / "index"), sources)
    assert reopened.ensure() is False and search(reopened, "NCCL timeout", k=1)
    assert no_network == []


def test_the_guard_itself_works(no_network: list[str]) -> None:
    with pytest.raises(OSError):
        socket.create_connection(("example.org", 443))
    assert no_network
