"""A task file written for the original MedDialogue (field_ordering as a priority map with ties, default_system_prompt,
output_formats, its unused knobs) runs the whole path on the command line: prepare, train, evaluate."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from meddialogue.sources.synthetic import malnutrition_data

TASK = Path(__file__).parent / "data" / "original_task.yaml"


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "meddialogue.cli", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "notes.csv"
    malnutrition_data(n_patients=16, seed=3).to_csv(path, index=False)
    return path


def test_prepare_train_evaluate_with_an_original_task_file(table, tmp_path):
    r = run_cli("prepare", TASK, table, "--out", tmp_path / "prepared")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "medical_terminology" in r.stderr and "not used here" in r.stderr   # the unused knobs are named once each
    report = json.loads((tmp_path / "prepared" / "report.json").read_text())
    assert report["violations"] == 0 and set(report["formats"]) <= {"json", "xml", "markdown"}
    first = json.loads((tmp_path / "prepared" / "train.jsonl").read_text().splitlines()[0])
    system = first["messages"][0]["content"]
    assert "specializing in malnutrition_assessment" in system and '{"aspen_severity": "moderate"}' in system

    r = run_cli("train", TASK, table, "--out", tmp_path / "run", "--model", "tiny", "--max-steps", "2", "--set", "batch_size=4")
    assert r.returncode == 0, r.stderr[-2000:]
    config = json.loads((tmp_path / "run" / "run.json").read_text())["config"]
    order = config["task"]["field_ordering"]
    assert order[:4] == ["growth_trend", "stunting", "intake_adequacy", "clinical_signs"]   # ties in the map's order
    assert order[-1] == "follow_up"                                                          # left out: last

    r = run_cli("evaluate", tmp_path / "run", table, "--out", tmp_path / "eval", "--max-notes", "2", "--max-new-tokens", "8")
    assert r.returncode == 0, r.stderr[-2000:]
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["suite"]["notes"] == 2 and 0 <= metrics["overall"]["exact_match"]["value"] <= 1
