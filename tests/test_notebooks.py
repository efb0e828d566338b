"""The notebooks keep nbdev's idiom: short cells, short lines, one public definition per exported cell with its
example under it. Run as a script to print the measures (median cell, share over 30 lines, definitions per exported
cell, share of public definitions with an example)."""
import ast
import json
import re
import statistics
import sys
from pathlib import Path

NBS = Path(__file__).resolve().parents[1] / "nbs"
MAX_CELL_LINES, MAX_LINE = 40, 120


def notebooks():
    return sorted(p for p in NBS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and "_proc" not in p.parts)


def code_cells(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def markdown_lines(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [line for c in cells if c["cell_type"] == "markdown" for line in "".join(c["source"]).splitlines()]


def exported(source: str) -> bool:
    return re.match(r"\s*#\|\s*export\b", source) is not None


def definitions(source: str) -> list[str]:
    """Top-level functions and classes of a cell; a `@patch`ed method is named `Class.method`."""
    try: tree = ast.parse(source)
    except SyntaxError: return []
    names = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): continue
        patched = any((getattr(d, "id", None) or getattr(getattr(d, "func", None), "id", None)) == "patch"
                      for d in node.decorator_list)
        owner = node.args.args[0].annotation if patched and node.args.args else None
        names.append(f"{owner.id}.{node.name}" if isinstance(owner, ast.Name) else node.name)
    return names


def public(name: str) -> bool:
    return not name.split(".")[-1].startswith("_") and not any(p.startswith("_") for p in name.split("."))


def examples_after(cells, i):
    """The plain code cells after cell `i`, up to the next exported cell."""
    out = []
    for source in cells[i + 1:]:
        if exported(source): break
        out.append(source)
    return out


def measure():
    """The measures, and every place past the limits."""
    sizes, n_exported, n_defs, n_public, n_examples, problems = [], 0, 0, 0, 0, []
    for path in notebooks():
        rel, cells = path.relative_to(NBS), code_cells(path)
        for line in markdown_lines(path):
            if len(line) > MAX_LINE and not line.lstrip().startswith("|"):
                problems.append(f"{rel}: a prose line of {len(line)} characters: {line[:60]}...")
        for i, source in enumerate(cells):
            lines = source.splitlines()
            sizes.append(len(lines))
            if len(lines) > MAX_CELL_LINES: problems.append(f"{rel}: cell {i} has {len(lines)} lines")
            for line in lines:
                if len(line) > MAX_LINE: problems.append(f"{rel}: cell {i}: a line of {len(line)} characters")
            if not exported(source): continue
            names = definitions(source)
            pub = [n for n in names if public(n)]
            n_exported, n_defs, n_public = n_exported + 1, n_defs + len(names), n_public + len(pub)
            if len(pub) > 1: problems.append(f"{rel}: cell {i} defines {len(pub)} public names: {', '.join(pub)}")
            after = examples_after(cells, i)
            for name in pub:
                short = name.split(".")[-1]
                if any(re.search(rf"\b{re.escape(short)}\b", s) for s in after): n_examples += 1
                else: problems.append(f"{rel}: {name} has no example under it")
    measures = {"code cells": len(sizes), "median cell lines": statistics.median(sizes),
                "share of cells over 30 lines": round(sum(s > 30 for s in sizes) / len(sizes), 4),
                "definitions per exported cell": round(n_defs / max(1, n_exported), 3),
                "public definitions": n_public,
                "share of public definitions with an example": round(n_examples / max(1, n_public), 4)}
    return measures, problems


def test_notebooks_keep_the_idiom():
    measures, problems = measure()
    assert not problems, f"{len(problems)} places past the limits, e.g.:\n" + "\n".join(problems[:40])
    assert measures["median cell lines"] <= 8


if __name__ == "__main__":
    measures, problems = measure()
    print(json.dumps(measures, indent=2))
    if "-v" in sys.argv: print("\n".join(problems))
    else: print(f"{len(problems)} places past the limits (-v lists them)")
