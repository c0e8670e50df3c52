"""Score-CAM's channel cap: the course's score_cam against tf-keras-vis's Scorecam, or against itself uncapped.

Both sides compute Score-CAM maps of the same images at the same layer with
the same number of channels ``--channels`` (tf-keras-vis's ``max_N``; the
course's ``max_channels``), after a warm-up call; each time is the median of
``--repeat`` timed calls. Prints ``name: value`` lines: seconds per call,
the speed ratio (other / course) and the Spearman rank correlation of the maps
(mean over images).

    python benchmarks/scorecam.py [--model shapes|vgg16] [--images 4] [--channels 64] [--repeat 3]
    python benchmarks/scorecam.py --against uncapped --model vgg16 --images 1

``--against tfkerasvis`` (default) needs ``pip install tf-keras-vis``. The two
are variants, so the maps differ somewhat: tf-keras-vis keeps the channels of
largest spatial *standard deviation* (Faster Score-CAM) and weights each by
the softmax probability of its masked input, while the course keeps the
largest *mean* activation and takes a softmax over channels of the logit gain
over a black image (Wang et al. 2020, Algorithm 1). ``--against uncapped``
compares the capped course map with the course map over every channel.
``--model vgg16`` uses random weights (no download; speed does not depend on
them).
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import median_time


def spearman(a, b) -> float:
    """Mean over images of the Spearman rank correlation of two ``[n, h, w]`` map batches."""
    from scipy.stats import spearmanr

    return float(np.mean([spearmanr(x.ravel(), y.ravel())[0] for x, y in zip(a, b)]))


def main(argv=None) -> None:
    import keras

    from helpers import cams
    from helpers.models import load_model

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="shapes", choices=["shapes", "vgg16"])
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--channels", type=int, default=None,
                        help="channels scored per image (default: the course's automatic cap for the model)")
    parser.add_argument("--against", default="tfkerasvis", choices=["tfkerasvis", "uncapped"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    keras.utils.disable_interactive_logging()  # no progress bars from model.predict (tf-keras-vis)

    spec = load_model(args.model, weights=None) if args.model == "vgg16" else load_model("shapes")
    h, w = spec.input_size
    if args.model == "shapes":
        from helpers.shapes import make_shapes

        x, cls, _ = make_shapes(args.images, seed=12345)
    else:
        x = np.random.default_rng(0).random((args.images, h, w, 3), dtype=np.float32)
        cls = np.arange(args.images) % len(spec.class_names)
    layer = spec.layers["last_conv"]
    if args.channels is None:
        args.channels = cams.score_cam_channels(spec.model, spec.model.get_layer(layer).output.shape[-1])

    def course():
        return cams.score_cam(spec.model, x, cls, layer=layer, max_channels=args.channels, progress=False)

    if args.against == "tfkerasvis":
        try:
            from tf_keras_vis.scorecam import Scorecam
        except ImportError:
            raise SystemExit("tf-keras-vis is not installed: `pip install tf-keras-vis` to compare with it, "
                             "or run with --against uncapped to compare the cap with every channel.") from None
        from tf_keras_vis.utils.scores import CategoricalScore

        scorecam = Scorecam(spec.standalone_logits_model(), clone=False)  # pre-softmax, each layer once

        def other():
            return np.asarray(scorecam(CategoricalScore(list(cls)), x, penultimate_layer=layer,
                                       max_N=args.channels, batch_size=64)).reshape(len(x), h, w)
    else:
        def other():
            return cams.score_cam(spec.model, x, cls, layer=layer, max_channels=None, progress=False)

    t_course, t_other = median_time(course, args.repeat), median_time(other, args.repeat)
    print(f"model: {args.model}")
    print(f"images: {args.images}")
    print(f"channels: {args.channels}")
    print(f"against: {args.against}")
    print(f"score_cam_course_s: {t_course:.3f}")
    print(f"score_cam_{args.against}_s: {t_other:.3f}")
    print(f"score_cam_speed_ratio_{args.against}_over_course: {t_other / t_course:.2f}")
    print(f"score_cam_spearman_course_vs_{args.against}: {spearman(course(), other()):.3f}")


if __name__ == "__main__":
    main()
