"""Axolotl YAML configs (and a W&B run's ``config.yaml``, which wraps each key as ``{value: v}``).

Every key becomes ``config.<key>``, nested mappings flattened with dots
(``config.trl.num_generations``) and also kept whole under their own name
(``config.trl``), so a rule can test either; the normalisation and the derived facts
(``config.precision``, ``config.deepspeed.*``, ``config.attn_implementation``, ``run.kind``) are
``_config_facts``'s, shared with every other config reader. The source of each fact is the
key's ``file:line``.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from assistant.errors import InputError
from assistant.evidence import Progress, Reader, register
from assistant.evidence._config_facts import KNOWN_KEYS, ConfigEntry, config_entries, config_facts, yaml_top_keys
from assistant.evidence._config_names import lookup
from assistant.evidence._input import CONFIG_LIMIT
from assistant.evidence._structured import compose_yaml
from assistant.evidence.series import Reading

__all__ = ["AxolotlConfigReader", "KNOWN_KEYS"]


@register
class AxolotlConfigReader(Reader):
    name = "axolotl_config"
    kind = "axolotl_config"
    max_bytes = CONFIG_LIMIT

    def sniff(self, head: bytes, path: Path) -> bool:
        keys = yaml_top_keys(head)
        if keys is None:
            return False
        return bool({"_wandb", "wandb_version"} & keys or keys & KNOWN_KEYS)

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        text = self.whole_text(path, progress)
        node = compose_yaml(text, str(path))
        reading = Reading(str(path), self.kind)
        if node is None:
            reading.warnings.append(f"{path.name}: empty YAML document")
            return reading
        if not isinstance(node, yaml.MappingNode):
            raise InputError(str(path), "YAML is not a mapping of config keys")
        entries = config_entries(node, path)
        if any(e.key in ("_wandb", "wandb_version") for e in entries):
            entries = _unwrap_wandb(entries)
        reading.facts.extend(config_facts(entries, path, reading.warnings))
        return reading


def _unwrap_wandb(entries: list[ConfigEntry]) -> list[ConfigEntry]:
    """W&B's config.yaml holds `key: {value: v}`; keep the keys axolotl knows, by axolotl name."""
    out = []
    for e in entries:
        top, _, rest = e.key.partition(".")
        if rest != "value" and not rest.startswith("value."):
            continue
        name = lookup(top, ("hf",)) or top
        if name not in KNOWN_KEYS:
            continue
        inner = rest[len("value"):].lstrip(".")
        out.append(ConfigEntry(f"{name}.{inner}" if inner else name, e.value, e.line))
    return out


