"""Is a map faithful to the model? Deletion and insertion curves, and the two-object test.

* :func:`deletion_curve` and :func:`insertion_curve` (Petsiuk, Das & Saenko
  2018, *RISE*): remove the pixels from most to least important and record
  the class probability after each step; or start from a blurred copy and
  put the original pixels back in the same order. A deleted pixel takes its
  value in the blurred copy by default; the paper sets it to black
  (``fill=0.0``), which on small images scatters black dots that ruin the
  class so fast that random maps score about as well as any method. A faithful map makes the deletion curve fall fast (low
  area under the curve, :func:`auc`) and the insertion curve rise fast
  (high AUC). Equal map values are ordered at random (seeded,
  :func:`pixel_order`), so a blocky map is not scored by the scan order of
  its ties.
* :func:`two_object_scores`: the discriminative pointing test. Paste a
  second object of another class into the image
  (:func:`helpers.metrics.two_object_image`), ask for one object's class
  (:func:`two_object_images` alternates between them), and count how often
  the map's peak lies on the asked object and how often on the other one. A class-discriminative map points at the
  asked object only.

The curves use the class probability, as the paper does, so they lie in
[0, 1]; it is computed as the softmax of the logits model, so it is the same
whether or not the model ends in a softmax (``score="logit"`` gives logits).
"""

from __future__ import annotations

import warnings

import numpy as np

from helpers import config
from helpers._checks import positive_int
from helpers.attribution.core import prepare


def pixel_order(maps, seed: int = 0) -> np.ndarray:
    """Pixel indices ``[n, h*w]`` from most to least important; ties in random (seeded) order."""
    m = np.asarray(maps, dtype=np.float64)
    m = m.reshape(len(m), -1) if m.ndim == 3 else m.reshape(1, -1)
    tie = config.rng(seed).random(m.shape)
    return np.stack([np.lexsort((tie[i], -m[i])) for i in range(len(m))])


def _curve(model, images, maps, class_index, steps, start, end, score, seed):
    """Scores ``[n, steps + 1]`` of images that go from ``start`` to ``end`` pixel by pixel in map order."""
    from helpers.attribution import class_scores

    x, cls, _ = prepare(model, images, class_index)
    maps = np.asarray(maps, dtype=np.float32)
    if maps.shape != x.shape[:3]:
        raise ValueError(f"maps {maps.shape} must match the images' [n, h, w] = {x.shape[:3]}")
    k = max(2, config.steps(positive_int("steps", steps)))
    hw = x.shape[1] * x.shape[2]
    counts = np.round(np.linspace(0, hw, k + 1)).astype(int)
    order = pixel_order(maps, seed)
    out = np.zeros((len(x), k + 1), dtype=np.float32)
    for i in range(len(x)):
        rank = np.empty(hw, dtype=np.int64)
        rank[order[i]] = np.arange(hw)
        changed = (rank[None, :] < counts[:, None]).reshape(k + 1, *x.shape[1:3], 1)
        batch = np.where(changed, end[i][None], start[i][None])
        out[i] = class_scores(model, batch, cls[i], score=score)
    return np.linspace(0.0, 1.0, k + 1, dtype=np.float32), out


def deletion_curve(model, images, maps, class_index="auto", steps: int = 32, fill="blur", sigma: float = 4.0,
                   score: str = "probability", seed: int = 0):
    """Scores as the most important pixels are deleted first.

    Args:
      maps: ``[n, h, w]`` importance per pixel (any scale; only the order counts).
      steps: points on the curve after the first (capped in fast mode by ``config.steps``).
      fill: ``"blur"``: a deleted pixel takes its value in a copy blurred by ``sigma`` pixels (the
        insertion curve's start), which keeps the image natural; or a number (0 = black, the paper's).
      score: ``"probability"`` (the paper's) or ``"logit"``.
      seed: seed of the random order among equal map values.

    Returns:
      ``(fractions [steps + 1], scores [n, steps + 1])``; fraction 0 is the intact image.
    """
    x = np.asarray(images, dtype=np.float32)
    x = x[None] if x.ndim == 3 else x
    if isinstance(fill, str) and fill != "blur":
        raise ValueError(f"fill must be a number or 'blur'; got {fill!r}")
    end = blurred(x, sigma) if isinstance(fill, str) else np.full_like(x, float(fill))
    return _curve(model, x, maps, class_index, steps, x, end, score, seed)


