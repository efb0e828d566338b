"""Every answer format reads back exactly; lenient parsing reads typical model output."""
import json
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meddialogue.core.config import FORMATS
from meddialogue.text.formats import ResponseParseError, format_response, parse_response

special = st.sampled_from(list("<>&\"'{}[]#*_\n\r\t:-` \\") + ["&amp;", "]]>", "<![CDATA[", "\u2028", "é", "日本", "🩺"])
values = st.lists(st.one_of(st.text(), special), max_size=8).map("".join)
field_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
answers = st.dictionaries(field_names, values, min_size=1, max_size=6)


@settings(max_examples=400, deadline=None)
@given(answers, st.sampled_from(FORMATS))
def test_every_format_reads_back_exactly(answer, fmt):
    assert parse_response(format_response(answer, fmt), fmt, list(answer)) == answer


@settings(max_examples=200, deadline=None)
@given(answers)
def test_json_is_valid_and_keyed_by_field_names(answer):
    assert json.loads(format_response(answer, "json")) == answer


xml_safe = st.text(st.characters(blacklist_categories=["Cs", "Cc"]) | st.sampled_from(["\n", "\t"]))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(field_names.filter(lambda f: not f.lower().startswith("xml")), xml_safe, min_size=1, max_size=5))
def test_xml_is_well_formed_with_one_child_per_field(answer):
    root = ET.fromstring(format_response(answer, "xml"))
    assert root.tag == "response"
    assert [child.tag for child in root] == list(answer)
    assert {child.tag: (child.text or "") for child in root} == {k: v.replace("\r", "\n") for k, v in answer.items()}


wrappers = st.sampled_from([
    "{}", "Sure, here it is:\n{}", "```\n{}\n```", "```{fmt}\n{}\n```\nLet me know if you need anything else.",
    "Answer:\n\n{}\n\nThis is based on the note.",
])
plain = st.text(st.characters(whitelist_categories=["Lu", "Ll", "Nd"]) | st.sampled_from(list(" -.,%/()")), min_size=1, max_size=30)\
    .map(str.strip).filter(bool)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(field_names, plain, min_size=1, max_size=4), st.sampled_from(FORMATS), wrappers)
def test_lenient_reads_wrapped_answers(answer, fmt, wrapper):
    text = wrapper.replace("{fmt}", fmt).replace("{}", format_response(answer, fmt))
    assert parse_response(text, fmt, list(answer), lenient=True) == answer


def test_lenient_reads_other_formats_and_variants():
    fields = ["diagnosis", "growth_trend"]
    assert parse_response('{"diagnosis": "mild", "growth_trend": "stable"}', "text", fields, lenient=True) == \
        {"diagnosis": "mild", "growth_trend": "stable"}
    assert parse_response("1. **Diagnosis**: mild\n2. **Growth Trend**: stable", "markdown", fields, lenient=True) == \
        {"diagnosis": "mild", "growth_trend": "stable"}
    assert parse_response("<response><DIAGNOSIS> mild </DIAGNOSIS></response>", "xml", fields, lenient=True) == {"diagnosis": "mild"}


def test_strict_refuses_what_was_not_written():
    with pytest.raises(ResponseParseError, match="missing 'b'"):
        parse_response('{"a": "x"}', "json", ["a", "b"])
    with pytest.raises(ResponseParseError, match="not valid JSON"):
        parse_response("```json\n{}\n```", "json", ["a"])
    with pytest.raises(ResponseParseError, match="appears twice"):
        parse_response("A: x\nA: y", "text", ["a"])
    with pytest.raises(ValueError, match="unknown format"):
        parse_response("x", "yaml", ["a"])


def test_unparseable_answers_give_nothing_in_lenient_mode():
    assert parse_response("I am not sure.", "json", ["a", "b"], lenient=True) == {}
    assert parse_response("", "xml", ["a"], lenient=True) == {}
