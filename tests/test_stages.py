"""Two-stage training with replay: exact seeded replay samples, lineage, resume after SIGKILL anywhere, per-source masks, bad recipes."""
import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction

import pytest
import yaml

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from safetensors.torch import load_file

from meddialogue.modeling.chat import tokenize_conversations
from meddialogue.sources.medsets import fixture, knowledge_rows, read_rows, to_examples
from meddialogue.modeling.models import tiny_tokenizer
from meddialogue.core.rundir import RunDir
from meddialogue.recipes.stage_plan import plan_stages, replay_sample, stage_examples
from meddialogue.recipes.stage_recipe import load_recipe, recipe_path
from meddialogue.recipes.stages import run_stages
from meddialogue.sources.synthetic import malnutrition_task_path


def read_run(folder):
    return RunDir(folder).read()


def write_recipe(folder, continuation="merge_new", steps=(4, 3), replay="1/4", measure=None, **stage2):
    """A tiny two-stage recipe in `folder`: 40 knowledge questions, then conversations about 12 synthetic patients."""
    (folder / "knowledge.yaml").write_text("mixture:\n  seed: 0\n  sources:\n    - {name: malnutrition_knowledge, count: 40}\n"
                                           "  decontaminate:\n    against: [malnutrition_knowledge]\n")
    raw = {"seed": 0, "model": "tiny", "continuation": continuation,
           "settings": {"lora_r": 4, "batch_size": 4, "learning_rate": 5e-3, "max_length": 1024, "max_new_tokens": 8},
           "measure": measure or {"benchmarks": [], "notes": 0},
           "stages": [{"name": "knowledge", "data": {"mixture": "knowledge.yaml"}, "settings": {"max_steps": steps[0]}},
                      {"name": "dialogue", "data": {"task": str(malnutrition_task_path()), "synthetic_patients": 12},
                       "replay": {"from": "knowledge", "fraction": replay}, "settings": {"max_steps": steps[1], **stage2}}]}
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "meddialogue.cli", *map(str, args)], capture_output=True, text=True, **kw)


def adapter(folder):
    return load_file(folder / "adapter" / "adapter_model.safetensors")


def test_replay_is_exactly_k_of_stage_one_seeded_and_nested(tmp_path):
    recipe = load_recipe(write_recipe(tmp_path))
    source = {e["id"] for e in stage_examples(recipe, recipe.stages[0])[0]}
    ks = ["0", "1/256", "1/16", "1/8", "1/4", "1/2", "1"]
    plans = plan_stages(recipe, tmp_path / "out", {"replay": ks})
    again = plan_stages(recipe, tmp_path / "out", {"replay": ks})
    samples = {}
    for k in ks:
        last = plans[k][-1]
        ids = last.replay["ids"]
        assert len(ids) == round(Fraction(k) * len(source)) == last.replay["examples"]
        assert set(ids) <= source and len(set(ids)) == len(ids)
        assert ids == again[k][-1].replay["ids"]                                  # same seed, same sample
        assert len(last.train) == last.own_train + len(ids)
        assert [e["id"] for e in last.train[last.own_train:]] == ids
        samples[k] = ids
    assert all(samples[a] == samples[b][:len(samples[a])] for a, b in zip(ks, ks[1:]))   # a smaller k is the start of a larger
    recipe.seed = 1
    assert plan_stages(recipe, tmp_path / "out", {"replay": ["1/4"]})["1/4"][-1].replay["ids"] != samples["1/4"]
    assert not (tmp_path / "out").exists()


def test_share_and_count_replays_are_sized_against_the_right_set(tmp_path):
    recipe = load_recipe(write_recipe(tmp_path))
    new = len(stage_examples(recipe, recipe.stages[1])[0])
    recipe.stages[1].replay.fraction, recipe.stages[1].replay.share = None, 0.2
    run = plan_stages(recipe, tmp_path / "out")[""][-1]
    assert run.replay["examples"] == round(0.2 / 0.8 * new) and run.replay["amount"] == "share 0.2"
    assert abs(run.replay["examples"] / len(run.train) - 0.2) < 1 / len(run.train)
    recipe.stages[1].replay.share, recipe.stages[1].replay.count = None, 5
    assert plan_stages(recipe, tmp_path / "out")[""][-1].replay["examples"] == 5


def test_lineage_is_recorded_in_every_stage_run(tmp_path):
    out = tmp_path / "out"
    run_stages(write_recipe(tmp_path), out, progress=False)
    first, last = read_run(out / "knowledge"), read_run(out / "dialogue")
    assert [s["stage"] for s in first["stages"]] == ["knowledge"]
    assert [s["stage"] for s in last["stages"]] == ["knowledge", "dialogue"] and last["stage"] == "dialogue"
    for entry in last["stages"]:
        run = read_run(out / entry["run_dir"])
        assert entry["data_sha256"] == run["data"]["sha256"]
        assert entry["train_examples"] == run["data"]["train_examples"]
        assert entry["settings"] == run["config"]
    stage2 = last["stages"][1]
    assert stage2["continuation"] == "merge_new" and stage2["replay"]["from"] == "knowledge"
    assert stage2["replay"]["examples"] == len(stage2["replay"]["ids"]) == 8 and stage2["replay"]["source_examples"] == 32
    assert last["config"]["model"]["name"] == str((out / "knowledge" / "merged").resolve())
    assert stage2["settings"]["training"]["max_steps"] == 3 and stage2["data"]["synthetic_patients"] == 12
    summary = json.loads((out / "forgetting.json").read_text())
    assert summary["settings"][0]["replayed"] == 8 and (out / "report.md").is_file()