def blurred(images, sigma: float = 4.0) -> np.ndarray:
    """Gaussian-blurred copies ``[n, h, w, 3]`` (the insertion curve's starting point)."""
    from scipy import ndimage

    x = np.asarray(images, dtype=np.float32)
    x = x[None] if x.ndim == 3 else x
    return ndimage.gaussian_filter(x, sigma=(0, sigma, sigma, 0), mode="nearest").astype(np.float32)


def insertion_curve(model, images, maps, class_index="auto", steps: int = 32, sigma: float = 4.0,
                    score: str = "probability", seed: int = 0):
    """Scores as the most important pixels are inserted first into a blurred copy (``sigma`` pixels).

    Returns ``(fractions, scores)`` like :func:`deletion_curve`; fraction 0 is the blurred image.
    """
    x = np.asarray(images, dtype=np.float32)
    x = x[None] if x.ndim == 3 else x
    return _curve(model, x, maps, class_index, steps, blurred(x, sigma), x, score, seed)


def auc(fractions, scores) -> np.ndarray:
    """Area under each curve ``[n]`` (trapezoid rule over the fraction of pixels changed)."""
    s = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    f = np.asarray(fractions, dtype=np.float64)
    return (((s[:, 1:] + s[:, :-1]) / 2) * np.diff(f)).sum(1)


def faithfulness(model, images, maps, class_index="auto", steps: int = 32, seed: int = 0) -> dict:
    """Both curves and their AUCs: ``{"fraction", "deletion", "insertion", "deletion_auc", "insertion_auc"}``.

    The AUCs are per image; the curves ``[n, steps + 1]``.
    """
    f, d = deletion_curve(model, images, maps, class_index, steps, seed=seed)
    _, i = insertion_curve(model, images, maps, class_index, steps, seed=seed)
    return {"fraction": f, "deletion": d, "insertion": i, "deletion_auc": auc(f, d), "insertion_auc": auc(f, i)}


def plot_curves(results: dict, title: str = ""):
    """Mean deletion and insertion curves side by side, one line per method, AUC in the legend.

    Args:
      results: ``{method: faithfulness(...)}``.
    """
    from helpers.plotting import _style, new_figure

    fig, axes = new_figure(11, 3.8, ncols=2)
    fs = _style()["fontsize"]
    for ax, kind, better in zip(axes, ("deletion", "insertion"), ("lower", "higher")):
        for name, res in results.items():
            grey = name in ("random", "centre")
            ax.plot(res["fraction"], res[kind].mean(0), ls="--" if grey else "-", lw=1.2 if grey else 1.6,
                    color="0.5" if name == "random" else "0.25" if name == "centre" else None,
                    label=f"{name} ({res[kind + '_auc'].mean():.2f})")
        ax.set_xlabel("fraction of pixels " + ("deleted" if kind == "deletion" else "inserted"), fontsize=fs)
        ax.set_ylabel("class probability", fontsize=fs)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{kind} (AUC: {better} is better)", fontsize=fs + 1)
        ax.legend(fontsize=fs - 2, loc="upper right" if kind == "deletion" else "lower right")
    if title:
        fig.suptitle(title, fontsize=fs + 2)
    fig.tight_layout()
    return fig


def random_partners(labels, seed: int = 0) -> np.ndarray:
    """For each image ``i``, a partner ``j`` of another class, chosen at random (seeded)."""
    y = np.asarray(labels)
    r = config.rng(seed)
    partners = []
    for i in range(len(y)):
        other = np.flatnonzero(y != y[i])
        if not other.size:
            raise ValueError("two_object_images needs images of at least two classes")
        partners.append(int(r.choice(other)))
    return np.asarray(partners)


