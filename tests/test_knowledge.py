"""Public-dataset adapters, mixtures and benchmarks: the hub code path, the published schemas of every fixture,
mixture determinism and exports, one-line errors with nothing written, and the benchmark outputs."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

datasets = pytest.importorskip("datasets")

from meddialogue.sources import medsets  # noqa: E402
from meddialogue.evaluation.benchmark import run_benchmark  # noqa: E402
from meddialogue.evaluation.benchmark_scoring import group_metrics  # noqa: E402
from meddialogue.evaluation.benchmark_tasks import TASKS  # noqa: E402
from meddialogue.sources.medsets import SOURCES, fixture, fixtures_dir, read_rows, to_examples  # noqa: E402
from meddialogue.sources.mixtures import build_mixture, load_mixture, write_mixture  # noqa: E402

MIXTURES = fixtures_dir().parent / "mixtures"
TRAINABLE_FIXTURES = {
    "medqa_4options": "train", "medqa_us": "train", "medmcqa": "train", "pubmedqa_labeled": "train", "pubmedqa_artificial": "train",
    "meddialog_en": "train", "medical_meadow_medical_flashcards": "train", "medical_meadow_wikidoc_patient_information": "train",
    "liveqa": "test", "notechat": "train", **{f"mmlu_{s}": "dev" for s in medsets.MMLU_MEDICAL},
}


def cli(*args, cwd=None):
    r = subprocess.run([sys.executable, "-m", "meddialogue.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd)
    return r.returncode, r.stdout, r.stderr


@pytest.mark.parametrize("name", sorted(TRAINABLE_FIXTURES))
def test_every_fixture_reads_in_its_published_schema_and_becomes_alternating_examples(name):
    split = TRAINABLE_FIXTURES[name]
    rows = read_rows(name, fixture(name, split), split)
    examples = to_examples(name, rows, split)
    assert len(examples) == len(rows) > 0
    assert len({e["id"] for e in examples}) == len(examples)
    for e in examples:
        roles = [m["role"] for m in e["messages"] if m["role"] != "system"]
        assert roles == ["user", "assistant"] * (len(roles) // 2) and roles, (name, roles)
        assert all(m["content"].strip() for m in e["messages"])
        assert e["metadata"]["source"] == name and e["metadata"]["question"]
        if SOURCES[name].kind == "multiple_choice":
            assert e["messages"][-1]["content"].startswith(e["metadata"]["gold"] + ". ")


def test_hub_loading_goes_through_load_dataset_with_the_hub_path_config_and_mapped_split(monkeypatch):
    real, calls = datasets.load_dataset, []

    def fake_hub(path, name=None, split=None, **kw):
        calls.append((path, name, split))
        if path in medsets.BUILDERS.values(): return real(path, name, split=split, **kw)
        local = {"openlifescienceai/medmcqa": fixture("medmcqa", "validation"), "cais/mmlu": fixture("mmlu_anatomy", "test")}[path]
        return real("json", data_files={split: str(local)}, split=split)

    monkeypatch.setattr(datasets, "load_dataset", fake_hub)
    rows = read_rows("medmcqa", split="test")        # lm-eval's MedMCQA test is the hub's validation split
    assert calls[-1] == ("openlifescienceai/medmcqa", None, "validation")
    assert rows == read_rows("medmcqa", fixture("medmcqa", "validation"), "validation")
    read_rows("mmlu_anatomy", split="test")
    assert calls[-1] == ("cais/mmlu", "anatomy", "test")


def test_hub_unreachable_is_one_line_naming_the_dataset(monkeypatch):
    def offline(*a, **k): raise ConnectionError("Couldn't reach 'GBaker/MedQA-USMLE-4-options-hf' on the Hub (LocalEntryNotFoundError)\nmore")
    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(medsets.DataError, match=r"cannot load GBaker/MedQA-USMLE-4-options-hf from the hub .*pass a local file instead$"):
        read_rows("medqa_4options", split="test")


def test_medqa_five_options_reads_every_option():
    rows = read_rows("medqa_us", fixture("medqa_us"))
    _, choices, gold, _ = medsets.multiple_choice("medqa_us", rows[0])
    assert len(choices) == 5 and choices[gold] == rows[0]["answer"]


def test_mixture_is_byte_identical_for_a_seed_and_differs_across_seeds(tmp_path):
    cfg = load_mixture(MIXTURES / "guide_fixtures.yaml")
    write_mixture(build_mixture(cfg), tmp_path / "a")
    write_mixture(build_mixture(load_mixture(MIXTURES / "guide_fixtures.yaml")), tmp_path / "b")
    for f in sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    cfg.seed = 1
    other = build_mixture(cfg)
    assert [e["id"] for e in other.splits["train"]] != [json.loads(l)["id"] for l in (tmp_path / "a" / "train.jsonl").read_text().splitlines()]


def test_mixture_never_repeats_without_upsample_and_counts_add_up(tmp_path):
    mix = build_mixture(load_mixture(MIXTURES / "guide_fixtures.yaml"))
    ids = [e["id"] for split in mix.splits.values() for e in split]
    assert len(ids) == len(set(ids)) == mix.report["size"] == 15
    for row in mix.report["sources"]:
        assert row["train"] + row["validation"] + row["test"] == row["drawn"] == row["asked"]
    assert [len(mix.splits[s]) for s in ("train", "validation", "test")] == [11, 2, 2]


# The LLaMA-Factory and TRL exports are checked by the tools themselves: tests/handoff_llamafactory.py (LLaMA-Factory's
# loader and `llamafactory-cli train`, in .venv-llamafactory) and tests/test_handoff_trl.py (TRL's SFTTrainer).


def test_meddialog_trailing_patient_turn_is_counted_not_hidden():
    row = {"description": "d", "utterances": ["patient: I have a cough.", "doctor: Since when?", "patient: Two weeks. Thanks!"]}
    e = medsets.to_example("meddialog_en", row, "train", 0)
    assert [m["role"] for m in e["messages"]] == ["user", "assistant"] and e["metadata"]["trailing_patient_turns"] == 1


BAD_INPUT = {
    "unknown task": (["benchmark", "tiny", "--tasks", "pubmedq", "--out", "{out}"],
                     "error: unknown benchmark task 'pubmedq' (did you mean 'pubmedqa'?)"),
    "missing column": (["benchmark", "tiny", "--tasks", "medmcqa", "--data", "medmcqa={bad_dir}/no_cop.jsonl", "--out", "{out}"],
                       "error: {bad_dir}/no_cop.jsonl: missing column 'cop' of the medmcqa schema"),
    "answer out of range": (["benchmark", "tiny", "--tasks", "medmcqa", "--data", "medmcqa={bad_dir}/cop_7.jsonl", "--out", "{out}"],
                            "error: {bad_dir}/cop_7.jsonl row 1: answer 7 is out of range for 4 choices"),
    "weights": (["mix", "{bad_dir}/weights.yaml", "--out", "{out}"], "error: mixture weights add up to 0.9, not 1"),
    "leak": (["mix", "{bad_dir}/leak.yaml", "--out", "{out}"],
             "error: decontamination: 2 example(s) of medqa_4options contain medqa_4options test questions"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_one_line_and_writes_nothing(case, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    rows = [json.loads(l) for l in fixture("medmcqa", "validation").read_text().splitlines()[:3]]
    (bad / "no_cop.jsonl").write_text("".join(json.dumps({k: v for k, v in r.items() if k != "cop"}) + "\n" for r in rows))
    rows[1]["cop"] = 7
    (bad / "cop_7.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    fx = fixtures_dir()
    (bad / "weights.yaml").write_text(f"mixture:\n  size: 4\n  sources:\n    - {{name: medqa_4options, weight: 0.5, file: {fx}/medqa_4options.train.jsonl}}\n"
                                      f"    - {{name: medmcqa, weight: 0.4, file: {fx}/medmcqa.train.jsonl}}\n")
    (bad / "leak.yaml").write_text(f"mixture:\n  sources:\n    - {{name: medqa_4options, count: 2, file: {fx}/medqa_4options.test.jsonl}}\n"
                                   f"  decontaminate: {{against: [medqa_4options], files: {{medqa_4options: {fx}/medqa_4options.test.jsonl}}}}\n")
    args, expected = BAD_INPUT[case]
    out = tmp_path / "out"
    status, _, err = cli(*[a.format(out=out, bad_dir=bad) for a in args])
    last = err.strip().splitlines()[-1]
    assert status == 2 and last.startswith(expected.format(bad_dir=bad)), err
    assert "Traceback" not in err
    assert not out.exists()


def test_benchmark_generation_mode_counts_unparsed_replies_and_groups_weigh_by_size(tmp_path):
    data = {"medqa_4options": fixture("medqa_4options"), "pubmedqa": fixture("pubmedqa_labeled")}
    res = run_benchmark("tiny", "medqa_4options,pubmedqa", tmp_path, data, limit=4, mode="generate", max_new_tokens=4, progress=False)
    per = res["models"]["tiny"]["tasks"]
    assert per["medqa_4options"]["n"] == 4 and "unparsed" in per["medqa_4options"] and "f1_macro" in per["pubmedqa"]
    samples = [json.loads(l) for l in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert all((s["chosen"] is None) == s["unparsed"] and (s["correct"] is False or s["chosen"] == s["gold"]) for s in samples)
    assert {"results.json", "samples.jsonl", "report.md", "accuracy.png"} <= {p.name for p in tmp_path.iterdir()}
    g = group_metrics({"a": {"n": 10, "acc": 0.5}, "b": {"n": 30, "acc": 0.9}}, ["a", "b"])
    assert g["acc"] == pytest.approx(0.8) and g["n"] == 40


def test_every_task_has_a_fixture_and_lm_eval_metrics():
    for name, task in TASKS.items():
        if name == "malnutrition_knowledge": continue
        assert read_rows(task.source, fixture(task.source, "validation" if name == "medmcqa" else "test"), "test")
        assert task.metrics == (("acc", "acc_norm") if name in ("medqa_4options", "medmcqa") else ("acc",))


def test_pubmedqa_from_the_hub_splits_by_the_official_test_pmids(monkeypatch):
    rows = [json.loads(l) for l in fixture("pubmedqa_labeled", "test").read_text().splitlines()[:4]]
    official = sorted(medsets.pubmedqa_test_pmids())[:2]
    rows[0]["pubid"], rows[2]["pubid"] = official
    hub = datasets.Dataset.from_list(rows)
    monkeypatch.setattr(datasets, "load_dataset", lambda path, name=None, split=None, **kw: hub)
    assert [r["pubid"] for r in read_rows("pubmedqa_labeled", split="test")] == official
    assert [r["pubid"] for r in read_rows("pubmedqa_labeled", split="train")] == [rows[1]["pubid"], rows[3]["pubid"]]


def test_note_table_conversations_mix_with_public_data_and_the_disclaimer_is_opt_in(tmp_path):
    from meddialogue.sources.mixtures import GUIDE_DISCLAIMER, mixture_config
    from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task_path
    malnutrition_data(n_patients=6, seed=0).to_csv(tmp_path / "notes.csv", index=False)
    raw = {"seed": 3, "sources": [{"name": "notes", "task": str(malnutrition_task_path()), "data": "notes.csv", "count": 5},
                                  {"name": "medmcqa", "count": 5, "file": str(fixture("medmcqa", "train"))}],
           "decontaminate": {"against": ["medmcqa"], "files": {"medmcqa": str(fixture("medmcqa", "validation"))}}}
    plain = build_mixture(mixture_config(raw, tmp_path))
    sources = {e["metadata"]["source"] for split in plain.splits.values() for e in split}
    assert sources == {"notes", "medmcqa"}
    answers = [m["content"] for split in plain.splits.values() for e in split for m in e["messages"] if m["role"] == "assistant"]
    assert not any(GUIDE_DISCLAIMER in a for a in answers)
    warned = build_mixture(mixture_config({**raw, "disclaimer": True}, tmp_path))
    answers = [m["content"] for split in warned.splits.values() for e in split for m in e["messages"] if m["role"] == "assistant"]
    assert all(a.endswith(GUIDE_DISCLAIMER) for a in answers)
