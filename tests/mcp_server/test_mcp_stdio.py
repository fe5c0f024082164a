"""`assistant mcp` over stdio, driven by the official SDK's own client, as an agent would."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("mcp")

from mcp import Client, StdioServerParameters  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CASE = "001-llava-lora-loss-spikes"
TOOLS = {"diagnose", "explain", "estimate_memory", "probe", "search_knowledge"}


def server(*roots: Path) -> StdioServerParameters:
    args = ["mcp"] + [a for r in roots for a in ("--root", str(r))]
    return StdioServerParameters(command=str(BIN / "assistant"), args=args, cwd=str(ROOT))


def ask_json(*args: str) -> dict[str, Any]:
    proc = subprocess.run([str(BIN / "ask"), "--no-probe", "--json", *args], capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(proc.stdout)


def payload(result: Any) -> Any:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


def test_tools_diagnose_like_ask_and_refuse_files_outside_the_roots(shared: Path) -> None:
    case = shared / "cases" / CASE
    question = (case / "question.txt").read_text().strip()
    expected = ask_json("-a", str(case / "log.txt"), question)

    async def session() -> dict[str, Any]:
        async with Client(server(case, ROOT / "examples")) as client:
            listed = (await client.list_tools()).tools
            diagnosed = await client.call_tool("diagnose", {"question": question, "files": [str(case / "log.txt")]})
            outside = await client.call_tool("diagnose", {"files": [str(shared / "cases" / "011-gemma-sft-intermittent-nan"
                                                                        / "log.txt")]})
            escape = await client.call_tool("diagnose", {"files": ["../011-gemma-sft-intermittent-nan/log.txt"]})
            estimate = await client.call_tool("estimate_memory", {"config": str(ROOT / "examples/lora-nan/config.yaml"),
                                                                  "gpu_memory_gib": 24})
            explained = await client.call_tool("explain", {"files": ["log.txt"], "question": question})
            return {"tools": listed, "diagnosed": diagnosed, "outside": outside, "escape": escape,
                    "estimate": estimate, "explained": explained}

    got = anyio.run(session)
    tools = {t.name: t for t in got["tools"]}
    assert set(tools) == TOOLS
    assert set(tools["diagnose"].input_schema["properties"]) == {"question", "files", "answers"}
    assert tools["estimate_memory"].input_schema["required"] == ["config"]
    assert all(t.description for t in got["tools"])

    report = payload(got["diagnosed"])
    assert report["diagnoses"] and report["diagnoses"][0]["id"] == expected["diagnoses"][0]["id"]
    assert [d["id"] for d in report["diagnoses"]] == [d["id"] for d in expected["diagnoses"]]

    for refused in (got["outside"], got["escape"]):
        assert refused.is_error
        text = refused.content[0].text
        assert "outside the folders this server may read" in text and "--root" in text and "Traceback" not in text

    assert payload(got["estimate"])["model"]["name"]
    assert not got["explained"].is_error and "HOW " in got["explained"].content[0].text


def test_the_guide_sections_are_resources() -> None:
    async def session() -> tuple[Any, Any]:
        async with Client(server()) as client:
            listed = (await client.list_resources()).resources
            text = await client.read_resource("knowledge://nan-inf/common-causes")
            return listed, text

    listed, text = anyio.run(session)
    uris = {str(r.uri) for r in listed}
    assert "knowledge://nan-inf/common-causes" in uris and len(uris) > 50
    assert all(r.mime_type == "text/markdown" for r in listed)
    assert "Common Causes" in text.contents[0].text


def test_without_roots_no_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "train.log").write_text("{'loss': 'nan', 'grad_norm': 'nan', 'learning_rate': '1e-05', 'epoch': '0.1'}\n")

    async def session() -> Any:
        async with Client(server()) as client:
            return await client.call_tool("diagnose", {"files": [str(tmp_path / "train.log")]})

    result = anyio.run(session)
    assert result.is_error and "started without --root" in result.content[0].text