def two_object_images(images, labels, masks, seed: int = 0):
    """Every image with a partner of another class pasted in, and the class to ask for.

    Each image gets a random partner (:func:`random_partners`) pasted in by
    :func:`helpers.metrics.two_object_pairs`. Even-numbered images ask for
    their own object's class, odd-numbered ones for the pasted object's, so
    that neither the original nor the pasted object is favoured. Returns
    ``(images, asked classes, asked masks, other masks)``.
    """
    from helpers.metrics import two_object_pairs

    partners = random_partners(labels, seed)
    imgs, own_y, pasted_y, own, pasted = two_object_pairs(images, labels, masks, pairs=enumerate(partners))
    swap = (np.arange(len(partners)) % 2 == 1)
    return (imgs, np.where(swap, pasted_y, own_y),
            np.where(swap[:, None, None], pasted, own), np.where(swap[:, None, None], own, pasted))


def two_object_scores(maps, asked_masks, other_masks, tolerance: int = 3) -> tuple[float, float]:
    """``(asked, other)``: the share of maps whose peak is on the asked object, and on the other one."""
    from helpers.metrics import pointing_game

    return (float(pointing_game(maps, asked_masks, tolerance).mean()),
            float(pointing_game(maps, other_masks, tolerance).mean()))


#: Methods the report leaves out: guided Grad-CAM is guided backprop times Grad-CAM, both in it.
NOT_REPORTED = ("guided_grad_cam",)


def report_methods(seed: int = 0) -> dict:
    """``{name: (function, kwargs)}``: every registered attribution method with its quick settings.

    From :data:`helpers.attribution.REGISTRY` (less :data:`NOT_REPORTED`), so a new method is in the report.
    """
    from helpers.attribution import REGISTRY

    return {m.name: (m.function, m.settings(seed=seed)) for m in REGISTRY.values() if m.name not in NOT_REPORTED}


def faithfulness_report(n: int = 64, seed: int = 777_001, steps: int = 16, tolerance: int = 3) -> dict[str, float]:
    """Deletion/insertion AUC and the two-object test for every method, plus random and centre maps.

    Runs the shapes CNN on ``n`` fresh images (true class explained). The
    curves have 16 steps; RISE uses 500 masks, LIME 300 samples, SmoothGrad
    16 samples and integrated gradients 16 steps, occlusion 8 px patches at
    stride 4. Each image costs about 3,500 forward passes over all methods
    (its maps, those of its two-object copy, and the curves), so the default
    ``n = 64`` keeps the run to a few minutes on two CPU cores (4 min on a
    busy machine); the two-object rates then move in steps of 1/64.
    """
    from tqdm.auto import tqdm

    from helpers import metrics as M
    from helpers.models import load_shapes
    from helpers.shapes import make_shapes

    model = load_shapes("a").model
    x, y, masks = make_shapes(n, seed=seed)
    x2, y2, asked, other = two_object_images(x, y, masks, seed=seed)
    runs = report_methods(seed=seed)
    size = masks.shape[1:]
    out: dict[str, float] = {}
    two: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in tqdm([*runs, "random", "centre"], desc="faithfulness", leave=False):
            if name == "random":
                maps, maps2 = M.random_maps(n, size, seed=seed), M.random_maps(n, size, seed=seed + 1)
            elif name == "centre":
                maps = maps2 = M.centre_maps(n, size)
            else:
                fn, kw = runs[name]
                maps, maps2 = fn(model, x, y, **kw), fn(model, x2, y2, **kw)
            res = faithfulness(model, x, maps, y, steps=steps, seed=seed)
            out[f"deletion_auc_{name}"] = float(res["deletion_auc"].mean())
            out[f"insertion_auc_{name}"] = float(res["insertion_auc"].mean())
            two[f"two_object_{name}_asked"], two[f"two_object_{name}_other"] = two_object_scores(
                maps2, asked, other, tolerance)
    return {**out, **two}
