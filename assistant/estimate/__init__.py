"""The memory estimator: will this config fit on these GPUs, and if not, which OOM-ladder rung makes it fit.

``assess(config, gpus=, memory_gib=)`` -> ``Assessment`` (breakdown, verdict,
ladder); ``config_from_file(path)`` reads an axolotl YAML through the
project's config reader; ``estimate_facts`` turns an assessment into the
``estimate.*`` and ``model.*`` facts the rules read. The accounting is in
``memory.py``'s docstring; docs/estimate.md has the sources.
"""
from __future__ import annotations

from assistant.estimate.assess import Assessment, assess, config_from_facts, config_from_file
from assistant.estimate.facts import estimate_facts
from assistant.estimate.model import UnknownModel

__all__ = ["Assessment", "assess", "config_from_facts", "config_from_file", "estimate_facts", "UnknownModel"]
