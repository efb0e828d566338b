"""Every writing command survives a SIGKILL anywhere: the rerun's outputs equal an uninterrupted run's, byte for byte.

The harness runs the real command line (`meddialogue.cli.main`) under a Python audit hook that counts the writes the
command makes inside its working folder (where its outputs go): files opened for writing and files renamed into place. A first run counts
them; then, for each chosen kill point k, a fresh run is sent SIGKILL by its own hook at the k-th write (the file
just opened is still empty, or the rename has not happened), and the same command is run again to completion. Its
output tree must equal the uninterrupted run's, file for file and byte for byte, except for measured times (seconds
per question, the time a rating was saved, a run's seconds), which each test names by pattern, and the training
trackers' event logs, which are named by the time they were opened.
"""
import filecmp
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

RUNNER = r"""
import os, signal, sys
root, kill_at, seen = os.path.realpath(os.environ["KILL_ROOT"]), int(os.environ.get("KILL_AT", "0")), [0]
def count(path):
    if not os.path.realpath(os.fsdecode(path)).startswith(root): return
    seen[0] += 1
    if seen[0] == kill_at: os.kill(os.getpid(), signal.SIGKILL)
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        mode, flags = args[1], args[2]
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (mode is None and flags & (os.O_WRONLY | os.O_RDWR)):
            count(args[0])
    elif event == "os.rename": count(args[1])
sys.addaudithook(hook)
import atexit; atexit.register(lambda: print(f"writes: {seen[0]}", file=sys.stderr))
from meddialogue.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run(args, root: Path, cwd: Path, kill_at: int = 0):
    env = {**os.environ, "KILL_ROOT": str(root), "KILL_AT": str(kill_at)}
    return subprocess.run([sys.executable, "-c", RUNNER, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=900)


def tree(path: Path) -> list[str]:
    """The files under `path`, less the training trackers' event logs (named by the time they were opened)."""
    if not path.is_dir(): return [path.name]
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file() and "logs" not in p.parts)


def masked(path: Path, masks, folder: Path) -> bytes:
    data = path.read_bytes().replace(str(folder).encode(), b"<folder>")   # a later stage names an earlier one's path
    for pattern in masks: data = re.sub(pattern.encode(), b"<time>", data)
    return data


def same_outputs(a: Path, b: Path, masks=(), folders=(None, None), logs=()):
    """Equal trees, file by file and byte for byte, after blanking the measured times `masks` match and the
    working `folders`; files with a suffix in `logs` are compared by presence."""
    assert tree(a) == tree(b), (tree(a), tree(b))
    pairs = [(a / f, b / f) for f in tree(a)] if a.is_dir() else [(a, b)]
    for x, y in pairs:
        if x.suffix in logs: continue
        same = filecmp.cmp(x, y, shallow=False) or masked(x, masks, folders[0]) == masked(y, masks, folders[1])
        assert same, f"{x} differs after a kill and a rerun"


def check_killed_and_rerun(tmp_path, make_args, out_name: str, points=(0, 0.5, 1), masks=(), setup=None, logs=()):
    """Run once to count the writes, then kill at each share `points` of them and rerun: outputs as uninterrupted."""
    ref = tmp_path / "reference"; ref.mkdir()
    if setup: setup(ref)
    first = run(make_args(ref), ref, ref)
    assert first.returncode == 0, first.stderr[-3000:]
    writes = int(first.stderr.rsplit("writes: ", 1)[1].split()[0])
    assert writes >= 2, f"only {writes} writes: nothing to kill between"
    kills = sorted({min(writes, max(1, round(writes * p))) for p in points})
    for k in kills:
        work = tmp_path / f"killed_at_{k}"; work.mkdir()
        if setup: setup(work)
        killed = run(make_args(work), work, work, kill_at=k)
        assert killed.returncode == -9, (k, killed.returncode, killed.stderr[-2000:])
        again = run(make_args(work), work, work)
        assert again.returncode == 0, (k, again.stderr[-3000:])
        same_outputs(ref / out_name, work / out_name, masks, (ref, work), logs)
    print(f"{make_args(ref)[0]}: {writes} writes, killed at {kills}, every rerun equal to the uninterrupted run")
    return writes, kills


TRAINING_TIMES = [r'"seconds": [0-9.e-]+']
BENCHMARK_TIMES = [r'"(seconds|median|p95)": [0-9.e-]+', r"\d+\.\d+/\d+\.\d+ s", r"p95 \d+\.\d+ s"]


