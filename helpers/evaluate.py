"""Moved to :mod:`helpers.course.evaluate`; this old name keeps working for one release.

Importing it warns (``DeprecationWarning``).
``python -m helpers.evaluate`` runs ``python -m helpers.course.evaluate``.
"""

from helpers.course import old_name

old_name(__name__)
