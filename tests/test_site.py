"""The HTML site: local scripts, alt texts, a landing page with goals and thumbnails; figures fit the screen."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from helpers import config, plotting
from helpers.course import site


def _png(w: int = 40, h: int = 30) -> str:
    fig, ax = plotting.new_figure(w / 100, h / 100)
    ax.imshow(np.zeros((4, 4)))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode()


def _lesson(title="05 · Saliency: which pixels matter?"):
    figure = new_output("execute_result", data={"image/png": _png(), "text/plain": "<Figure>"}, execution_count=1)
    nb = new_notebook(cells=[
        new_markdown_cell("[![Open In Colab](badge.svg)](x)"),
        new_markdown_cell(f"# {title}\n\nA classifier turns an image into **one score** per class. "
                          "If we nudge one pixel, how much does the score move?\n\n**What you'll do**\n* things"),
        new_markdown_cell("## 2. Saliency from scratch\nThe gradient $\\partial z_c / \\partial x$."),
        new_code_cell("# the map of the first image\nfig", outputs=[figure]),
    ])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2,
                                                                           "version_minor": 0}}
    return nb


def test_lesson_heading_takes_title_and_first_paragraph():
    title, goal = site.lesson_heading(_lesson())
    assert title == "05 · Saliency: which pixels matter?"
    assert goal.startswith("A classifier turns an image into **one score**") and "What you'll do" not in goal


def test_every_output_picture_gets_a_meaningful_alt_text():
    nb = _lesson()
    assert site.image_alts(nb) == ["Figure: 2. Saliency from scratch — the map of the first image"]
    body = ('<img alt="Open In Colab" src="badge.svg"><img alt="No description has been provided for this image" '
            'src="data:image/png;base64,AAA"><img src="data:image/png;base64,BBB">')
    out = site.add_alt_text(body, ["first", "second"])
    assert re.findall(r'alt="([^"]*)"', out) == ["Open In Colab", "first", "second"]


def test_pages_and_index_use_the_local_copies_when_vendored(tmp_path, monkeypatch):
    fake = tmp_path / "vendor"
    (fake / "mathjax").mkdir(parents=True)
    (fake / ".complete").write_text("x")
    monkeypatch.setattr(site, "vendor", lambda *a, **k: fake)
    items = [{"name": "05_saliency.ipynb", "nb": _lesson(), "ok": True, "error": "", "seconds": 3.0},
             {"name": "06_guided.ipynb", "nb": _lesson("06 · Guided backprop"), "ok": False,
              "error": "06_guided.ipynb: a claim of the lesson no longer holds.", "seconds": 1.0}]
    index = site.build_site(items, tmp_path / "site", fast=True)
    page = (tmp_path / "site" / "05_saliency.html").read_text()
    for url in site.URLS.values():
        assert url.replace("&", "&amp;") in page or url in page, url
    assert "cdnjs.cloudflare.com/ajax/libs/mathjax" not in page
    assert "Figure: 2. Saliency from scratch" in page
    html = index.read_text()
    assert "<a href='05_saliency.html'>05 · Saliency" in html and "<strong>one score</strong>" in html
    assert "thumbs/05_saliency.png" in html and (tmp_path / "site" / "thumbs" / "05_saliency.png").exists()
    assert "06_guided.html" not in html and "claim of the lesson no longer holds" in html
    assert site.URLS["mathjax_url"] in html and (tmp_path / "site" / "_static" / "mathjax").is_dir()


def test_without_npm_the_pages_fall_back_to_the_cdn(tmp_path, monkeypatch):
    monkeypatch.setattr(site, "vendor", lambda *a, **k: None)
    site.build_site([{"name": "05_saliency.ipynb", "nb": _lesson(), "ok": True, "error": "", "seconds": 1.0}],
                    tmp_path, fast=True)
    assert "cdnjs.cloudflare.com/ajax/libs/mathjax" in (tmp_path / "05_saliency.html").read_text()


@pytest.mark.parametrize("w, h", [(5, 3), (20, 6), (8.4, 8.4), (12.6, 30), (4, 9)])
@pytest.mark.parametrize("projector", [False, True])
def test_every_figure_fits_a_1280x720_screen(w, h, projector):
    config.set_projector(projector)
    try:
        fig, _ = plotting.new_figure(w, h)
        want = np.array(config.figsize(w, h))
    finally:
        config.set_projector(False)
    wpx, hpx = fig.get_size_inches() * fig.dpi
    assert hpx * min(1.0, 1280 / wpx) <= 720 + 1e-6
    assert np.isclose(wpx / hpx, want[0] / want[1]), "shrinking keeps the aspect ratio"
    if want[1] * 100 <= 720 and want[0] * 100 <= 1280:
        assert np.allclose(fig.get_size_inches(), want), "a figure that fits is left alone"


def test_heatmap_helpers_share_one_colormap():
    import inspect

    assert inspect.signature(plotting.heatmap_overlay).parameters["cmap"].default == plotting.HEATMAP
    assert inspect.signature(plotting.matrix_plot).parameters["cmap"].default == plotting.HEATMAP
    fig = plotting.image_grid([np.linspace(0, 1, 16).reshape(4, 4)])
    assert fig.axes[0].images[0].get_cmap().name == plotting.HEATMAP
    fig = plotting.matrix_plot(np.eye(3), title="m")
    assert fig.axes[0].images[0].get_cmap().name == plotting.HEATMAP
    overlay = plotting.heatmap_overlay(np.zeros((4, 4, 3)), np.eye(4), alpha=1.0)
    import matplotlib

    top = np.array(matplotlib.colormaps[plotting.HEATMAP](1.0)[:3], np.float32)
    assert np.allclose(overlay[0, 0], top, atol=1e-6), "the hottest pixel takes the top colour of HEATMAP"
