"""The same index and searches against a real Chroma server (`chroma run`) on 127.0.0.1."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.retrieval.index import KnowledgeIndex, Source
from assistant.retrieval.search import search
from assistant.retrieval.settings import IndexSettings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):
    """`chroma run` (the CLI chromadb ships) on a free loopback port, stopped after the module."""
    exe = Path(sys.executable).with_name("chroma")
    exe = str(exe) if exe.exists() else shutil.which("chroma")
    if not exe:
        pytest.skip("the chroma CLI is not installed")
    port = _free_port()
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path_factory.mktemp("chroma-server")),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chroma run did not come up (exit {proc.poll()})")
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_server_mode_gives_the_same_results(chroma_server: int, minilm_index: KnowledgeIndex,
                                            qmd_sources: list[Source], tmp_path: Path) -> None:
    settings = IndexSettings(tmp_path / "index", chroma_host="127.0.0.1", chroma_port=chroma_server)
    remote = KnowledgeIndex(settings, qmd_sources, embedder=minilm_index.embedder)
    remote.ensure()
    assert remote.info.collection in remote.store.names()
    assert not (tmp_path / "index" / "chroma").exists()        # nothing embedded locally
    for query in ("how do I turn on gradient checkpointing in the yaml?", "fp16 underflow", "sample packing"):
        local = [(p.source, p.heading_path) for p in search(minilm_index, query, k=3)]
        served = [(p.source, p.heading_path) for p in search(remote, query, k=3)]
        assert served == local, query
    dense = search(remote, "activations offloaded to CPU memory", k=1, mode="dense")
    assert dense and "Offloading" in dense[0].heading_path


def test_an_unreachable_server_is_one_clear_error(tmp_path: Path) -> None:
    from assistant.errors import AssistantError
    from assistant.retrieval.store import DenseStore

    store = DenseStore(IndexSettings(tmp_path, chroma_host="127.0.0.1", chroma_port=_free_port()))
    with pytest.raises(AssistantError, match="Chroma at 127.0.0.1"):
        store.names()
