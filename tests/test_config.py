"""Task files written for the original MedDialogue, and checks that assignments cannot bypass."""
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from meddialogue.core.checks import Checked, check_int, check_number, check_ratio
from meddialogue.core.config import (FORMATS, ConfigError, ConversationConfig, TaskConfig, _check_ratio, config_from_dict,
                                config_to_dict, ignored_original_keys, load_config, resolve_field_ordering)

DATA = Path(__file__).parent / "data"
ORIGINAL = DATA / "original_task.yaml"
FIELDS = ["diagnosis", "growth", "exam", "labs", "plan", "follow_up"]


def task_dict(**task):
    return {"task": {"task_name": "malnutrition_assessment", "output_fields": FIELDS, **task}}


def load_quietly(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return config_from_dict(data)


# --- field_ordering as the original's priority map ---------------------------------------------------------------

def test_priority_map_ties_keep_the_maps_order_and_left_out_fields_go_last():
    task, _ = config_from_dict(task_dict(field_ordering={"exam": 1, "growth": 1, "labs": 1, "diagnosis": 2, "plan": 3}))
    assert task.field_ordering == ["exam", "growth", "labs", "diagnosis", "plan", "follow_up"]


def test_left_out_fields_keep_output_fields_order_after_the_ranked_ones():
    task = TaskConfig("t", FIELDS, field_ordering={"plan": 0})
    assert task.field_ordering == ["plan", "diagnosis", "growth", "exam", "labs", "follow_up"]


def test_priorities_may_be_floats_and_negative_and_an_empty_map_keeps_the_listed_order():
    assert resolve_field_ordering({"labs": 2.5, "exam": -1, "plan": 2.5}, FIELDS) == \
        ["exam", "labs", "plan", "diagnosis", "growth", "follow_up"]
    assert resolve_field_ordering({}, FIELDS) == FIELDS


@pytest.mark.parametrize("bad", ["first", None, True, [1], float("nan"), float("inf")])
def test_non_numeric_priority_is_a_config_error(bad):
    with pytest.raises(ConfigError, match=r"^field_ordering priority of 'growth' must be a number"):
        config_from_dict(task_dict(field_ordering={"growth": bad}))


def test_unknown_field_in_the_priority_map_suggests_the_closest():
    with pytest.raises(ConfigError) as e:
        config_from_dict(task_dict(field_ordering={"grwoth": 1}))
    assert str(e.value) == "field_ordering names unknown field 'grwoth' (did you mean 'growth'?)"


def test_list_ordering_still_must_name_every_field_once():
    with pytest.raises(ConfigError, match="exactly once"):
        TaskConfig("t", FIELDS, field_ordering=FIELDS[:-1])
    with pytest.raises(ConfigError, match="exactly once"):
        TaskConfig("t", ["a", "b"], field_ordering=["a", "b", "a"])
    with pytest.raises(ConfigError, match="a list of the output fields or a mapping"):
        TaskConfig("t", ["a"], field_ordering="a")


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), st.integers(-3, 3)))
def test_priority_map_resolution_is_a_permutation_sorted_by_priority(priorities):
    order = resolve_field_ordering(priorities, FIELDS)
    assert sorted(order) == sorted(FIELDS)
    ranked = order[:len(priorities)]
    assert [priorities[f] for f in ranked] == sorted(priorities.values())
    for a, b in zip(ranked, ranked[1:]):  # ties keep the mapping's order
        if priorities[a] == priorities[b]:
            assert list(priorities).index(a) < list(priorities).index(b)
    assert order[len(priorities):] == [f for f in FIELDS if f not in priorities]


# --- default_system_prompt ---------------------------------------------------------------------------------------

def test_default_system_prompt_fills_task_name_and_keeps_other_braces():
    prompt = 'Expert in {task_name} ({task_name}). Reply {"severity": "..."} and never {format} or {0}.'
    task, _ = config_from_dict(task_dict(default_system_prompt=prompt))
    assert task.system_prompt == ('Expert in malnutrition_assessment (malnutrition_assessment). '
                                  'Reply {"severity": "..."} and never {format} or {0}.')


def test_default_system_prompt_and_system_prompt_together_is_an_error():
    with pytest.raises(ConfigError, match="both system_prompt and default_system_prompt"):
        config_from_dict(task_dict(default_system_prompt="a", system_prompt="b"))


def test_default_system_prompt_must_be_text():
    with pytest.raises(ConfigError, match="^default_system_prompt must be a string, got 3$"):
        config_from_dict(task_dict(default_system_prompt=3))


# --- output_formats ----------------------------------------------------------------------------------------------

def test_output_formats_alone_gives_equal_shares_to_the_listed_formats():
    task, _ = config_from_dict(task_dict(output_formats=["json", "xml", "markdown"]))
    assert list(task.output_format_ratios) == ["json", "xml", "markdown"]
    assert task.output_format_ratios["json"] == task.output_format_ratios["markdown"] == pytest.approx(1 / 3)
    assert sum(task.output_format_ratios.values()) == pytest.approx(1.0)
    task, _ = config_from_dict(task_dict(output_formats=["text"], output_format_ratios={}))
    assert task.output_format_ratios == {"text": 1.0}


