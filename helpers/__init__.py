"""Helpers for the course "What CNNs See".

The notebooks hold the teaching; this package holds the machinery. Modules are
imported on demand (``from helpers import models``) so that importing
``helpers`` itself stays instant and does not load TensorFlow.

=================  =========================================================
``config``         fast mode (``COURSE_FAST``), seeds, projector mode, paths
``shapes``         the offline shapes world with ground-truth masks
``train``          the shapes CNN and its training script
``models``         model zoo and specs; layer lookup; pre-softmax copies
``images``         loading and converting images with clear errors
``activations``    feature maps, grids, sparsity, activation masks
``attribution``    every attribution method (gradients, CAMs, perturbation), ``REGISTRY``
``perturbation``   occlusion, RISE and LIME (same as ``attribution.perturbation``)
``cams``           CAM, Layer-CAM and Score-CAM (same as ``attribution.cams``)
``faithfulness``   deletion/insertion curves, the two-object test
``plotting``       figures (returned, never shown)
``widgets``        ipywidgets panels for each lesson
``exercises``      self-checking exercises
``evaluate``       measurements printed as ``name: value``
``runner``         executes the notebooks and builds the HTML site
=================  =========================================================
"""

__version__ = "0.1.0"
