"""The GPU path, checked in minutes on the first CUDA machine: Unsloth vs the hf backend, QLoRA, GGUF export, multi-GPU (DDP, FSDP, ZeRO-3).

Run on a CUDA machine with the gpu extra (pip install 'meddialogue[train,gpu]'):
    python benchmarks/bench_gpu.py [--model llama-3.2-1b] [--steps 20] [--batch-size 8] [--out bench_gpu]
None of this has run on a GPU yet: the workbench was built on CPU machines. What each part should show:
  unsloth   LoRA with the unsloth backend vs the hf backend, same model, data, seed and steps: about 2x the trained
            tokens/s and lower peak memory (Unsloth's published figures), and a final loss within a few percent.
  qlora     QLoRA (4-bit NF4 through bitsandbytes) with the hf backend: peak memory well under LoRA's in bf16 (about a
            third for the weights of a 1B model), a loss close to LoRA's.
  gguf      `meddialogue export RUN --gguf q4_k_m` on the unsloth run: a .gguf file of roughly 0.6 bytes per parameter.
  ddp       with two or more GPUs, `accelerate launch --multi_gpu` over the same run: the same final loss as one GPU
            within float tolerance (the CPU test of issue 13 shows 1e-4 with gloo), and near-linear tokens/s.
  fsdp      the same with the shipped fsdp.yaml (FSDP2, each GPU holding 1/N of the weights): the same loss as
            one GPU (the CPU test shows FSDP's losses and weights match one process within 2e-7).
  zero3     the same with deepspeed_zero3.yaml (pip install 'meddialogue[deepspeed]'): the same loss (CPU test: 2e-7).
  engines   hf vs vllm generation on the trained run (benchmarks/bench_generation.py --model RUN): >= 5x tokens/s.
Every part prints one line of figures; a part that cannot run here says why and the others go on.
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

CONFIGS = Path(__file__).resolve().parent.parent / "meddialogue" / "data" / "accelerate"


def train(out: Path, model: str, steps: int, batch_size: int, **knobs) -> dict:
    """Train on the synthetic task in this process; the run's figures with peak GPU memory."""
    import torch
    from meddialogue.core.run_config import RunConfig
    from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task
    from meddialogue.sources.examples import load_examples
    from meddialogue.training.trainer import Trainer
    torch.cuda.reset_peak_memory_stats()
    config = RunConfig(*malnutrition_task()).update(model=model, max_steps=steps, batch_size=batch_size, learning_rate=2e-4,
                                                    lora_r=16, report_to="none", **knobs)
    examples = load_examples(config, malnutrition_data(n_patients=200, seed=0))
    run = Trainer(config).train(examples.train, examples.validation, out, progress=False)
    run["peak_gib"] = torch.cuda.max_memory_allocated() / 2**30
    return run


def line(name: str, run: dict) -> str:
    return (f"{name}: {run['tokens']['trained'] / run['seconds']:.0f} trained tokens/s, {run['seconds']:.1f} s, peak {run['peak_gib']:.2f} GiB, "
            f"loss {run['loss']['first_train']:.4f} -> {run['loss']['last_train']:.4f} (backend {run['backend']}, {run['mixed_precision']})")


def part(name: str, fn):
    try: fn()
    except Exception as e: print(f"{name}: did not run: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", flush=True)


def main():
    import torch
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="llama-3.2-1b")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--out", type=Path, default=Path("bench_gpu"))
    args = ap.parse_args()
    if not torch.cuda.is_available(): sys.exit("bench_gpu.py needs a CUDA GPU; this machine has none")
    print(f"{torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}; torch {torch.__version__}; model {args.model}", flush=True)
    runs = {}
    def lora_hf(): runs["hf"] = train(args.out / "hf", args.model, args.steps, args.batch_size, backend="hf"); print(line("hf LoRA", runs["hf"]), flush=True)
    def lora_unsloth():
        runs["unsloth"] = train(args.out / "unsloth", args.model, args.steps, args.batch_size, backend="unsloth")
        print(line("unsloth LoRA", runs["unsloth"]), flush=True)
        if "hf" in runs:
            hf, un = runs["hf"], runs["unsloth"]
            print(f"unsloth / hf: {(un['tokens']['trained'] / un['seconds']) / (hf['tokens']['trained'] / hf['seconds']):.2f}x tokens/s, "
                  f"{un['peak_gib'] / hf['peak_gib']:.2f}x peak memory", flush=True)
    def qlora(): print(line("hf QLoRA", train(args.out / "qlora", args.model, args.steps, args.batch_size, backend="hf", method="qlora")), flush=True)
    def gguf():
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "meddialogue.cli", "export", str(args.out / "unsloth"), "--gguf", "q4_k_m"], check=True)
        files = sorted((args.out / "unsloth" / "merged" / "gguf").rglob("*.gguf"))
        print(f"gguf: {', '.join(f'{f.name} {f.stat().st_size / 2**20:.0f} MiB' for f in files)} in {time.perf_counter() - start:.0f} s", flush=True)
    def several(kind: str, config: str | None):
        def launch():
            from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task_path
            n = torch.cuda.device_count()
            if n < 2: raise RuntimeError(f"{n} GPU: {kind} needs two or more")
            data = args.out / "notes.csv"
            malnutrition_data(n_patients=200, seed=0).to_csv(data, index=False)
            how = ["--config_file", str(CONFIGS / config)] if config else ["--multi_gpu"]
            start = time.perf_counter()
            subprocess.run(["accelerate", "launch", *how, "--num_processes", str(n), "-m", "meddialogue.cli", "train", str(malnutrition_task_path()),
                            str(data), "--model", args.model, "--out", str(args.out / kind), "--max-steps", str(args.steps), "--set", f"batch_size={args.batch_size}",
                            "--set", "learning_rate=2e-4", "--set", "lora_r=16", "--set", "report_to=none", "--set", "backend=hf"], check=True)
            run = json.loads((args.out / kind / "run.json").read_text())
            one = runs.get("hf")
            print(f"{kind} x{n}: {run['tokens']['trained'] / (time.perf_counter() - start):.0f} trained tokens/s (launch included), loss "
                  f"{run['loss']['first_train']:.4f} -> {run['loss']['last_train']:.4f}" + (f"; one GPU {one['loss']['last_train']:.4f}" if one else ""), flush=True)
        return launch
    parts = [("hf LoRA", lora_hf), ("unsloth LoRA", lora_unsloth), ("hf QLoRA", qlora), ("gguf", gguf), ("ddp", several("ddp", None)),
             ("fsdp", several("fsdp", "fsdp.yaml")), ("zero3", several("zero3", "deepspeed_zero3.yaml"))]
    for name, fn in parts: part(name, fn)
    (args.out / "bench_gpu.json").write_text(json.dumps({k: {kk: v[kk] for kk in ("seconds", "tokens", "loss", "peak_gib", "backend")} for k, v in runs.items()}, indent=2))


if __name__ == "__main__":
    main()
