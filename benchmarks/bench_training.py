"""Tokenisation+masking, training and generation throughput against TRL and one-at-a-time generation (CPU).

Run: .venv/bin/python benchmarks/bench_training.py [masks|train|generate|all]
Targets (issue 3):
  masks     meddialogue.modeling.chat.tokenize_conversation vs TRL SFTTrainer's dataset preparation with
            assistant_only_loss on the same conversations and tokenizer: >= 2x, masks equal.
  train     training tokens/s vs TRL SFTTrainer on the same tiny model, data and hyperparameters: >= 1.0x,
            with >= 95% of processed tokens not padding.
  generate  batched (16) vs one-at-a-time greedy generation: >= 5x, identical outputs.
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
                         logging_steps=10, save_strategy="no", seed=0, max_grad_norm=1.0, use_cpu=True, bf16=False, disable_tqdm=True,
                         dataloader_num_workers=0)
        trainer = SFTTrainer(model=model, args=args, processing_class=ttok,
                             train_dataset=datasets.Dataset.from_list([{"messages": e["messages"]} for e in examples]))
        lengths = [len(x) for x in trainer.train_dataset["input_ids"]]
        t0 = time.perf_counter()
        trainer.train()
        t_trl = time.perf_counter() - t0
    # TRL's batches are random draws of the dataset: its non-padding tokens are the sum of the lengths it saw.
    seen = steps * batch_size
    trl_tokens = sum(lengths) * seen / len(lengths)
    print(f"train: {steps} steps x batch {batch_size} (tiny qwen-2.5, full fine-tuning, CPU); meddialogue "
          f"{ours_tokens / t_ours:,.0f} tokens/s ({t_ours:.1f} s incl. setup and saving, "
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


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    for name, fn in (("masks", bench_masks), ("generate", bench_generate), ("train", bench_train)):
        if which in (name, "all"): fn()
