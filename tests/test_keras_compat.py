"""The shipped models load, with the same predictions, on the oldest Keras the course supports (3.10)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from helpers.course.kerasfile import make_portable, portable_config

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "data" / "models").glob("*.keras"))
OLDEST_KERAS = "3.10.0"


def test_portable_config_drops_only_new_keys_at_their_defaults():
    config = {"class_name": "Dense", "config": {
        "units": 3, "quantization_config": None,
        "kernel_initializer": {"module": "keras.initializers", "class_name": "HeNormal",
                               "config": {"seed": 1, "input_axes": None, "output_axes": [0]}}}}
    out, removed = portable_config(config)
    assert removed == 2
    assert out["config"] == {"units": 3, "kernel_initializer": {
        "module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": 1, "output_axes": [0]}}}
    assert "input_axes" in config["config"]["kernel_initializer"]["config"], "the caller's config was changed"


def test_shipped_models_are_portable(tmp_path):
    assert SHIPPED, "no shipped models"
    for path in SHIPPED:
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        assert make_portable(copy) == 0, f"{path.name} holds keys older Keras refuses: run tools/portable_models.py"


def test_make_portable_keeps_weights_and_predictions(tmp_path, tiny_model):
    import keras

    path = tmp_path / "tiny.keras"
    tiny_model.save(path)
    before = zipfile.ZipFile(path).read("model.weights.h5")
    make_portable(path)
    with zipfile.ZipFile(path) as z:
        assert z.read("model.weights.h5") == before
        text = z.read("config.json").decode()
    assert "input_axes" not in text and "quantization_config" not in text
    x = np.random.default_rng(0).uniform(0, 1, (4, 8, 8, 3)).astype("float32")
    again = keras.models.load_model(path, compile=False, safe_mode=True)
    np.testing.assert_array_equal(np.asarray(again(x)), np.asarray(tiny_model(x)))


def test_make_portable_refuses_a_file_that_is_no_keras_model(tmp_path):
    path = tmp_path / "not.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ValueError, match="no config.json"):
        make_portable(path)


_PREDICT = """
import sys, numpy as np, keras
x = np.load(sys.argv[1])
out = {}
for path in sys.argv[3:]:
    m = keras.models.load_model(path, compile=False, safe_mode=True)
    out[path] = np.asarray(m(x, training=False))
np.savez(sys.argv[2], keras=keras.__version__, **{str(i): v for i, v in enumerate(out.values())})
"""


@pytest.fixture(scope="module")
def oldest_keras(tmp_path_factory):
    """Keras 3.10 alone in a throwaway folder (its dependencies are the current ones, already installed)."""
    target = tmp_path_factory.mktemp("keras_oldest")
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check",
           "--target", str(target), f"keras=={OLDEST_KERAS}"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        message = f"could not install keras {OLDEST_KERAS} from the package registry: {done.stderr[-500:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return target


@pytest.mark.slow
def test_shipped_models_predict_the_same_on_the_oldest_keras(oldest_keras, tmp_path):
    import keras

    from helpers.shapes import make_shapes

    x, _, _ = make_shapes(16, seed=31337)
    np.save(tmp_path / "x.npy", x.astype("float32"))
    env = dict(os.environ, PYTHONPATH=str(oldest_keras), TF_CPP_MIN_LOG_LEVEL="2")
    cmd = [sys.executable, "-c", _PREDICT, str(tmp_path / "x.npy"), str(tmp_path / "out.npz"), *map(str, SHIPPED)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    old = np.load(tmp_path / "out.npz")
    assert str(old["keras"]) == OLDEST_KERAS, f"the subprocess ran keras {old['keras']}"
    for i, path in enumerate(SHIPPED):
        now = np.asarray(keras.models.load_model(path, compile=False, safe_mode=True)(x, training=False))
        np.testing.assert_allclose(old[str(i)], now, rtol=1e-5, atol=1e-6, err_msg=path.name)
        assert now.std() > 0, f"{path.name} predicts a constant"

