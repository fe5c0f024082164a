"""`assistant probe` (what this machine is) and `assistant estimate` (will a config fit on it)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from assistant.cli import app
from assistant.errors import AssistantError

__all__ = ["probe_cmd", "estimate_cmd"]


@app.command("probe")
def probe_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON (assistant/probes/schema.json)."),
    save: Optional[Path] = typer.Option(None, "--save", help="Also write the JSON report to FILE; attach it to `ask` elsewhere."),
) -> None:
    """Look at this machine: GPUs, driver/CUDA/NCCL, torch, training packages, env, RAM, /dev/shm, disk, Triton cache."""
    from assistant.probes import report_json, run_probes

    report = run_probes()
    if save is not None:
        try:
            save.write_text(report_json(report), encoding="utf-8")
        except OSError as e:
            raise AssistantError(f"{save}: cannot write the report ({e.strerror or e})") from None
    if as_json:
        sys.stdout.write(report_json(report))
        return
    from assistant.probes.text import render_probe_text

    sys.stdout.write(render_probe_text(report))
    if save is not None:
        sys.stdout.write(f"saved to {save} (attach it with `ask -a {save.name}` on any machine)\n")


@app.command("estimate")
def estimate_cmd(
    config: Path = typer.Argument(..., help="The axolotl YAML config."),
    gpu_memory: Optional[float] = typer.Option(None, "--gpu-memory", help="Memory per GPU in GiB (default: free memory the probe sees here)."),
    gpus: Optional[int] = typer.Option(None, "--gpus", min=1, help="GPUs the run shards over (default: the GPUs here, else 1)."),
    params: Optional[float] = typer.Option(None, "--params", help="Parameter count when the model is unknown, e.g. 7e9."),
    as_json: bool = typer.Option(False, "--json", help="Print the estimate as JSON."),
) -> None:
    """Estimate peak GPU memory per device for CONFIG; when it does not fit, the cheapest OOM-ladder rung that does."""
    from assistant.estimate import assess, config_from_file

    memory, count, source = _memory_here() if gpu_memory is None else (gpu_memory, None, "--gpu-memory")
    result = assess(config_from_file(config), gpus=gpus or count or 1, memory_gib=memory, memory_source=source,
                    params=params)
    if as_json:
        from assistant.estimate.render import to_dict

        sys.stdout.write(json.dumps(to_dict(result), indent=2) + "\n")
    else:
        from assistant.estimate.render import render_text

        sys.stdout.write(render_text(result))


def _memory_here() -> tuple[float | None, int | None, str]:
    """(free GiB on the tightest GPU, GPU count, where that came from) from a probe of this machine."""
    from assistant.probes import run_probes

    gpu: dict[str, Any] = run_probes()["gpu"]
    free = gpu["memory_free_gib"]
    if gpu["count"] == 0 or not isinstance(free, (int, float)):
        return None, None, ""
    return float(free), gpu["count"], f"free on {gpu['names'][0]} here (probe)"
