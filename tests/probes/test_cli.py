"""`assistant probe` on this GPU-less machine, and a saved report attached to `ask --json`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from assistant.engine.facts import thaw
from assistant.probes import probe_facts, report_json, run_probes
from tests.probes.conftest import no_smi
from tests.probes.fakes import fake_pynvml, two_gpus
from tests.probes.test_report import valid

BIN = Path(sys.executable).parent


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True, timeout=120)


def test_probe_prints_a_useful_report_here() -> None:
    done = run("assistant", "probe")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "GPUs: no GPU found on this machine" in out
    assert "RAM " in out and " CPUs" in out and "/dev/shm " in out and "disk: " in out
    assert "notes:" in out and "nvml:" in out


def test_probe_json_and_save(tmp_path: Path) -> None:
    saved = tmp_path / "host.json"
    done = run("assistant", "probe", "--json", "--save", str(saved))
    assert done.returncode == 0, done.stderr
    printed = valid(json.loads(done.stdout))
    assert json.loads(saved.read_text())["host"] == printed["host"]


def test_save_to_an_unwritable_place_is_one_line(tmp_path: Path) -> None:
    done = run("assistant", "probe", "--save", str(tmp_path / "missing" / "host.json"))
    assert done.returncode == 2 and done.stderr.strip().endswith("cannot write the report (No such file or directory)")


def test_saved_report_attached_to_ask_gives_the_in_process_facts(use_nvml, tmp_path: Path, monkeypatch) -> None:
    """Probe 'the training host' (two fake GPUs), save, attach to `ask --json` in another process."""
    monkeypatch.setattr("assistant.probes.torch_probe.installed", lambda: False)
    use_nvml(fake_pynvml(two_gpus()))
    report = run_probes(environ={"NCCL_DEBUG": "INFO", "CUDA_VISIBLE_DEVICES": "0,1"}, root=tmp_path, smi_runner=no_smi)
    saved = tmp_path / "training-host.json"
    saved.write_text(report_json(report))
    done = run("ask", "--json", "-a", str(saved), "is my GPU healthy?")
    assert done.returncode == 0, done.stderr
    got = {(f["name"], json.dumps(f["value"], sort_keys=True), f["source"])
           for f in json.loads(done.stdout)["facts"] if f["name"].startswith("probe.")}
    want = {(f.name, json.dumps(thaw(f.value), sort_keys=True), f.source) for f in probe_facts(report)}
    assert got == want, "this machine's own probe must not add to or contradict the attached report"
    assert "gpu_hardware_fault" in [d["id"] for d in json.loads(done.stdout)["diagnoses"]]
