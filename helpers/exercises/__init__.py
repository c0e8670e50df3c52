"""Exercise self-checks in the style of Kaggle's learntools.

Each lesson module defines :class:`Exercise` objects; a notebook calls
``q.check(answer)``, ``q.hint()`` or ``q.solution()``. A check never raises on a
wrong or missing answer: it prints a clear verdict (and a hint) and returns a
:class:`Verdict` that is truthy only when the answer is right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass
class Verdict:
    ok: bool
    message: str
    printed: bool = False

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return ("✅ Correct! " if self.ok else "❌ Not yet. ") + self.message

    def _ipython_display_(self) -> None:
        """As a cell's last value: shown only if :meth:`Exercise.check` has not printed it already."""
        if not self.printed:
            print(repr(self))


class Exercise:
    """One exercise.

    Args:
      title: a short name.
      checker: ``checker(answer) -> (ok, message)``; may raise for malformed
        answers, which counts as a wrong answer with the exception's message.
      hint: a nudge shown with wrong answers and by :meth:`hint`.
      solution: the reference solution, shown by :meth:`solution`.
    """

    def __init__(self, title: str, checker: Callable[[Any], tuple[bool, str]], hint: str, solution: str):
        self.title, self._checker, self._hint, self._solution = title, checker, hint, solution

    def check(self, answer: Any = None, quiet: bool = False) -> Verdict:
        if answer is None or answer is Ellipsis:
            verdict = Verdict(False, f"No answer yet for '{self.title}'. Fill in your answer and run the cell again.")
        else:
            try:
                ok, msg = self._checker(answer)
            except Exception as exc:  # a malformed answer is just a wrong answer
                ok, msg = False, f"Your answer could not be checked: {type(exc).__name__}: {exc}"
            verdict = Verdict(bool(ok), msg if ok else f"{msg} Hint: {self._hint}")
        if not quiet:
            print(repr(verdict))
            verdict.printed = True
        return verdict

    def hint(self) -> None:
        print(f"Hint: {self._hint}")

    def solution(self) -> None:
        print(f"Solution:\n{self._solution}")
