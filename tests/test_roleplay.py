"""Patient role-play end to end: masks in every dialogue window on every family, bad input, and the served endpoint."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("transformers")

from hypothesis import given, settings, strategies as st

from meddialogue.modeling.chat import CHAT_FORMATS, TemplateError
from meddialogue.modeling.models import tiny_tokenizer
from meddialogue.sources.patients import synthetic_roleplay
from meddialogue.sources.roleplay import check_dialogues, read_dialogues, roleplay_examples, write_dialogues
from meddialogue.core.run_config import RoleplayConfig, TrainingConfig
from meddialogue.training.batching import encode_examples


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "meddialogue.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def trained_runs(enc):
    runs, current = [], []
    for i, l in zip(enc["input_ids"], enc["labels"]):
        if l != -100: current.append(i)
        elif current: runs.append(current); current = []
    return runs + ([current] if current else [])


def long_dialogues(n=6):
    """Synthetic interviews with a Spanish one added: long enough to need windows at max_length 700 on tiny tokenizers."""
    spanish = {"id": "es", "script": json.dumps({"nombre": "Lucía", "edad": 52, "motivo": "dolor torácico"}, ensure_ascii=False),
               "dialogue": [t for k in range(8) for t in ({"role": "doctor", "content": f"¿Pregunta {k}, señora?"},
                                                         {"role": "patient", "content": f"Respuesta número {k}, doctora."})]}
    return synthetic_roleplay(n, interviews_per_script=1, seed=2, turns=9) + [spanish]


@pytest.mark.parametrize("name", sorted(CHAT_FORMATS))
@pytest.mark.parametrize("trained_role", ["patient", "doctor"])
def test_every_trained_turn_and_its_end_of_turn_token_in_every_window(name, trained_role):
    tok, fmt = tiny_tokenizer(name), CHAT_FORMATS[name]
    eot = tok.convert_tokens_to_ids(fmt.eos)
    cfg = RoleplayConfig(trained_role=trained_role, validation_split=0.0)
    dialogues = long_dialogues()
    examples, _ = roleplay_examples(dialogues, cfg)
    if name == "mistral" and trained_role == "doctor":
        # Mistral folds the system message into the first user turn; a dialogue the trained doctor opens has none,
        # so the script would vanish: that is refused with a one-line error, never trained without the script.
        with pytest.raises(TemplateError, match="a system message is not in the rendered conversation"):
            encode_examples(examples, tok, TrainingConfig(max_length=700))
        return
    encoded, skipped = encode_examples(examples, tok, TrainingConfig(max_length=700))
    windowed = 0
    for d in dialogues:
        windows = [e for e in encoded if e["id"] == d["id"] or e["id"].startswith(f"{d['id']}#w")]
        windowed += len(windows) > 1
        trained = [t["content"] for t in d["dialogue"] if t["role"] == trained_role]
        if len(windows) > 1 and d["dialogue"][-1]["role"] != trained_role:   # a split dialogue's untrained last turn is reported
            assert any(s["id"] == d["id"] and "no assistant turn follows" in s["reason"] for s in skipped)
        seen = []
        for w in windows:
            assert len(w["input_ids"]) <= 700
            runs = trained_runs(w)
            assert all(r[-1] == eot for r in runs), (name, w["id"])
            seen += [tok.decode(r[:-1]) for r in runs]
            text = tok.decode(w["input_ids"])
            assert cfg.prompt[:40] in text, "every window keeps the script's system message"
        assert seen == trained, (name, d["id"])
    assert windowed >= 3, "the fixture must exercise windows"


def test_smollm2_template_masks_the_patient_turns():
    from meddialogue.modeling.models import load_tokenizer
    try: tok = load_tokenizer("smollm2-135m")
    except Exception as e: pytest.skip(f"SmolLM2 is not available: {e}")
    examples, _ = roleplay_examples(long_dialogues(2), RoleplayConfig(validation_split=0.0))
    encoded, _ = encode_examples(examples, tok, TrainingConfig(max_length=400))
    eot = tok.convert_tokens_to_ids("<|im_end|>")
    for e in encoded:
        assert all(r[-1] == eot for r in trained_runs(e))
        assert "doctor" not in " ".join(tok.decode(r) for r in trained_runs(e)).lower() or e["id"].startswith("es")


roles = st.sampled_from(["doctor", "patient", "nurse", None])
turns = st.lists(st.fixed_dictionaries({"role": roles, "content": st.sampled_from(["Hi.", "", "  ", "¿Dónde?", "Ok"])}), max_size=6)
records = st.fixed_dictionaries({"script": st.sampled_from(["A patient.", "", None, {"edad": 3}, {}]), "dialogue": turns})


@settings(max_examples=200, deadline=None)
@given(st.lists(records, max_size=8))
def test_every_record_is_kept_valid_or_skipped_with_a_reason(recs):
    kept, report = check_dialogues(recs)
    assert report.read == len(recs) == len(kept) + len(report.skipped)
    for d in kept:
        roles_ = [t["role"] for t in d["dialogue"]]
        assert roles_ and set(roles_) <= {"doctor", "patient"} and all(a != b for a, b in zip(roles_, roles_[1:]))
        assert all(t["content"].strip() for t in d["dialogue"])
    assert all(s["reason"] for s in report.skipped)


def test_bad_role_play_input_is_reported_or_refused_and_nothing_is_written(tmp_path):
    task = tmp_path / "play.yaml"
    task.write_text("roleplay: {trained_role: patient}\nmodel: {name: tiny}\ntraining: {max_length: 1024}\n")
    (tmp_path / "list.jsonl").write_text(json.dumps([{"script": "x", "dialogue": []}]))
    r = run_cli("train", task, tmp_path / "list.jsonl", "--out", tmp_path / "a")
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1] == f"error: {tmp_path / 'list.jsonl'} holds a JSON list; write one dialogue object per line (JSON lines), as MedSim does"
    write_dialogues([{"id": "n", "script": "x", "dialogue": [{"role": "nurse", "content": "Hello"}]},
                     {"id": "m", "dialogue": [{"role": "doctor", "content": "Hello"}, {"role": "patient", "content": "Hi"}]}], tmp_path / "bad.jsonl")
    r = run_cli("train", task, tmp_path / "bad.jsonl", "--out", tmp_path / "b")
    assert r.returncode == 2 and "has no usable dialogue (2 read); first skipped: n: turn 1 has unknown role 'nurse'" in r.stderr.splitlines()[-1]
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    r = run_cli("roleplay-synth", "--out", tmp_path / "gen.jsonl", "--scripts", "2", "--endpoint", "http://127.0.0.1:9/v1", "--retries", "1")
    assert r.returncode == 2 and r.stderr.splitlines()[-1].startswith("error: cannot reach the endpoint at http://127.0.0.1:9/v1/")
    assert not (tmp_path / "gen.jsonl").exists()


@pytest.fixture(scope="module")
def tiny_play_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("play")
    write_dialogues(synthetic_roleplay(8, seed=0), d / "train.jsonl")
    (d / "play.yaml").write_text("roleplay: {trained_role: patient, validation_split: 0.25}\nmodel: {name: tiny-qwen-2.5}\n"
                                 "training: {max_length: 700, batch_size: 4}\ngeneration: {max_new_tokens: 12}\n")
    r = run_cli("train", d / "play.yaml", d / "train.jsonl", "--out", d / "run", "--max-steps", "2")
    assert r.returncode == 0, r.stderr[-2000:]
    return d


def start_server(source, *flags):
    from openai import OpenAI
    from meddialogue.generation.serve import free_port
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "meddialogue.cli", "serve", str(source), "--port", str(port), *flags],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/v1"
    client = OpenAI(base_url=url, api_key="none", max_retries=0, timeout=5)
    deadline = time.monotonic() + 180
    while True:
        try: return proc, url, [m.id for m in client.models.list().data]
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_server(proc)
                raise AssertionError(f"the server did not start: {proc.stdout.read()[-2000:]}")
            time.sleep(0.5)


def stop_server(proc):
    proc.send_signal(signal.SIGINT)
    try: proc.wait(timeout=30)
    except subprocess.TimeoutExpired: proc.kill(); proc.wait()


def test_serve_answers_an_openai_client_for_a_run_and_stops(tiny_play_run):
    from openai import OpenAI
    proc, url, models = start_server(tiny_play_run / "run")
    try:
        assert models == ["run"]
        client = OpenAI(base_url=url, api_key="none", max_retries=0, timeout=60)
        reply = client.chat.completions.create(model="run", messages=[{"role": "system", "content": "Script: a cough."},
                                                                      {"role": "user", "content": "What brings you in?"}], max_tokens=5)
        assert reply.choices[0].finish_reason in ("stop", "length") and reply.usage.completion_tokens <= 5
        with pytest.raises(Exception, match="decodes greedily"):
            client.chat.completions.create(model="run", messages=[{"role": "user", "content": "Hi"}], temperature=0.8)
    finally:
        stop_server(proc)
    assert proc.returncode is not None
    with pytest.raises(Exception):
        OpenAI(base_url=url, api_key="none", max_retries=0, timeout=2).models.list()


def test_the_endpoint_generator_writes_valid_dialogues_through_serve(tmp_path):
    from meddialogue.sources.dialogue_endpoint import generate_dialogues
    from meddialogue.modeling.models import smollm2_gguf
    from meddialogue.sources.patients import patient_scripts
    smollm2_gguf()   # the wheel must be installed (CI installs it); a one-line error otherwise
    proc, url, models = start_server("smollm2-135m", "--max-new-tokens", "24")
    try:
        assert models == ["smollm2-135m"]
        report = generate_dialogues(url, patient_scripts(3, seed=11), tmp_path / "gen.jsonl", turns=2, concurrency=3, progress=False)
        assert report.kept == 3, report.summary()
        kept, check = read_dialogues(tmp_path / "gen.jsonl")
        assert check.skipped == [] and len(kept) == 3
        assert all([t["role"] for t in d["dialogue"]] == ["doctor", "patient"] * 2 and d["generator"]["mode"] == "turns" for d in kept)
        again = generate_dialogues(url, patient_scripts(3, seed=11), tmp_path / "gen.jsonl", turns=2, progress=False)
        assert read_dialogues(tmp_path / "gen.jsonl")[0] == kept and again.kept == 3
    finally:
        stop_server(proc)


def test_roleplay_eval_of_a_run_writes_the_report_and_transcripts_that_train_again(tiny_play_run, tmp_path):
    d = tiny_play_run
    assert run_cli("roleplay-synth", "--out", tmp_path / "heldout.jsonl", "--scripts", "4", "--seed", "7", "--scripts-only").returncode == 0
    r = run_cli("roleplay-eval", d / "run", "--scripts", tmp_path / "heldout.jsonl", "--out", tmp_path / "eval", "--base", "tiny-qwen-2.5",
                "--max-new-tokens", "8")
    assert r.returncode == 0, r.stderr[-2000:]
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert set(metrics["summary"]) == {"base (tiny-qwen-2.5)", "run (run)"} and metrics["scripts"] == 4
    assert metrics["differences"]["script_adherence"]["n"] == 4
    assert metrics["interview"] == "familiar questions" and metrics["interviews"]["new questions"]["scripts"] == 4
    assert set(metrics["gaps"]) == {"base (tiny-qwen-2.5)", "run (run)"} and metrics["gaps"]["run (run)"]["script_adherence"]["n"] == 4
    new_rows = [json.loads(l) for l in (tmp_path / "eval" / "replies.jsonl").read_text().splitlines()]
    asked = {r["question"] for r in new_rows if r["interview"] == "new questions"}
    assert asked and not asked & {r["question"] for r in new_rows if r["interview"] == "familiar questions"}
    transcripts = tmp_path / "eval" / "transcripts-run_run.jsonl"
    rows = [json.loads(l) for l in transcripts.read_text().splitlines()]
    assert len(rows) == 4 and all(t["role"] in ("doctor", "patient") for r_ in rows for t in r_["dialogue"])
    r = run_cli("roleplay-eval", d / "run", "--scripts", tmp_path / "heldout.jsonl", "--out", tmp_path / "eval2", "--doctor", "http://127.0.0.1:9/v1")
    assert r.returncode == 2 and r.stderr.splitlines()[-1].startswith("error: cannot reach the endpoint at http://127.0.0.1:9/v1/")
