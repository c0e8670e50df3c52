"""CAM, Layer-CAM and Score-CAM: moved to :mod:`helpers.attribution.cams`; this name keeps working.

``from helpers import cams`` then ``cams.cam``, ``cams.layer_cam``,
``cams.score_cam``, ``cams.cam_coarse``, ``cams.cam_layers``,
``cams.score_cam_channels``,
``cams.CamNotApplicable``, ``cams.SCORE_CAM_CHANNELS`` and ``cams.CAMS`` are the same objects as in
:mod:`helpers.attribution`.
"""

from helpers.attribution.cams import SCORE_CAM_BUDGET, SCORE_CAM_CHANNELS, SCORE_CAM_MIN_CHANNELS  # noqa: F401
from helpers.attribution.cams import CamNotApplicable, cam, cam_coarse, cam_layers  # noqa: F401
from helpers.attribution.cams import layer_cam, score_cam, score_cam_channels  # noqa: F401
from helpers.attribution.registry import family as _family

#: name -> function of the ``"cam"`` family (see :data:`helpers.attribution.REGISTRY`).
CAMS = _family("cam")
