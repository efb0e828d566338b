"""Conversations per second of DataPrep.prepare_data on 5-field data, in memory, with every feature on.

Run: .venv/bin/python benchmarks/bench_prepare.py [--rows N] [--repeats R]
Target (issue 2): at least 22,500 conversations/s (10x the original MedDialogue's ~2,250/s).
"""
import argparse
import platform
import random
import time

import pandas as pd

from meddialogue.core.config import ConversationConfig, TaskConfig
from meddialogue.sources.conversations import DataPrep

FIELDS = ["diagnosis", "severity", "growth_trend", "intervention", "follow_up"]


def five_field_table(n: int, seed: int = 0) -> pd.DataFrame:
    """A table of n notes (about 350 characters, several lines) with 5 labelled fields and some gaps."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        z = round(rng.uniform(-4, 1), 1)
        rows.append({
            "patient_id": f"P{i // 3:05d}",
            "note": (f"Follow-up visit. {rng.randint(6, 59)}-month-old child.\n"
                     f"Weight {rng.uniform(6, 18):.1f} kg, length {rng.uniform(60, 110):.1f} cm; weight-for-length z {z}.\n"
                     f"Intake about {rng.randint(20, 110)}% of estimated needs.\nExam: no edema.\n"
                     f"Labs: albumin {rng.uniform(2, 4.5):.1f} g/dL."),
            "diagnosis": rng.choice(["moderate malnutrition", "severe malnutrition", "no malnutrition", "mild malnutrition"]),
            "severity": rng.choice(["none", "mild", "moderate", "severe"]),
            "growth_trend": rng.choice(["improving", "stable", "declining", None]),
            "intervention": rng.choice(["RUTF 200 kcal/kg/day & weekly review", "nutrition counselling <energy-dense foods>"]),
            "follow_up": rng.choice(["in 1 week", "in 2 weeks", "in 1 month", float("nan")]),
        })
    return pd.DataFrame(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    df = five_field_table(args.rows)
    task = TaskConfig(task_name="bench", output_fields=FIELDS, group_field="patient_id",
                      system_prompt="You are a clinical assistant.")
    conv = ConversationConfig(single_turn_ratio=0.5, max_multi_turns=4, typo_ratio=0.15, logical_style_ratio=0.4,
                              include_followup_questions=True, validation_split=0.1, heldout_templates_per_field=2,
                              heldout_styles=["mixed"], seed=0)
    prep = DataPrep(task, conv)
    t0 = time.perf_counter()
    train, val = prep.prepare_data(df)  # the first run also pays for the process growing its heap
    cold = time.perf_counter() - t0
    times = []
    for _ in range(args.repeats):
        del train, val  # free the previous run's conversations outside the timed region
        t0 = time.perf_counter()
        train, val = prep.prepare_data(df)
        times.append(time.perf_counter() - t0)
    n = len(train) + len(val)
    best, median = min(times), sorted(times)[len(times) // 2]
    r = prep.report
    print(f"python {platform.python_version()} on {platform.machine()}; {args.rows} rows, 5 fields, all features on")
    print(f"  multi-turn {r.kinds.get('multi_turn', 0)}, single-turn {r.kinds.get('single_turn', 0)}, "
          f"exchanges {r.exchanges}, typo exchanges {r.typo_exchanges}, formats {r.formats}")
    print(f"conversations/s: first run {n / cold:,.0f}; then over {args.repeats} runs best {n / best:,.0f}, "
          f"median {n / median:,.0f} (target >= 22,500)")


if __name__ == "__main__":
    main()
