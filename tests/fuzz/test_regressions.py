"""Every input the fuzzer found breaking a reader gives its expected one line, or its partial reading, now.

The inputs are in regressions/, what each must give in regressions.yaml (with what it did before).
Several were hangs: they are not timed here (tests do not assert timings), but a pattern gone
quadratic again would make this test take minutes instead of a second.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.errors import InputError
from assistant.evidence import read_attachment

HERE = Path(__file__).parent
CASES = yaml.safe_load((HERE / "regressions.yaml").read_text())


def test_every_regression_file_is_listed_and_every_listed_file_exists():
    files = {str(p.relative_to(HERE / "regressions")) for p in (HERE / "regressions").rglob("*") if p.is_file()}
    assert files == set(CASES)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if not c.get("question")])
def test_reader_regression(name: str) -> None:
    case, path = CASES[name], HERE / "regressions" / name
    if "error" in case:
        with pytest.raises(InputError) as e:
            read_attachment(path)
        assert f"{path.name}: {e.value.problem}" == case["error"]
        assert "\n" not in str(e.value)
        return
    reading, = read_attachment(path)
    assert reading.kind == case["read"]
    if "warning" in case:
        assert any(case["warning"] in w for w in reading.warnings), reading.warnings
    facts = {f.name: f.value for f in reading.facts}
    for fact, value in case.get("facts", {}).items():
        assert facts[fact] == value
    for prefix in case.get("absent", []):
        assert not [n for n in facts if n.startswith(prefix)]


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.get("question")])
def test_question_regression(name: str) -> None:
    from assistant.consult import consult
    from assistant.render.json import render_json
    from assistant.words import facts_from_words

    text = (HERE / "regressions" / name).read_bytes().decode("utf-8", "surrogateescape")
    facts_from_words(text, "unknown")
    render_json(consult(text))


def test_a_config_with_infinities_prints_as_json(tmp_path: Path) -> None:
    """The consultation over the -inf config: every fact value is JSON (the report used to fail to print)."""
    import json

    from assistant.consult import consult
    from assistant.render.json import render_json

    report = json.loads(render_json(consult("loss nan", [HERE / "regressions/yaml-minus-inf.yaml"])))
    assert {"name": "config.warmup_ratio", "value": "nan", "source": "yaml-minus-inf.yaml:3"} in report["facts"]


def test_a_config_int_past_float_range_goes_through_the_memory_estimate() -> None:
    """A 400-digit lora_r reads as -inf; the estimate (reached with a GPU named) and the JSON report hold."""
    import json

    from assistant.consult import consult
    from assistant.render.json import render_json

    path = HERE / "regressions/yaml-int-past-float-range.yaml"
    report = json.loads(render_json(consult("CUDA out of memory on a T4 16GB", [path])))
    assert {"name": "config.lora_r", "value": "-inf", "source": f"{path.name}:4"} in report["facts"]
    assert report["diagnoses"]


def test_a_deepspeed_path_outside_the_config_folder_is_not_read(tmp_path: Path) -> None:
    """An uploaded config must not make the server read (and show the leaves of) a JSON file of its own."""
    secret = tmp_path / "zero3_secret.json"
    secret.write_text('{"zero_optimization": {"stage": 3}, "api_key": "not-for-you"}')
    (tmp_path / "upload").mkdir()
    inside = tmp_path / "upload" / "ds.json"
    inside.write_text('{"zero_optimization": {"stage": 2}}')
    for value, stage, read in (("../zero3_secret.json", 3, False), (str(secret), 3, False), ("ds.json", 2, True)):
        config = tmp_path / "upload" / "config.yaml"
        config.write_text(f"base_model: m\ndeepspeed: {value}\n")
        facts = {f.name: f.value for f in read_attachment(config)[0].facts}
        assert facts["config.deepspeed.zero_stage"] == stage  # from the JSON, or only from the name
        assert ("deepspeed.zero_optimization.stage" in facts) is read
        assert "deepspeed.api_key" not in facts


def test_a_grpo_config_with_an_infinite_generation_count_is_still_estimated(tmp_path: Path) -> None:
    """`num_generations=999...e-9` (400 digits: a float of inf) reached the memory estimate's int() and
    raised OverflowError in the consultation (found by the 600 s fuzz run)."""
    from assistant.consult import consult
    from assistant.render.json import render_json

    script = tmp_path / "train.py"
    script.write_text("from trl import GRPOConfig\nargs = GRPOConfig(output_dir='out', learning_rate=1e-6, "
                      f"num_generations={'9' * 400}e-9, per_device_train_batch_size=8)\n")
    render_json(consult("loss goes to nan on 4x V100 16GB with a 7B model", [script]))
