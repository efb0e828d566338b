"""The `meddialogue` command: files written, seeds, previews, and one-line errors that write nothing."""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from meddialogue.cli import main
from meddialogue.conversations import read_jsonl
from meddialogue.synthetic import malnutrition_data, malnutrition_task_path

from messy_task import messy_table


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "meddialogue.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def task_file(tmp_path):
    def write(task=None, conversation=None, text=None):
        p = tmp_path / "task.yaml"
        p.write_text(text if text is not None else yaml.safe_dump({"task": task, "conversation": conversation or {}}))
        return p
    return write


@pytest.fixture
def data_csv(tmp_path):
    p = tmp_path / "data.csv"
    malnutrition_data(n_patients=15, seed=1).to_csv(p, index=False)
    return p


BASE = {"task_name": "t", "output_fields": ["aspen_severity", "follow_up"], "group_field": "patient_id", "id_field": "visit_id"}


def test_prepare_writes_train_validation_report(tmp_path, data_csv):
    out = tmp_path / "out"
    r = run_cli("prepare", malnutrition_task_path(), data_csv, "--out", out, "--preview", "1")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "train.jsonl", "validation.jsonl"]
    report = json.loads((out / "report.json").read_text())
    assert report["violations"] == 0
    assert report["conversations"]["train"] + report["conversations"]["validation"] == len(pd.read_csv(data_csv))
    assert set(report) >= {"skipped", "styles", "formats", "turns_per_conversation", "kinds"}
    assert "[assistant]" in r.stdout and "[user]" in r.stdout


def test_seed_override_and_same_bytes(tmp_path, data_csv):
    outs = {}
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        assert run_cli("prepare", malnutrition_task_path(), data_csv, "--out", tmp_path / name, "--seed", seed).returncode == 0
        outs[name] = (tmp_path / name / "train.jsonl").read_bytes()
    assert outs["a"] == outs["b"] != outs["c"]
    assert json.loads((tmp_path / "c" / "report.json").read_text())["seed"] == 6


def test_parquet_input_and_no_validation_file_without_split(tmp_path, task_file):
    df = messy_table(10, seed=2)
    df.to_parquet(tmp_path / "data.parquet")
    task = {"task_name": "cardio", "input_field": "note text", "id_field": "visit", "output_fields": ["primary_dx", "ef_percent"]}
    out = tmp_path / "out"
    assert main(["prepare", str(task_file(task, {"validation_split": 0.0})), str(tmp_path / "data.parquet"), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "train.jsonl"]
    ef = [m["content"] for e in read_jsonl(out / "train.jsonl") for m in e["messages"] if m["role"] == "assistant"]
    assert not any(".0" in a for a in ef if "Ef percent" in a)


def test_instruction_mode(tmp_path, data_csv):
    out = tmp_path / "inst"
    assert run_cli("prepare", malnutrition_task_path(), data_csv, "--out", out, "--mode", "instruction").returncode == 0
    ex = read_jsonl(out / "train.jsonl")[0]
    assert ex["metadata"]["mode"] == "instruction" and ex["messages"][1]["content"].startswith("### Instruction:")


ERRORS = [
    ("unknown key", dict(task={**BASE, "sytem_prompt": "x"}), "error: unknown key 'sytem_prompt' in section 'task' (did you mean 'system_prompt'?)"),
    ("bad identifier", dict(task={**BASE, "output_fields": ["aspen severity"]}), "error: output field 'aspen severity' is not a Python identifier"),
    ("bad format key", dict(task={**BASE, "output_format_ratios": {"yaml": 1.0}}), "error: output_format_ratios has unknown format 'yaml'"),
    ("ratios sum", dict(task={**BASE, "output_format_ratios": {"json": 0.6, "text": 0.6}}), "error: output_format_ratios must sum to 1, they sum to 1.2"),
    ("split", dict(task=BASE, conversation={"validation_split": 1.0}), "error: validation_split must be a number in [0, 1), got 1.0"),
    ("negative split", dict(task=BASE, conversation={"validation_split": -0.1}), "error: validation_split must be a number in [0, 1)"),
    ("templates unknown field", dict(task={**BASE, "question_templates": {"folow_up": ["When?"]}}),
     "error: question_templates has templates for unknown field 'folow_up' (did you mean 'follow_up'?)"),
    ("missing column", dict(task={**BASE, "output_fields": ["aspen_severity", "diagnosis"]}), "error: data has no column 'diagnosis' (the task's output field)"),
    ("unknown conversation key", dict(task=BASE, conversation={"typo_rate": 0.1}), "error: unknown key 'typo_rate' in section 'conversation' (did you mean 'typo_ratio'?)"),
    ("bad yaml", dict(text="task: [unclosed\n"), "error: task file"),
]


@pytest.mark.parametrize("name,spec,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_user_errors_are_one_line_and_write_nothing(tmp_path, task_file, data_csv, name, spec, message):
    out = tmp_path / "out"
    r = run_cli("prepare", task_file(**spec), data_csv, "--out", out)
    assert r.returncode == 2
    assert r.stderr.startswith(message), r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert not out.exists()


def test_missing_files_are_one_line_errors(tmp_path, task_file, data_csv):
    r = run_cli("prepare", tmp_path / "none.yaml", data_csv, "--out", tmp_path / "o")
    assert (r.returncode, r.stderr) == (2, f"error: task file not found: {tmp_path / 'none.yaml'}\n")
    r = run_cli("prepare", task_file(BASE), tmp_path / "none.csv", "--out", tmp_path / "o")
    assert (r.returncode, r.stderr) == (2, f"error: data file not found: {tmp_path / 'none.csv'}\n")
    assert not (tmp_path / "o").exists()


def test_demo_runs_on_the_builtin_data(tmp_path):
    r = run_cli("demo", "--out", tmp_path / "demo", "--patients", "10", "--preview", "1")
    assert r.returncode == 0, r.stderr
    assert "pediatric_malnutrition" in r.stdout and "[assistant]" in r.stdout


def test_import_is_light():
    code = ("import sys, meddialogue, meddialogue.cli, meddialogue.conversations, meddialogue.synthetic;"
            "heavy = [m for m in ('torch', 'transformers', 'datasets', 'peft', 'unsloth', 'trl') if m in sys.modules];"
            "print(heavy)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr
