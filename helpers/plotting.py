"""Figures for the course: image grids, heatmap overlays, bar charts.

Every function returns a :class:`matplotlib.figure.Figure` and never calls
``plt.show()``; the notebook decides what to display. Sizes grow in projector
mode (:func:`helpers.config.set_projector`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from helpers import config

#: The one colour map of the course for non-negative maps (activations, saliency, Grad-CAM, ...):
#: perceptually uniform, readable in grey and on a projector. Every heatmap helper uses it.
HEATMAP = "inferno"
#: :data:`HEATMAP` with NaN pixels drawn mid-grey, a colour it does not contain: separators between tiles
#: (``activation_grid(..., fill=np.nan)``) then never look like activation.
HEATMAP_GAPS = matplotlib.colormaps[HEATMAP].with_extremes(bad="0.55")
#: The colour map for signed maps (weights, raw gradients): blue below zero, red above.
DIVERGING = "RdBu_r"
#: The screen a figure must fit (pixels) and the resolution figures are drawn at.
SCREEN = (1280, 720)
DPI = 100


def fit_screen(width: float, height: float, dpi: float = DPI) -> tuple[float, float]:
    """Shrink a figure size (inches) to fit the screen.

    Shown at most ``SCREEN[0]`` pixels wide (a wider figure is scaled down to
    that), the figure is then at most ``SCREEN[1]`` pixels tall.
    """
    w_px, h_px = width * dpi, height * dpi
    if h_px * SCREEN[0] <= SCREEN[1] * w_px:  # wide enough: scaled to the screen's width it fits
        return width, height
    k = min(1.0, SCREEN[1] / h_px)
    return width * k, height * k


def new_figure(width: float, height: float, **subplots):
    """A Figure (and axes) not registered with pyplot, so Jupyter shows it exactly once.

    The size is scaled up in projector mode (:func:`helpers.config.figsize`)
    and then shrunk, if needed, to fit a 1280×720 screen (:func:`fit_screen`).
    Returns ``(fig, axes)``; ``subplots`` are passed to ``Figure.subplots``.
    """
    fig = Figure(figsize=fit_screen(*config.figsize(width, height)), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(**subplots)


def _style() -> dict:
    return {"fontsize": 16 if config.projector() else 10}


def image_grid(imgs, titles=None, cols: int | None = None, cell: float = 2.0, cmap: str | None = None,
               suptitle: str | None = None, vmin=None, vmax=None, colorbar: str | None = None):
    """A grid of images (RGB ``[h, w, 3]`` or 2-D maps, drawn with ``cmap``, default :data:`HEATMAP`).

    ``colorbar``: a label; when given, one colour bar for the 2-D maps is drawn
    at the right (pass ``vmin``/``vmax`` so that every map shares its scale).
    """
    imgs = list(imgs)
    if not imgs:
        raise ValueError("image_grid needs at least one image")
    n = len(imgs)
    if titles is not None and len(titles) < n:
        raise ValueError(f"{len(titles)} titles for {n} images; give one title per image (or none)")
    from helpers._checks import positive_int

    cols = positive_int("cols", cols) if cols is not None else min(n, 8)
    rows = int(np.ceil(n / cols))
    fig, axes = new_figure(cell * cols + (1.1 if colorbar else 0), cell * rows + (0.4 if suptitle else 0),
                           nrows=rows, ncols=cols, squeeze=False)
    mapped = None
    fs = _style()["fontsize"]
    for ax in axes.ravel():
        ax.axis("off")
    for i, img in enumerate(imgs):
        ax = axes.ravel()[i]
        arr = np.asarray(img)
        shown = ax.imshow(np.clip(arr, 0, 1) if arr.ndim == 3 else arr,
                          cmap=(cmap or HEATMAP) if arr.ndim == 2 else None, vmin=vmin, vmax=vmax,
                          interpolation="nearest" if max(arr.shape[:2]) <= 64 else "antialiased")
        mapped = shown if arr.ndim == 2 else mapped
        if titles is not None and i < len(titles):
            ax.set_title(str(titles[i]), fontsize=fs)
    if suptitle:
        fig.suptitle(suptitle, fontsize=fs + 2)
    fig.tight_layout()
    if colorbar and mapped is not None:
        right = 1 - 1.1 / fig.get_figwidth()
        fig.subplots_adjust(right=right)
        cax = fig.add_axes([right + 0.15 * (1 - right), 0.12, 0.2 * (1 - right), 0.76])
        bar = fig.colorbar(mapped, cax=cax)
        bar.set_label(colorbar, fontsize=fs)
        bar.ax.tick_params(labelsize=fs - 1)
    return fig


def show_image(img, title: str | None = None, size: float = 4.0, cmap: str | None = None):
    """One image in its own figure."""
    return image_grid([img], [title] if title else None, cols=1, cell=size, cmap=cmap)


def heatmap_overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.5, cmap: str = HEATMAP) -> np.ndarray:
    """Blend a [0, 1] heatmap (any size; it is resized) over an RGB image."""
    from helpers.activations import upsample
    from helpers.images import normalize_map

    img = np.asarray(image, dtype=np.float32)
    h = normalize_map(upsample(np.asarray(heatmap, dtype=np.float32), img.shape[:2]))
    colored = matplotlib.colormaps[cmap](h)[..., :3].astype(np.float32)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1]; got {alpha}")
    return (1 - alpha) * img + alpha * colored


def map_table(images, maps: dict, row_titles=None, outlines=None, cell: float = 2.0, suptitle: str | None = None):
    """Rows of images, one column per method: the image, then each method's [0, 1] map, with one colour bar.

    Args:
      images: ``[rows, h, w, 3]``, one per row, shown in the first column.
      maps: ``{column title: [rows, h, w] maps}``, each map scaled to its own maximum.
      row_titles: a title for each row's image.
      outlines: optional ``[rows, h, w]`` boolean masks, or a list of them
        (solid cyan, then dashed white), drawn as outlines on every map.
    """
    images = np.asarray(images)
    cols = ["image", *maps]
    rows = len(images)
    fig, axes = new_figure(cell * len(cols) + 1.0, cell * rows + 0.3 + (0.4 if suptitle else 0),
                           nrows=rows, ncols=len(cols), squeeze=False)
    fs = _style()["fontsize"]
    if outlines is not None and np.asarray(outlines[0]).ndim == 2:
        outlines = [outlines]
    for r in range(rows):
        for c, title in enumerate(cols):
            ax = axes[r, c]
            ax.axis("off")
            if c == 0:
                ax.imshow(np.clip(images[r], 0, 1), interpolation="nearest")
                ax.set_title(str(row_titles[r]) if row_titles is not None else "image", fontsize=fs)
                continue
            im = ax.imshow(np.asarray(maps[title][r]), cmap=HEATMAP, vmin=0, vmax=1, interpolation="nearest")
            for m, style in zip(outlines or [], ("solid", "dashed")):
                ax.contour(np.asarray(m[r], dtype=float), [0.5], colors=["cyan" if style == "solid" else "white"],
                           linestyles=style, linewidths=1.5)
            if r == 0:
                ax.set_title(title, fontsize=fs)
    if suptitle:
        fig.suptitle(suptitle, fontsize=fs + 1)
    fig.tight_layout(rect=(0, 0, 0.93, 1))
    bar = fig.colorbar(im, cax=fig.add_axes((0.945, 0.15, 0.015, 0.7)))
    bar.set_label("map value (each map scaled to its own maximum)", fontsize=fs - 1)
    return fig


def bar_chart(labels, values, title: str = "", ylabel: str = "", color: str = "tab:blue", ylim=None):
    """A simple labelled bar chart."""
    fig, ax = new_figure(max(4.0, 0.6 * len(labels) + 1), 3.2)
    ax.bar(range(len(values)), values, color=color)
    ax.set_xticks(range(len(values)), [str(l) for l in labels], rotation=30, ha="right",
                  fontsize=_style()["fontsize"])
    ax.set_ylabel(ylabel, fontsize=_style()["fontsize"])
    ax.set_title(title, fontsize=_style()["fontsize"] + 1)
    if ylim is not None:
        ax.set_ylim(*ylim)
    fig.tight_layout()
    return fig


def matrix_plot(mat, xlabel: str = "", ylabel: str = "", yticklabels=None, title: str = "", cmap: str = HEATMAP):
    """A 2-D array as a heatmap with a colour bar (e.g. classes x channels)."""
    mat = np.asarray(mat, dtype=np.float32)
    fig, ax = new_figure(max(5.0, 0.12 * mat.shape[1] + 2.5), max(2.5, 0.35 * mat.shape[0] + 1.0))
    im = ax.imshow(mat, aspect="auto", cmap=cmap, interpolation="nearest")
    fs = _style()["fontsize"]
    if yticklabels is not None:
        ax.set_yticks(range(len(yticklabels)), [str(t) for t in yticklabels], fontsize=fs)
    ax.set_xlabel(xlabel, fontsize=fs)
    ax.set_ylabel(ylabel, fontsize=fs)
    ax.set_title(title, fontsize=fs + 1)
    fig.colorbar(im, ax=ax, fraction=0.03)
    fig.tight_layout()
    return fig


def topk_bars(decoded: list[tuple[int, str, float]], title: str = ""):
    """Horizontal bars of one image's top-k ``(index, name, probability)``, each labelled with its value."""
    names = [d[1] for d in decoded][::-1]
    probs = [float(d[2]) for d in decoded][::-1]
    fs = _style()["fontsize"]
    fig, ax = new_figure(7.0, 0.55 * len(names) + 1.2)
    ax.barh(names, probs, color="tab:green")
    for k, p in enumerate(probs):  # the value beside each bar, so that a 0.00 bar is not just missing
        ax.text(p + 0.01, k, f"{p:.2f}" if p >= 0.005 else f"{p:.0e}", va="center", fontsize=fs)
    ax.set_xlim(0, 1.12)
    ax.tick_params(labelsize=fs)
    ax.set_xlabel("probability", fontsize=fs)
    ax.set_title(title, fontsize=fs + 1)
    fig.tight_layout()
    return fig


def save_figure(fig, path: str | Path, dpi: int = 120) -> Path:
    """Save a figure as PNG (folders are created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def figure_to_array(fig) -> np.ndarray:
    """Render a figure to an RGB uint8 array (for widgets and tests)."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
