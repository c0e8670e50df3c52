"""Notebooks: stored clean, in sync with their sources, and executable in fast mode."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOURCES = sorted((ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"
    assert len(NOTEBOOKS) == len(SOURCES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name} carries outputs in cells {dirty}; strip them (python tools/nbbuild.py)"


def test_notebooks_match_their_sources():
    import nbbuild

    built = nbbuild.build_all()
    stale = [p.name for p, text in built.items() if not p.exists() or p.read_text() != text]
    assert not stale, f"out of date, run `make notebooks`: {stale}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_shape(path):
    """Colab badge, setup cell, goals, a widget, an exercise check and a summary in each lesson."""
    nb = json.loads(path.read_text())
    text = "\n".join("".join(c["source"]) for c in nb["cells"])
    assert "colab-badge.svg" in nb["cells"][0]["source"] and "colab-badge.svg" in nb["cells"][-1]["source"]
    assert "google.colab" in "".join(nb["cells"][1]["source"])
    for needle in ("What you'll", "Panel", ".check(", "Summary"):
        assert needle in text, f"{path.name} lacks {needle!r}"
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for forbidden in ("urlretrieve", "requests.get", "get_file(", "def saliency", "def grad_cam"):
        assert forbidden not in code, f"{path.name} contains {forbidden!r}"
    assert len(nb["cells"]) <= 48, f"{path.name} has {len(nb['cells'])} cells; keep lessons short"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_in_fast_mode(path, tmp_path):
    from helpers.runner import execute_notebook

    execute_notebook(path, out_dir=tmp_path, fast=True, timeout=600, workdir=tmp_path)
