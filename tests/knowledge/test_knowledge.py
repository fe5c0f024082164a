"""Checks on the knowledge base in knowledge/*.md and knowledge/catalog-map.yaml.

Rules cite sections of knowledge/ by anchor: ``<file-stem>/<slug>``, where the slug is the
heading text lowercased, every run of characters outside [a-z0-9] replaced by one '-', and
leading/trailing '-' stripped. The helpers below compute anchors the same way; they live here
until the retrieval code owns them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
KNOWLEDGE = REPO / "knowledge"
CATALOG_MAP = KNOWLEDGE / "catalog-map.yaml"

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def slugify(text: str) -> str:
    """Heading text -> slug: lowercase, non-[a-z0-9] runs -> '-', trimmed."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def headings(text: str) -> list[tuple[int, str, int]]:
    """(level, heading text, line number) for each Markdown heading outside fenced code."""
    out = []
    in_fence = False
    for lineno, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = _HEADING.match(line)
        if m:
            out.append((len(m.group(1)), m.group(2).strip(), lineno))
    return out


def anchors_of(path: Path) -> list[str]:
    """Anchors of the ## and deeper sections of one knowledge file."""
    return [f"{path.stem}/{slugify(h)}" for level, h, _ in headings(path.read_text()) if level >= 2]


def all_anchors() -> set[str]:
    return {a for p in md_files() for a in anchors_of(p)}


def md_files() -> list[Path]:
    return sorted(KNOWLEDGE.glob("*.md"))


def _shared_file(*parts: str) -> Path | None:
    """Find a file of the shared project material (spec, seed) if this checkout can see it."""
    roots = [os.environ.get("TSA_SHARED"), REPO / "shared", REPO.parent / "shared", "/work/shared"]
    for root in roots:
        if root and (Path(root).joinpath(*parts)).is_file():
            return Path(root).joinpath(*parts)
    return None


def catalog_ids() -> list[str]:
    spec = _shared_file("spec", "diagnoses.yaml")
    if spec is None:
        pytest.skip("spec/diagnoses.yaml not available in this checkout")
    data = yaml.safe_load(spec.read_text())
    return [i for area in data.values() if isinstance(area, dict) for i in area]


EXPECTED_FILES = {
    "monitoring", "sft-stability", "rl-grpo-stability", "nan-inf", "oom",
    "common-errors", "profiling", "logging", "beyond-the-guide",
}

REQUIRED_FIGURES = [
    # SFT ranges and fixes
    "0.5–2.0", "0.1–10.0", "1e-5", "5e-5", "1e-4", "3e-4", "5–10%", "weight_decay",
    "val_set_size", "0.05", "lora_r", "lora_dropout: 0.05", "sample_packing: false",
    "micro_batch_size × gradient_accumulation_steps × num_gpus",
    # GRPO / EBFT metrics
    "frac_reward_zero_std", "0.15", "0.001", "0.001–1.0", "0.05–0.5", "0.01", "0.0–0.5", "2.0",
    "sampling/sampling_logp_difference/mean", "sampling/importance_sampling_ratio/min",
    "clip_ratio/region_mean", "completions/clipped_ratio", "max_completion_length",
    "ebft/alignment", "0.3–0.9", "ebft/diversity", "0.01–0.1", "ebft/cfm_loss",
    "vllm_sync_interval", "off_policy_mask_threshold", "importance_sampling_level: token",
    "log_completions: true", "max_grad_norm: 1.0", "num_generations",
    # NaN
    "448", "s = tl.where(s == 0, 1.0, s)", "nan_to_num", "_get_per_token_logps_and_entropies",
    "rm -rf ~/.triton/cache", "set_detect_anomaly", "model.half()",
    # OOM
    "151936", "75 GB", "8 × 16 × 2048 × 151936 × 2 bytes", "use_reentrant", "use_reentrant: true",
    "use_reentrant: false", "CheckpointError", "load_in_4bit: true", "load_in_8bit: true",
    "fp8: true", "~50%", "sequence_len: 1024", "attn_implementation: flash_attention_2",
    "zero3_bf16.json", "profiler_steps",
    # errors
    "exitcode: -9", "exitcode: -7", "pip install -U deepspeed", "NCCL_DEBUG=INFO",
    "Asking to pad but the tokenizer does not have a padding token", "pad_token",
    "'DummyOptim' object has no attribute 'step'", "unable to load strategy", "None is not callable",
    "generation_batch_size not divisible by num_generations", "'weight' must be 2-D",
    "fsdp_version: 2", "BFloat16", "weight_serde.py", "Content end boundary is before start boundary",
    "CAS service error", "HF_HUB_DISABLE_XET=1", "async_prefetch: false",
    # profiling and logging
    "tensorboard --logdir output_dir/runs", "chrome://tracing", "_record_memory_history",
    "_dump_snapshot", "python -m torch.cuda.memory._viz", "watch -n 1 nvidia-smi",
    "memory/max_alloc", "memory/max_reserved", "torch.cuda.max_memory_allocated()",
    "torch.cuda.max_memory_reserved()", "wandb_project", "wandb_entity", "wandb_run_id",
    "wandb_name", "logging_steps: 1", "AXOLOTL_LOG_LEVEL=DEBUG", "tee",
    # beyond the guide
    "tokenization mismatch", "(ignored)", "data_source", "--shm-size",
]


