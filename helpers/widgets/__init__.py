"""ipywidgets panels, one per lesson, built on :class:`helpers.widgets.base.Panel`.

Import a panel from its module, e.g.
``from helpers.widgets.activations import ActivationsPanel``.
"""

from helpers.widgets.base import Panel, StopRequested  # noqa: F401
