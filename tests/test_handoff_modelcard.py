"""The Hub's own model-card reader opens every run folder's card, and PEFT loads the adapter as it is.

Every run folder (LoRA or full fine-tuning) and every merged export (`meddialogue export RUN`) carries a `README.md`
that `huggingface_hub.ModelCard.load` reads with its metadata: `base_model`, `library_name` (peft beside an adapter,
transformers beside full weights), `license` where the base model's is known, `tags`, `datasets`, and the measured
numbers as a `model-index` (validation loss at least). The prose says what the run was trained on and for, its limits,
and that it is a research artefact, not a medical device. `peft.PeftModel.from_pretrained(base, RUN/adapter)` loads
the adapter of a LoRA run with the base model the card names.
"""
import json
import subprocess
import sys

import pytest

pytest.importorskip("huggingface_hub")
pytest.importorskip("peft")

from meddialogue.core.run_config import RunConfig  # noqa: E402
from meddialogue.modeling.models import tiny_model  # noqa: E402
from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task  # noqa: E402
from meddialogue.sources.examples import load_examples  # noqa: E402
from meddialogue.training.trainer import Trainer  # noqa: E402

SECTIONS = ("## Trained on", "## Intended use", "## Limits", "## Not a medical device", "## How to load")


def check_card(folder, base: str, library: str, run: dict):
    """The card in `folder`: read by the Hub's reader, with its metadata and prose."""
    from huggingface_hub import ModelCard
    card = ModelCard.load(folder / "README.md")
    data = card.data.to_dict()
    assert data["base_model"] == base and data["library_name"] == library
    assert data.get("pipeline_tag") == "text-generation"
    assert {"meddialogue", "medical"} <= set(data["tags"]) and data["datasets"] and all(isinstance(d, str) for d in data["datasets"])
    assert "license" not in data or isinstance(data["license"], str)   # the base model's licence, only where it is known
    results = {r.metric_type: r for r in card.data.eval_results}
    assert results["loss"].metric_value == pytest.approx(run["loss"]["last_validation"], abs=1e-6)
    assert results["loss"].dataset_split == "validation"
    for heading in SECTIONS: assert heading in card.text, heading
    assert "not a medical device" in card.text.lower() and "research" in card.text.lower()


@pytest.mark.parametrize("method", ["lora", "full"])
def test_every_run_folder_and_merged_export_has_a_hub_model_card(method, tmp_path):
    base, run_dir = tmp_path / "base", tmp_path / "run"
    model, tok = tiny_model("llama-3.1")
    model.save_pretrained(base); tok.save_pretrained(base)
    config = RunConfig(*malnutrition_task()).update(model=str(base), method=method, lora_r=4, max_steps=2, batch_size=4,
                                                    seed=0, max_length=1024, report_to="none")
    examples = load_examples(config, malnutrition_data(n_patients=8, seed=0))
    Trainer(config).train(examples.train, examples.validation, run_dir, progress=False)
    from meddialogue.core.rundir import RunDir
    record = RunDir(run_dir).read()
    check_card(run_dir, str(base), "peft" if method == "lora" else "transformers", record)
    r = subprocess.run([sys.executable, "-m", "meddialogue.cli", "export", str(run_dir)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    check_card(run_dir / "merged", str(base), "transformers", record)
    if method == "lora":
        from peft import PeftModel
        from transformers import AutoModelForCausalLM
        base_model = AutoModelForCausalLM.from_pretrained(base)
        adapted = PeftModel.from_pretrained(base_model, run_dir / "adapter")
        assert json.loads((run_dir / "adapter" / "adapter_config.json").read_text())["r"] == 4
        assert any("lora_B" in name and p.abs().sum() > 0 for name, p in adapted.named_parameters())
