"""lm-eval's own command line scores a LoRA run folder, as a user would: `lm_eval --model hf --model_args
pretrained=BASE,peft=RUN/adapter` on the packaged fixtures (through `benchmark.lm_eval_task`'s YAMLs, which include
lm-eval's own task definitions). Its accuracy and every per-item choice equal `meddialogue benchmark RUN` on the same
items, and its log-likelihoods are the run's, not the base model's (the adapter is applied).
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("lm_eval")
pytest.importorskip("peft")

from meddialogue.core.run_config import RunConfig  # noqa: E402
from meddialogue.evaluation.benchmark_tasks import TASKS  # noqa: E402
from meddialogue.evaluation.lm_eval_harness import lm_eval_task  # noqa: E402
from meddialogue.modeling.models import tiny_model  # noqa: E402
from meddialogue.sources.medsets import fixture  # noqa: E402
from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task  # noqa: E402
from meddialogue.sources.examples import load_examples  # noqa: E402
from meddialogue.training.trainer import Trainer  # noqa: E402

CHOSEN = ("pubmedqa", "mmlu_anatomy")


def lora_run(tmp_path) -> tuple[Path, Path]:
    """A tiny Llama-3 base model saved as a folder, and a 2-step LoRA run on it (the run records the folder)."""
    base, run = tmp_path / "base", tmp_path / "run"
    model, tok = tiny_model("llama-3.1")
    model.save_pretrained(base); tok.save_pretrained(base)
    config = RunConfig(*malnutrition_task()).update(model=str(base), lora_r=4, max_steps=2, batch_size=4, learning_rate=2e-2,
                                                    seed=0, max_length=1024, report_to="none")
    examples = load_examples(config, malnutrition_data(n_patients=8, seed=0))
    Trainer(config).train(examples.train, examples.validation, run, progress=False)
    assert (run / "adapter" / "adapter_config.json").is_file()
    return base, run


def lm_eval_cli(base, run, folder, tasks) -> tuple[dict, dict]:
    """lm-eval's `results` and, per task, its samples ordered by document."""
    out = folder / "lm_eval_out"
    args = ["--model", "hf", "--model_args", f"pretrained={base},peft={run / 'adapter'},dtype=float32", "--tasks", ",".join(tasks),
            "--include_path", str(folder), "--num_fewshot", "0", "--batch_size", "1", "--device", "cpu", "--log_samples",
            "--output_path", str(out)]
    r = subprocess.run([str(Path(sys.executable).parent / "lm_eval"), *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    results = json.loads(next(out.rglob("results_*.json")).read_text())["results"]
    samples = {}
    for task in tasks:
        lines = next(out.rglob(f"samples_{task}_*.jsonl")).read_text().splitlines()
        samples[task] = sorted((json.loads(line) for line in lines), key=lambda s: s["doc_id"])
    return results, samples


def test_lm_eval_scores_a_lora_run_folder_like_meddialogue_benchmark(tmp_path):
    base, run = lora_run(tmp_path)
    data = {name: fixture(TASKS[name].source, "test") for name in CHOSEN}
    aliases = {name: lm_eval_task(name, data[name], tmp_path) for name in CHOSEN}
    results, samples = lm_eval_cli(base, run, tmp_path, list(aliases.values()))
    cmd = [sys.executable, "-m", "meddialogue.cli", "benchmark", str(run), str(base), "--tasks", ",".join(CHOSEN),
           *[a for name in CHOSEN for a in ("--data", f"{name}={data[name]}")], "--out", str(tmp_path / "bench")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    ours = [json.loads(line) for line in (tmp_path / "bench" / "samples.jsonl").read_text().splitlines()]
    payload = json.loads((tmp_path / "bench" / "results.json").read_text())
    run_label, base_label = list(payload["models"])
    moved = 0.0
    for name, alias in aliases.items():
        mine = [s for s in ours if s["task"] == name and s["model"] == run_label]
        plain = [s for s in ours if s["task"] == name and s["model"] == base_label]
        theirs = samples[alias]
        assert len(mine) == len(theirs) == len(plain) > 0, name
        for m, b, t in zip(mine, plain, theirs):
            lls = [float(x[0]) for x in t["filtered_resps"]]
            choices = list(m["loglikelihoods"])
            assert m["chosen"] == choices[max(range(len(lls)), key=lls.__getitem__)], (name, m["index"])
            assert list(m["loglikelihoods"].values()) == pytest.approx(lls, abs=2e-3), (name, m["index"])
            moved = max(moved, max(abs(x - y) for x, y in zip(b["loglikelihoods"].values(), lls)))
        metrics = payload["models"][run_label]["tasks"][name]
        assert metrics["acc"] == pytest.approx(results[alias]["acc,none"], abs=1e-12), name
        if "acc_norm" in metrics: assert metrics["acc_norm"] == pytest.approx(results[alias]["acc_norm,none"], abs=1e-12)
    assert moved > 0.05, f"the adapter moves no log-likelihood (largest change {moved}): lm-eval's peft= is not shown to apply it"
