"""The package's shape: layers as sub-packages in the order `.importlinter` names them, the docs sidebar made from
that one list, short modules, no private name used across modules, and run folders opened in one module.
`python tests/test_layout.py --write` rewrites nbs/sidebar.yml from the layers."""
import ast
import configparser
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE, NBS = ROOT / "meddialogue", ROOT / "nbs"
MAX_MODULE_LINES = 400
# Sections of the docs that are not layers, in the order they lead the sidebar.
GUIDES = (("Tutorials", "tutorials"), ("Experiments", "experiments"))


def layers() -> list[str]:
    """The sub-packages of the layers contract, bottom layer first (siblings split on `|` or `:`)."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / ".importlinter")
    lines = [l.strip() for l in cfg["importlinter:contract:layers"]["layers"].splitlines() if l.strip()]
    return [name.strip().removeprefix("meddialogue.") for line in reversed(lines) for name in re.split(r"[|:]", line)]


def notebooks_in(folder: str) -> list[str]:
    return sorted(str(p.relative_to(NBS)) for p in (NBS / folder).glob("*.ipynb"))


def sidebar() -> dict:
    """The docs sidebar: the home page, the results, the guides, then one section per layer, bottom up."""
    contents = ["index.ipynb", *[p for p in ("results.ipynb",) if (NBS / p).is_file()]]
    for title, folder in GUIDES: contents.append({"section": title, "contents": notebooks_in(folder)})
    for layer in layers():
        contents.append({"section": layer.capitalize(), "contents": notebooks_in(layer)})
    return {"website": {"sidebar": {"contents": contents}}}


def test_every_layer_is_a_subpackage_with_its_notebooks():
    for layer in layers():
        assert (PACKAGE / layer / "__init__.py").is_file(), f"layer {layer} is not a sub-package"
        assert notebooks_in(layer), f"layer {layer} has no notebooks in nbs/{layer}"
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders == set(layers()), f"sub-packages outside the layers: {sorted(folders - set(layers()))}"


def test_sidebar_is_made_from_the_layers():
    written = yaml.safe_load((NBS / "sidebar.yml").read_text(encoding="utf-8"))
    assert written == sidebar(), "nbs/sidebar.yml is out of date: python tests/test_layout.py --write"


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "_modidx.py")


def test_modules_are_short():
    long = {str(p.relative_to(ROOT)): n for p in modules() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_private_names_stay_in_their_module():
    crossing = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("meddialogue")):
                crossing += [f"{path.relative_to(ROOT)}: {a.name}" for a in node.names
                             if a.name.startswith("_") and not a.name.startswith("__")]
    assert not crossing, f"private names imported from other modules: {crossing}"


def test_run_folders_are_opened_in_one_module():
    openers = [str(p.relative_to(PACKAGE)) for p in modules() if "run.json" in p.read_text()]
    assert openers == ["core/rundir.py"], f"run.json named outside core/rundir.py: {openers}"


if __name__ == "__main__":
    if "--write" in sys.argv:
        text = yaml.dump(sidebar(), sort_keys=False, indent=2, default_flow_style=False)
        (NBS / "sidebar.yml").write_text(text, encoding="utf-8")
        print(f"wrote {NBS / 'sidebar.yml'}")
