"""The `meddialogue` command: one vocabulary, help on every flag, files written, seeds, and one-line errors that write nothing."""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer
import yaml

import meddialogue.cli as cli
from meddialogue.cli import app, main
from meddialogue.core.files import read_jsonl
from meddialogue.core.run_config import RunConfig
from meddialogue.sources.synthetic import malnutrition_data, malnutrition_task_path

from messy_task import messy_table

COMMANDS = ["prepare", "demo", "synth", "labels", "train", "infer", "export", "evaluate", "mix", "benchmark", "stages", "roleplay-synth", "serve",
            "roleplay-eval", "redteam", "scrub", "experiment", "review-set", "review-export", "review-import", "review-report"]


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "meddialogue.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def call(capsys, *args):
    """`main(args)` in this process: `(status, stdout, stderr)`."""
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def task_file(tmp_path):
    def write(task=None, conversation=None, text=None, **sections):
        p = tmp_path / "task.yaml"
        p.write_text(text if text is not None else yaml.safe_dump({"task": task, "conversation": conversation or {}, **sections}))
        return p
    return write


@pytest.fixture
def data_csv(tmp_path):
    p = tmp_path / "data.csv"
    malnutrition_data(n_patients=15, seed=1).to_csv(p, index=False)
    return p


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny run trained through the command line: `(run_dir, data_csv, stdout)`."""
    d = tmp_path_factory.mktemp("trained")
    data = d / "data.csv"
    malnutrition_data(n_patients=8, seed=0).to_csv(data, index=False)
    status = main(["train", str(malnutrition_task_path()), str(data), "--out", str(d / "run"), "--model", "tiny", "--max-steps", "2",
                   "--set", "max_steps=7", "--set", "batch_size=4", "--set", "learning_rate=1e-3", "--set", "r=4"])
    assert status == 0
    return d / "run", data


BASE = {"task_name": "t", "output_fields": ["aspen_severity", "follow_up"], "group_field": "patient_id", "id_field": "visit_id"}


# ---- one vocabulary, help on every flag ---------------------------------------------------------------------------

def test_every_flag_of_every_command_has_help_and_shows_its_default():
    group = typer.main.get_command(app)
    assert sorted(group.commands) == sorted(COMMANDS)
    for name, command in group.commands.items():
        assert command.help, name
        ctx = command.make_context(name, [], resilient_parsing=True)
        for p in command.params:
            assert p.help and p.help.strip(), (name, p.name)
            if p.param_type_name == "option":
                shown = p.get_help_record(ctx)[1]
                assert "[default: " in shown or "[required]" in shown, (name, p.opts, shown)


def test_module_docstring_lists_every_command():
    for name in COMMANDS: assert name in cli.__doc__, name


def test_old_flags_are_gone_and_shared_flags_mean_one_thing():
    group = typer.main.get_command(app)
    opts = {name: {o for p in c.params for o in p.opts} for name, c in group.commands.items()}
    for old in ("--lr", "--lora-r", "--batch-size", "--method", "--preset", "--column", "--merged", "--epochs", "--backend"):
        assert not any(old in o for o in opts.values()), old
    for name in ("train", "labels", "experiment"): assert "--model" in opts[name]
    for name in ("prepare", "train", "labels", "experiment"): assert "--set" in opts[name]
    for name in ("prepare", "train", "labels", "evaluate", "scrub"): assert {"--encoding", "--sep", "--sheet"} <= opts[name]
    for name in COMMANDS:
        if name not in ("infer", "labels", "serve", "review-import", "review-report"): assert "--out" in opts[name], name   # the review ones write into the set's folder


def test_usage_errors_exit_2(capsys):
    status, out, err = call(capsys, "prepare", malnutrition_task_path())
    assert status == 2 and "Missing argument" in err
    status, out, err = call(capsys, "prepare", malnutrition_task_path(), "x.csv", "--out", "o", "--mode", "chatty")
    assert (status, err) == (2, "error: mode must be one of conversational, single_turn, instruction, got 'chatty'\n")
    assert call(capsys, "prepare", malnutrition_task_path(), "x.csv", "--out", "o", "--seed", "one")[0] == 2
    assert call(capsys, "no-such-command")[0] == 2
    status, out, err = call(capsys, "train", "--help")
    assert status == 0 and "--max-steps" in out and "[default: (the task file's seed)]" in " ".join(out.split())


# ---- prepare --------------------------------------------------------------------------------------------------------

def test_prepare_writes_train_validation_report(tmp_path, data_csv):
    out = tmp_path / "out"
    r = run_cli("prepare", malnutrition_task_path(), data_csv, "--out", out, "--preview", "1")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "train.jsonl", "validation.jsonl"]
    report = json.loads((out / "report.json").read_text())
    assert report["violations"] == 0
    assert report["conversations"]["train"] + report["conversations"]["validation"] == len(pd.read_csv(data_csv))
    assert set(report) >= {"skipped", "styles", "formats", "turns_per_conversation", "kinds"}
    assert "[assistant]" in r.stdout and "[user]" in r.stdout
    assert r.stdout.startswith("data.csv: CSV, encoding utf-8, delimiter ','")


def test_seed_override_and_same_bytes(tmp_path, data_csv):
    outs = {}
    for name, args in (("a", ["--seed", 5]), ("b", ["--set", "seed=5"]), ("c", ["--seed", 6])):
        assert run_cli("prepare", malnutrition_task_path(), data_csv, "--out", tmp_path / name, *args).returncode == 0
        outs[name] = (tmp_path / name / "train.jsonl").read_bytes()
    assert outs["a"] == outs["b"] != outs["c"]
    assert json.loads((tmp_path / "c" / "report.json").read_text())["seed"] == 6


def test_latin1_semicolon_csv_is_prepared(tmp_path, capsys):
    df = malnutrition_data(n_patients=10, seed=3)
    df["note"] = df["note"].str.replace("girl", "girl (Zoë, née Müller)", regex=False)
    path = tmp_path / "export.csv"
    path.write_bytes(df.to_csv(index=False, sep=";").encode("latin-1"))
    status, out, err = call(capsys, "prepare", malnutrition_task_path(), path, "--out", tmp_path / "auto")
    assert status == 0, err
    assert out.splitlines()[0] == f"export.csv: CSV, encoding cp1252, delimiter ';', {len(df)} rows, {df.shape[1]} columns"
    status, out, err = call(capsys, "prepare", malnutrition_task_path(), path, "--out", tmp_path / "given", "--encoding", "latin-1", "--sep", ";")
    assert status == 0, err
    assert "encoding latin-1, delimiter ';'" in out.splitlines()[0]
    text = (tmp_path / "given" / "train.jsonl").read_text(encoding="utf-8")
    assert "Zoë, née Müller" in text
    assert text == (tmp_path / "auto" / "train.jsonl").read_text(encoding="utf-8")


def test_parquet_input_and_no_validation_file_without_split(tmp_path, task_file):
    df = messy_table(10, seed=2)
    df.to_parquet(tmp_path / "data.parquet")
    task = {"task_name": "cardio", "input_field": "note text", "id_field": "visit", "output_fields": ["primary_dx", "ef_percent"]}
    out = tmp_path / "out"
    assert main(["prepare", str(task_file(task, {"validation_split": 0.0})), str(tmp_path / "data.parquet"), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "train.jsonl"]
    ef = [m["content"] for e in read_jsonl(out / "train.jsonl") for m in e["messages"] if m["role"] == "assistant"]
    assert not any(".0" in a for a in ef if "Ef percent" in a)


def test_instruction_mode_from_flag_and_from_task_file(tmp_path, data_csv, task_file):
    out = tmp_path / "inst"
    assert run_cli("prepare", malnutrition_task_path(), data_csv, "--out", out, "--mode", "instruction").returncode == 0
    ex = read_jsonl(out / "train.jsonl")[0]
    assert ex["metadata"]["mode"] == "instruction" and ex["messages"][1]["content"].startswith("### Instruction:")
    task = yaml.safe_load(malnutrition_task_path().read_text())
    assert main(["prepare", str(task_file(text=yaml.safe_dump({**task, "mode": "instruction"}))), str(data_csv), "--out", str(tmp_path / "m")]) == 0
    assert read_jsonl(tmp_path / "m" / "train.jsonl")[0]["metadata"]["mode"] == "instruction"


def test_prepare_is_callable_from_python_with_keywords(tmp_path, data_csv, capsys):
    report = cli.prepare(malnutrition_task_path(), data_csv, out=tmp_path / "py", seed=5, sets=["validation_split=0.3"])
    assert report["seed"] == 5 and (tmp_path / "py" / "validation.jsonl").is_file()


ERRORS = [
    ("unknown key", dict(task={**BASE, "sytem_prompt": "x"}), "error: unknown key 'sytem_prompt' in section 'task' (did you mean 'system_prompt'?)"),
    ("bad identifier", dict(task={**BASE, "output_fields": ["aspen severity"]}), "error: output field 'aspen severity' is not a Python identifier"),
    ("bad format key", dict(task={**BASE, "output_format_ratios": {"yaml": 1.0}}), "error: output_format_ratios has unknown format 'yaml'"),
    ("ratios sum", dict(task={**BASE, "output_format_ratios": {"json": 0.6, "text": 0.6}}), "error: output_format_ratios must sum to 1, they sum to 1.2"),
    ("split", dict(task=BASE, conversation={"validation_split": 1.0}), "error: validation_split must be a number in [0, 1), got 1.0"),
    ("negative split", dict(task=BASE, conversation={"validation_split": -0.1}), "error: validation_split must be a number in [0, 1)"),
    ("templates unknown field", dict(task={**BASE, "question_templates": {"folow_up": ["When?"]}}),
     "error: question_templates has templates for unknown field 'folow_up' (did you mean 'follow_up'?)"),
    ("missing column", dict(task={**BASE, "output_fields": ["aspen_severity", "diagnosis"]}), "error: data has no column 'diagnosis' (the task's output field)"),
    ("unknown conversation key", dict(task=BASE, conversation={"typo_rate": 0.1}), "error: unknown key 'typo_rate' in section 'conversation' (did you mean 'typo_ratio'?)"),
    ("unknown training key", dict(task=BASE, training={"learning_rte": 0.1}), "error: unknown key 'learning_rte' in section 'training' (did you mean 'learning_rate'?)"),
    ("bad yaml", dict(text="task: [unclosed\n"), "error: task file"),
]


@pytest.mark.parametrize("name,spec,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_user_errors_are_one_line_and_write_nothing(tmp_path, task_file, data_csv, name, spec, message):
    out = tmp_path / "out"
    r = run_cli("prepare", task_file(**spec), data_csv, "--out", out)
    assert r.returncode == 2
    assert r.stderr.startswith(message), r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert not out.exists()


def test_missing_files_are_one_line_errors(tmp_path, task_file, data_csv):
    r = run_cli("prepare", tmp_path / "none.yaml", data_csv, "--out", tmp_path / "o")
    assert (r.returncode, r.stderr) == (2, f"error: task file not found: {tmp_path / 'none.yaml'}\n")
    r = run_cli("prepare", task_file(BASE), tmp_path / "none.csv", "--out", tmp_path / "o")
    assert (r.returncode, r.stderr) == (2, f"error: data file not found: {tmp_path / 'none.csv'}\n")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", ["prepare", "train", "labels"])
def test_unknown_set_key_exits_2_with_did_you_mean_and_writes_nothing(tmp_path, data_csv, command):
    out = tmp_path / "out"
    args = ["--out", out] if command != "labels" else []
    r = run_cli(command, malnutrition_task_path(), data_csv, *args, "--set", "learnig_rate=1e-3")
    assert (r.returncode, r.stderr) == (2, "error: unknown setting 'learnig_rate' (did you mean 'learning_rate'?)\n")
    assert not out.exists()
    r = run_cli(command, malnutrition_task_path(), data_csv, *args, "--set", "batch_size=0")
    assert r.returncode == 2 and r.stderr.startswith("error: batch_size") and "Traceback" not in r.stderr
    assert not out.exists()


def test_experiment_checks_its_settings_before_running(tmp_path):
    out = tmp_path / "exp"
    r = run_cli("experiment", "--out", out, "--set", "lora_rnk=4")
    assert (r.returncode, r.stderr) == (2, "error: unknown experiment setting 'lora_rnk' (did you mean 'lora_r'?)\n")
    r = run_cli("experiment", "--out", out, "--grid", "learning_rat=1e-3,1e-4")
    assert r.returncode == 2 and "did you mean 'learning_rate'" in r.stderr
    r = run_cli("experiment", "--out", out, "--seeds", "0,x")
    assert r.returncode == 2 and r.stderr.startswith("error: 'x' in '0,x' is not a valid int")
    assert not out.exists()


def test_demo_runs_on_the_builtin_data(tmp_path):
    r = run_cli("demo", "--out", tmp_path / "demo", "--patients", "10", "--preview", "1")
    assert r.returncode == 0, r.stderr
    assert "pediatric_malnutrition" in r.stdout and "[assistant]" in r.stdout


def test_synth_writes_the_table(tmp_path, capsys):
    status, out, err = call(capsys, "synth", "--out", tmp_path / "t.csv", "--patients", "3", "--seed", "2")
    assert status == 0 and out == f"wrote {tmp_path / 't.csv'}\n"
    assert (tmp_path / "t.csv").read_text() == malnutrition_data(n_patients=3, seed=2).to_csv(index=False)


def test_scrub_comma_separated_columns(tmp_path, capsys):
    src = tmp_path / "notes.csv"
    pd.DataFrame({"pid": ["a", "a"], "note": ["Seen by Dr. Smith, MRN 1234567.", "Dr. Smith again."],
                  "plan": ["Call 555-123-4567", "none"]}).to_csv(src, index=False)
    status, out, err = call(capsys, "scrub", src, "--out", tmp_path / "clean.parquet", "--columns", "note,plan", "--key-column", "pid")
    assert status == 0, err
    clean = pd.read_parquet(tmp_path / "clean.parquet")
    assert "1234567" not in clean.loc[0, "note"] and "555-123-4567" not in clean.loc[0, "plan"]
    assert out.startswith("notes.csv: CSV") and "MRN 1" in out
    status, out, err = call(capsys, "scrub", src, "--out", tmp_path / "x.csv", "--columns", "note,nope")
    assert (status, err) == (2, "error: data has no column 'nope'\n") and not (tmp_path / "x.csv").exists()


# ---- train, infer, export, evaluate on one tiny run -----------------------------------------------------------------

def test_train_applies_task_then_sets_then_flags(trained):
    run_dir, _ = trained
    run = json.loads((run_dir / "run.json").read_text())
    config = RunConfig.from_run(run_dir)
    assert run["steps"] == 2 and config.training.max_steps == 2   # --max-steps beats --set max_steps=7
    assert (config.training.batch_size, config.training.learning_rate, config.adapter.r, config.model.name) == (4, 1e-3, 4, "tiny")


def test_train_on_a_prepared_folder_trains_on_what_prepare_wrote(trained, capsys, tmp_path):
    """`prepare` then `train` on its folder: the same examples (run.json's data sha256) and the same adapter bytes
    as `train` on the table, with the same flags."""
    run_dir, data = trained
    task = malnutrition_task_path()
    assert call(capsys, "prepare", task, data, "--out", tmp_path / "prepared")[0] == 0
    status, out, err = call(capsys, "train", task, tmp_path / "prepared", "--out", tmp_path / "run", "--model", "tiny",
                            "--max-steps", "2", "--set", "max_steps=7", "--set", "batch_size=4",
                            "--set", "learning_rate=1e-3", "--set", "r=4")
    assert status == 0, err
    from meddialogue.core.rundir import RunDir
    table, folder = RunDir(run_dir).record, RunDir(tmp_path / "run").record
    assert folder["data"]["sha256"] == table["data"]["sha256"]
    assert folder["data"]["train_examples"] == table["data"]["train_examples"]
    for name in ("adapter_model.safetensors", "adapter_config.json"):
        assert (tmp_path / "run" / "adapter" / name).read_bytes() == (run_dir / "adapter" / name).read_bytes(), name


def test_infer_comma_separated_fields(trained, capsys):
    run_dir, _ = trained
    status, out, err = call(capsys, "infer", run_dir, "--note", "BMI-for-age z -2.4.", "--ask", "aspen_severity, follow_up",
                            "--parse", "--max-new-tokens", "8")
    assert status == 0, err
    parsed = json.loads(out[out.rindex('{\n  "fields"'):])
    assert set(parsed["fields"]) | set(parsed["missing"]) == {"aspen_severity", "follow_up"}
    status, out, err = call(capsys, "infer", run_dir, "--note", "x", "--ask", "aspen_severty")
    assert status == 2 and err.startswith("error: field 'aspen_severty' is not one of the run's fields (did you mean 'aspen_severity'?)")
    status, out, err = call(capsys, "infer", run_dir, "--note", "x", "--ask", "aspen_severity", "--format", "yaml")
    assert (status, err) == (2, "error: --format must be one of text, json, xml, markdown, got 'yaml'\n")


def test_export_writes_merged_and_prints_only_paths_it_wrote(trained, capsys, tmp_path):
    """The printed `vllm serve` line is run by vLLM itself in tests/test_handoff_vllm.py. GGUF goes through Unsloth on a
    CUDA GPU only, so here only its refusal on the CPU is checked."""
    run_dir, _ = trained
    status, out, err = call(capsys, "export", run_dir)
    assert status == 0, err
    merged = run_dir / "merged"
    assert (merged / "config.json").is_file() and any(merged.glob("*.safetensors"))
    serve = out.strip().splitlines()[-1].split()
    assert serve[:3] == ["vllm", "serve", str(merged)] and serve[3] == "--chat-template"
    assert Path(serve[2]).is_dir() and Path(serve[4]).is_file() and serve[5:] == ["--dtype", "float32"]
    status, out, err = call(capsys, "export", run_dir, "--out", tmp_path / "served")
    assert status == 0 and out.strip().splitlines()[-1].split()[2] == str(tmp_path / "served")
    status, out, err = call(capsys, "export", run_dir, "--out", tmp_path / "gguf", "--gguf", "q4_k_m")   # no CUDA GPU in the tests
    assert status == 2 and err.startswith("error: --gguf") and not (tmp_path / "gguf").exists()


def test_evaluate_reads_the_task_from_the_run(trained, capsys, tmp_path):
    run_dir, data = trained
    status, out, err = call(capsys, "evaluate", run_dir, data, "--out", tmp_path / "eval", "--max-notes", "2", "--max-new-tokens", "8")
    assert status == 0, err
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["suite"]["notes"] == 2 and "exact match" in out
    status, out, err = call(capsys, "evaluate", run_dir, data, "--out", tmp_path / "eval2", "--task", malnutrition_task_path(),
                            "--max-notes", "1", "--max-new-tokens", "4", "--fields-per-item", "1")
    assert status == 0, err
    assert json.loads((tmp_path / "eval2" / "metrics.json").read_text())["suite"]["fields_per_item"] == 1


def test_run_directory_works_as_a_task(trained, capsys, tmp_path):
    run_dir, data = trained
    status, out, err = call(capsys, "prepare", run_dir, data, "--out", tmp_path / "again")
    assert status == 0, err
    assert json.loads((tmp_path / "again" / "report.json").read_text())["seed"] == RunConfig.from_run(run_dir).seed


def test_import_is_light():
    code = ("import sys, meddialogue, meddialogue.cli, meddialogue.sources.conversations, meddialogue.sources.synthetic;"
            "heavy = [m for m in ('torch', 'transformers', 'datasets', 'peft', 'unsloth', 'trl') if m in sys.modules];"
            "print(heavy)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr
