"""Benchmark items per second: meddialogue's log-likelihood scorer against lm-evaluation-harness, same model, same items.

Run: .venv/bin/python benchmarks/bench_benchmark.py [--model smollm2-135m] [--knowledge 100] [--batch-size 8]
Target (issue 10): meddialogue >= 1.5x lm-eval's items/s at lm-eval's default batch size (1), with identical choices.
lm-eval at meddialogue's batch size is printed too.

Items: the MedQA fixture plus --knowledge synthetic knowledge questions (MedQA prompt), and the PubMedQA fixture,
read by both tools from the same local files (lm-eval through its own task definitions, `benchmark.lm_eval_task`).
Each tool's time is the wall time of its whole call: reading the files, building prompts, tokenising, scoring.
"""
import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

from meddialogue.evaluation.benchmark_scoring import score_loglikelihood
from meddialogue.evaluation.benchmark_tasks import TASKS, task_rows
from meddialogue.evaluation.lm_eval_harness import lm_eval_choices, lm_eval_task
from meddialogue.sources.medsets import fixture, knowledge_rows, read_rows
from meddialogue.modeling.models import load_model


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--knowledge", type=int, default=100, help="synthetic knowledge questions added to the MedQA items")
    ap.add_argument("--batch-size", type=int, default=8)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp())
    medqa = folder / "medqa_items.jsonl"
    rows = read_rows("medqa_4options", fixture("medqa_4options", "test"), "test") + knowledge_rows(args.knowledge, "test")
    medqa.write_text("".join(json.dumps(r) + "\n" for r in rows))
    files = {"medqa_4options": medqa, "pubmedqa": fixture("pubmedqa_labeled", "test")}
    aliases = {name: lm_eval_task(name, path, folder) for name, path in files.items()}
    model, tok, _ = load_model(args.model)
    n = sum(len(task_rows(TASKS[t], files)) for t in files)

    def ours():
        return {t: score_loglikelihood(model, tok, TASKS[t], task_rows(TASKS[t], files), batch_size=args.batch_size) for t in files}

    ours()  # warm-up (first-call allocations), not timed
    start = time.perf_counter(); mine = ours(); t_ours = time.perf_counter() - start
    timings = {}
    for bs in (1, args.batch_size):
        start = time.perf_counter(); theirs = lm_eval_choices(model, tok, folder, list(aliases.values()), batch_size=bs)
        timings[bs] = time.perf_counter() - start
    choices = {"medqa_4options": list("ABCD"), "pubmedqa": ["yes", "no", "maybe"]}
    same = sum(s["chosen"] == choices[t][theirs[aliases[t]]["docs"][s["index"]][0]] for t in files for s in mine[t])
    print(f"model {args.model}; {n} items ({', '.join(f'{t} {len(mine[t])}' for t in files)}); "
          f"python {platform.python_version()}, {platform.machine()}")
    print(f"meddialogue (batch {args.batch_size}): {n / t_ours:.2f} items/s ({t_ours:.1f} s)")
    for bs, t in timings.items():
        print(f"lm-eval 0.4.13 (batch {bs}): {n / t:.2f} items/s ({t:.1f} s); meddialogue / lm-eval = {t / t_ours:.2f}x")
    print(f"same chosen answer on {same}/{n} items")


if __name__ == "__main__":
    main()
