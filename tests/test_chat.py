"""Loss masks on every family: trained tokens are exactly the trained role's contents plus end-of-turn tokens."""
import pytest

pytest.importorskip("transformers")

from meddialogue.modeling.chat import CHAT_FORMATS, tokenize_conversation
from meddialogue.core.config import ConversationConfig
from meddialogue.sources.conversations import DataPrep
from meddialogue.modeling.models import tiny_tokenizer

from messy_task import messy_table, messy_task


@pytest.fixture(scope="module")
def conversations():
    table = messy_table(25, seed=4)
    prep = DataPrep(messy_task(), ConversationConfig(seed=1, single_turn_ratio=0.3, validation_split=0.0))
    train, _ = prep.prepare_data(table)
    inst, _ = prep.prepare(table, "instruction")
    return [e["messages"] for e in train + inst]


def trained_text(enc, tok):
    return tok.decode([i for i, l in zip(enc["input_ids"], enc["labels"]) if l != -100])


@pytest.mark.parametrize("name", sorted(CHAT_FORMATS))
@pytest.mark.parametrize("mode", ["all_assistant", "last_assistant", "all_tokens"])
def test_masks_on_every_family(conversations, name, mode):
    tok, fmt = tiny_tokenizer(name), CHAT_FORMATS[name]
    for messages in conversations:
        enc = tokenize_conversation(messages, tok, train_on=mode)
        assert len(enc["input_ids"]) == len(enc["labels"]) == len(enc["attention_mask"])
        if mode == "all_tokens":
            assert enc["labels"] == enc["input_ids"]
            continue
        answers = [m["content"] for m in messages if m["role"] == "assistant"]
        if mode == "last_assistant": answers = answers[-1:]
        assert trained_text(enc, tok) == "".join(a + fmt.eos for a in answers)
        # every trained run ends with the end-of-turn token; nothing of the note or questions is trained
        runs, current = [], []
        for i, l in zip(enc["input_ids"], enc["labels"]):
            if l != -100: current.append(i)
            elif current: runs.append(current); current = []
        if current: runs.append(current)
        assert len(runs) == len(answers) and all(r[-1] == tok.convert_tokens_to_ids(fmt.eos) for r in runs)
        n_bos = enc["input_ids"].count(tok.bos_token_id) if fmt.bos else 0
        assert n_bos == (1 if fmt.bos else 0)


@pytest.mark.parametrize("name", ["llama-3.1", "qwen-2.5", "phi-4"])
def test_a_role_other_than_assistant_can_be_trained(name):
    tok, fmt = tiny_tokenizer(name), CHAT_FORMATS[name]
    messages = [{"role": "system", "content": "You are the patient in this script."},
                {"role": "doctor", "content": "What brings you in today?"},
                {"role": "patient", "content": "My son is not gaining weight."},
                {"role": "doctor", "content": "How is he eating?"},
                {"role": "patient", "content": "Maybe half of what he used to."}]
    enc = tokenize_conversation(messages, tok, role="patient")
    assert trained_text(enc, tok) == f"My son is not gaining weight.{fmt.eos}Maybe half of what he used to.{fmt.eos}"


def test_too_long_is_reported_not_cut():
    tok = tiny_tokenizer("qwen-2.5")
    messages = [{"role": "user", "content": "word " * 500}, {"role": "assistant", "content": "ok"}]
    assert tokenize_conversation(messages, tok, max_length=64) is None
    enc = tokenize_conversation(messages, tok, max_length=4096)
    assert trained_text(enc, tok) == "ok<|im_end|>"
