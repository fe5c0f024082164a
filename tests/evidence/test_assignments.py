"""Settings pasted as `key = value` lines (a bullet list in an issue, a script's constants)."""
from __future__ import annotations

from pathlib import Path

from assistant.evidence import read_attachment, reader_for
from tests.evidence.conftest import fact

# The settings list of a GRPO issue, as posted (a bullet per setting; one chained assignment).
BULLETS = """- num_gpus = 8
- sample_batch_size = 1
- num_generations = 16
- train_batch_size = 4
- gradient_accumulation_steps = sample_steps = 20
- learning_rate = 1e-6
- clip_range = 1e-2
- cfg_scale=15.0
"""


def _read(tmp_path: Path, text: str, name: str = "settings.txt"):
    path = tmp_path / name
    path.write_text(text)
    return read_attachment(path)[0]


def test_a_bullet_list_of_settings_is_a_config(tmp_path: Path) -> None:
    r = _read(tmp_path, BULLETS)
    assert r.kind == "axolotl_config" and fact(r, "run.kind") == "grpo"
    assert fact(r, "config.learning_rate") == 1e-6 and fact(r, "config.trl.num_generations") == 16


def test_script_constants_with_comments_and_literals(tmp_path: Path) -> None:
    r = _read(tmp_path, "# training settings\nlearning_rate = 2e-5  # peak\nper_device_train_batch_size=4\n"
                        "gradient_checkpointing = True\nlr_scheduler_type = 'cosine'\n", "train_cfg.py")
    assert fact(r, "config.learning_rate") == 2e-5 and fact(r, "config.micro_batch_size") == 4
    assert fact(r, "config.gradient_checkpointing") is True and fact(r, "config.lr_scheduler") == "cosine"


def test_prose_and_unknown_names_are_not_a_config(tmp_path: Path) -> None:
    """A file of assignments the rules know nothing of, or text with a few `=` in it, is not claimed."""
    for text in ("x = 1\ny = 2\nz = 3\n", "the loss = 2.3 at step 10 and then it went up\nno idea why\nlr = 1e-5\n"):
        found = reader_for(text.encode(), tmp_path / "notes.txt")
        assert found is None or found.name != "assignments"


def test_nothing_is_run(tmp_path: Path) -> None:
    """Values are literals: a call in a value stays text."""
    r = _read(tmp_path, "learning_rate = __import__('os').system('echo hi')\nnum_train_epochs = 3\nwarmup_ratio = 0.1\n")
    assert fact(r, "config.learning_rate") == "__import__('os').system('echo hi')"


def test_one_trl_generation_setting_alone_is_a_config(tmp_path: Path) -> None:
    # the line of a GRPO notebook a user pastes: the setting the question is about, nothing else
    r = _read(tmp_path, "max_completion_length=80\n", "config.yaml")
    assert r.kind == "axolotl_config" and fact(r, "run.kind") == "grpo"
    assert fact(r, "config.trl.max_completion_length") == 80
    r = _read(tmp_path, "num_generations = 2\n")
    assert fact(r, "config.trl.num_generations") == 2


def test_one_ordinary_setting_alone_is_no_config(tmp_path: Path) -> None:
    assert _read(tmp_path, "learning_rate = 1e-5\n").kind != "axolotl_config"
    assert _read(tmp_path, "x = 3\n").kind != "axolotl_config"
