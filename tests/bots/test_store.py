"""Consultations across turns: expiry, deletion, the LRU bound, and the bounded attachment folder."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.bots.settings import BotSettings
from assistant.bots.store import ConsultationStore, safe_filename
from assistant.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
LOG = (ROOT / "examples/lora-nan/train.log").read_bytes()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_store(tmp_path: Path, clock: Clock, **settings) -> ConsultationStore:
    return ConsultationStore(BotSettings(storage_dir=tmp_path / "store", **settings), clock=clock)


def files(store: ConsultationStore) -> list[Path]:
    return sorted(p for p in store.root.rglob("*") if p.is_file())


def test_consultation_expires_after_the_ttl_with_its_attachments(tmp_path, clock):
    store = make_store(tmp_path, clock, consultation_ttl_s=60)
    s = store.get_or_create("a")
    store.attach(s, "train.log", [LOG])
    clock.now += 59
    assert store.get("a") is s  # touching it renews the TTL
    clock.now += 59
    assert store.get("a") is s
    clock.now += 61
    assert store.get("a") is None
    assert files(store) == []


def test_concurrent_first_messages_share_one_consultation(tmp_path, clock):
    from concurrent.futures import ThreadPoolExecutor

    store = make_store(tmp_path, clock)
    with ThreadPoolExecutor(8) as pool:
        sessions = list(pool.map(lambda _: store.get_or_create("thread"), range(64)))
    assert len({id(s) for s in sessions}) == 1 and len(store) == 1


def test_delete(tmp_path, clock):
    store = make_store(tmp_path, clock)
    store.attach(store.get_or_create("a"), "train.log", [LOG])
    assert store.delete("a") and not store.delete("a")
    assert files(store) == [] and store.get("a") is None


def test_least_recently_used_consultation_goes_first(tmp_path, clock):
    store = make_store(tmp_path, clock, max_consultations=2)
    store.get_or_create("a")
    clock.now += 1
    store.get_or_create("b")
    clock.now += 1
    store.get("a")
    store.get_or_create("c")
    assert store.get("b") is None and store.get("a") is not None and len(store) == 2


def test_total_size_is_bounded_by_evicting_the_oldest_files(tmp_path, clock):
    store = make_store(tmp_path, clock, storage_max_bytes=int(len(LOG) * 2.5))
    sessions = [store.get_or_create(k) for k in "abcd"]
    for i, s in enumerate(sessions):
        store.attach(s, "train.log", [LOG])
        for p in s.folder.rglob("*"):  # file age follows upload order, whatever the timestamp resolution
            os.utime(p, (i, i))
    kept = files(store)
    assert sum(p.stat().st_size for p in kept) <= len(LOG) * 2.5
    assert [p.parent.parent for p in kept] == sorted([sessions[2].folder, sessions[3].folder])
    assert sessions[0].report().diagnoses  # a consultation keeps what it already read


def test_attachment_limits_and_messages(tmp_path, clock):
    store = make_store(tmp_path, clock, attachment_max_bytes=1000, max_attachments=1)
    s = store.get_or_create("a")
    with pytest.raises(InputError, match=r"^big\.log: too large \(the limit is 1000 bytes\)"):
        store.attach(s, "big.log", [b"x" * 600, b"x" * 600])
    with pytest.raises(InputError, match=r"^x\.bin: binary file"):
        store.attach(s, "x.bin", [b"\x00\x01"])
    assert files(store) == []  # refused uploads are not kept
    store.attach(s, "a.log", [b"{'loss': 1.0, 'epoch': 0.1}\n"])
    with pytest.raises(InputError, match="already has 1 attachments"):
        store.attach(s, "b.log", [b"{'loss': 1.0, 'epoch': 0.1}\n"])


def test_report_names_the_upload_not_the_storage_path(tmp_path, clock):
    store = make_store(tmp_path, clock)
    s = store.get_or_create("a")
    assert [i.path for i in store.attach(s, "train.log", [LOG])] == ["train.log"]
    assert str(store.root) not in repr(s.report().to_dict())


@pytest.mark.parametrize("name,safe", [("train.log", "train.log"), ("../../etc/passwd", "passwd"),
                                       ("..\\..\\boot.ini", "boot.ini"), ("a b;rm -rf.log", "a_b_rm_-rf.log"),
                                       ("...", "attachment"), ("", "attachment")])
def test_safe_filename(name, safe):
    assert safe_filename(name) == safe


def test_stale_folders_of_an_earlier_process_are_removed(tmp_path, clock):
    stale = tmp_path / "store" / "old"
    stale.mkdir(parents=True)
    (stale / "f").write_text("x")
    os.utime(stale, (0, 0))
    make_store(tmp_path, clock, consultation_ttl_s=60)
    assert not stale.exists()


def test_a_store_opened_again_on_the_same_files_restores_a_consultation(tmp_path, clock):
    """What a restart does: the consultation is rebuilt from the state file, its upload read again."""
    first = make_store(tmp_path, clock)
    s = first.get_or_create("thread")
    s.add_words("my loss goes to nan around step 210")
    first.attach(s, "train.log", [LOG])
    s.answer("spike_batch_specific", "yes")
    before = s.report().to_dict()
    again = make_store(tmp_path, clock).get("thread")
    assert again is not None and again is not s
    assert again.report().to_dict() == before


def test_two_stores_on_one_file_see_each_others_changes(tmp_path, clock):
    a, b = make_store(tmp_path, clock), make_store(tmp_path, clock)
    sa = a.get_or_create("thread")
    sb = b.get("thread")
    sb.add_words("loss nan")
    a.attach(sa, "train.log", [LOG])  # A replays B's words before adding its upload
    sb = b.get("thread")
    assert sa.consultation.question == sb.consultation.question == "loss nan"
    assert [p.name for p in sb.consultation.attachments] == ["train.log"]
    assert b.delete("thread") and a.get("thread") is None


def test_the_in_memory_copies_are_bounded_and_rebuilt(tmp_path, clock):
    store = make_store(tmp_path, clock, sessions_in_memory=2)
    for key in "abc":
        store.get_or_create(key).add_words(f"words of {key}")
    assert len(store._sessions) == 2 and len(store) == 3
    assert store.get("a").consultation.question == "words of a"  # rebuilt from the state file
