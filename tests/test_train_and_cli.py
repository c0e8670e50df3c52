"""The training recipe learns, and the evaluation CLI prints name: value lines."""

import re
import subprocess
import sys

import numpy as np
import pytest


@pytest.mark.slow
def test_short_training_run_learns_far_above_chance():
    from helpers.train import accuracy, train_shapes_cnn

    model, _ = train_shapes_cnn(seed=5, n_train=4800, epochs=3, verbose=0)
    acc = accuracy(model, n=500, seed=31337)
    assert acc > 0.6, f"accuracy {acc:.2f} after a short run; chance is 0.125"


def test_build_is_seeded():
    from helpers.train import build_shapes_cnn

    a, b, c = build_shapes_cnn(seed=3), build_shapes_cnn(seed=3), build_shapes_cnn(seed=4)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_evaluate_accuracy_cli_prints_name_value_lines():
    out = subprocess.run([sys.executable, "-m", "helpers.evaluate", "accuracy", "--n", "400"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    values = dict(re.findall(r"^(\w+): ([0-9.]+)$", out, flags=re.M))
    assert float(values["shapes_accuracy"]) >= 0.97
    assert float(values["shapes_b_accuracy"]) >= 0.97
