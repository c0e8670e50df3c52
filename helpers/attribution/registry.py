"""Every attribution method of the course in one list, :data:`REGISTRY`, and :func:`attribute` to run one.

A record says what a lesson, a panel or a report needs to know about a
method without importing it by hand: its name in code, the name a learner
sees, the function, its family, whether it takes ``layer=``, whether it is
random (takes ``seed=``), and its cheaper settings for reports and panels.
Adding a method is one function (its formula, over the shared machinery of
:mod:`helpers.attribution.core`) and one :class:`Method` line here; the
panels, :func:`helpers.shortcut.methods` and
:func:`helpers.faithfulness.report_methods` then offer it by themselves.

Families: ``"gradient"``, the gradient maps of lessons 05-07 (at the input,
and Grad-CAM with its two variants); ``"cam"``, the rest of lesson 07's
class-activation-map family (CAM, Layer-CAM, Score-CAM); ``"perturbation"``,
lesson 11's (occlusion, RISE, LIME).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

from helpers.attribution import cams, gradients, perturbation

FAMILIES = ("gradient", "cam", "perturbation")


@dataclass(frozen=True)
class Method:
    """One attribution method: ``function(model, images, class_index, **settings) -> maps [n, h, w]``.

    Attributes:
      name: the name in code (``"grad_cam"``).
      label: the name a learner sees (``"Grad-CAM"``), in titles, legends and dropdowns.
      function: the method.
      family: one of :data:`FAMILIES`.
      takes_layer: the function takes ``layer=`` (a feature-map layer name).
      seeded: the function is random and takes ``seed=``.
      quick: cheaper settings than the defaults, for reports and panels.
      in_lessons: ``False`` for a method no lesson teaches yet: the lessons'
        all-method tables (lesson 12's, through :func:`helpers.shortcut.cue_energy`)
        leave it out, so adding it does not change a reviewed lesson's output;
        panels, reports and the contract test include it.
    """

    name: str
    label: str
    function: Callable
    family: str
    takes_layer: bool = False
    seeded: bool = False
    quick: Mapping = field(default_factory=dict)
    in_lessons: bool = True

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {', '.join(FAMILIES)}; got {self.family!r}")
        object.__setattr__(self, "quick", MappingProxyType(dict(self.quick)))

    @property
    def takes_progress(self) -> bool:
        """The function can show a progress bar (takes ``progress=``)."""
        return "progress" in inspect.signature(self.function).parameters

    def settings(self, quick: bool = True, seed: int = 0) -> dict:
        """Keyword arguments for a report: :attr:`quick` (if ``quick``), plus ``seed`` for a random method."""
        kw = dict(self.quick) if quick else {}
        if self.seeded:
            kw["seed"] = seed
        return kw


_I, _C, _P = gradients, cams, perturbation  # short names for the table below
#: name -> :class:`Method`, in teaching order.
REGISTRY: Mapping[str, Method] = MappingProxyType({m.name: m for m in (
    Method("saliency", "saliency", _I.saliency, "gradient"),
    Method("smoothgrad", "SmoothGrad", _I.smoothgrad, "gradient", seeded=True, quick={"samples": 16}),
    Method("integrated_gradients", "integrated gradients", _I.integrated_gradients, "gradient", quick={"steps": 16}),
    Method("guided_backprop", "guided backprop", _I.guided_backprop, "gradient"),
    Method("gradient_x_input", "gradient × input", _I.gradient_x_input, "gradient", in_lessons=False),
    Method("grad_cam", "Grad-CAM", _C.grad_cam, "gradient", takes_layer=True),
    Method("grad_cam_plus_plus", "Grad-CAM++", _C.grad_cam_plus_plus, "gradient", takes_layer=True),
    Method("guided_grad_cam", "guided Grad-CAM", _C.guided_grad_cam, "gradient", takes_layer=True),
    Method("hirescam", "HiResCAM", _C.hirescam, "gradient", takes_layer=True, in_lessons=False),
    Method("cam", "CAM", _C.cam, "cam", takes_layer=True),
    Method("layer_cam", "Layer-CAM", _C.layer_cam, "cam", takes_layer=True),
    Method("score_cam", "Score-CAM", _C.score_cam, "cam", takes_layer=True,
           quick={"max_channels": "auto"}),
    Method("occlusion", "occlusion", _P.occlusion, "perturbation", quick={"patch": 8, "stride": 4}),
    Method("rise", "RISE", _P.rise, "perturbation", seeded=True, quick={"masks": 500}),
    Method("lime", "LIME", _P.lime, "perturbation", seeded=True, quick={"samples": 300}),
)})


def family(name: str) -> dict[str, Callable]:
    """``{method name: function}`` of one family, in teaching order."""
    if name not in FAMILIES:
        raise ValueError(f"unknown family {name!r}; choose one of {', '.join(FAMILIES)}")
    return {m.name: m.function for m in REGISTRY.values() if m.family == name}


#: name -> function of the ``"gradient"`` family (lessons 05-07's panel).
METHODS = family("gradient")
#: Every method that takes ``layer=``.
LAYER_METHODS = tuple(m.name for m in REGISTRY.values() if m.takes_layer)
#: name -> the name a learner sees.
LABELS = {m.name: m.label for m in REGISTRY.values()}


def get(name: str) -> Method:
    """The record of one method; an unknown name lists the known ones."""
    if name not in REGISTRY:
        raise ValueError(f"unknown method {name!r}; choose one of {', '.join(REGISTRY)}")
    return REGISTRY[name]


def attribute(model, images, class_index="auto", method: str = "grad_cam", layer: str | None = None, **kwargs):
    """Run any registered method by name (see :data:`REGISTRY`); ``layer`` goes to those that take one."""
    record = get(method)
    if record.takes_layer:
        kwargs["layer"] = layer
    elif layer is not None:
        takes = ", ".join(m.name for m in REGISTRY.values() if m.takes_layer)
        raise ValueError(f"{record.label} works on the input and takes no layer (got layer={layer!r}); "
                         f"the methods that take one are {takes}")
    return record.function(model, images, class_index, **kwargs)
