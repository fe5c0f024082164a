"""Model dimensions: config.json on disk (local or the Hugging Face cache), the built-in table, a parameter count."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.estimate.model import UnknownModel, from_table, hub_cache_dir, resolve_model

LLAMA3_8B = {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
             "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256, "tie_word_embeddings": False}


@pytest.mark.parametrize(("name", "key", "published"), [
    ("meta-llama/Llama-2-7b-hf", "llama-2-7b", 6.74e9),            # Llama 2 paper, 7B
    ("lmsys/vicuna-7b-v1.5", "llama-2-7b", 6.74e9),                # a Llama-2-7B fine-tune
    ("meta-llama/Llama-2-13b-chat-hf", "llama-2-13b", 13.02e9),
    ("meta-llama/Meta-Llama-3.1-8B-Instruct", "llama-3-8b", 8.03e9),  # model card: 8.03B
    ("meta-llama/Llama-3.3-70B-Instruct", "llama-3-70b", 70.55e9),
    ("meta-llama/Llama-3.2-1B", "llama-3.2-1b", 1.24e9),
    ("meta-llama/Llama-3.2-3B-Instruct", "llama-3.2-3b", 3.21e9),
    ("mistralai/Mistral-7B-Instruct-v0.2", "mistral-7b", 7.24e9),
    ("Qwen/Qwen2.5-0.5B-Instruct", "qwen2.5-0.5b", 0.494e9),       # Qwen2.5 model cards
    ("Qwen/Qwen2.5-1.5B", "qwen2.5-1.5b", 1.54e9),
    ("Qwen/Qwen2-7B-Instruct", "qwen2.5-7b", 7.61e9),
    ("Qwen/Qwen2.5-14B", "qwen2.5-14b", 14.7e9),
    ("Qwen/Qwen2.5-32B-Instruct", "qwen2.5-32b", 32.5e9),
    ("Qwen/Qwen3-8B", "qwen3-8b", 8.2e9),
    ("google/gemma-2-9b-it", "gemma-2-9b", 9.24e9),
    ("google/gemma-3-4b-it", "gemma-3-4b", 3.88e9),                 # text tower (4.3B with vision)
    ("microsoft/Phi-3-mini-4k-instruct", "phi-3-mini", 3.82e9),
    ("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "tinyllama-1.1b", 1.1e9),
])
def test_table_matches_names_and_published_sizes(name: str, key: str, published: float) -> None:
    dims = from_table(name)
    assert dims is not None and dims.name == key
    assert dims.params == pytest.approx(published, rel=0.02)


def test_fragments_do_not_overmatch() -> None:
    assert from_table("meta-llama/Llama-3.2-11B-Vision") is None, "1b must not match 11b"
    assert from_table("Qwen/Qwen2.5-72B") is None
    assert from_table("some-org/my-model") is None


def test_config_json_in_a_local_directory(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(LLAMA3_8B))
    dims = resolve_model(str(tmp_path))
    assert dims.source.startswith("config.json") and dims.kv_heads == 8 and not dims.tied
    assert dims.params == pytest.approx(8.03e9, rel=0.001)


def test_config_json_in_the_hub_cache(tmp_path: Path) -> None:
    """HF_HOME is respected; refs/main names the snapshot; nothing is downloaded."""
    env = {"HF_HOME": str(tmp_path / "hf")}
    repo = tmp_path / "hf" / "hub" / "models--acme--mystery-9b"
    for rev, layers in (("aaaa", 12), ("bbbb", 40)):
        (repo / "snapshots" / rev).mkdir(parents=True)
        (repo / "snapshots" / rev / "config.json").write_text(json.dumps({**LLAMA3_8B, "num_hidden_layers": layers}))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("bbbb")
    assert hub_cache_dir(env) == tmp_path / "hf" / "hub"
    assert resolve_model("acme/mystery-9b", environ=env).layers == 40
    assert hub_cache_dir({"HF_HUB_CACHE": "/c"}) == Path("/c")


def test_multimodal_config_uses_the_text_tower(tmp_path: Path) -> None:
    cfg = {"model_type": "gemma3", "text_config": {"hidden_size": 2560, "num_hidden_layers": 34, "num_attention_heads": 8,
                                                   "num_key_value_heads": 4, "head_dim": 256, "intermediate_size": 10240,
                                                   "vocab_size": 262208},
           "vision_config": {"hidden_size": 1152}}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    dims = resolve_model(str(tmp_path))
    assert dims.head_dim == 256 and dims.tied, "transformers ties embeddings unless told otherwise"
    assert dims.params == pytest.approx(3.88e9, rel=0.01)


def test_unknown_model_asks_for_the_parameter_count() -> None:
    with pytest.raises(UnknownModel, match=r"give its parameter count, e.g. --params 7e9"):
        resolve_model("acme/mystery")
    dims = resolve_model("acme/mystery", params=7e9)
    assert dims.params == pytest.approx(7e9) and "--params" in dims.source


def test_unreadable_config_json_falls_back_to_the_table(tmp_path: Path) -> None:
    folder = tmp_path / "Llama-2-7b-hf"
    folder.mkdir()
    (folder / "config.json").write_text("{not json")
    assert resolve_model(str(folder)).name == "llama-2-7b"


@pytest.mark.parametrize("name", ["ll" + "x" * 5000 + "ama-2 7b", "llama\x00-7b", "~no-such-user-xyz/llama-2-7b"])
def test_a_name_no_file_system_takes_falls_back_to_the_table(name: str) -> None:
    """A model name too long for a path, holding a NUL, or naming an unknown home (from a fuzzed config):
    not a path, so the built-in table or UnknownModel decides; never an OSError (found by fuzzing consult)."""
    try:
        resolve_model(name, params=7e9)
    except UnknownModel:
        pass
