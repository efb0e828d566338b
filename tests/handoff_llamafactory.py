"""LLaMA-Factory itself reads and trains on what `meddialogue mix` writes.

Run in LLaMA-Factory's own venv (its pins clash with ours; .ci/run builds it as .venv-llamafactory):
    .venv-llamafactory/bin/python -m pytest -q tests/handoff_llamafactory.py
The exports are written by meddialogue in its own venv ($MEDDIALOGUE_PYTHON, default .venv/bin/python), as a user
hands them over: the two shipped mixtures (guide_fixtures.yaml, knowledge.yaml: 2 x 3 splits x alpaca/sharegpt =
12 datasets) and one mixture whose note conversations carry a system prompt. LLaMA-Factory's own loader
(`get_dataset`, the entry point `llamafactory-cli train` uses) must keep every record, with the roles in order, the
system prompt in its system slot and only the answers trained; `llamafactory-cli train` then runs 2 LoRA steps on a
tiny random Llama-3 model with LLaMA-Factory's llama3 template.
"""
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

pytest.importorskip("llamafactory", reason="LLaMA-Factory is not installed (CI runs this in .venv-llamafactory)")

ROOT = Path(__file__).resolve().parents[1]
MAIN = os.path.abspath(os.environ.get("MEDDIALOGUE_PYTHON", ROOT / ".venv" / "bin" / "python"))   # not resolved: a venv's
MIXTURES = ROOT / "meddialogue" / "data" / "mixtures"
SHIPPED = ("guide_fixtures", "knowledge")
SPLITS = ("train", "validation", "test")
TURN = re.compile(r"<\|start_header_id\|>(\w+)<\|end_header_id\|>\n\n(.*?)<\|eot_id\|>", re.S)

WRITE_INPUTS = """
import sys, yaml
from pathlib import Path
from meddialogue.modeling.models import tiny_model
from meddialogue.sources.medsets import fixture
from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task_path
out = Path(sys.argv[1])
model, tok = tiny_model("llama-3.1")
model.save_pretrained(out / "tiny"); tok.save_pretrained(out / "tiny")
malnutrition_data(n_patients=6, seed=0).to_csv(out / "notes.csv", index=False)
mixture = {"seed": 3, "sources": [
    {"name": "notes", "task": str(malnutrition_task_path()), "data": str(out / "notes.csv"), "count": 5},
    {"name": "medmcqa", "count": 5, "file": str(fixture("medmcqa", "train"))}],
    "decontaminate": {"against": ["medmcqa"], "files": {"medmcqa": str(fixture("medmcqa", "validation"))}}}
(out / "system.yaml").write_text(yaml.safe_dump({"mixture": mixture}))
"""


def run(*args, **kw):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{args[:3]} exited {r.returncode}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A tiny Llama-3 model folder and the `meddialogue mix` folders, all written by meddialogue's own venv."""
    out = tmp_path_factory.mktemp("handoff")
    run(MAIN, "-c", WRITE_INPUTS, out, cwd=out)
    for name in SHIPPED: run(MAIN, "-m", "meddialogue.cli", "mix", MIXTURES / f"{name}.yaml", "--out", out / name, cwd=out)
    run(MAIN, "-m", "meddialogue.cli", "mix", out / "system.yaml", "--out", out / "system", cwd=out)
    return out


