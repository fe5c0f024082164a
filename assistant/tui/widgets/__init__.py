"""The chat's widgets, one per module."""
from assistant.tui.widgets.activity import ActivityBar
from assistant.tui.widgets.chart import MetricChart
from assistant.tui.widgets.conversation import Conversation
from assistant.tui.widgets.findings import FindingsPanel
from assistant.tui.widgets.prompt import PromptInput
from assistant.tui.widgets.question import QuestionBar

__all__ = ["ActivityBar", "Conversation", "FindingsPanel", "MetricChart", "PromptInput", "QuestionBar"]
