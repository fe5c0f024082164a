"""Pictures of the main screens at 80x24 and 120x40. Review every changed SVG before accepting it.

Each run_before waits for the first layout (a click or key before it lands on the
wrong widget: stack survey, Gotcha D), then for every queued job, and turns the
cursor blink off so the picture is stable.
"""
from __future__ import annotations

from textual.pilot import Pilot

from assistant.tui import make_app
from assistant.tui.widgets import PromptInput

from .helpers import EXAMPLES, settle

LORA = [EXAMPLES / "lora-nan" / "train.log", EXAMPLES / "lora-nan" / "config.yaml"]
GRPO = [EXAMPLES / "grpo-truncated" / "train.log", EXAMPLES / "grpo-truncated" / "config.yaml"]


async def ready(pilot: Pilot) -> None:
    await pilot.pause()
    await settle(pilot)
    pilot.app.query_one(PromptInput).cursor_blink = False
    await pilot.pause()


class TestStart:
    def test_empty_chat_80x24(self, snap_compare) -> None:
        """The greeting, an empty findings panel and an empty chart; the prompt has the focus."""
        assert snap_compare(make_app(), terminal_size=(80, 24), run_before=ready)


class TestConsultation:
    def test_nan_run_80x24(self, snap_compare) -> None:
        """A LoRA run that goes NaN: reply, findings with bars, the first question's buttons, loss and
        grad_norm panels with the spike and the NaN marked near step 210."""
        app = make_app(LORA, "my loss goes to nan around step 210")
        assert snap_compare(app, terminal_size=(80, 24), run_before=ready)

    def test_nan_run_120x40(self, snap_compare) -> None:
        """The same at 120x40: all three panels (loss, grad_norm on a log scale, learning rate)."""
        app = make_app(LORA, "my loss goes to nan around step 210")
        assert snap_compare(app, terminal_size=(120, 40), run_before=ready)

    def test_grpo_run_120x40(self, snap_compare) -> None:
        """A GRPO run whose completions hit the cap: the RL panels, the clipped ratio marked at step 23."""
        app = make_app(GRPO, "my completions are cut off and the reward goes to zero")
        assert snap_compare(app, terminal_size=(120, 40), run_before=ready)


class TestDetails:
    def test_finding_detail_80x24(self, snap_compare) -> None:
        """The top finding opened from the panel: evidence with sources, fixes with the YAML patch."""

        async def open_top(pilot: Pilot) -> None:
            await ready(pilot)
            await pilot.press("ctrl+f", "enter")
            await pilot.pause()

        assert snap_compare(make_app(LORA, "my loss goes to nan"), terminal_size=(80, 24), run_before=open_top)

    def test_chart_full_screen_80x24(self, snap_compare) -> None:
        """Ctrl+G: the chart alone, tall enough to see the grad_norm blow-up before the NaN."""

        async def maximize(pilot: Pilot) -> None:
            await ready(pilot)
            await pilot.press("ctrl+g")
            await pilot.pause()

        assert snap_compare(make_app(LORA), terminal_size=(80, 24), run_before=maximize)
