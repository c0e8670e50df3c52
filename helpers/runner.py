"""Moved to :mod:`helpers.course.runner`; this old name keeps working for one release.

Importing it warns (``DeprecationWarning``).
``python -m helpers.runner`` runs ``python -m helpers.course.runner``.
"""

from helpers.course import old_name

old_name(__name__)
