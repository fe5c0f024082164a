"""The assistant as an MCP server (``assistant mcp``): tools, the guide as resources, file roots.

``roots`` says which files a client may make the server read; ``tools`` are the
consultations behind each tool (plain functions, JSON-able results); ``server``
wires them to the official SDK's ``MCPServer`` with input schemas; ``http``
serves it over loopback streamable HTTP behind a bearer token. Nothing here is
imported unless ``assistant mcp`` runs.
"""

__all__: list[str] = []
