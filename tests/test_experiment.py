"""The conversational-vs-instruction experiment: papermill runs over seeds, kept notebooks, aggregated table with CIs."""
import subprocess
import sys

import pandas as pd
import pytest

pytest.importorskip("papermill")


def test_experiment_tiny_three_seeds(tmp_path):
    out = tmp_path / "exp"
    r = subprocess.run([sys.executable, "-m", "meddialogue.cli", "experiment", "--out", str(out), "--model", "tiny",
                        "--seeds", "0,1,2", "--set", "max_steps=3", "--set", "eval_notes=2", "--set", "max_new_tokens=16"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "**Answer:**" in r.stdout
    for seed in (0, 1, 2):
        assert (out / f"seed-{seed}" / "experiment.ipynb").is_file()
        assert (out / f"seed-{seed}" / "results.json").is_file()
    arms = pd.read_csv(out / "results.csv")
    assert set(arms["arm"]) == {"conversational", "instruction"} and len(arms) == 6
    assert {"ci_low", "ci_high", "exact_match"} <= set(arms.columns)
    families = pd.read_csv(out / "families.csv")
    assert set(families["family"]) == {"canonical", "template", "style", "format", "typo", "turn", "note_position"}
    assert (out / "comparison.png").is_file() and (out / "results.parquet").is_file()
    comparisons = pd.read_csv(out / "comparisons.csv")
    assert len(comparisons) == 3 and {"difference", "ci_low", "ci_high", "mcnemar_p"} <= set(comparisons.columns)


def run_tiny(out, *extra):
    args = ["--out", str(out), "--model", "tiny", "--seeds", "0", "--set", "n_patients=8", "--set", "eval_notes=1",
            "--set", "max_new_tokens=8", *extra]
    return subprocess.run([sys.executable, "-m", "meddialogue.cli", "experiment", *args], capture_output=True, text=True)


def test_same_seed_same_bytes_and_a_changed_rerun_is_refused(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        r = run_tiny(out, "--set", "max_steps=2")
        assert r.returncode == 0, r.stderr[-3000:]
    for arm in ("conversational", "instruction"):   # two identical runs: byte-identical predictions and weights
        assert (a / "seed-0" / arm / "eval" / "predictions.jsonl").read_bytes() == (b / "seed-0" / arm / "eval" / "predictions.jsonl").read_bytes()
        weights = "run/model/model.safetensors" if (a / "seed-0" / arm / "run" / "model").is_dir() else "run/adapter/adapter_model.safetensors"
        assert (a / "seed-0" / arm / weights).read_bytes() == (b / "seed-0" / arm / weights).read_bytes()
    assert "Code: " in (a / "report.md").read_text()

    before = (a / "seed-0" / "results.json").read_bytes()
    r = run_tiny(a, "--set", "max_steps=3")           # one parameter changed: refused, nothing rewritten
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "max_steps=2 -> 3" in r.stderr, r.stderr[-2000:]
    assert (a / "seed-0" / "results.json").read_bytes() == before

    r = run_tiny(a, "--set", "max_steps=2")           # the same parameters and code: reused, and the report says so
    assert r.returncode == 0, r.stderr[-2000:]
    assert "reused" in r.stdout and "Reused from an earlier run with the same parameters and code: seed-0." in (a / "report.md").read_text()
    assert (a / "seed-0" / "results.json").read_bytes() == before
