"""The chat's modal screens, one per module."""
from assistant.tui.screens.explain import ExplainScreen
from assistant.tui.screens.finding import FindingScreen

__all__ = ["ExplainScreen", "FindingScreen"]
