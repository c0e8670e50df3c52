"""Occlusion, RISE and LIME: moved to :mod:`helpers.attribution.perturbation`; this name keeps working.

``from helpers import perturbation`` then ``perturbation.occlusion``,
``.rise``, ``.rise_masks``, ``.lime``, ``.lime_fit``, ``.superpixels``,
``.class_scores``, ``.BATCH`` and ``.PERTURBATIONS`` are the same objects as
in :mod:`helpers.attribution`.
"""

from helpers.attribution.perturbation import BATCH, class_scores, lime, lime_fit, occlusion  # noqa: F401
from helpers.attribution.perturbation import rise, rise_masks, superpixels  # noqa: F401
from helpers.attribution.registry import family as _family

#: name -> function of the ``"perturbation"`` family (see :data:`helpers.attribution.REGISTRY`).
PERTURBATIONS = _family("perturbation")
