"""Every table the workbench writes opens in pandas with the rows its report counts.

Each CSV, Parquet and JSON-lines file of an evaluation folder (`meddialogue evaluate`) and of an experiment folder
(`meddialogue experiment`, every arm's evaluation included) is read with `pandas.read_csv` / `read_parquet` /
`read_json(lines=True)`; a CSV also with the `csv` module, which must see the header's number of fields on every row.
The counts are checked against what the folder's `metrics.json` / `results.json` report.
"""
import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("transformers")

from meddialogue.core.run_config import RunConfig  # noqa: E402
from meddialogue.evaluation.robustness import evaluate_run  # noqa: E402
from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task  # noqa: E402
from meddialogue.sources.examples import load_examples  # noqa: E402
from meddialogue.training.trainer import Trainer  # noqa: E402

ARMS = ("conversational", "single_turn", "instruction")


def read_table(path: Path) -> pd.DataFrame:
    """The table at `path`, read by pandas; a CSV must also split into the header's number of fields everywhere."""
    if path.suffix == ".parquet": return pd.read_parquet(path)
    if path.suffix == ".jsonl":
        frame = pd.read_json(path, lines=True)
        assert len(frame) == sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()), path
        return frame
    frame = pd.read_csv(path)
    with path.open(newline="", encoding="utf-8") as f: rows = list(csv.reader(f))
    assert all(len(r) == len(rows[0]) for r in rows) and len(rows) - 1 == len(frame), path
    return frame


def tables(folder: Path) -> dict[Path, pd.DataFrame]:
    return {p: read_table(p) for p in sorted(folder.rglob("*")) if p.suffix in (".csv", ".parquet", ".jsonl")}


def check_evaluation(folder: Path, opened: dict):
    """An evaluation folder: variants.csv is metrics.json's variants, predictions.jsonl the rows they count."""
    metrics = json.loads((folder / "metrics.json").read_text())
    variants, predictions = opened[folder / "variants.csv"], opened[folder / "predictions.jsonl"]
    reported = metrics["robustness"]["variants"]
    assert list(variants.columns) == ["variant", "accuracy", "ci_low", "ci_high", "n"]
    assert list(variants["variant"]) == list(reported) and list(variants["n"]) == [v["n"] for v in reported.values()]
    assert variants["accuracy"].tolist() == pytest.approx([v["value"] for v in reported.values()], abs=1e-6)
    counted = Counter(f"{f}/{v}" for f, v in zip(predictions["family"], predictions["variant"]))
    assert all(counted[k] == v["n"] for k, v in reported.items())


def test_every_table_of_an_evaluation_folder_opens_in_pandas(tmp_path):
    """Answer formats held out of training (as every experiment arm has) give variant names with commas
    (`heldout/dialectical, markdown`): the CSV must quote them."""
    config = RunConfig(*malnutrition_task()).update(model="tiny", lora_r=4, max_steps=1, batch_size=4, seed=0,
                                                    max_length=1024, report_to="none", heldout_formats=["markdown"])
    data = malnutrition_data(n_patients=8, seed=0)
    examples = load_examples(config, data)
    Trainer(config).train(examples.train, examples.validation, tmp_path / "run", progress=False)
    evaluate_run(tmp_path / "run", data, tmp_path / "eval", max_notes=1, max_new_tokens=8, progress=False)
    opened = tables(tmp_path / "eval")
    assert {p.name for p in opened} == {"variants.csv", "predictions.jsonl"}
    check_evaluation(tmp_path / "eval", opened)
    assert any(", " in v for v in opened[tmp_path / "eval" / "variants.csv"]["variant"])


def test_every_table_of_an_experiment_folder_opens_in_pandas(tmp_path):
    out = tmp_path / "exp"
    r = subprocess.run([sys.executable, "-m", "meddialogue.cli", "experiment", "--out", str(out), "--model", "tiny", "--seeds", "0",
                        "--set", "n_patients=8", "--set", "eval_notes=1", "--set", "max_new_tokens=8", "--set", "max_steps=2"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    opened = tables(out)
    for arm in ARMS: check_evaluation(out / "seed-0" / arm / "eval", opened)
    results = opened[out / "results.csv"]
    # the CSV reads an empty string back as missing, as pandas always does; Parquet keeps it
    pd.testing.assert_frame_equal(results.fillna(""), opened[out / "results.parquet"].fillna(""), check_dtype=False)
    assert list(results["arm"]) == list(ARMS)
    comparisons = opened[out / "comparisons.csv"]
    assert list(comparisons["question"]) == ["RQ1", "RQ2", "diversity"] * 6          # content, form; per factor
    assert list(comparisons["measure"]) == (["content"] * 3 + ["form"] * 3) * 3
    assert list(comparisons["factor"].drop_duplicates()) == ["new phrasing", "new format", "both"]
    assert list(opened[out / "factors.csv"]["arm"]) == list(ARMS) * 3
    families = opened[out / "families.csv"]
    assert all(set(families.query("arm == @arm")["family"]) == set(families["family"]) for arm in ARMS)
