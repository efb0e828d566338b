"""TRL itself trains on the TRL export that `meddialogue mix` writes (`trl/<split>.jsonl`).

The file is read with `datasets.load_dataset("json", ...)`, as TRL's documentation shows, and given to
`SFTTrainer` with `assistant_only_loss=True`. TRL needs the answers marked in the chat template
(`{% generation %}`); the marked template below renders exactly the text of meddialogue's qwen-2.5 template (checked
for every example). The tokens TRL's collator trains on equal the tokens `tokenize_conversation` trains on, token by
token, for every training example of both shipped mixtures; then SFTTrainer trains 2 steps.
"""
import json
import math
from pathlib import Path

import pytest

datasets = pytest.importorskip("datasets")
trl = pytest.importorskip("trl")

from meddialogue.modeling.chat import chat_format, render, tokenize_conversation  # noqa: E402
from meddialogue.modeling.models import tiny_model, tiny_tokenizer  # noqa: E402
from meddialogue.sources.mixtures import build_mixture, load_mixture, write_mixture  # noqa: E402

MIXTURES = Path(__file__).resolve().parents[1] / "meddialogue" / "data" / "mixtures"
PLAIN_TURN = "{%- for m in turns %}{{- '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{%- endfor %}"
MARKED_TURN = ("{%- for m in turns %}{%- if m['role'] == 'assistant' %}{{- '<|im_start|>assistant\\n' }}{% generation %}"
               "{{- m['content'] + '<|im_end|>' }}{% endgeneration %}{{- '\\n' }}{%- else %}"
               "{{- '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{%- endif %}{%- endfor %}")


def marked_tokenizer():
    """meddialogue's tiny qwen-2.5 tokenizer with TRL's generation markers around each answer and its end token."""
    import copy
    tok = copy.deepcopy(tiny_tokenizer("qwen-2.5"))
    assert PLAIN_TURN in chat_format("qwen-2.5").template
    tok.chat_template = chat_format("qwen-2.5").template.replace(PLAIN_TURN, MARKED_TURN)
    return tok


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    out = tmp_path_factory.mktemp("trl")
    for name in ("guide_fixtures", "knowledge"):
        write_mixture(build_mixture(load_mixture(MIXTURES / f"{name}.yaml")), out / name)
    return out


def sft_trainer(path, out, **args):
    from trl import SFTConfig, SFTTrainer
    data = datasets.load_dataset("json", data_files=str(path), split="train")
    config = SFTConfig(output_dir=str(out), assistant_only_loss=True, max_length=None, report_to=[], use_cpu=True,
                       bf16=False, dataset_num_proc=None, save_strategy="no", disable_tqdm=True, seed=0, **args)
    model, _ = tiny_model("qwen-2.5")
    return data, SFTTrainer(model=model, args=config, train_dataset=data, processing_class=marked_tokenizer())


@pytest.mark.parametrize("mixture", ["guide_fixtures", "knowledge"])
def test_trl_trains_the_same_tokens_as_our_masks(exports, mixture, tmp_path):
    data, trainer = sft_trainer(exports / mixture / "trl" / "train.jsonl", tmp_path)
    ours = [json.loads(line) for line in (exports / mixture / "train.jsonl").read_text().splitlines()]
    assert data.column_names == ["messages"] and len(ours) > 0
    assert [row["messages"] for row in data] == [e["messages"] for e in ours]
    assert len(trainer.train_dataset) == len(ours)
    tok, marked = tiny_tokenizer("qwen-2.5"), marked_tokenizer()
    for i, (example, row) in enumerate(zip(ours, trainer.train_dataset)):
        assert render(example["messages"], marked) == render(example["messages"], tok), i
        batch = trainer.data_collator([row])
        mine = tokenize_conversation(example["messages"], tok)
        assert batch["input_ids"][0].tolist() == mine["input_ids"], (mixture, i)
        assert batch["labels"][0].tolist() == mine["labels"], (mixture, i)
        assert any(label != -100 for label in mine["labels"]), (mixture, i)


def test_sft_trainer_trains_two_steps_on_the_export(exports, tmp_path):
    _, trainer = sft_trainer(exports / "guide_fixtures" / "trl" / "train.jsonl", tmp_path, max_steps=2,
                             per_device_train_batch_size=2, learning_rate=1e-3, logging_steps=1)
    result = trainer.train()
    losses = [r["loss"] for r in trainer.state.log_history if "loss" in r]
    assert result.global_step == 2 and len(losses) == 2 and all(math.isfinite(x) for x in losses)
