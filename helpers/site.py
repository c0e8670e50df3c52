"""Moved to :mod:`helpers.course.site`; this old name keeps working for one release.

Importing it warns (``DeprecationWarning``).
"""

from helpers.course import old_name

old_name(__name__)