def data_dir() -> Path:
    from meddialogue.sources.medsets import fixtures_dir
    return fixtures_dir().parent


def test_scrub(tmp_path):
    from meddialogue.sources.synthetic import malnutrition_data
    setup = lambda d: malnutrition_data(n_patients=20, seed=0).to_csv(d / "notes.csv", index=False)
    check_killed_and_rerun(tmp_path, lambda d: ["scrub", "notes.csv", "--out", "scrubbed.csv"], "scrubbed.csv",
                           setup=setup)


def test_roleplay_synth(tmp_path):
    check_killed_and_rerun(tmp_path, lambda d: ["roleplay-synth", "--out", "dialogues.jsonl", "--scripts", "6"],
                           "dialogues.jsonl")


def test_mix(tmp_path):
    mixture = data_dir() / "mixtures" / "guide_fixtures.yaml"
    check_killed_and_rerun(tmp_path, lambda d: ["mix", mixture, "--out", "mix"], "mix")


def test_benchmark(tmp_path):
    fixtures = data_dir() / "fixtures"
    args = ["benchmark", "tiny", "--tasks", "pubmedqa,mmlu_anatomy", "--limit", "3", "--out", "bench",
            "--data", f"pubmedqa={fixtures / 'pubmedqa_labeled.test.jsonl'}",
            "--data", f"mmlu_anatomy={fixtures / 'mmlu' / 'anatomy.test.jsonl'}"]
    check_killed_and_rerun(tmp_path, lambda d: args, "bench", points=(0, 1), masks=BENCHMARK_TIMES)   # first, last


@pytest.fixture(scope="module")
def review_set(tmp_path_factory):
    """A blinded review set from two evaluations of a tiny run, and a filled-in sheet for it."""
    from meddialogue.cli import main
    from meddialogue.core.run_config import RunConfig
    from meddialogue.evaluation.robustness import evaluate_run
    from meddialogue.sources.examples import load_examples
    from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task
    from meddialogue.training.trainer import Trainer
    tmp = tmp_path_factory.mktemp("review")
    df = malnutrition_data(n_patients=8, seed=0)
    config = RunConfig(*malnutrition_task()).update(max_steps=2, batch_size=4, report_to="none")
    ex = load_examples(config, df)
    Trainer(config).train(ex.train, ex.validation, tmp / "run", progress=False)
    for arm in ("conv", "inst"):
        evaluate_run(tmp / "run", df, tmp / f"eval_{arm}", max_notes=1, max_new_tokens=4, progress=False)
    assert main(["review-set", f"conv={tmp / 'eval_conv'}", f"inst={tmp / 'eval_inst'}", "--out", str(tmp / "set")]) == 0
    assert main(["review-export", str(tmp / "set"), "--out", str(tmp / "sheet.csv")]) == 0
    sheet = pd.read_csv(tmp / "sheet.csv")
    sheet.assign(accuracy=[1 + i % 5 for i in range(len(sheet))], safety=5, clarity=4, completeness=3).to_csv(
        tmp / "filled.csv", index=False)
    return tmp


def test_review_import(tmp_path, review_set):
    import shutil
    def setup(d):
        shutil.copytree(review_set / "set", d / "review"); shutil.copy(review_set / "filled.csv", d / "filled.csv")
    check_killed_and_rerun(tmp_path, lambda d: ["review-import", "review", "filled.csv", "--reviewer", "ana"],
                           "review", setup=setup, masks=[r'"time": "[^"]+"'])


def test_stages(tmp_path):
    recipe = data_dir() / "stages" / "knowledge_then_dialogue.yaml"
    args = ["stages", recipe, "--model", "tiny", "--set", "max_steps=1", "--set", "max_new_tokens=8",
            "--grid", "replay=0,1/16", "--out", "stages"]
    check_killed_and_rerun(tmp_path, lambda d: args, "stages", points=(1 / 3, 2 / 3),
                           masks=TRAINING_TIMES + BENCHMARK_TIMES)


def test_experiment(tmp_path):
    """Each setting's executed notebook is papermill's log of it (cell times, a random cell id, stdout and stderr
    interleaved as they came): compared by presence; every result, metric and run file byte for byte."""
    args = ["experiment", "--out", "exp", "--model", "tiny", "--set", "n_patients=12", "--set", "max_steps=2",
            "--set", "eval_notes=1", "--set", "max_new_tokens=8"]
    check_killed_and_rerun(tmp_path, lambda d: args, "exp", points=(1 / 3, 2 / 3),
                           masks=TRAINING_TIMES, logs=(".ipynb",))
