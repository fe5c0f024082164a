"""`assistant mcp`: the assistant as an MCP server (official SDK), for coding agents and chat clients."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from assistant.cli import app
from assistant.errors import AssistantError

__all__ = ["mcp_cmd"]


@app.command("mcp")
def mcp_cmd(
    root: Optional[List[Path]] = typer.Option(None, "--root", help="A folder whose files the tools may read "
                                              "(logs, configs, run folders). Repeatable. Anything else is refused."),
    http: bool = typer.Option(False, "--http", help="Serve streamable HTTP on 127.0.0.1 instead of stdio "
                                                    "(needs TSA_MCP_TOKEN; clients send it as a bearer token)."),
    port: int = typer.Option(8765, "--port", help="Port for --http."),
) -> None:
    """Serve the tools diagnose, explain, estimate_memory, probe and search_knowledge, and the guide's sections
    as resources, over stdio (the default: what MCP clients launch) or loopback HTTP."""
    try:
        from assistant.mcp_server.server import build_server
    except ImportError as e:
        raise AssistantError(f"the MCP server needs the mcp package ({e.name}): pip install "
                             "'training-stability-assistant[mcp]'") from None
    from assistant.mcp_server.roots import Roots

    server = build_server(Roots.of(root or []))
    if http:
        from assistant.mcp_server.http import serve_http

        serve_http(server, port)
    else:
        server.run("stdio")
