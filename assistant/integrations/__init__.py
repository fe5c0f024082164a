"""Hooks into training frameworks: a transformers ``TrainerCallback`` (``hf``) and an axolotl plugin
(``axolotl``). Each imports its framework when imported itself; nothing here is imported by ``ask``."""

__all__: list[str] = []