def _wait_for(path, proc, seconds=300):
    deadline = time.time() + seconds
    while time.time() < deadline and not path.exists():
        assert proc.poll() is None, "the run ended before it could be killed"
        time.sleep(0.02)
    assert path.exists(), f"{path} never appeared"


def test_sigkill_inside_and_between_stages_resumes_to_identical_weights(tmp_path):
    """Kill a `meddialogue stages` process inside stage 1, between the stages and inside stage 2; the resumed run ends with an uninterrupted run's weights."""
    recipe = write_recipe(tmp_path, steps=(40, 40), save_steps=4)
    recipe_raw = yaml.safe_load(recipe.read_text())
    recipe_raw["stages"][0]["settings"]["save_steps"] = 4
    recipe.write_text(yaml.safe_dump(recipe_raw, sort_keys=False))
    full = cli("stages", recipe, "--out", tmp_path / "full")
    assert full.returncode == 0, full.stderr[-2000:]
    killed = tmp_path / "killed"
    cmd = [sys.executable, "-m", "meddialogue.cli", "stages", str(recipe), "--out", str(killed)]
    for marker in (killed / "knowledge" / "checkpoints" / "step-0000004",     # inside stage 1
                   killed / "knowledge" / "run.json",                          # between the stages
                   killed / "dialogue" / "checkpoints" / "step-0000008"):     # inside stage 2
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(marker, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert not (killed / "dialogue" / "run.json").exists()
    resumed = cli("stages", recipe, "--out", killed)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    for stage in ("knowledge", "dialogue"):
        a, b = adapter(tmp_path / "full" / stage), adapter(killed / stage)
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), stage
    assert read_run(killed / "dialogue")["stages"][1]["replay"]["ids"] == read_run(tmp_path / "full" / "dialogue")["stages"][1]["replay"]["ids"]


def test_continue_trains_the_first_stage_adapter_on(tmp_path):
    out = tmp_path / "out"
    run_stages(write_recipe(tmp_path, continuation="continue", learning_rate=1e-9), out, progress=False)
    last = read_run(out / "dialogue")
    assert last["init_adapter"] == str(out / "knowledge" / "adapter") and last["config"]["model"]["name"] == "tiny"
    a, b = adapter(out / "knowledge"), adapter(out / "dialogue")
    assert a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)   # a near-zero step moves nothing
    assert any(float(v.abs().sum()) > 0 for k, v in a.items() if "lora_B" in k)                 # and stage 1 did train B


def test_full_fine_tuning_continues_from_the_previous_weights(tmp_path):
    out = tmp_path / "out"
    run_stages(write_recipe(tmp_path, continuation="full", steps=(2, 2)), out, progress=False)
    last = read_run(out / "dialogue")
    assert last["config"]["adapter"]["method"] == "full" and last["weights"] == "model"
    assert last["config"]["model"]["name"] == str((out / "knowledge" / "model").resolve())


def test_masks_stay_per_source():
    """Multiple choice trains the answer, dialogues train the doctor (assistant) turns, never the question or the patient."""
    tok = tiny_tokenizer()
    examples = [*to_examples("malnutrition_knowledge", knowledge_rows(2, "train"), "train"),
                *to_examples("notechat", read_rows("notechat", fixture("notechat"), limit=2), "train")]
    encoded = tokenize_conversations([e["messages"] for e in examples], tok, "all_assistant", 4096, "assistant")
    for example, enc in zip(examples, encoded):
        trained = tok.decode([t for t, l in zip(enc["input_ids"], enc["labels"]) if l != -100])
        for m in example["messages"]:
            if m["role"] == "assistant": assert m["content"].strip() in trained, (example["id"], m["content"][:60])
            else: assert m["content"].strip()[:40] not in trained, (example["id"], m["content"][:60])
    assert sum(m["role"] == "assistant" for m in examples[-1]["messages"]) > 1                 # a real multi-turn dialogue


@pytest.mark.parametrize("change, message", [
    (lambda r: r["stages"][1].update(replya={"from": "knowledge", "count": 1}), "stage 'dialogue': unknown key 'replya' (did you mean 'replay'?)"),
    (lambda r: r["stages"].append({"name": "later", "data": {"mixture": "knowledge.yaml"}}) or r["stages"][1]["replay"].update({"from": "later"}),
     "stage 'dialogue' replays 'later', which comes after it; a replay draws on earlier stages"),
    (lambda r: r["stages"][1]["replay"].update({"fraction": None, "count": 33}),
     "stage 'dialogue' replays 33 examples of 'knowledge' (count 33), which has only 32 training examples"),
    (lambda r: r["settings"].update(method="full"), "continuation merge_new merges a LoRA adapter, but stage 'knowledge' is a full fine-tune"),
])
def test_bad_recipes_are_one_line_errors_before_anything_is_written(tmp_path, change, message):
    path = write_recipe(tmp_path)
    raw = yaml.safe_load(path.read_text())
    change(raw)
    if raw["stages"][1].get("replay", {}).get("fraction", "x") is None: del raw["stages"][1]["replay"]["fraction"]
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    r = cli("stages", path, "--out", tmp_path / "out")
    assert r.returncode == 2 and r.stderr.splitlines()[-1].startswith("error: ") and message in r.stderr.splitlines()[-1], r.stderr[-1000:]
    assert "Traceback" not in r.stderr and not (tmp_path / "out").exists()


def test_shipped_recipes_check_without_reading_data():
    for name in ("knowledge_then_dialogue", "med_nirvana"):
        recipe = load_recipe(recipe_path(name))
        assert [s.name for s in recipe.stages] == ["knowledge", "dialogue"]
        assert recipe.stages[1].replay.source == "knowledge" and recipe.continuation == "merge_new"
    assert load_recipe(recipe_path("med_nirvana")).model == "llama-3.1-8b"
