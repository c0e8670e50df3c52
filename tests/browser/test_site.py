"""The HTML site works offline: formulas, saved panels and pictures render with the network blocked.

Lesson 01 is executed in fast mode into a temporary folder, the site is built
from it (:func:`helpers.course.site.build_site`, which vendors MathJax and the widget
manager from npm into ``build/vendor`` once), and the site is served on
127.0.0.1. The ``page`` fixture blocks every request that leaves 127.0.0.1.
"""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from .browserkit import ROOT
from .conftest import SCREENSHOTS, _free_port

LESSON = ROOT / "notebooks" / "01_intermediate_activations.ipynb"
#: What a blocked request may be: pictures and fonts that are decoration, not content.
ALLOWED_EXTERNAL = ("https://colab.research.google.com/assets/colab-badge.svg", "https://fonts.googleapis.com/")
MATH = ".mjx-chtml, mjx-container, .MathJax_CHTML"


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    from helpers.course import runner, site

    tmp = tmp_path_factory.mktemp("site")
    nb = runner.execute_notebook(LESSON, fast=True, timeout=600, workdir=tmp)
    index = site.build_site([{"name": LESSON.name, "nb": nb, "ok": True, "error": "", "seconds": 0.0}],
                            tmp / "site", fast=True)
    if not (tmp / "site" / site.STATIC / "mathjax" / "MathJax.js").exists():
        pytest.fail("MathJax was not vendored (is npm at /usr/bin/npm and the registry reachable?)")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(index.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def _assert_offline(page):
    leaks = [u for u in page.external if not u.startswith(ALLOWED_EXTERNAL)]
    assert not leaks, f"the page tried to reach the network: {leaks}"


def test_index_renders_offline_with_its_first_sentence_and_thumbnails(page, built_site):
    page.goto(built_site + "index.html", wait_until="load")
    first = page.locator("body > p").first.inner_text()
    assert "classifier f(x) is opened up" in first, f"the landing page's first sentence shows {first!r}"
    link = page.locator("a[href='01_intermediate_activations.html']")
    assert link.count() == 1 and "01" in link.inner_text()
    thumb = page.locator("img.thumb")
    assert thumb.count() == 1 and thumb.evaluate("i => i.complete && i.naturalWidth > 0"), "thumbnail not shown"
    assert page.locator(".lesson p").first.inner_text().strip(), "the lesson's one-line goal is missing"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "site-index.png"), full_page=True)
    _assert_offline(page)


def test_lesson_page_renders_offline_formulas_widgets_and_alt_texts(page, built_site):
    page.goto(built_site + "01_intermediate_activations.html", wait_until="load")
    page.wait_for_selector(MATH, timeout=60_000)
    assert page.locator(MATH).count() >= 3, "the lesson's formulas were not typeset"
    page.wait_for_selector(".cnn-panel, .widget-vbox", timeout=60_000)  # the saved panel, drawn by html-manager
    assert page.locator(".cnn-panel img, .widget-image").count() >= 1, "the saved panel shows no picture"
    alts = page.locator(".jp-RenderedImage img").evaluate_all("els => els.map(e => e.alt)")
    assert alts and all(a and "No description" not in a for a in alts), alts
    assert "Traceback" not in page.evaluate("document.body.innerText")
    page.screenshot(path=str(SCREENSHOTS / "site-lesson01.png"), full_page=True)
    _assert_offline(page)
