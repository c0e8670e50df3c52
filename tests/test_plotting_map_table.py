"""plotting.map_table: images in the first column, one column per method, one shared colour bar."""

import numpy as np

from helpers import plotting


def test_map_table_has_a_column_per_method_and_one_colour_bar():
    imgs = np.zeros((2, 8, 8, 3))
    maps = {"Grad-CAM": np.ones((2, 8, 8)) * 0.5, "Layer-CAM": np.zeros((2, 8, 8))}
    masks = np.zeros((2, 8, 8), bool)
    masks[:, 2:5, 2:5] = True
    fig = plotting.map_table(imgs, maps, ["a", "b"], outlines=[masks, ~masks])
    assert len(fig.axes) == 2 * 3 + 1  # the grid and the colour bar
    assert [ax.get_title() for ax in fig.axes[:3]] == ["a", "Grad-CAM", "Layer-CAM"]
    assert "own maximum" in fig.axes[-1].get_ylabel()
    assert plotting.figure_to_array(fig).shape[2] == 3
