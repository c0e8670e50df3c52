"""The shared panel machinery: clear messages, stop, uploads, saving."""

import datetime

import numpy as np

from helpers.widgets.activations import ActivationsPanel
from helpers.widgets.base import Panel


def _upload_item(content: bytes):
    return {"name": "mine.png", "type": "image/png", "size": len(content), "content": memoryview(content),
            "last_modified": datetime.datetime.now(datetime.timezone.utc)}


def test_bad_upload_shows_a_clear_message_and_a_sample_clears_it(shapes_spec):
    panel = ActivationsPanel(shapes_spec)
    panel.controls["upload"].value = (_upload_item(b"definitely not a png"),)
    panel.run(wait=True)
    assert "cnn-error" in panel.message.value and "not a readable image" in panel.message.value
    assert "Traceback" not in panel.message.value and "BytesIO" not in panel.message.value
    panel.controls["image"].value = "star"  # choosing a sample forgets the upload
    panel.wait(60)
    panel.run(wait=True)
    assert panel.controls["upload"].value == () and "cnn-ok" in panel.message.value


def test_activations_panel_picture_follows_the_layer(shapes_spec):
    panel = ActivationsPanel(shapes_spec)
    panel.run(wait=True)
    first = panel.png
    panel.controls["layer"].value = "conv4"
    panel.wait(60)
    panel.run(wait=True)
    assert panel.png != first and panel.controls["channels"].max == 63


class _Counting(Panel):
    key = "counting"

    def __init__(self):
        import ipywidgets as w

        super().__init__("count", {"n": w.IntSlider(value=50, min=1, max=100)})

    def compute(self, callback):
        best = None
        for i in range(self.value("n")):
            best = np.full((4, 4, 3), i / 100, dtype=np.float32)
            if i == 3:
                self.stop()  # as if the user pressed Stop during step 3
            if not callback(i + 1, self.value("n"), best):
                break
        return best


def test_stop_keeps_the_result_so_far_and_says_so(tmp_path):
    panel = _Counting()
    panel.run(wait=True)
    assert panel.progress_bar.value == panel.progress_bar.max
    assert "stopped early" in panel.message.value
    assert np.allclose(panel.result, 0.03)  # the image from the step where Stop arrived
    path = panel.save(tmp_path / "out.png")
    assert path.read_bytes()[:4] == b"\x89PNG" and "data:image/png;base64" in panel.download.value
    assert "cnn-counting-n" in panel.controls["n"]._dom_classes


def test_save_before_run_is_a_message_not_a_crash():
    panel = _Counting()
    assert panel.save() is None and "Nothing to save" in panel.message.value


def test_deepdream_panel_forgets_a_bad_upload_when_a_photo_is_chosen(shapes_spec):
    from helpers.widgets.deepdream import DeepDreamPanel

    panel = DeepDreamPanel(shapes_spec)
    panel.controls["upload"].value = (_upload_item(b"not an image at all"),)
    panel.run(wait=True)
    assert "not a readable image" in panel.message.value and "pick a photo" in panel.message.value
    panel.controls["image"].value = "coffee"
    assert panel.controls["upload"].value == ()
