"""The experiment's fairness: what counts as unseen for an arm, the single-turn arm's relation to the conversational one,
and budgets by trained tokens."""
from dataclasses import replace

import pytest

from meddialogue.sources.conversations import DataPrep, exposure, seen_in
from meddialogue.evaluation.robustness import FAMILIES, build_suite, validation_records
from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task

MODES = ("conversational", "single_turn", "instruction")


def answer_format(text: str) -> str:
    """The format of a training answer, read from the text itself (not from metadata)."""
    t = text.lstrip()
    if t.startswith("{"): return "json"
    if t.startswith("<"): return "xml"
    if t.startswith("- **"): return "markdown"
    return "text"


def training_data(seed, heldout_formats=("markdown",), heldout_styles=("dialectical", "mixed")):
    task, conv = malnutrition_task()
    conv = replace(conv, seed=seed, heldout_formats=list(heldout_formats), heldout_styles=list(heldout_styles))
    prep = DataPrep(task, conv)
    df = malnutrition_data(n_patients=30, seed=seed)
    return prep, df, {mode: prep.prepare(df, mode)[0] for mode in MODES}


def appears_in_training(item, examples) -> bool:
    """Does the item's template, style or format appear in `examples` (formats read from the answers' own text)?"""
    formats = {answer_format(m["content"]) for e in examples for m in e["messages"] if m["role"] == "assistant"}
    styles = {t["style"] for e in examples for t in e["metadata"]["turns"]}
    templates = {i for e in examples for t in e["metadata"]["turns"] for i in t["templates"]}
    return bool(set(item.templates) & templates) or item.style in styles or item.format in formats


def test_the_recorded_templates_are_the_ones_in_the_question():
    prep, _, train = training_data(3)
    pools = {f: prep.templates[f] + prep.heldout_templates[f] for f in prep.task.output_fields}
    checked = 0
    for e in train["conversational"] + train["single_turn"]:
        users = [m["content"] for m in e["messages"] if m["role"] == "user"]
        for question, t in zip(users, e["metadata"]["turns"]):
            if t["style"] != "single" or t["typo"]: continue      # one template, verbatim (bar its first letter)
            field, index = t["templates"][0].split(":")
            text = pools[field][int(index)]
            assert text in question or text[0].lower() + text[1:] in question, (text, question)
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_variant_seen_in_training_is_never_counted_unseen(seed):
    prep, df, train = training_data(seed)
    notes = validation_records(prep, df)
    for mode, examples in train.items():
        items = build_suite(prep, notes, families=FAMILIES, mode=mode)
        seen_by = exposure(examples)
        unseen = [i for i in items if not seen_in(seen_by, i.templates, i.style, i.format)]
        assert unseen, mode
        for item in unseen:
            assert not appears_in_training(item, examples), (mode, item.family, item.variant)
        for item in items:                               # and the other way round: whatever training shows is seen
            if item.format in {answer_format(m["content"]) for e in examples for m in e["messages"] if m["role"] == "assistant"}:
                assert "format" in seen_in(seen_by, item.templates, item.style, item.format)


def test_the_heldout_family_is_unseen_by_every_arm_and_json_is_seen_by_the_instruction_arm():
    prep, df, train = training_data(0)
    items = build_suite(prep, validation_records(prep, df), families=("heldout", "format", "style"))
    for mode, examples in train.items():
        seen_by = exposure(examples)
        assert all(not seen_in(seen_by, i.templates, i.style, i.format) for i in items if i.family == "heldout")
    inst = exposure(train["instruction"])
    assert all("format" in seen_in(inst, i.templates, i.style, i.format) for i in items if i.format == "json")
    assert "markdown" not in {t["format"] for mode in MODES for e in train[mode] for t in e["metadata"]["turns"]}


def test_the_single_turn_arm_asks_what_the_conversations_ask_one_exchange_per_example():
    prep, df, train = training_data(4)
    conv, single = train["conversational"], train["single_turn"]
    assert len(single) == sum(len(e["metadata"]["turns"]) for e in conv)
    answers = lambda exs: [m["content"] for e in exs for m in e["messages"] if m["role"] == "assistant"]
    assert answers(single) == answers(conv)
    plan = lambda exs: [(t["style"], t["format"], tuple(t["fields"])) for e in exs for t in e["metadata"]["turns"]]
    assert plan(single) == plan(conv)
    assert all(len([m for m in e["messages"] if m["role"] == "user"]) == 1 for e in single)
    notes = {r.id: r.note for r in prep.records(df)[0]}
    assert all(notes[e["id"]] in e["messages"][-2]["content"] for e in single)


def test_a_token_budget_trains_until_the_trained_tokens_are_reached():
    torch = pytest.importorskip("torch")
    from meddialogue.modeling.models import tiny_tokenizer
    from meddialogue.core.run_config import RunConfig
    from meddialogue.training.batching import BatchPlan, encode_examples, trained_token_count
    prep, df, train = training_data(5)
    config = RunConfig(prep.task, prep.conv, mode="single_turn").update(model="tiny", max_trained_tokens=3000, batch_size=4)
    encoded, _ = encode_examples(train["single_turn"], tiny_tokenizer("llama-3.1"), config.training)
    plan = BatchPlan(encoded, config.training, config.seed)
    tokens = []
    for step in range(plan.steps):
        tokens.append(sum(trained_token_count(x) for b in plan.micro_batches(step) for x in b))
    assert sum(tokens) >= 3000 > sum(tokens[:-1])
