"""Run control shared by the long optimizations: :func:`helpers.render.render` and :func:`helpers.deepdream.deepdream`.

The knobs mean one thing everywhere:

* ``progress``: whether to show a tqdm progress bar (``True`` / ``False``);
  ``None``, the default, shows one when the work takes more than one step
  (the attribution methods read it the same way);
* ``callback(step, total, preview) -> bool``: called after every step, with
  a picture of the work so far every few steps (``preview``, else ``None``);
  returning ``False`` stops the run (the widgets' Stop buttons);
* Ctrl-C (``KeyboardInterrupt``) stops it too. Either way the run returns
  what it has, best so far, with ``stopped`` set, instead of losing it.

Every result of such a run derives from :class:`RunResult`: ``stopped``,
``notes`` (sentences the caller should read) and ``seconds``.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from dataclasses import dataclass, field

from helpers import config

#: The default of a deprecated keyword: "not given".
UNSET = object()


@dataclass(kw_only=True)
class RunResult:
    """What every run controlled by :class:`RunControl` returns, besides its own results.

    Attributes:
      stopped: True if the run ended early (callback, Ctrl-C or early stopping).
      notes: anything the caller should know, as sentences.
      seconds: wall time of the steps.
    """

    stopped: bool = False
    notes: list = field(default_factory=list)
    seconds: float = 0.0


def progress_bar(total: int, desc: str, progress: bool | None):
    """A tqdm bar over ``total`` steps; ``progress=None`` shows it only when there is more than one."""
    show = total > 1 if progress is None else bool(progress)
    return config.progress_bar(total, desc, show)


class RunControl:
    """Counts steps, shows the bar, calls the callback, and turns Ctrl-C into a stop.

    Use::

        run = RunControl(steps, "name", progress, callback, preview_every)
        with run.guard():
            for i in range(steps):
                ...                                   # one step
                if not run.step(lambda: picture()):   # False: the callback said stop
                    break
        run.close()

    Args:
      total: the number of steps planned.
      desc: the progress bar's label.
      progress: show a progress bar (``None``: when ``total > 1``).
      callback: ``callback(step, total, preview) -> bool`` or None.
      preview_every: steps between previews sent to the callback (default: about 10 per run).
      notes: the list to add notes to (a new one by default).
    """

    def __init__(self, total: int, desc: str = "", progress: bool | None = None, callback=None,
                 preview_every: int | None = None, notes: list | None = None):
        self.total, self.done = int(total), 0
        self.callback = callback
        self.every = max(1, int(preview_every or self.total // 10))
        self.stopped = self.interrupted = False
        self.notes = [] if notes is None else notes
        self.seconds = 0.0
        self._bar = progress_bar(self.total, desc, progress)
        self._start = time.perf_counter()

    @contextlib.contextmanager
    def guard(self):
        """Run the steps inside this block: Ctrl-C ends the block and the run keeps what it has."""
        try:
            yield self
        except KeyboardInterrupt:
            self.interrupted = True
            self.stop(f"interrupted after {self.done} of {self.total} steps: returning the best so far")

    def step(self, preview=None) -> bool:
        """Count one step; call the callback (with ``preview()`` when one is due). False: stop now."""
        self.done += 1
        self._bar.update(1)
        if self.callback is None:
            return True
        due = preview is not None and (self.done % self.every == 0 or self.done == self.total)
        if self.callback(self.done, self.total, preview() if due else None) is False:
            self.stopped = True
        return not self.stopped

    def stop(self, note: str | None = None) -> None:
        """Stop the run, saying why in ``notes``."""
        self.stopped = True
        if note:
            self.notes.append(note)

    def close(self) -> float:
        """Close the bar; the wall time of the run in seconds."""
        self._bar.close()
        self.seconds = time.perf_counter() - self._start
        return self.seconds


def legacy_progress(progress, callback, show_progress=UNSET, where: str = "this function"):
    """``(progress, callback)`` from old call forms, each with a DeprecationWarning (kept for one release).

    ``progress=<a function>`` was the callback (now ``callback=``), and
    ``show_progress=`` was the progress bar switch (now ``progress=``).
    """
    if callable(progress):
        warnings.warn(f"{where}(progress=<function>) is deprecated: pass the function as callback=; "
                      "progress= now says whether to show a progress bar", DeprecationWarning, stacklevel=3)
        if callback is not None:
            raise TypeError(f"{where}: give the callback once, as callback=")
        progress, callback = None, progress
    if show_progress is not UNSET:
        warnings.warn(f"{where}(show_progress=...) is deprecated: use progress=True or False",
                      DeprecationWarning, stacklevel=3)
        progress = show_progress
    return progress, callback
