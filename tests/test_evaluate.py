"""Evaluation metrics recomputed by hand from the saved predictions; the suite; paired comparisons."""
import json
import math
import random
import subprocess
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

from meddialogue.sources.conversations import DataPrep
from meddialogue.evaluation.robustness import compute_metrics, normalise_answer, paired_comparison, score_items
from meddialogue.evaluation.suite import FAMILIES, build_suite
from meddialogue.evaluation.statistics import bootstrap_ci, mcnemar_p
from meddialogue.core.files import read_jsonl, write_jsonl
from meddialogue.text.formats import format_response
from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task

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
    prep = DataPrep(task, replace(conv, heldout_formats=["markdown"]))
    records, _ = prep.records(malnutrition_data(n_patients=30, seed=2))
    return prep, records, build_suite(prep, records[:20], fields_per_item=2)


def test_suite_covers_every_family_with_the_same_fields_per_note(suite):
    prep, records, items = suite
    assert {i.family for i in items} == set(FAMILIES) - {"home"}          # home prompts need the run's mode
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


def test_bootstrap_ci_agrees_with_a_hand_written_note_bootstrap():
    """scipy's percentile bootstrap over notes lands where a plain resampling of whole notes does."""
    rng = random.Random(0)
    p_note = [rng.choice([0.2, 0.9]) for _ in range(40)]     # notes differ, so resampling rows would be too narrow
    by_note = {i: [float(rng.random() < p) for _ in range(rng.randint(2, 10))] for i, p in enumerate(p_note)}
    notes, n_boot = list(by_note.values()), 4000
    est, lo, hi = bootstrap_ci(by_note, n_boot=n_boot, seed=0)
    draw = random.Random(1)
    boots = []
    for _ in range(n_boot):
        sample = [notes[draw.randrange(len(notes))] for _ in notes]
        boots.append(sum(map(sum, sample)) / sum(map(len, sample)))
    boots.sort()
    assert est == pytest.approx(sum(map(sum, notes)) / sum(map(len, notes)))
    assert lo == pytest.approx(boots[int(0.025 * n_boot)], abs=0.01) and hi == pytest.approx(boots[int(0.975 * n_boot)], abs=0.01)


def test_mcnemar_p_is_the_exact_binomial_tail():
    for b in range(30):
        for c in range(30):
            exact = 1.0 if b + c == 0 else min(1.0, 2 * sum(math.comb(b + c, i) for i in range(min(b, c) + 1)) / 2 ** (b + c))
            assert mcnemar_p(b, c) == pytest.approx(exact, rel=1e-12)


def test_importing_evaluate_loads_no_scipy():
    code = "import sys, meddialogue.evaluation.robustness; print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'sklearn', 'matplotlib', 'torch'}))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stderr[-2000:]


def test_evaluate_run_on_a_held_out_task(tmp_path):
    """train (tiny) -> evaluate_run -> files on the messy cardiology task, not the synthetic one; the task comes from run.json."""
    from meddialogue.core.config import ConversationConfig
    from meddialogue.evaluation.robustness import evaluate_run
    from meddialogue.core.run_config import RunConfig
    from meddialogue.sources.examples import load_examples
    from meddialogue.training.trainer import Trainer
    conv = ConversationConfig(seed=1, validation_split=0.3, heldout_templates_per_field=1, heldout_styles=["causal"])
    config = RunConfig(messy_task(), conv).update(model="tiny-phi-4", method="full", max_steps=4, learning_rate=3e-3)
    df = messy_table(20, seed=5)
    examples = load_examples(config, df)
    Trainer(config).train(examples.train, examples.validation, tmp_path / "run", progress=False)
    metrics = evaluate_run(tmp_path / "run", df, tmp_path / "eval", max_notes=3, max_new_tokens=24, progress=False)
    names = {p.name for p in (tmp_path / "eval").iterdir()}
    assert {"metrics.json", "variants.csv", "predictions.jsonl", "report.md", "fields.png", "robustness.png"} <= names
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text()) == json.loads(json.dumps(metrics))
    rows = read_jsonl(tmp_path / "eval" / "predictions.jsonl")
    assert metrics["overall"]["exact_match"]["value"] == pytest.approx(sum(r["correct"] for r in rows) / len(rows))
    assert metrics["suite"]["notes"] == 3 and {r["field"] for r in rows} <= set(config.task.output_fields)
    assert {"canonical", "template", "format", "typo", "note_position"} <= {r["family"] for r in rows}


def test_an_llm_judge_through_serve_and_the_openai_client_gives_a_verdict_per_field_answer(tmp_path):
    """The optional content judge asks `meddialogue serve` (SmolLM2-135M on loopback) about four review items."""
    from test_roleplay import start_server, stop_server
    from meddialogue.evaluation.content_labels import judge_review_set
    from meddialogue.modeling.models import smollm2_gguf
    smollm2_gguf()   # the wheel must be installed (CI installs it); a one-line error otherwise
    here = Path(__file__).parent / "data" / "content_review"
    review = json.loads((here / "set.json").read_text())
    (tmp_path / "set.json").write_text(json.dumps({**review, "items": review["items"][:4]}))
    truth = json.loads((here / "truth.json").read_text())
    proc, url, models = start_server("smollm2-135m", "--max-new-tokens", "3")
    try:
        verdicts = judge_review_set(tmp_path, truth, url, progress=False)
    finally:
        stop_server(proc)
    asked = [(it["item"], f) for it in review["items"][:4] for f in truth["items"][it["item"]]["gold"]]
    assert list(verdicts) == asked and all(v in (True, False, None) for v in verdicts.values())
    assert proc.returncode is not None


def test_pool_seeds_agrees_with_statsmodels_random_effects_meta_analysis():
    """DerSimonian-Laird as statsmodels computes it, on seeds that agree, disagree, and one that dominates."""
    import numpy as np
    from statsmodels.stats.meta_analysis import combine_effects
    from meddialogue.evaluation.statistics import PairedDifference, pool_seeds
    rng = random.Random(4)
    z = 1.959963984540054
    cases = [[(0.10, 0.1), (0.12, 0.1), (0.08, 0.1)], [(0.10, 0.1), (0.14, 0.1), (-0.30, 0.1)],
             [(0.02, 0.02), (0.20, 0.3), (-0.1, 0.25), (0.05, 0.15)]]
    cases += [[(rng.uniform(-0.4, 0.4), rng.uniform(0.02, 0.3)) for _ in range(rng.randint(2, 6))] for _ in range(20)]
    for case in cases:
        seeds = [PairedDifference(d, d - h, d + h, 40, "notes") for d, h in case]
        pooled = pool_seeds(seeds)
        combined = combine_effects(np.array([d for d, _ in case]), np.array([(h / z) ** 2 for _, h in case]),
                                   method_re="dl")
        # statsmodels keeps a negative tau^2 (Q below its degrees of freedom); DerSimonian-Laird truncates it at
        # zero, where the random-effects estimate is the fixed-effect one
        re = combined.summary_frame().loc["random effect" if combined.tau2 >= 0 else "fixed effect"]
        assert math.isclose(pooled.details["tau"] ** 2, max(0.0, combined.tau2), abs_tol=1e-12)
        assert math.isclose(pooled.difference, re["eff"], abs_tol=1e-9)
        assert math.isclose(pooled.low, re["ci_low"], abs_tol=1e-9) and math.isclose(pooled.high, re["ci_upp"], abs_tol=1e-9)
        assert pooled.n == 40 * len(case) and pooled.details["seeds"] == len(case)
