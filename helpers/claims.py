"""Claims: numbers that a lesson's prose relies on, checked where they are made.

A lesson that says "about four fifths of conv2's activations are zero" must
not drift away from what the network really does. Instead of typing a figure
into the Markdown, the lesson states it in a code cell::

    from helpers.claims import claim
    claim("the share of zeros in conv2", sparsity["conv2"], between=(0.7, 0.9))

A learner sees a plain sentence: ``the share of zeros in conv2: 0.818``, or,
when their settings (another seed, more steps) move the figure out of the
range the text relies on, ``With your settings the share of zeros in conv2
came out 0.652; the text describes the default run, where it is between 0.7
and 0.9.`` A claim never raises in a learner's session. Lessons usually print the
figure in their own words and pass ``quiet=True``: then nothing extra shows
while the figure holds, and only a miss prints the sentence.

The build enforces: :mod:`helpers.course.runner` (``make course``, CI) sets
``COURSE_CLAIMS=enforce``, and then a claim that misses raises
:class:`ClaimError`, so the notebook fails instead of teaching something
false. In fast mode (``COURSE_FAST=1``: tiny images and few steps) the
figures are not those of the lesson, so only claims made with ``fast=True``
are enforced there. When ``COURSE_CLAIMS_LOG`` names a file, every claim is
appended to it as a JSON line (the runner lists them with their ranges).

Other forms::

    claim("A beats B", score_a > score_b)            # a boolean claim
    claim("the top class", name, equals="circle")     # an exact value
    claim("the completeness error", err, at_most=0.05)

``COURSE_CLAIMS=off`` turns enforcement off (a ``COURSE_MODEL`` other than
``auto`` or ``shapes`` implies it: the text's figures are the shapes CNN's;
so does a lesson whose last :func:`helpers.models.load_model` gave another
model, e.g. ``MODEL = "vgg16"`` in its Parameters cell, see :func:`about_model`);
``COURSE_CLAIMS=strict`` enforces even in fast mode.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from helpers import config


class ClaimError(AssertionError):
    """A figure the lesson states no longer holds for this run."""


@dataclass
class Claim:
    name: str
    value: Any
    ok: bool
    expectation: str
    enforced: bool

    def __repr__(self) -> str:  # what a notebook shows if the claim is the cell's last line
        return _line(self)


#: The model the lesson's claims are about: the name of the last model
#: :func:`helpers.models.load_model` returned (``None`` before any).
_SUBJECT: dict[str, str | None] = {"name": None}


def about_model(name: str | None) -> None:
    """Tell the claims which model the lesson now runs on (``load_model`` calls this).

    The lessons' figures are those of the shapes CNNs: on any other model a
    claim is not enforced (a miss prints that the text describes the shapes
    CNN), so a lesson needs no ``if spec.name.startswith("shapes")`` around
    its claims.
    """
    _SUBJECT["name"] = None if name is None else str(name)


def _mode() -> str:
    """``enforce`` / ``strict`` (the build), ``off`` (another model) or ``report`` (a learner's session)."""
    mode = os.environ.get("COURSE_CLAIMS", "").strip().lower()
    if mode in {"off", "strict"}:
        return mode
    if os.environ.get("COURSE_MODEL", "auto").strip().lower() not in {"", "auto", "shapes"}:
        return "off"  # the lessons' figures are those of the shapes CNN; another model has its own
    subject = _SUBJECT["name"]
    if subject is not None and not subject.lower().startswith("shapes"):
        return "off"  # the lesson loaded another model (MODEL = "vgg16" ...)
    return "enforce" if mode == "enforce" else "report"


def _fmt(value: Any) -> str:
    try:
        import numpy as np

        if isinstance(value, np.generic):
            value = value.item()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.3g}"
        return f"{value:.3f}"
    return str(value)


def _line(c: Claim) -> str:
    if c.ok:
        return f"{c.name}: {_fmt(c.value)}"
    if _mode() == "off":
        where = "the text describes the shapes CNN"
    else:
        where = "the text describes the default run"
    if not c.expectation:  # a boolean claim
        return f"With your settings it is not the case that {c.name}; {where}, where it is."
    return f"With your settings {c.name} came out {_fmt(c.value)}; {where}, where it is {c.expectation}."


def expectation_text(between=None, at_least=None, at_most=None, equals=None) -> str:
    """The claimed range in words: ``between 0.7 and 0.9``, ``at least 0.9``, ``0.5`` ..."""
    if between is not None:
        return f"between {_fmt(between[0])} and {_fmt(between[1])}"
    if equals is not None:
        return _fmt(equals)
    parts = []
    if at_least is not None:
        parts.append(f"at least {_fmt(at_least)}")
    if at_most is not None:
        parts.append(f"at most {_fmt(at_most)}")
    return " and ".join(parts)


def holds(value: Any, between=None, at_least=None, at_most=None, equals=None) -> bool:
    """Whether ``value`` meets the expectation (a bare value must be truthy)."""
    if equals is not None:
        return value == equals
    if between is None and at_least is None and at_most is None:
        return bool(value)
    v = float(value)
    if math.isnan(v):
        return False
    if between is not None:
        lo, hi = between
        if lo > hi:
            raise ValueError(f"between=({lo}, {hi}): the lower bound is above the upper one")
        if not lo <= v <= hi:
            return False
    if at_least is not None and v < at_least:
        return False
    if at_most is not None and v > at_most:
        return False
    return True


def claim(name: str, value: Any, *, between: tuple[float, float] | None = None, at_least: float | None = None,
          at_most: float | None = None, equals: Any = None, fast: bool = False, quiet: bool = False) -> Claim:
    """Print a figure the lesson relies on as a sentence and, in the build, check it.

    Args:
      name: what the figure is, in the lesson's words.
      value: the measured value (a number, a boolean, or anything comparable
        with ``equals``).
      between, at_least, at_most, equals: the claimed range or value. With
        none of them, ``value`` itself must be true.
      fast: the claim holds in fast mode too (check it there as well).
      quiet: print nothing while the figure holds (the lesson prints it in its
        own sentence); a miss still prints the plain sentence for the learner.

    Returns:
      a :class:`Claim` record.

    Raises:
      ClaimError: only when the build enforces claims (``COURSE_CLAIMS=enforce``,
        set by :mod:`helpers.course.runner`, at full size or with ``fast=True``; or
        ``COURSE_CLAIMS=strict``) and the value misses its claim. In a
        learner's session a miss prints a plain sentence instead.
    """
    ok = holds(value, between=between, at_least=at_least, at_most=at_most, equals=equals)
    mode = _mode()
    enforced = mode == "strict" or (mode == "enforce" and (fast or not config.is_fast()))
    record = Claim(name, value, ok, expectation_text(between, at_least, at_most, equals), enforced)
    if not quiet or not ok:
        print(_line(record))
    _log(record)
    if enforced and not ok:
        raise ClaimError(
            f"The lesson claims {name} is {record.expectation or 'true'}, but this run measured "
            f"{_fmt(value)}. The text around this cell no longer matches the model: fix the prose "
            "and the claim together (or set COURSE_CLAIMS=off when running the lesson on another model)."
        )
    return record


def _log(c: Claim) -> None:
    path = os.environ.get("COURSE_CLAIMS_LOG")
    if not path:
        return
    import json

    value = c.value.item() if hasattr(c.value, "item") else c.value
    if not isinstance(value, (bool, int, float, str)) and value is not None:
        value = str(value)
    with open(path, "a") as f:
        f.write(json.dumps({"name": c.name, "value": value, "expected": c.expectation, "ok": bool(c.ok),
                            "enforced": c.enforced}) + "\n")
