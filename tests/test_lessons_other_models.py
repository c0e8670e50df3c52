"""Every lesson runs on what users bring: a nested transfer-learning model, and an ImageNet architecture.

Each lesson executes in fast mode with the course-wide model switch
(``COURSE_MODEL``, ``COURSE_WEIGHTS=random``: nothing downloads) on a user's
``.keras`` file holding a MobileNetV2 base nested inside a Sequential with a
one-unit sigmoid head. Every lesson's closing section already runs VGG16 (or
InceptionV3) in the ordinary notebook test (``tests/test_notebooks.py``), so
only one lesson is run whole on VGG16 here, to keep the switch working. A last cell appended to the
notebook reads the kernel's peak resident memory (``VmHWM``); each run prints
its time and peak and must stay under :data:`PEAK_LIMIT_GB`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PEAK_LIMIT_GB = 6.0
#: Lessons that do not run on the nested model yet, and why; they are not run (xfail, run=False)
#: until the lesson is fixed, and then this entry is removed.
NESTED_KNOWN: dict[str, str] = {}  # lesson prefix -> why it cannot run on the nested model
_PEAK_CELL = ("import resource; _u = resource.getrusage(resource.RUSAGE_SELF); "
              "print('VmHWM', next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')), "
              "'CPU', _u.ru_utime + _u.ru_stime)")
RESULTS: list[tuple[str, str, float, float, float]] = []


@pytest.fixture(scope="module")
def nested_model_path(tmp_path_factory):
    """A user's transfer-learning model: MobileNetV2 (random weights, 96 px, alpha 0.35) nested in a Sequential."""
    import keras

    keras.utils.set_random_seed(0)
    base = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(96, 96, 3), alpha=0.35)
    model = keras.Sequential([keras.Input((96, 96, 3)), base, keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(1, activation="sigmoid")], name="cats_vs_dogs")
    path = tmp_path_factory.mktemp("user_model") / "cats_vs_dogs.keras"
    model.save(path)
    return path


def _say(config, line: str) -> None:
    """Print past pytest's output capture, so the figures show in a passing run too."""
    capman = config.pluginmanager.getplugin("capturemanager")
    with capman.global_and_fixture_disabled():
        print(line, flush=True)


@pytest.fixture(scope="module", autouse=True)
def _summary(request):
    yield
    if RESULTS:
        lines = [f"  {m:>8} {lesson:<32} {wall:6.1f} s wall {cpu:6.0f} s CPU {peak:5.2f} GB"
                 for m, lesson, wall, peak, cpu in RESULTS]
        _say(request.config, "\nlessons on other models (fast mode, random weights): time and kernel peak memory\n"
             + "\n".join(lines) + f"\n  total {sum(r[2] for r in RESULTS):.0f} s wall, "
             f"{sum(r[4] for r in RESULTS):.0f} s kernel CPU")


def _run(path: Path, tmp_path: Path, model: str, label: str, config) -> None:
    import nbformat

    from helpers.course.runner import execute_notebook

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_PEAK_CELL))
    copy = tmp_path / path.name
    nbformat.write(nb, copy)
    saved = {k: os.environ.get(k) for k in ("COURSE_MODEL", "COURSE_WEIGHTS")}
    os.environ["COURSE_MODEL"] = model
    if model in ("vgg16", "inception_v3"):
        os.environ["COURSE_WEIGHTS"] = "random"
    else:  # the closing ImageNet sections are skipped (offline): tests/test_notebooks.py runs them
        os.environ.pop("COURSE_WEIGHTS", None)
    start = time.perf_counter()
    try:
        done = execute_notebook(copy, fast=True, timeout=600, workdir=tmp_path)
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in done.cells[-1].get("outputs", []))
    fields = text.split("VmHWM", 1)[1].split()
    peak, cpu = int(fields[0]) * 1024 / 1e9, float(fields[2])  # kB -> GB; CPU seconds of the kernel
    RESULTS.append((label, path.stem, seconds, peak, cpu))
    _say(config, f"\n{label} {path.stem}: {seconds:.1f} s wall, {cpu:.0f} s CPU, kernel peak {peak:.2f} GB")
    assert peak < PEAK_LIMIT_GB, f"{path.stem} on {label} peaked at {peak:.2f} GB (limit {PEAK_LIMIT_GB} GB)"


@pytest.mark.slow
def test_a_whole_lesson_runs_on_vgg16(tmp_path, request):
    _run(next(p for p in NOTEBOOKS if p.stem.startswith("01")), tmp_path, "vgg16", "vgg16", request.config)


NESTED_CASES = [pytest.param(p, id=p.stem, marks=[pytest.mark.xfail(reason=NESTED_KNOWN[p.stem[:2]], run=False)]
                             if p.stem[:2] in NESTED_KNOWN else []) for p in NOTEBOOKS]


@pytest.mark.slow
@pytest.mark.parametrize("path", NESTED_CASES)
def test_lesson_runs_on_a_nested_user_model(path, tmp_path, nested_model_path, request):
    _run(path, tmp_path, str(nested_model_path), "nested", request.config)


# ----------------------------------------------------------------- the helpers these runs rely on

def test_octaves_and_tiles_never_go_below_the_models_minimum():
    """A valid 5x5 convolution then an 8x8 pooling needs 12 px: smaller octaves and tiles are raised to it."""
    import keras
    import numpy as np
    from keras import layers

    from helpers import deepdream as D

    inp = keras.Input((None, None, 3))
    x = layers.Conv2D(3, 5, name="c")(inp)
    model = keras.Model(inp, layers.MaxPooling2D(8, name="p")(x))
    assert D.at_least([(5, 7), (7, 10), (10, 14)], 8) == [(8, 8), (8, 10), (10, 14)]
    assert D.at_least([(5, 5), (7, 7), (10, 10)], 8) == [(8, 8), (10, 10)]
    dreamer = D.Dreamer(model, {"p": 1.0}, tile_size=8)
    assert dreamer.min_side == 12 and dreamer.tile_size == 12
    img = np.random.default_rng(0).uniform(0, 1, (16, 16, 3)).astype("float32")
    res = D.deepdream(model, img, layers={"p": 1.0}, steps=2, octaves=3, octave_scale=1.4, tile_size=8)
    assert res.shapes == [(12, 12), (16, 16)] and res.image.shape == img.shape and not res.enlarged
    small = D.deepdream(model, img[:10, :10], layers={"p": 1.0}, steps=1, tile_size=8)
    assert small.enlarged and small.shapes[-1] == (12, 12) and small.image.shape == (10, 10, 3)
    with pytest.raises(ValueError, match="at least 12 px"):
        dreamer.gradient(img[:10, :10])


def test_classes_panel_renders_a_few_of_a_long_class_list():
    from helpers.widgets.featvis import MAX_CLASS_BATCH, few_classes

    assert few_classes(8) == list(range(8))
    picked = few_classes(1000)
    assert len(picked) <= MAX_CLASS_BATCH and picked[0] == 0 and picked[-1] == 999


def test_embedding_data_offline_for_another_model_is_labelled_honestly(monkeypatch, capsys, shapes_spec):
    from dataclasses import replace

    from helpers import embedding as E
    from helpers.shapes import CLASS_NAMES

    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", "/nonexistent")
    other = replace(shapes_spec, name="vgg16", input_size=(40, 40), class_names=[f"c{i}" for i in range(1000)])
    x, y, names = E.dataset(other, 10, seed=3)
    assert x.shape == (10, 40, 40, 3) and names == list(CLASS_NAMES) and y.max() < len(CLASS_NAMES)
    assert "not vgg16's 1000 classes" in capsys.readouterr().out
