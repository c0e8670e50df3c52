"""The instructor explorer (apps/explorer.ipynb) served by Voilà, driven in headless Chromium.

Every test loads the page (a fresh kernel), changes a control, checks that the
picture changed, presses Run and checks the progress bar and the result, then
feeds one bad input and checks for a clear red message and no traceback.
"""

from __future__ import annotations

import io

import pytest

from .browserkit import (ROOT, act, assert_clear_error, choose, choose_other, corrupt_file, image_bytes,
                         open_app, open_tab, press_slider, run_and_check_progress, upload, wait_image_change)

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


# ----------------------------------------------------------------- the other panels
def _method(page, panel):
    return choose_other(page, f"{panel} .cnn-attribution-method")


def _bad_upload(control):
    def feed(page, panel, tmp_path):
        upload(page, f"{panel} .cnn-{panel.split('-')[-1]}-{control}", corrupt_file(tmp_path))
        page.locator(f"{panel} .cnn-run").click()
        return ("not a readable image",)
    return feed


def _slider(control, key="ArrowRight"):
    def change(page, panel):
        press_slider(page, f"{panel} .cnn-{panel.split('-')[-1]}-{control}", key)
    return change


def _type_and_run(page, panel, control, text):
    """Type ``text`` into the panel's ``control`` text box, press Enter, and press the panel's Run."""
    box = page.locator(f"{panel} .{control} input")
    box.fill(text)
    box.press("Enter")
    page.locator(f"{panel} .cnn-run").click()


def _unknown_layer(page, panel, tmp_path):
    # an InceptionV3 layer the shapes CNN does not have
    _type_and_run(page, panel, "cnn-deepdream-layers", "mixed4a: 1")
    return ("mixed4a", "conv4")   # the message names the bad layer and lists valid ones


def _perplexity_too_high(page, panel, tmp_path):
    press_slider(page, f"{panel} .cnn-embedding-samples", "Home")      # 50 images
    press_slider(page, f"{panel} .cnn-embedding-perplexity", "End")    # perplexity 100
    page.locator(f"{panel} .cnn-run").click()
    return ("perplexity 100 out of range",)


def _filter_out_of_range(page, panel, tmp_path):
    _type_and_run(page, panel, "cnn-featvis_filters-filter", "9999")  # conv4 has 64 filters
    return ("9999 out of range", "0..63")


def _unknown_class(page, panel, tmp_path):
    _type_and_run(page, panel, "cnn-featvis_classes-cls", "hexagon")  # not one of the shapes classes
    return ("unknown class 'hexagon'", "circle")


def _image_out_of_range(page, panel, tmp_path):
    _type_and_run(page, panel, "cnn-shortcut-index", "999")  # the panel holds 64 images
    return ("999 out of range", "0..63")


def _unit_out_of_range(page, panel, tmp_path):
    _type_and_run(page, panel, "cnn-units-unit", "999")  # no layer of the shapes CNN has 1000 units
    return ("unit 999 out of range", "has units 0..")


def _attack_image_out_of_range(page, panel, tmp_path):
    _type_and_run(page, panel, "cnn-adversarial-index", "999")  # the panel holds 64 images
    return ("999 out of range", "0..63")


def _tcav_unknown_layer(page, panel, tmp_path):
    # an InceptionV3 layer the shapes CNN does not have
    _type_and_run(page, panel, "cnn-tcav-layer", "mixed4a")
    return ("mixed4a", "conv3")   # the message names the bad layer and lists valid ones


#: key -> (tab title, change one control, feed one bad input -> words the error must contain)
RECIPES = {
    "featvis_filters": ("Filters", _slider("count", "ArrowLeft"), _filter_out_of_range),
    "featvis_classes": ("Classes", lambda page, panel: choose_other(page, f"{panel} .cnn-featvis_classes-recipe"),
                        _unknown_class),
    "attribution": ("Attribution", _method, _bad_upload("upload")),
    "deepdream": ("DeepDream", _slider("step"), _unknown_layer),
    "embedding": ("t-SNE", _slider("perplexity", "ArrowLeft"), _perplexity_too_high),
    "perturbation": ("Perturbation", _slider("patch"), _bad_upload("upload")),
    "shortcut": ("Tank story", lambda page, panel: choose_other(page, f"{panel} .cnn-shortcut-tag"),
                 _image_out_of_range),
    "units": ("Units", lambda page, panel: choose_other(page, f"{panel} .cnn-units-iou"), _unit_out_of_range),
    "adversarial": ("Fool it", _slider("eps"), _attack_image_out_of_range),
    "tcav": ("TCAV", lambda page, panel: choose_other(page, f"{panel} .cnn-tcav-concept"), _tcav_unknown_layer),
}


@pytest.mark.parametrize("key", list(RECIPES))
def test_explorer_panel(page, app_url, key, tmp_path):
    """Open the tab (its first picture appears), change a control, Run: progress, new picture; bad input: clear error."""
    tab, change, bad = RECIPES[key]
    panel = f".cnn-panel.cnn-{key}"
    open_app(page, app_url, ACT)
    note = page.locator(f".cnn-{key}-unavailable")
    assert not note.count(), note.all_inner_texts()
    message = act(page, panel, lambda: open_tab(page, tab))          # first picture on first opening
    assert "Done in" in message, message
    first = image_bytes(page, panel)
    assert first
    change(page, panel)
    run_and_check_progress(page, panel, first, expect_new=True)
    words = bad(page, panel, tmp_path)
    assert_clear_error(page, panel, *words)