def read_jsonl(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def lf_dataset(work, mixture: str, dataset: str):
    """LLaMA-Factory's tokenized training set for `dataset` of the export in `work/mixture`, and its tokenizer."""
    from llamafactory.data import get_dataset, get_template_and_fix_tokenizer
    from llamafactory.hparams import get_train_args
    from llamafactory.model import load_tokenizer
    args = {"model_name_or_path": str(work / "tiny"), "stage": "sft", "do_train": True, "finetuning_type": "lora",
            "template": "llama3", "dataset_dir": str(work / mixture / "llamafactory"), "dataset": dataset,
            "cutoff_len": 1_000_000, "output_dir": str(work / "lf_out"), "overwrite_cache": True, "report_to": "none"}
    model_args, data_args, training_args, _, _ = get_train_args(args)
    tokenizer_module = load_tokenizer(model_args)
    template = get_template_and_fix_tokenizer(tokenizer_module["tokenizer"], data_args)
    module = get_dataset(template, model_args, data_args, training_args, "sft", **tokenizer_module)
    return module["train_dataset"], tokenizer_module["tokenizer"]


def trained_spans(labels) -> list[list[int]]:
    """The runs of trained (not -100) label ids."""
    spans, current = [], []
    for label in labels:
        if label != -100: current.append(label)
        elif current: spans.append(current); current = []
    return spans + ([current] if current else [])


def check_dataset(work, mixture: str, kind: str, split: str) -> int:
    """Every record of one exported dataset, read by LLaMA-Factory, against the example meddialogue wrote."""
    examples = read_jsonl(work / mixture / f"{split}.jsonl")
    data, tok = lf_dataset(work, mixture, f"meddialogue_{kind}_{split}")
    assert len(data) == len(examples) > 0, (mixture, kind, split, len(data), len(examples))
    for i, (row, example) in enumerate(zip(data, examples)):
        where = (mixture, kind, split, i, example["id"])
        text = tok.decode(row["input_ids"])
        assert text.startswith("<|begin_of_text|>"), where
        turns = [{"role": r, "content": c} for r, c in TURN.findall(text)]
        assert turns == example["messages"], where   # every role in order, the system prompt in the system slot
        answers = [m["content"] + "<|eot_id|>" for m in example["messages"] if m["role"] == "assistant"]
        assert [tok.decode(s) for s in trained_spans(row["labels"])] == answers, where   # only the answers train
    return len(examples)


@pytest.mark.parametrize("mixture", SHIPPED)
@pytest.mark.parametrize("kind", ["alpaca", "sharegpt"])
def test_llamafactory_reads_every_record_of_the_shipped_mixtures(work, mixture, kind):
    """Both shipped mixtures have no system message: every dataset loads, every record keeps its turns."""
    counts = {split: check_dataset(work, mixture, kind, split) for split in SPLITS}
    assert counts == {"guide_fixtures": {"train": 11, "validation": 2, "test": 2},
                      "knowledge": {"train": 480, "validation": 60, "test": 60}}[mixture]
    if mixture == "guide_fixtures":   # MedDialog's dialogues: several exchanges, so the history is checked too
        assert max(len(e["messages"]) for e in read_jsonl(work / mixture / "train.jsonl")) >= 4


@pytest.mark.parametrize("kind", ["alpaca", "sharegpt"])
def test_a_system_prompt_lands_in_the_system_slot_and_is_not_trained(work, kind):
    """Note conversations carry the task's system prompt; the medmcqa examples mixed with them carry none."""
    examples = read_jsonl(work / "system" / "train.jsonl")
    with_system = [e for e in examples if e["messages"][0]["role"] == "system"]
    assert 0 < len(with_system) < len(examples)
    assert check_dataset(work, "system", kind, "train") == len(examples)


@pytest.mark.parametrize("mixture", SHIPPED)
def test_llamafactory_cli_trains_two_lora_steps(work, mixture, tmp_path):
    """`llamafactory-cli train` on the export's train sets (alpaca and sharegpt), 2 steps on the CPU, from a YAML
    config (LLaMA-Factory 0.9.5 cannot read a JSON one: `json.load` is given a path)."""
    out = tmp_path / "lora"
    config = {"model_name_or_path": str(work / "tiny"), "stage": "sft", "do_train": True, "finetuning_type": "lora",
              "lora_target": "all", "lora_rank": 4, "template": "llama3", "dataset_dir": str(work / mixture / "llamafactory"),
              "dataset": "meddialogue_alpaca_train,meddialogue_sharegpt_train", "cutoff_len": 1024, "max_steps": 2,
              "per_device_train_batch_size": 2, "learning_rate": 1e-3, "logging_steps": 1, "save_strategy": "no",
              "output_dir": str(out), "report_to": "none", "bf16": False, "fp16": False, "overwrite_cache": True,
              "preprocessing_num_workers": 1, "dataloader_num_workers": 0}
    (tmp_path / "train.yaml").write_text(yaml.safe_dump(config))
    cli = Path(sys.executable).parent / "llamafactory-cli"
    run(cli, "train", tmp_path / "train.yaml", cwd=tmp_path, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    assert (out / "adapter_model.safetensors").is_file() and (out / "adapter_config.json").is_file()
    log = read_jsonl(out / "trainer_log.jsonl")
    losses = [r["loss"] for r in log if "loss" in r]
    assert [r["current_steps"] for r in log if "loss" in r] == [1, 2] and all(math.isfinite(x) for x in losses), log
