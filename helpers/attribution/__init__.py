"""Where does the network look? Every attribution method of the course, one call shape.

Every method takes a Keras model (or a ModelSpec), an image or batch
``[n, h, w, 3]`` and a class per image (an int, a list of ints, or
``"auto"`` for the predicted class) and returns maps ``[n, h, w]`` at input
resolution, each scaled to [0, 1]. The score explained is the class
**logit** :math:`z_c`, never the softmax probability (a final softmax is
skipped with :func:`helpers.models.without_softmax`); the caller's model is
never changed; a map that is zero everywhere stays zero, never NaN, with a
warning (:func:`empty_maps`).

* :mod:`helpers.attribution.gradients`: saliency, SmoothGrad, integrated
  gradients, guided backprop (gradients at the input).
* :mod:`helpers.attribution.cams`: Grad-CAM, Grad-CAM++, guided Grad-CAM,
  CAM, Layer-CAM, Score-CAM (a layer's activations, weighted).
* :mod:`helpers.attribution.perturbation`: occlusion, RISE, LIME (change
  the input, watch the score).
* :mod:`helpers.attribution.core`: what they share (checks, batching,
  compiled gradients, upsampling, progress bars).
* :mod:`helpers.attribution.registry`: :data:`REGISTRY`, one record per
  method (display name, family, settings), and :func:`attribute`, which runs
  any of them by name.

Everything is importable from here: ``from helpers.attribution import grad_cam, REGISTRY``.
"""

from helpers.attribution.core import (  # noqa: F401
    CHUNK,
    empty_maps,
    input_gradients,
)
from helpers.attribution.gradients import (  # noqa: F401
    baseline_images,
    gradient_x_input,
    guided_backprop,
    ig_attributions,
    integrated_gradients,
    saliency,
    smoothgrad,
)
from helpers.attribution.cams import (  # noqa: F401
    SCORE_CAM_BUDGET,
    SCORE_CAM_CHANNELS,
    SCORE_CAM_MIN_CHANNELS,
    CamNotApplicable,
    cam,
    cam_coarse,
    cam_layers,
    default_cam_layer,
    grad_cam,
    grad_cam_plus_plus,
    guided_grad_cam,
    hirescam,
    layer_cam,
    score_cam,
    score_cam_channels,
)
from helpers.attribution.perturbation import (  # noqa: F401
    class_scores,
    lime,
    lime_fit,
    occlusion,
    rise,
    rise_masks,
    superpixels,
)
from helpers.attribution.registry import (  # noqa: F401
    LABELS,
    LAYER_METHODS,
    METHODS,
    REGISTRY,
    Method,
    attribute,
    get,
)
