"""meddialogue: a notebook-first workbench for fine-tuning language models on medical dialogue.

`import meddialogue as md` offers the public names of every module (`md.load_config`, `md.RunConfig`,
`md.DataPrep`, `md.Trainer`, `md.InferencePipeline`, `md.evaluate_run`, `md.MedDialogue`, `md.scrub_phi`, ...).
They are imported on first use (PEP 562), so `import meddialogue` loads none of torch, transformers, datasets or peft.
This file is written by hand (nbdev only keeps `__version__` in it); `tests/test_package.py` checks every name.
"""
__version__ = "0.1.0"

import importlib

_EXPORTS = {
    "core.checks": ("MedDialogueError", "ConfigError", "DataError"),
    "core.config": ("TaskConfig", "ConversationConfig", "load_config"),
    "core.run_config": ("RunConfig", "ModelConfig", "AdapterConfig", "TrainingConfig", "GenerationConfig", "RoleplayConfig", "load_run_config"),
    "core.files": ("load_table", "read_jsonl", "write_jsonl", "write_table", "to_hf_dataset"),
    "text.formats": ("format_response", "parse_response"),
    "safety.phi": ("scrub_phi", "find_phi", "scrub_table"),
    "sources.conversations": ("DataPrep",),
    "sources.verify": ("verify_examples", "render_conversation"),
    "sources.synthetic": ("malnutrition_data", "malnutrition_task"),
    "sources.knowledge": ("knowledge_rows",),
    "sources.medsets": ("read_rows", "to_examples"),
    "sources.mixtures": ("load_mixture", "build_mixture", "write_mixture"),
    "sources.roleplay": ("read_dialogues", "write_dialogues", "roleplay_examples"),
    "sources.patients": ("patient_scripts", "synthetic_roleplay"),
    "sources.dialogue_endpoint": ("generate_dialogues",),
    "sources.examples": ("load_examples",),
    "modeling.chat": ("tokenize_conversation", "show_labels"),
    "modeling.models": ("load_model", "load_tokenizer"),
    "training.trainer": ("Trainer",),
    "generation.engines": ("HFEngine", "VLLMEngine", "EndpointEngine"),
    "generation.inference": ("InferencePipeline", "merged_folder"),
    "evaluation.robustness": ("evaluate_run",),
    "evaluation.benchmark": ("run_benchmark",),
    "safety.document_guard": ("assess_query", "DocumentGuard"),
    "safety.guarded": ("GuardedPipeline",),
    "generation.serve": ("chat_app", "Server"),
    "evaluation.roleplay_eval": ("evaluate_roleplay", "evaluate_roleplay_run"),
    "recipes.experiment": ("run_experiment",),
    "recipes.stage_recipe": ("load_recipe",),
    "recipes.stages": ("run_stages",),
    "recipes.facade": ("MedDialogue",),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None: raise AttributeError(f"module 'meddialogue' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), *__all__])
