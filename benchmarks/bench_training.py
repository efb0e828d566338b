"""Tokenisation+masking, training and generation throughput against TRL and one-at-a-time generation (CPU).

Run: .venv/bin/python benchmarks/bench_training.py [masks|train|generate|all]
Targets (issue 3):
  masks     meddialogue.modeling.chat.tokenize_conversation vs TRL SFTTrainer's dataset preparation with
            assistant_only_loss on the same conversations and tokenizer: >= 2x, masks equal.
  train     training tokens/s vs TRL SFTTrainer on the same tiny model, data and hyperparameters: >= 1.0x,
            with >= 95% of processed tokens not padding.
  generate  batched (16) vs one-at-a-time greedy generation: >= 5x, identical outputs.
  lengths   (issue 29) SmolLM2-135M LoRA on patient role-play dialogues of about 512, 1,024 and 2,048 tokens, batch 2:
            seconds per step, tokens/s and peak resident memory, ours against TRL's SFTTrainer on the same token ids
            and masks, gradient checkpointing off and on for both, both in the precision meddialogue's `auto` picks
            here (bf16 on a CPU with AVX512-BF16 or AMX); each run in a fresh process (peak RSS is ru_maxrss).
            Targets: peak memory at or below TRL's, tokens/s >= 2x TRL's, one 2,048-token step under a minute.
            `lengths 2048` runs one length. Each run is one pass over that length's windows (8 to 19 steps; the
            windows vary in length, so a few steps would measure which windows they drew): tokens/s is the real
            tokens the steps after the first carried over their time, the first step (with set-up) reported apart.
"""
import os
import sys
import tempfile
import time
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")

from meddialogue.modeling.chat import tokenize_conversations
from meddialogue.modeling.models import tiny_tokenizer
from meddialogue.sources.conversations import DataPrep
from meddialogue.modeling.models import tiny_model
from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task

# The qwen-2.5 template with TRL's {% generation %} markers around each answer and its end-of-turn token; it
# renders exactly the same text as meddialogue's template, so both sides tokenise identical strings.
QWEN25_MARKED = (
    "{%- if messages and messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- set turns = messages[1:] %}"
    "{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}{%- set turns = messages %}{%- endif %}"
    "{%- for m in turns %}{%- if m['role'] == 'assistant' %}{{- '<|im_start|>assistant\\n' }}{% generation %}{{- m['content'] + '<|im_end|>' }}{% endgeneration %}{{- '\\n' }}"
    "{%- else %}{{- '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}")


def conversations(n_patients=400, seed=0):
    task, conv = malnutrition_task()
    train, val = DataPrep(task, conv).prepare_data(malnutrition_data(n_patients=n_patients, seed=seed))
    return train + val


def auto_is_bf16() -> bool:
    """Whether meddialogue's `mixed_precision: auto` computes in bf16 on this machine; TRL is given the same."""
    from meddialogue.training.precision import choose_precision
    return choose_precision("auto") == "bf16"


def trl_tokenizer():
    import copy
    tok = copy.deepcopy(tiny_tokenizer("qwen-2.5"))
    tok.chat_template = QWEN25_MARKED
    return tok


