"""Small argument checks shared by the helpers, so bad input fails in the course's own words."""

from __future__ import annotations

import math

import numpy as np


def positive_int(name: str, value, minimum: int = 1) -> int:
    """``value`` as an int of at least ``minimum``; TypeError for strings/floats, ValueError below the minimum."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a whole number (at least {minimum}); got {type(value).__name__} {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value}")
    return int(value)


def finite_float(name: str, value, minimum: float | None = None, positive: bool = False) -> float:
    """``value`` as a finite float (``positive``: above 0; ``minimum``: at least that)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number; got {type(value).__name__} {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number; got {v}")
    if positive and v <= 0:
        raise ValueError(f"{name} must be positive; got {v}")
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {v}")
    return v
