"""Helpers for the course "What CNNs See".

The notebooks hold the teaching; this package holds the machinery. Modules are
imported on demand (``from helpers import models``) so that importing
``helpers`` itself stays instant and does not load TensorFlow.

What a lesson imports (one line per module; ``tests/test_imports.py`` checks
that every module is listed and that none imports another that imports it back):

==============================  ==============================================================
``config``                      fast mode (``COURSE_FAST``), seeds, projector mode, paths
``shapes``                      the offline shapes world with ground-truth masks
``train``                       the shapes CNN: architecture, training recipe, ``accuracy``
``models``                      model zoo and specs; layer lookup; pre-softmax copies
``adapt``                       any user's model made to take [0, 1] RGB
``preprocessing``               the preprocessing layers the adapter and the zoo use
``images``                      loading, converting and resizing images with clear errors
``activations``                 feature maps, grids, sparsity, activation masks
``objectives``                  what feature visualization maximizes
``param``                       image parameterizations (``Parameterization``: pixels, Fourier, silhouette)
``transforms``                  seeded jitter, scale, rotation and regularizers
``render``                      ``render(...)``: gradient ascent on images
``runcontrol``                  progress bar, callback and Ctrl-C (best so far) shared by render and DeepDream
``cache``                       the one per-model cache of compiled functions
``classviz``                    class-visualization recipes and the transfer test
``deepdream``                   DeepDream with octaves and tiles
``embedding``                   penultimate features, t-SNE, k-NN
``guided``                      backward rules for ReLU (backprop, deconvnet, guided)
``attribution``                 every attribution method, one call shape, ``REGISTRY``, ``attribute``
``attribution.core``            shared machinery: checks, batching, compiled gradients, progress
``attribution.gradients``       saliency, SmoothGrad, integrated gradients, guided backprop, gradient × input
``attribution.cams``            Grad-CAM, Grad-CAM++, guided Grad-CAM, HiResCAM, CAM, Layer-CAM, Score-CAM
``attribution.perturbation``    occlusion, RISE and LIME
``attribution.registry``        the method records and ``attribute``
``cams``                        the CAM family (same objects as ``attribution.cams``)
``perturbation``                occlusion, RISE and LIME (same as ``attribution.perturbation``)
``metrics``                     pointing game, energy in the mask, two-object images, sanity checks
``faithfulness``                deletion/insertion curves, the two-object test
``shortcut``                    lesson 12's tag-reading cheat and its honest twin
``dissection``                  network dissection: units labelled by concept IoU; dataset examples
``unit_concepts``               the concept masks dissection uses, derived from the shapes' masks
``unit_examples``               dataset examples: a unit's top (and most negative) real images, streamed
``adversarial``                 lesson 15: FGSM and PGD, accuracy against ε, the robustness report
``repair``                      lesson 15: retraining the cheat with a penalty on the tag (Ross et al. 2017)
``tcav``                        concept activation vectors and TCAV with significance (lesson 14)
``claims``                      the prose's numbers, checked where they are made
``plotting``                    figures (returned, never shown)
``widgets``                     ipywidgets panels, one per lesson
``widgets.base``                what every panel shares: the Panel class, image pickers, stop button
``widgets.activations``         lesson 01's panel
``widgets.featvis``             lessons 02 and 03's panels
``widgets.attribution``         lessons 05-07's panel
``widgets.deepdream``           lesson 08's panel
``widgets.embedding``           lesson 09's panel
``widgets.perturbation``        lesson 11's panel
``widgets.shortcut``            lesson 12's panel
``widgets.units``               lesson 13's panel
``widgets.adversarial``         lesson 15's panels (an attack; the repair's λ sweep)
``widgets.tcav``                lesson 14's panel
``widgets.explorer``            every panel on one page, for instructors
``exercises``                   self-checking exercises, ``exercises.lessonNN`` for lesson NN
==============================  ==============================================================

Course plumbing, what builds and checks the course (see :mod:`helpers.course`):

==============================  ==============================================================
``course``                      the plumbing's package
``course.runner``               ``python -m helpers.course.runner``: runs the notebooks, builds the site
``course.site``                 the HTML site, offline
``course.environment``          the setup cell: versions, quiet TensorFlow, bug-report text
``course.kerasfile``            ``.keras`` files loadable by older Keras 3 releases
``course.train``                ``python -m helpers.course.train``: retrains the shipped models
``course.evaluate``             ``python -m helpers.course.evaluate``: measurements as ``name: value``
``runner``                      old name of ``course.runner``, for one release (warns)
``site``                        old name of ``course.site``, for one release (warns)
``kerasfile``                   old name of ``course.kerasfile``, for one release (warns)
``evaluate``                    old name of ``course.evaluate``, for one release (warns)
``environment``                 old name of ``course.environment`` (setup cells saved before the move)
==============================  ==============================================================
"""

__version__ = "0.1.0"