def bench_masks():
    import datasets
    from trl import SFTConfig, SFTTrainer
    datasets.disable_caching()
    datasets.disable_progress_bars()
    examples = conversations()
    msgs = [e["messages"] for e in examples]
    tok = tiny_tokenizer("qwen-2.5")
    t0 = time.perf_counter()
    ours = tokenize_conversations(msgs, tok)
    t_ours = time.perf_counter() - t0

    ttok = trl_tokenizer()
    model, _ = tiny_model("qwen-2.5")
    with tempfile.TemporaryDirectory() as d:
        args = SFTConfig(output_dir=d, assistant_only_loss=True, max_length=None, report_to=[], dataset_num_proc=None, use_cpu=True, bf16=False)
        small = datasets.Dataset.from_list([{"messages": m} for m in msgs[:2]])
        trainer = SFTTrainer(model=model, args=args, train_dataset=small, processing_class=ttok)
        ds = datasets.Dataset.from_list([{"messages": m} for m in msgs])
        t0 = time.perf_counter()
        prepared = trainer._prepare_dataset(ds, ttok, args, False, None, "train")
        t_trl = time.perf_counter() - t0
    equal = 0
    for mine, theirs in zip(ours, prepared):
        mask = [int(l != -100) for l in mine["labels"]]
        if "assistant_masks" in theirs: their_mask = list(theirs["assistant_masks"])   # TRL <= 1.15
        else: their_mask = [int(l != -100) for l in theirs["labels"]]                  # newer TRL folds it into labels
        equal += mine["input_ids"] == list(theirs["input_ids"]) and mask == their_mask
    n = len(msgs)
    print(f"masks: {n} conversations; meddialogue {n / t_ours:,.0f} conv/s, TRL SFTTrainer._prepare_dataset "
          f"{n / t_trl:,.0f} conv/s -> {t_trl / t_ours:.2f}x (target >= 2x); identical ids and masks: {equal}/{n}")


def bench_train(steps=40, batch_size=8, lr=1e-3):
    import datasets
    import torch
    from trl import SFTConfig, SFTTrainer
    from meddialogue.core.run_config import RunConfig
    from meddialogue.sources.synthetic import malnutrition_task
    from meddialogue.training.trainer import Trainer
    datasets.disable_caching(); datasets.disable_progress_bars()
    examples = conversations(300)
    with tempfile.TemporaryDirectory() as d:
        config = RunConfig(*malnutrition_task()).update(
            model="tiny-qwen-2.5", method="full", max_steps=steps, batch_size=batch_size, learning_rate=lr, warmup_ratio=0.0,
            scheduler="linear", eval_steps=10**6, save_steps=10**6, logging_steps=10, seed=0, max_grad_norm=1.0)
        t0 = time.perf_counter()
        run = Trainer(config).train(examples, [], f"{d}/ours", progress=False)
        t_ours = time.perf_counter() - t0
    ours_tokens = run["tokens"]["not_padding"]
    model, _ = tiny_model("qwen-2.5", seed=0)
    ttok = trl_tokenizer()
    with tempfile.TemporaryDirectory() as d:
        args = SFTConfig(output_dir=d, assistant_only_loss=True, max_length=None, report_to=[], max_steps=steps,
                         per_device_train_batch_size=batch_size, learning_rate=lr, warmup_steps=0, lr_scheduler_type="linear",
                         logging_steps=10, save_strategy="no", seed=0, max_grad_norm=1.0, use_cpu=True,
                         bf16=auto_is_bf16(), disable_tqdm=True, dataloader_num_workers=0)
        trainer = SFTTrainer(model=model, args=args, processing_class=ttok,
                             train_dataset=datasets.Dataset.from_list([{"messages": e["messages"]} for e in examples]))
        lengths = [len(x) for x in trainer.train_dataset["input_ids"]]
        t0 = time.perf_counter()
        trainer.train()
        t_trl = time.perf_counter() - t0
    # TRL's batches are random draws of the dataset: its non-padding tokens are the sum of the lengths it saw.
    seen = steps * batch_size
    trl_tokens = sum(lengths) * seen / len(lengths)
    precision = "bf16" if auto_is_bf16() else "float32"
    print(f"train: {steps} steps x batch {batch_size} (tiny qwen-2.5, full fine-tuning, CPU, both in {precision}); "
          f"meddialogue {ours_tokens / t_ours:,.0f} tokens/s ({t_ours:.1f} s incl. setup and saving, "
          f"{run['tokens']['not_padding_share']:.1%} not padding), TRL SFTTrainer ~{trl_tokens / t_trl:,.0f} tokens/s "
          f"({t_trl:.1f} s train() only) -> {ours_tokens / t_ours / (trl_tokens / t_trl):.2f}x (target >= 1.0x)")


