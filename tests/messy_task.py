"""A held-out task built for the tests: cardiology follow-up notes with messy cells (not the synthetic data)."""
import math
import random

import pandas as pd

from meddialogue.core.config import ConversationConfig, TaskConfig

FIELDS = ["primary_dx", "ef_percent", "nyha_class", "Medications", "follow_up_weeks", "gp_message", "_flag2"]

TEMPLATES = {
    "primary_dx": ["What's the primary diagnosis?", "Main diagnosis?", "Which condition is primary here?",
                   "Name the principal diagnosis.", "What is the working diagnosis (ICD-style)?"],
    "ef_percent": ["What is the ejection fraction?", "EF in percent?", "Report the LVEF.", "How much is the EF?"],
    "nyha_class": ["NYHA class?", "What is the NYHA functional class?", "Classify symptoms by NYHA."],
    "Medications": ["Which medications are listed?", "List the meds.", "What is the patient taking?"],
}


def messy_table(n_patients: int = 40, seed: int = 0) -> pd.DataFrame:
    """Several notes per patient; CRLF, tabs, trailing spaces, unicode; NaN, '', 'N/A', 'nan'; ints with gaps."""
    rng = random.Random(seed)
    rows = []
    for p in range(n_patients):
        for v in range(rng.randint(1, 5)):
            ef = rng.choice([35, 40, 55, 60, None, 25])
            note = rng.choice([
                f"Pt seen for HF f/u.\r\nEF {ef}% on echo   \r\n\tBP 118/76 <stable> & euvolemic.",
                f"Follow-up: {{weight}} stable.\nMeds: \"carvedilol\" 6.25mg BID; furosemide 40mg\n\nPlan per cardiology → review",
                "Dyspnée à l'effort — NYHA II.\n  Indented line kept\nLast line   ",
                "", "   ", None, "nan", float("nan"),
                "Note with <xml> & {json} [brackets] `code` # hash * star\nsecond line",
            ])
            rows.append({
                "patient": f"H{p:03d}" if rng.random() > 0.05 else None,
                "visit": f"{p}-{v}",
                "note text": note,
                "primary_dx": rng.choice(["HFrEF", "HFpEF <EF 50%>", "Ischemic CM & AF", "  dilated   CM ", "N/A", "", None, "None"]),
                "ef_percent": float(ef) if ef is not None else float("nan"),
                "nyha_class": rng.choice(["I", "II", "III", "IV", float("nan")]),
                "Medications": rng.choice(["carvedilol 6.25 mg BID\nfurosemide 40 mg daily", "\"sacubitril/valsartan\" {49/51}",
                                           "none", "nan", "  "]),
                "follow_up_weeks": rng.choice([2, 4, 12, None]),
                "gp_message": rng.choice(["Please check K+ & Cr in 1 week; target <5.0", "Titrate β-blocker → target dose",
                                          "Line one\r\nLine two\r\n\r\n\r\nLine three", "#1 **urgent** echo"]),
                "_flag2": rng.choice([True, False]),
            })
    df = pd.DataFrame(rows)
    df["follow_up_weeks"] = df["follow_up_weeks"].astype("float64")  # an integer column with gaps, as pandas stores it
    return df


def messy_task(**overrides) -> TaskConfig:
    kwargs = dict(task_name="cardio_followup", task_description="Summarise a heart-failure clinic note.",
                  input_field="note text", id_field="visit", group_field="patient", output_fields=FIELDS,
                  question_templates=TEMPLATES,
                  field_ordering=["primary_dx", "ef_percent", "nyha_class", "Medications", "_flag2", "follow_up_weeks", "gp_message"],
                  output_format_ratios={"text": 0.3, "json": 0.3, "xml": 0.2, "markdown": 0.2},
                  system_prompt="You are a cardiology assistant. Reply as {format} asks; never invent {values}.")
    kwargs.update(overrides)
    return TaskConfig(**kwargs)


def is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and v.strip() in ("", "N/A", "nan"))
