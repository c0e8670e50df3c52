import numpy as np
import pytest

from helpers.shapes import CLASS_NAMES, class_index, make_shapes


def test_deterministic_per_seed_and_different_across_seeds():
    a = make_shapes(50, seed=7)
    b = make_shapes(50, seed=7)
    c = make_shapes(50, seed=8)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


def test_types_ranges_and_all_classes():
    x, y, m = make_shapes(400, seed=1, size=48)
    assert x.dtype == np.float32 and x.shape == (400, 48, 48, 3)
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert m.dtype == bool and m.shape == (400, 48, 48)
    assert set(np.unique(y)) == set(range(len(CLASS_NAMES))) and len(CLASS_NAMES) >= 8


def test_masks_cover_the_drawn_object():
    """Pixels inside the mask share the object's colour; pixels outside don't."""
    x, y, m = make_shapes(300, seed=3, noise=0.0)
    for img, mask in zip(x, m):
        assert 0.01 < mask.mean() < 0.35  # an object is there, and it is not the whole image
        inside = img[mask]
        outside = img[~mask]
        # With no pixel noise, the object is one hue (shaded by at most 15%):
        # every inside pixel is within 20% of the brightest inside colour.
        top = inside.max(0)
        assert np.all(inside <= top + 1e-6) and np.all(inside >= 0.8 * top - 1e-6)
        # ...and its mean colour differs clearly from the background's mean colour.
        assert np.abs(inside.mean(0) - outside.mean(0)).max() > 0.1


def test_mask_geometry_per_class():
    """Ring has a hole, stripes alternate, plus is empty in its corners."""
    for name in ("ring", "horizontal stripes", "vertical stripes", "plus", "circle"):
        _, y, m = make_shapes(30, seed=11, classes=[class_index(name)])
        assert np.all(y == class_index(name))
        for mask in m:
            rows, cols = np.nonzero(mask)
            cy, cx = int(round(rows.mean())), int(round(cols.mean()))
            if name == "ring":
                assert not mask[cy, cx]
            if name == "circle":
                assert mask[cy, cx]
            if name == "horizontal stripes":
                col = mask[rows.min():rows.max() + 1, cx]
                assert np.sum(np.diff(col.astype(int)) != 0) >= 4  # on/off bands down the column
            if name == "vertical stripes":
                row = mask[cy, cols.min():cols.max() + 1]
                assert np.sum(np.diff(row.astype(int)) != 0) >= 4
            if name == "plus":
                assert not mask[rows.min(), cols.min()] and not mask[rows.max(), cols.max()]


def test_bad_arguments():
    with pytest.raises(ValueError, match="size"):
        make_shapes(2, size=4)
    with pytest.raises(ValueError, match="classes"):
        make_shapes(2, classes=[99])
    with pytest.raises(ValueError, match="unknown shapes class"):
        class_index("hexagon")
