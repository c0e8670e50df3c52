"""Lesson 14 exercise: from the t-tests, for which classes is a concept significant?"""

from __future__ import annotations

from helpers.exercises import Exercise

SOLUTION = """answer = [r.class_name for r in stripes if r.p_corrected < 0.05]   # Bonferroni: p x number of tests < 0.05
# (the same as [r.class_name for r in stripes if r.significant])"""


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


def significance_exercise(results) -> Exercise:
    """Check the set of classes for which ``results`` (one :func:`helpers.tcav.tcav` call) are significant.

    The answer is a list of class names (or indices). Named wrong answers:
    the classes with the highest bars (score above 0.5), and the classes
    with an uncorrected p below 0.05 (Bonferroni forgotten).
    """
    want = {r.class_name for r in results if r.significant}
    alpha, m = results[0].alpha, results[0].n_tests
    high = {r.class_name for r in results if r.score > 0.5}
    raw = {r.class_name for r in results if r.p_value < alpha}
    low_sig = sorted(r.class_name for r in results if r.significant and r.score < 0.5)
    high_ns = sorted(r.class_name for r in results if not r.significant and r.score > 0.5)

    def check(answer):
        got = _names(answer, results)
        if got == want:
            extra = (f" Note {', '.join(low_sig)}: significant with a LOW score; the concept lowers that logit "
                     "(the test is two-sided)." if low_sig else "")
            return True, (f"{len(want)} of {len(results)} classes pass p x {m} < {alpha:g}: "
                          f"{', '.join(sorted(want)) or 'none'}.{extra}")
        if got == high and high != want:
            why = []
            if high_ns:
                why.append(f"{', '.join(high_ns)} score high but their random CAVs score about as often high")
            if low_sig:
                why.append(f"{', '.join(low_sig)} score low and are significant (the test is two-sided)")
            return False, "those are the highest bars, not the significant results: " + "; ".join(why) + "."
        if got == raw and raw != want:
            return False, (f"that is p < {alpha:g} before the correction; with {m} tests made together each p is "
                           f"multiplied by {m} (Bonferroni), so use p_corrected.")
        missing, wrong = sorted(want - got), sorted(got - want)
        return False, ("not quite: " + (f"{len(missing)} significant class(es) missing" if missing else "")
                       + ("; " if missing and wrong else "") + (f"{len(wrong)} not significant" if wrong else "")
                       + ". Read p_corrected in the table, not the bar's height.")

    return Exercise("Which classes does the concept significantly move?", check,
                    hint="A result is significant when its corrected p (p times the number of tests) is below "
                    f"{alpha:g}; the bar's height says nothing about the random CAVs.",
                    solution=SOLUTION)
