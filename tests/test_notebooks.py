"""Notebooks: stored clean, in sync with their sources, and executable in fast mode.

The fast-mode run also proves that every exercise's own solution passes its
check in the lesson (``check_solutions``), that no saved output carries
start-up logs, NumPy reprs or frozen progress bars, and that every figure
fits a 1280×720 screen.
"""

import base64
import json
import struct
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
def test_notebook_executes_in_fast_mode(path, tmp_path, monkeypatch):
    """Fast mode, with the ImageNet networks standing in as reachable (random weights: nothing downloads).

    The main thread runs on the shapes CNN and the closing section on VGG16 (InceptionV3 for DeepDream).
    """
    from helpers.course.runner import execute_notebook, scan_outputs

    monkeypatch.delenv("COURSE_MODEL", raising=False)
    monkeypatch.setenv("COURSE_WEIGHTS", "random")
    nb = execute_notebook(path, out_dir=tmp_path, fast=True, timeout=600, workdir=tmp_path, check_solutions=True)
    text = "\n".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream")
    assert "Using vgg16" not in text and "Using inception_v3" not in text, "the main thread must run on the shapes CNN"
    assert "with random weights (COURSE_WEIGHTS=random)" in text, f"{path.name} has no ImageNet section that ran"
    polluted = scan_outputs(nb)
    assert not polluted, f"{path.name}: saved outputs are not clean:\n" + "\n".join(polluted)
    too_tall = [f"cell {i}: {w}x{h} px" for i, w, h in png_sizes(nb) if h * min(1.0, 1280 / w) > 720]
    assert not too_tall, f"{path.name}: figures taller than a 1280x720 screen: {too_tall}"


def png_sizes(nb):
    """``(cell index, width, height)`` of every PNG output, read from its header."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png:
                raw = base64.b64decode(png if isinstance(png, str) else "".join(png))
                width, height = struct.unpack(">II", raw[16:24])
                yield i, width, height
