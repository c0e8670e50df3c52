"""Lesson 14 exercise: apply Bonferroni's correction yourself, and read a TCAV score's direction."""

from __future__ import annotations

from helpers.exercises import Exercise

SOLUTION = """m = len(holes)                                   # 8 tests made together, one per class
threshold = 0.05 / m                             # p x m < 0.05  <=>  p < 0.05 / m
answer = (threshold, [r.class_name for r in holes if r.p_value < threshold and r.score < 0.5])"""


def _names(answer, results) -> set[str]:
    names = [r.class_name for r in results]
    out = set()
    for a in ([answer] if isinstance(answer, (str, int)) else list(answer)):
        if isinstance(a, str):
            if a not in names:
                raise ValueError(f"{a!r} is not a class here; the classes are {', '.join(names)}")
            out.add(a)
        else:
            if not 0 <= int(a) < len(names):
                raise ValueError(f"class index {a} out of range 0..{len(names) - 1}")
            out.add(names[int(a)])
    return out


def print_raw(results) -> None:
    """The exercise's table: each class's TCAV score, its random CAVs' mean and the *uncorrected* p-value."""
    from helpers.tcav import p_text

    print(f"'{results[0].concept}' at {results[0].layer}; {len(results)} tests made together.")
    print(f"{'class':<20}{'TCAV':>7}{'random':>8}{'p (uncorrected)':>17}")
    for r in results:
        print(f"{r.class_name:<20}{r.score:>7.3f}{r.random_scores.mean():>8.3f}{p_text(r.p_value):>17}")


def lowering_exercise(results) -> Exercise:
    """Which classes does the concept significantly *lower*? From uncorrected p-values (one :func:`helpers.tcav.tcav` call).

    The answer is ``(threshold, classes)``: the threshold an uncorrected p must be below,
    ``alpha / len(results)`` (Bonferroni, applied by the learner), and a list of class names (or
    indices): the classes with ``p < threshold`` and a TCAV score below 0.5. The threshold makes the
    correction count even where no class's p falls between ``alpha / m`` and ``alpha``. Named wrong
    answers: the threshold of one test (``alpha``); Bonferroni forgotten (raw ``p < alpha``), the
    direction forgotten (every significant class), the test forgotten (every score below 0.5).
    """
    alpha, m = results[0].alpha, len(results)
    corr = {r.class_name for r in results if r.p_value * m < alpha}
    low = {r.class_name for r in results if r.score < 0.5}
    want = corr & low
    raw = {r.class_name for r in results if r.p_value < alpha} & low

    def check(answer):
        if not (isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[0], (int, float))):
            return False, ("give two things, (threshold, [classes]): the threshold an uncorrected p must be below, "
                           "then the classes, e.g. (0.01, ['circle']).")
        thr, answer = float(answer[0]), answer[1]
        if abs(thr - alpha) < 1e-9:
            return False, (f"{alpha:g} is the threshold for one test; with {m} tests made together, Bonferroni "
                           f"asks p x {m} < {alpha:g}: what must p itself be below?")
        if abs(thr - alpha / m) > 1e-3 * alpha / m:
            return False, f"not the threshold: Bonferroni asks p x {m} < {alpha:g}; what must p itself be below?"
        got = _names(answer, results)
        if got == want:
            return True, (f"p < {alpha:g} / {m} = {alpha / m:g} and a score below 0.5: {', '.join(sorted(want)) or 'none'}. "
                          "For these classes the concept's direction lowers the logit more often than random "
                          "directions do.")
        if got == raw:
            return False, (f"that is p < {alpha:g} before the correction; with {m} tests made together multiply "
                           f"each p by {m} first (Bonferroni).")
        if got == corr:
            return False, "those are all the significant classes; keep only those where the concept LOWERS the " \
                          "logit (TCAV score below 0.5)."
        if got == low:
            return False, ("those are all the scores below 0.5; a low score alone may be chance: keep only those "
                           f"that pass the test (p x {m} < {alpha:g}).")
        missing, wrong = sorted(want - got), sorted(got - want)
        return False, ("not quite: " + (f"{len(missing)} class(es) missing" if missing else "")
                       + ("; " if missing and wrong else "") + (f"{len(wrong)} that should not be there" if wrong
                                                                else "") + ".")

    return Exercise("Which classes does the concept significantly lower?", check,
                    hint=f"The threshold: Bonferroni over the {m} tests asks p x {m} < {alpha:g}. The classes: "
                    "that, and a TCAV score below 0.5 (the logit falls along the concept on most images).",
                    solution=SOLUTION)
