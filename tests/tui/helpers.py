"""Paths and Pilot helpers shared by the chat tests."""
from __future__ import annotations

from pathlib import Path

from assistant.tui import ChatApp

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT.parent / "shared" / "cases"
EXAMPLES = ROOT / "examples"


async def settle(pilot) -> None:
    """Wait until every queued job (reads, turns, HOW, export) has finished and been shown."""
    app: ChatApp = pilot.app
    await pilot.pause()
    for _ in range(1200):  # 60 s at most
        if not app.busy:
            break
        await pilot.pause(0.05)
    assert not app.busy, "the chat was still working after 60 s"
    await pilot.pause()


async def submit(pilot, line: str) -> None:
    """Type a line into the prompt as a person would (value set at once, then Enter)."""
    prompt = pilot.app.query_one("#prompt")
    prompt.focus()
    prompt.value = line
    await pilot.press("enter")
    await settle(pilot)
