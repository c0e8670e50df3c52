"""Moved to :mod:`helpers.course.environment`; this old name keeps working for one release.

Every lesson's setup cell imports it by this name, so it does not warn.
"""

from helpers.course import old_name

old_name(__name__, warn=False)
