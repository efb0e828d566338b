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

from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task_path

# float32: two processes sum their gradients in another order than one, which bf16 (`auto` on a CPU with bf16
# instructions) rounds differently, and DeepSpeed's bf16 keeps bf16 weights; one and two processes agree to 1e-4
# only in float32.
ARGS = ["--model", "tiny", "--max-steps", "30", "--set", "batch_size=4", "--set", "grad_accum=2", "--set", "dropout=0",
        "--set", "learning_rate=1e-3", "--set", "eval_steps=10", "--set", "logging_steps=1", "--set", "r=4",
        "--set", "mixed_precision=no"]


CONFIGS = Path(__file__).resolve().parent.parent / "meddialogue" / "data" / "accelerate"


def command(processes: int, data: Path, out: Path, *extra, config: str | None = None) -> list[str]:
    """One process, or `processes` under `accelerate launch` (data-parallel, or with a shipped config such as fsdp_cpu.yaml)."""
    train = ["train", str(malnutrition_task_path()), str(data), "--out", str(out), *ARGS, *extra]
    if processes == 1 and config is None: return [sys.executable, "-m", "meddialogue.cli", *train]
    launcher = str(Path(sys.executable).with_name("accelerate"))
    how = ["--config_file", str(CONFIGS / config)] if config else ["--multi_gpu", "--mixed_precision", "no", "--dynamo_backend", "no"]
    return [launcher, "launch", *how, "--num_processes", str(processes), "--num_machines", "1", "-m", "meddialogue.cli", *train]


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


def kill_after_checkpoint(cmd: list[str], out: Path, step: int):
    """Start `cmd` and SIGKILL it (with its workers) once the checkpoint of `step` is on disk."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.monotonic() + 300
    while not (out / "checkpoints" / f"step-{step:07d}").is_dir() and proc.poll() is None and time.monotonic() < deadline: time.sleep(0.02)
    kill_tree(proc.pid)
    proc.wait()
    time.sleep(1)
    assert not (out / "run.json").exists(), "the run finished before it could be killed"


def assert_same_run(reference: Path, out: Path, losses_too: bool = True):
    """The same logged losses (when asked) and final adapter weights as `reference`, within float tolerance."""
    if losses_too:
        a, b = losses(reference), losses(out)
        assert [x[0] for x in a] == [x[0] for x in b]
        for (_, la, ea), (_, lb, eb) in zip(a, b):
            if la is not None: assert lb == pytest.approx(la, rel=1e-4, abs=1e-5)
            if ea is not None: assert eb == pytest.approx(ea, rel=1e-4, abs=1e-5)
    wa, wb = weights(reference), weights(out)
    assert wa.keys() == wb.keys()
    for k in wa: torch.testing.assert_close(wb[k], wa[k], rtol=1e-4, atol=1e-5)


def test_two_processes_match_one(data, one_process, tmp_path):
    out = tmp_path / "two"
    run(command(2, data, out))
    assert json.loads((out / "run.json").read_text())["processes"] == 2
    assert_same_run(one_process, out)
    run_a = json.loads((one_process / "run.json").read_text())
    run_b = json.loads((out / "run.json").read_text())
    for key in ("trained", "not_padding"): assert run_b["tokens"][key] == run_a["tokens"][key]   # padding differs: each shard pads alone


@pytest.mark.parametrize("kill_at,resume_with", [(8, 2), (12, 1)])
def test_a_killed_two_process_run_resumes_to_the_same_weights(data, one_process, tmp_path, kill_at, resume_with):
    """Killed after the checkpoint of step `kill_at`, resumed with `resume_with` processes: the weights of the uninterrupted run."""
    out = tmp_path / "killed"
    kill_after_checkpoint(command(2, data, out, "--set", "save_steps=4"), out, kill_at)
    run(command(resume_with, data, out, "--set", "save_steps=4", "--resume"))
    assert_same_run(one_process, out, losses_too=False)


def test_fsdp_shards_and_matches_one_process_and_resumes_with_three(data, one_process, tmp_path):
    """FSDP2 over 2 processes (gloo): the losses and weights of 1 process; killed at step 8, resumed by 3 FSDP processes to the same weights."""
    out = tmp_path / "fsdp"
    run(command(2, data, out, config="fsdp_cpu.yaml"))
    record = json.loads((out / "run.json").read_text())
    assert record["processes"] == 2 and record["sharding"]["kind"] == "fsdp" and record["sharding"]["reshard_after_forward"]
    assert_same_run(one_process, out)
    killed = tmp_path / "fsdp_killed"
    kill_after_checkpoint(command(2, data, killed, "--set", "save_steps=4", config="fsdp_cpu.yaml"), killed, 8)
    run(command(3, data, killed, "--set", "save_steps=4", "--resume", config="fsdp_cpu.yaml"))
    assert json.loads((killed / "run.json").read_text())["processes"] == 3
    assert_same_run(one_process, killed, losses_too=False)


def test_deepspeed_zero3_matches_one_process_and_resumes(data, one_process, tmp_path):
    """DeepSpeed ZeRO-3 over 2 CPU processes: the losses and weights of 1 process; killed at step 8, resumed by 2 to the same weights."""
    pytest.importorskip("deepspeed")
    out = tmp_path / "zero3"
    run(command(2, data, out, config="deepspeed_zero3_cpu.yaml"))
    record = json.loads((out / "run.json").read_text())
    assert record["sharding"]["kind"] == "deepspeed" and record["sharding"]["zero_optimization"]["stage"] == 3
    assert_same_run(one_process, out)
    killed = tmp_path / "zero3_killed"
    kill_after_checkpoint(command(2, data, killed, "--set", "save_steps=4", config="deepspeed_zero3_cpu.yaml"), killed, 8)
    assert (killed / "checkpoints" / "step-0000008" / "deepspeed" / "zero").is_dir()
    run(command(2, data, killed, "--set", "save_steps=4", "--resume", config="deepspeed_zero3_cpu.yaml"))
    assert_same_run(one_process, killed, losses_too=False)


def test_a_checkpoint_resumes_only_under_the_launch_that_wrote_it(data, tmp_path):
    out = tmp_path / "mixed"
    kill_after_checkpoint(command(2, data, out, "--set", "save_steps=4", config="fsdp_cpu.yaml"), out, 4)
    r = subprocess.run(command(1, data, out, "--set", "save_steps=4", "--resume"), capture_output=True, text=True)
    assert r.returncode != 0 and "was written by a fsdp launch; resume it with the same kind of launch, not ddp" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_shipped_cpu_config_launches_two_processes_that_log_once(data, tmp_path):
    pytest.importorskip("tensorboard")
    config = CONFIGS / "ddp_cpu.yaml"
    launcher = str(Path(sys.executable).with_name("accelerate"))
    run([launcher, "launch", "--config_file", str(config), "-m", "meddialogue.cli", "train", str(malnutrition_task_path()), str(data),
         "--out", str(tmp_path / "run"), "--model", "tiny", "--max-steps", "2", "--set", "report_to=tensorboard"])
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["processes"] == 2 and record["tracking"] == {"report_to": "tensorboard", "logs": "logs"}
    events = list((tmp_path / "run" / "logs").rglob("events.out.tfevents.*"))
    assert len({e.name.rsplit(".", 1)[0].split(".")[-1] for e in events}) == 1      # one writing process (its pid in the names)
