"""The instructor explorer (apps/explorer.ipynb) served by Voilà, driven in headless Chromium.

Every test loads the page (a fresh kernel), changes a control, checks that the
picture changed, presses Run and checks the progress bar and the result, then
feeds one bad input and checks for a clear red message and no traceback.
"""

from __future__ import annotations

import io

import pytest
from browserkit import (act, assert_clear_error, choose, image_bytes, open_app, open_tab, press_slider,
                        run_and_check_progress, upload, wait_image_change)
from conftest import ROOT

APP = ROOT / "apps" / "explorer.ipynb"
ACT = ".cnn-activations"


@pytest.fixture(scope="module")
def app_url(voila):
    return voila(APP).url


def _png_width(png: bytes) -> int:
    from PIL import Image

    return Image.open(io.BytesIO(png)).size[0]


def test_explorer_activations_panel(page, app_url, tmp_path):
    """Slider key press redraws; Run shows progress; Save gives a link; projector enlarges; bad upload is a clear error."""
    open_app(page, app_url, ACT)
    assert not [u for u in page.external if "fontawesome" not in u], f"page needed the internet: {page.external}"
    first = image_bytes(page, ACT)
    assert first

    act(page, ACT, lambda: press_slider(page, f"{ACT} .cnn-activations-channels", "ArrowRight"))  # 0-15 -> 1-15
    assert "1 – 15" in page.locator(f"{ACT} .cnn-activations-channels .widget-readout").inner_text()
    second = wait_image_change(page, ACT, first)
    act(page, ACT, lambda: choose(page, f"{ACT} .cnn-activations-layer", "conv3"))
    third = wait_image_change(page, ACT, second)

    # Run recomputes the same controls: progress restarts and fills, the picture stays the same one.
    watch_png = run_and_check_progress(page, ACT, third, expect_new=False)
    assert watch_png == third

    assert "Saved to" in act(page, ACT, lambda: page.locator(f"{ACT} .cnn-save").click())
    page.locator(f"{ACT} a.cnn-download-link").wait_for()

    act(page, ACT, lambda: page.locator(".cnn-explorer-projector").click())  # projector: same figure, larger
    big = wait_image_change(page, ACT, third)
    assert _png_width(big) > 1.3 * _png_width(third)

    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a picture")
    upload(page, f"{ACT} .cnn-activations-upload", bad)
    assert_clear_error(page, ACT, "not a readable image")