@pytest.fixture(scope="module")
def corpus() -> str:
    return "\n".join(p.read_text() for p in md_files())


def test_expected_files_exist():
    assert EXPECTED_FILES <= {p.stem for p in md_files()}


@pytest.mark.parametrize("path", md_files(), ids=lambda p: p.name)
def test_single_h1_first(path: Path):
    hs = headings(path.read_text())
    h1 = [h for h in hs if h[0] == 1]
    assert len(h1) == 1, f"{path.name}: {len(h1)} H1 headings"
    assert hs[0][0] == 1, f"{path.name}: first heading is not the H1"


@pytest.mark.parametrize("path", md_files(), ids=lambda p: p.name)
def test_headings_are_section_levels(path: Path):
    bad = [(n, h) for level, h, n in headings(path.read_text()) if level > 3]
    assert not bad, f"{path.name}: only ## and ### sections are allowed: {bad}"


@pytest.mark.parametrize("path", md_files(), ids=lambda p: p.name)
def test_anchors_unique_per_file(path: Path):
    anchors = anchors_of(path)
    dupes = sorted({a for a in anchors if anchors.count(a) > 1})
    assert not dupes, f"{path.name}: duplicate anchors {dupes}"


@pytest.mark.parametrize("path", md_files(), ids=lambda p: p.name)
def test_no_empty_sections(path: Path):
    lines = path.read_text().splitlines()
    hs = headings(path.read_text())
    for i, (level, text, n) in enumerate(hs):
        end = hs[i + 1][2] if i + 1 < len(hs) else len(lines) + 1
        body = [ln for ln in lines[n:end - 1] if ln.strip()]
        has_child = i + 1 < len(hs) and hs[i + 1][0] > level
        assert body or has_child, f"{path.name}:{n}: section '{text}' is empty"


def test_slugify_examples():
    assert slugify("Step 2: Enable Gradient Checkpointing") == "step-2-enable-gradient-checkpointing"
    assert slugify("  'weight' must be 2-D ") == "weight-must-be-2-d"
    assert slugify("exitcode -9") == "exitcode-9"


def test_catalog_map_covers_catalog():
    mapping = yaml.safe_load(CATALOG_MAP.read_text())
    missing = [i for i in catalog_ids() if i not in mapping]
    assert not missing, f"catalog ids missing from catalog-map.yaml: {missing}"


def test_catalog_map_anchors_exist():
    mapping = yaml.safe_load(CATALOG_MAP.read_text())
    existing = all_anchors()
    assert mapping, "catalog-map.yaml is empty"
    for cid, anchors in mapping.items():
        assert isinstance(anchors, list) and anchors, f"{cid}: needs a non-empty list of anchors"
        unknown = [a for a in anchors if a not in existing]
        assert not unknown, f"{cid}: anchors not found in knowledge/: {unknown}"


def test_every_catalog_id_is_reachable(corpus: str):
    mapping = yaml.safe_load(CATALOG_MAP.read_text())
    existing = all_anchors()
    for cid in catalog_ids():
        in_text = re.search(rf"(?<![A-Za-z0-9_]){re.escape(cid)}(?![A-Za-z0-9_])", corpus)
        mapped = any(a in existing for a in mapping.get(cid, []))
        assert in_text or mapped, f"catalog id {cid} is neither named in knowledge/ nor mapped"


@pytest.mark.parametrize("figure", REQUIRED_FIGURES)
def test_required_figure_present(corpus: str, figure: str):
    assert figure in corpus, f"required figure/term missing from knowledge/: {figure!r}"


@pytest.mark.parametrize("path", md_files(), ids=lambda p: p.name)
def test_internal_links_resolve(path: Path):
    """Relative links to other knowledge files and #anchors must point at something real."""
    own = {a.split("/", 1)[1] for a in anchors_of(path)}
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+://", target):
            continue
        file_part, _, frag = target.partition("#")
        if file_part:
            other = KNOWLEDGE / file_part
            assert other.is_file(), f"{path.name}: link to missing file {target}"
            if frag:
                assert f"{other.stem}/{frag}" in all_anchors(), f"{path.name}: bad anchor {target}"
        else:
            assert frag in own, f"{path.name}: link to missing section #{frag}"


def test_guide_prose_is_restated_not_pasted(corpus: str):
    """No long prose sentence of the original guide appears verbatim in knowledge/."""
    seed = _shared_file("data", "axolotl-docs", "training_stability.qmd")
    if seed is None:
        pytest.skip("original guide not available in this checkout")
    text = re.sub(r"```.*?```", "", seed.read_text(), flags=re.S)
    flat_corpus = " ".join(corpus.split())
    copied = []
    for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
        sentence = sentence.strip()
        if len(sentence) >= 60 and "|" not in sentence and sentence in flat_corpus:
            copied.append(sentence)
    assert not copied, f"sentences copied from the guide: {copied}"
