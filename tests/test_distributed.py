"""Two processes under `accelerate launch` train to the same losses and weights as one, and resume after a kill."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("accelerate")
torch = pytest.importorskip("torch")
from safetensors.torch import load_file

from meddialogue.synthetic import malnutrition_data, malnutrition_task_path

ARGS = ["--model", "tiny", "--max-steps", "30", "--set", "batch_size=4", "--set", "grad_accum=2", "--set", "dropout=0",
        "--set", "learning_rate=1e-3", "--set", "eval_steps=10", "--set", "logging_steps=1", "--set", "r=4"]


def command(processes: int, data: Path, out: Path, *extra) -> list[str]:
    train = ["train", str(malnutrition_task_path()), str(data), "--out", str(out), *ARGS, *extra]
    if processes == 1: return [sys.executable, "-m", "meddialogue.cli", *train]
    launcher = str(Path(sys.executable).with_name("accelerate"))
    return [launcher, "launch", "--multi_gpu", "--num_processes", str(processes), "--num_machines", "1", "--mixed_precision", "no",
            "--dynamo_backend", "no", "-m", "meddialogue.cli", *train]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def kill_tree(pid: int):
    """SIGKILL a launcher and every process under it (torch's elastic agent starts its workers in their own sessions)."""
    def children(p):
        r = subprocess.run(["ps", "-o", "pid=", "--ppid", str(p)], capture_output=True, text=True)
        return [int(x) for x in r.stdout.split()]
    found, todo = [], [pid]
    while todo:
        p = todo.pop(); found.append(p); todo += children(p)
    for p in found:
        try: os.kill(p, signal.SIGKILL)
        except ProcessLookupError: pass


def weights(out: Path) -> dict:
    return load_file(out / "adapter" / "adapter_model.safetensors")


def losses(out: Path) -> list[tuple]:
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    return [(h["step"], h.get("loss"), h.get("eval_loss")) for h in history]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("ddp") / "notes.csv"
    malnutrition_data(n_patients=10, seed=0).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def one_process(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("one") / "run"
    run(command(1, data, out))
    return out


def test_two_processes_match_one(data, one_process, tmp_path):
    out = tmp_path / "two"
    run(command(2, data, out))
    assert json.loads((out / "run.json").read_text())["processes"] == 2
    a, b = losses(one_process), losses(out)
    assert [x[0] for x in a] == [x[0] for x in b]
    for (_, la, ea), (_, lb, eb) in zip(a, b):
        if la is not None: assert lb == pytest.approx(la, rel=1e-4, abs=1e-5)
        if ea is not None: assert eb == pytest.approx(ea, rel=1e-4, abs=1e-5)
    wa, wb = weights(one_process), weights(out)
    assert wa.keys() == wb.keys()
    for k in wa: torch.testing.assert_close(wb[k], wa[k], rtol=1e-4, atol=1e-5)
    run_a = json.loads((one_process / "run.json").read_text())
    run_b = json.loads((out / "run.json").read_text())
    for key in ("trained", "not_padding"): assert run_b["tokens"][key] == run_a["tokens"][key]   # padding differs: each shard pads alone


@pytest.mark.parametrize("kill_at,resume_with", [(8, 2), (12, 1)])
def test_a_killed_two_process_run_resumes_to_the_same_weights(data, one_process, tmp_path, kill_at, resume_with):
    """Killed after the checkpoint of step `kill_at`, resumed with `resume_with` processes: the weights of the uninterrupted run."""
    out = tmp_path / "killed"
    proc = subprocess.Popen(command(2, data, out, "--set", "save_steps=4"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.monotonic() + 300
    while not (out / "checkpoints" / f"step-{kill_at:07d}").is_dir() and proc.poll() is None and time.monotonic() < deadline: time.sleep(0.02)
    kill_tree(proc.pid)
    proc.wait()
    time.sleep(1)
    assert not (out / "run.json").exists(), "the run finished before it could be killed"
    run(command(resume_with, data, out, "--set", "save_steps=4", "--resume"))
    wa, wb = weights(one_process), weights(out)
    for k in wa: torch.testing.assert_close(wb[k], wa[k], rtol=1e-4, atol=1e-5)


def test_the_shipped_cpu_config_launches_two_processes_that_log_once(data, tmp_path):
    pytest.importorskip("tensorboard")
    config = Path(__file__).resolve().parent.parent / "meddialogue" / "data" / "accelerate" / "ddp_cpu.yaml"
    launcher = str(Path(sys.executable).with_name("accelerate"))
    run([launcher, "launch", "--config_file", str(config), "-m", "meddialogue.cli", "train", str(malnutrition_task_path()), str(data),
         "--out", str(tmp_path / "run"), "--model", "tiny", "--max-steps", "2", "--set", "report_to=tensorboard"])
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["processes"] == 2 and record["tracking"] == {"report_to": "tensorboard", "logs": "logs"}
    events = list((tmp_path / "run" / "logs").rglob("events.out.tfevents.*"))
    assert len({e.name.rsplit(".", 1)[0].split(".")[-1] for e in events}) == 1      # one writing process (its pid in the names)