def test_output_formats_with_agreeing_ratios_keeps_the_ratios():
    ratios = {"json": 0.7, "xml": 0.3, "text": 0.0}
    task, _ = config_from_dict(task_dict(output_formats=["json", "xml"], output_format_ratios=ratios))
    assert task.output_format_ratios == ratios


def test_a_share_for_an_unlisted_format_is_an_error():
    with pytest.raises(ConfigError) as e:
        config_from_dict(task_dict(output_formats=["json"], output_format_ratios={"json": 0.5, "markdown": 0.5}))
    assert str(e.value) == "output_format_ratios gives 'markdown' a share but output_formats does not list it"


@pytest.mark.parametrize("formats, message", [
    (["json", "yaml"], "output_formats has unknown format 'yaml'; use text, json, xml, markdown"),
    (["XML"], "output_formats has unknown format 'XML' (did you mean 'xml'?); use text, json, xml, markdown"),
    ([], "output_formats must list at least one format"),
    (["json", "json"], "output_formats lists 'json' more than once"),
    ("json", "output_formats must be a list of strings, got 'json'"),
])
def test_bad_output_formats(formats, message):
    with pytest.raises(ConfigError) as e:
        config_from_dict(task_dict(output_formats=formats))
    assert str(e.value) == message


# --- ignored knobs -----------------------------------------------------------------------------------------------

def test_unused_original_knobs_warn_once_each_and_are_dropped():
    data = task_dict(severity_levels=["mild", "moderate", "severe"], medical_terminology={"exam": ["edema"]},
                     diagnostic_codes=["E43"])
    assert ignored_original_keys(data) == ["severity_levels", "medical_terminology", "diagnostic_codes"]
    with pytest.warns(UserWarning) as caught:
        task, _ = config_from_dict(data)
    assert [str(w.message) for w in caught] == [
        f"task key '{k}' is from the original MedDialogue and is not used here; ignored"
        for k in ("severity_levels", "medical_terminology", "diagnostic_codes")]
    assert not hasattr(task, "severity_levels") and "severity_levels" not in config_to_dict(task, _)["task"]


def test_loading_does_not_change_the_callers_dictionary():
    data = task_dict(output_formats=["json"], default_system_prompt="{task_name}", diagnostic_codes=["E43"])
    before = yaml.safe_dump(data)
    load_quietly(data)
    assert yaml.safe_dump(data) == before


def test_a_misspelled_original_key_suggests_it():
    with pytest.raises(ConfigError, match=r"^unknown key 'default_system_promt' in section 'task' \(did you mean 'default_system_prompt'\?\)$"):
        config_from_dict(task_dict(default_system_promt="x"))


# --- the original-style file for the synthetic table -------------------------------------------------------------

def test_original_task_file_loads_into_this_projects_form():
    with pytest.warns(UserWarning) as caught:
        task, conv = load_config(ORIGINAL)
    assert len(caught) == 3
    assert task.field_ordering == ["growth_trend", "stunting", "intake_adequacy", "clinical_signs", "aspen_indicators",
                                   "who_classification", "aspen_severity", "malnutrition_present", "etiology",
                                   "intervention", "follow_up"]
    assert task.system_prompt.startswith("You are an expert medical AI assistant specializing in malnutrition_assessment.")
    assert task.system_prompt.endswith('{"aspen_severity": "moderate"}.')
    assert set(task.output_format_ratios) == {"json", "xml", "markdown"}
    assert load_quietly(config_to_dict(task, conv)) == (task, conv)


def test_original_task_file_names_the_synthetic_tables_columns():
    from meddialogue.sources.synthetic import LABEL_FIELDS, malnutrition_data
    task, _ = load_quietly(yaml.safe_load(ORIGINAL.read_text()))
    assert task.output_fields == LABEL_FIELDS
    columns = set(malnutrition_data(n_patients=2, seed=0).columns)
    assert {task.input_field, task.id_field, task.group_field, *task.output_fields} <= columns


def test_original_task_file_prepares_conversations_in_the_listed_formats():
    from meddialogue.sources.conversations import DataPrep
    from meddialogue.sources.synthetic import malnutrition_data
    task, conv = load_quietly(yaml.safe_load(ORIGINAL.read_text()))
    train, val = DataPrep(task, conv).prepare_data(malnutrition_data(n_patients=12, seed=1))
    assert train and val
    formats = {turn["format"] for ex in train + val for turn in ex["metadata"]["turns"]}
    assert formats == {"json", "xml", "markdown"}
    assert all(ex["messages"][0] == {"role": "system", "content": task.system_prompt} for ex in train + val)


# --- checks on assignment ----------------------------------------------------------------------------------------

