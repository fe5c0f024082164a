"""Where the index lives and which Chroma serves it: environment, then the config file.

The config file (TOML) is `$TSA_CONFIG`, else
`~/.config/training-stability-assistant/config.toml` (XDG_CONFIG_HOME honoured):

    [retrieval]
    index_dir = "/srv/tsa-index"   # default: <data dir>/index
    chroma_host = "chroma.internal" # set to use a Chroma server instead of the embedded store
    chroma_port = 8000

    [llm]                            # read by assistant.llm.settings
    model = "gpt-4o-mini"

Environment variables win: TSA_INDEX_DIR, TSA_CHROMA_HOST, TSA_CHROMA_PORT.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.paths import data_dir

__all__ = ["config_path", "config_section", "IndexSettings"]


def config_path() -> Path:
    explicit = os.environ.get("TSA_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return Path(base) / "training-stability-assistant" / "config.toml"


def config_section(name: str) -> dict[str, Any]:
    """One table of the config file; {} when the file or table is absent."""
    path = config_path()
    if not path.is_file():
        return {}
    try:
        import tomllib  # Python 3.11+
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise AssistantError(f"{path}: {e}") from None
    section = data.get(name, {})
    return section if isinstance(section, dict) else {}


@dataclass(frozen=True)
class IndexSettings:
    index_dir: Path
    chroma_host: str | None = None
    chroma_port: int = 8000

    @classmethod
    def load(cls) -> "IndexSettings":
        cfg = config_section("retrieval")
        index_dir = os.environ.get("TSA_INDEX_DIR") or cfg.get("index_dir")
        host = os.environ.get("TSA_CHROMA_HOST") or cfg.get("chroma_host") or None
        port = os.environ.get("TSA_CHROMA_PORT") or cfg.get("chroma_port") or 8000
        try:
            port = int(port)
        except ValueError:
            raise AssistantError(f"chroma port '{port}' is not a number (TSA_CHROMA_PORT or retrieval.chroma_port)") from None
        return cls(Path(index_dir).expanduser() if index_dir else data_dir() / "index", host, port)

    @property
    def backend(self) -> str:
        """A name for the store, used to keep one pointer file per store in the index folder."""
        return f"http-{self.chroma_host}-{self.chroma_port}" if self.chroma_host else "local"
