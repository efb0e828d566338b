"""The package root: every public name a researcher can guess, imported on first use, and nothing heavy at import."""
import importlib
import subprocess
import sys

import pytest

import meddialogue as md


def test_every_root_name_resolves_to_its_module_definition():
    for name in md.__all__:
        module = importlib.import_module(f"meddialogue.{md._MODULE_OF[name]}")
        assert getattr(md, name) is getattr(module, name), name


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'DataPrepp'"):
        md.DataPrepp


def test_root_names_are_listed_and_the_contract_names_are_there():
    assert {"load_config", "load_run_config", "RunConfig", "DataPrep", "Trainer", "InferencePipeline", "evaluate_run",
            "MedDialogue", "scrub_phi", "assess_query", "load_table"} <= set(md.__all__)
    assert set(md.__all__) <= set(dir(md))


def test_import_and_a_root_name_load_no_heavy_library():
    code = ("import sys, meddialogue as md; md.load_config; md.DataPrep; md.RunConfig; md.load_table; md.MedDialogue; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'transformers', 'datasets', 'peft', 'trl', 'scipy', 'sklearn'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