def bench_generate(n=16, max_new_tokens=48):
    from meddialogue.generation.inference import InferencePipeline
    model, tok = tiny_model("llama-3.1", seed=0)
    pipe = InferencePipeline(model, tok, max_new_tokens=max_new_tokens, batch_size=n)
    examples = conversations(60)[:n]
    prompts = [e["messages"][:2] for e in examples]
    pipe.generate(prompts[:2])  # warm-up
    t0 = time.perf_counter()
    batched = pipe.generate(prompts)
    t_batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    single = [pipe.generate([p], batch_size=1)[0] for p in prompts]
    t_single = time.perf_counter() - t0
    same = sum(a == b for a, b in zip(batched, single))
    print(f"generate: {n} prompts, {max_new_tokens} new tokens, greedy (tiny llama-3.1); batched {t_batch:.2f} s, "
          f"one at a time {t_single:.2f} s -> {t_single / t_batch:.1f}x (target >= 5x); identical outputs {same}/{n}")


def length_examples(config, length: int, scripts: int = 8) -> list[dict]:
    """Patient role-play examples of about `length` tokens: each script's synthetic interviews chained into one long
    dialogue, then cut into the windows (script kept) that training at max_length=`length` makes."""
    from meddialogue.sources.patients import interview, patient_scripts
    from meddialogue.sources.roleplay import roleplay_examples
    dialogues = []
    for s in patient_scripts(scripts, seed=0):
        turns = [t for k in range(3 + length // 150) for t in interview(s, seed=0, number=k)["dialogue"]]
        dialogues.append({"id": f"long-{len(dialogues)}", "script": s, "dialogue": turns})
    train, _ = roleplay_examples(dialogues, config.roleplay, seed=0)
    return train


class StepClock:
    """Wall time of each optimizer step, from one tool's per-step hook (started when made)."""
    def __init__(self): self.marks = [time.perf_counter()]
    def tick(self, *_, **__): self.marks.append(time.perf_counter())
    def steps(self): return [b - a for a, b in zip(self.marks, self.marks[1:])]


def one_length_run(tool: str, length: int, batch: int = 2, checkpointing: bool = False) -> dict:
    """One pass over the `length`-token windows with `tool` in this process (gradient checkpointing on or off): each
    step's wall time and the real (not padding) tokens it carried, and the peak RSS."""
    import math
    import resource
    from importlib.resources import files
    from meddialogue.core.run_config import load_run_config
    from meddialogue.training.batching import BatchPlan, encode_examples
    from meddialogue.modeling.models import load_tokenizer
    from meddialogue.training.loading import load_for_training
    from meddialogue.training.trainer import Trainer
    config = load_run_config(files("meddialogue") / "data" / "roleplay" / "patient.yaml").update(
        max_length=length, batch_size=batch, eval_steps=10**6, save_steps=10**6, logging_steps=1, warmup_ratio=0.0,
        report_to="none", gradient_checkpointing=checkpointing)
    examples = length_examples(config, length)
    tok = load_tokenizer(config.model.name)
    encoded, _ = encode_examples(examples, tok, config.training)
    steps = math.ceil(len(encoded) / batch)
    config = config.update(max_steps=steps)
    with tempfile.TemporaryDirectory() as d:
        if tool == "meddialogue":
            plan = BatchPlan(encoded, config.training, config.seed)      # the trainer's own plan of its batches
            carried = [sum(len(e["input_ids"]) for m in plan.micro_batches(s) for e in m) for s in range(steps)]
            clock = StepClock()      # started before the trainer is made: the first step includes set-up
            Trainer(config).train(examples, [], f"{d}/run", progress=False, callback=clock.tick)
        else:
            import datasets
            from transformers import TrainerCallback
            from trl import SFTConfig, SFTTrainer
            datasets.disable_progress_bars()
            model, tok, _ = load_for_training(config, "hf")
            rows = [{"input_ids": e["input_ids"], "assistant_masks": [int(l != -100) for l in e["labels"]]}
                    for e in encoded]
            args = SFTConfig(output_dir=d, max_length=None, report_to=[], max_steps=steps, per_device_train_batch_size=batch,
                             learning_rate=config.training.learning_rate, warmup_steps=0, logging_steps=1,
                             save_strategy="no", seed=0, use_cpu=True, bf16=auto_is_bf16(), disable_tqdm=True,
                             dataloader_num_workers=0, gradient_checkpointing=checkpointing)
            hook = type("Clock", (TrainerCallback,), {"on_step_end": lambda self, *a, **k: clock.tick()})()
            clock, carried = StepClock(), []
            trainer = SFTTrainer(model=model, args=args, processing_class=tok,
                                 train_dataset=datasets.Dataset.from_list(rows), callbacks=[hook])
            collate = trainer.data_collator
            def counting(items):
                carried.append(sum(len(x["input_ids"]) for x in items))
                return collate(items)
            trainer.data_collator = counting
            trainer.train()
    lengths = [len(e["input_ids"]) for e in encoded]
    trained = sum(sum(l != -100 for l in e["labels"][1:]) for e in encoded) / len(encoded)
    return {"tool": tool, "checkpointing": checkpointing, "length": length, "windows": len(encoded),
            "mean_tokens": sum(lengths) / len(lengths), "trained_per_window": trained, "steps": clock.steps(),
            "carried": carried, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def bench_lengths(lengths=(512, 1024, 2048), batch: int = 2):
    """Both tools with gradient checkpointing off (meddialogue's default) and on (TRL's default), at each length."""
    import json, subprocess
    print(f"lengths: both tools compute in {'bf16' if auto_is_bf16() else 'float32'} (meddialogue's auto here)")
    for length in lengths:
        rows = {}
        for checkpointing in (False, True):
            for tool in ("meddialogue", "trl"):
                out = subprocess.run([sys.executable, __file__, "_one", tool, str(length), str(batch),
                                      str(int(checkpointing))], capture_output=True, text=True)
                if out.returncode != 0: raise SystemExit(f"{tool} at {length} tokens failed:\n{out.stderr[-2000:]}")
                r = rows[tool, checkpointing] = json.loads(out.stdout.strip().splitlines()[-1])
                if len(r["carried"]) != len(r["steps"]): raise SystemExit(f"{tool}: steps and batches do not pair up")
                later, tokens = sum(r["steps"][1:]), sum(r["carried"][1:])
                r["tokens_per_s"] = tokens / later
                print(f"lengths: {tool:11s} {length:5d} tokens, checkpointing {'on ' if checkpointing else 'off'} "
                      f"({r['windows']} windows of {r['mean_tokens']:.0f} tokens on average, "
                      f"{r['trained_per_window']:.0f} trained), batch {batch}, {len(r['steps'])} steps: set-up and "
                      f"first step {r['steps'][0]:.1f} s, then {later / (len(r['steps']) - 1):.1f} s/step for "
                      f"{tokens / (len(r['steps']) - 1):.0f} real tokens/step, {r['tokens_per_s']:.0f} tokens/s; "
                      f"peak RSS {r['peak_rss_mb']:,.0f} MB", flush=True)
        for label, ours, trl in (("both off", rows["meddialogue", False], rows["trl", False]),
                                 ("both on", rows["meddialogue", True], rows["trl", True]),
                                 ("each tool's default", rows["meddialogue", False], rows["trl", True])):
            print(f"lengths: {length} tokens, {label}: meddialogue / TRL tokens/s "
                  f"{ours['tokens_per_s'] / trl['tokens_per_s']:.2f}x (target >= 2x); peak RSS "
                  f"{ours['peak_rss_mb'] / trl['peak_rss_mb']:.2f} of TRL's (target <= 1)", flush=True)


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which == "_one":
        import json
        print(json.dumps(one_length_run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), bool(int(sys.argv[5])))))
        raise SystemExit
    if which == "lengths":
        rest = [int(a) for a in sys.argv[2:] if a.isdigit()]
        bench_lengths(tuple(rest) or (512, 1024, 2048))
    for name, fn in (("masks", bench_masks), ("generate", bench_generate), ("train", bench_train)):
        if which in (name, "all"): fn()
