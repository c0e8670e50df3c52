"""Network dissection (Bau et al. 2017) on the shapes world, and dataset examples (Olah et al. 2017).

A unit ``k`` of a layer is called a detector of concept ``c`` when its strongest
responses fall on ``c``'s pixels. Over a data set of images ``x``:

1. ``T_k``: the unit's top-0.5 % activation level, :math:`P(A_k(x) > T_k) = 0.005`
   over every position of its feature map in the data set;
2. ``M_k(x) = S(A_k(x)) > T_k``: the map upsampled (bilinear) to the image and thresholded;
3. :math:`IoU_{k,c} = \\sum_x |M_k(x) \\cap L_c(x)| \\, / \\, \\sum_x |M_k(x) \\cup L_c(x)|`,
   with ``L_c(x)`` the concept's mask (:mod:`helpers.unit_concepts`);
4. the unit's label is the concept of highest IoU when it is at least 0.04 (the
   paper's threshold; :meth:`Dissection.labels` gives any other from the same pass).

Images are drawn by :func:`helpers.shapes.make_shapes` batch by batch from a seed, so the
same stream can be read four times without storing it: once for each unit's range,
twice for a histogram that locates ``T_k`` and a finer one inside its bin
(:func:`streaming_quantile`), once for the IoU.
Memory does not grow with the number of images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.config import UNSEEN_SEED
from helpers.unit_concepts import CONCEPTS, KINDS, check_concepts, concept_masks
from helpers.unit_examples import DatasetExamples, check_unit, dataset_examples, unit_model

__all__ = ["dissect", "Dissection", "dataset_examples", "DatasetExamples", "streaming_quantile", "shapes_stream",
           "randomized", "dissection_report", "CONCEPTS", "THRESHOLDS"]

#: The paper's IoU threshold and the two that NetDissect issue #28 argues about.
THRESHOLDS = (0.02, 0.04, 0.08)
#: Histogram bins of the streaming quantile (error at most one bin: the unit's range / BINS).
BINS = 4096


#: Upsampled activations (floats) one IoU step may hold: 16 M, 64 MB (VGG16-sized layers go a few images at a time).
MAX_UPSAMPLED = 16_000_000
#: Images drawn per seed: the stream is the same whatever the batch size.
CHUNK = 100


def shapes_stream(n: int, seed: int = UNSEEN_SEED, batch_size: int = 100, size: int = 64):
    """Yield ``(images, labels, masks)`` batches of :func:`helpers.shapes.make_shapes`, ``n`` images in all.

    Images are drawn :data:`CHUNK` at a time, chunk ``j`` from the seed sequence ``[seed, j]``,
    and cut into batches of at most ``batch_size``: the same ``n`` and seed give the same images
    in the same order, whatever the batch size.
    """
    from helpers.config import check_seed
    from helpers.shapes import make_shapes

    check_seed(seed)
    n, batch_size = int(n), int(batch_size)
    for j, start in enumerate(range(0, n, CHUNK)):
        s = int(np.random.SeedSequence([int(seed), j]).generate_state(1)[0])
        x, y, m = make_shapes(min(CHUNK, n - start), seed=s, size=size)
        for b in range(0, len(x), batch_size):
            yield x[b:b + batch_size], y[b:b + batch_size], m[b:b + batch_size]


def streaming_quantile(make_stream, q: float, bins: int = BINS, rounds: int = 2) -> np.ndarray:
    """Per-column ``q``-quantile of the rows of a stream of ``[rows, columns]`` arrays, without storing them.

    ``make_stream()`` must give the same stream each time it is called; it is read
    ``1 + rounds`` times. Pass 1 finds each column's range. Each round then counts the
    values in ``bins`` equal bins over the current interval (values below it are only
    counted, and the interval's lowest value keeps a bucket of its own, so a ReLU's zeros
    stay exact) and narrows the interval to the bin holding the quantile. The last round
    interpolates inside its bin, as :func:`numpy.quantile` (``linear``) does between sorted
    values: the error is at most the range / ``bins ** rounds``. Memory: ``columns * bins`` counts.
    """
    return _quantiles(lambda: ([a] for a in make_stream()), q, bins, rounds)[0]


def _quantiles(make_stream, q: float, bins: int, rounds: int) -> list:
    """:func:`streaming_quantile` for several arrays at once: each stream item is a list, one array per group."""
    lo = hi = None
    n = None
    for item in make_stream():
        arrs = [np.asarray(a, dtype=np.float64) for a in item]
        if lo is None:
            lo, hi, n = [a.min(0) for a in arrs], [a.max(0) for a in arrs], [0] * len(arrs)
        lo = [np.minimum(v, a.min(0)) for v, a in zip(lo, arrs)]
        hi = [np.maximum(v, a.max(0)) for v, a in zip(hi, arrs)]
        n = [k + len(a) for k, a in zip(n, arrs)]
    if lo is None or min(n) == 0:
        raise ValueError("the stream gave no values")
    groups = len(lo)
    out = [v.copy() for v in lo]
    left, right = [v.copy() for v in lo], [v.copy() for v in hi]
    exact = [h <= v for v, h in zip(lo, hi)]           # constant columns, or the quantile = an interval's lowest value
    for _ in range(max(1, int(rounds))):
        width = [np.where(r > v, (r - v) / bins, 1.0) for v, r in zip(left, right)]
        # buckets: 0 below the interval, 1 equal to its lowest value, 2..bins+1 the bins, bins+2 above it
        counts = [np.zeros((len(v), bins + 3), dtype=np.int64) for v in left]
        offset = [(np.arange(len(v)) * (bins + 3)).astype(np.int64) for v in left]
        for item in make_stream():
            for g, a in enumerate(item):
                t = (np.asarray(a, dtype=np.float64) - left[g]) / width[g]
                np.ceil(t, out=t)
                np.clip(t, -1, bins + 1, out=t)   # below: -1 (or 0: both count as "at most left"), above: bins + 1
                idx = t.astype(np.int64)
                idx += offset[g] + 1
                counts[g] += np.bincount(idx.ravel(), minlength=counts[g].size).reshape(counts[g].shape)
        for g in range(groups):
            rank = q * (n[g] - 1)                # 0-based position among the sorted values
            cum = counts[g].cumsum(1)
            for j in range(len(cum)):
                if exact[g][j]:
                    continue
                b = int(np.searchsorted(cum[j], rank, side="right"))
                if b <= 1:                        # the quantile is the interval's lowest value itself
                    exact[g][j], out[g][j] = True, left[g][j]
                    continue
                b = min(max(b, 2), bins + 1)
                inside = (rank - cum[j, b - 1] + 0.5) / max(counts[g][j, b], 1)
                out[g][j] = left[g][j] + (b - 2 + np.clip(inside, 0.0, 1.0)) * width[g][j]
                left[g][j], right[g][j] = left[g][j] + (b - 2) * width[g][j], left[g][j] + (b - 1) * width[g][j]
    return out


@dataclass
class Dissection:
    """One layer's dissection.

    Attributes:
      layer: the layer's path.
      concepts: concept names, the columns of ``iou``; ``kinds`` their kinds.
      iou: ``[units, concepts]`` IoU of each unit's thresholded maps with each concept, over the data set.
      cutoffs: ``[units]`` each unit's top-quantile activation level ``T_k``.
      dead: ``[units]`` True for a unit that is constant (a ReLU unit: zero) on every image, or that gave a
        non-finite value (NaN or inf) anywhere; its IoU row is 0.
      active: ``[units]`` share of upsampled pixels above ``T_k`` (about 1 - quantile).
      n_images, seed, quantile, threshold: how it was measured (``threshold``: the default IoU threshold).
      nonfinite: ``[units]`` how many NaN or infinite values each unit gave (counted as 0 in the quantile;
        :meth:`label` says ``"non-finite"`` for such a unit).
    """

    layer: str
    concepts: tuple
    kinds: tuple
    iou: np.ndarray
    cutoffs: np.ndarray
    dead: np.ndarray
    active: np.ndarray
    n_images: int
    seed: int
    quantile: float
    threshold: float
    nonfinite: np.ndarray | None = None

    @property
    def best(self) -> np.ndarray:
        """``[units]`` index of each unit's best concept."""
        return self.iou.argmax(1)

    @property
    def best_iou(self) -> np.ndarray:
        """``[units]`` each unit's highest IoU (0 for a dead unit)."""
        return self.iou.max(1)

    def detectors(self, threshold: float | None = None) -> np.ndarray:
        """``[units]`` True where the best IoU reaches ``threshold`` (default: the dissection's)."""
        t = self.threshold if threshold is None else float(threshold)
        return ~self.dead & (self.best_iou >= t)

    def label(self, unit: int, threshold: float | None = None) -> str | None:
        """Unit ``unit``'s concept (``"dead"`` for a dead unit, ``"non-finite"`` for one that gave NaN or inf,
        ``None`` when it is no detector)."""
        unit = check_unit(len(self.iou), unit, self.layer)
        if self.nonfinite is not None and self.nonfinite[unit] > 0:
            return "non-finite"
        if self.dead[unit]:
            return "dead"
        return self.concepts[self.best[unit]] if self.detectors(threshold)[unit] else None

    def labels(self, threshold: float | None = None) -> list:
        """:meth:`label` of every unit."""
        return [self.label(u, threshold) for u in range(len(self.iou))]

    def counts(self, threshold: float | None = None) -> dict[str, int]:
        """Detectors by kind of their concept (``object``, ``part``, ``colour``, ``background``), ``total``, ``dead``."""
        det = self.detectors(threshold)
        out = {k: int(np.sum(det & (np.asarray(self.kinds)[self.best] == k))) for k in KINDS}
        out["total"], out["dead"] = int(det.sum()), int(self.dead.sum())
        return out

    def units_of(self, concept: str, threshold: float | None = None) -> list[int]:
        """The detector units labelled ``concept``, best IoU first."""
        check_concepts([concept])
        hit = [u for u, lab in enumerate(self.labels(threshold)) if lab == concept]
        return sorted(hit, key=lambda u: -self.best_iou[u])