def test_a_bad_assignment_raises_and_leaves_the_value():
    conv = ConversationConfig()
    with pytest.raises(ConfigError) as e:
        conv.typo_ratio = 2
    assert str(e.value) == "typo_ratio must be a number in [0, 1], got 2"
    assert conv.typo_ratio == 0.1
    conv.seed = 7
    assert conv == ConversationConfig(seed=7)


@pytest.mark.parametrize("name, value, message", [
    ("max_multi_turns", 1, "max_multi_turns must be an integer >= 2, got 1"),
    ("max_multi_turns", 3.0, "max_multi_turns must be an integer >= 2, got 3.0"),
    ("include_followup_questions", "no", "include_followup_questions must be true or false, got 'no'"),
    ("validation_split", 1, "validation_split must be a number in [0, 1), got 1"),
    ("seed", "42", "seed must be an integer, got '42'"),
    ("heldout_styles", "causal", "heldout_styles must be a list of strings, got 'causal'"),
    ("note_position", "end", "note_position must be one of before, after, got 'end'"),
])
def test_conversation_assignments_are_checked(name, value, message):
    conv = ConversationConfig()
    before = getattr(conv, name)
    with pytest.raises(ConfigError) as e:
        setattr(conv, name, value)
    assert str(e.value) == message
    assert getattr(conv, name) == before


def test_task_assignments_are_checked_and_normalised():
    task = TaskConfig("t", FIELDS)
    with pytest.raises(ConfigError, match="^output_format_ratios must sum to 1, they sum to 0.5$"):
        task.output_format_ratios = {"json": 0.5}
    assert sum(task.output_format_ratios.values()) == 1.0
    with pytest.raises(ConfigError, match="^field_ordering names unknown field 'plna'"):
        task.field_ordering = {"plna": 1}
    assert task.field_ordering == FIELDS
    task.field_ordering = {"plan": 1}
    assert task.field_ordering == ["plan", "diagnosis", "growth", "exam", "labs", "follow_up"]
    with pytest.raises(ConfigError, match="^id_field must be a column name, got ''$"):
        task.id_field = ""
    assert task.id_field is None
    with pytest.raises(ConfigError, match="field_ordering must list every output field exactly once"):
        task.output_fields = FIELDS + ["weight"]  # the resolved ordering no longer covers the fields
    assert task.output_fields == FIELDS


def test_assignment_does_not_touch_the_old_values_when_checks_fail():
    templates = {"plan": ["What is the plan?"]}
    task = TaskConfig("t", FIELDS, question_templates=templates)
    with pytest.raises(ConfigError):
        task.question_templates = {"plan": ("Plan?",), "weight": ["Weight?"]}
    assert task.question_templates == templates
    task.question_templates = {"plan": ("Plan?",)}
    assert task.question_templates == {"plan": ["Plan?"]}


@settings(max_examples=80, deadline=None)
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5), st.booleans(), st.text(max_size=3)))
def test_typo_ratio_assignment_matches_construction(value):
    conv = ConversationConfig()
    try:
        expected = ConversationConfig(typo_ratio=value).typo_ratio
    except ConfigError:
        with pytest.raises(ConfigError):
            conv.typo_ratio = value
        assert conv.typo_ratio == 0.1
    else:
        conv.typo_ratio = value
        assert conv.typo_ratio == expected


def test_checked_works_for_other_dataclasses_and_nested_post_inits():
    calls = []

    @dataclass
    class Base(Checked):
        steps: int = 1
        def __post_init__(self):
            calls.append("base")
            check_int("steps", self.steps, lo=1)

    @dataclass
    class Child(Base):
        lr: float = 1e-3
        def __post_init__(self):
            super().__post_init__()
            calls.append("child")
            check_number("lr", self.lr, lo=0, lo_open=True)

    c = Child()
    assert calls == ["base", "child"]
    c.lr = 0.1
    with pytest.raises(ConfigError, match=r"^lr must be a number > 0, got 0$"):
        c.lr = 0
    with pytest.raises(ConfigError, match=r"^steps must be an integer >= 1, got 0$"):
        c.steps = 0
    assert (c.steps, c.lr) == (1, 0.1)


def test_public_checks_and_the_old_private_name():
    assert _check_ratio is check_ratio
    assert check_number("x", 5, lo=0, hi=5) == 5
    with pytest.raises(ConfigError, match=r"^x must be a number in \[0, 5\), got 5$"):
        check_number("x", 5, lo=0, hi=5, hi_open=True)
    with pytest.raises(ConfigError, match=r"^n must be an integer in \[1, 3\], got 4$"):
        check_int("n", 4, lo=1, hi=3)
    with pytest.raises(ConfigError, match=r"^n must be a number <= 3, got 4$"):
        check_number("n", 4, hi=3)


def test_shipped_task_file_loads_without_warnings_and_round_trips():
    from meddialogue.sources.synthetic import malnutrition_task_path
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        task, conv = load_config(malnutrition_task_path())
    assert set(task.output_format_ratios) == set(FORMATS)
    assert config_from_dict(config_to_dict(task, conv)) == (task, conv)
