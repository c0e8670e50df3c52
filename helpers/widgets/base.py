"""The building blocks every lesson panel shares.

A :class:`Panel` lays out a row of controls, a Run and a Stop button, a
progress bar, a message line and a picture. Subclasses implement
:meth:`Panel.compute`, which returns a Figure or an RGB array and may report
progress (and live previews) through the ``callback`` it is given, with the
signature of :class:`helpers.runcontrol.RunControl`'s ``callback(step, total,
preview)`` (so it can be passed on as ``render(..., callback=callback)``);
``callback`` returns ``False`` once the user pressed Stop, and long work then
stops early and shows its best result so far. (``progress`` is a bool
everywhere in the course: show a progress bar or not.)

Work runs on a background thread when the panel is used interactively, so the
Stop button stays responsive; ``panel.run(wait=True)`` runs it on the calling
thread (that is what executed notebooks and tests use). Errors never surface as
a traceback wall: the panel shows a one-line message in red.

Every control carries a stable CSS class (``cnn-<panel>-<control>``), and the
panel itself ``cnn-panel cnn-<panel>``, so browser tests can find them.
"""

from __future__ import annotations

import base64
import io
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

import numpy as np

from helpers import config

CSS_PREFIX = "cnn"


class StopRequested(Exception):
    """Raised inside compute code to abandon work when Stop was pressed."""


def to_png_bytes(result) -> bytes:
    """PNG bytes from a Figure, an RGB/gray float [0, 1] array or uint8 array."""
    buf = io.BytesIO()
    if hasattr(result, "savefig"):
        result.savefig(buf, format="png", dpi=110 if not config.projector() else 150, bbox_inches="tight")
    else:
        from PIL import Image

        from helpers.images import to_uint8

        arr = np.asarray(result)
        arr = arr if arr.dtype == np.uint8 else to_uint8(arr)
        img = Image.fromarray(arr)
        if max(img.size) < 256:  # tiny images: enlarge with crisp pixels
            k = int(np.ceil(256 / max(img.size)))
            img = img.resize((img.size[0] * k, img.size[1] * k), Image.NEAREST)
        img.save(buf, format="PNG")
    return buf.getvalue()


