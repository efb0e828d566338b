"""Evaluation metrics recomputed by hand from the saved predictions; the suite; paired comparisons."""
import json
import random
import subprocess
import sys
from collections import defaultdict

import pytest

pytest.importorskip("sklearn")

from meddialogue.conversations import DataPrep, read_jsonl
from meddialogue.evaluate import (FAMILIES, build_suite, compute_metrics, mcnemar_p, normalise_answer, paired_comparison,
                                  score_items)
from meddialogue.formats import format_response
from meddialogue.synthetic import malnutrition_data, malnutrition_task

from messy_task import messy_table, messy_task


def simulated_answers(items, p_correct, seed):
    """Answers a simulated model gives: the gold value with probability p_correct, else a wrong one; some chatter."""
    rng = random.Random(seed)
    out = []
    for it in items:
        values = {f: (v if rng.random() < p_correct else "wrong answer") for f, v in it.gold.items()}
        text = format_response(values, it.format)
        out.append(text if rng.random() < 0.8 else "Sure:\n" + text if rng.random() < 0.5 else "I am not sure.")
    return out


@pytest.fixture(scope="module")
def suite():
    task, conv = malnutrition_task()
    prep = DataPrep(task, conv)
    records, _ = prep.records(malnutrition_data(n_patients=30, seed=2))
    return prep, records, build_suite(prep, records[:20], fields_per_item=2)


def test_suite_covers_every_family_with_the_same_fields_per_note(suite):
    prep, records, items = suite
    assert {i.family for i in items} == set(FAMILIES)
    by_note = defaultdict(set)
    for i in items: by_note[i.id].add(tuple(i.fields))
    assert all(len(v) == 1 for v in by_note.values())
    heldout = [t for ts in prep.heldout_templates.values() for t in ts]
    template_items = [i for i in items if i.family == "template"]
    assert all(any(h[:-1].lower() in i.messages[-1]["content"].lower() for h in heldout) for i in template_items)
    assert all(i.messages[-1]["role"] == "user" for i in items)


def test_metrics_recomputed_by_hand(suite, tmp_path):
    _, _, items = suite
    rows = score_items(items, simulated_answers(items, 0.7, seed=1))
    from meddialogue.conversations import write_jsonl
    write_jsonl(rows, tmp_path / "predictions.jsonl")
    saved = read_jsonl(tmp_path / "predictions.jsonl")
    m = compute_metrics(saved)
    # overall exact match
    assert m["overall"]["exact_match"]["value"] == pytest.approx(sum(r["correct"] for r in saved) / len(saved))
    # one variant's accuracy, by hand
    typo = [r for r in saved if r["family"] == "typo"]
    assert m["robustness"]["variants"]["typo/typos"]["value"] == pytest.approx(sum(r["correct"] for r in typo) / len(typo))
    # spread and drop rate
    accs = {k: v["value"] for k, v in m["robustness"]["variants"].items()}
    assert m["robustness"]["spread"] == pytest.approx(max(accs.values()) - min(accs.values()))
    canon = accs["canonical/canonical"]
    assert m["robustness"]["performance_drop_rate"]["format/xml"] == pytest.approx((canon - accs["format/xml"]) / canon)
    # instance-level worst case: notes whose every field is right under every variant
    ok = defaultdict(lambda: True)
    for r in saved: ok[r["id"]] &= r["correct"]
    assert m["robustness"]["instance_worst_case"] == pytest.approx(sum(ok.values()) / len(ok))
    # per-field unparsed counts and a categorical field's macro-F1 from sklearn
    f = "aspen_severity" if "aspen_severity" in m["fields"] else next(iter(m["fields"]))
    assert m["fields"][f]["unparsed"] == sum(not r["parsed"] for r in saved if r["field"] == f)
    # compliance: a chatty or refused answer is not compliant
    assert all(not r["compliant"] for r in saved if r["answer"] == "I am not sure.")
    assert m["overall"]["unparsed"] > 0 and all(not r["correct"] for r in saved if not r["parsed"])


def test_perfect_answers_score_one_and_are_consistent(suite):
    _, _, items = suite
    rows = score_items(items, [format_response(i.gold, i.format) for i in items])
    m = compute_metrics(rows)
    assert m["overall"]["exact_match"]["value"] == 1.0
    assert m["robustness"]["spread"] == 0 and m["robustness"]["prosa_pss"] == 0 and m["robustness"]["consistency"] == 1.0
    assert all(v["compliance"] == 1.0 for v in m["format_compliance"].values())


def test_paired_comparison_and_mcnemar(suite):
    _, _, items = suite
    a = score_items(items, simulated_answers(items, 0.9, seed=3))
    b = score_items(items, simulated_answers(items, 0.4, seed=4))
    c = paired_comparison(a, b)
    assert c["difference"] > 0 and c["ci95"][0] > 0 and c["mcnemar_p"] < 1e-6
    assert c["a_only_correct"] > c["b_only_correct"]
    assert mcnemar_p(5, 5) == 1.0
    same = paired_comparison(a, a)
    assert same["difference"] == 0 and same["mcnemar_p"] == 1.0


def test_evaluate_command_on_a_held_out_task(tmp_path):
    """prepare -> train (tiny) -> evaluate -> report on the messy cardiology task, not the synthetic one."""
    import yaml
    from meddialogue.config import config_to_dict
    task = messy_task()
    from meddialogue.config import ConversationConfig
    conv = ConversationConfig(seed=1, validation_split=0.3, heldout_templates_per_field=1, heldout_styles=["causal"])
    d = config_to_dict(task, conv)
    (tmp_path / "task.yaml").write_text(yaml.safe_dump(d))
    messy_table(20, seed=5).to_parquet(tmp_path / "data.parquet")
    cli = [sys.executable, "-m", "meddialogue.cli"]
    r = subprocess.run(cli + ["train", str(tmp_path / "task.yaml"), str(tmp_path / "data.parquet"), "--model", "tiny-phi-4",
                              "--out", str(tmp_path / "run"), "--max-steps", "4", "--method", "full", "--lr", "3e-3"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    r = subprocess.run(cli + ["evaluate", str(tmp_path / "run"), str(tmp_path / "task.yaml"), str(tmp_path / "data.parquet"),
                              "--out", str(tmp_path / "eval"), "--max-notes", "3", "--max-new-tokens", "24"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    names = {p.name for p in (tmp_path / "eval").iterdir()}
    assert {"metrics.json", "variants.csv", "predictions.jsonl", "report.md", "fields.png", "robustness.png"} <= names
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    rows = read_jsonl(tmp_path / "eval" / "predictions.jsonl")
    assert metrics["overall"]["exact_match"]["value"] == pytest.approx(sum(r["correct"] for r in rows) / len(rows))
    assert metrics["suite"]["notes"] == 3
