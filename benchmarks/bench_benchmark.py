"""Benchmark items per second: meddialogue's log-likelihood scorer against lm-evaluation-harness, same model, same items.

Run: .venv/bin/python benchmarks/bench_benchmark.py [--model smollm2-135m] [--knowledge 100] [--batch-size 8]
     [--repeats 3] [--dtype float32|bfloat16]
Target (issue 29): meddialogue >= 2x lm-eval's items/s at the same batch size, median of --repeats in one run, with
identical choices. lm-eval at its default batch size (1) is printed too (issue 10's comparison).

Items: the MedQA fixture plus --knowledge synthetic knowledge questions (MedQA prompt), and the PubMedQA fixture,
read by both tools from the same local files (lm-eval through its own task definitions, `benchmark.lm_eval_task`).
Each tool's time is the wall time of its whole call: reading the files, building prompts, tokenising, scoring.
"""
import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

from meddialogue.evaluation.benchmark_scoring import encode_pair, score_loglikelihood
from meddialogue.evaluation.benchmark_tasks import TASKS, contexts, doc_to_choice, task_rows
from meddialogue.evaluation.lm_eval_harness import lm_eval_choices, lm_eval_task
from meddialogue.sources.medsets import fixture, knowledge_rows, read_rows
from meddialogue.modeling.models import backbone_and_head, load_model


def backbone_floor(model, tok, files, batch_size: int) -> float:
    """Seconds for the transformer body alone on each item's longest input, length-sorted batches: what any exact
    scorer pays (every choice here is one token, so one input per item), without the output layer or softmax."""
    import torch
    seqs = []
    for t in files:
        task = TASKS[t]; rows = task_rows(task, files)
        for ctx, choices in zip(contexts(task, rows), (doc_to_choice(task, r) for r in rows)):
            seqs.append(max(((c + x)[:-1] for c, x in (encode_pair(tok, ctx, " " + ch) for ch in choices)), key=len))
    seqs.sort(key=len, reverse=True)
    backbone, pad = backbone_and_head(model)[0], tok.pad_token_id or 0
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(seqs), batch_size):
            chunk = seqs[i:i + batch_size]; width = len(chunk[0])
            backbone(input_ids=torch.tensor([s + [pad] * (width - len(s)) for s in chunk]))
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--knowledge", type=int, default=100, help="synthetic knowledge questions added to the MedQA items")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"],
                    help="the weights' precision; both tools score the same model object")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp())
    medqa = folder / "medqa_items.jsonl"
    rows = read_rows("medqa_4options", fixture("medqa_4options", "test"), "test") + knowledge_rows(args.knowledge, "test")
    medqa.write_text("".join(json.dumps(r) + "\n" for r in rows))
    files = {"medqa_4options": medqa, "pubmedqa": fixture("pubmedqa_labeled", "test")}
    aliases = {name: lm_eval_task(name, path, folder) for name, path in files.items()}
    model, tok, _ = load_model(args.model, dtype=args.dtype)
    n = sum(len(task_rows(TASKS[t], files)) for t in files)

    def ours():
        return {t: score_loglikelihood(model, tok, TASKS[t], task_rows(TASKS[t], files), batch_size=args.batch_size) for t in files}

    ours()  # warm-up (first-call allocations), not timed
    times, theirs = {"ours": [], 1: [], args.batch_size: [], "floor": []}, {}
    for _ in range(args.repeats):                      # the tools alternate, so a slow minute hits both
        start = time.perf_counter(); mine = ours(); times["ours"].append(time.perf_counter() - start)
        for bs in (args.batch_size, 1):
            start = time.perf_counter()
            theirs[bs] = lm_eval_choices(model, tok, folder, list(aliases.values()), batch_size=bs)
            times[bs].append(time.perf_counter() - start)
        times["floor"].append(backbone_floor(model, tok, files, args.batch_size))
    choices = {"medqa_4options": list("ABCD"), "pubmedqa": ["yes", "no", "maybe"]}
    same = {bs: sum(s["chosen"] == choices[t][got[aliases[t]]["docs"][s["index"]][0]] for t in files for s in mine[t])
            for bs, got in theirs.items()}
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"model {args.model}; {n} items ({', '.join(f'{t} {len(mine[t])}' for t in files)}); {args.repeats} repeats; "
          f"{args.dtype}; python {platform.python_version()}, {platform.machine()}")
    print(f"meddialogue (batch {args.batch_size}): {n / med['ours']:.2f} items/s (median {med['ours']:.1f} s, "
          f"min {min(times['ours']):.1f}, max {max(times['ours']):.1f})")
    for bs in (args.batch_size, 1):
        ratios = [t / o for t, o in zip(times[bs], times["ours"])]
        target = " (target >= 2x)" if bs == args.batch_size else " (lm-eval's default batch size)"
        print(f"lm-eval 0.4.13 (batch {bs}): {n / med[bs]:.2f} items/s (median {med[bs]:.1f} s); meddialogue / lm-eval "
              f"= {statistics.median(ratios):.2f}x median (min {min(ratios):.2f}, max {max(ratios):.2f}){target}")
    print(f"the transformer body alone on the same inputs (batch {args.batch_size}): median {med['floor']:.1f} s; "
          f"an exact scorer at this batch size can be at most about {med[args.batch_size] / med['floor']:.2f}x "
          f"lm-eval's speed; meddialogue takes {med['ours'] / med['floor']:.2f}x the body's time")
    print(f"same chosen answer as lm-eval on {same[args.batch_size]}/{n} items (batch {args.batch_size}) and {same[1]}/{n} "
          f"(batch 1)")


if __name__ == "__main__":
    main()
