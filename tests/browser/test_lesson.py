"""A lesson notebook (01, intermediate activations) served by Voilà, its panel driven in Chromium.

The whole lesson runs in the kernel first (fast mode), so this also proves
that every cell executes under Voilà without a traceback.
"""

from __future__ import annotations

from .browserkit import (ROOT, act, assert_clear_error, image_bytes, open_app, press_slider,
                         run_and_check_progress, upload, wait_image_change)

LESSON = ROOT / "notebooks" / "01_intermediate_activations.ipynb"
ACT = ".cnn-activations"


def test_lesson01_activations_panel(page, voila, tmp_path):
    """Lesson 01 renders; a slider key press redraws the maps; Run shows progress; a corrupt upload is a clear error."""
    url = voila(LESSON).url
    open_app(page, url, ACT, timeout_s=240)
    assert page.locator(".jp-RenderedImage img, .jp-OutputArea-output img").count() >= 2, "the lesson's figures are missing"
    first = image_bytes(page, ACT)
    assert first

    upper = f"{ACT} .cnn-activations-channels"
    readout = page.locator(f"{upper} .widget-readout")
    hi = int(readout.inner_text().replace("–", "-").split("-")[1])
    act(page, ACT, lambda: press_slider(page, upper, "ArrowLeft", handle=1))   # drop the last channel
    assert readout.inner_text().replace("–", "-").split("-")[1].strip() == str(hi - 1)
    second = wait_image_change(page, ACT, first)

    run_and_check_progress(page, ACT, second, expect_new=False)

    bad = tmp_path / "empty.jpg"
    bad.write_bytes(b"")
    upload(page, f"{ACT} .cnn-activations-upload", bad)
    assert_clear_error(page, ACT)
