"""The MCP server: the assistant's tools with input schemas, and the guide's sections as resources.

Built on the official SDK's ``MCPServer``. Schemas come from the annotated
signatures below (the SDK turns them into JSON Schema); each tool's docstring is
what the client's model reads to decide when to call it. Any failure reaches the
client as a tool error of one line (a refused path says which roots exist);
nothing prints a traceback. Resources are ``knowledge://<anchor>`` (the anchors
rules cite, e.g. ``knowledge://nan-inf/common-causes``), one per guide section.
"""
from __future__ import annotations

import functools
from typing import Annotated, Any, Callable, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resources import FunctionResource
from pydantic import Field

from assistant import __version__
from assistant.errors import AssistantError
from assistant.knowledge import Section, load_sections
from assistant.mcp_server import tools
from assistant.mcp_server.roots import Roots

__all__ = ["build_server", "INSTRUCTIONS"]

INSTRUCTIONS = (
    "Training Stability Assistant: explains why an LLM fine-tuning run (axolotl, HF Trainer/TRL, DeepSpeed/FSDP; "
    "SFT, GRPO) is unstable or failing, and what to change. Call `diagnose` with the user's words and the paths of "
    "their training log, trainer_state.json, run folder or config; relay the top diagnoses with their evidence "
    "(file:line) and fixes, and ask the user the follow-up questions the report lists (answer them with `answers`). "
    "Files are readable only under the folders the server was started with (--root)."
)

F = TypeVar("F", bound=Callable[..., Any])

Files = Annotated[list[str], Field(description="Paths of evidence files or run folders (training log, "
                                               "trainer_state.json, TensorBoard/W&B folder, axolotl YAML, "
                                               "DeepSpeed JSON, traceback, probe report); under an allowed root.")]
Question = Annotated[str, Field(description="What is wrong, in the user's words (may be empty).")]
Answers = Annotated[dict[str, str], Field(description="Answers to the report's follow-up questions: "
                                                      "{fact: choice}, e.g. {\"which_nan_first\": \"grad_norm\"}.")]


def _guarded(fn: F) -> F:
    """A failure becomes a one-line tool error for the client."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AssistantError as e:
            raise ToolError(str(e)) from None
        except Exception as e:  # noqa: BLE001 - the client gets one line, never a traceback
            raise ToolError(f"internal error: {type(e).__name__}: {e}") from None

    return wrapper  # type: ignore[return-value]


def build_server(roots: Roots) -> MCPServer:
    """The server, with its tools bound to ``roots``."""
    server: MCPServer = MCPServer("training-stability-assistant", version=__version__, instructions=INSTRUCTIONS,
                                  log_level="WARNING")

    @server.tool()
    @_guarded
    def diagnose(question: Question = "", files: Files = [], answers: Answers = {}) -> dict[str, Any]:  # noqa: B006
        """Diagnose a fine-tuning run: ranked causes with evidence (file:line), fixes (config patches), guide
        sections, and the follow-up questions worth asking. The same JSON report as `ask --json`."""
        return tools.diagnose(roots, question, files, answers)

    @server.tool()
    @_guarded
    def explain(question: Question = "", files: Files = [], answers: Answers = {},  # noqa: B006
                how: Annotated[list[str], Field(description="Diagnosis ids to explain (default: all).")] = [],  # noqa: B006
                why: Annotated[list[str], Field(description="Question facts to explain (default: all).")] = [],  # noqa: B006
                ) -> str:
        """HOW each diagnosis was reached (the rules and the facts they rested on) and WHY each follow-up
        question is asked (which conclusions its answer decides)."""
        return tools.explain(roots, question, files, answers, how, why)

    @server.tool()
    @_guarded
    def estimate_memory(
        config: Annotated[str, Field(description="Path of the axolotl YAML config (under an allowed root).")],
        gpu_memory_gib: Annotated[float | None, Field(description="Memory per GPU in GiB, for a fits/does-not-fit "
                                                                  "verdict.", gt=0)] = None,
        gpus: Annotated[int, Field(description="GPUs the run shards over.", ge=1)] = 1,
        params: Annotated[float | None, Field(description="Parameter count when the model is unknown, e.g. 7e9.",
                                              gt=0)] = None,
    ) -> dict[str, Any]:
        """Estimate peak GPU memory per device for a config (weights, gradients, optimizer, activations) and,
        when it does not fit, the cheapest rung of the OOM ladder that does."""
        return tools.estimate_memory(roots, config, gpu_memory_gib, gpus, params)

    @server.tool()
    @_guarded
    def probe() -> dict[str, Any]:
        """Describe the machine this server runs on: GPUs, driver/CUDA/NCCL, torch, training packages, RAM,
        /dev/shm, disk. Useful only when the server runs on the training host."""
        return tools.probe()

    @server.tool()
    @_guarded
    def search_knowledge(
        query: Annotated[str, Field(description="What to look for, e.g. 'frac_reward_zero_std' or 'loss spikes'.")],
        k: Annotated[int, Field(description="How many passages.", ge=1, le=50)] = 5,
    ) -> list[dict[str, Any]]:
        """Search the training-stability guide (and the user's registered docs): section, source, score,
        snippet per passage. Read a whole section as the resource knowledge://<anchor>."""
        return tools.search_knowledge(query, k)

    for section in load_sections():
        server.add_resource(FunctionResource.from_function(
            fn=_reader(section), uri=f"knowledge://{section.anchor}", name=section.anchor,
            title=section.heading_path, description=section.snippet(160), mime_type="text/markdown"))
    return server


def _reader(section: Section) -> Callable[[], str]:
    def read() -> str:
        return f"# {section.heading_path}\n\n_{section.doc}_\n\n{section.text}\n"

    return read
