"""The instructor explorer: every lesson panel on one page, in tabs.

``apps/explorer.ipynb`` (served by Voilà with ``make explore``) shows
:class:`Explorer`. It gathers whichever lesson panels are installed; a panel
whose module is missing or fails to build becomes a tab with a short note
saying why, so one broken lesson never takes the whole page down.

Each tab computes its first picture when it is first opened (in the
background, with a progress bar and Stop); afterwards the panel recomputes
when you press **Run** (or, for quick panels, when a control moves). The
**Projector** toggle switches :func:`helpers.config.set_projector`, which draws
larger figures with larger fonts, and redraws the open tab.

Example::

    from helpers.models import load_model
    from helpers.widgets.explorer import Explorer
    Explorer(load_model("auto"))
"""

from __future__ import annotations

import contextlib
import html
import importlib
import inspect
import os

from helpers import config
from helpers.widgets.base import CSS_PREFIX, Panel

#: ``(tab title, module, panel key)`` in lesson order. The panel class is the
#: :class:`Panel` subclass of that module whose ``key`` matches.
PANELS = [
    ("Activations", "helpers.widgets.activations", "activations"),
    ("Filters", "helpers.widgets.featvis", "featvis_filters"),
    ("Classes", "helpers.widgets.featvis", "featvis_classes"),
    ("Attribution", "helpers.widgets.attribution", "attribution"),
    ("DeepDream", "helpers.widgets.deepdream", "deepdream"),
    ("t-SNE", "helpers.widgets.embedding", "embedding"),
    ("Perturbation", "helpers.widgets.perturbation", "perturbation"),
    ("Tank story", "helpers.widgets.shortcut", "shortcut"),
    ("Units", "helpers.widgets.units", "units"),
    ("TCAV", "helpers.widgets.tcav", "tcav"),
    ("Fool it", "helpers.widgets.adversarial", "adversarial"),
    ("Fix it", "helpers.widgets.adversarial", "repair"),
]


@contextlib.contextmanager
def _quiet_stderr():
    """Silence file descriptor 2 (TensorFlow's C++ start-up chatter) for a moment."""
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some hosted kernels): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def load_model_quietly(name: str = "auto"):
    """``helpers.models.load_model(name)`` without TensorFlow's start-up log lines.

    The line saying which model was chosen, and why, is still printed.
    Errors (a missing file, an unknown name) are raised as usual.
    """
    import numpy as np

    from helpers.models import load_model

    with _quiet_stderr():
        import tensorflow  # noqa: F401  (its C++ logging happens at import and first use)

        spec = load_model(name)
        spec.model(np.zeros((1, *spec.input_size, 3), "float32"))  # first use, quietly
    return spec


def find_panel_class(module_name: str, key: str) -> type:
    """The :class:`Panel` subclass with ``key`` defined in ``module_name``.

    Raises:
      ImportError: the module cannot be imported.
      LookupError: the module defines no panel with that key (the message
        lists the keys it does define).
    """
    module = importlib.import_module(module_name)
    found = {cls.key: cls for _, cls in inspect.getmembers(module, inspect.isclass)
             if issubclass(cls, Panel) and cls is not Panel and cls.__module__ == module.__name__}
    if key in found:
        return found[key]
    aliases = [k for k in found if k.startswith(key[:5]) or key.startswith(k[:5])]
    if len(aliases) == 1:  # e.g. "tsne" for "embedding", "filter" for "filters"
        return found[aliases[0]]
    raise LookupError(f"{module_name} defines no panel with key {key!r}; it has {sorted(found) or 'none'}")


def build_panel(cls: type, spec, projector: bool | None = None) -> Panel:
    """Instantiate a panel class with the spec (and ``projector`` when it takes one)."""
    params = inspect.signature(cls.__init__).parameters
    kwargs = {"projector": projector} if "projector" in params else {}
    return cls(spec, **kwargs)


class Explorer:
    """All lesson panels in one tabbed page, for a projector or a student.

    Args:
      spec: a :class:`helpers.models.ModelSpec` (``load_model("auto")``).
      projector: start in projector mode (large figures); ``None`` keeps
        :func:`helpers.config.projector`.
      panels: ``(title, module, key)`` triples; defaults to :data:`PANELS`.
      autorun: compute each tab's first picture when the tab first opens.

    Attributes:
      panels: ``{key: Panel}`` for the panels that were built.
      notes: ``{key: message}`` for those that could not be built.
      widget: the ipywidgets root (class ``cnn-explorer``).
    """

    def __init__(self, spec, projector: bool | None = None, panels=None, autorun: bool = True):
        import ipywidgets as w

        self.spec = spec
        self.autorun = autorun
        self.panels: dict[str, Panel] = {}
        self.notes: dict[str, str] = {}
        if projector is not None:
            config.set_projector(projector)
        children, titles, self._keys = [], [], []
        for title, module, key in panels or PANELS:
            try:
                panel = build_panel(find_panel_class(module, key), spec, projector=config.projector())
                self.panels[key] = panel
                children.append(panel.widget)
            except Exception as exc:  # a missing or broken lesson panel must not take the page down
                self.notes[key] = f"{type(exc).__name__}: {exc}"
                note = w.HTML(f"<p class='{CSS_PREFIX}-note'>The {html.escape(title)} panel is unavailable here: "
                              f"{html.escape(self.notes[key])}</p>")
                note.add_class(f"{CSS_PREFIX}-{key}-unavailable")
                children.append(note)
            titles.append(title)
            self._keys.append(key)

        self.tabs = w.Tab(children=children, titles=titles)
        self.tabs.add_class(f"{CSS_PREFIX}-explorer-tabs")
        self.projector_toggle = w.ToggleButton(value=config.projector(), description="Projector",
                                               icon="television", tooltip="large figures and fonts for a room")
        self.projector_toggle.add_class(f"{CSS_PREFIX}-explorer-projector")
        self.projector_toggle.observe(self._on_projector, names="value")
        header = w.HTML(f"<p class='{CSS_PREFIX}-explorer-model'><b>Model:</b> {html.escape(spec.description)}. "
                        f"Pick a tab, move the controls, press <b>Run</b>; <b>Save PNG</b> keeps a picture.</p>")
        self.widget = w.VBox([w.HBox([header, self.projector_toggle],
                                     layout=w.Layout(justify_content="space-between", align_items="center")),
                              self.tabs])
        self.widget.add_class(f"{CSS_PREFIX}-explorer")
        self.tabs.observe(self._on_tab, names="selected_index")
        self.tabs.selected_index = 0
        self._open(0)

    # ------------------------------------------------------------------ events
    def current(self) -> Panel | None:
        """The panel in the open tab (``None`` for an unavailable one)."""
        idx = self.tabs.selected_index
        return None if idx is None else self.panels.get(self._keys[idx])

    def _open(self, idx) -> None:
        if idx is None or not self.autorun:
            return
        panel = self.panels.get(self._keys[idx])
        if panel is not None and panel.runs == 0 and panel.png is None:
            panel.run(wait=False)

    def _on_tab(self, change) -> None:
        self._open(change["new"])

    def _on_projector(self, change) -> None:
        self.set_projector(bool(change["new"]))

    def set_projector(self, on: bool) -> None:
        """Switch projector mode for every panel and redraw the open one."""
        config.set_projector(on)
        current = self.current()
        for panel in self.panels.values():  # only the open tab redraws now; the others on their next run
            panel.set_projector(on, redraw=panel is current)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
