"""Moved to :mod:`helpers.course.environment`; this old name keeps working for one release.

Importing it warns (``DeprecationWarning``). Setup cells saved before the
move (``from helpers import environment``) still work.
"""

from helpers.course import old_name

old_name(__name__)
