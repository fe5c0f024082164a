"""One diagnosis in full: evidence with sources, fixes with the config patch (copyable), guide sections."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown

from assistant.render.markdown import patch_yaml, render_diagnosis
from assistant.report import Diagnosis

__all__ = ["FindingScreen", "merged_patch"]


def merged_patch(d: Diagnosis) -> dict:
    """Every fix's config patch in one mapping (the first fix wins a key), ready to paste."""
    out: dict = {}
    for f in d.fixes:
        for k, v in (f.config_patch or {}).items():
            out.setdefault(k, v)
    return out


class FindingScreen(ModalScreen[str | None]):
    """Dismisses with the id when the user asks HOW, so the app can show the reasoning."""

    DEFAULT_CSS = """
    FindingScreen { align: center middle; }
    FindingScreen VerticalScroll { width: 90%; height: 90%; border: round $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q", "dismiss(None)", "Close"),
        Binding("c", "copy_patch", "Copy patch"),
        Binding("h", "how", "How"),
    ]

    def __init__(self, diagnosis: Diagnosis) -> None:
        super().__init__()
        self.diagnosis = diagnosis

    def compose(self) -> ComposeResult:
        with VerticalScroll() as body:
            body.border_title = f"{self.diagnosis.id} · {self.diagnosis.certainty:.2f} · {self.diagnosis.severity}"
            yield Markdown(render_diagnosis(self.diagnosis, "##"))
        yield Footer()

    def action_copy_patch(self) -> None:
        patch = merged_patch(self.diagnosis)
        if not patch:
            self.notify("This diagnosis has no config patch.", severity="warning")
            return
        self.app.copy_to_clipboard(patch_yaml(patch) + "\n")
        self.notify("Config patch copied to the clipboard.", title="Copied")

    def action_how(self) -> None:
        self.dismiss(self.diagnosis.id)
