"""No style drops a question; typos are realistic, seeded and change only what they are given."""
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from meddialogue.text.styles import LOGICAL_STYLES, STYLES, clause, combine_questions, contains_in_order, lower_first
from meddialogue.text.typos import add_typos

words = st.from_regex(r"[A-Za-z]{3,9}", fullmatch=True)
questions = st.lists(st.builds(lambda w, n, end: f"{w.capitalize()} item{n} {w}{end}", words, st.integers(0, 10**6),
                               st.sampled_from(["?", ".", "", "!"])), min_size=2, max_size=12, unique_by=lambda q: q.split()[1])


@settings(max_examples=300, deadline=None)
@given(questions, st.sampled_from(sorted(STYLES)), st.integers(0, 2**32))
def test_no_style_drops_or_reorders_a_question(qs, style, seed):
    message = combine_questions(style, qs, random.Random(seed))
    assert contains_in_order(message, qs)
    for q in qs:  # each question's unique marker appears exactly once
        assert message.count(q.split()[1] + " ") == 1


def test_sixteen_styles_with_the_contract_names():
    assert sorted(STYLES) == sorted(["sequential", "conjunctions", "transitional", "numbered", "natural", "directive", "mixed",
                                     "causal", "conditional", "prioritized", "comparative", "temporal", "hierarchical",
                                     "dialectical", "exploratory", "dependency"])
    assert set(LOGICAL_STYLES) == {n for n, s in STYLES.items() if s.kind == "logical"}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120), st.integers(0, 2**32))
def test_typos_change_text_with_words_and_are_seeded(text, seed):
    typed = add_typos(text, random.Random(seed))
    assert typed == add_typos(text, random.Random(seed))
    has_word = any(len(w) >= 3 for w in "".join(c if c.isascii() and c.isalpha() else " " for c in text).split())
    assert (typed != text) == has_word


def test_typos_are_varied():
    rng = random.Random(0)
    q = "What is the severity of malnutrition and the recommended intervention?"
    assert len({add_typos(q, rng) for _ in range(300)}) > 150
