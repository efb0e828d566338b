"""The conversational-vs-instruction experiment: papermill runs over seeds, kept notebooks, aggregated table with CIs."""
import json
import subprocess
import sys

import pandas as pd
import pytest

pytest.importorskip("papermill")


def test_experiment_tiny_three_arms_two_seeds(tmp_path):
    out = tmp_path / "exp"
    r = subprocess.run([sys.executable, "-m", "meddialogue.cli", "experiment", "--out", str(out), "--model", "tiny",
                        "--seeds", "0,1", "--set", "max_steps=3", "--set", "eval_notes=2", "--set", "max_new_tokens=16"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    report = (out / "report.md").read_text()
    assert "**RQ1: Is conversational fine-tuning more robust" in r.stdout and "**RQ2: Do multi-turn dialogues" in report
    assert "no arm saw in training" in report and "Held out from every arm: 3 question templates per field, styles dialectical, mixed, formats markdown." in report
    for seed in (0, 1):
        assert (out / f"seed-{seed}" / "experiment.ipynb").is_file()
        assert (out / f"seed-{seed}" / "results.json").is_file()
    arms = pd.read_csv(out / "results.csv")
    assert list(arms["arm"]) == ["conversational", "single_turn", "instruction"] * 2
    assert {"home", "unseen", "unseen_low", "unseen_high", "drop_rate_unseen", "worst", "drop_rate_worst",
            "tokens_processed", "tokens_trained", "steps"} <= set(arms.columns)
    for setting, rows in arms.groupby("setting"):       # trained tokens matched: every arm reaches the first arm's, within one step
        reference = rows.iloc[0]
        assert (rows["tokens_trained"] >= reference["tokens_trained"]).all()
    families = pd.read_csv(out / "families.csv")
    assert set(families["family"]) == {"canonical", "template", "style", "format", "heldout", "new_phrasing", "new_format",
                                      "typo", "turn", "note_position"}
    assert families.query("family == 'heldout'")["seen"].isna().all()          # no arm saw the held-out prompts
    assert (out / "comparison.png").is_file() and (out / "results.parquet").is_file()
    comparisons = pd.read_csv(out / "comparisons.csv")
    assert list(comparisons["question"]) == ["RQ1", "RQ2", "diversity"] * 12     # content, then form, per factor and seed
    assert list(comparisons["measure"]) == (["content"] * 3 + ["form"] * 3) * 6
    assert list(comparisons["factor"].drop_duplicates()) == ["new phrasing", "new format", "both"]
    assert {"difference", "ci_low", "ci_high", "mcnemar_p", "items", "notes"} <= set(comparisons.columns)
    assert "On content (the gold value stated in any form): " in report and "On form (the exact value" in report
    assert arms["content_unseen"].between(0, 1).all()
    predictions = {arm: [json.loads(l) for l in (out / "seed-0" / arm / "eval" / "predictions.jsonl").read_text().splitlines()]
                   for arm in ("conversational", "single_turn", "instruction")}
    headline = {(r["id"], r["family"], r["variant"], r["field"]) for r in predictions["instruction"] if r["seen"] == []}
    for rows in predictions.values():                  # the headline counts only prompts unseen by every arm
        headline &= {(r["id"], r["family"], r["variant"], r["field"]) for r in rows if r["family"] != "home" and r["seen"] == []}
    assert headline and {k[1] for k in headline} == {"heldout"}
    for measure in ("content", "form"):
        assert comparisons.query(f"setting == 'seed-0' and question == 'RQ1' and measure == '{measure}' and factor == 'both'")["items"].item() == len(headline)
    factors = pd.read_csv(out / "factors.csv")                # each factor: new on its count to every arm, familiar on the other
    assert set(factors["factor"]) == {"new phrasing", "new format", "both"} and "## By factor" in report
    for family, new, familiar in (("new_phrasing", {"template", "style"}, "format"), ("new_format", {"format"}, "style")):
        asked = [r for rows in predictions.values() for r in rows if r["family"] == family]
        assert asked and all(familiar in r["seen"] and not new & set(r["seen"]) for r in asked), family
    assert all(r["messages"][-1]["content"].startswith("### Instruction:")        # the instruction arm: its own instruction
               for r in predictions["instruction"] if r["family"] == "new_format")
    outcomes = {r["outcome"] for rows in predictions.values() for r in rows}
    assert outcomes and all(r["content"] in (True, False) for rows in predictions.values() for r in rows)


def run_tiny(out, *extra):
    args = ["--out", str(out), "--model", "tiny", "--seeds", "0", "--set", "n_patients=8", "--set", "eval_notes=1",
            "--set", "max_new_tokens=8", *extra]
    return subprocess.run([sys.executable, "-m", "meddialogue.cli", "experiment", *args], capture_output=True, text=True)


def test_same_seed_same_bytes_and_a_changed_rerun_is_refused(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        r = run_tiny(out, "--set", "max_steps=2")
        assert r.returncode == 0, r.stderr[-3000:]
    for arm in ("conversational", "single_turn", "instruction"):   # two identical runs: byte-identical predictions and weights
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


def test_the_notebook_parameters_are_the_experiment_defaults():
    import ast
    from meddialogue.recipes.experiment import EXPERIMENT_DEFAULTS, experiment_notebook
    cells = json.loads(experiment_notebook().read_text())["cells"]
    [cell] = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    tree = ast.parse("".join(cell["source"]))
    found = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)}
    assert {k: found[k] for k in EXPERIMENT_DEFAULTS} == EXPERIMENT_DEFAULTS
    assert set(found) == {*EXPERIMENT_DEFAULTS, "model", "settings", "out_dir"}
