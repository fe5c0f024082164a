"""Model dimensions: from config.json on disk, else the built-in table, else a parameter count.

Never downloads. config.json is looked for at ``base_model`` (or
``base_model_config``) as a local directory, then in the Hugging Face cache
(``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else ``~/.cache/huggingface/hub``)
under ``models--<org>--<name>/snapshots/<revision>/``. With only a parameter
count, the shape of the table model closest in size stands in for the
activations and the count scales the weights.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from assistant.errors import AssistantError
from assistant.estimate._table import TABLE, Shape

__all__ = ["ModelDims", "resolve_model", "from_config_json", "from_table", "hub_cache_dir", "UnknownModel"]

# Families whose MLP is two matrices (up, down) rather than gated (gate, up, down).
_UNGATED = {"gpt2", "gpt_neox", "gptj", "falcon", "phi", "bloom", "opt", "mpt", "starcoder2", "gpt_bigcode"}
_CONFIG_LIMIT = 1024 * 1024


class UnknownModel(AssistantError):
    """No config.json on disk and no table entry: the caller must give a parameter count."""


@dataclass(frozen=True)
class ModelDims:
    """A decoder-only transformer's shape; parameter counts follow from it."""

    name: str
    source: str
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    tied: bool = False
    gated: bool = True
    experts: int = 1
    params_override: float | None = None  # a count the user gave; scales the computed ones

    @property
    def q_dim(self) -> int:
        return self.heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.head_dim

    def linear_shapes(self) -> dict[str, tuple[int, int]]:
        """(in, out) of each linear layer in one decoder block, by its usual module name."""
        shapes = {"q_proj": (self.hidden, self.q_dim), "k_proj": (self.hidden, self.kv_dim),
                  "v_proj": (self.hidden, self.kv_dim), "o_proj": (self.q_dim, self.hidden),
                  "up_proj": (self.hidden, self.intermediate), "down_proj": (self.intermediate, self.hidden)}
        if self.gated:
            shapes["gate_proj"] = (self.hidden, self.intermediate)
        return shapes

    @property
    def _scale(self) -> float:
        computed = self._linear() + self._other()
        return self.params_override / computed if self.params_override else 1.0

    def _linear(self) -> float:
        mlp = {"up_proj", "down_proj", "gate_proj"}
        per_layer = sum(i * o * (self.experts if name in mlp else 1) for name, (i, o) in self.linear_shapes().items())
        return float(per_layer * self.layers)

    def _other(self) -> float:
        embeddings = self.vocab * self.hidden * (1 if self.tied else 2)
        return float(embeddings + (2 * self.layers + 1) * self.hidden)  # + RMSNorm weights

    @property
    def linear_params(self) -> float:
        """Parameters of the decoder blocks' linear layers: what 4-/8-bit loading quantises."""
        return self._linear() * self._scale

    @property
    def other_params(self) -> float:
        """Embeddings, LM head and norms: kept in 16-bit even when the model is quantised."""
        return self._other() * self._scale

    @property
    def params(self) -> float:
        return self.linear_params + self.other_params


def from_table(base_model: str) -> ModelDims | None:
    """The first table shape whose pattern the lower-cased name matches."""
    name = base_model.lower()
    shape = next((s for s in TABLE if re.search(s.pattern, name)), None)
    return _from_shape(shape, f"built-in table ({shape.key})") if shape else None


def _from_shape(s: Shape, source: str) -> ModelDims:
    return ModelDims(name=s.key, source=source, hidden=s.hidden, layers=s.layers, heads=s.heads,
                     kv_heads=s.kv_heads, head_dim=s.head_dim or s.hidden // s.heads,
                     intermediate=s.intermediate, vocab=s.vocab, tied=s.tied)


def from_config_json(path: Path) -> ModelDims | None:
    """Dimensions from a Hugging Face config.json; None when it is unreadable or not a decoder LM."""
    try:
        if path.stat().st_size > _CONFIG_LIMIT:
            return None
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(cfg, dict):
        return None
    text = cfg.get("text_config") if isinstance(cfg.get("text_config"), dict) else cfg  # multimodal wrappers

    def pick(*keys: str, default: Any = None) -> Any:
        return next((text[k] for k in keys if isinstance(text.get(k), int) and not isinstance(text[k], bool)),
                    default)

    hidden, layers, heads = pick("hidden_size", "n_embd", "d_model"), pick("num_hidden_layers", "n_layer"), \
        pick("num_attention_heads", "n_head")
    vocab = pick("vocab_size", default=cfg.get("vocab_size"))
    if not all(isinstance(v, int) and v > 0 for v in (hidden, layers, heads, vocab)):
        return None
    model_type = str(text.get("model_type") or cfg.get("model_type") or "")
    tied = text.get("tie_word_embeddings", cfg.get("tie_word_embeddings", True))  # transformers' default is tied
    return ModelDims(
        name=model_type or path.parent.name, source=f"config.json ({path})", hidden=hidden, layers=layers,
        heads=heads, kv_heads=pick("num_key_value_heads", default=heads),
        head_dim=pick("head_dim", default=hidden // heads),
        intermediate=pick("moe_intermediate_size", "intermediate_size", "n_inner", "ffn_dim", default=4 * hidden),
        vocab=vocab, tied=bool(tied), gated=model_type not in _UNGATED,
        experts=pick("num_local_experts", "num_experts", "n_routed_experts", default=1),
    )


def hub_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where huggingface_hub keeps downloads, by its own rules."""
    env = os.environ if environ is None else environ
    if env.get("HF_HUB_CACHE"):
        return Path(env["HF_HUB_CACHE"])
    if env.get("HF_HOME"):
        return Path(env["HF_HOME"]) / "hub"
    xdg = env.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "huggingface" / "hub"


def _cached_config(repo: str, environ: Mapping[str, str] | None) -> Path | None:
    """config.json of ``org/name`` in the hub cache: the revision refs/main names, else the newest."""
    if repo.count("/") != 1:
        return None
    folder = hub_cache_dir(environ) / f"models--{repo.replace('/', '--')}"
    try:
        main = (folder / "refs" / "main").read_text().strip()
    except OSError:
        main = ""
    if main and (folder / "snapshots" / main / "config.json").is_file():
        return folder / "snapshots" / main / "config.json"
    found = sorted(folder.glob("snapshots/*/config.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    return found[0] if found else None


def resolve_model(base_model: str | None, base_model_config: str | None = None, params: float | None = None,
                  environ: Mapping[str, str] | None = None) -> ModelDims:
    """The model's dimensions by the first source that knows them; UnknownModel when none does."""
    for name in filter(None, (base_model_config, base_model)):
        try:
            local = Path(name).expanduser()
            config = local / "config.json" if local.is_dir() else _cached_config(name, environ)
            dims = from_config_json(config) if config is not None and config.is_file() else None
        except (OSError, ValueError, RuntimeError):  # a name no file system takes (too long, a NUL, ~nobody)
            dims = None
        if dims is not None:
            return replace(dims, params_override=params) if params else dims
    dims = from_table(base_model) if base_model else None
    if dims is not None:
        return replace(dims, params_override=params) if params else dims
    if params:
        template = min((_from_shape(s, "") for s in TABLE), key=lambda d: abs(d.params - params))
        return replace(template, name=base_model or "model", params_override=params,
                       source=f"--params {params:.3g} (activations shaped like {template.name})")
    raise UnknownModel(f"model {base_model or '(no base_model)'!r}: no config.json on disk and not in the built-in "
                       "table; give its parameter count, e.g. --params 7e9")