class Panel:
    """A lesson's interactive panel. Subclasses set ``key`` and implement ``compute``.

    Args:
      title: heading shown above the controls.
      controls: ordered ``{name: widget}``; each gets the CSS class
        ``cnn-<key>-<name>``.
      live: recompute automatically whenever a control changes (for quick
        panels); long panels leave this off and wait for Run.
      projector: larger pictures and fonts for a room.
    """

    key = "panel"

    def __init__(self, title: str, controls: dict, live: bool = False, projector: bool | None = None):
        import ipywidgets as w

        self.controls = dict(controls)
        self.projector = config.projector() if projector is None else projector
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.result = None
        self.png: bytes | None = None
        self.error: str | None = None
        self.runs = 0

        for name, ctrl in self.controls.items():
            ctrl.add_class(f"{CSS_PREFIX}-{self.key}-{name}")
            ctrl.add_class(f"{CSS_PREFIX}-control")
        self.title = w.HTML(f"<h3 style='margin:4px 0'>{title}</h3>")
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.stop_button = w.Button(description="Stop", button_style="warning", icon="stop", disabled=True)
        self.save_button = w.Button(description="Save PNG", icon="download", disabled=True)
        self.progress_bar = w.IntProgress(value=0, min=0, max=1, description="", layout=w.Layout(width="240px"))
        self.message = w.HTML("")
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%" if self.projector else "720px"))
        self.download = w.HTML("")
        for widget, cls in [(self.run_button, "run"), (self.stop_button, "stop"), (self.save_button, "save"),
                            (self.progress_bar, "progress"), (self.message, "message"), (self.image, "image"),
                            (self.download, "download")]:
            widget.add_class(f"{CSS_PREFIX}-{cls}")
        self.run_button.on_click(lambda _: self.run(wait=False))
        self.stop_button.on_click(lambda _: self.stop())
        self.save_button.on_click(lambda _: self.save())
        if live:
            for ctrl in self.controls.values():
                ctrl.observe(lambda _change: self.run(wait=False), names="value")
        buttons = w.HBox([self.run_button, self.stop_button, self.progress_bar, self.save_button])
        controls_box = w.Box(list(self.controls.values()),
                             layout=w.Layout(display="flex", flex_flow="row wrap", gap="4px 16px"))
        self.widget = w.VBox([self.title, controls_box, buttons, self.message, self.image, self.download])
        self.widget.add_class(f"{CSS_PREFIX}-panel")
        self.widget.add_class(f"{CSS_PREFIX}-{self.key}")

    # ------------------------------------------------------------ subclass API
    def compute(self, callback: Callable[..., bool]):  # pragma: no cover - abstract
        """Do the work; return a Figure or an RGB array. Call ``callback(i, n, preview=None)``."""
        raise NotImplementedError

    def validate(self) -> None:
        """Raise ``ValueError`` with a clear message for bad control values (optional)."""

    # ------------------------------------------------------------ machinery
    def value(self, name: str):
        return self.controls[name].value

    def _callback(self, step: int, total: int, preview=None) -> bool:
        self.progress_bar.max = max(1, int(total))
        self.progress_bar.value = int(min(step, total))
        if preview is not None:
            try:
                self.image.value = to_png_bytes(preview)
            except Exception:  # a preview must never kill the run
                pass
        return not self._stop.is_set()

    def _set_message(self, text: str, kind: str = "info") -> None:
        color = {"info": "#333", "ok": "#17643a", "error": "#b00020"}[kind]
        self.message.value = f"<span class='{CSS_PREFIX}-{kind}' style='color:{color}'>{text}</span>"

    def _work(self) -> None:
        start = time.perf_counter()
        try:
            self.validate()
            result = self.compute(self._callback)
            self.png = to_png_bytes(result)
            self.result = result
            self.image.value = self.png
            stopped = " (stopped early: best result so far)" if self._stop.is_set() else ""
            self._set_message(f"Done in {time.perf_counter() - start:.1f} s{stopped}.", "ok")
            self.save_button.disabled = False
            self.error = None
        except StopRequested:
            self._set_message("Stopped.", "info")
        except Exception as exc:  # show a clear line, keep the traceback for the curious
            self.error = f"{type(exc).__name__}: {exc}"
            self._set_message(f"⚠ {self.error}", "error")
            self._traceback = traceback.format_exc()
        finally:
            self.runs += 1
            self.progress_bar.value = self.progress_bar.max
            self.run_button.disabled = False
            self.stop_button.disabled = True

    def run(self, wait: bool = True) -> "Panel":
        """Compute with the current control values (in the background unless ``wait``)."""
        if self._thread is not None and self._thread.is_alive():
            if not wait:
                self._set_message("Still working: press Stop first.", "info")
                return self
            self._thread.join()
        self._stop.clear()
        self.run_button.disabled = True
        self.stop_button.disabled = False
        self.progress_bar.value = 0
        self._set_message("Working…", "info")
        if wait:
            self._work()
        else:
            self._thread = threading.Thread(target=self._work, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the running computation to stop; it keeps its best result."""
        self._stop.set()

    def set_projector(self, on: bool = True, redraw: bool = True) -> "Panel":
        """Large figures and fonts for a room (``helpers.config.set_projector``); redraw the picture."""
        config.set_projector(on)
        self.projector = bool(on)
        self.image.layout.max_width = "100%" if on else "720px"
        if redraw and self.png is not None:
            self.run(wait=False)
        return self

    def wait(self, timeout: float | None = None) -> "Panel":
        if self._thread is not None:
            self._thread.join(timeout)
        return self

    def save(self, path: str | Path | None = None) -> Path | None:
        """Write the current picture to a PNG file and offer it as a download link."""
        if self.png is None:
            self._set_message("Nothing to save yet: press Run first.", "error")
            return None
        path = Path(path) if path else Path("exports") / f"{self.key}-{time.strftime('%Y%m%d-%H%M%S')}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.png)
        b64 = base64.b64encode(self.png).decode()
        self.download.value = (f"<a download='{path.name}' href='data:image/png;base64,{b64}' "
                               f"class='{CSS_PREFIX}-download-link'>Download {path.name}</a>")
        self._set_message(f"Saved to {path}.", "ok")
        return path

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def image_source_controls(spec, key: str):
    """A sample-image dropdown plus an upload button (shared by several panels)."""
    import ipywidgets as w

    names = list(spec.sample_images().keys())
    dropdown = w.Dropdown(options=names, value=names[0] if names else None, description="Image")
    upload = w.FileUpload(accept="image/*", multiple=False, description="Upload")

    def _forget_upload(_change):  # choosing a sample replaces an earlier upload
        if upload.value:
            upload.value = ()

    dropdown.observe(_forget_upload, names="value")
    return dropdown, upload


def chosen_image(spec, dropdown, upload) -> tuple[np.ndarray, int | None, str]:
    """The image chosen in a dropdown/upload pair, resized for the model.

    Returns ``(image, class_index or None, label)``. An upload wins over the
    dropdown; a bad upload raises :class:`helpers.images.ImageError`.
    """
    from helpers import images

    if upload is not None and upload.value:
        item = upload.value[0]
        try:
            img = images.load_image(bytes(item["content"]))
        except images.ImageError as exc:
            raise images.ImageError(f"{exc} Upload another file, or pick a sample image.") from exc
        return images.resize(img, spec.input_size, crop=True), None, item.get("name", "upload")
    samples = spec.sample_images()
    if dropdown.value not in samples:
        raise ValueError(f"unknown sample {dropdown.value!r}; choose one of {', '.join(samples)}")
    img, cls = samples[dropdown.value]
    return img, cls, dropdown.value
