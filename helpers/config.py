"""Course-wide settings: fast mode, seeds, projector mode and data paths.

Every long loop in ``helpers`` asks this module how big it may be. With the
environment variable ``COURSE_FAST=1`` (set by the test suite and by
``make course FAST=1``) the caps below shrink steps, image sizes and sample
counts so every notebook runs top to bottom in seconds. Notebooks never edit
their own numbers for speed: they call :func:`steps`, :func:`size` and
:func:`samples` with the full-size value and get the capped one back.

Environment variables:

* ``COURSE_FAST=1``: the quick version (caps above).
* ``COURSE_PROJECTOR=1``: projector mode, for teaching from a beamer: every
  figure is drawn 1.6 times larger with 16 pt labels (:func:`figsize`), and the
  explorer app (``make explore PROJECTOR=1``) uses larger controls. Figures
  still fit a 1280×720 screen. :func:`set_projector` switches it from a notebook.
* ``COURSE_PROGRESS=0``: no tqdm progress bars (set by ``helpers.course.runner`` for
  executed notebooks, where nobody watches a bar and a saved one would be
  frozen mid-way); see :func:`progress_bar`.
* ``COURSE_OFFLINE=1``: never download (weights, data).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

#: Caps applied in fast mode.
FAST_CAPS = {"steps": 6, "size": 64, "samples": 64}

_FAST_OVERRIDE: bool | None = None
_PROJECTOR = os.environ.get("COURSE_PROJECTOR", "").lower() in {"1", "true", "yes"}


def is_fast() -> bool:
    """True when the course runs in fast mode (``COURSE_FAST=1``)."""
    if _FAST_OVERRIDE is not None:
        return _FAST_OVERRIDE
    return os.environ.get("COURSE_FAST", "").strip().lower() in {"1", "true", "yes", "on"}


def set_fast(value: bool | None) -> None:
    """Force fast mode on or off for this process; ``None`` goes back to the env var."""
    global _FAST_OVERRIDE
    _FAST_OVERRIDE = value


def _cap(n: int, key: str, minimum: int = 1) -> int:
    n = int(n)
    if is_fast():
        return max(minimum, min(n, FAST_CAPS[key]))
    return n


def steps(n: int) -> int:
    """Number of optimization steps to run: ``n``, or a small cap in fast mode."""
    return _cap(n, "steps")


def size(n: int) -> int:
    """Image side length to use: ``n``, or at most 64 pixels in fast mode."""
    return _cap(n, "size", minimum=8)


def samples(n: int) -> int:
    """Number of images/examples to use: ``n``, or a small cap in fast mode."""
    return _cap(n, "samples")


def projector() -> bool:
    """True when figures should be drawn large for a projector."""
    return _PROJECTOR


def set_projector(on: bool = True) -> None:
    """Switch projector mode (large fonts and figures) on or off."""
    global _PROJECTOR
    _PROJECTOR = bool(on)


def figsize(width: float, height: float) -> tuple[float, float]:
    """A figure size, scaled up by 1.6 in projector mode."""
    k = 1.6 if _PROJECTOR else 1.0
    return (width * k, height * k)


def progress_bar(total, desc: str = "", show: bool = True):
    """A tqdm bar that disappears when done (``leave=False``), over ``total`` steps or an iterable.

    Disabled when ``show`` is false or ``COURSE_PROGRESS=0`` (batch runs).
    """
    from tqdm.auto import tqdm

    off = os.environ.get("COURSE_PROGRESS", "").strip().lower() in {"0", "false", "no", "off"}
    if isinstance(total, int):
        return tqdm(total=total, desc=desc, leave=False, disable=off or not show)
    return tqdm(total, desc=desc, leave=False, disable=off or not show)


def check_seed(seed, name: str = "seed"):
    """``seed`` if it is a whole number >= 0 (or a list of them); otherwise a clear ValueError."""
    parts = list(seed) if isinstance(seed, (list, tuple, np.ndarray)) else [seed]
    for s in parts:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or int(s) < 0:
            raise ValueError(f"{name} must be a whole number, 0 or more (it picks the random draws); got {seed!r}")
    return seed


def rng(seed: int | None = 0) -> np.random.Generator:
    """A fresh NumPy generator. Pass ``seed=None`` only when you want irreproducible runs."""
    return np.random.default_rng(None if seed is None else check_seed(seed))


#: Seed for evaluation data: never used for training (training uses 1000 + model seed).
UNSEEN_SEED = 777_001


def repo_root() -> Path:
    """The repository root (the folder that holds ``helpers/`` and ``data/``)."""
    return Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """Folder of course data; ``COURSE_DATA`` overrides it."""
    env = os.environ.get("COURSE_DATA")
    path = Path(env) if env else repo_root() / "data"
    if not path.is_dir():
        raise FileNotFoundError(
            f"The course data folder {path} is missing. Install the helpers from a "
            "clone of the course repository (pip install -e .) or set COURSE_DATA."
        )
    return path


def data_path(*parts: str) -> Path:
    """Path of a file inside the data folder."""
    return data_dir().joinpath(*parts)
