"""Built-in shapes of common architectures, used when the model's config.json is not on disk.

Values are copied from each model's published config.json (hidden_size,
num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim,
intermediate_size, vocab_size, tie_word_embeddings). Patterns are matched
against the lower-cased ``base_model`` in order, so specific ones come first;
``\\b`` keeps "1b" from matching "11b".
"""
from __future__ import annotations

from typing import NamedTuple

__all__ = ["Shape", "TABLE"]


class Shape(NamedTuple):
    key: str
    pattern: str
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    tied: bool
    head_dim: int | None = None  # None: hidden // heads


TABLE: tuple[Shape, ...] = (
    Shape("llama-3.2-1b", r"llama-?3\.2\D.*\b1b\b", 2048, 16, 32, 8, 8192, 128256, True),
    Shape("llama-3.2-3b", r"llama-?3\.2\D.*\b3b\b", 3072, 28, 24, 8, 8192, 128256, True),
    Shape("llama-3-70b", r"llama-?3(\.\d)?\D.*\b70b\b", 8192, 80, 64, 8, 28672, 128256, False),
    Shape("llama-3-8b", r"llama-?3(\.\d)?\D.*\b8b\b", 4096, 32, 32, 8, 14336, 128256, False),
    Shape("tinyllama-1.1b", r"tinyllama", 2048, 22, 32, 4, 5632, 32000, False),
    Shape("llama-2-70b", r"(llama|vicuna)-?2\D.*\b70b\b", 8192, 80, 64, 8, 28672, 32000, False),
    Shape("llama-65b", r"(llama|vicuna|alpaca|guanaco).*\b65b\b", 8192, 80, 64, 64, 22016, 32000, False),
    Shape("llama-30b", r"(llama|vicuna|alpaca|guanaco).*\b3[03]b\b", 6656, 60, 52, 52, 17920, 32000, False),
    Shape("llama-2-13b", r"(llama|vicuna).*\b13b\b", 5120, 40, 40, 40, 13824, 32000, False),
    Shape("llama-2-7b", r"(llama|vicuna).*\b7b\b", 4096, 32, 32, 32, 11008, 32000, False),
    Shape("mistral-7b", r"mistral.*\b7b\b", 4096, 32, 32, 8, 14336, 32000, False),
    Shape("qwen2.5-0.5b", r"qwen2(\.5)?\D.*\b0\.5b\b", 896, 24, 14, 2, 4864, 151936, True),
    Shape("qwen2.5-1.5b", r"qwen2(\.5)?\D.*\b1\.5b\b", 1536, 28, 12, 2, 8960, 151936, True),
    Shape("qwen2.5-7b", r"qwen2(\.5)?\D.*\b7b\b", 3584, 28, 28, 4, 18944, 152064, False),
    Shape("qwen2.5-14b", r"qwen2(\.5)?\D.*\b14b\b", 5120, 48, 40, 8, 13824, 152064, False),
    Shape("qwen2.5-32b", r"qwen2(\.5)?\D.*\b32b\b", 5120, 64, 40, 8, 27648, 152064, False),
    Shape("qwen3-8b", r"qwen3\D.*\b8b\b", 4096, 36, 32, 8, 12288, 151936, False, 128),
    Shape("gemma-2-2b", r"gemma-?2\D.*\b2b\b", 2304, 26, 8, 4, 9216, 256000, True, 256),
    Shape("gemma-2-9b", r"gemma-?2\D.*\b9b\b", 3584, 42, 16, 8, 14336, 256000, True, 256),
    Shape("gemma-2-27b", r"gemma-?2\D.*\b27b\b", 4608, 46, 32, 16, 36864, 256000, True, 128),
    Shape("gemma-3-1b", r"gemma-?3\D.*\b1b\b", 1152, 26, 4, 1, 6912, 262144, True, 256),
    Shape("gemma-3-4b", r"gemma-?3\D.*\b4b\b", 2560, 34, 8, 4, 10240, 262208, True, 256),
    Shape("gemma-3-12b", r"gemma-?3\D.*\b12b\b", 3840, 48, 16, 8, 15360, 262208, True, 256),
    Shape("gemma-3-27b", r"gemma-?3\D.*\b27b\b", 5376, 62, 32, 16, 21504, 262208, True, 128),
    Shape("phi-3-mini", r"phi-?3(\.5)?\D.*mini", 3072, 32, 32, 32, 8192, 32064, False),
)
