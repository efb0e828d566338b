"""The unsloth backend's code path, run against a recording stand-in of the `unsloth` module (no GPU here).

The stand-in records every call meddialogue makes and answers with a tiny CPU model, so the real backend code —
which FastLanguageModel entry points it calls, with which arguments, and the training loop after them — runs.
Its signatures follow Unsloth's FastLanguageModel.from_pretrained / get_peft_model."""
import importlib.machinery
import sys
import types

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from meddialogue.sources.conversations import DataPrep
from meddialogue.modeling.models import MODELS, tiny_model
from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task
from meddialogue.core.run_config import RunConfig
from meddialogue.training.loading import choose_backend
from meddialogue.training.trainer import Trainer


class RecordingFastLanguageModel:
    """Stand-in for unsloth.FastLanguageModel that records calls and returns a tiny Qwen model."""
    calls = []

    @classmethod
    def from_pretrained(cls, model_name, max_seq_length=2048, dtype=None, load_in_4bit=True, full_finetuning=False, **kwargs):
        cls.calls.append(("from_pretrained", dict(model_name=model_name, max_seq_length=max_seq_length, dtype=dtype,
                                                  load_in_4bit=load_in_4bit, full_finetuning=full_finetuning, **kwargs)))
        return tiny_model("qwen-2.5", seed=0)

    @classmethod
    def get_peft_model(cls, model, r=16, target_modules=None, lora_alpha=16, lora_dropout=0.0, bias="none",
                       use_gradient_checkpointing="unsloth", random_state=3407, use_rslora=False, loftq_config=None, **kwargs):
        cls.calls.append(("get_peft_model", dict(r=r, target_modules=target_modules, lora_alpha=lora_alpha, lora_dropout=lora_dropout,
                                                 bias=bias, use_gradient_checkpointing=use_gradient_checkpointing,
                                                 random_state=random_state, use_rslora=use_rslora)))
        from peft import LoraConfig, get_peft_model
        return get_peft_model(model, LoraConfig(r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout, target_modules=target_modules,
                                                bias=bias, use_rslora=use_rslora, task_type="CAUSAL_LM"))


@pytest.fixture
def recording_unsloth(monkeypatch):
    module = types.ModuleType("unsloth")
    module.__spec__ = importlib.machinery.ModuleSpec("unsloth", None)
    module.FastLanguageModel = RecordingFastLanguageModel
    RecordingFastLanguageModel.calls = []
    monkeypatch.setitem(sys.modules, "unsloth", module)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # the backend is chosen only with CUDA
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)   # mixed_precision auto asks; the CPU runs float32
    return RecordingFastLanguageModel


def test_auto_picks_unsloth_with_cuda_and_unsloth(recording_unsloth):
    assert choose_backend("auto") == ("unsloth", "CUDA and unsloth are available")


def test_unsloth_backend_calls_fastlanguagemodel_and_trains(recording_unsloth, tmp_path):
    task, conv = malnutrition_task()
    train, val = DataPrep(task, conv).prepare_data(malnutrition_data(n_patients=8, seed=1))
    config = RunConfig(task, conv).update(model="qwen-2.5-0.5b", method="qlora", r=8, alpha=16, dropout=0.0, use_rslora=True,
                                          max_steps=2, batch_size=4, seed=7, max_length=1024, gradient_checkpointing=True, backend="auto")
    run = Trainer(config).train(train, val, tmp_path / "run", progress=False)
    assert run["backend"] == "unsloth"
    (name1, load), (name2, peft) = recording_unsloth.calls
    assert name1 == "from_pretrained" and name2 == "get_peft_model"
    assert load == dict(model_name=MODELS["qwen-2.5-0.5b"].unsloth_id, max_seq_length=1024, dtype=None, load_in_4bit=True, full_finetuning=False)
    assert peft == dict(r=8, target_modules=list(MODELS["qwen-2.5-0.5b"].lora_targets), lora_alpha=16, lora_dropout=0.0, bias="none",
                        use_gradient_checkpointing="unsloth", random_state=7, use_rslora=True)
    assert (tmp_path / "run" / "adapter" / "adapter_model.safetensors").is_file()


def test_unsloth_backend_plain_lora_loads_the_16bit_model(recording_unsloth, tmp_path):
    task, conv = malnutrition_task()
    train, val = DataPrep(task, conv).prepare_data(malnutrition_data(n_patients=6, seed=1))
    config = RunConfig(task, conv).update(model="qwen-2.5-0.5b", method="lora", max_steps=1, batch_size=4, backend="unsloth")
    Trainer(config).train(train, val, tmp_path / "run", progress=False)
    (_, load), (_, peft) = recording_unsloth.calls
    assert load["model_name"] == MODELS["qwen-2.5-0.5b"].hub_id and load["load_in_4bit"] is False
    assert peft["use_gradient_checkpointing"] is False


def test_unsloth_backend_refuses_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    from meddialogue.core.config import MedDialogueError
    with pytest.raises(MedDialogueError, match="needs a CUDA GPU"):
        choose_backend("unsloth")