def randomized(model, seed: int = 0):
    """A copy of ``model`` with every weight re-initialised (lesson 09/10's :func:`helpers.metrics.randomized_model`)."""
    from helpers import _graph
    from helpers.metrics import randomized_model

    return randomized_model(_graph.as_model(model), seed=seed)


def dissect(model, layer, n_images: int = 2000, seed: int = UNSEEN_SEED, threshold: float = 0.04,
            quantile: float = 0.995, concepts=None, batch_size: int = 100, progress: bool = True,
            callback=None, stream=None):
    """Dissect ``layer`` of ``model`` on ``n_images`` shapes images drawn from ``seed`` (see the module docstring).

    Args:
      model: a Keras model or ModelSpec taking square RGB images in [0, 1] (shapes are drawn at its input size).
      layer: a layer with a feature map of more than one position (path or name; nested models by path),
        or a list of them: then every layer is dissected from the same passes over the images (each image is
        drawn once a pass, not once a layer) and the result is ``{path: Dissection}``.
      n_images: images in the data set (streamed ``batch_size`` at a time, read four times).
      seed: the data set's seed (default: the course's evaluation seed).
      threshold: the IoU a unit's best concept needs for a label (other thresholds: ``labels(t)``).
      quantile: the activation quantile ``T_k`` is taken at (0.995: the top 0.5 %).
      concepts: concept names to test (default all of :data:`CONCEPTS`); an unknown one lists the valid ones.
      progress: show a progress bar over the four passes; ``callback(step, total, None)`` may return False to stop.
      stream: optional ``stream(n_images, seed, batch_size, size)`` giving ``(images, labels, masks)`` batches
        like :func:`shapes_stream` (the default), the same each call: e.g. shapes repainted for a test.

    Returns:
      a :class:`Dissection` (a dict of them for a list of layers).
    """
    import tensorflow as tf

    from helpers import _graph
    from helpers._checks import finite_float, positive_int
    from helpers.activations import feature_model
    from helpers.runcontrol import RunControl

    n_images, batch_size = positive_int("n_images", n_images), positive_int("batch_size", batch_size)
    threshold = finite_float("threshold", threshold, minimum=0.0)
    quantile = finite_float("quantile", quantile)
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be between 0 and 1 (0.995 = the top 0.5 %); got {quantile}")
    names = check_concepts(concepts)
    net = _graph.as_model(model)
    single = isinstance(layer, str)
    if not single and not list(layer):
        raise ValueError("give at least one layer")
    paths = [_graph.feature_map_layer(net, name, "Dissection") for name in ([layer] if single else list(layer))]
    size = net.inputs[0].shape[1]
    if size is None or net.inputs[0].shape[2] != size:
        size = 64
    fm = feature_model(net, paths)
    forward = tf.function(lambda x: fm(x, training=False), reduce_retracing=True)
    n_batches = sum(-(-min(CHUNK, n_images - s) // batch_size) for s in range(0, n_images, CHUNK))  # shapes_stream's
    run = RunControl(4 * n_batches, f"dissecting {', '.join(paths)}", progress, callback)
    source = stream or shapes_stream

    def read():
        for x, labels, masks in source(n_images, seed, batch_size, size):
            acts = forward(tf.constant(np.asarray(x, np.float32)))
            acts = list(acts) if isinstance(acts, (list, tuple)) else [acts]
            bad = [tf.logical_not(tf.math.is_finite(a)) for a in acts]      # NaN/inf (e.g. a broken BatchNorm)
            yield x, labels, masks, [tf.where(b, tf.zeros_like(a), a) for a, b in zip(acts, bad)], \
                [tf.reduce_sum(tf.cast(b, tf.int64), (0, 1, 2)).numpy() for b in bad]

    def flat():
        for _, _, _, acts, _ in read():
            if not run.step():
                raise _Stopped
            yield [a.numpy().reshape(-1, a.shape[-1]) for a in acts]

    tf_logger = tf.get_logger()
    tf_level = tf_logger.level
    tf_logger.setLevel("ERROR")     # one IoU step per layer, each traced for its shapes: no retracing warnings
    try:
        with run.guard():
            cuts = [c.astype(np.float32) for c in _quantiles(flat, quantile, BINS, 2)]
            inter = [np.zeros((len(c), len(names))) for c in cuts]
            area_unit, area_concept = [np.zeros(len(c)) for c in cuts], np.zeros(len(names))
            lo, hi = [np.full(len(c), np.inf) for c in cuts], [np.full(len(c), -np.inf) for c in cuts]
            nonfinite = [np.zeros(len(c), np.int64) for c in cuts]
            steps = [_iou_step(size, tf.constant(c)) for c in cuts]
            for x, labels, masks, acts, bad in read():
                conc = concept_masks(x, labels, masks, names)
                c = tf.constant(np.stack([conc[k] for k in names], -1).reshape(-1, len(names)), tf.float32)
                area_concept += tf.reduce_sum(c, 0).numpy()
                for g, (a, step) in enumerate(zip(acts, steps)):
                    arr = a.numpy()
                    nonfinite[g] += bad[g]
                    lo[g], hi[g] = np.minimum(lo[g], arr.min((0, 1, 2))), np.maximum(hi[g], arr.max((0, 1, 2)))
                    per = max(1, int(MAX_UPSAMPLED // (size * size * int(a.shape[-1]))))  # images per IoU step
                    for s0 in range(0, int(a.shape[0]), per):
                        s1 = min(int(a.shape[0]), s0 + per)
                        i, au = step(a[s0:s1], c[s0 * size * size:s1 * size * size])
                        inter[g] += i.numpy()
                        area_unit[g] += au.numpy()
                if not run.step():
                    raise _Stopped
    except _Stopped:
        raise RuntimeError("dissection stopped before the end: no partial result (the IoU needs the whole set)")
    finally:
        run.close()
        tf_logger.setLevel(tf_level)
    out = {}
    for g, path in enumerate(paths):
        dead = (hi[g] <= lo[g]) | (nonfinite[g] > 0)
        union = area_unit[g][:, None] + area_concept[None, :] - inter[g]
        iou = np.where(union > 0, inter[g] / np.maximum(union, 1), 0.0)
        iou[dead] = 0.0
        out[path] = Dissection(path, tuple(names), tuple(CONCEPTS[k] for k in names), iou, cuts[g], dead,
                               area_unit[g] / (n_images * size * size), n_images, int(seed), quantile, threshold,
                               nonfinite[g])
    return out[paths[0]] if single else out


class _Stopped(Exception):
    pass


def _iou_step(size: int, cut):
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def step(acts, conc):
        up = tf.image.resize(acts, (size, size), method="bilinear")
        above = tf.reshape(tf.cast(up > cut, tf.float32), (-1, acts.shape[-1]))
        return tf.matmul(above, conc, transpose_a=True), tf.reduce_sum(above, 0)

    return step


def _peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux's VmHWM; ru_maxrss elsewhere)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024.0
    except (OSError, StopIteration):
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0)


def _time_last_conv(n: int, seed: int) -> None:
    """Print ``seconds peak_mb before_mb`` of dissecting the shapes CNN's last conv layer (run in a fresh process)."""
    import time

    from helpers.models import load_model

    spec = load_model("shapes", verbose=False)
    dissect(spec, spec.layers["last_conv"], 16, seed, progress=False)   # trace the compiled steps once
    before = _peak_rss_mb()
    start = time.perf_counter()
    dissect(spec, spec.layers["last_conv"], n, seed, progress=False)
    print(f"{time.perf_counter() - start:.3f} {_peak_rss_mb():.1f} {before:.1f}")


def dissection_report(n: int = 2000, seed: int = UNSEEN_SEED) -> dict[str, float]:
    """Network dissection of the shapes CNN and of its randomized copy on ``n`` fresh images, as ``name: value``.

    For every conv layer and both networks (``trained``, ``randomized``: every weight re-initialised,
    seed 0): detectors at IoU >= 0.04 in all and by kind of concept, and dead units; for the last conv
    layer, detectors at each of :data:`THRESHOLDS`. Then the time and peak memory of dissecting the last
    conv layer on ``n`` images, measured in a fresh Python process (``last_conv_peak_mb`` is that
    process's peak resident memory, TensorFlow included; ``last_conv_added_mb`` the part the
    dissection added to a process that had already loaded the model and traced its steps).
    """
    import subprocess
    import sys

    from helpers.models import load_model

    spec = load_model("shapes", verbose=False)
    nets = {"trained": spec, "randomized": randomized(spec, seed=0)}
    last = spec.layers["last_conv"]
    out: dict[str, float] = {}
    done = {who: dissect(net, list(spec.conv_layers), n, seed, progress=False) for who, net in nets.items()}
    for layer in spec.conv_layers:
        for who in nets:
            d = done[who][layer]
            c = d.counts()
            out[f"{layer}_{who}_detectors"] = float(c["total"])
            for kind in KINDS:
                out[f"{layer}_{who}_{kind}_detectors"] = float(c[kind])
            out[f"{layer}_{who}_dead_units"] = float(c["dead"])
            out[f"{layer}_units"] = float(len(d.iou))
            if layer == last:
                for t in THRESHOLDS:
                    out[f"{layer}_{who}_detectors_iou_{t:g}"] = float(d.counts(t)["total"])
    code = f"from helpers.dissection import _time_last_conv; _time_last_conv({int(n)}, {int(seed)})"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COURSE_PROGRESS": "0"})
    seconds, peak, before = (float(v) for v in res.stdout.split()[-3:])
    out["last_conv_seconds"], out["last_conv_peak_mb"] = seconds, peak
    out["last_conv_added_mb"] = max(0.0, peak - before)
    return out


def optimized_image(model, layer: str, unit: int, steps: int = 128, lr: float = 0.05, seed: int = 0, callback=None):
    """The unit's optimized image by lesson 02's recipe: a smooth (Fourier) start, ``T.standard`` transforms,
    the border of the map cropped. Returns :class:`helpers.render.RenderResult` (``.images[0]``, ``.dead``)."""
    from helpers import _graph
    from helpers import config
    from helpers import objectives as O
    from helpers import param as P
    from helpers import transforms as T
    from helpers.render import render

    net = _graph.as_model(model)
    path = _graph.feature_map_layer(net, layer, "an optimized image")
    out = dict(_graph.walk(net))[path].output.shape
    unit = check_unit(int(out[-1]), unit, path)
    size = int(net.inputs[0].shape[1] or 64)
    crop = min(2, max(0, (int(out[1] or 3) - 2) // 2))
    return render(net, O.channel(path, [unit], crop=crop), transforms=T.standard(size, seed=seed),
                  steps=config.steps(steps), lr=lr, seed=seed, size=size,
                  init=P.FourierParam(1, size, size, seed=seed).numpy(), callback=callback, progress=False)


def detectors_figure(counts: dict, units: dict, threshold: float = 0.04):
    """Detectors per layer, stacked by kind of concept, one bar per network side by side.

    Args:
      counts: ``{network: {layer: Dissection.counts(...)}}``, e.g. ``{"trained": ..., "randomized": ...}``.
      units: ``{layer: number of units}`` (printed under each layer's name).
      threshold: the IoU threshold the counts were taken at (for the title).
    """
    from helpers import plotting

    nets, layers = list(counts), list(units)
    colours = {"object": "tab:blue", "part": "tab:orange", "colour": "tab:green", "background": "tab:gray"}
    fig, ax = plotting.new_figure(2.2 * len(layers) + 2.5, 5.2)
    width = 0.8 / len(nets)
    tallest = 1
    for j, net in enumerate(nets):
        bottom = np.zeros(len(layers))
        for kind in KINDS:
            v = np.array([counts[net][layer][kind] for layer in layers], dtype=float)
            ax.bar(np.arange(len(layers)) + (j - (len(nets) - 1) / 2) * width, v, width * 0.95, bottom=bottom,
                   color=colours[kind], alpha=1.0 if j == 0 else 0.45, edgecolor="black",
                   hatch=None if j == 0 else "//", label=f"{kind} ({net})" if v.sum() > 0 else None)
            bottom += v
        for i, total in enumerate(bottom):
            ax.text(i + (j - (len(nets) - 1) / 2) * width, total + 0.5, f"{int(total)}", ha="center", va="bottom",
                    fontsize=12)
        tallest = max(tallest, float(bottom.max()))
    ax.set_ylim(0, tallest * 1.45 + 2)       # headroom for the numbers and the legend
    ax.set_xticks(range(len(layers)), [f"{layer}\n({units[layer]} units)" for layer in layers])
    ax.set_ylabel(f"detectors (best IoU ≥ {threshold:g})")
    ax.set_title("Detectors per layer: " + " (solid) vs ".join(nets) + " (hatched)")
    ax.legend(fontsize=12, ncol=2, loc="upper left")
    fig.tight_layout()
    return fig


def examples_on_concept(ex, cutoff: float, concept: str, n_images: int, seed: int, size: int = 64) -> dict:
    """Where a unit's outline lies in its top images: the share of its mask ``map > cutoff``, summed over the
    examples ``ex`` (from :func:`dataset_examples` on ``shapes_stream(n_images, seed, size=size)``), that falls on
    each concept. Returns ``{"on": share on concept, "next": (the other concept of the same kind, e.g. another
    colour, with the largest share, its share)}`` (concepts of different kinds overlap: an object has an edge)."""
    check_concepts([concept])
    want = {int(i) for i in ex.top.indices}
    imgs, labs, msks, seen = [], [], [], 0
    for x, y, m in shapes_stream(n_images, seed, size=size):
        keep = [i for i in range(len(x)) if seen + i in want]
        imgs += [x[i] for i in keep]
        labs += [y[i] for i in keep]
        msks += [m[i] for i in keep]
        seen += len(x)
    order = {int(i): r for r, i in enumerate(sorted(want))}
    rows = [order[int(i)] for i in ex.top.indices]
    conc = concept_masks(np.stack(imgs)[rows], np.asarray(labs)[rows], np.stack(msks)[rows])
    above = ex.top.maps > cutoff
    total = max(int(above.sum()), 1)
    share = {c: float((above & conc[c]).sum()) / total for c in conc}
    others = {c: v for c, v in share.items() if c != concept and CONCEPTS[c] == CONCEPTS[concept]}
    if not others:
        return {"on": share[concept], "next": (None, 0.0)}
    nxt = max(others, key=others.get)
    return {"on": share[concept], "next": (nxt, others[nxt])}


def check_lesson13_figures(counts: dict, by_t: dict, layers: list) -> None:
    """The claims lesson 13's prose makes about its tables (silent while they hold)."""
    from helpers.claims import claim

    tot = {who: {layer: c[layer]["total"] for layer in layers} for who, c in counts.items()}
    first, last = layers[0], layers[-1]
    claim(f"trained minus randomized detectors at {last}", tot["trained"][last] - tot["randomized"][last],
          at_least=20, quiet=True)
    claim(f"trained minus randomized detectors at {layers[2]}",
          tot["trained"][layers[2]] - tot["randomized"][layers[2]], at_least=10, quiet=True)
    claim(f"randomized minus trained detectors at {first}", tot["randomized"][first] - tot["trained"][first],
          at_least=0, quiet=True)
    claim("the share of colour detectors among the randomized network's detectors, lowest over the layers",
          min(counts["randomized"][layer]["colour"] / max(tot["randomized"][layer], 1) for layer in layers),
          at_least=0.9, quiet=True)
    claim("the most object detectors of the randomized network in any layer",
          max(counts["randomized"][layer]["object"] for layer in layers), at_most=1, quiet=True)
    claim(f"the smallest share of object detectors among the trained network's detectors, {layers[2]} and {last}",
          min(counts["trained"][layer]["object"] / max(tot["trained"][layer], 1) for layer in layers[2:]),
          at_least=0.85, quiet=True)
    lo_t, hi_t = min(by_t["trained"]), max(by_t["trained"])
    claim("trained detectors kept from the lowest to the highest threshold",
          by_t["trained"][hi_t] / max(by_t["trained"][lo_t], 1), at_least=0.75, quiet=True)
    claim("randomized detectors kept from the lowest to the highest threshold",
          by_t["randomized"][hi_t] / max(by_t["randomized"][lo_t], 1), at_most=0.3, quiet=True)
    claim("trained above randomized at every threshold",
          all(by_t["trained"][t] > by_t["randomized"][t] for t in by_t["trained"]), quiet=True)
