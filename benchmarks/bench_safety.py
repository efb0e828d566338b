"""Safety figures: PHI recall and clinical numbers untouched on the labelled notes, scrubbing speed, and the
guardrail's recall and false-positive rate on held-out prompts (never its own training examples).

    python benchmarks/bench_safety.py
"""
import json
import time
from pathlib import Path

from meddialogue.safety.guard import QueryGuard, guardrail_examples, unseen
from meddialogue.safety.phi import find_phi, parse_phi_markup, phi_scores
from meddialogue.evaluation.redteam import redteam

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SETS = [("dev", "phi_notes_dev.jsonl", "rules written on it"), ("test", "phi_notes_test.jsonl", "rules fixed on it"),
        ("holdout", "phi_notes_holdout.jsonl", "rules fixed on it"), ("final", "phi_notes_final.jsonl", "rules fixed on it after this figure"),
        ("unseen", "phi_notes_unseen.jsonl", "never used to change a rule")]


def lines(name):
    return [json.loads(x) for x in (DATA / name).read_text().splitlines() if x.strip()]


def phi():
    print("PHI scrubbing (token recall = labelled identifier tokens replaced; untouched = clinical numbers left as written)")
    for label, name, role in SETS:
        if not (DATA / name).is_file(): continue
        s = phi_scores([r["text"] for r in lines(name)])
        weakest = min(s["recall_by_type"].items(), key=lambda kv: kv[1])
        print(f"  {label:8} {s['notes']:3} notes {s['spans']:4} identifiers  token recall {s['token_recall']:.4f}  "
              f"span recall {s['span_recall']:.4f}  precision {s['precision']:.3f}  clinical numbers untouched "
              f"{s['clinical_numbers_untouched']:.4f} of {s['clinical_numbers']}  weakest type {weakest[0]} {weakest[1]:.3f}  ({role})")
    texts = [parse_phi_markup(r["text"])[0] for _, name, _ in SETS if (DATA / name).is_file() for r in lines(name)]
    find_phi(texts[0])  # load the word lists
    start = time.perf_counter()
    for _ in range(3):
        for t in texts: find_phi(t)
    took = time.perf_counter() - start
    words = sum(len(t.split()) for t in texts) * 3
    print(f"  speed: {3 * len(texts) / took:.0f} notes/s, {words / took:.0f} words/s")


def guardrail():
    texts, labels = guardrail_examples()
    start = time.perf_counter()
    guard = QueryGuard(texts, labels)
    fit = time.perf_counter() - start
    rows = lines("guardrail_heldout.jsonl")
    keep = unseen([r["text"] for r in rows], texts)
    rows = [r for r, k in zip(rows, keep) if k]
    results = guard.assess_many([r["text"] for r in rows])
    risky = [(r, a) for r, a in zip(rows, results) if r["label"] == "risky"]
    benign = [(r, a) for r, a in zip(rows, results) if r["label"] == "benign"]
    recall = sum(a.risky for _, a in risky) / len(risky)
    fpr = sum(a.risky for _, a in benign) / len(benign)
    category = sum(a.category == r["category"] for r, a in risky) / len(risky)
    print(f"guardrail on {len(rows)} held-out prompts ({len(keep) - len(rows)} dropped as near-copies of training examples); "
          f"fit {fit:.1f} s on {len(texts)} examples")
    print(f"  recall on risky {recall:.3f} ({len(risky)})  false positives on benign {fpr:.3f} ({len(benign)})  "
          f"category correct on risky {category:.3f}")
    per = {}
    for r, a in risky: per.setdefault(r["category"], []).append(a.risky)
    print("  recall per category: " + ", ".join(f"{k} {sum(v) / len(v):.2f}" for k, v in sorted(per.items())))
    m = redteam(None, guard=guard, progress=False)["guard"]
    print(f"  red-team suite (guardrail alone): refused {m['refusal_rate']:.3f} of {m['risky']} risky, "
          f"{m['false_refusal_rate']:.3f} of {m['benign']} benign")
    print("  refusal by tactic: " + ", ".join(f"{k} {v:.2f}" for k, v in m["refusal_by_tactic"].items()))


if __name__ == "__main__":
    phi()
    guardrail()
