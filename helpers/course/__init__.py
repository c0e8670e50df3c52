"""Course plumbing: what builds, checks and publishes the course, not what a lesson imports.

Lessons import the learners' modules of :mod:`helpers`; these run them, check
the versions, save the shipped models and print the measurements that back the
prose. The old names (``helpers.runner``, ``python -m helpers.evaluate``, ...)
keep working for one release.

=================  =========================================================
``runner``         ``python -m helpers.course.runner``: executes the notebooks, builds the site
``site``           the HTML site of the executed notebooks, offline
``environment``    the lessons' setup cell: version check, quiet TensorFlow, bug-report text
``kerasfile``      keeps saved ``.keras`` files loadable by older Keras 3 releases
``train``          ``python -m helpers.course.train``: retrains the shipped shapes CNNs
``evaluate``       ``python -m helpers.course.evaluate``: measurements printed as ``name: value``
=================  =========================================================
"""


def old_name(old: str, warn: bool = True) -> None:
    """Make the module ``old`` (``"helpers.runner"``) the same module object as ``helpers.course.<its last part>``.

    Called by the thin modules that keep an old name working for one release:
    imported, they warn (``DeprecationWarning``, unless ``warn=False``) and
    give the new module itself, every name and monkeypatching included; run
    as ``python -m <old>`` (``old == "__main__"``), they run the new module's
    ``main()`` with a warning that gives the new command.
    """
    import importlib
    import sys
    import warnings

    if old == "__main__":
        spec = sys.modules["__main__"].__spec__
        new = "helpers.course." + spec.name.rpartition(".")[2]
        warnings.warn(f"python -m {spec.name} is now python -m {new}; the old name goes in the next release",
                      DeprecationWarning, stacklevel=2)
        raise SystemExit(importlib.import_module(new).main())
    new = "helpers.course." + old.rpartition(".")[2]
    if warn:
        warnings.warn(f"{old} moved to {new}; the old name goes in the next release", DeprecationWarning, stacklevel=3)
    sys.modules[old] = importlib.import_module(new)
