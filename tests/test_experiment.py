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
