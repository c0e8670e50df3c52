"""Claims: numbers that a lesson's prose relies on, checked where they are made.

A lesson that says "about four fifths of conv2's activations are zero" must
not drift away from what the network really does. Instead of typing a figure
into the Markdown, the lesson states it in a code cell::

    from helpers.claims import claim
    claim("conv2 zero fraction", sparsity["conv2"], between=(0.7, 0.9))

which prints ``✓ conv2 zero fraction: 0.818 (claimed 0.7 to 0.9)`` and, in a
full-size run (``make course``), raises :class:`ClaimError` when the value
leaves its range, so the notebook fails instead of teaching something false.
In fast mode (``COURSE_FAST=1``: tiny images and few steps) the figures are
not those of the lesson, so the bounds are reported but not enforced, unless
``fast=True`` says the claim holds there too.

Other forms::

    claim("A beats B", score_a > score_b)            # a boolean claim
    claim("top class", name, equals="circle")         # an exact value
    claim("completeness error", err, at_most=0.05)
    claim("pointing", p, at_least=0.9)

The environment variable ``COURSE_CLAIMS=off`` turns enforcement off (for
running a lesson on a model it was not written for; a ``COURSE_MODEL`` other
than ``auto`` or ``shapes`` implies it, and so does ``COURSE_WEIGHTS=random``);
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


def _mode() -> str:
    mode = os.environ.get("COURSE_CLAIMS", "").strip().lower()
    if not mode and os.environ.get("COURSE_MODEL", "auto").strip().lower() not in {"", "auto", "shapes"}:
        return "off"  # the lessons' figures are those of the shapes CNN; another model has its own
    if not mode and os.environ.get("COURSE_WEIGHTS", "").strip().lower() == "random":
        return "off"  # random weights test the code path: no figure of theirs means anything
    return mode


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
    mark = "✓" if c.ok else ("✗" if c.enforced else "·")
    text = f"{mark} {c.name}: {_fmt(c.value)}"
    if c.expectation:
        text += f" (claimed {c.expectation})"
    if not c.ok and not c.enforced:
        text += " — outside the lesson's range; not checked in this run"
    return text


def expectation_text(between=None, at_least=None, at_most=None, equals=None) -> str:
    if between is not None:
        return f"{_fmt(between[0])} to {_fmt(between[1])}"
    if equals is not None:
        return f"= {_fmt(equals)}"
    parts = []
    if at_least is not None:
        parts.append(f"≥ {_fmt(at_least)}")
    if at_most is not None:
        parts.append(f"≤ {_fmt(at_most)}")
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
    """Print a figure the lesson relies on and, in a full-size run, check it.

    Args:
      name: what the figure is, in the lesson's words.
      value: the measured value (a number, a boolean, or anything comparable
        with ``equals``).
      between, at_least, at_most, equals: the claimed range or value. With
        none of them, ``value`` itself must be true.
      fast: the claim holds in fast mode too (check it there as well).
      quiet: do not print the line.

    Returns:
      a :class:`Claim` record.

    Raises:
      ClaimError: in a full-size run (or ``fast=True``, or
        ``COURSE_CLAIMS=strict``) when the value misses its claim, unless
        ``COURSE_CLAIMS=off``.
    """
    ok = holds(value, between=between, at_least=at_least, at_most=at_most, equals=equals)
    mode = _mode()
    enforced = mode != "off" and (mode == "strict" or fast or not config.is_fast())
    record = Claim(name, value, ok, expectation_text(between, at_least, at_most, equals), enforced)
    if not quiet:
        print(_line(record))
    if enforced and not ok:
        raise ClaimError(
            f"The lesson claims {name} is {record.expectation or 'true'}, but this run measured "
            f"{_fmt(value)}. The text around this cell no longer matches the model: fix the prose "
            "and the claim together (or set COURSE_CLAIMS=off when running the lesson on another model)."
        )
    return record
