"""README.md is nbs/index.ipynb as nbdev's README step writes it (Markdown cells as they are, code cells fenced),
at most 150 lines. `python tests/test_readme.py --write` rewrites README.md from the notebook."""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 150


def readme_from_index() -> str:
    """The README text that nbs/index.ipynb gives."""
    cells = json.loads((ROOT / "nbs" / "index.ipynb").read_text(encoding="utf-8"))["cells"]
    parts = []
    for cell in cells:
        text = "".join(cell["source"]).strip("\n")
        if cell["cell_type"] == "code": text = f"```python\n{text}\n```"
        if text: parts.append(text)
    return "\n\n".join(parts) + "\n"


def normalised(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip().splitlines()]


def test_readme_is_the_index_notebook():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert normalised(readme) == normalised(readme_from_index()), "README.md differs from nbs/index.ipynb: " \
        "edit the notebook, then python tests/test_readme.py --write"


def test_readme_is_short():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= MAX_LINES


if __name__ == "__main__" and "--write" in sys.argv:
    (ROOT / "README.md").write_text(readme_from_index(), encoding="utf-8")
    print(f"wrote {ROOT / 'README.md'}")
